// Backends for Node (tests, benchmarks): cpu, or wasm loaded from node_modules with the added training kernel.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { registerWasmTrainingKernels } from './wasm-kernels';

let wasmPathsSet = false;

export async function useNodeBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'wasm') {
    if (!wasmPathsSet) {
      const require = createRequire(import.meta.url);
      const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      setWasmPaths(dist + path.sep);
      wasmPathsSet = true;
    }
    registerWasmTrainingKernels();
  }
  if (!(await tf.setBackend(name))) throw new Error(`TF.js backend ${name} failed to start`);
  await tf.ready();
}
