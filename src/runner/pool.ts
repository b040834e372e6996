// A pool of engine workers that the page drives as ONE runner. A comparison's runs only share their starting weights
// and their batches, and each engine builds both from the config's seed, so the runs can be split over several
// engines (each a `Comparison` of its share, src/engine/comparison.ts) and train at once, one per core: the reports
// are the ones a single engine would send. The pool merges the engines' events into one feed, keeps them within a
// report window of each other, and replaces an engine that dies or stops answering from its own last snapshot.
import type { BackendChoice, BackendName, ComparisonConfig, RunId } from '../protocol/config';
import type {
  DatasetPayload,
  EngineSnapshot,
  PerRun,
  RunnerCommand,
  RunnerEvent,
  RunnerState,
} from '../protocol/messages';
import { fitWorkers } from '../protocol/memory';
import type { BackendInfo, ModelSummary } from '../protocol/report';

/** One engine as the pool sees it: where commands go, and how it is dropped. */
export interface EnginePort {
  post(cmd: RunnerCommand): void;
  /** Drops the engine whatever it is doing; nothing it sent after this is heard. */
  close(): void;
}

/** Starts an engine: `hear` gets its events, `crash` a failure outside any command (it died, it could not load). */
export type SpawnEngine = (hear: (event: RunnerEvent) => void, crash: (message: string) => void) => EnginePort;

/** How a comparison is laid over the cores: engine workers, and wasm threads in each. */
export interface PoolLayout {
  workers: number;
  threads: number;
}

/** A layout and why it was chosen (said on the backend badge). */
export interface Layout extends PoolLayout {
  why: string;
}

const GPU_BACKENDS: readonly BackendName[] = ['webgpu', 'webgl'];

/**
 * The layout a rule gives before anything is measured: on the CPU backends an engine per run up to the cores (runs
 * are independent, so they need no barrier, while intra-op threads meet one in every op), the cores left over as
 * threads; on a GPU one engine, since every engine would queue on the same device.
 */
export function ruleLayout(runs: number, cores: number, backend: BackendChoice): Layout {
  if (GPU_BACKENDS.includes(backend as BackendName)) {
    return { workers: 1, threads: cores, why: 'one worker: every run shares the one GPU device' };
  }
  const workers = Math.max(1, Math.min(runs, cores));
  const threads = Math.max(1, Math.floor(cores / workers));
  return {
    workers,
    threads,
    why: layoutWords(workers, threads),
  };
}

/** "2 workers × 1 thread": how the badge and the measurement say a layout. */
export function layoutWords(workers: number, threads: number): string {
  return `${workers} worker${workers === 1 ? '' : 's'} × ${threads} thread${threads === 1 ? '' : 's'}`;
}

/** A layout the page measured (or the address set), for a comparison of however many runs. */
export function measuredLayout(asked: PoolLayout, config: ComparisonConfig, source = 'measured'): Layout {
  const workers = Math.max(1, Math.min(asked.workers, config.runs.length));
  return { workers, threads: asked.threads, why: `${layoutWords(workers, asked.threads)} (${source})` };
}

/** The cores the page may fill (1 where the browser hides the figure). */
export function pageCores(): number {
  const n = globalThis.navigator?.hardwareConcurrency;
  return Number.isInteger(n) && n! > 0 ? n! : 1;
}

/** Whether workers can share memory here (a cross-origin isolated page): the dataset is then one copy for all. */
export function canShareMemory(): boolean {
  return globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';
}

/**
 * The rule's layout with as many workers as the tab's memory holds (protocol/memory.ts): a study too big to spread
 * over every core shares fewer workers rather than being refused.
 */
export function fittedLayout(config: ComparisonConfig, cores: number, backend: BackendChoice): Layout {
  const rule = ruleLayout(config.runs.length, cores, backend);
  const workers = fitWorkers(config, rule.workers, canShareMemory());
  if (workers === rule.workers) return rule;
  const threads = Math.max(1, Math.floor(cores / workers));
  return { workers, threads, why: `${layoutWords(workers, threads)} (as many as the tab's memory holds)` };
}

