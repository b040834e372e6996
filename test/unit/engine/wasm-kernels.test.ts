// The added Conv2DBackpropFilter kernel for wasm against the cpu backend's own gradients, and the memory-sharing
// Identity.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { conv2dBackpropInput } from '../../../src/engine/wasm-kernels';

type Shape4 = [number, number, number, number];

interface Case {
  x: Shape4;
  w: Shape4;
  stride: number;
  pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
}

const cases: Case[] = [
  { x: [2, 8, 8, 3], w: [3, 3, 3, 4], stride: 1, pad: 'same' },
  { x: [2, 9, 9, 4], w: [3, 3, 4, 5], stride: 2, pad: 'same' },
  { x: [3, 8, 8, 4], w: [1, 1, 4, 6], stride: 2, pad: 'valid' },
  {
    x: [1, 7, 7, 2],
    w: [3, 3, 2, 3],
    stride: 1,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  },
  { x: [2, 6, 6, 3], w: [5, 5, 3, 2], stride: 1, pad: 'valid' },
  { x: [2, 8, 8, 4], w: [3, 3, 4, 4], stride: 2, pad: 'valid' },
  { x: [1, 10, 10, 2], w: [3, 3, 2, 3], stride: 3, pad: 'same' },
  // ResNet's downsampling conv: 3x3, stride 2, one pixel of padding on each side
  {
    x: [2, 8, 8, 3],
    w: [3, 3, 3, 4],
    stride: 2,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  },
  { x: [1, 12, 12, 2], w: [5, 5, 2, 3], stride: 3, pad: 'same' },
];

/** Gradients of sum(conv(x, w) * r) with respect to the filter and to the input. */
async function grads(backend: 'cpu' | 'wasm', c: Case, xs: Float32Array, ws: Float32Array, rs: Float32Array) {
  await useNodeBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(xs, c.x as [number, number, number, number]);
    const w = tf.tensor4d(ws, c.w as [number, number, number, number]);
    const f = (xt: tf.Tensor, wt: tf.Tensor) => {
      const y = tf.conv2d(xt as tf.Tensor4D, wt as tf.Tensor4D, c.stride, c.pad);
      return tf.sum(tf.mul(y, tf.tensor(rs.subarray(0, y.size), y.shape)));
    };
    const [dx, dw] = tf.grads(f)([x, w]);
    return { dw: dw.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array };
  });
}

function relErr(a: Float32Array, b: Float32Array): number {
  let err = 0;
  let scale = 0;
  a.forEach((v, i) => {
    err = Math.max(err, Math.abs(v - b[i]));
    scale = Math.max(scale, Math.abs(v));
  });
  expect(scale).toBeGreaterThan(0);
  return err / scale;
}

describe('wasm conv gradient kernels (added Conv2DBackpropFilter, faster Conv2DBackpropInput)', () => {
  it.each(cases)('match the cpu backend: x $x, w $w, stride $stride, pad $pad', async (c) => {
    const rand = (n: number, seed: number) =>
      Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 2);
    const xs = rand(
      c.x.reduce((a, b) => a * b),
      1,
    );
    const ws = rand(
      c.w.reduce((a, b) => a * b),
      2,
    );
    const rs = rand(4096, 3);
    const cpu = await grads('cpu', c, xs, ws, rs);
    const wasm = await grads('wasm', c, xs, ws, rs);
    expect(tf.getBackend()).toBe('wasm');
    expect(relErr(cpu.dw, wasm.dw)).toBeLessThan(1e-5);
    expect(relErr(cpu.dx, wasm.dx)).toBeLessThan(1e-5);
  });

  it('computes the input gradient by stride phases where the input is a multiple of the stride, else defers', async () => {
    await useNodeBackend('wasm');
    const phased = (c: Case) =>
      tf.tidy(() => {
        const y = tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.w) as tf.Tensor4D, c.stride, c.pad);
        const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x } as const;
        return conv2dBackpropInput(y, tf.zeros(c.w) as tf.Tensor4D, attrs as never) !== null;
      });
    expect(cases.map(phased)).toEqual([true, false, true, true, true, true, false, true, true]);
  });

  it('clones share memory (Identity) and keep their values when the original goes or a variable is reassigned', async () => {
    await useNodeBackend('wasm');
    const { numBytes, numDataBuffers } = tf.memory();
    const x = tf.tensor([1, 2, 3]);
    const copy = tf.clone(x);
    expect(tf.memory().numDataBuffers).toBe(numDataBuffers + 1);
    x.dispose();
    expect(await copy.data()).toEqual(new Float32Array([1, 2, 3]));
    const [first, second] = [tf.tensor([4, 5]), tf.tensor([6, 7])];
    const v = tf.variable(first);
    const saved = tf.clone(v);
    v.assign(second);
    expect(await saved.data()).toEqual(new Float32Array([4, 5]));
    expect(await v.data()).toEqual(new Float32Array([6, 7]));
    tf.dispose([copy, saved, v, first, second]);
    expect(tf.memory()).toMatchObject({ numBytes, numDataBuffers });
  });

  it('leaks no tensors', async () => {
    await useNodeBackend('wasm');
    const x = tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4]);
    const f = (xt: tf.Tensor, wt: tf.Tensor) => tf.sum(tf.conv2d(xt as tf.Tensor4D, wt as tf.Tensor4D, 2, 'same'));
    tf.grads(f)([x, w]).forEach((g) => g.dispose());
    const before = tf.memory();
    for (let i = 0; i < 10; i++) tf.grads(f)([x, w]).forEach((g) => g.dispose());
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    x.dispose();
    w.dispose();
  });
});
