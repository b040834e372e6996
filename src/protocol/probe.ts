// Messages between the page and a throwaway probe worker that times a few steps of the configured comparison on one
// backend (the page's "auto"). The page terminates the worker when its time is up, so a step that would take minutes
// is abandoned rather than waited for.
import type { BackendName, ComparisonConfig, RunId } from './config';
import type { DatasetPayload } from './messages';
import type { BackendInfo } from './report';

export interface ProbeRequest {
  backend: BackendName;
  config: ComparisonConfig;
  /** Just the images the timed steps use: a few batches (copies, so the page keeps its dataset). */
  dataset: DatasetPayload;
  /** Comparison steps to time; the first includes compiling (shaders, kernels) and is reported apart. */
  steps: number;
  /**
   * Whether to time a software emulation of a GPU (SwiftShader and the like). Only when nothing native was timed
   * before it: the emulation runs in the browser's GPU process, which then draws no frame of the page until the step
   * ends (seconds, even tens of seconds), and it uses the same cores that wasm uses directly.
   */
  timeSoftware: boolean;
  /** The runs this probe times (one engine of a pool layout); default all. */
  share?: RunId[];
  /** wasm threads (default one per core). */
  threads?: number;
}

/** Sent when the probe's time is up: drop the device (abandonDevice), answer 'stopped', then be terminated. */
export interface ProbeStop {
  type: 'stop';
}

export type ProbeEvent =
  | { type: 'stopped' }
  /** The backend started; software: "software renderer: SwiftShader" where the device is a CPU emulation. */
  | { type: 'started'; backend: BackendInfo; software: string | null }
  /** A software emulation that the request said not to time: nothing ran on it. */
  | { type: 'untimed' }
  /** One comparison step (EP and iEP on the same batch) took this many seconds, its work finished. */
  | { type: 'step'; seconds: number }
  /** The backend did not start, or a step failed. */
  | { type: 'failed'; message: string };

/** The first images of a dataset, enough for `steps` batches of the config (compact copies: cheap to post). */
export function probeDataset(dataset: DatasetPayload, config: ComparisonConfig, steps: number): DatasetPayload {
  const train = Math.min(dataset.trainLabels.length, config.batchSize * (steps + 1));
  const test = Math.min(dataset.testLabels.length, config.batchSize);
  return {
    id: dataset.id,
    classNames: dataset.classNames,
    trainImages: dataset.trainImages.slice(0, train * 3072),
    trainLabels: dataset.trainLabels.slice(0, train),
    testImages: dataset.testImages.slice(0, test * 3072),
    testLabels: dataset.testLabels.slice(0, test),
  };
}
