// The page's side of the dropped-file parser: one short-lived worker per file, so the main thread never runs the
// gunzip/untar/parse and a corrupt file's DatasetError reaches the page with the same message as before.
import { DatasetError } from './cifar';
import type { LoadedDataset } from './load';
import type { ParseReply, ParseRequest } from './parseMessages';

function errorFrom(reply: Extract<ParseReply, { ok: false }>): Error {
  if (reply.errorName === 'DatasetError') return new DatasetError(reply.message);
  const error = new Error(reply.message);
  error.name = reply.errorName;
  return error;
}

/** Parses a dropped file in a Web Worker; rejects with the DatasetError parseDroppedFile would throw. */
export async function parseDroppedFileOffThread(file: File): Promise<LoadedDataset> {
  const buffer = await file.arrayBuffer();
  const worker = new Worker(new URL('./parse.worker.ts', import.meta.url), { type: 'module' });
  try {
    return await new Promise<LoadedDataset>((resolve, reject) => {
      worker.addEventListener('message', (e: MessageEvent<ParseReply>) =>
        e.data.ok ? resolve(e.data.dataset) : reject(errorFrom(e.data)),
      );
      worker.addEventListener('error', (e) => {
        e.preventDefault();
        reject(new Error(`The file parser worker failed: ${e.message || 'it could not be loaded'}`));
      });
      worker.addEventListener('messageerror', () =>
        reject(new Error('The file parser worker sent a message that could not be read')),
      );
      const request: ParseRequest = { name: file.name, buffer };
      worker.postMessage(request, [buffer]);
    });
  } finally {
    worker.terminate();
  }
}
