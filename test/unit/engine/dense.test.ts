// The dense baseline: Kaiming-normal weights that train (with BatchNorm's scale and shift), a loss that falls on real
// CIFAR-10, no leaked tensors, and the very batches an EP run of the same seed trains on.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Comparison } from '../../../src/engine/comparison';
import { BatchOrder, stepOn, testBatches } from '../../../src/engine/data';
import { DenseRun } from '../../../src/engine/dense';
import { useNodeBackend } from '../../../src/engine/node-backend';
import type { StepReport } from '../../../src/protocol/report';
import { cifar, tinyConfig } from './helpers';
import { watchSteps } from './observe';

const data = cifar(64, 32);

function values(vars: (tf.Variable | null)[]): Float32Array[] {
  return vars.map((v) => Float32Array.from(v!.dataSync()));
}

describe('dense baseline', () => {
  beforeAll(() => useNodeBackend('wasm'));
  afterAll(() => tf.disposeVariables());

  it('starts from seeded Kaiming-normal weights, N(0, 2 / fan_in)', () => {
    const a = new DenseRun(tinyConfig({ width: 0.25 }), data.train.count);
    const b = new DenseRun(tinyConfig({ width: 0.25 }), data.train.count);
    const other = new DenseRun(tinyConfig({ width: 0.25, seed: 2 }), data.train.count);
    expect(values(b.weights)).toEqual(values(a.weights));
    expect(values(other.weights)).not.toEqual(values(a.weights));
    // fc1 of Conv-2 at width 1/4: 4096 inputs x 64 outputs, enough draws for the moments to be within 2%.
    const i = a.model.layers.findIndex((l) => l.name === 'fc1');
    const w = values(a.weights)[i];
    const mean = w.reduce((s, x) => s + x, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, x) => s + (x - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.02 * std);
    expect(std / Math.sqrt(2 / a.model.layers[i].shape[1])).toBeCloseTo(1, 1);
    [a, b, other].forEach((r) => r.dispose());
  });

  it("trains the weights and BatchNorm's scale and shift; evaluation uses the running statistics (ResNet-20)", async () => {
    const config = tinyConfig({ model: 'resnet20', width: 0.25, batchSize: 16 });
    const run = new DenseRun(config, data.train.count);
    const scales = run.model.norms.map((n) => n.scale);
    const shifts = run.model.norms.map((n) => n.shift);
    const [w0, g0, b0] = [values(run.weights), values(scales), values(shifts)];
    const order = new BatchOrder(data.train, config.seed, config.batchSize);
    for (let t = 0; t < 3; t++) stepOn(order, run);
    const moved = (before: Float32Array[], after: Float32Array[]) =>
      after.every((a, i) => a.some((x, j) => x !== before[i][j]));
    expect(moved(w0, values(run.weights))).toBe(true);
    expect(moved(g0, values(scales))).toBe(true);
    expect(moved(b0, values(shifts))).toBe(true);
    // Training moved the running statistics away from their start (mean 0), so evaluation has its own to use.
    const running = values(run.model.norms.map((n) => n.runningMean));
    expect(running.every((m) => m.some((x) => x !== 0))).toBe(true);
    const first = await run.evaluate(testBatches(data.test, 32), 'epoch');
    const again = await run.evaluate(testBatches(data.test, 32), 'epoch');
    // Evaluation neither updates the running statistics nor depends on the batch it sees beyond its own images.
    expect(values(run.model.norms.map((n) => n.runningMean))).toEqual(running);
    expect(again).toEqual(first);
    const single = await run.evaluate(testBatches(data.test, 32, 1), 'epoch');
    expect(single.testAccuracy).toBeCloseTo(first.testAccuracy, 6);
    expect(single.testLoss).toBeCloseTo(first.testLoss, 4);
    run.dispose();
  });

  it('its loss falls on real CIFAR-10 (Conv-2, 2,000 images, 2 epochs)', async () => {
    const real = cifar(2000, 500);
    const config = tinyConfig({ width: 0.25, batchSize: 32, epochs: 2, learningRate: 0.01 });
    const run = new DenseRun(config, real.train.count);
    expect(run.plan.totalSteps).toBe(126);
    const order = new BatchOrder(real.train, config.seed, config.batchSize);
    const reports: StepReport[] = [];
    while (!run.done) {
      stepOn(order, run);
      if (run.stepsDone % 21 === 0) reports.push(await run.report());
    }
    expect(reports.map((r) => r.step)).toEqual([21, 42, 63, 84, 105, 126]);
    const first = reports[0];
    const last = reports[reports.length - 1];
    expect(last.loss).toBeLessThan(first.loss - 0.2);
    expect(last.trainAccuracy).toBeGreaterThan(first.trainAccuracy);
    const evaluation = await run.evaluate(testBatches(real.test, 500), 'final');
    expect(evaluation.testAccuracy).toBeGreaterThan(0.2);
    expect(evaluation.testLoss).toBeLessThan(2.3);
    run.dispose();
  });

  it('keeps the tensor count flat over 40 steps with reports and evaluations (ResNet-20)', async () => {
    const atStart = tf.memory().numTensors;
    const config = tinyConfig({ model: 'resnet20', width: 0.125, batchSize: 8, epochs: 8 });
    const run = new DenseRun(config, data.train.count);
    const order = new BatchOrder(data.train, config.seed, config.batchSize);
    const counts: number[] = [];
    for (let t = 1; t <= 40; t++) {
      stepOn(order, run);
      if (t % 10 === 0) {
        await run.report();
        await run.evaluate(testBatches(data.test, 32), 'epoch');
        counts.push(tf.memory().numTensors);
      }
    }
    expect(new Set(counts).size).toBe(1);
    run.dispose();
    expect(tf.memory().numTensors).toBe(atStart);
  });

  it('trains on the same batches as an EP run of the same seed, across an epoch boundary', async () => {
    const config = tinyConfig({ batchSize: 8, epochs: 2, seed: 7 });
    const c = new Comparison(config, data, { snapshots: false });
    const ep = watchSteps(c.runs.ep);
    const dense = new DenseRun(config, data.train.count);
    const seen: Float32Array[] = [];
    const forward = dense.model.forward;
    dense.model.forward = (x, weightOf, training) => {
      if (training) seen.push(Float32Array.from(x.dataSync()));
      return forward(x, weightOf, training);
    };
    const order = new BatchOrder(data.train, config.seed, config.batchSize);
    for (let t = 0; t < 12; t++) {
      await c.stepOnce();
      stepOn(order, dense);
    }
    expect(seen.length).toBe(12);
    expect(seen).toEqual(ep.steps.map((s) => s.x));
    // Epochs differ (another permutation), so equal batches are no accident of a constant order.
    expect(seen[8]).not.toEqual(seen[0]);
    dense.dispose();
    c.dispose();
  });
});
