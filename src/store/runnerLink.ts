// The wire between the store and a runner (the engine's Web Worker): commands go out, events come back batched so
// a burst of reports costs one store update and one render.
import type { BackendChoice } from '../protocol/config';
import type { DatasetPayload, RunnerCommand, RunnerEvent } from '../protocol/messages';
import { validateConfig } from '../protocol/validate';
import { useStore } from './index';
import { finishRecording } from './recorder';

export interface Runner {
  send(cmd: RunnerCommand, transfer?: Transferable[]): void;
  subscribe(listener: (event: RunnerEvent) => void): () => void;
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

export function connectRunner(r: Runner, source: DatasetSource): () => void {
  unsubscribe?.();
  runner = r;
  datasetSource = source;
  unsubscribe = r.subscribe((event) => {
    queue.push(event);
    flushTimer ??= setTimeout(flush, FLUSH_MS);
  });
  return () => {
    unsubscribe?.();
    unsubscribe = null;
    runner = null;
  };
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
  runner.send({ type: 'init', backend: config.backend });
  runner.send({ type: 'create', config, dataset });
}

/** Start a new comparison from the setup, or go on with a paused one. */
export function start(): Promise<void> {
  if (liveAndIdle()) {
    runner?.send({ type: 'start' });
    return Promise.resolve();
  }
  if (isActive()) return Promise.resolve();
  return createRun('start');
}

export function pause(): void {
  if (useStore.getState().runnerState === 'running') runner?.send({ type: 'pause' });
}

/** One step of each run, then paused (creates the comparison first when there is none). */
export function step(): Promise<void> {
  const s = useStore.getState();
  if (s.runnerState === 'running') return Promise.resolve();
  if (liveAndIdle()) {
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
  runner?.send({ type: 'stop' });
  // Written now, while the run is still on screen: its events stop counting once it leaves.
  void finishRecording();
}

/** After a recoverable error: pick a backend again; the engine rebuilds the run from its last snapshot, paused. */
export function recover(backend: BackendChoice): void {
  const s = useStore.getState();
  if (s.mode === 'live' && s.comparison?.recoverable) runner?.send({ type: 'init', backend });
}

/** Destroys the engine's WebGPU device for real (a debug tool): the run stops with a recoverable error. */
export function loseDevice(): void {
  const s = useStore.getState();
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
