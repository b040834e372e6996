// IteRand: every K_per steps exactly floor(lambda * pruned) of each layer's pruned weights are re-drawn, seeded, and
// nothing else about the weights moves; the searches' frozen weights stay frozen. The expected re-draws are
// recomputed here from the documented streams in plain JS (priorities, signed Kaiming constants, top-k by sort).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchOrder, stepOn } from '../../../src/engine/data';
import { IteRandSearch, type IteRandSettings } from '../../../src/engine/iterand';
import { buildModel } from '../../../src/engine/models';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { makePlan } from '../../../src/engine/schedule';
import { Search } from '../../../src/engine/search';
import { findRun, type LocalConfig } from '../../../src/protocol/config';
import { cifar, tinyConfig } from './helpers';
import { drawInTfLayout, keptOf, topByMagnitude } from './observe';

const data = cifar(64, 16);
const K_PER = 4;
const LAMBDA = 0.1;

function iterand(config: LocalConfig, settings: IteRandSettings = { kPer: K_PER, lambda: LAMBDA }) {
  const model = buildModel(config.model, config.width, config.seed);
  // IteRand's plan is EP's: one cycle at the target rate over EP's budget.
  return new IteRandSearch(config, model, makePlan(config, findRun(config, 'ep'), data.train.count), settings);
}

function weightsOf(run: Search): Float32Array[] {
  return run.model.layers.map((l) => Float32Array.from(l.weights.dataSync()));
}

/** Flat indices where two arrays differ. */
function changed(a: Float32Array, b: Float32Array): number[] {
  return Array.from(a.keys()).filter((i) => a[i] !== b[i]);
}

/** The documented re-draw of boundary b, here: the `count` pruned edges of highest priority get draw b's weight. */
function expectedRedraw(seed: number, name: string, shape: number[], b: number, pruned: Float32Array, count: number) {
  const priority = drawInTfLayout(seed, `iterand/${name}/${b}`, shape, (u) => u);
  const c = Math.sqrt(2 / shape.slice(1).reduce((x, y) => x * y, 1));
  const fresh = drawInTfLayout(seed, `weights/${name}/draw${b}`, shape, (u) => (u < 0.5 ? -c : c));
  return { chosen: topByMagnitude(priority, count, pruned), fresh };
}

describe('IteRand', () => {
  beforeAll(() => useNodeBackend('wasm'));
  afterAll(() => tf.disposeVariables());

  it('re-draws exactly floor(lambda * pruned) pruned weights per layer at each K_per boundary, nothing between', async () => {
    const config = tinyConfig({ batchSize: 4, epochs: 1 });
    const run = iterand(config);
    const order = new BatchOrder(data.train, config.seed, config.batchSize);
    const p = config.targetPruningRate;
    let boundaries = 0;
    for (let t = 0; t < 13; t++) {
      const before = weightsOf(run);
      // The mask step t searches with, from the scores it starts from.
      const masks = await run.masks(p);
      stepOn(order, run);
      const after = weightsOf(run);
      run.model.layers.forEach((l, i) => {
        const moved = changed(before[i], after[i]);
        if (t === 0 || t % K_PER !== 0) {
          expect(moved, `${l.name} at step ${t}`).toEqual([]);
          return;
        }
        const pruned = masks[i].map((m) => 1 - m);
        const count = Math.floor(LAMBDA * (l.edges - keptOf(l.edges, p)));
        const { chosen, fresh } = expectedRedraw(config.seed, l.name, l.shape, t / K_PER, pruned, count);
        const expected = before[i].map((w, j) => (chosen[j] === 1 ? fresh[j] : w));
        expect(count).toBeGreaterThan(0);
        expect(chosen.reduce((a, x) => a + x, 0)).toBe(count);
        expect(after[i]).toEqual(expected);
        // Only pruned weights move; a +-c re-draw lands on the old value half the time, so some chosen stay put.
        expect(moved.every((j) => masks[i][j] === 0 && chosen[j] === 1)).toBe(true);
        expect(moved.length).toBeGreaterThan(0);
        expect(moved.length).toBeLessThanOrEqual(count);
      });
      if (t > 0 && t % K_PER === 0) boundaries++;
    }
    expect(boundaries).toBe(3);
    run.dispose();
  });

  it('is seeded: the same seed re-draws the same weights, another seed others', async () => {
    const redrawn = (seed: number) => {
      const config = tinyConfig({ batchSize: 4, seed });
      const run = iterand(config);
      const order = new BatchOrder(data.train, seed, config.batchSize);
      for (let t = 0; t < K_PER; t++) stepOn(order, run);
      const before = weightsOf(run);
      stepOn(order, run);
      const moved = weightsOf(run).map((w, i) => changed(before[i], w));
      run.dispose();
      return moved;
    };
    const a = redrawn(1);
    expect(redrawn(1)).toEqual(a);
    expect(redrawn(2)).not.toEqual(a);
  });

  it("EP's and iEP's weights stay frozen over the same steps", async () => {
    const config = tinyConfig({ batchSize: 4, epochs: 1, iep: { cycles: 2 } });
    const order = new BatchOrder(data.train, config.seed, config.batchSize);
    for (const kind of ['ep', 'iep'] as const) {
      const model = buildModel(config.model, config.width, config.seed);
      const run = findRun(config, kind);
      const search = new Search(config, run, model, makePlan(config, run, data.train.count));
      const before = weightsOf(search);
      for (let t = 0; t < 3 * K_PER; t++) stepOn(order, search);
      expect(weightsOf(search)).toEqual(before);
      search.dispose();
    }
  });

  it('a restored snapshot (weights included) continues bit-identically across a boundary', async () => {
    const config = tinyConfig({ batchSize: 4 });
    const order = new BatchOrder(data.train, config.seed, config.batchSize);
    const straight = iterand(config);
    for (let t = 0; t < 3 * K_PER; t++) stepOn(order, straight);
    const first = iterand(config);
    for (let t = 0; t < K_PER + 1; t++) stepOn(order, first);
    const snapshot = await first.snapshot();
    first.dispose();
    const resumed = iterand(config);
    expect(() => resumed.restore({ ...snapshot, weights: [] })).toThrow(/weights of every layer/);
    resumed.restore(snapshot);
    while (resumed.stepsDone < 3 * K_PER) stepOn(order, resumed);
    expect(weightsOf(resumed)).toEqual(weightsOf(straight));
    expect(resumed.model.layers.map((l) => Array.from(l.scores.dataSync()))).toEqual(
      straight.model.layers.map((l) => Array.from(l.scores.dataSync())),
    );
    straight.dispose();
    resumed.dispose();
  });

  it('rejects bad settings with a clear error', () => {
    const config = tinyConfig();
    expect(() => iterand(config, { kPer: 0, lambda: 0.1 })).toThrow(/K_per/);
    expect(() => iterand(config, { kPer: 300, lambda: 1.5 })).toThrow(/lambda/);
  });
});
