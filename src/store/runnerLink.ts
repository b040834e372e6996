// The wire between the store and a runner (the engine's Web Worker): commands go out, events come back batched so
// a burst of reports costs one store update and one render. The page never waits on the engine: Pause and Reset
// show at once, and an engine that does not confirm them in time is replaced (see expectAnswer).
import { isLocal, type BackendChoice, type ComparisonConfig } from '../protocol/config';
import type { DatasetPayload, RunnerCommand, RunnerEvent } from '../protocol/messages';
import type { RunRecord } from '../protocol/report';
import { validateConfig } from '../protocol/validate';
import type { Measurer } from '../runner/measureBackends';
import { cancelMeasuring, forgetChoice, resolveBackend, setMeasurer, type Choice } from './backendChoice';
import { useStore } from './index';
import { continueRecording, finishRecording } from './recorder';
import { keepSnapshot, type SavedSnapshot } from './liveSnapshot';

export interface Runner {
  send(cmd: RunnerCommand, transfer?: Transferable[]): void;
  subscribe(listener: (event: RunnerEvent) => void): () => void;
  /** Replaces a wedged engine with a new one (the in-browser worker can; a remote runner may not). */
  restart?(): void;
}

/** Finds the data a config names; undefined lets the runner use what it already holds. */
export type DatasetSource = (id: string) => DatasetPayload | undefined | Promise<DatasetPayload | undefined>;

let runner: Runner | null = null;
let datasetSource: DatasetSource = () => undefined;
let unsubscribe: (() => void) | null = null;
let queue: RunnerEvent[] = [];
let flushTimer: ReturnType<typeof setTimeout> | null = null;

// At most ten store updates (and renders) a second, however fast reports come.
const FLUSH_MS = 100;

/**
 * How long the engine has to confirm a pause or a stop. An engine silent past this is stuck in a step (WebGPU on a
 * software adapter can take minutes for one) and is replaced. Generous, because replacing a slow but healthy engine
 * costs a rebuild and the steps since the last snapshot; the page shows the pause long before (SHOW_PAUSE_MS).
 */
const ANSWER_MS = 10_000;
/**
 * A pause is shown as soon as the engine confirms it, or after this long whatever the engine is doing: within a
 * second of the click either way. (Shown early, the step in flight may still land after it.)
 */
const SHOW_PAUSE_MS = 400;
/** A pause or stop sent and not yet confirmed, and what to do if it never is. */
let awaiting: { command: 'pause' | 'stop'; timers: ReturnType<typeof setTimeout>[] } | null = null;
/** Start or Step pressed while a pause was unconfirmed: a rebuilt engine does it once it is ready. */
let wish: 'start' | 'step' | null = null;
/** The live run whose engine was replaced after a pause it never answered: rebuilt on Start or Step. */
let replacedRunId: string | null = null;
/** The newest snapshot of the live run, to rebuild it in a new engine. */
let saved: SavedSnapshot | null = null;
/** The backend the engine was last started on: a rebuilt engine starts on the same. */
let engineBackend: Choice = { backend: 'auto' };
/** After an out-of-memory the engine cannot go on (a wasm module that aborted): the next run gets a new one. */
let engineSpent = false;

function flush(): void {
  flushTimer = null;
  const events = queue;
  queue = [];
  const store = useStore.getState();
  // Events from a run no longer on screen (stopped, then a recorded one opened) must not touch the view; before any
  // run, only the engine's backend is news.
  const relevant =
    store.mode === 'live' ? events : store.mode === 'empty' ? events.filter((e) => e.type === 'backend') : [];
  store.applyEvents(relevant);
  const pending = useStore.getState().pendingAfterCreate;
  if (pending && relevant.some((e) => e.type === 'created')) {
    useStore.setState({ pendingAfterCreate: null });
    runner?.send({ type: 'speed', delayMs: useStore.getState().delayMs });
    runner?.send({ type: pending });
  }
}

/** Applies what the engine said so far, then `event` (the page's own word, e.g. "paused" before the engine's). */
function showNow(event: RunnerEvent): void {
  if (flushTimer) clearTimeout(flushTimer);
  flush();
  useStore.getState().applyEvents([event]);
}

/** Any state but running, or an error, answers a pause or a stop: the engine is listening. */
function hear(event: RunnerEvent): void {
  if (event.type === 'snapshot') {
    const s = useStore.getState();
    if (s.mode === 'live' && s.comparison) {
      saved = { runId: s.comparison.id, snapshot: event.snapshot, steps: event.steps };
      keepSnapshot(saved);
    }
    return;
  }
  if (awaiting && (event.type === 'error' || (event.type === 'state' && event.state !== 'running'))) {
    awaiting.timers.forEach(clearTimeout);
    awaiting = null;
    wish = null;
  }
  if (event.type === 'error' && event.restart) engineSpent = true;
  queue.push(event);
  flushTimer ??= setTimeout(flush, FLUSH_MS);
}

