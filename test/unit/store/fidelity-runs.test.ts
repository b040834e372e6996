// The fidelity study's published run files (public/studies, written by `npm run fidelity` with the PyTorch worker)
// are what docs/results.md quotes: the studio's own import accepts each one, shows it for replay, and the summary's
// figures follow from the files by the studio's own arithmetic (final test accuracy, d_T weighted by edges).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/protocol/report';
import { useStore } from '../../../src/store/index';
import { parseRunFile } from '../../../src/store/runFiles';
import { networkDying, reportSteps } from '../../../src/store/series';

const RESULTS = path.resolve(import.meta.dirname, '../../../docs/results');
const RUNS = path.resolve(import.meta.dirname, '../../../public/studies');
// The comparisons: the recorded studies' other files (the schedule comparison) are not the fidelity study's.
const files = readdirSync(RUNS).filter((f) => /^compare-.*\.json$/.test(f));

interface SeedResult {
  testAccuracy: number;
  dyingRatio: { weighted: number };
  dyingRatioAtTarget: { weighted: number };
}
interface Summary {
  comparisons: { runs: string[]; ep: { perSeed: SeedResult[] }; iep: { perSeed: SeedResult[] } }[];
}
const summary = JSON.parse(readFileSync(path.join(RESULTS, 'fidelity-summary.json'), 'utf8')) as Summary;

function load(file: string): RunRecord {
  return parseRunFile(readFileSync(path.join(RUNS, file), 'utf8'), file);
}

afterEach(() => useStore.getState().clearComparison());

describe('the fidelity study’s run files', () => {
  it('are there to quote', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  it.each(files)('%s imports into the studio and replays from its first report to its last', (file) => {
    const record = load(file);
    expect(record.source).toBe('remote');
    useStore.getState().showRecord(record);
    const { series, cursor } = useStore.getState();
    const steps = reportSteps(series);
    expect(steps.length).toBeGreaterThan(10);
    expect(cursor).toBe(steps.at(-1));
    expect(series.ep.reports.at(-1)?.step).toBe(series.ep.reports.at(-1)?.totalSteps);
  });

  it.each(files)('%s gives the summary’s accuracy and dying ratios', (file) => {
    const record = load(file);
    const comparison = summary.comparisons.find((c) => c.runs.includes(record.id));
    expect(comparison, `${record.id} is in fidelity-summary.json`).toBeDefined();
    const seed = comparison!.runs.indexOf(record.id);
    for (const run of ['ep', 'iep'] as const) {
      const quoted = comparison![run].perSeed[seed];
      const final = record.evals.find((e) => e.run === run && e.reason === 'final');
      expect(quoted.testAccuracy).toBeCloseTo(final!.testAccuracy, 4);
      const last = record.reports.filter((r) => r.run === run).at(-1)!;
      expect(quoted.dyingRatio.weighted).toBeCloseTo(networkDying(last.layers, record.summary, 'weighted'), 4);
      const atTarget = networkDying(last.layers, record.summary, 'weighted', true);
      expect(quoted.dyingRatioAtTarget.weighted).toBeCloseTo(atTarget, 4);
    }
  });
});