/** The runs of `config` dealt over `workers` engines in turn (EP and iEP, first in most studies, apart). */
export function dealRuns(config: ComparisonConfig, workers: number): RunId[][] {
  const shares: RunId[][] = Array.from({ length: Math.min(workers, config.runs.length) }, () => []);
  config.runs.forEach((run, i) => shares[i % shares.length].push(run.id));
  return shares;
}

/** The dataset on shared memory where the page may share it (cross-origin isolated): every engine reads one copy. */
const sharedCopies = new WeakMap<DatasetPayload, DatasetPayload>();
export function shareDataset(d: DatasetPayload): DatasetPayload {
  if (!canShareMemory()) return d;
  const known = sharedCopies.get(d);
  if (known) return known;
  const onShared = (a: Uint8Array) => {
    const s = new Uint8Array(new SharedArrayBuffer(a.length));
    s.set(a);
    return s;
  };
  const shared = {
    ...d,
    trainImages: onShared(d.trainImages),
    trainLabels: onShared(d.trainLabels),
    testImages: onShared(d.testImages),
    testLabels: onShared(d.testLabels),
  };
  sharedCopies.set(d, shared);
  return shared;
}

/** The engine's snapshot as far as the pool reads it: its runs by id (the rest is the engine's business). */
interface ShareSnapshot {
  config: ComparisonConfig;
  runs: Record<RunId, unknown>;
}

interface Member {
  port: EnginePort;
  /** The wasm threads its backend started with (fixed once started). */
  threads: number;
  share: RunId[];
  state: RunnerState;
  /** Each of its runs' steps, as its reports and states say. */
  steps: PerRun;
  totals: PerRun | null;
  summary: ModelSummary | null;
  /** Its newest snapshots, oldest first, with the steps each holds. */
  snapshots: { steps: PerRun; snapshot: ShareSnapshot }[];
  /** Set while it is being rebuilt: once it stands paused or ready, it goes on as the pool does. */
  rebuilding: boolean;
  /** The ping it has not answered yet, and when it was sent. */
  ping: { id: number; at: number } | null;
  /** Times it was replaced after a crash this comparison (a crash that repeats is reported, not retried forever). */
  crashes: number;
}

export interface PoolOptions {
  /** How many cores the pool may fill (navigator.hardwareConcurrency in a page). */
  cores: number;
  /** The layout for a comparison; default fittedLayout (the page's measured one, sent with init, comes first). */
  layout?: (config: ComparisonConfig, backend: BackendChoice) => Layout;
  /** wasm threads of an engine started before any comparison (default: the default two-run comparison's). */
  warmThreads?: number;
  /** Liveness: a ping every pingMs; an engine that leaves one unanswered for hangMs while it has work is replaced. */
  pingMs?: number;
  hangMs?: number;
  now?: () => number;
}

/** Replacements after crashes, per engine and comparison, before the crash is reported instead. */
const MAX_CRASHES = 2;
const SNAPSHOTS_KEPT = 4;

/** What an engine says of its comparison's runs (as against its backend, its liveness or its errors). */
const OF_A_RUN = new Set<RunnerEvent['type']>(['state', 'report', 'eval', 'progress', 'snapshot']);

function finished(m: Member): boolean {
  return m.totals !== null && m.share.every((id) => (m.steps[id] ?? 0) >= (m.totals![id] ?? Infinity));
}

/** The step a member's unfinished runs are at (they step together). */
function position(m: Member): number {
  const open = m.share.filter((id) => m.totals === null || (m.steps[id] ?? 0) < m.totals[id]);
  return Math.min(...(open.length ? open : m.share).map((id) => m.steps[id] ?? 0));
}

function snapshotAt(steps: PerRun): number {
  return Math.max(0, ...Object.values(steps));
}

/** The pool's state from its members': running while any runs, paused only once every one has stopped stepping. */
export function mergeStates(states: RunnerState[]): RunnerState {
  const all = (s: RunnerState[]) => states.every((x) => s.includes(x));
  if (states.includes('error')) return 'error';
  if (all(['done'])) return 'done';
  if (states.includes('running')) return 'running';
  if (all(['stopped', 'done'])) return 'stopped';
  if (states.includes('idle')) return 'idle';
  if (states.includes('ready')) return 'ready';
  return 'paused';
}

