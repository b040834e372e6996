// Records a worker's run in IndexedDB as its reports arrive, like a local run (recorder.ts), marked source 'remote'.
// The worker numbers a run's reports by seq from 0 and the stored rows keep those numbers, so a run opened again
// rewrites the same rows: the stored copy is the worker's telemetry, line for line, however often it is opened.
import type { EvalReport, RunRecord, StepReport } from '../protocol/report';
import type { RemoteRunState } from '../remote/workerClient';
import { appendToRun, metaOf, type RunStatus } from './persistence';
import { announceRunsChanged, claimRun, releaseRun } from './runOwnership';

const FLUSH_MS = 1000;

// Writes of every remote run in one chain, so rows land in order even when one batch is slow.
let writing: Promise<void> = Promise.resolve();

function statusOf(state: RemoteRunState): RunStatus {
  if (state === 'done' || state === 'recorded') return 'done';
  if (state === 'stopped') return 'stopped';
  if (state === 'failed') return 'error';
  // Training (there or in a batch job) or paused on the worker: this tab is recording it (a reload finds it cut short: 'interrupted').
  return 'recording';
}

export class RemoteRecording {
  private pending: { seq: number; item: StepReport | EvalReport }[] = [];
  /** Rows the stored run has: one past the highest seq written. */
  private items = 0;
  private status: RunStatus = 'recording';
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private record: RunRecord,
    /** Called after each write (the library lists the run) or with what went wrong. */
    private readonly written: (error?: Error) => void,
  ) {
    writing = writing.then(() => claimRun(record.id));
  }

  add(seq: number, item: StepReport | EvalReport): void {
    this.pending.push({ seq, item });
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** The worker's word on the run; a run that ended is written at once and its lock let go. */
  setState(state: RemoteRunState, error: string | null): void {
    const status = statusOf(state);
    if (status === this.status && error === this.record.error) return;
    this.status = status;
    this.record = { ...this.record, error };
    void this.flush();
  }

  /** This tab stops following the run: what arrived is written, and a run still going is marked cut short. */
  cutShort(): Promise<void> {
    return this.flush(this.status === 'recording' ? 'interrupted' : this.status);
  }

  /** Writes what arrived so far, under the worker's status or `status`. */
  private flush(status: RunStatus = this.status): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    for (const { seq } of batch) this.items = Math.max(this.items, seq + 1);
    const meta = metaOf(this.record, status, this.items);
    // Seqs arrive in order and without gaps; a run opened again starts over from 0. Each unbroken stretch is one write.
    const stretches: (typeof batch)[] = [];
    for (const row of batch) {
      const last = stretches.at(-1);
      if (last && last[last.length - 1].seq + 1 === row.seq) last.push(row);
      else stretches.push([row]);
    }
    const writes = stretches.length ? stretches : [[]];
    writing = writing
      .then(async () => {
        for (const s of writes)
          await appendToRun(
            meta,
            s[0]?.seq ?? 0,
            s.map((r) => r.item),
          );
        if (status !== 'recording') releaseRun(meta.id);
        announceRunsChanged();
        this.written();
      })
      .catch((e: unknown) => this.written(e instanceof Error ? e : new Error(String(e))));
    return writing;
  }
}

/** Resolves when every remote write asked for so far is done (tests and detach wait on it). */
export function remoteWritesIdle(): Promise<void> {
  return writing;
}
