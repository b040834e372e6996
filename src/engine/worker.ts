// The Web Worker entry: the engine runs here so the page never stalls. It speaks RunnerCommand / RunnerEvent.
import { selectBackend } from './backend';
import type { RunnerCommand, RunnerEvent } from '../protocol/messages';

function post(event: RunnerEvent): void {
  (self as unknown as Worker).postMessage(event);
}

self.addEventListener('message', (e: MessageEvent<RunnerCommand>) => {
  void handle(e.data).catch((err: unknown) => post({ type: 'error', message: String(err) }));
});

async function handle(cmd: RunnerCommand): Promise<void> {
  switch (cmd.type) {
    case 'init': {
      const backend = await selectBackend(cmd.backend);
      post({ type: 'backend', backend });
      return;
    }
    default:
      post({ type: 'error', message: `The engine does not handle '${cmd.type}' yet` });
  }
}
