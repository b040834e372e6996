// The engine session: the page's side of a comparison trained in this tab, as one state machine. It owns the runner
// (a pool of engine workers that speaks as one engine), the command waiting for the engine, the watchdog on pause and
// stop, the newest snapshot, and the event feed into the store. Store actions and views call its transitions; they
// never see a worker.
//
//   idle ──Start/Step──► creating ──created──► ready/paused ⇄ running ──► done
//                          ▲   (Start/Step wait here)        │  Pause
//                          │                                 ▼
//                          └──Start/Step── replaced ◄─silent─ pausing ──answered──► paused
//   any run state ──Reset──► stopping ──answered / silent (engine replaced)──► idle
//   running ──error──► failed ──recover (another backend)──► paused
import type { BackendChoice, ComparisonConfig } from '../protocol/config';
import type { DatasetPayload, RunnerCommand, RunnerEvent, RunnerState } from '../protocol/messages';
import { validateConfig } from '../protocol/validate';
import { cancelMeasuring, resolveBackend, type Choice } from './backendChoice';
import { useStore } from './index';
import { keepSnapshot, type SavedSnapshot } from './liveSnapshot';

export interface Runner {
  send(cmd: RunnerCommand): void;
  subscribe(listener: (event: RunnerEvent) => void): () => void;
  /** Drops the engine(s) whatever they are doing; the next init and create start new ones. */
  restart?(): void;
}

/** Finds the data a config names; undefined lets the runner use what it already holds. */
export type DatasetSource = (id: string) => DatasetPayload | undefined | Promise<DatasetPayload | undefined>;

/** A command the user gave before the engine could take it: sent once it can. */
export type Wish = 'start' | 'step';

export type SessionState =
  | { name: 'idle' }
  /**
   * The backend, the data or the engine's 'created' is awaited; `then` is sent once the comparison exists. `fresh`: a
   * new comparison, whose first step reports, so the first masks show at once.
   */
  | { name: 'creating'; runId: string; then: Wish | null; fresh?: boolean }
  | { name: 'ready'; runId: string }
  | { name: 'running'; runId: string }
  /** Pause sent, not confirmed: shown paused soon, the engine replaced if it stays silent. */
  | { name: 'pausing'; runId: string; then: Wish | null }
  | { name: 'paused'; runId: string }
  /** The engine was dropped after a pause it never answered: the run is rebuilt from its snapshot on Start/Step. */
  | { name: 'replaced'; runId: string }
  /** Stop sent, not confirmed: a new run gets a new engine at once. */
  | { name: 'stopping' }
  | { name: 'done'; runId: string }
  | { name: 'failed'; runId: string; recoverable: boolean };

export type StateName = SessionState['name'];

/** What the session needs besides the runner, replaceable in tests. */
export interface SessionDeps {
  dataset: DatasetSource;
  /** Writes what is left of the live run, marked stopped (or interrupted: continuable), before it leaves the screen. */
  finishRecording: (as?: 'stopped' | 'interrupted') => Promise<void>;
}

// At most ten store updates (and renders) a second, however fast reports come.
const FLUSH_MS = 100;
/**
 * How long the engine has to confirm a pause or a stop. An engine silent past this is stuck in a step (WebGPU on a
 * software adapter can take minutes for one) and is replaced. Generous, because replacing a slow but healthy engine
 * costs a rebuild and the steps since the last snapshot; the page shows the pause long before (SHOW_PAUSE_MS).
 */
export const ANSWER_MS = 10_000;
/** A pause is shown as soon as the engine confirms it, or after this long whatever the engine is doing. */
export const SHOW_PAUSE_MS = 400;
/**
 * A run that has shown no step this long after it began running is said to be stalled, and wasm is offered: wasm's
 * first step of the default ResNet-20 takes about a second here, a software GPU's about a minute.
 */
export const STALL_MS = 8_000;

