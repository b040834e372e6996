// What the page and the dropped-file parser worker (parse.worker.ts) say to each other.
import type { LoadedDataset } from './load';

/** The dropped file's bytes (transferred) and its name, which error messages and the dataset's name use. */
export interface ParseRequest {
  name: string;
  buffer: ArrayBuffer;
}

export type ParseReply = { ok: true; dataset: LoadedDataset } | { ok: false; errorName: string; message: string };

/** The distinct buffers behind a dataset's typed arrays: a buffer may be listed only once in a transfer list. */
export function datasetBuffers(dataset: LoadedDataset): ArrayBuffer[] {
  const arrays = [dataset.train.images, dataset.train.labels, dataset.test.images, dataset.test.labels];
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}
