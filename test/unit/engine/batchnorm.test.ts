// Affine-free BatchNorm as PyTorch's: training normalises with the batch's statistics and updates the running ones
// (momentum 0.1, unbiased variance); evaluation normalises with the running statistics. Checked against a hand
// computation in double precision on real CIFAR-10 images.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalBatch } from '../../../src/data/batches';
import { BatchNorm } from '../../../src/engine/batchnorm';
import { Comparison } from '../../../src/engine/comparison';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { NUMERIC_BACKENDS } from './backends';
import { cifar, tinyConfig } from './helpers';

const EPS = 1e-5;
const data = cifar(64, 32);

/**
 * Images first..first+n-1 as NHWC floats, channel c scaled by scale[c]: the small scales make a channel's variance
 * (1e-6) far below eps, so a wrong eps shows.
 */
function images(first: number, n: number, scale = [1, 0.1, 0.001]): { values: Float32Array; tensor: tf.Tensor4D } {
  const b = evalBatch(data.train, first, n);
  const values = (b.x.dataSync() as Float32Array).map((v, i) => v * scale[i % 3]);
  tf.dispose([b.x, b.y]);
  return { values, tensor: tf.tensor4d(values, [n, 32, 32, 3]) };
}

/** Per channel of NHWC (or NC) values: the mean and the biased variance, in double precision. */
function moments(values: Float32Array, channels: number): { mean: number[]; variance: number[] } {
  const n = values.length / channels;
  const mean = Array.from({ length: channels }, () => 0);
  const variance = Array.from({ length: channels }, () => 0);
  values.forEach((v, i) => (mean[i % channels] += v / n));
  values.forEach((v, i) => (variance[i % channels] += (v - mean[i % channels]) ** 2 / n));
  return { mean, variance };
}

/** (x - mean) / sqrt(variance + eps) per channel. */
function normalised(values: Float32Array, mean: number[], variance: number[]): Float64Array {
  const c = mean.length;
  return Float64Array.from(values, (v, i) => (v - mean[i % c]) / Math.sqrt(variance[i % c] + EPS));
}

function maxError(got: ArrayLike<number>, expected: ArrayLike<number>): number {
  let err = 0;
  for (let i = 0; i < expected.length; i++) err = Math.max(err, Math.abs(got[i] - expected[i]));
  return err;
}

