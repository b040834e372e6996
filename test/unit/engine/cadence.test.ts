// When reports go out: a single Step and a slowed run report every step (the heatmaps must move at each step), full
// speed keeps the batched cadence of `reportEvery`.
import { beforeAll, describe, expect, it } from 'vitest';
import { Comparison } from '../../../src/engine/comparison';
import { useNodeBackend } from '../../../src/engine/node-backend';
import type { RunnerEvent } from '../../../src/protocol/messages';
import { cifar, tinyConfig } from './helpers';

const data = cifar(64, 16);

/** The EP steps reported while `drive` runs. */
async function reportedSteps(c: Comparison, drive: () => Promise<void>): Promise<number[]> {
  const steps: number[] = [];
  const stop = c.subscribe((e: RunnerEvent) => {
    if (e.type === 'report' && e.report.run === 'ep') steps.push(e.report.step);
  });
  await drive();
  stop();
  return steps;
}

/** Runs from start() until EP has done `until` steps, then pauses. */
async function runUntil(c: Comparison, until: number): Promise<void> {
  const reached = new Promise<void>((resolve) => {
    const stop = c.subscribe(() => {
      if (c.runs.ep.stepsDone >= until) {
        stop();
        resolve();
      }
    });
  });
  void c.start();
  await reached;
  await c.pause();
}

describe('report cadence', () => {
  beforeAll(() => useNodeBackend('wasm'));

  it('Step reports every step; full speed every reportEvery steps; a slowed run every step', async () => {
    // 64 images / batch 8: 8 steps an epoch, 32 a run; at full speed reports fall due at steps 10, 20, 30, 32.
    const c = new Comparison(tinyConfig({ batchSize: 8, epochs: 4, reportEvery: 10 }), data, { snapshots: false });
    expect(
      await reportedSteps(c, async () => [1, 2, 3].reduce((p) => p.then(() => c.step()), Promise.resolve())),
    ).toEqual([1, 2, 3]);

    const fast = await reportedSteps(c, () => runUntil(c, 21));
    expect(fast).toEqual([10, 20]);

    c.setSpeed(1);
    const slow = await reportedSteps(c, () => runUntil(c, c.runs.ep.stepsDone + 3));
    expect(slow.length).toBeGreaterThanOrEqual(3);
    expect(slow).toEqual(slow.map((_, i) => slow[0] + i));
    c.dispose();
  });
});
