// Evaluation as docs/engine.md states it: after every epoch, at every cycle's end and at the end ('final', the
// highest rank winning when several fall on one step), with BN's running statistics rather than the batch's.
import { beforeAll, describe, expect, it } from 'vitest';
import { Comparison } from '../../../src/engine/comparison';
import { testBatches } from '../../../src/engine/data';
import { useNodeBackend } from '../../../src/engine/node-backend';
import type { ComparisonConfig, RunKind } from '../../../src/protocol/config';
import type { EvalReport } from '../../../src/protocol/report';
import { cifar, tinyConfig } from './helpers';

/** The documented cadence, written out: one evaluation per listed step, the highest-ranked reason. */
function documentedEvals(total: number, stepsPerEpoch: number, cycleEnds: number[]): string[] {
  const out: string[] = [];
  for (let s = 1; s <= total; s++) {
    if (s === total) out.push(`${s} final`);
    else if (cycleEnds.includes(s)) out.push(`${s} cycle-end`);
    else if (s % stepsPerEpoch === 0) out.push(`${s} epoch`);
  }
  return out;
}

async function evalsOf(config: ComparisonConfig, trainImages: number): Promise<Record<RunKind, string[]>> {
  const c = new Comparison(config, cifar(trainImages, 16), { snapshots: false });
  const seen: Record<RunKind, string[]> = { ep: [], iep: [] };
  c.subscribe((e) => e.type === 'eval' && seen[e.report.run].push(`${e.report.step} ${e.report.reason}`));
  while (!c.done) await c.stepOnce();
  c.dispose();
  return seen;
}

describe('evaluation cadence', () => {
  beforeAll(() => useNodeBackend('wasm'));

  // 60 images in batches of 8: 8 steps an epoch, the last batch of 4; 2 epochs = 16 steps.
  it('equal compute, 3 cycles: epochs, cycle ends round(cT/C) and the final step, nothing else', async () => {
    const seen = await evalsOf(tinyConfig({ epochs: 2, reportEvery: 4, iep: { cycles: 3 } as never }), 60);
    expect(seen.ep).toEqual(documentedEvals(16, 8, []));
    expect(seen.iep).toEqual(documentedEvals(16, 8, [5, 11]));
    expect(seen.iep).toEqual(['5 cycle-end', '8 epoch', '11 cycle-end', '16 final']);
  });

  it('a cycle end on an epoch end is one evaluation, reason cycle-end; the longer full-cycles run goes on alone', async () => {
    const config = tinyConfig({ epochs: 2, reportEvery: 4, budget: 'full-cycles', iep: { cycles: 2 } as never });
    const seen = await evalsOf(config, 60);
    expect(seen.ep).toEqual(documentedEvals(16, 8, []));
    // Full cycles: each of the 2 cycles is as long as EP's whole run.
    expect(seen.iep).toEqual(documentedEvals(32, 8, [16]));
    expect(seen.iep).toEqual(['8 epoch', '16 cycle-end', '24 epoch', '32 final']);
  });
});

describe('evaluation uses BN running statistics', () => {
  beforeAll(() => useNodeBackend('wasm'));

  it('the same test images give the same result in one batch or one at a time, and leave the statistics as they were', async () => {
    const data = cifar(64, 16);
    const c = new Comparison(tinyConfig({ model: 'resnet20', epochs: 1, reportEvery: 100 }), data, {
      snapshots: false,
    });
    const emitted: EvalReport[] = [];
    c.subscribe((e) => e.type === 'eval' && emitted.push(e.report));
    // One epoch (8 steps) ends in the comparison's own evaluation on all 16 test images in one batch.
    while (!c.done) await c.stepOnce();
    const run = c.runs.ep;
    const norms = () =>
      Promise.all(run.model.norms.map(async (n) => [await n.runningMean.data(), await n.runningVar.data()]));
    const before = await norms();
    // Trained statistics, not the initial 0 / 1: otherwise batch and running statistics could not be told apart.
    expect(before[0][0].some((m) => Math.abs(m) > 1e-3)).toBe(true);
    const whole = await run.evaluate(testBatches(data.test, 16, 16), 'final');
    const single = await run.evaluate(testBatches(data.test, 16, 1), 'final');
    const uneven = await run.evaluate(testBatches(data.test, 16, 5), 'final');
    const finalEp = emitted.find((e) => e.run === 'ep' && e.reason === 'final')!;
    for (const r of [single, uneven, finalEp]) {
      expect(r.testAccuracy).toBe(whole.testAccuracy);
      expect(r.testLoss).toBeCloseTo(whole.testLoss, 5);
    }
    expect(await norms()).toEqual(before);
    c.dispose();
  });
});
