// Reading the report series: what each run looked like at a timeline step, and the summaries charts draw.
// Pure functions over plain data (shared by the store, the views and the exports).
import type { ComparisonConfig, RunId } from '../protocol/config';
import type { EvalReport, LayerReport, ModelSummary, StepReport } from '../protocol/report';

export interface RunSeries {
  reports: StepReport[];
  evals: EvalReport[];
}

/** Every run's reports, by run id (the comparison's config.runs says their order). */
export type Series = Record<RunId, RunSeries>;

/** No reports yet for each run of the config (none at all without one). */
export function emptySeries(config?: ComparisonConfig): Series {
  return Object.fromEntries((config?.runs ?? []).map((r) => [r.id, { reports: [], evals: [] }]));
}

const NO_REPORTS: RunSeries = { reports: [], evals: [] };

/** A run's series, empty where it has none (a view may ask before its first report). */
export function seriesOf(series: Series, run: RunId): RunSeries {
  return series[run] ?? NO_REPORTS;
}

/** The step and total of each run's newest report, by run id (0 before any). */
export function newestSteps(series: Series, field: 'step' | 'totalSteps'): Record<RunId, number> {
  return Object.fromEntries(Object.entries(series).map(([id, r]) => [id, r.reports.at(-1)?.[field] ?? 0]));
}

/** Index of the last item with step <= `step` (items sorted by step), or -1. */
export function lastAtOrBefore(items: readonly { step: number }[], step: number): number {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid].step <= step) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The report a run showed at timeline step `step` (null = the latest). */
export function reportAt(run: RunSeries, step: number | null): StepReport | null {
  if (run.reports.length === 0) return null;
  if (step === null) return run.reports[run.reports.length - 1];
  const i = lastAtOrBefore(run.reports, step);
  return i < 0 ? null : run.reports[i];
}

/** The last step any run has reported: the end of the timeline. */
export function lastStep(series: Series): number {
  const last = (r: RunSeries) => (r.reports.length ? r.reports[r.reports.length - 1].step : 0);
  return Math.max(0, ...Object.values(series).map(last));
}

/**
 * Following a live comparison, the newest step every unfinished run has reported: runs trained on several engines
 * report up to one window apart, and every view shows one moment. Null (each run's newest) before every unfinished run
 * has reported, or once all are finished.
 */
export function commonStep(series: Series, totals: Record<RunId, number> | null): number | null {
  const open = Object.entries(series).filter(([id, r]) => (r.reports.at(-1)?.step ?? 0) < (totals?.[id] ?? Infinity));
  if (open.length === 0 || open.some(([, r]) => r.reports.length === 0)) return null;
  return Math.min(...open.map(([, r]) => r.reports.at(-1)!.step));
}

/** Every distinct reported step, sorted: the stops of the timeline and of replay. */
export function reportSteps(series: Series): number[] {
  const steps = new Set<number>();
  for (const run of Object.values(series)) for (const r of run.reports) steps.add(r.step);
  return [...steps].sort((a, b) => a - b);
}

export type DyingAverage = 'mean' | 'weighted';

/** Dying ratio over the whole network: the plain mean over layers, or weighted by each layer's edge count. */
export function networkDying(
  layers: readonly LayerReport[],
  summary: ModelSummary | null,
  average: DyingAverage,
  atTarget = false,
): number {
  if (layers.length === 0) return NaN;
  const value = (l: LayerReport) => (atTarget ? l.dyingRatioAtTarget : l.dyingRatio);
  if (average === 'mean' || !summary) return layers.reduce((s, l) => s + value(l), 0) / layers.length;
  let sum = 0;
  let edges = 0;
  for (const l of layers) {
    const n = summary.layers.find((s) => s.name === l.name)?.edges ?? 0;
    sum += value(l) * n;
    edges += n;
  }
  return edges > 0 ? sum / edges : NaN;
}

/** The channel range a pooled heatmap cell covers along one axis, e.g. "8–15" or "3". */
export function channelRange(index: number, cells: number, channels: number): string {
  const lo = Math.floor((index * channels) / cells);
  const hi = Math.max(lo, Math.floor(((index + 1) * channels) / cells) - 1);
  return lo === hi ? `${lo}` : `${lo}–${hi}`;
}

/** Remaining wall-clock seconds for all runs at their combined recent rate; null until there is a rate. */
export function secondsLeft(done: number, total: number, elapsedSeconds: number): number | null {
  if (done <= 0 || elapsedSeconds <= 0 || total <= done) return total <= done && done > 0 ? 0 : null;
  return ((total - done) * elapsedSeconds) / done;
}
