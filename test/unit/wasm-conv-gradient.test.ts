// The WASM backend's added Conv2DBackpropFilter kernel must give the cpu backend's gradients.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareWasmBackend } from '../../src/engine/wasm';
import { mulberry32 } from '../../src/util/random';

const wasmDir = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;

function random(shape: number[], seed: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng() * 2 - 1);
}

interface Case {
  name: string;
  x: [number, number, number, number];
  w: [number, number, number, number];
  stride: number;
  pad: 'same' | 'valid';
}

const cases: Case[] = [
  { name: '3x3 same stride 1', x: [2, 8, 8, 3], w: [3, 3, 3, 5], stride: 1, pad: 'same' },
  { name: '3x3 same stride 2', x: [2, 9, 9, 4], w: [3, 3, 4, 6], stride: 2, pad: 'same' },
  { name: '1x1 valid stride 2 (shortcut)', x: [3, 8, 8, 4], w: [1, 1, 4, 8], stride: 2, pad: 'valid' },
  { name: '5x5 valid stride 1', x: [1, 10, 10, 2], w: [5, 5, 2, 3], stride: 1, pad: 'valid' },
];

/** d(sum(conv(x, w) * r))/dw on the current backend: exercises Conv2DBackpropFilter through autodiff. */
function filterGrad(c: Case): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor4d(random(c.x, 1), c.x);
    const w = tf.tensor4d(random(c.w, 2), c.w);
    const yShape = tf.conv2d(x, w, c.stride, c.pad).shape;
    const r = tf.tensor(random(yShape, 3), yShape);
    const g = tf.grad((wv: tf.Tensor) =>
      tf
        .conv2d(x, wv as tf.Tensor4D, c.stride, c.pad)
        .mul(r)
        .sum(),
    )(w);
    return g.dataSync() as Float32Array;
  });
}

describe('wasm conv filter gradient', () => {
  beforeAll(async () => {
    prepareWasmBackend(wasmDir);
    expect(await tf.setBackend('wasm')).toBe(true);
  });

  it.each(cases)('matches the cpu backend: $name', async (c) => {
    await tf.setBackend('cpu');
    const expected = filterGrad(c);
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const actual = filterGrad(c);
    expect(tf.memory().numTensors).toBe(before);
    let maxErr = 0;
    let maxAbs = 0;
    for (let i = 0; i < expected.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(actual[i] - expected[i]));
      maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
    }
    expect(maxAbs).toBeGreaterThan(0);
    expect(maxErr / maxAbs).toBeLessThan(1e-5);
  });
});
