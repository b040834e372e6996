// Run files: a comparison exported as JSON (the whole RunRecord, checked against the telemetry schema both ways)
// or as CSV (the scalars, one row per report, for a spreadsheet).
import type { RunRecord } from '../protocol/report';
import { validateRunRecord } from '../protocol/validate';
import { networkDying } from './series';

export function recordToJson(record: RunRecord): string {
  validateRunRecord(record);
  return JSON.stringify(record);
}

/** Parses and checks an imported file; throws an Error that says what is wrong. Nothing is stored here. */
export function parseRunFile(text: string, fileName: string): RunRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${fileName} is not JSON (${(e as Error).message})`);
  }
  try {
    return validateRunRecord(parsed);
  } catch (e) {
    throw new Error(`${fileName}: ${(e as Error).message}`);
  }
}

const CSV_COLUMNS = [
  'run',
  'kind',
  'step',
  'epoch',
  'cycle',
  'pruning_rate',
  'kept_fraction',
  'learning_rate',
  'loss',
  'train_accuracy',
  'test_accuracy',
  'test_loss',
  'images_per_second',
  'dying_ratio_mean',
  'dying_ratio_weighted',
  'dying_ratio_at_target_mean',
] as const;

type Column = (typeof CSV_COLUMNS)[number];
type Row = Partial<Record<Column, number | string | null>>;

function cell(v: number | string | null | undefined): string {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
  return String(v);
}

/** Scalars only: one row per step report and per evaluation, both runs, sorted by run and step. */
export function recordToCsv(record: RunRecord): string {
  const rows: Row[] = [];
  for (const r of record.reports) {
    rows.push({
      run: r.run,
      kind: 'step',
      step: r.step,
      epoch: r.epoch,
      cycle: r.cycle,
      pruning_rate: r.pruningRate,
      kept_fraction: 1 - r.pruningRate,
      learning_rate: r.learningRate,
      loss: r.loss,
      train_accuracy: r.trainAccuracy,
      images_per_second: r.imagesPerSecond,
      dying_ratio_mean: networkDying(r.layers, record.summary, 'mean'),
      dying_ratio_weighted: networkDying(r.layers, record.summary, 'weighted'),
      dying_ratio_at_target_mean: networkDying(r.layers, record.summary, 'mean', true),
    });
  }
  for (const e of record.evals) {
    rows.push({
      run: e.run,
      kind: 'eval',
      step: e.step,
      epoch: e.epoch,
      cycle: e.cycle,
      pruning_rate: e.pruningRate,
      kept_fraction: 1 - e.pruningRate,
      test_accuracy: e.testAccuracy,
      test_loss: e.testLoss,
    });
  }
  rows.sort((a, b) => String(a.run).localeCompare(String(b.run)) || Number(a.step) - Number(b.step));
  const lines = rows.map((r) => CSV_COLUMNS.map((c) => cell(r[c])).join(','));
  return [CSV_COLUMNS.join(','), ...lines].join('\n') + '\n';
}

/** Hands a file to the user (a download), without a server. */
export function download(name: string, content: Blob | string, type = 'application/octet-stream'): void {
  const blob = typeof content === 'string' ? new Blob([content], { type }) : content;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function fileStem(record: RunRecord): string {
  const c = record.config;
  return `supermask-${c.model}-p${c.targetPruningRate}-seed${c.seed}-${record.id.slice(0, 8)}`;
}
