// Records the live comparison to IndexedDB as it goes: new reports are appended about once a second, and at once
// when the run pauses or ends, so a reload or a crashed tab loses at most the last second.
import type { RunId } from '../protocol/config';
import type { EvalReport, RunRecord, StepReport } from '../protocol/report';
import { useStore } from './index';
import { appendToRun, listRuns, metaOf, type RunStatus } from './persistence';
import { announceRunsChanged, claimRun, releaseRun } from './runOwnership';
import { newestSnapshot } from './liveSnapshot';
import type { Series } from './series';
import { toRecord } from './studio';

const FLUSH_MS = 1000;

interface Progress {
  id: string;
  seq: number;
  /** Reports and evaluations of each run already written, by run id. */
  written: Record<RunId, { reports: number; evals: number }>;
  /** The steps of the snapshot stored with the run, if any. */
  snapshotSteps?: Record<RunId, number>;
}

function writtenOf(series: Series): Progress['written'] {
  return Object.fromEntries(
    Object.entries(series).map(([id, r]) => [id, { reports: r.reports.length, evals: r.evals.length }]),
  );
}

/**
 * The newest snapshot of this run that the reports being written cover (the engine sends a snapshot before the
 * reports it covers, so the newest one may still be ahead of them), if it is newer than the stored one.
 */
function snapshotToStore(id: string, series: Series, stored?: Record<RunId, number>) {
  const saved = newestSnapshot();
  if (!saved || saved.runId !== id) return undefined;
  const runs = Object.keys(saved.steps);
  const covered = runs.every((run) => saved.steps[run] <= (series[run]?.reports.at(-1)?.step ?? 0));
  const newer = !stored || runs.some((run) => saved.steps[run] !== stored[run]);
  return covered && newer ? saved : undefined;
}

let progress: Progress | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;
let writing: Promise<void> = Promise.resolve();

function statusOf(state: string): RunStatus {
  if (state === 'done' || state === 'stopped' || state === 'error') return state;
  return 'recording';
}

function flush(statusOverride?: RunStatus): Promise<void> {
  timer = null;
  const s = useStore.getState();
  const record = toRecord(s);
  if (s.mode !== 'live' || !record) return writing;
  if (!progress || progress.id !== record.id) {
    progress = { id: record.id, seq: 0, written: {} };
    // Held before the first row says 'recording', so no other tab ever takes this run for one cut short.
    const id = record.id;
    writing = writing.then(() => claimRun(id));
  }
  const p = progress;
  const items: (StepReport | EvalReport)[] = [];
  for (const [run, r] of Object.entries(s.series)) {
    items.push(...r.reports.slice(p.written[run]?.reports ?? 0));
    items.push(...r.evals.slice(p.written[run]?.evals ?? 0));
  }
  p.written = writtenOf(s.series);
  const first = p.seq;
  p.seq += items.length;
  const snapshot = snapshotToStore(record.id, s.series, p.snapshotSteps);
  if (snapshot) p.snapshotSteps = snapshot.steps;
  const meta = { ...metaOf(record, statusOverride ?? statusOf(s.runnerState), p.seq), snapshotSteps: p.snapshotSteps };
  // Writes are chained so rows land in order even when one batch is slow.
  writing = writing
    .then(() => appendToRun(meta, first, items, snapshot?.snapshot))
    .then(async () => {
      if (meta.status !== 'recording') releaseRun(meta.id);
      announceRunsChanged();
      useStore.getState().setStoredRuns(await listRuns());
    })
    .catch((e: unknown) => useStore.getState().setLibraryError(`Recording failed: ${(e as Error).message}`));
  return writing;
}

/**
 * A stored run goes on live in this tab: the recorder appends after its `items` stored rows instead of writing it
 * anew, and keeps its stored snapshot until a newer one is covered.
 */
export function continueRecording(record: RunRecord, items: number, snapshotSteps?: Record<RunId, number>): void {
  const count = (run: RunId) => ({
    reports: record.reports.filter((r) => r.run === run).length,
    evals: record.evals.filter((e) => e.run === run).length,
  });
  const written = Object.fromEntries(record.config.runs.map((r) => [r.id, count(r.id)]));
  progress = { id: record.id, seq: items, written, snapshotSteps };
  writing = writing.then(() => claimRun(record.id));
}

/** Starts recording; returns the unsubscribe function. */
export function startRecorder(): () => void {
  const unsubscribe = useStore.subscribe((s, prev) => {
    if (s.mode !== 'live' || !s.comparison?.summary) return;
    const ended = s.runnerState !== prev.runnerState && s.runnerState !== 'running';
    const created = s.comparison.summary !== prev.comparison?.summary;
    if (ended || created) {
      if (timer) clearTimeout(timer);
      void flush();
    } else if (s.series !== prev.series) {
      timer ??= setTimeout(() => void flush(), FLUSH_MS);
    }
  });
  const onHide = () => void flush();
  window.addEventListener('pagehide', onHide);
  return () => {
    unsubscribe();
    window.removeEventListener('pagehide', onHide);
  };
}

/**
 * Writes what is left of the live run now, marked stopped (or 'interrupted': it can be continued from its stored
 * snapshot, as a run whose page closed): called before the run leaves the screen.
 */
export function finishRecording(as: 'stopped' | 'interrupted' = 'stopped'): Promise<void> {
  if (timer) clearTimeout(timer);
  const s = useStore.getState();
  const ended = ['done', 'stopped', 'error'].includes(s.runnerState);
  return flush(ended ? undefined : as);
}

/** Resolves when everything seen so far is written (tests and export wait on it). */
export function recorderIdle(): Promise<void> {
  if (timer) {
    clearTimeout(timer);
    return flush();
  }
  return writing;
}