describe('BatchNorm, affine-free', () => {
  beforeAll(() => useNodeBackend('wasm'));
  afterAll(() => tf.disposeVariables());

  it('training normalises with the batch statistics (biased variance, eps 1e-5), NHWC and NC', () => {
    const bn = new BatchNorm('bn', 3);
    const x = images(0, 8);
    const { mean, variance } = moments(x.values, 3);
    const y = bn.apply(x.tensor, true);
    expect(maxError(y.dataSync(), normalised(x.values, mean, variance))).toBeLessThan(2e-4);
    // A linear layer's output [N, C]: statistics over the batch only.
    const flat = Float32Array.from({ length: 5 * 4 }, (_, i) => x.values[i * 97] * (1 + (i % 4)));
    const m2 = moments(flat, 4);
    const y2 = new BatchNorm('bn2', 4).apply(tf.tensor2d(flat, [5, 4]), true);
    expect(maxError(y2.dataSync(), normalised(flat, m2.mean, m2.variance))).toBeLessThan(2e-4);
    tf.dispose([x.tensor, y, y2]);
    bn.dispose();
  });

  it('after three training batches, evaluation normalises with the running mean and unbiased running variance', async () => {
    const bn = new BatchNorm('bn', 3);
    // PyTorch's update, by hand: r = 0.9 r + 0.1 b, with the batch's unbiased variance; from mean 0, variance 1.
    // Batches of two 3x3 crops: n = 18 values per channel, so unbiased (x 18/17) and biased differ clearly.
    const mean = [0, 0, 0];
    const variance = [1, 1, 1];
    for (const first of [0, 8, 16]) {
      const full = images(first, 2);
      const x = tf.slice(full.tensor, [0, 12, 12, 0], [2, 3, 3, 3]);
      const b = moments(x.dataSync() as Float32Array, 3);
      for (let c = 0; c < 3; c++) {
        mean[c] = 0.9 * mean[c] + 0.1 * b.mean[c];
        variance[c] = 0.9 * variance[c] + 0.1 * b.variance[c] * (18 / 17);
      }
      tf.dispose([full.tensor, x, bn.apply(x, true)]);
    }
    const runningMean = await bn.runningMean.data();
    const runningVar = await bn.runningVar.data();
    for (let c = 0; c < 3; c++) {
      expect(runningMean[c] / mean[c]).toBeCloseTo(1, 4);
      expect(runningVar[c] / variance[c]).toBeCloseTo(1, 4);
    }
    // Evaluation: the running statistics, untouched by it, and each image normalised on its own.
    const test = images(40, 4);
    const y = bn.apply(test.tensor, false);
    expect(maxError(y.dataSync(), normalised(test.values, mean, variance))).toBeLessThan(1e-4);
    const alone = bn.apply(tf.slice(test.tensor, [0, 0, 0, 0], [1, 32, 32, 3]), false);
    expect(alone.dataSync()).toEqual(y.dataSync().subarray(0, 3072));
    expect(await bn.runningMean.data()).toEqual(runningMean);
    expect(await bn.runningVar.data()).toEqual(runningVar);
    tf.dispose([test.tensor, y, alone]);
    bn.dispose();
  });

  it.each(NUMERIC_BACKENDS)(
    'training gradient (closed form) equals differentiating the formula op by op on cpu, NHWC and NC, on %s',
    async (backend) => {
      const x = images(0, 4);
      const flat = Float32Array.from({ length: 6 * 5 }, (_, i) => x.values[i * 31] * (1 + (i % 5)));
      x.tensor.dispose();
      const cases: [Float32Array, number[]][] = [
        [x.values, [4, 32, 32, 3]],
        [flat, [6, 5]],
      ];
      for (const [values, shape] of cases) {
        const weights = Float32Array.from(values, (_, i) => Math.sin(i * 0.37));
        // Read asynchronously: WebGPU in Node has no synchronous read.
        const grad = async (f: (t: tf.Tensor) => tf.Tensor) => {
          const g = tf.tidy(() =>
            tf.grad((t) => tf.sum(tf.mul(f(t), tf.tensor(weights, shape))))(tf.tensor(values, shape)),
          );
          const read = (await g.data()) as Float32Array;
          g.dispose();
          return read;
        };
        await useNodeBackend('cpu');
        const axes = shape.length === 4 ? [0, 1, 2] : [0];
        const expected = await grad((t) => {
          const { mean, variance } = tf.moments(t, axes);
          return tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, EPS)));
        });
        await useNodeBackend(backend);
        const bn = new BatchNorm('bn', shape[shape.length - 1]);
        const got = await grad((t) => bn.apply(t, true));
        bn.dispose();
        const scale = Math.max(...expected.map(Math.abs));
        expect(scale).toBeGreaterThan(0);
        expect(maxError(got, expected) / scale).toBeLessThan(1e-4);
      }
      await useNodeBackend('wasm');
    },
  );

  it("a search's evaluation uses the running statistics: batching does not change it, and it updates none", async () => {
    const c = new Comparison(tinyConfig({ model: 'resnet20', batchSize: 8 }), data, { snapshots: false });
    const run = c.runs.ep;
    for (let t = 0; t < 3; t++) {
      const b = evalBatch(data.train, 8 * t, 8);
      run.step(b);
      tf.dispose([b.x, b.y]);
    }
    const stats = async () => (await run.snapshot()).norms;
    const before = await stats();
    const whole = await run.evaluate([evalBatch(data.test, 0, 32)], 'final');
    const split = await run.evaluate([evalBatch(data.test, 0, 4), evalBatch(data.test, 4, 28)], 'final');
    expect(split.testLoss).toBeCloseTo(whole.testLoss, 5);
    expect(split.testAccuracy).toBe(whole.testAccuracy);
    expect(await stats()).toEqual(before);
    c.dispose();
  });
});
