// The optimiser as a step applies it, checked against a hand-computed update: SGD with momentum 0.9 on the scores in
// PyTorch's form v = mu v + (g + wd s), s = s - lr v, the gradient g computed here, weight decay per model.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Comparison } from '../../../src/engine/comparison';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { cifar, searchOf, tinyConfig } from './helpers';
import {
  cosine,
  fitScale,
  keptOf,
  minus,
  observeStep,
  relativeError,
  scoreGradient,
  topByMagnitude,
  watchSteps,
  type ObservedStep,
} from './observe';
import type { Search } from '../../../src/engine/search';

const P_T = 0.832;

/** g of an observed step, with the masks computed here from the scores it ranked at rate p. */
function gradientOf(run: Search, forward: Parameters<typeof scoreGradient>[1], o: ObservedStep, p: number) {
  const masks = run.model.layers.map((l, i) => topByMagnitude(o.seen.scores[i], keptOf(l.edges, p)));
  return scoreGradient(run.model, forward, o.seen.x, o.labels, o.seen.scores, masks);
}

describe('one step of search updates the scores by SGD with momentum', () => {
  beforeAll(() => useNodeBackend('wasm'));
  afterAll(() => tf.disposeVariables());
  const data = cifar(64, 16);

  it('two EP steps match v = 0.9 v + (g + 1e-4 s), s = s - lr v with the cosine lr of each step (Conv-2)', async () => {
    // 64 images, batch 8, 1 epoch: EP runs 8 steps, lr(t) = 0.1 (1 + cos(pi t / 8)) / 2.
    const c = new Comparison(tinyConfig({ batchSize: 8, epochs: 1 }), data, { snapshots: false });
    const run = searchOf(c, 'ep');
    const watch = watchSteps(run);
    for (let t = 0; t < 2; t++) {
      const o = await observeStep(run, watch, data.train, 8 * t, 8);
      // Nothing but the step touches the scores: it ranked the scores it started from.
      expect(o.seen.scores).toEqual(o.before.scores);
      const g = gradientOf(run, watch.forward, o, P_T);
      const v = o.before.momentum.map((m, l) => m.map((mi, i) => 0.9 * mi + g[l][i] + 1e-4 * o.seen.scores[l][i]));
      expect(relativeError(o.after.momentum, v)).toBeLessThan(1e-5);
      const lr = cosine(0.1, t, 8);
      const update = v.map((vl) => vl.map((vi) => lr * vi));
      expect(relativeError(minus(o.seen.scores, o.after.scores), update)).toBeLessThan(1e-4);
      // The same update, as the three numbers it is made of.
      expect(fitScale(minus(o.seen.scores, o.after.scores), o.after.momentum)).toBeCloseTo(lr, 5);
      const decayed = minus(o.after.momentum, g);
      if (t > 0) expect(fitScale(minus(decayed, o.seen.scores, 1e-4), o.before.momentum)).toBeCloseTo(0.9, 4);
      expect(fitScale(minus(decayed, o.before.momentum, 0.9), o.seen.scores)).toBeCloseTo(1e-4, 7);
    }
    c.dispose();
  });

  it.each([
    ['Conv-2, default', { model: 'conv2' }, 1e-4],
    ['ResNet-20, default', { model: 'resnet20' }, 5e-4],
    ['Conv-2, set in the config', { model: 'conv2', weightDecay: 3e-3 }, 3e-3],
  ] as const)('weight decay on the scores: %s', async (_name, overrides, wd) => {
    const c = new Comparison(tinyConfig({ batchSize: 8, ...overrides }), data, { snapshots: false });
    const run = searchOf(c, 'ep');
    const watch = watchSteps(run);
    // The first step starts from zero momentum: v = g + wd s.
    const o = await observeStep(run, watch, data.train, 0, 8);
    const g = gradientOf(run, watch.forward, o, P_T);
    // Within 1%: BatchNorm's gradient amplifies the rounding differences between this loss and the engine's.
    const fitted = fitScale(minus(o.after.momentum, g), o.seen.scores);
    expect(Math.abs(fitted / wd - 1)).toBeLessThan(0.01);
    c.dispose();
  });
});