/** Arms the watchdog for `command`; `meanwhile` runs at each of the given delays while no answer has come. */
function expectAnswer(command: 'pause' | 'stop', ifSilent: () => void, meanwhile: [number, () => void][] = []): void {
  awaiting?.timers.forEach(clearTimeout);
  const timers = [
    ...meanwhile.map(([ms, act]) => setTimeout(act, ms)),
    setTimeout(() => {
      awaiting = null;
      ifSilent();
    }, ANSWER_MS),
  ];
  awaiting = { command, timers };
}

/** A new engine, now, with nothing loaded; whatever the old one was doing is abandoned. */
function replaceEngine(): void {
  awaiting?.timers.forEach(clearTimeout);
  awaiting = null;
  engineSpent = false;
  runner?.restart?.();
}

/**
 * A pause the engine did not answer: the engine is replaced now, and the run stays paused. It is rebuilt only when
 * it goes on (Start or Step), so a Reset that usually follows builds nothing on a backend that just proved too slow.
 */
function abandonStuckRun(): void {
  const c = useStore.getState().comparison;
  if (!runner?.restart || useStore.getState().mode !== 'live' || !c) return;
  const then = wish;
  wish = null;
  replaceEngine();
  replacedRunId = c.id;
  if (then) void rebuildLiveRun(then);
}

/** The live run in a new engine from its newest snapshot (or from its first step if it has none), then `then`. */
async function rebuildLiveRun(then: 'start' | 'step'): Promise<void> {
  const c = useStore.getState().comparison;
  if (!runner || !c) return;
  replacedRunId = null;
  const snapshot = saved?.runId === c.id ? saved.snapshot : undefined;
  let dataset: DatasetPayload | undefined;
  try {
    dataset = await datasetSource(c.config.dataset);
  } catch (e) {
    useStore.getState().addNotice(`The dataset ${c.config.dataset} could not be loaded: ${(e as Error).message}`);
    return;
  }
  if (useStore.getState().comparison?.id !== c.id) return;
  useStore.setState({ pendingAfterCreate: then });
  runner.send({ type: 'init', ...engineBackend });
  runner.send({ type: 'create', config: c.config, dataset, snapshot });
  runner.send({ type: 'speed', delayMs: useStore.getState().delayMs });
}

function showMeasuring(text: string | null): void {
  useStore.getState().setBackendMeasuring(text);
}

/** Starts the engine on the setup's backend ("auto": remembered, else measured now), so the page names it early. */
async function prepareBackend(): Promise<void> {
  const s = useStore.getState();
  // A worker-only net has nothing to measure here (its data is the worker's too): Start measures for a local one.
  if (!isLocal(s.config)) return;
  const choice = await resolveBackend(s.config, () => s.datasetPayload(s.config.dataset), showMeasuring);
  // A run started meanwhile sends its own init.
  if (!choice || useStore.getState().mode === 'live') return;
  engineBackend = choice;
  runner?.send({ type: 'init', ...choice });
}

export function connectRunner(r: Runner, source: DatasetSource, measure?: Measurer): () => void {
  unsubscribe?.();
  runner = r;
  datasetSource = source;
  if (measure) setMeasurer(measure);
  const unhear = r.subscribe(hear);
  // The setup (from the link) and the data are known once the first dataset is in.
  const unwatch = useStore.subscribe((s, prev) => {
    if (s.dataset && !prev.dataset) {
      unwatch();
      void prepareBackend();
    }
  });
  unsubscribe = () => {
    unhear();
    unwatch();
  };
  return () => {
    unsubscribe?.();
    unsubscribe = null;
    runner = null;
  };
}

/** Forgets the remembered "auto" choice for the setup and measures again; the engine moves to it if no run is on. */
export async function measureAgain(): Promise<void> {
  const s = useStore.getState();
  if ((s.mode === 'live' && ['idle', 'running'].includes(s.runnerState)) || !isLocal(s.config)) return;
  forgetChoice(s.config);
  const auto = { ...s.config, backend: 'auto' as const };
  const choice = await resolveBackend(auto, () => s.datasetPayload(auto.dataset), showMeasuring);
  if (!choice || useStore.getState().mode === 'live' || useStore.getState().config.backend !== 'auto') return;
  engineBackend = choice;
  runner?.send({ type: 'init', ...choice });
}

function liveAndIdle(): boolean {
  const s = useStore.getState();
  return s.mode === 'live' && (s.runnerState === 'ready' || s.runnerState === 'paused');
}

function isActive(): boolean {
  const s = useStore.getState();
  return s.mode === 'live' && ['idle', 'ready', 'running', 'paused'].includes(s.runnerState) && s.comparison !== null;
}

async function createRun(then: 'start' | 'step'): Promise<void> {
  const s = useStore.getState();
  if (!runner) {
    s.addNotice('The engine is not connected yet; try again in a moment.');
    return;
  }
  s.setConfig(s.config);
  if (useStore.getState().configError) return;
  const config = validateConfig(s.config);
  let dataset: DatasetPayload | undefined;
  try {
    dataset = await datasetSource(config.dataset);
  } catch (e) {
    s.addNotice(`The dataset ${config.dataset} could not be loaded: ${(e as Error).message}`);
    return;
  }
  const id = crypto.randomUUID();
  s.beginLive(
    {
      id,
      createdAt: new Date().toISOString(),
      source: 'browser',
      config,
      summary: null,
      totalSteps: null,
      error: null,
      recoverable: false,
    },
    then,
  );
  await launch(id, config, dataset);
}

