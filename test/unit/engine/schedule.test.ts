// Budgets, pruning-rate schedules and learning-rate rewinds, as plans and as the searches actually run them.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Comparison } from '../../../src/engine/comparison';
import { keptCount } from '../../../src/engine/mask';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { cycleAt, epTotalSteps, learningRateAt, makePlan } from '../../../src/engine/schedule';
import type { StepReport } from '../../../src/protocol/report';
import { cifar, tinyConfig } from './helpers';

describe('plans', () => {
  it('EP: ceil(images / batch) x epochs steps, one cycle at the target rate', () => {
    const c = tinyConfig({ batchSize: 128, epochs: 3 });
    expect(epTotalSteps(c, 1000)).toBe(8 * 3);
    const plan = makePlan(c, 'ep', 1000);
    expect(plan.cycles).toEqual([{ index: 1, start: 0, length: 24, p: 0.832 }]);
  });

  it('default iEP: 8 geometric cycles p_c = 1 - 0.8^c, equal compute split evenly', () => {
    const plan = makePlan(tinyConfig({ batchSize: 10, epochs: 1 }), 'iep', 1000);
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
    const plan = makePlan(tinyConfig({ batchSize: 10, epochs: 1, budget: 'full-cycles' }), 'iep', 100);
    expect(plan.totalSteps).toBe(80);
    expect(plan.cycles.every((c) => c.length === 10)).toBe(true);
  });

  it('linear, one-shot and custom schedules', () => {
    const base = { batchSize: 10, epochs: 1, targetPruningRate: 0.8 };
    const lin = makePlan(tinyConfig({ ...base, iep: { cycles: 4, schedule: 'linear' } as never }), 'iep', 100);
    expect(lin.cycles.map((c) => c.p)).toEqual([0.2, 0.4, expect.closeTo(0.6, 12), 0.8]);
    const one = makePlan(tinyConfig({ ...base, iep: { cycles: 3, schedule: 'one-shot' } as never }), 'iep', 100);
    expect(one.cycles.map((c) => c.p)).toEqual([0.8, 0.8, 0.8]);
    const points = [
      { step: 0, p: 0.3 },
      { step: 2, p: 0.5 },
      { step: 7, p: 0.8 },
    ];
    const custom = makePlan(
      tinyConfig({ ...base, iep: { cycles: 3, schedule: 'custom', points } as never }),
      'iep',
      100,
    );
    expect(custom.cycles.map((c) => [c.start, c.length, c.p])).toEqual([
      [0, 2, 0.3],
      [2, 5, 0.5],
      [7, 3, 0.8],
    ]);
    expect(() =>
      makePlan(
        tinyConfig({
          ...base,
          iep: { cycles: 2, schedule: 'custom', points: [points[0], { step: 10, p: 0.8 }] } as never,
        }),
        'iep',
        100,
      ),
    ).toThrow(/iEP's total of 10 steps/);
  });

  it('cosine LR restarts at every cycle start; without rewind one cosine spans the whole run', () => {
    const plan = makePlan(tinyConfig({ batchSize: 10, epochs: 1 }), 'iep', 160);
    for (const c of plan.cycles) {
      expect(learningRateAt(plan, c.start)).toBe(0.1);
      const mid = learningRateAt(plan, c.start + c.length / 2);
      expect(mid).toBeCloseTo(0.05, 10);
      for (let t = c.start + 1; t < c.start + c.length; t++)
        expect(learningRateAt(plan, t)).toBeLessThan(learningRateAt(plan, t - 1));
    }
    const flat = makePlan(tinyConfig({ batchSize: 10, epochs: 1, iep: { lrRewind: false } as never }), 'iep', 160);
    for (let t = 1; t < 16; t++) expect(learningRateAt(flat, t)).toBeLessThan(learningRateAt(flat, t - 1));
    expect(learningRateAt(flat, 8)).toBeCloseTo(0.05, 10);
  });
});

/** Runs a comparison to the end with a report every step; returns iEP's reports. */
async function runAll(c: Comparison): Promise<StepReport[]> {
  const reports: StepReport[] = [];
  c.subscribe((e) => {
    if (e.type === 'report' && e.report.run === 'iep') reports.push(e.report);
  });
  while (!c.done) await c.stepOnce();
  return reports;
}

describe('searches follow their plans step by step', () => {
  beforeAll(() => useNodeBackend('wasm'));
  const data = cifar(64, 16);

  it.each([
    ['soft, carry, rewind', {}],
    ['no LR rewind', { lrRewind: false }],
    ['linear', { schedule: 'linear' }],
    ['one-shot', { schedule: 'one-shot', cycles: 3 }],
    [
      'custom',
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
    ['hard, score rewind', { variant: 'hard', scores: 'rewind' }],
    ['soft, score re-init', { scores: 'reinit', cycles: 4 }],
  ])('%s: p, kept, cycle and LR of every reported step', async (_name, iep) => {
    const config = tinyConfig({ batchSize: 8, epochs: 2, reportEvery: 1, iep: iep as never });
    const c = new Comparison(config, data, { snapshots: false });
    const reports = await runAll(c);
    const plan = c.runs.iep.plan;
    expect(reports).toHaveLength(16);
    reports.forEach((r) => {
      const cycle = cycleAt(plan, r.step - 1);
      expect(r.cycle).toBe(cycle.index);
      expect(r.pruningRate).toBe(cycle.p);
      expect(r.learningRate).toBe(learningRateAt(plan, r.step - 1));
      c.summary.layers.forEach((l, i) => expect(r.layers[i].kept).toBe(keptCount(l.edges, cycle.p)));
    });
    c.dispose();
  });

  it('full-cycles: EP ends first, iEP goes on alone on the same batch order, each ends with a final evaluation', async () => {
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

  it('scores: carry keeps them, rewind restores the initial draw, reinit draws new ones at each cycle start', async () => {
    const config = (scores: string) => tinyConfig({ batchSize: 8, epochs: 1, iep: { cycles: 2, scores } as never });
    const initial = new Comparison(config('carry'), data, { snapshots: false });
    const s0 = await initial.runs.iep.model.layers[0].scores.data();
    for (const scores of ['carry', 'rewind', 'reinit']) {
      const c = new Comparison(config(scores), data, { snapshots: false });
      const layer = c.runs.iep.model.layers[0];
      const cycle2 = c.runs.iep.plan.cycles[1].start;
      while (c.runs.iep.stepsDone < cycle2) await c.stepOnce();
      const before = await layer.scores.data();
      expect(before).not.toEqual(s0);
      // Read the scores the first step of cycle 2 starts from: a snapshot right after the cycle switch would include
      // that step's update, so switch cycles by hand through the same path a step takes.
      const spy = c.runs.iep as unknown as { beginCycle(cycle: unknown): void };
      spy.beginCycle(c.runs.iep.plan.cycles[1]);
      const after = await layer.scores.data();
      if (scores === 'carry') expect(after).toEqual(before);
      if (scores === 'rewind') expect(after).toEqual(s0);
      if (scores === 'reinit') {
        expect(after).not.toEqual(s0);
        expect(after).toEqual(Float32Array.from(layer.scoreDraw(config(scores).seed, 1)));
      }
      c.dispose();
    }
    initial.dispose();
  });

  it("hard iEP: after a cycle starts, every mask lies inside the previous cycle's final mask", async () => {
    const config = tinyConfig({
      batchSize: 8,
      epochs: 2,
      reportEvery: 1,
      iep: { cycles: 4, variant: 'hard' } as never,
    });
    const c = new Comparison(config, data, { snapshots: false });
    const run = c.runs.iep;
    let allowed: Float32Array[] | null = null;
    let checked = 0;
    while (!c.done) {
      const t = run.stepsDone;
      const cycle = cycleAt(run.plan, t);
      if (t === cycle.start && t > 0) allowed = await run.masks(run.plan.cycles[cycle.index - 2].p);
      await c.stepOnce();
      if (allowed && !run.done) {
        const now = await run.masks(cycleAt(run.plan, run.stepsDone).p);
        now.forEach((m, i) => m.forEach((v, j) => v && expect(allowed![i][j]).toBe(1)));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(8);
    c.dispose();
    tf.disposeVariables();
  });
});