export class EnginePool {
  private readonly listeners = new Set<(event: RunnerEvent) => void>();
  private members: Member[] = [];
  private choice: { backend: BackendChoice; reason?: string } | null = null;
  /** What the engines last said they run on (before the layout is added). */
  private lastBackend: BackendInfo | null = null;
  /** The layout the page measured for the next comparison, if it did. */
  private asked: PoolLayout | null = null;
  private layout: Layout | null = null;
  private config: ComparisonConfig | null = null;
  private dataset: DatasetPayload | undefined;
  private delayMs = 0;
  /** What the page last asked of the runs: a rebuilt engine joins in. */
  private wanted: 'running' | 'paused' | 'stopped' = 'paused';
  private announced = false;
  private merged: { state: RunnerState; steps: string } | null = null;
  private horizon: number | null = null;
  /** Per run, the newest step reported and evaluated: a rebuilt engine's repeats are not passed on. */
  private reported: PerRun = {};
  private evaluated = new Set<string>();
  /** The config errors said for the comparison being built (each engine may find the same). */
  private refused = new Set<string>();
  private lastMergedSnapshot = -1;
  /** Set by a recoverable error (a lost device): the next init rebuilds every engine from its last snapshot. */
  private recovering = false;
  private pingId = 0;
  private readonly timer: ReturnType<typeof setInterval> | null;
  private readonly cores: number;
  private readonly layoutFor: (config: ComparisonConfig, backend: BackendChoice) => Layout;
  private readonly hangMs: number;
  private readonly warmThreads: number | undefined;
  private readonly now: () => number;

  constructor(
    private readonly spawn: SpawnEngine,
    options: PoolOptions,
  ) {
    this.cores = Math.max(1, options.cores);
    this.layoutFor = options.layout ?? ((c, b) => fittedLayout(c, this.cores, b));
    this.hangMs = options.hangMs ?? 20_000;
    this.warmThreads = options.warmThreads;
    this.now = options.now ?? (() => performance.now());
    const pingMs = options.pingMs ?? 2_000;
    this.timer = pingMs > 0 ? setInterval(() => this.checkLiveness(), pingMs) : null;
  }