/** The engine builds the live run `id` (from `snapshot` if given) on the backend the config asks for. */
async function launch(
  id: string,
  config: ComparisonConfig,
  dataset: DatasetPayload | undefined,
  snapshot?: SavedSnapshot,
): Promise<void> {
  saved = snapshot ?? null;
  // A stop the engine never confirmed (Reset during a step of minutes), or an engine an out-of-memory left
  // unusable: the new run gets a new engine at once instead of queueing behind the old one.
  if (awaiting?.command === 'stop' || engineSpent) replaceEngine();
  const choice = await resolveBackend(config, () => Promise.resolve(dataset), showMeasuring);
  // Reset (or another run) while the backends were measured.
  if (!runner || !choice || useStore.getState().comparison?.id !== id) return;
  engineBackend = choice;
  runner.send({ type: 'init', ...choice });
  runner.send({ type: 'create', config, dataset, snapshot: snapshot?.snapshot });
}

/** A stored run cut short (its page closed mid-run) goes on in this tab from its stored snapshot, then runs. */
export async function continueRun(record: RunRecord, snapshot: SavedSnapshot, storedItems: number): Promise<void> {
  const s = useStore.getState();
  if (!runner) {
    s.addNotice('The engine is not connected yet; try again in a moment.');
    return;
  }
  let dataset: DatasetPayload | undefined;
  try {
    dataset = await datasetSource(record.config.dataset);
  } catch (e) {
    s.addNotice(`The dataset ${record.config.dataset} could not be loaded: ${(e as Error).message}`);
    return;
  }
  stopLive();
  continueRecording(record, storedItems, snapshot.steps);
  s.resumeLive(record, 'start');
  await launch(record.id, record.config, dataset, snapshot);
}

/** Start a new comparison from the setup, or go on with a paused one. */
export function start(): Promise<void> {
  if (liveAndIdle()) {
    if (replacedRunId === useStore.getState().comparison?.id) return rebuildLiveRun('start');
    if (awaiting?.command === 'pause') wish = 'start';
    runner?.send({ type: 'start' });
    return Promise.resolve();
  }
  if (isActive()) return Promise.resolve();
  return createRun('start');
}

/** Shown paused within a second; the engine pauses after its current step, and is replaced if it does not answer. */
export function pause(): void {
  const s = useStore.getState();
  if (s.mode !== 'live' || s.runnerState !== 'running') return;
  runner?.send({ type: 'pause' });
  wish = null;
  const showPaused = () => showNow({ type: 'state', state: 'paused', steps: useStore.getState().runnerSteps });
  expectAnswer('pause', abandonStuckRun, [[SHOW_PAUSE_MS, showPaused]]);
}

/** One step of each run, then paused (creates the comparison first when there is none). */
export function step(): Promise<void> {
  const s = useStore.getState();
  if (s.runnerState === 'running') return Promise.resolve();
  if (liveAndIdle()) {
    if (replacedRunId === s.comparison?.id) return rebuildLiveRun('step');
    if (awaiting?.command === 'pause') wish = 'step';
    runner?.send({ type: 'step' });
    return Promise.resolve();
  }
  if (isActive()) return Promise.resolve();
  return createRun('step');
}

/** Stops the engine and clears the screen; the recorded run stays in the library. */
export function reset(): void {
  stopLive();
  useStore.getState().clearComparison();
}

/** Stops a live run (if any) so a recorded one can take the screen. */
export function stopLive(): void {
  if (!isActive()) return;
  cancelMeasuring();
  runner?.send({ type: 'stop' });
  // Written now, while the run is still on screen: its events stop counting once it leaves.
  void finishRecording();
  // An engine stuck in a step is replaced; the next run sends its own init and create.
  expectAnswer('stop', replaceEngine);
}

/** After a recoverable error: pick a backend again; the engine rebuilds the run from its last snapshot, paused. */
export function recover(backend: BackendChoice): void {
  const s = useStore.getState();
  if (s.mode !== 'live' || !s.comparison?.recoverable) return;
  engineBackend = { backend };
  runner?.send({ type: 'init', backend });
}

/** Destroys the engine's WebGPU device for real (a debug tool): the run stops with a recoverable error. */
export function loseDevice(): void {
  const s = useStore.getState();
  // An engine replaced after an unanswered pause holds no device until the run goes on.
  if (replacedRunId === s.comparison?.id) return;
  if (s.mode === 'live' && s.backend?.name === 'webgpu') runner?.send({ type: 'loseDevice' });
}

export function setSpeed(delayMs: number): void {
  useStore.getState().setDelay(delayMs);
  if (useStore.getState().mode === 'live') runner?.send({ type: 'speed', delayMs });
}

/** Space in talk mode: play/pause whatever is on screen. */
export function togglePlay(): void {
  const s = useStore.getState();
  if (s.mode === 'recorded') s.setReplayPlaying(!s.replayPlaying);
  else if (s.runnerState === 'running') pause();
  else void start();
}
