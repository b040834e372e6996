// Backends for Node (tests, benchmarks): cpu; wasm loaded from node_modules with the added training kernel; webgpu
// through Dawn (the npm package `webgpu`), on the machine's GPU or, without one, Chromium's SwiftShader Vulkan driver.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { registerWasmTrainingKernels } from './wasm-kernels';

export type NodeBackend = 'cpu' | 'wasm' | 'webgpu';

/** Debian's chromium package ships SwiftShader as a Vulkan driver: a software GPU for a machine without one. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let wasmPathsSet = false;

export async function useNodeBackend(name: NodeBackend): Promise<void> {
  if (name === 'wasm') {
    if (!wasmPathsSet) {
      const require = createRequire(import.meta.url);
      const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      setWasmPaths(dist + path.sep);
      wasmPathsSet = true;
    }
    registerWasmTrainingKernels();
  }
  if (name === 'webgpu') await provideWebGpu();
  if (!(await tf.setBackend(name))) throw new Error(`TF.js backend ${name} failed to start`);
  await tf.ready();
}

/** What Dawn found: vendor, architecture and description, and whether it is a software emulation. */
export interface NodeAdapter {
  name: string;
  software: boolean;
}

let adapter: NodeAdapter | null = null;

/** The adapter `useNodeBackend('webgpu')` found (null before). */
export function nodeAdapter(): NodeAdapter | null {
  return adapter;
}

/**
 * Gives Node a `navigator.gpu` from Dawn, once. The system's Vulkan drivers are tried first (a real GPU's); when none
 * gives an adapter (Dawn refuses Mesa's lavapipe) and SwiftShader's is installed, that one.
 */
async function provideWebGpu(): Promise<void> {
  if (adapter) return;
  const dawn = await import('webgpu').catch((e: Error) => {
    throw new Error(`WebGPU in Node needs the npm package "webgpu" (a dev dependency): ${e.message}`);
  });
  // Dawn keeps a runtime directory; a shell without a session (CI) has none.
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  Object.assign(globalThis, dawn.globals);
  let gpu = dawn.create([]);
  let found = await gpu.requestAdapter();
  if (!found && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    // The Vulkan loader reads this when Dawn makes its next instance.
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    gpu = dawn.create([]);
    found = await gpu.requestAdapter();
  }
  if (!found) {
    throw new Error(
      "WebGPU in Node: Dawn found no adapter. It needs a Vulkan driver: a GPU vendor's, or SwiftShader " +
        `(Debian: apt-get install chromium libvulkan1, which puts it at ${SWIFTSHADER_ICD}).`,
    );
  }
  const info = found.info;
  const name = [info.vendor, info.architecture, info.description].filter((s) => s).join(' ') || 'unknown adapter';
  const fallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  adapter = { name, software: fallback || /swiftshader|llvmpipe|lavapipe/i.test(name) };
  // Node 20 has no navigator; tfjs-backend-webgpu looks for navigator.gpu.
  (globalThis as { navigator?: object }).navigator ??= {};
  Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  // The package registers its backend when it is first imported, and only if navigator.gpu existed then: the
  // engine's backend.ts may have imported it before. The factory asks what the package's own does of the device.
  if (tf.findBackendFactory('webgpu') === null) {
    const limits = found.limits;
    tf.registerBackend(
      'webgpu',
      async () => {
        const device = await found.requestDevice({
          requiredFeatures: found.features.has('timestamp-query') ? ['timestamp-query'] : [],
          requiredLimits: {
            maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
            maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
            maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
            maxBufferSize: limits.maxBufferSize,
            maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
            maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
          },
        });
        return new WebGPUBackend(device, info);
      },
      3,
    );
  }
}
