// Backend choice: WebGPU, else WebGL, else CPU, and always the reason a faster one was not used.
// The WASM backend is no automatic fallback: out of the box it cannot train conv nets (no Conv2DBackpropFilter).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type { BackendChoice, BackendName } from '../protocol/config';
import type { BackendInfo } from '../protocol/report';

const AUTO_ORDER: BackendName[] = ['webgpu', 'webgl', 'cpu'];

interface Probe {
  ok: boolean;
  why: string;
  adapter?: string;
}

async function probeWebGpu(): Promise<Probe> {
  const gpu = (globalThis.navigator as (Navigator & { gpu?: GPU }) | undefined)?.gpu;
  if (!gpu) return { ok: false, why: 'WebGPU: navigator.gpu is missing (no WebGPU in this browser or context)' };
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return { ok: false, why: `WebGPU: requestAdapter failed (${String(e)})` };
  }
  if (!adapter) return { ok: false, why: 'WebGPU: no adapter (GPU blocked, or the flag is off)' };
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const fallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const name = [info?.vendor, info?.architecture, info?.description].filter((s) => s).join(' ') || 'unknown adapter';
  return { ok: true, why: '', adapter: fallback ? `${name} (fallback adapter, software)` : name };
}

function probeWebGl(): Probe {
  if (typeof OffscreenCanvas === 'undefined' && typeof document === 'undefined') {
    return { ok: false, why: 'WebGL: no canvas in this context' };
  }
  try {
    const canvas =
      typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
    const gl = canvas.getContext('webgl2') as WebGL2RenderingContext | null;
    if (!gl) return { ok: false, why: 'WebGL: no WebGL 2 context' };
    if (!gl.getExtension('EXT_color_buffer_float')) {
      return { ok: false, why: 'WebGL: no float render targets (EXT_color_buffer_float)' };
    }
    return { ok: true, why: '' };
  } catch (e) {
    return { ok: false, why: `WebGL: ${String(e)}` };
  }
}

async function probe(name: BackendName): Promise<Probe> {
  if (name === 'webgpu') return probeWebGpu();
  if (name === 'webgl') return probeWebGl();
  if (name === 'cpu') return { ok: true, why: '' };
  return { ok: false, why: `${name}: not available in this build` };
}

/** Picks and activates a backend; throws only if even the CPU backend cannot start. */
export async function selectBackend(choice: BackendChoice): Promise<BackendInfo> {
  const order = choice === 'auto' ? AUTO_ORDER : [choice, ...AUTO_ORDER.filter((b) => b !== choice)];
  const skipped: string[] = [];
  for (const name of order) {
    const p = await probe(name);
    if (!p.ok) {
      skipped.push(p.why);
      continue;
    }
    let ok = false;
    try {
      ok = await tf.setBackend(name);
    } catch (e) {
      skipped.push(`${name}: failed to start (${String(e)})`);
      continue;
    }
    if (!ok) {
      skipped.push(`${name}: failed to start`);
      continue;
    }
    await tf.ready();
    const forced = choice !== 'auto' && choice !== name ? `${choice} was asked for but is unavailable. ` : '';
    const reason =
      skipped.length === 0
        ? choice === 'auto'
          ? `${name}: the fastest backend available`
          : `${name}: chosen by the user`
        : `${forced}${skipped.join('; ')}`;
    return { name, reason, adapter: p.adapter };
  }
  throw new Error(`No TF.js backend could start: ${skipped.join('; ')}`);
}
