// The Web Worker entry: the engine runs here so the page never stalls. It speaks RunnerCommand / RunnerEvent.
import type { RunnerCommand, RunnerEvent } from '../protocol/messages';
import type { BackendChoice } from '../protocol/config';
import { abandonDevice, loseWebGpuDevice, selectBackend, watchDeviceLoss } from './backend';
import { Runner } from './runner';

function post(event: RunnerEvent): void {
  (self as unknown as Worker).postMessage(event);
}

const runner = new Runner(
  post,
  async (choice: BackendChoice, because?: string, threads?: number) => {
    const info = await selectBackend(choice, because, threads);
    watchDeviceLoss(
      (message) =>
        void runner.fail(
          `${message}. Everything reported so far is kept; choose another backend to go on from the last report.`,
        ),
    );
    return info;
  },
  loseWebGpuDevice,
);

// Commands are handled in arrival order; the comparison's loop yields a macrotask between steps so pause and step
// get through while it runs.
let queue: Promise<void> = Promise.resolve();
self.addEventListener('message', (e: MessageEvent<RunnerCommand>) => {
  // Out of turn: the command in progress is the step the page gave up waiting for.
  if (e.data.type === 'abandon') abandonDevice();
  // Out of turn too: a ping says the thread is alive, whatever commands wait behind a slow one.
  if (e.data.type === 'ping') {
    post({ type: 'pong', id: e.data.id });
    return;
  }
  queue = queue.then(() => runner.handle(e.data));
});
