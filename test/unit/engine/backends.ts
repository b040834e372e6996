// The backends the engine's numbers are checked on in Node: cpu and wasm, and webgpu through Dawn (a software Vulkan
// GPU, SwiftShader, on a machine without one; docs/engine.md).
export const NUMERIC_BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;

/**
 * How far a backend's scores may be from the cpu reference after the golden vectors' five steps (largest error over
 * the layer's largest score). WebGPU measured 1.4e-4 (Conv-2 at width 0.0625: 4 channels), wasm 4.2e-4: their kernels sum in another order, and a
 * ResNet-20 at p = 0.832 carries that difference through the mask's few edges (masks stay identical; docs/engine.md).
 */
export const SCORE_TOLERANCE: Record<(typeof NUMERIC_BACKENDS)[number], number> = {
  cpu: 1e-4,
  wasm: 1e-3,
  webgpu: 2e-4,
};

/** Largest |a − b| over the largest |b|: an array's error relative to its scale, as the tolerances above measure it. */
export function errorOverScale(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}
