// Backend choice (backend.ts): the documented fallback order webgpu → webgl → wasm → cpu, a forced backend tried
// first, and a reason that names every faster backend passed over. Node has neither WebGPU nor a canvas, so there
// the real selection must skip both, in that order, and still start a backend every time it is asked.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { backendOrder, backendReason, selectBackend } from '../../../src/engine/backend';
import type { BackendChoice, BackendName } from '../../../src/protocol/config';

const FASTEST_FIRST: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

describe('the order and the reason', () => {
  it('auto tries the fastest first; a forced backend comes first, then the rest fastest first', () => {
    expect(backendOrder('auto')).toEqual(FASTEST_FIRST);
    expect(backendOrder('webgl')).toEqual(['webgl', 'webgpu', 'wasm', 'cpu']);
    expect(backendOrder('wasm')).toEqual(['wasm', 'webgpu', 'webgl', 'cpu']);
    expect(backendOrder('cpu')).toEqual(['cpu', 'webgpu', 'webgl', 'wasm']);
    expect(backendOrder('webgpu')).toEqual(FASTEST_FIRST);
  });

  it('says why: fastest available, chosen by the user, or each faster one skipped and a forced one missing', () => {
    expect(backendReason('auto', 'webgpu', [])).toBe('webgpu: the fastest backend available');
    expect(backendReason('webgl', 'webgl', [])).toBe('webgl: chosen by the user');
    expect(backendReason('auto', 'webgl', ['WebGPU: no adapter'])).toBe('WebGPU: no adapter');
    expect(backendReason('webgpu', 'wasm', ['WebGPU: no adapter', 'WebGL: no WebGL 2 context'])).toBe(
      'webgpu was asked for but is unavailable. WebGPU: no adapter; WebGL: no WebGL 2 context',
    );
  });
});

describe('selecting in Node (no WebGPU, no canvas)', () => {
  const noWebGpu = 'WebGPU: navigator.gpu is missing (no WebGPU in this browser or context)';
  const noWebGl = 'WebGL: no canvas in this context';

  it('auto passes over WebGPU and WebGL, in that order, to a backend that starts, and says so', async () => {
    const info = await selectBackend('auto');
    expect(['wasm', 'cpu']).toContain(info.name);
    expect(tf.getBackend()).toBe(info.name);
    const reasons = info.reason.split('; ');
    expect(reasons.slice(0, 2)).toEqual([noWebGpu, noWebGl]);
    // wasm loads its binary from the page's URL, which Node may not resolve; cpu is then the last resort.
    if (info.name === 'cpu') expect(reasons[2]).toMatch(/^(wasm|WASM)\b/);
  });

  it('a forced WebGL that is missing falls back in order and names what was asked for', async () => {
    const info = await selectBackend('webgl');
    expect(info.reason).toMatch(
      new RegExp(`^webgl was asked for but is unavailable\\. ${escape(noWebGl)}; ${escape(noWebGpu)}`),
    );
    expect(tf.getBackend()).toBe(info.name);
  });

  it('every later selection still starts a backend (a backend that failed once is skipped with its reason)', async () => {
    for (const choice of ['auto', 'wasm', 'webgpu', 'auto'] as BackendChoice[]) {
      const info = await selectBackend(choice);
      expect(tf.getBackend()).toBe(info.name);
      expect(info.reason.length).toBeGreaterThan(0);
    }
    expect(await selectBackend('cpu')).toEqual({ name: 'cpu', reason: 'cpu: chosen by the user', adapter: undefined });
    expect(tf.getBackend()).toBe('cpu');
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