  subscribe(listener: (event: RunnerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Threads for an engine started now: the layout's, or before any comparison the default two-run comparison's, so
   * the engine started early to name the backend is usually kept.
   */
  private threadsNow(): number {
    return this.layout?.threads ?? this.warmThreads ?? Math.max(1, Math.floor(this.cores / 2));
  }

  /** Engines alive now (tests and the benchmark read it). */
  get size(): number {
    return this.members.length;
  }

  send(cmd: RunnerCommand): void {
    switch (cmd.type) {
      case 'init':
        return this.init(cmd);
      case 'create':
        return this.create(cmd.config, cmd.dataset, cmd.snapshot as ShareSnapshot | undefined);
      case 'start':
        this.wanted = 'running';
        this.updateHorizon();
        return this.broadcast(cmd, (m) => !finished(m));
      case 'pause':
        this.wanted = 'paused';
        return this.broadcast(cmd);
      case 'step':
        this.wanted = 'paused';
        return this.broadcast(cmd, (m) => !finished(m));
      case 'stop':
        this.wanted = 'stopped';
        return this.broadcast(cmd);
      case 'speed':
        this.delayMs = cmd.delayMs;
        return this.broadcast(cmd);
      case 'loseDevice':
        // A GPU backend has one engine; its loss is every run's.
        this.members[0]?.port.post(cmd);
        return;
      case 'abandon':
      case 'horizon':
      case 'ping':
        // The pool's own business with its engines.
        return;
    }
  }

  /** Every engine dropped now; the next init and create start new ones (the page's watchdog calls this). */
  restart(): void {
    this.members.forEach((m) => this.drop(m));
    this.members = [];
    this.config = null;
    this.layout = null;
    this.merged = null;
    this.announced = false;
    this.recovering = false;
  }

  /** Drops every engine and stops the liveness timer. */
  close(): void {
    this.restart();
    if (this.timer) clearInterval(this.timer);
    this.listeners.clear();
  }

  private emit(event: RunnerEvent): void {
    this.listeners.forEach((l) => l(event));
  }

  private broadcast(cmd: RunnerCommand, which: (m: Member) => boolean = () => true): void {
    this.members.filter((m) => !m.rebuilding && which(m)).forEach((m) => m.port.post(cmd));
  }

  private drop(m: Member): void {
    // A moment to drop its GPU device first (the port's close does the waiting), then gone.
    m.port.post({ type: 'abandon' });
    m.port.close();
  }

  private newMember(share: RunId[]): Member {
    const m: Member = {
      port: null as unknown as EnginePort,
      threads: this.threadsNow(),
      share,
      state: 'idle',
      steps: {},
      totals: null,
      summary: null,
      snapshots: [],
      rebuilding: false,
      ping: null,
      crashes: 0,
    };
    this.connect(m);
    return m;
  }

  /** Starts `m`'s engine; events of an engine replaced since are not heard. */
  private connect(m: Member): void {
    const port = this.spawn(
      (event) => {
        if (m.port === port && this.members.includes(m)) this.hear(m, event);
      },
      (message) => {
        if (m.port === port && this.members.includes(m)) this.crashed(m, message);
      },
    );
    m.port = port;
    m.ping = null;
    m.threads = this.threadsNow();
    if (this.choice) port.post({ type: 'init', ...this.choice, threads: m.threads });
  }

  private init(cmd: Extract<RunnerCommand, { type: 'init' }>): void {
    this.choice = { backend: cmd.backend, ...(cmd.reason ? { reason: cmd.reason } : {}) };
    this.asked = cmd.layout ?? null;
    if (this.recovering && this.config) {
      // After a lost device every engine starts again on the new backend from its own last snapshot, paused.
      this.recovering = false;
      this.layout = this.asked ? measuredLayout(this.asked, this.config) : this.layoutFor(this.config, cmd.backend);
      this.wanted = 'paused';
      this.members.forEach((m) => this.rebuild(m));
      return;
    }
    // Before any comparison, one engine starts, so the page can name the backend early.
    if (this.members.length === 0) {
      this.members.push(this.newMember([]));
      return;
    }
    this.members.forEach((m) => m.port.post({ type: 'init', ...this.choice!, threads: m.threads }));
  }

  private create(config: ComparisonConfig, dataset: DatasetPayload | undefined, snapshot?: ShareSnapshot): void {
    if (dataset) this.dataset = shareDataset(dataset);
    const backend = this.choice?.backend ?? 'auto';
    const layout = this.asked ? measuredLayout(this.asked, config) : this.layoutFor(config, backend);
    const shares = dealRuns(config, layout.workers);
    // Engines are kept where their wasm threads fit the new layout (a backend started cannot change its threads).
    const fits = this.members.filter((m) => m.threads === layout.threads).slice(0, shares.length);
    this.members.filter((m) => !fits.includes(m)).forEach((m) => this.drop(m));
    this.config = config;
    this.layout = layout;
    this.members = fits;
    this.choice ??= { backend: 'auto' };
    while (this.members.length < shares.length) this.members.push(this.newMember([]));
    this.announced = false;
    this.merged = null;
    this.recovering = false;
    this.wanted = 'paused';
    this.reported = {};
    this.evaluated = new Set();
    this.refused = new Set();
    this.lastMergedSnapshot = snapshot ? snapshotAt(stepsOf(snapshot)) : -1;
    this.horizon = null;
    // The badge says the new layout even where no engine starts anew.
    if (this.lastBackend) this.emit({ type: 'backend', backend: this.describe(this.lastBackend) });
    this.members.forEach((m, i) => {
      Object.assign(m, { share: shares[i], state: 'idle', steps: {}, totals: null, summary: null, snapshots: [] });
      Object.assign(m, { rebuilding: false, crashes: 0 });
      if (snapshot) {
        for (const id of m.share) this.reported[id] = stepsOf(snapshot)[id] ?? 0;
        m.steps = pick(stepsOf(snapshot), m.share);
        m.snapshots = [{ steps: m.steps, snapshot }];
      }
      // A kept engine may hold the last comparison's horizon.
      m.port.post({ type: 'horizon', step: null });
      m.port.post({ type: 'create', config, dataset: this.dataset, snapshot, share: m.share });
      m.port.post({ type: 'speed', delayMs: this.delayMs });
    });
    this.updateHorizon();
  }

  /** A new engine for `m`, from its newest snapshot (from step 0 without one); it joins the others once ready. */
  private rebuild(m: Member): void {
    this.drop(m);
    m.rebuilding = true;
    m.state = 'idle';
    this.connect(m);
    const newest = m.snapshots.at(-1);
    m.steps = newest ? { ...newest.steps } : {};
    m.port.post({
      type: 'create',
      config: this.config!,
      dataset: this.dataset,
      snapshot: newest?.snapshot,
      share: m.share,
    });
    m.port.post({ type: 'speed', delayMs: this.delayMs });
    if (this.horizon !== null) m.port.post({ type: 'horizon', step: this.horizon });
  }

  private crashed(m: Member, message: string): void {
    if (!this.config || m.share.length === 0 || m.crashes >= MAX_CRASHES) {
      this.emit({ type: 'error', message });
      return;
    }
    m.crashes += 1;
    this.rebuild(m);
  }

  private hear(m: Member, event: RunnerEvent): void {
    // A kept engine's last comparison may still be talking when the new one is sent: until the engine says it built
    // the new one, what it says of runs is the old comparison's, and must not move the new one's steps or state.
    if (m.totals === null && OF_A_RUN.has(event.type)) return;
    switch (event.type) {
      case 'pong':
        if (m.ping?.id === event.id) m.ping = null;
        return;
      case 'progress':
        m.steps = { ...m.steps, ...event.steps };
        return this.updateHorizon();
      case 'backend':
        this.lastBackend = event.backend;
        return this.emit({ type: 'backend', backend: this.describe(event.backend) });
      case 'created':
        // Announced with the state the engine sends right after it (a restored run's is 'paused').
        m.totals = event.totalSteps;
        m.summary = event.summary;
        return;
      case 'state':
        return this.changed(m, event.state, event.steps);
      case 'report': {
        const { run, step } = event.report;
        m.steps = { ...m.steps, [run]: step };
        if (step <= (this.reported[run] ?? 0)) return;
        this.reported[run] = step;
        this.emit(event);
        this.updateHorizon();
        return;
      }
      case 'eval': {
        const key = `${event.report.run}/${event.report.step}/${event.report.reason}`;
        if (this.evaluated.has(key)) return;
        this.evaluated.add(key);
        return this.emit(event);
      }
      case 'snapshot':
        m.snapshots = [...m.snapshots, { steps: event.steps, snapshot: event.snapshot as ShareSnapshot }].slice(
          -SNAPSHOTS_KEPT,
        );
        return this.mergeSnapshots();
      case 'error':
        if (event.restart && m.share.length > 0) return this.crashed(m, event.message);
        if (event.recoverable) {
          // The other engines wait while the user picks another backend for all.
          this.recovering = true;
          this.broadcast({ type: 'pause' }, (x) => x !== m);
        }
        // A config error is said once, by whichever engine found it: one engine may refuse it for a run in its
        // share (iEP's cycles against the budget) that the others never build.
        if (event.field) {
          const key = `${event.field}: ${event.message}`;
          if (this.refused.has(key)) return;
          this.refused.add(key);
        }
        return this.emit(event);
    }
  }

  /** The backend's reason with the layout, so the badge says how the cores are used. */
  private describe(backend: BackendInfo): BackendInfo {
    const layout = this.layout;
    if (!layout) return backend;
    return { ...backend, reason: `${backend.reason} · ${layout.why}` };
  }

  /** One 'created' for the comparison, once every engine has built its share and said its state. */
  private announce(): void {
    const built = (m: Member) => m.totals !== null && m.state !== 'idle';
    if (this.announced || !this.config || !this.members.every(built)) return;
    this.announced = true;
    const first = this.members.find((m) => m.share.includes(this.config!.runs[0].id)) ?? this.members[0];
    const totalSteps = Object.assign({}, ...this.members.map((m) => m.totals));
    this.emit({ type: 'created', summary: first.summary!, totalSteps });
    this.emitMerged();
  }

  private changed(m: Member, state: RunnerState, steps: PerRun): void {
    m.state = state;
    m.steps = { ...m.steps, ...steps };
    if (m.rebuilding && (state === 'paused' || state === 'ready')) {
      m.rebuilding = false;
      if (this.wanted === 'running' && !finished(m)) m.port.post({ type: 'start' });
    }
    if (!this.announced) this.announce();
    else if (!m.rebuilding) this.emitMerged();
  }

  private emitMerged(): void {
    if (!this.announced) return;
    const members = this.members.filter((m) => m.share.length > 0);
    // A member being rebuilt counts as what the pool wants of it.
    const states = members.map((m) => (m.rebuilding ? (this.wanted === 'running' ? 'running' : 'paused') : m.state));
    const state = mergeStates(states);
    const steps: PerRun = Object.assign({}, ...members.map((m) => pick(m.steps, m.share)));
    const key = JSON.stringify(steps);
    if (this.merged?.state === state && this.merged.steps === key) return;
    this.merged = { state, steps: key };
    this.emit({ type: 'state', state, steps });
  }

  /**
   * The unfinished engines may run one report window past the slowest one's steps (so their reports are at most one
   * report apart): moved after every step of any engine, so that engines of equal speed never wait for it.
   */
  private updateHorizon(): void {
    if (!this.config || this.members.length < 2) return;
    const open = this.members.filter((m) => !finished(m));
    if (open.length === 0) return;
    const horizon = Math.min(...open.map(position)) + this.config.reportEvery;
    if (horizon === this.horizon) return;
    this.horizon = horizon;
    this.broadcast({ type: 'horizon', step: horizon });
  }

  /**
   * The comparison's snapshot at the newest step every engine has one for (a finished engine's last counts for any
   * later step): what the page keeps to rebuild the whole comparison, in this pool or any other layout.
   */
  private mergeSnapshots(): void {
    if (!this.config || !this.announced) return;
    const candidates = [...new Set(this.members.flatMap((m) => m.snapshots.map((s) => snapshotAt(s.steps))))];
    const at = candidates
      .filter((p) => p > this.lastMergedSnapshot)
      .sort((a, b) => b - a)
      .find((p) => this.members.every((m) => snapshotFor(m, p)));
    if (at === undefined) return;
    this.lastMergedSnapshot = at;
    const parts = this.members.map((m) => snapshotFor(m, at)!);
    const snapshot: ShareSnapshot = {
      config: parts[0].snapshot.config,
      runs: Object.assign({}, ...parts.map((p, i) => pick(p.snapshot.runs, this.members[i].share))),
    };
    const steps: PerRun = Object.assign({}, ...parts.map((p, i) => pick(p.steps, this.members[i].share)));
    this.emit({ type: 'snapshot', snapshot: snapshot as EngineSnapshot, steps });
  }

  /** Pings every engine; one that left a ping unanswered too long while it had work is replaced. */
  private checkLiveness(): void {
    const t = this.now();
    for (const m of this.members) {
      if (m.ping && t - m.ping.at > this.hangMs && m.share.length > 0 && (m.state === 'running' || m.rebuilding)) {
        this.crashed(m, `An engine worker stopped answering for ${Math.round(this.hangMs / 1000)} s`);
        continue;
      }
      if (m.ping) continue;
      m.ping = { id: ++this.pingId, at: t };
      m.port.post({ type: 'ping', id: m.ping.id });
    }
  }
}

function stepsOf(snapshot: ShareSnapshot): PerRun {
  // The engine's run snapshots carry their steps done; the pool reads only that.
  return Object.fromEntries(
    Object.entries(snapshot.runs).map(([id, r]) => [id, (r as { stepsDone?: number }).stepsDone ?? 0]),
  );
}

function pick<T>(record: Record<RunId, T>, ids: readonly RunId[]): Record<RunId, T> {
  return Object.fromEntries(ids.filter((id) => id in record).map((id) => [id, record[id]]));
}

/** `m`'s snapshot at step `at`, or its last one if it finished before. */
function snapshotFor(m: Member, at: number): Member['snapshots'][number] | undefined {
  const exact = m.snapshots.find((s) => snapshotAt(s.steps) === at);
  if (exact) return exact;
  const last = m.snapshots.at(-1);
  return last && finished(m) && snapshotAt(last.steps) <= at ? last : undefined;
}
