// Snapshot cadence (docs/engine.md §5): small nets snapshot after every report; nets above
// snapshotEveryReportUpTo at the first report and then at most once a minute. A run restored from such an older
// snapshot runs and reports the steps since it again, and the studio's store keeps each step once.
import { beforeAll, describe, expect, it } from 'vitest';
import { Comparison, type ComparisonOptions } from '../../../src/engine/comparison';
import { useNodeBackend } from '../../../src/engine/node-backend';
import type { RunnerEvent } from '../../../src/protocol/messages';
import type { StepReport } from '../../../src/protocol/report';
import { useStore } from '../../../src/store/index';
import { cifar, tinyConfig } from './helpers';

const data = cifar(64, 16);
// 64 images in batches of 8, 2 epochs: 16 steps, a report every 2.
const config = tinyConfig({ epochs: 2, reportEvery: 2 });

/** The step of the latest snapshot after each stepOnce (null: none yet), and the clock at that step. */
async function snapshotSteps(c: Comparison, until: number, clockAt?: (step: number) => void) {
  const seen: (number | null)[] = [];
  while (c.steps.ep < until) {
    clockAt?.(c.steps.ep + 1);
    await c.stepOnce();
    seen.push(c.lastSnapshot?.runs.ep.stepsDone ?? null);
  }
  return seen;
}

function events(c: Comparison): RunnerEvent[] {
  const out: RunnerEvent[] = [];
  c.subscribe((e) => out.push(e));
  return out;
}

describe('snapshot cadence', () => {
  beforeAll(() => useNodeBackend('wasm'));

  it('a small net snapshots at every report, and only there', async () => {
    const c = new Comparison(config, data);
    expect(await snapshotSteps(c, 6)).toEqual([null, 2, 2, 4, 4, 6]);
    c.dispose();
  });

  it('a large net snapshots at its first report, then at the first report a minute or more after the last', async () => {
    let clock = 5_000;
    const options: ComparisonOptions = { snapshotEveryReportUpTo: 0, now: () => clock };
    const c = new Comparison(config, data, options);
    // Step 5 is 59.999 s after the snapshot at step 2; step 7 a minute after it, but no report falls there.
    const times: Record<number, number> = { 5: 64_999, 7: 65_000, 9: 200_000 };
    const seen = await snapshotSteps(c, 12, (step) => (clock = times[step] ?? clock));
    expect(seen).toEqual([null, 2, 2, 2, 2, 2, 2, 8, 8, 10, 10, 10]);
    c.dispose();
  });
});

describe('after a recovery from an older snapshot', () => {
  beforeAll(() => useNodeBackend('wasm'));

  it('the steps since the snapshot are reported again, and the store keeps each step once (the first copy)', async () => {
    const options: ComparisonOptions = { snapshotEveryReportUpTo: 0, now: () => 0 };
    const first = new Comparison(config, data, options);
    const before = events(first);
    while (first.steps.ep < 7) await first.stepOnce();
    // The clock stood still: the only snapshot is the first report's; steps 3-7 are lost with the "device".
    const snapshot = first.lastSnapshot!;
    expect(snapshot.runs.ep.stepsDone).toBe(2);
    first.dispose();
    const resumed = Comparison.restore(snapshot, data, options);
    const after = events(resumed);
    while (!resumed.done) await resumed.stepOnce();
    resumed.dispose();

    const reportSteps = (evs: RunnerEvent[]) =>
      evs.flatMap((e) => (e.type === 'report' && e.report.run === 'ep' ? [e.report.step] : []));
    expect(reportSteps(before)).toEqual([2, 4, 6]);
    expect(reportSteps(after)).toEqual([4, 6, 8, 10, 12, 14, 16]);
    // Deterministic from the snapshot: the re-reported steps carry the same numbers (time aside).
    const report = (evs: RunnerEvent[], step: number) =>
      evs.find((e) => e.type === 'report' && e.report.run === 'ep' && e.report.step === step) as {
        report: StepReport;
      };
    const strip = (r: StepReport) => ({ ...r, imagesPerSecond: 0 });
    for (const step of [4, 6]) expect(strip(report(after, step).report)).toEqual(strip(report(before, step).report));

    useStore.getState().beginLive({
      id: 'c3a5b2e1-4f6b-4d8c-8e2f-1b2c3d4e5f60',
      createdAt: new Date().toISOString(),
      source: 'browser',
      config: snapshot.config,
      summary: null,
      totalSteps: null,
      error: null,
      recoverable: false,
    });
    useStore.getState().applyEvents(before);
    useStore.getState().applyEvents(after);
    const { series } = useStore.getState();
    for (const run of ['ep', 'iep'] as const) {
      expect(series[run].reports.map((r) => r.step)).toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
      const evals = series[run].evals.map((e) => `${e.step} ${e.reason}`);
      expect(new Set(evals).size).toBe(evals.length);
    }
    expect(series.ep.reports[1]).toBe(report(before, 4).report);
    expect(series.ep.evals.map((e) => `${e.step} ${e.reason}`)).toEqual(['8 epoch', '16 final']);
    useStore.getState().clearComparison();
  });
});
