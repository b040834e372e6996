// The page's one engine session (src/store/engineSession.ts), and the actions the views call on it. The session is
// made when main.tsx connects the runner (the pool of engine workers); before that, actions say the engine is not
// connected yet.
import { isLocal, type BackendChoice } from '../protocol/config';
import type { RunRecord } from '../protocol/report';
import type { LayoutMeasurer, Measurer } from '../runner/measureBackends';
import { forgetChoice, resolveBackend, setMeasurer } from './backendChoice';
import { EngineSession, type DatasetSource, type Runner } from './engineSession';
import { useStore } from './index';
import { continueRecording, finishRecording } from './recorder';
import type { SavedSnapshot } from './liveSnapshot';

export type { DatasetSource, Runner } from './engineSession';

let session: EngineSession | null = null;
let datasetSource: DatasetSource = () => undefined;

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
  session?.useBackend(choice);
}

export function connectRunner(
  r: Runner,
  source: DatasetSource,
  measure?: Measurer,
  measureLayouts?: LayoutMeasurer,
): () => void {
  session?.dispose();
  session = new EngineSession(r, { dataset: (id) => datasetSource(id), finishRecording });
  datasetSource = source;
  if (measure) setMeasurer(measure, measureLayouts);
  // The setup (from the link) and the data are known once the first dataset is in.
  const unwatch = useStore.subscribe((s, prev) => {
    if (s.dataset && !prev.dataset) {
      unwatch();
      void prepareBackend();
    }
  });
  const mine = session;
  return () => {
    unwatch();
    mine.dispose();
    if (session === mine) session = null;
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
  session?.useBackend(choice);
}

/** The session's state and its last moves, in words: what an e2e test prints when a wait for a state fails. */
export function sessionTrace(): string {
  return session ? `${session.state.name} (was: ${session.history.slice(-12).join(' → ')})` : 'no engine session';
}

function connected(): EngineSession | null {
  if (!session) useStore.getState().addNotice('The engine is not connected yet; try again in a moment.');
  return session;
}

/** A stored run cut short (its page closed mid-run) goes on in this tab from its stored snapshot, then runs. */
export async function continueRun(record: RunRecord, snapshot: SavedSnapshot, storedItems: number): Promise<void> {
  await connected()?.continueRun(record.config, snapshot, () => {
    continueRecording(record, storedItems, snapshot.steps);
    useStore.getState().resumeLive(record);
  });
}

/** Start a new comparison from the setup, or go on with a paused one. */
export function start(): Promise<void> {
  return connected()?.start() ?? Promise.resolve();
}

/** Shown paused within a second; the engine pauses after its current step, and is replaced if it does not answer. */
export function pause(): void {
  session?.pause();
}

/** One step of each run, then paused (creates the comparison first when there is none). */
export function step(): Promise<void> {
  return connected()?.step() ?? Promise.resolve();
}

/** Stops the engine and clears the screen; the recorded run stays in the library. */
export function reset(): void {
  if (session) session.reset();
  else useStore.getState().clearComparison();
}

/**
 * Stops a live run (if any) so a recorded one can take the screen; `continuable` keeps it in the library as cut
 * short, to go on later from its last snapshot.
 */
export function stopLive(continuable = false): void {
  session?.stopLive(continuable);
}

/** Whether a run is live in this tab's engine (being built, trained or paused). */
export function isLive(): boolean {
  return session?.live === true;
}

/** After a recoverable error: pick a backend again; the engine rebuilds the run from its last snapshot, paused. */
export function recover(backend: BackendChoice): void {
  session?.recover(backend);
}

/** The live run's backend made no step (a GPU emulated on the CPU): the run goes on on wasm now. */
export function switchToWasm(): Promise<void> {
  return session?.switchBackend('wasm') ?? Promise.resolve();
}

/** Destroys the engine's WebGPU device for real (a debug tool): the run stops with a recoverable error. */
export function loseDevice(): void {
  session?.loseDevice();
}

export function setSpeed(delayMs: number): void {
  if (session) session.setSpeed(delayMs);
  else useStore.getState().setDelay(delayMs);
}

/** Space in talk mode: play/pause whatever is on screen. */
export function togglePlay(): void {
  const s = useStore.getState();
  if (s.mode === 'recorded') s.setReplayPlaying(!s.replayPlaying);
  else if (s.runnerState === 'running') pause();
  else void start();
}
