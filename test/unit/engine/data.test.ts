// Which batch each step trains on: step t's batch depends only on (seed, t), and both runs of a comparison get the
// same batches, the short last batch of an epoch included (PyTorch's drop_last=False).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchArrays } from '../../../src/data/batches';
import { Comparison } from '../../../src/engine/comparison';
import { BatchOrder } from '../../../src/engine/data';
import { useNodeBackend } from '../../../src/engine/node-backend';
import type { RunTrainer } from '../../../src/engine/comparison';
import type { Batch } from '../../../src/engine/search';
import type { RunId } from '../../../src/protocol/config';
import { deriveSeed, mulberry32, permutation } from '../../../src/util/random';
import { cifar, fourRunConfig, tinyConfig } from './helpers';
import { firstDifference } from './observe';

interface BatchSeen {
  x: Float32Array;
  y: number[];
}

/** Records the batch every step() of `run` is handed. */
function watchBatches(run: RunTrainer): BatchSeen[] {
  const seen: BatchSeen[] = [];
  const step = run.step.bind(run);
  run.step = (batch: Batch) => {
    seen.push({ x: Float32Array.from(batch.x.dataSync()), y: Array.from(batch.y.dataSync()) });
    step(batch);
  };
  return seen;
}

/**
 * Step t's batch by the documented rule: epoch e = floor(t / steps per epoch) has the permutation drawn from
 * deriveSeed(deriveSeed(seed, 'data/order'), 'epoch/e'); the step takes its slice of it (the last one shorter) and
 * augments it from deriveSeed(seed, 'data/augment/t').
 */
function expectedBatch(train: ReturnType<typeof cifar>['train'], seed: number, size: number, t: number) {
  const perEpoch = Math.ceil(train.count / size);
  const epoch = Math.floor(t / perEpoch);
  const order = permutation(train.count, mulberry32(deriveSeed(deriveSeed(seed, 'data/order'), `epoch/${epoch}`)));
  const b = t % perEpoch;
  const indices = order.slice(b * size, Math.min(train.count, (b + 1) * size));
  const { x, y } = batchArrays(train, indices, mulberry32(deriveSeed(seed, `data/augment/${t}`)));
  return { indices, x, y: Array.from(y) };
}

describe('batches', () => {
  beforeAll(() => useNodeBackend('wasm'));
  afterAll(() => tf.disposeVariables());
  // 20 images in batches of 8: every epoch is 8 + 8 + 4.
  const data = cifar(20, 8);

  it("EP and iEP get the same batch at every step, each step's from (seed, t), the short last one included", async () => {
    // Full cycles: EP's 3 steps, iEP's 2 cycles of 3, so iEP goes on alone into its second epoch.
    const config = tinyConfig({ batchSize: 8, epochs: 1, budget: 'full-cycles', iep: { cycles: 2 } });
    const c = new Comparison(config, data, { snapshots: false });
    const seen: Record<RunId, BatchSeen[]> = { ep: watchBatches(c.runs.ep), iep: watchBatches(c.runs.iep) };
    while (!c.done) await c.stepOnce();
    expect([seen.ep.length, seen.iep.length]).toEqual([3, 6]);
    seen.iep.forEach((got, t) => {
      const expected = expectedBatch(data.train, config.seed, 8, t);
      expect(got.y.length).toBe(t % 3 === 2 ? 4 : 8);
      expect(got.y).toEqual(expected.y);
      expect(firstDifference(got.x, expected.x)).toBeNull();
      if (t < 3) {
        expect(seen.ep[t].y).toEqual(got.y);
        expect(firstDifference(seen.ep[t].x, got.x)).toBeNull();
      }
    });
    // Each epoch trains on every image once, in a new order.
    const epochs = [0, 3].map((t0) =>
      [0, 1, 2].flatMap((b) => Array.from(expectedBatch(data.train, config.seed, 8, t0 + b).indices)),
    );
    epochs.forEach((e) => expect([...e].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i)));
    expect(epochs[0]).not.toEqual(epochs[1]);
    c.dispose();
  });

  it('all four methods (EP, iEP, dense, IteRand) of one comparison train on the same batch at every step', async () => {
    // 2 epochs of 8 + 8 + 4: six steps each, across an epoch boundary and an IteRand re-draw (K_per = 2).
    const config = fourRunConfig({ batchSize: 8, epochs: 2, iep: { cycles: 3 } }, { kPer: 2, lambda: 0.5 });
    const c = new Comparison(config, data, { snapshots: false });
    const ids = ['ep', 'iep', 'dense', 'iterand'];
    expect(c.list.map((r) => r.run)).toEqual(ids);
    const seen = Object.fromEntries(ids.map((id) => [id, watchBatches(c.runs[id])]));
    while (!c.done) await c.stepOnce();
    for (const id of ids) {
      expect(seen[id].length, id).toBe(6);
      seen[id].forEach((got, t) => {
        const expected = expectedBatch(data.train, config.seed, 8, t);
        expect(got.y, `${id} step ${t}`).toEqual(expected.y);
        expect(firstDifference(got.x, expected.x), `${id} step ${t}`).toBeNull();
      });
    }
    c.dispose();
  });

  it('a batch depends only on (seed, t): asked in any order, or by a fresh order, it is the same', () => {
    const read = (order: BatchOrder, t: number) => {
      const b = order.batch(t);
      const out = { x: Float32Array.from(b.x.dataSync()), y: Array.from(b.y.dataSync()) };
      tf.dispose([b.x, b.y]);
      return out;
    };
    const forward = new BatchOrder(data.train, 5, 8);
    const inOrder = [0, 1, 2, 3, 4, 5, 6].map((t) => read(forward, t));
    const shuffled = new BatchOrder(data.train, 5, 8);
    for (const t of [6, 2, 5, 0, 3, 1, 4, 2]) {
      const got = read(shuffled, t);
      expect(got.y).toEqual(inOrder[t].y);
      expect(firstDifference(got.x, inOrder[t].x)).toBeNull();
      expect(got.y).toEqual(expectedBatch(data.train, 5, 8, t).y);
    }
    expect(firstDifference(read(new BatchOrder(data.train, 6, 8), 0).x, inOrder[0].x)).not.toBeNull();
  });
});
