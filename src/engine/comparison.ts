// A comparison: its runs (EP, iEP schedules, dense, IteRand) from the same weights and scores, advanced interleaved
// (one step of each run in turn) on the same batches. The API the worker drives: start, pause, step, stop, subscribe.
import type { ComparisonConfig, LocalConfig, RunConfig, RunId } from '../protocol/config';
import type { PerRun, RunnerEvent, RunnerState } from '../protocol/messages';
import type { EvalReport, ModelSummary } from '../protocol/report';
import { validateLocalConfig } from '../protocol/validate';
import { BatchOrder, limitSplit, testBatches, type SearchData } from './data';
import { DenseRun, type DenseSnapshot } from './dense';
import { IteRandSearch } from './iterand';
import { buildModel, summarize } from './models';
import { makePlan } from './schedule';
import { Search, type SearchSnapshot } from './search';

export type Listener = (event: RunnerEvent) => void;

/** One run of a comparison as the engine trains it: a search (EP, iEP, IteRand) or the dense baseline. */
export type RunTrainer = Search | DenseRun;
type RunSnapshot = SearchSnapshot | DenseSnapshot;

export interface ComparisonSnapshot {
  config: ComparisonConfig;
  /** Each run's state, by run id. */
  runs: Record<RunId, RunSnapshot>;
}

/** Builds one run of the comparison; every model is built from the same seed, so weights and scores are shared. */
function buildRun(c: LocalConfig, run: RunConfig, trainCount: number): RunTrainer {
  if (run.method === 'dense') return new DenseRun(c, trainCount, run);
  const model = buildModel(c.model, c.width, c.seed);
  const plan = makePlan(c, run, trainCount);
  if (run.method === 'iterand') return new IteRandSearch(c, model, plan, run.iterand, run);
  return new Search(c, run, model, plan);
}

/** The runs of `share` in the config's order; throws on an id the config lacks or an empty share. */
function shareOf(c: LocalConfig, share: readonly RunId[] | undefined): RunConfig[] {
  if (!share) return c.runs;
  const unknown = share.find((id) => !c.runs.some((r) => r.id === id));
  if (unknown !== undefined) throw new Error(`the comparison has no run ${unknown}`);
  const runs = c.runs.filter((r) => share.includes(r.id));
  if (runs.length === 0) throw new Error('an engine was given no run to train');
  return runs;
}

function perRun(runs: readonly RunTrainer[], f: (r: RunTrainer) => number): PerRun {
  return Object.fromEntries(runs.map((r) => [r.run, f(r)]));
}

export interface ComparisonOptions {
  /** Keep a snapshot (plain arrays) after reports, to go on after a lost device (default true). */
  snapshots?: boolean;
  /**
   * Nets with more edges than this snapshot at most once a minute instead of after every report: a snapshot copies
   * every score of both runs (ResNet-18: about 0.5 GB). Default 2 million.
   */
  snapshotEveryReportUpTo?: number;
  /** Milliseconds for that once-a-minute cadence (default performance.now); tests pass a clock they move. */
  now?: () => number;
  /**
   * The runs this engine trains, by id (default: all). A pool of engine workers gives each worker a share: every run
   * is built from the config's seed and steps the config's batch order on its own, so a share's reports are, bit for
   * bit, those the whole comparison reports for the same runs.
   */
  share?: readonly RunId[];
}

const SNAPSHOT_INTERVAL_MS = 60_000;
/** How long halt() waits for the step in flight to end. */
const HALT_WAIT_MS = 5_000;

/**
 * A macrotask: lets queued messages (pause, step) in between steps. With no delay, a MessageChannel message rather
 * than setTimeout(0), which browsers clamp to 4 ms once timers nest.
 */
function yieldToEvents(ms = 0): Promise<void> {
  if (ms > 0 || typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, ms));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

export class Comparison {
  readonly config: LocalConfig;
  readonly summary: ModelSummary;
  /** The runs in the config's order (the order they step in). */
  readonly list: RunTrainer[];
  /** The same runs by id. */
  readonly runs: Record<RunId, RunTrainer>;
  private readonly data: SearchData;
  private readonly order: BatchOrder;
  private readonly testCount: number;
  private readonly listeners = new Set<Listener>();
  private state: RunnerState = 'ready';
  private loop: Promise<void> | null = null;
  private delayMs = 0;
  private snapshotsOn: boolean;
  private readonly snapshotEveryReport: boolean;
  private readonly now: () => number;
  /** -Infinity: the first report is always snapshotted, however young the page (performance.now starts at 0). */
  private lastSnapshotAt = -Infinity;
  /**
   * The step the runs may not pass while running (null: none). A pool keeps its workers within a report window of
   * each other by moving it; Step ignores it (one step of each run is what the user asked for).
   */
  private horizon: number | null = null;
  /** Wakes a loop waiting at the horizon (a new horizon, a pause, a stop). */
  private wake: (() => void) | null = null;
  /** The state after the latest report (both runs), to go on from after an error. */
  lastSnapshot: ComparisonSnapshot | null = null;

