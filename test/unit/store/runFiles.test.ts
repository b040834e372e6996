// Run files on a real recorded comparison: the JSON export is a valid run record that imports back unchanged, the
// CSV holds the scalars (one row per report and evaluation), and a malformed or foreign file is refused with a
// message that names the file and the problem.
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/protocol/report';
import { validateRunRecord } from '../../../src/protocol/validate';
import { fileStem, parseRunFile, recordToCsv, recordToJson } from '../../../src/store/runFiles';
import { networkDying } from '../../../src/store/series';
import { realRecord } from './realRecord';

let record: RunRecord;

beforeAll(async () => {
  record = await realRecord();
});

function parseCsv(text: string): { header: string[]; rows: Record<string, string>[] } {
  expect(text.endsWith('\n')).toBe(true);
  const [head, ...lines] = text.trimEnd().split('\n');
  const header = head.split(',');
  const rows = lines.map((line) => {
    const cells = line.split(',');
    expect(cells).toHaveLength(header.length);
    return Object.fromEntries(header.map((h, i) => [h, cells[i]]));
  });
  return { header, rows };
}

describe('JSON export', () => {
  it('the real record has reports and evaluations of both runs', () => {
    for (const run of ['ep', 'iep'] as const) {
      expect(record.reports.filter((r) => r.run === run).length).toBeGreaterThan(2);
      expect(record.evals.filter((e) => e.run === run && e.reason === 'final')).toHaveLength(1);
    }
  });

  it('writes a file that validates against the telemetry schema and imports back equal', () => {
    const json = recordToJson(record);
    expect(() => validateRunRecord(JSON.parse(json))).not.toThrow();
    expect(parseRunFile(json, 'run.json')).toEqual(record);
  });

  it('refuses to export a record that breaks the schema', () => {
    const broken = structuredClone(record);
    (broken.reports[0] as unknown as Record<string, unknown>).loss = 'low';
    expect(() => recordToJson(broken)).toThrow(/loss/);
  });

  it('names the file after model, target rate, seed and the run id', () => {
    const stem = fileStem(record);
    expect(stem).toContain(record.config.model);
    expect(stem).toContain(`p${record.config.targetPruningRate}`);
    expect(stem).toContain(`seed${record.config.seed}`);
    expect(stem).toContain(record.id.slice(0, 8));
    expect(stem).toMatch(/^[\w.-]+$/);
  });
});

describe('JSON import of a bad file', () => {
  const reject = (text: string) => () => parseRunFile(text, 'upload.json');

  it('text that is not JSON: says so and names the file', () => {
    expect(reject('{"format": "supermask-studio/run",')).toThrow(/^upload\.json is not JSON \(/);
    expect(reject('')).toThrow(/upload\.json is not JSON/);
  });

  it('foreign JSON (another program’s file, an array, null): not a Supermask Studio run', () => {
    for (const text of ['{"name": "some-package", "version": "1.0.0"}', '[1, 2, 3]', 'null', '"run"']) {
      expect(reject(text)).toThrow(/^upload\.json: Not a Supermask Studio run/);
    }
  });

  it('a run of another format version', () => {
    expect(reject(JSON.stringify({ ...record, version: 99 }))).toThrow(/Unsupported run format version 99/);
  });

  it('a truncated or edited run: the schema path of the first problem', () => {
    const noSummary: Partial<RunRecord> = structuredClone(record);
    delete noSummary.summary;
    expect(reject(JSON.stringify(noSummary))).toThrow(/^upload\.json: Invalid run file: .*summary/);
    const badStep = structuredClone(record);
    (badStep.reports[1] as unknown as Record<string, unknown>).step = 'ten';
    expect(reject(JSON.stringify(badStep))).toThrow(/Invalid run file: \/reports\/1\/step/);
  });

  it('a heatmap whose cells do not fill its rows x cols (it would be drawn from missing values): refused', () => {
    const bad = structuredClone(record);
    const heatmap = bad.reports[2].layers[1].heatmap;
    heatmap.usage.pop();
    expect(reject(JSON.stringify(bad))).toThrow(
      new RegExp(`/reports/2/layers/1/heatmap is ${heatmap.rows} x ${heatmap.cols} but holds`),
    );
    expect(validateRunRecord(structuredClone(record))).toEqual(record);
  });

  it('a run whose config the app cannot run names the config field', () => {
    const bad = structuredClone(record);
    bad.config.batchSize = 0;
    expect(reject(JSON.stringify(bad))).toThrow(/batchSize/);
  });
});

describe('CSV export', () => {
  it('one row per step report and per evaluation, sorted by run then step', () => {
    const { rows } = parseCsv(recordToCsv(record));
    expect(rows.filter((r) => r.kind === 'step')).toHaveLength(record.reports.length);
    expect(rows.filter((r) => r.kind === 'eval')).toHaveLength(record.evals.length);
    expect(rows).toHaveLength(record.reports.length + record.evals.length);
    const keys = rows.map((r) => [r.run, Number(r.step)] as const);
    const sorted = [...keys].sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1]);
    expect(keys).toEqual(sorted);
  });

  it('the scalar columns carry each report’s numbers, with the kept fraction beside p', () => {
    const { header, rows } = parseCsv(recordToCsv(record));
    for (const col of ['run', 'step', 'pruning_rate', 'kept_fraction', 'loss', 'train_accuracy', 'test_accuracy']) {
      expect(header).toContain(col);
    }
    for (const r of record.reports) {
      const row = rows.find((x) => x.kind === 'step' && x.run === r.run && Number(x.step) === r.step)!;
      expect(Number(row.loss)).toBe(r.loss);
      expect(Number(row.train_accuracy)).toBe(r.trainAccuracy);
      expect(Number(row.pruning_rate)).toBe(r.pruningRate);
      expect(Number(row.kept_fraction)).toBeCloseTo(1 - r.pruningRate, 12);
      expect(Number(row.cycle)).toBe(r.cycle);
      expect(Number(row.dying_ratio_mean)).toBe(networkDying(r.layers, record.summary, 'mean'));
      expect(row.test_accuracy).toBe('');
    }
    for (const e of record.evals) {
      const row = rows.find((x) => x.kind === 'eval' && x.run === e.run && Number(x.step) === e.step)!;
      expect(Number(row.test_accuracy)).toBe(e.testAccuracy);
      expect(Number(row.test_loss)).toBe(e.testLoss);
      expect(row.loss).toBe('');
    }
  });

  it('iEP’s rows climb through its cycles to the target rate; EP stays at it', () => {
    const { rows } = parseCsv(recordToCsv(record));
    const p = (run: string) =>
      rows.filter((r) => r.run === run && r.kind === 'step').map((r) => Number(r.pruning_rate));
    expect(new Set(p('ep'))).toEqual(new Set([record.config.targetPruningRate]));
    const iep = p('iep');
    expect(iep.every((v, i) => i === 0 || v >= iep[i - 1])).toBe(true);
    expect(iep[0]).toBeLessThan(record.config.targetPruningRate);
    expect(iep.at(-1)).toBeCloseTo(record.config.targetPruningRate, 12);
  });

  it('a number that is not finite is an empty cell, not "NaN"', () => {
    const r = structuredClone(record);
    r.reports[0].loss = NaN;
    const { rows } = parseCsv(recordToCsv(r));
    const first = rows.find(
      (x) => x.kind === 'step' && x.run === r.reports[0].run && Number(x.step) === r.reports[0].step,
    )!;
    expect(first.loss).toBe('');
  });
});
