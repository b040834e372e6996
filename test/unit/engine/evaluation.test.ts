// Evaluation cadence as docs/engine.md states it: after every epoch, at every cycle's end and at the end ('final',
// the highest rank winning when several fall on one step). That it uses BN's running statistics: batchnorm.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { Comparison } from '../../../src/engine/comparison';
import { useNodeBackend } from '../../../src/engine/node-backend';
import type { ComparisonConfig, RunId } from '../../../src/protocol/config';
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

async function evalsOf(config: ComparisonConfig, trainImages: number): Promise<Record<RunId, string[]>> {
  const c = new Comparison(config, cifar(trainImages, 16), { snapshots: false });
  const seen: Record<RunId, string[]> = { ep: [], iep: [] };
  c.subscribe((e) => e.type === 'eval' && seen[e.report.run].push(`${e.report.step} ${e.report.reason}`));
  while (!c.done) await c.stepOnce();
  c.dispose();
  return seen;
}

describe('evaluation cadence', () => {
  beforeAll(() => useNodeBackend('wasm'));

  // 60 images in batches of 8: 8 steps an epoch, the last batch of 4; 2 epochs = 16 steps.
  it('equal compute, 3 cycles: epochs, cycle ends round(cT/C) and the final step, nothing else', async () => {
    const seen = await evalsOf(tinyConfig({ epochs: 2, reportEvery: 4, iep: { cycles: 3 } }), 60);
    expect(seen.ep).toEqual(documentedEvals(16, 8, []));
    expect(seen.iep).toEqual(documentedEvals(16, 8, [5, 11]));
    expect(seen.iep).toEqual(['5 cycle-end', '8 epoch', '11 cycle-end', '16 final']);
  });

  it('a cycle end on an epoch end is one evaluation, reason cycle-end; the longer full-cycles run goes on alone', async () => {
    const config = tinyConfig({ epochs: 2, reportEvery: 4, budget: 'full-cycles', iep: { cycles: 2 } });
    const seen = await evalsOf(config, 60);
    expect(seen.ep).toEqual(documentedEvals(16, 8, []));
    // Full cycles: each of the 2 cycles is as long as EP's whole run.
    expect(seen.iep).toEqual(documentedEvals(32, 8, [16]));
    expect(seen.iep).toEqual(['8 epoch', '16 cycle-end', '24 epoch', '32 final']);
  });
});