  /**
   * Validates the config (throws ConfigError naming the field; a net only a worker builds is refused here too) and
   * builds every run from one seed.
   */
  constructor(config: unknown, data: SearchData, options: ComparisonOptions = {}) {
    this.config = validateLocalConfig(config);
    const c = this.config;
    this.data = { train: limitSplit(data.train, c.trainLimit), test: limitSplit(data.test, c.testLimit) };
    if (this.data.train.count === 0) throw new Error('the training split is empty');
    this.testCount = this.data.test.count;
    this.order = new BatchOrder(this.data.train, c.seed, c.batchSize);
    this.list = shareOf(c, options.share).map((run) => buildRun(c, run, this.data.train.count));
    this.runs = Object.fromEntries(this.list.map((r) => [r.run, r]));
    // Every run's model has the same layers: any run's summary is the comparison's.
    this.summary = summarize(this.list[0].model, c.targetPruningRate);
    this.snapshotsOn = options.snapshots ?? true;
    this.snapshotEveryReport = this.summary.totalEdges <= (options.snapshotEveryReportUpTo ?? 2_000_000);
    this.now = options.now ?? (() => performance.now());
  }

  /** Rebuilds a comparison from a snapshot (e.g. on another backend) that continues exactly where it was. */
  static restore(snapshot: ComparisonSnapshot, data: SearchData, options: ComparisonOptions = {}): Comparison {
    const c = new Comparison(snapshot.config, data, options);
    for (const run of c.list) {
      const saved = snapshot.runs?.[run.run];
      if (!saved) throw new Error(`the snapshot holds no state of run ${run.run}`);
      // A run restores only its own kind of snapshot; restore() checks the fit.
      (run.restore as (s: RunSnapshot) => void)(saved);
    }
    c.lastSnapshot = snapshot;
    c.state = 'paused';
    return c;
  }

  get totalSteps(): PerRun {
    return perRun(this.list, (r) => r.plan.totalSteps);
  }

  get steps(): PerRun {
    return perRun(this.list, (r) => r.stepsDone);
  }

  /** Where the runs go on from after an error: the last snapshot's steps (all reported), else the steps done. */
  get resumableSteps(): PerRun {
    const saved = this.lastSnapshot;
    return saved ? perRun(this.list, (r) => saved.runs[r.run].stepsDone) : this.steps;
  }

  get done(): boolean {
    return this.list.every((r) => r.done);
  }

  get currentState(): RunnerState {
    return this.state;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: RunnerEvent): void {
    this.listeners.forEach((l) => l(event));
  }

  private setState(state: RunnerState): void {
    this.state = state;
    this.emit({ type: 'state', state, steps: this.steps });
  }

  setSpeed(delayMs: number): void {
    this.delayMs = Math.max(0, delayMs);
  }

  setHorizon(step: number | null): void {
    this.horizon = step;
    this.wakeLoop();
  }

