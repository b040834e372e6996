// Budgets, pruning-rate schedules and learning-rate rewinds, as plans and as the searches actually run them.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Comparison } from '../../../src/engine/comparison';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { epTotalSteps, learningRateAt, makePlan } from '../../../src/engine/schedule';
import { findRun, type IepConfig, type IepRun, type RunId } from '../../../src/protocol/config';
import { cifar, searchOf, tinyConfig, type TinyOverrides } from './helpers';
import {
  cosine,
  drawScores,
  firstDifference,
  evenStarts,
  fitScale,
  keptOf,
  minus,
  nonzeros,
  observeStep,
  scheduleRate,
  scoreGradient,
  topByMagnitude,
  watchSteps,
} from './observe';

/** The plan of run `id` of the config (the default runs are 'ep' and 'iep'). */
const planOf = (overrides: TinyOverrides, id: RunId, trainCount: number) => {
  const config = tinyConfig(overrides);
  return makePlan(config, findRun(config, id), trainCount);
};

describe('plans', () => {
  it('EP: ceil(images / batch) x epochs steps, one cycle at the target rate', () => {
    const c = tinyConfig({ batchSize: 128, epochs: 3 });
    expect(epTotalSteps(c, 1000)).toBe(8 * 3);
    const plan = makePlan(c, findRun(c, 'ep'), 1000);
    expect(plan.cycles).toEqual([{ index: 1, start: 0, length: 24, p: 0.832 }]);
  });

  it('default iEP: 8 geometric cycles p_c = 1 - 0.8^c, equal compute split evenly', () => {
    const plan = planOf({ batchSize: 10, epochs: 1 }, 'iep', 1000);
    expect(plan.totalSteps).toBe(100);
    // p_c = 1 - (1 - p_T)^(c/8) with p_T = 0.832 (the default), within 3e-4 of the classic 1 - 0.8^c.
    plan.cycles.forEach((c) => {
      expect(c.p).toBeCloseTo(1 - Math.pow(0.168, c.index / 8), 12);
      expect(Math.abs(c.p - (1 - Math.pow(0.8, c.index)))).toBeLessThan(3e-4);
    });
    expect(plan.cycles[7].p).toBe(0.832);
    expect(plan.cycles.map((c) => c.start)).toEqual([0, 13, 25, 38, 50, 63, 75, 88]);
    expect(plan.cycles.reduce((a, c) => a + c.length, 0)).toBe(100);
  });

  it('full-cycles: every cycle as long as the EP run', () => {
    const plan = planOf({ batchSize: 10, epochs: 1, budget: 'full-cycles' }, 'iep', 100);
    expect(plan.totalSteps).toBe(80);
    expect(plan.cycles.every((c) => c.length === 10)).toBe(true);
  });

  it('linear, one-shot and custom schedules', () => {
    const base = { batchSize: 10, epochs: 1, targetPruningRate: 0.8 };
    const lin = planOf({ ...base, iep: { cycles: 4, schedule: 'linear' } }, 'iep', 100);
    expect(lin.cycles.map((c) => c.p)).toEqual([0.2, 0.4, expect.closeTo(0.6, 12), 0.8]);
    const one = planOf({ ...base, iep: { cycles: 3, schedule: 'one-shot' } }, 'iep', 100);
    expect(one.cycles.map((c) => c.p)).toEqual([0.8, 0.8, 0.8]);
    const points = [
      { step: 0, p: 0.3 },
      { step: 2, p: 0.5 },
      { step: 7, p: 0.8 },
    ];
    const custom = planOf({ ...base, iep: { cycles: 3, schedule: 'custom', points } }, 'iep', 100);
    expect(custom.cycles.map((c) => [c.start, c.length, c.p])).toEqual([
      [0, 2, 0.3],
      [2, 5, 0.5],
      [7, 3, 0.8],
    ]);
    const late = () =>
      planOf(
        { ...base, iep: { cycles: 2, schedule: 'custom', points: [points[0], { step: 10, p: 0.8 }] } },
        'iep',
        100,
      );
    expect(late).toThrow(/run's total of 10 steps/);
    expect(late).toThrow(expect.objectContaining({ field: 'runs[1].iep.points[1].step' }));
  });

  it('cosine LR restarts at every cycle start; without rewind one cosine spans the whole run', () => {
    const plan = planOf({ batchSize: 10, epochs: 1 }, 'iep', 160);
    for (const c of plan.cycles) {
      expect(learningRateAt(plan, c.start)).toBe(0.1);
      const mid = learningRateAt(plan, c.start + c.length / 2);
      expect(mid).toBeCloseTo(0.05, 10);
      for (let t = c.start + 1; t < c.start + c.length; t++)
        expect(learningRateAt(plan, t)).toBeLessThan(learningRateAt(plan, t - 1));
    }
    const flat = planOf({ batchSize: 10, epochs: 1, iep: { lrRewind: false } }, 'iep', 160);
    for (let t = 1; t < 16; t++) expect(learningRateAt(flat, t)).toBeLessThan(learningRateAt(flat, t - 1));
    expect(learningRateAt(flat, 8)).toBeCloseTo(0.05, 10);
  });
});

const P_T = 0.832;
/** 64 images, batch 8, 2 epochs. */
const T = 16;

/** Cycle starts and rates by the documented rules (docs/engine.md §3), never by the engine's schedule functions. */
function expectedCycles(kind: RunId, iep: IepConfig): { starts: number[]; rates: number[] } {
  if (kind === 'ep') return { starts: [0], rates: [P_T] };
  if (iep.schedule === 'custom') {
    const points = iep.points ?? [];
    return { starts: points.map((pt) => pt.step), rates: points.map((pt) => pt.p) };
  }
  const starts = evenStarts(T, iep.cycles);
  return { starts, rates: starts.map((_, c) => scheduleRate(iep.schedule, c + 1, iep.cycles, P_T)) };
}

describe('searches do what the schedule says, observed step by step', () => {
  beforeAll(() => useNodeBackend('wasm'));
  afterAll(() => tf.disposeVariables());
  const data = cifar(64, 16);

  // Each step is watched: the scores it ranked and the effective weights W * M it trained with (its forward pass),
  // the scores and momentum before and after (snapshots). The lr it applied is the ratio of the score change to the
  // new momentum; the momentum it carried over is what remains of the new momentum after g + wd s (g computed here).
  it.each([
    ['EP', 'ep', {}],
    ['soft, carry, rewind', 'iep', {}],
    ['no LR rewind', 'iep', { lrRewind: false }],
    ['linear', 'iep', { schedule: 'linear' }],
    ['one-shot', 'iep', { schedule: 'one-shot', cycles: 3 }],
    [
      'custom',
      'iep',
      {
        schedule: 'custom',
        cycles: 3,
        points: [
          { step: 0, p: 0.4 },
          { step: 5, p: 0.6 },
          { step: 11, p: 0.832 },
        ],
      },
    ],
    ['hard, score rewind', 'iep', { variant: 'hard', scores: 'rewind' }],
    ['soft, score re-init', 'iep', { scores: 'reinit', cycles: 4 }],
  ] as const)('%s: the mask, scores, lr and momentum every step used', async (_name, kind, overrides) => {
    const config = tinyConfig({ batchSize: 8, epochs: 2, reportEvery: 1, iep: overrides as Partial<IepConfig> });
    const { iep } = findRun(config, 'iep') as IepRun;
    const c = new Comparison(config, data, { snapshots: false });
    const run = searchOf(c, kind);
    const watch = watchSteps(run);
    const layers = run.model.layers;
    const weights = layers.map((l) => l.weights.dataSync() as Float32Array);
    const { starts, rates } = expectedCycles(kind, iep);
    const lrRewind = kind === 'ep' || iep.lrRewind;
    let allowed: (Float32Array | null)[] = layers.map(() => null);
    for (let t = 0; t < T; t++) {
      const cycle = starts.filter((s) => s <= t).length - 1;
      const p = rates[cycle];
      const cycleStart = t > 0 && t === starts[cycle];
      const o = await observeStep(run, watch, data.train, (8 * t) % 64, 8);

      // Scores: carried over, or at a cycle start the draw the documented seed rule gives (0 = the initial one).
      const label = (name: string) => (iep.scores === 'rewind' ? `scores/${name}` : `scores/${name}/draw${cycle}`);
      const redrawn = cycleStart && kind === 'iep' && iep.scores !== 'carry';
      layers.forEach((l, i) => {
        const expected = redrawn ? drawScores(config.seed, label(l.name), l.shape) : o.before.scores[i];
        expect(firstDifference(o.seen.scores[i], expected)).toBeNull();
      });
      if (redrawn) expect(firstDifference(o.seen.scores[0], o.before.scores[0])).not.toBeNull();
      // Hard iEP: from a cycle start on, only the previous cycle's final mask (from its final scores) may be selected.
      if (cycleStart && kind === 'iep' && iep.variant === 'hard') {
        const previous = rates[cycle - 1];
        allowed = layers.map((l, i) => topByMagnitude(o.before.scores[i], keptOf(l.edges, previous), allowed[i]));
      }

      // The mask: exactly round((1 - p) n) edges, the largest |S| (of the allowed ones).
      const masks = layers.map((l, i) => topByMagnitude(o.seen.scores[i], keptOf(l.edges, p), allowed[i]));
      layers.forEach((l, i) => {
        expect(nonzeros(o.seen.effective[i])).toBe(keptOf(l.edges, p));
        expect(
          firstDifference(
            o.seen.effective[i],
            weights[i].map((w, j) => w * masks[i][j]),
          ),
        ).toBeNull();
      });

      // The learning rate: a cosine from 0.1, restarted at each cycle start (LR rewind) or over the whole run.
      const length = (starts[cycle + 1] ?? T) - starts[cycle];
      const lr = lrRewind ? cosine(0.1, t - starts[cycle], length) : cosine(0.1, t, T);
      expect(fitScale(minus(o.seen.scores, o.after.scores), o.after.momentum) / lr).toBeCloseTo(1, 3);

      // Momentum: 0.9 of the previous buffer carried over, none at a cycle start (reset).
      if (t > 0) {
        const g = scoreGradient(run.model, watch.forward, o.seen.x, o.labels, o.seen.scores, masks);
        const carried = fitScale(minus(minus(o.after.momentum, g), o.seen.scores, 1e-4), o.before.momentum);
        expect(carried).toBeCloseTo(cycleStart ? 0 : 0.9, 3);
      }

      // The report says what the step did.
      const r = await run.report();
      expect(r.cycle).toBe(cycle + 1);
      expect(r.pruningRate).toBeCloseTo(p, 12);
      expect(r.learningRate).toBeCloseTo(lr, 12);
      layers.forEach((l, i) => expect(r.layers[i].kept).toBe(keptOf(l.edges, p)));
    }
    expect(run.done).toBe(true);
    c.dispose();
  });

  it('full-cycles: EP ends first, iEP goes on alone, each ends with a final evaluation (batches: data.test.ts)', async () => {
    const c = new Comparison(tinyConfig({ batchSize: 16, epochs: 1, reportEvery: 4, budget: 'full-cycles' }), data, {
      snapshots: false,
    });
    expect(c.totalSteps).toEqual({ ep: 4, iep: 32 });
    const finals: [string, number][] = [];
    c.subscribe((e) => e.type === 'eval' && e.report.reason === 'final' && finals.push([e.report.run, e.report.step]));
    while (!c.done) await c.stepOnce();
    expect(finals).toEqual([
      ['ep', 4],
      ['iep', 32],
    ]);
    expect(c.steps).toEqual({ ep: 4, iep: 32 });
    c.dispose();
  });
});
