// The in-browser runner: a pool of module Web Workers running the engine (src/engine/worker.ts, src/runner/pool.ts),
// one per run up to the cores. The page talks to it with RunnerCommand and hears RunnerEvent as if it were one
// engine: the same messages the remote GPU runner speaks.
import type { BackendChoice, BackendName, ComparisonConfig } from '../protocol/config';
import type { RunnerCommand, RunnerEvent } from '../protocol/messages';
import { EnginePool, measuredLayout, pageCores, type PoolLayout, type SpawnEngine } from './pool';

export type RunnerListener = (event: RunnerEvent) => void;

export interface BrowserRunner {
  send(cmd: RunnerCommand): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: RunnerListener): () => void;
  /**
   * Terminates the engine workers whatever they are doing (a step that takes minutes included); the next init and
   * create start new ones. The listeners stay. Nothing the old workers had queued arrives after this.
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
 * `?layout=2x1` (workers × wasm threads) lays every comparison out so, whatever "auto" would measure: for benchmarks
 * and for showing the difference on stage. Anything else, or nothing, leaves the choice to the page.
 */
export function layoutFromUrl(search: string): PoolLayout | null {
  const m = /^(\d+)x(\d+)$/.exec(new URLSearchParams(search).get('layout') ?? '');
  const [workers, threads] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  return workers > 0 && threads > 0 ? { workers, threads } : null;
}

/**
 * `?debug=1` shows tools for demonstrating the engine, e.g. "Lose the WebGPU device". They are ordinary buttons, so
 * an end-to-end test clicks them like a user instead of reaching into the page through a global.
 */
export function debugFromUrl(search: string): boolean {
  return new URLSearchParams(search).get('debug') === '1';
}

/** One engine Web Worker (src/engine/worker.ts) as a port of the pool. */
const spawnWorker: SpawnEngine = (hear, crash) => {
  const w = new Worker(new URL('../engine/worker.ts', import.meta.url), { type: 'module' });
  let closed = false;
  w.addEventListener('message', (e: MessageEvent<RunnerEvent>) => !closed && hear(e.data));
  // A worker that fails to load (or throws outside a handler) must still be reported on the page.
  w.addEventListener('error', (e) => {
    e.preventDefault();
    if (!closed) crash(`The engine worker failed: ${e.message || 'it could not be loaded'}`);
  });
  w.addEventListener('messageerror', () => !closed && crash('A message from the engine worker could not be read'));
  return {
    post: (cmd) => w.postMessage(cmd),
    close: () => {
      closed = true;
      // A moment to drop its GPU device first (the GPU process then drops the work queued for it), then gone.
      setTimeout(() => w.terminate(), ABANDON_GRACE_MS);
    },
  };
};

function createRunner(): BrowserRunner {
  const forced = layoutFromUrl(location.search);
  const layout = forced
    ? (config: ComparisonConfig) => measuredLayout(forced, config, 'set by the address')
    : undefined;
  const pool = new EnginePool(spawnWorker, { cores: pageCores(), layout, warmThreads: forced?.threads });
  return {
    send: (cmd) => pool.send(cmd),
    subscribe: (listener) => pool.subscribe(listener),
    restart: () => pool.restart(),
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
