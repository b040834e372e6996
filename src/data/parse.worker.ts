// A module Web Worker that parses one dropped file (gunzip, untar, parse: seconds for the full archive) so the page
// stays responsive meanwhile. No React, no tf: it only runs parseDroppedFile and posts the result back.
import { parseDroppedFile } from './load';
import { datasetBuffers, type ParseReply, type ParseRequest } from './parseMessages';

function reply(message: ParseReply, transfer: Transferable[] = []): void {
  (self as unknown as Worker).postMessage(message, transfer);
}

self.addEventListener('message', (e: MessageEvent<ParseRequest>) => {
  const { name, buffer } = e.data;
  try {
    const dataset = parseDroppedFile(name, new Uint8Array(buffer));
    // Transferred, not copied: the full training split alone is 150 MB.
    reply({ ok: true, dataset }, datasetBuffers(dataset));
  } catch (err) {
    // An Error does not keep its class across postMessage, so its name travels beside its message.
    const error = err instanceof Error ? err : new Error(String(err));
    reply({ ok: false, errorName: error.name, message: error.message });
  }
});
