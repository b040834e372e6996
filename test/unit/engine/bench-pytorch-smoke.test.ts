// Smoke test of the engine-against-PyTorch benchmark (scripts/bench/pytorch.ts): the engine's step on real CIFAR-10
// batches and the real worker's `bench` on one thread, for a tiny net; the ratio is what the two step times say, and
// no tensor is left behind. No speed is asserted: speeds are what the benchmark measures.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { benchPytorch } from '../../../scripts/bench/pytorch';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { tinyPytorchBench } from './helpers';

describe('engine against PyTorch benchmark', () => {
  it('times the same EP step in the engine and in the worker, and divides them', async () => {
    await useNodeBackend('wasm');
    const before = tf.memory().numTensors;
    const row = await benchPytorch(tinyPytorchBench(null));
    expect(tf.memory().numTensors).toBe(before);
    expect(row).toMatchObject({ model: 'conv2', width: 0.0625, batch: 8, engine: { backend: 'wasm' }, browser: null });
    expect(row.torch).toMatch(/^\d+\.\d+/);
    const [torch] = row.pytorch;
    expect(torch.threads).toBe(1);
    // two rounds of each, the best kept
    expect(row.engine.stepMsPerRound).toHaveLength(2);
    expect(row.engine.stepMs).toBe(Math.min(...row.engine.stepMsPerRound));
    expect(torch.stepMs).toBe(Math.min(...torch.stepMsPerRound));
    expect(Object.keys(torch.phasesMs).sort()).toEqual(['backward', 'forward', 'mask', 'optimiser', 'telemetry']);
    expect(torch.stepMs).toBeGreaterThan(0);
    // images/s is the batch over the step; the ratio is the engine's images/s over PyTorch's (both rounded)
    expect((torch.imagesPerSecond * torch.stepMs) / 8000).toBeCloseTo(1, 1);
    expect((torch.engineRatio * torch.imagesPerSecond) / row.engine.imagesPerSecond).toBeCloseTo(1, 1);
  }, 120_000);
});