/** The session state an engine state means for the run `runId`. */
function fromEngine(state: RunnerState, runId: string): SessionState {
  switch (state) {
    case 'running':
      return { name: 'running', runId };
    case 'idle':
    case 'ready':
      return { name: 'ready', runId };
    case 'paused':
      return { name: 'paused', runId };
    case 'done':
      return { name: 'done', runId };
    case 'stopped':
      return { name: 'idle' };
    case 'error':
      return { name: 'failed', runId, recoverable: useStore.getState().comparison?.recoverable === true };
  }
}

export class EngineSession {
  private current: SessionState = { name: 'idle' };
  private readonly unhear: () => void;
  private queue: RunnerEvent[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private watchdog: ReturnType<typeof setTimeout>[] = [];
  /** The newest snapshot of the live run, to rebuild it in a new engine. */
  private saved: SavedSnapshot | null = null;
  /** The backend the engine was last started on: a rebuilt engine starts on the same. */
  private backend: Choice = { backend: 'auto' };
  /** Armed when a run starts running before its first report; disarmed by the report. */
  private stallTimer: ReturnType<typeof setTimeout> | null = null;
  /** After an out-of-memory an engine cannot go on (a wasm module that aborted): the next run gets a new one. */
  private spent = false;
  /** Every state entered, oldest first (tests read it; the last few are enough to explain a bug report). */
  readonly history: StateName[] = ['idle'];

  constructor(
    private readonly runner: Runner,
    private readonly deps: SessionDeps,
  ) {
    this.unhear = runner.subscribe((event) => this.hear(event));
  }

  get state(): SessionState {
    return this.current;
  }

  dispose(): void {
    this.unhear();
    this.clearWatchdog();
    if (this.flushTimer) clearTimeout(this.flushTimer);
  }

  private go(next: SessionState): void {
    if (next.name !== this.current.name) this.history.push(next.name);
    this.current = next;
    this.watchForStall();
  }

  /** While running with no step shown yet, a timer; anything else (a report, a pause) takes the word back. */
  private watchForStall(): void {
    // From the Start sent with a new comparison: the run is 'ready' until the engine says it runs.
    const stepping = this.current.name === 'running' || (this.current.name === 'ready' && this.startSent);
    const waiting = stepping && !this.reported;
    if (waiting && !this.stallTimer) {
      this.stallTimer = setTimeout(() => {
        this.stallTimer = null;
        const backend = useStore.getState().backend;
        const name = backend?.name ?? 'this backend';
        const why = backend?.adapter ? ` (${backend.adapter})` : '';
        useStore
          .getState()
          .setStalled(`${name}${why} has made no step in ${STALL_MS / 1000} s. wasm trains on the CPU right away.`);
      }, STALL_MS);
    }
    if (!waiting) {
      if (this.stallTimer) clearTimeout(this.stallTimer);
      this.stallTimer = null;
      if (useStore.getState().stalled) useStore.getState().setStalled(null);
    }
  }

  /** Whether the live run has reported a step since it was (re)built. */
  private reported = false;
  /** Whether Start went to the engine with the comparison it built (see 'created'). */
  private startSent = false;

  /**
   * The live run goes on, now, on `backend`: its engine is dropped whatever step it is in, and the run is rebuilt
   * from its newest snapshot (its first step without one). For a backend too slow to make a step at all.
   */
  async switchBackend(backend: BackendChoice): Promise<void> {
    const s = this.current;
    if (!['running', 'pausing', 'paused', 'ready'].includes(s.name) || !('runId' in s)) return;
    this.replaceEngine();
    this.backend = { backend, reason: `${backend}: chosen after ${this.backend.backend} made no step` };
    useStore.getState().setStalled(null);
    await this.rebuild(s.runId, 'start');
  }

  private runId(): string | null {
    return 'runId' in this.current ? this.current.runId : null;
  }

  // ── What the user does ──────────────────────────────────────────────────────────────────────────────────────

  /** Start a new comparison from the setup, or go on with a paused one. */
  start(): Promise<void> {
    return this.goOn('start');
  }

  /** One step of each run, then paused (creates the comparison first when there is none). */
  step(): Promise<void> {
    return this.goOn('step');
  }

  private goOn(wish: Wish): Promise<void> {
    const s = this.current;
    switch (s.name) {
      case 'ready':
      case 'paused':
        this.runner.send({ type: wish });
        return Promise.resolve();
      case 'pausing':
        // Sent now; if the engine turns out to be stuck, the rebuilt one does it instead.
        this.go({ ...s, then: wish });
        this.runner.send({ type: wish });
        return Promise.resolve();
      case 'creating':
        this.go({ ...s, then: wish });
        return Promise.resolve();
      case 'replaced':
        return this.rebuild(s.runId, wish);
      case 'running':
        return Promise.resolve();
      case 'failed':
        // A run that can go on waits for recover() (another backend); one that cannot gives way to a new run.
        return s.recoverable ? Promise.resolve() : this.createRun(wish);
      case 'idle':
      case 'stopping':
      case 'done':
        return this.createRun(wish);
    }
  }

  /** Shown paused within a second; the engine pauses after its current step, and is replaced if it does not answer. */
  pause(): void {
    const s = this.current;
    // Start sent but not yet confirmed counts as running: the engine takes the pause after it, in order.
    const starting = s.name === 'ready' && this.startSent;
    if (s.name !== 'running' && !starting) return;
    this.runner.send({ type: 'pause' });
    this.go({ name: 'pausing', runId: s.runId, then: null });
    this.arm(
      () => this.abandonStuckRun(),
      [SHOW_PAUSE_MS, () => this.showNow({ type: 'state', state: 'paused', steps: useStore.getState().runnerSteps })],
    );
  }

  /** Whether a run is on the engine (being built, trained or paused): what an import or an open must not end. */
  get live(): boolean {
    return ['creating', 'ready', 'running', 'pausing', 'paused', 'replaced'].includes(this.current.name);
  }

  /**
   * Stops a live run (if any) so the screen can be cleared or a recorded run shown. `continuable`: it is kept in the
   * library as cut short, to go on later from its last snapshot.
   */
  stopLive(continuable = false): void {
    const s = this.current;
    const as = continuable ? 'interrupted' : 'stopped';
    if (s.name === 'idle' || s.name === 'stopping') return;
    if (s.name === 'replaced' || s.name === 'done' || s.name === 'failed') {
      // No engine is stepping this run: nothing to stop.
      if (s.name !== 'done') void this.deps.finishRecording(as);
      this.go({ name: 'idle' });
      return;
    }
    cancelMeasuring();
    this.runner.send({ type: 'stop' });
    // Written now, while the run is still on screen: its events stop counting once it leaves.
    void this.deps.finishRecording(as);
    this.go({ name: 'stopping' });
    this.arm(() => {
      this.replaceEngine();
      if (this.current.name === 'stopping') this.go({ name: 'idle' });
    });
  }

  /** Stops the engine and clears the screen; the recorded run stays in the library. */
  reset(): void {
    this.stopLive();
    useStore.getState().clearComparison();
  }

  /** After a recoverable error: another backend; the engine rebuilds the run from its last snapshot, paused. */
  recover(backend: BackendChoice): void {
    const s = this.current;
    if (s.name !== 'failed' || !s.recoverable) return;
    this.backend = { backend };
    this.runner.send({ type: 'init', backend });
  }

  setSpeed(delayMs: number): void {
    useStore.getState().setDelay(delayMs);
    if (this.runId() !== null) this.runner.send({ type: 'speed', delayMs });
  }

  /** Destroys the engine's WebGPU device for real (a debug tool): the run stops with a recoverable error. */
  loseDevice(): void {
    // Not once the engine was replaced: the new one holds no device until the run goes on.
    if (!['running', 'pausing', 'paused', 'ready'].includes(this.current.name)) return;
    if (useStore.getState().backend?.name === 'webgpu') this.runner.send({ type: 'loseDevice' });
  }

  /** Moves the engine to `choice` while no run is on (the page names the backend before Start). */
  useBackend(choice: Choice): void {
    if (this.runId() !== null) return;
    this.backend = choice;
    this.runner.send({ type: 'init', ...choice });
  }

  /**
   * A stored run cut short (its page closed mid-run) goes on here from its stored snapshot, then runs. `show` puts
   * it on screen as live once any run before it has stopped.
   */
  async continueRun(config: ComparisonConfig, snapshot: SavedSnapshot, show: () => void): Promise<void> {
    const dataset = await this.loadData(config.dataset);
    if (dataset === null) return;
    this.stopLive();
    show();
    this.go({ name: 'creating', runId: snapshot.runId, then: 'start' });
    await this.launch(snapshot.runId, config, dataset, snapshot);
  }

  // ── Building a run ──────────────────────────────────────────────────────────────────────────────────────────

  private async createRun(then: Wish): Promise<void> {
    const s = useStore.getState();
    s.setConfig(s.config);
    if (useStore.getState().configError) return;
    const config = validateConfig(s.config);
    const dataset = await this.loadData(config.dataset);
    if (dataset === null) return;
    const id = crypto.randomUUID();
    s.beginLive({
      id,
      createdAt: new Date().toISOString(),
      source: 'browser',
      config,
      summary: null,
      totalSteps: null,
      error: null,
      recoverable: false,
    });
    this.reported = false;
    this.startSent = false;
    this.go({ name: 'creating', runId: id, then, fresh: true });
    await this.launch(id, config, dataset);
  }

  /** The data, or null once the reason it could not be loaded is said. */
  private async loadData(id: string): Promise<DatasetPayload | undefined | null> {
    try {
      return await this.deps.dataset(id);
    } catch (e) {
      useStore.getState().addNotice(`The dataset ${id} could not be loaded: ${(e as Error).message}`);
      return null;
    }
  }

  /** The engine builds the live run `id` (from `snapshot` if given) on the backend the config asks for. */
  private async launch(
    id: string,
    config: ComparisonConfig,
    dataset: DatasetPayload | undefined,
    snapshot?: SavedSnapshot,
  ): Promise<void> {
    this.saved = snapshot ?? null;
    // A stop the engine never confirmed (Reset during a step of minutes), or an engine an out-of-memory left
    // unusable: the new run gets a new engine at once instead of queueing behind the old one.
    if (this.watchdog.length > 0 || this.spent) this.replaceEngine();
    // Start never waits for a measurement in progress (resolveBackend's atOnce).
    const choice = await resolveBackend(
      config,
      () => Promise.resolve(dataset),
      (text) => useStore.getState().setBackendMeasuring(text),
      true,
    );
    // Reset (or another run) while the backends were measured.
    if (!choice || this.current.name !== 'creating' || this.current.runId !== id) return;
    this.backend = choice;
    this.runner.send({ type: 'init', ...choice });
    this.runner.send({ type: 'create', config, dataset, snapshot: snapshot?.snapshot });
  }

  /** The live run in a new engine from its newest snapshot (or from its first step without one), then `then`. */
  private async rebuild(runId: string, then: Wish): Promise<void> {
    const c = useStore.getState().comparison;
    if (!c || c.id !== runId) return;
    this.reported = false;
    this.startSent = false;
    this.go({ name: 'creating', runId, then });
    const snapshot = this.saved?.runId === runId ? this.saved.snapshot : undefined;
    const dataset = await this.loadData(c.config.dataset);
    if (dataset === null || this.runId() !== runId) return;
    this.runner.send({ type: 'init', ...this.backend });
    this.runner.send({ type: 'create', config: c.config, dataset, snapshot });
  }

  // ── The engine's side ───────────────────────────────────────────────────────────────────────────────────────

  private hear(event: RunnerEvent): void {
    if (event.type === 'pong' || event.type === 'progress') return;
    if (event.type === 'snapshot') {
      const c = useStore.getState().comparison;
      const id = this.runId();
      if (id !== null && c?.id === id) {
        this.saved = { runId: id, snapshot: event.snapshot, steps: event.steps };
        keepSnapshot(this.saved);
      }
      return;
    }
    if (event.type === 'error' && event.restart) this.spent = true;
    if (event.type === 'report' && !this.reported) {
      this.reported = true;
      this.watchForStall();
    }
    this.transition(event);
    this.queue.push(event);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** The session's move on an engine event. */
  private transition(event: RunnerEvent): void {
    const s = this.current;
    if (s.name === 'stopping') {
      if ((event.type === 'state' && event.state !== 'running') || event.type === 'error') {
        this.clearWatchdog();
        this.go({ name: 'idle' });
      }
      return;
    }
    const runId = this.runId();
    if (runId === null || s.name === 'replaced') return;
    if (event.type === 'created' && s.name === 'creating') {
      this.startSent = s.then === 'start';
      this.go({ name: 'ready', runId });
      this.runner.send({ type: 'speed', delayMs: useStore.getState().delayMs });
      // A new comparison's first step reports whatever reportEvery says: EP's and iEP's first masks already differ
      // as much as they ever will, and the studio shows that at once.
      if (s.then === 'start') this.runner.send({ type: 'start', ...(s.fresh ? { reportFirst: true } : {}) });
      else if (s.then) this.runner.send({ type: s.then });
      return;
    }
    if (event.type === 'error') {
      // Answered (the engine is listening): no watchdog.
      this.clearWatchdog();
      this.go({ name: 'failed', runId, recoverable: event.recoverable === true });
      return;
    }
    if (event.type !== 'state' || s.name === 'creating') return;
    // The error itself said whether the run can go on.
    if (event.state === 'error' && s.name === 'failed') return;
    if (s.name === 'pausing') {
      if (event.state === 'running') return;
      this.clearWatchdog();
    }
    this.go(fromEngine(event.state, runId));
  }

  private flush(): void {
    this.flushTimer = null;
    const events = this.queue;
    this.queue = [];
    const store = useStore.getState();
    // Events from a run no longer on screen (stopped, then a recorded one opened) must not touch the view; before any
    // run, only the engine's backend is news.
    const relevant =
      store.mode === 'live' ? events : store.mode === 'empty' ? events.filter((e) => e.type === 'backend') : [];
    store.applyEvents(relevant);
  }

  /** Applies what the engine said so far, then `event` (the page's own word, e.g. "paused" before the engine's). */
  private showNow(event: RunnerEvent): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flush();
    useStore.getState().applyEvents([event]);
  }

  /** Arms the watchdog: `ifSilent` after ANSWER_MS, `meanwhile` at its delay; any answer disarms both. */
  private arm(ifSilent: () => void, meanwhile?: [number, () => void]): void {
    this.clearWatchdog();
    this.watchdog = [
      ...(meanwhile ? [setTimeout(meanwhile[1], meanwhile[0])] : []),
      setTimeout(() => {
        this.watchdog = [];
        ifSilent();
      }, ANSWER_MS),
    ];
  }

  private clearWatchdog(): void {
    this.watchdog.forEach(clearTimeout);
    this.watchdog = [];
  }

  /** New engines, now, with nothing loaded; whatever the old ones were doing is abandoned. */
  private replaceEngine(): void {
    this.clearWatchdog();
    this.spent = false;
    this.runner.restart?.();
  }

  /**
   * A pause the engine did not answer: the engine is replaced now, and the run stays paused. It is rebuilt only when
   * it goes on (Start or Step), so a Reset that usually follows builds nothing on a backend that just proved too slow.
   */
  private abandonStuckRun(): void {
    const s = this.current;
    if (s.name !== 'pausing' || !this.runner.restart) return;
    this.replaceEngine();
    this.go({ name: 'replaced', runId: s.runId });
    if (s.then) void this.rebuild(s.runId, s.then);
  }
}
