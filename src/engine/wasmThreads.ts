// wasm on every core. tfjs-backend-wasm runs its threaded SIMD binary only where SharedArrayBuffer exists, i.e. in a
// cross-origin isolated page (COOP/COEP headers, from the server or the service worker), and even then starts half
// the cores (one thread on a 2-core laptop); the engine asks for all of them.
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as threadedModule from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
import threadedSource from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js?raw';

/** The cores this context may use: all of them unless the browser hides the figure. Read before any override. */
const CORES = ((cores) => (Number.isInteger(cores) && cores > 0 ? cores : 1))(
  globalThis.navigator?.hardwareConcurrency,
);

export function coreCount(): number {
  return CORES;
}

/**
 * tfjs's C side caps the thread count at navigator.hardwareConcurrency / 2 (it assumes two hyperthreads per core),
 * whatever setThreadsCount asks: one thread on a 2-core laptop. The engine worker reports twice its cores, so the
 * cap becomes the core count; setThreadsCount still decides. Only wasm's start-up reads the figure in this worker.
 */
function liftThreadCap(): void {
  if (!globalThis.navigator) return;
  Object.defineProperty(globalThis.navigator, 'hardwareConcurrency', { configurable: true, get: () => 2 * CORES });
}

/** Whether the threaded build can run here: it needs SharedArrayBuffer, which only an isolated context has. */
export function threadsPossible(): boolean {
  return globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';
}

/**
 * tfjs starts each wasm thread from a blob holding `factory.toString()`. Bundled and minified, that function uses
 * variables of the scope around it, which the blob lacks: every thread dies with "e is not defined" and the backend
 * never starts. The blob gets the package's original source instead, which defines everything it uses.
 */
function keepThreadedFactorySource(): void {
  const module = threadedModule as unknown as { default?: object };
  const factory = module.default ?? module;
  factory.toString = () => `(function () {\n${threadedSource}\nreturn WasmBackendModuleThreadedSimd;\n})()`;
}

/**
 * A build made with VITE_WASM_THREADS=n runs n threads whatever the cores: the thread benchmark compares 1 and all on
 * the same binary, and a machine whose cores are busy with other work may run faster on fewer.
 */
const PINNED_THREADS = Number(import.meta.env.VITE_WASM_THREADS) || 0;

/**
 * Must run before tf.setBackend('wasm'). The binaries are bundled assets (hashed names, relative to the built
 * worker), so the map works from any sub-path.
 */
export function prepareWasm(asked?: number): void {
  const threads = PINNED_THREADS || asked || coreCount();
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmPlain,
    'tfjs-backend-wasm-simd.wasm': wasmSimd,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
  });
  setThreadsCount(threads);
  liftThreadCap();
  keepThreadedFactorySource();
}

/** For the backend's reason line, once wasm has started: how many threads, and why only one where that is so. */
export function wasmThreadsNote(): string {
  let threads: number;
  try {
    threads = getThreadsCount();
  } catch {
    return 'wasm threads unknown (backend not started)';
  }
  if (threads > 1) return `${threads} threads, SIMD`;
  if (!threadsPossible()) {
    return '1 thread: the page is not cross-origin isolated (no COOP/COEP headers), so no SharedArrayBuffer';
  }
  return `1 thread (${coreCount()} core${coreCount() === 1 ? '' : 's'} here)`;
}
