// The in-browser runner: ONE module Web Worker running the engine (src/engine/worker.ts). The page talks to it with
// RunnerCommand and hears RunnerEvent, the same messages the remote GPU runner speaks.
import type { BackendChoice, BackendName } from '../protocol/config';
import type { RunnerCommand, RunnerEvent } from '../protocol/messages';

export type RunnerListener = (event: RunnerEvent) => void;

export interface BrowserRunner {
  send(cmd: RunnerCommand, transfer?: Transferable[]): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: RunnerListener): () => void;
  /**
   * Terminates the engine's worker whatever it is doing (a step that takes minutes included) and starts a new one,
   * with no backend and no comparison yet; the listeners stay. Nothing the old worker had queued arrives after this.
   */
  restart(): void;
}

/** How long a replaced engine has to drop its GPU device before it is terminated anyway. */
const ABANDON_GRACE_MS = 300;

const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** `?backend=webgl` (or webgpu, wasm, cpu) forces a backend; anything else, or nothing, is 'auto'. */
export function backendChoiceFromUrl(search: string): BackendChoice {
  const asked = new URLSearchParams(search).get('backend');
  return BACKENDS.find((b) => b === asked) ?? 'auto';
}

/**
 * `?debug=1` shows tools for demonstrating the engine, e.g. "Lose the WebGPU device". They are ordinary buttons, so
 * an end-to-end test clicks them like a user instead of reaching into the page through a global.
 */
export function debugFromUrl(search: string): boolean {
  return new URLSearchParams(search).get('debug') === '1';
}

function createRunner(): BrowserRunner {
  const listeners = new Set<RunnerListener>();
  const emit = (event: RunnerEvent) => listeners.forEach((l) => l(event));
  const spawn = (): Worker => {
    const w = new Worker(new URL('../engine/worker.ts', import.meta.url), { type: 'module' });
    // Only the current worker is heard: a replaced one's last messages may still be on their way.
    const current = (handler: (e: Event) => void) => (e: Event) => {
      if (w === worker) handler(e);
    };
    w.addEventListener(
      'message',
      current((e) => emit((e as MessageEvent<RunnerEvent>).data)),
    );
    // A worker that fails to load (or throws outside a handler) must still be reported on the page.
    w.addEventListener(
      'error',
      current((e) => {
        e.preventDefault();
        emit({
          type: 'error',
          message: `The engine worker failed: ${(e as ErrorEvent).message || 'it could not be loaded'}`,
        });
      }),
    );
    w.addEventListener(
      'messageerror',
      current(() => emit({ type: 'error', message: 'A message from the engine worker could not be read' })),
    );
    return w;
  };
  let worker: Worker = spawn();
  return {
    send: (cmd, transfer) => worker.postMessage(cmd, transfer ?? []),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    restart: () => {
      const old = worker;
      worker = spawn();
      // A moment to drop its GPU device first (the GPU process then drops the work queued for it), then gone.
      old.postMessage({ type: 'abandon' } satisfies RunnerCommand);
      setTimeout(() => old.terminate(), ABANDON_GRACE_MS);
    },
  };
}

let runner: BrowserRunner | null = null;

/** The page's one runner, created on first use. */
export function getBrowserRunner(): BrowserRunner {
  runner ??= createRunner();
  return runner;
}

/** Creates the runner (once) and asks the engine to pick its backend; the answer is a 'backend' event. */
export function startBrowserRunner(backend: BackendChoice): BrowserRunner {
  const r = getBrowserRunner();
  r.send({ type: 'init', backend });
  return r;
}