  private wakeLoop(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** The step the unfinished runs are at (they step together), or null when all are done. */
  get position(): number | null {
    return this.list.find((r) => !r.done)?.stepsDone ?? null;
  }

  private atHorizon(): boolean {
    const at = this.position;
    return this.horizon !== null && at !== null && at >= this.horizon;
  }

  /**
   * One step of each unfinished run on the same batch, then any reports and evaluations that fall due. `reportNow`
   * reports this step whatever `reportEvery` says: a single Step or a slowed run must move the heatmaps every step.
   */
  async stepOnce(reportNow = this.delayMs > 0): Promise<void> {
    const active = this.list.filter((r) => !r.done);
    if (active.length === 0) return;
    const t = active[0].stepsDone;
    const batch = this.order.batch(t);
    try {
      for (const run of active) {
        run.step(batch);
        await run.settle();
      }
    } finally {
      batch.x.dispose();
      batch.y.dispose();
    }
    // Reports go out only once the snapshot that covers them is taken: if the device goes in between, the run goes
    // on from a state the page has seen every report of, so no step is reported twice and none is skipped.
    const out: RunnerEvent[] = [];
    for (const run of active) {
      const s = run.stepsDone;
      if (reportNow || s % this.config.reportEvery === 0 || run.done)
        out.push({ type: 'report', report: await run.report() });
      const reason = this.evalReason(run);
      if (reason)
        out.push({ type: 'eval', report: await run.evaluate(testBatches(this.data.test, this.testCount), reason) });
    }
    const reported = out.some((e) => e.type === 'report');
    const due = this.snapshotEveryReport || this.now() - this.lastSnapshotAt >= SNAPSHOT_INTERVAL_MS;
    if (reported && this.snapshotsOn && due) {
      this.lastSnapshot = await this.snapshot();
      this.lastSnapshotAt = this.now();
    }
    out.forEach((e) => this.emit(e));
    if (this.horizon !== null) this.emit({ type: 'progress', steps: this.steps });
  }

  private evalReason(run: RunTrainer): EvalReport['reason'] | null {
    const s = run.stepsDone;
    if (run.done) return 'final';
    const cycle = run.cycle;
    if (s === cycle.start + cycle.length) return 'cycle-end';
    if (s % run.plan.stepsPerEpoch === 0) return 'epoch';
    return null;
  }

  /**
   * Runs until done, paused or stopped, yielding a macrotask between steps. `reportFirst`: the first step reports
   * whatever reportEvery says (a new comparison shows its first masks at once).
   */
  start(reportFirst = false): Promise<void> {
    if (this.loop) return this.loop;
    if (this.state === 'done' || this.state === 'stopped' || this.state === 'error') return Promise.resolve();
    this.setState('running');
    let first = reportFirst;
    this.loop = (async () => {
      try {
        while (this.state === 'running' && !this.done) {
          if (this.atHorizon()) {
            await new Promise<void>((resolve) => (this.wake = resolve));
            continue;
          }
          await this.stepOnce(first || undefined);
          first = false;
          await yieldToEvents(this.delayMs);
        }
        if (this.done && this.state === 'running') this.setState('done');
      } catch (e) {
        this.failStep(e);
      } finally {
        this.loop = null;
      }
    })();
    return this.loop;
  }

  /** A step that threw (a lost device, say): the run stops, and can go on from the last snapshot if there is one. */
  private failStep(e: unknown): void {
    this.state = 'error';
    this.emit({
      type: 'error',
      message: e instanceof Error ? e.message : String(e),
      recoverable: this.lastSnapshot !== null,
    });
    this.emit({ type: 'state', state: 'error', steps: this.resumableSteps });
  }

  /** Stops the loop after the current step. */
  async pause(): Promise<void> {
    if (this.state === 'running') {
      this.state = 'paused';
      this.wakeLoop();
      await this.loop;
      this.setState('paused');
    }
  }

  /** One step of each run, then paused. */
  async step(): Promise<void> {
    await this.pause();
    if (this.state === 'done' || this.state === 'stopped' || this.state === 'error') return;
    try {
      await this.stepOnce(true);
    } catch (e) {
      this.failStep(e);
      return;
    }
    // halt() (a lost device) may have stopped the run while the step was in flight: its error stands.
    if (this.currentState !== 'error') this.setState(this.done ? 'done' : 'paused');
  }

  async stop(): Promise<void> {
    if (this.state === 'running') {
      this.state = 'stopped';
      this.wakeLoop();
      await this.loop;
    }
    this.setState('stopped');
  }

  /** Stops the loop without a state event (the caller reports why): a lost device. */
  async halt(): Promise<void> {
    const loop = this.loop;
    this.state = 'error';
    this.wakeLoop();
    // Chromium rejects a GPU read on a lost device (AbortError), but a read left pending elsewhere must not keep the
    // loss from being reported: the step it belongs to is not in the snapshot anyway.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bounded = new Promise<void>((resolve) => (timer = setTimeout(resolve, HALT_WAIT_MS)));
    await Promise.race([loop?.catch(() => undefined), bounded]);
    clearTimeout(timer);
  }

  async snapshot(): Promise<ComparisonSnapshot> {
    const runs: Record<RunId, RunSnapshot> = {};
    for (const r of this.list) runs[r.run] = await r.snapshot();
    return { config: this.config, runs };
  }

  dispose(): void {
    this.list.forEach((r) => r.dispose());
    this.listeners.clear();
  }
}
