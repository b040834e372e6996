// The page's "auto" backend: measured (src/runner/measureBackends.ts) and remembered per model and batch in
// localStorage, until the user asks to measure again. A backend forced by the setup or `?backend=` is used as is.
import type { StateCreator } from 'zustand';
import type { StoreState } from './index';
import type { BackendChoice, BackendName, ComparisonConfig } from '../protocol/config';
import type { DatasetPayload } from '../protocol/messages';
import type { LayoutMeasurement, LayoutMeasurer, Measurement, Measurer } from '../runner/measureBackends';
import { dealRuns, fittedLayout, layoutWords, pageCores, type PoolLayout } from '../runner/pool';

export interface BackendChoiceSlice {
  /** What the measurement is doing, in words, while it runs; null otherwise. */
  backendMeasuring: string | null;
  setBackendMeasuring: (text: string | null) => void;
}

export const createBackendChoiceSlice: StateCreator<StoreState, [], [], BackendChoiceSlice> = (set) => ({
  backendMeasuring: null,
  setBackendMeasuring: (backendMeasuring) => set({ backendMeasuring }),
});

/** What the engine is started with: the backend, and why where the page chose it; the layout where measured. */
export interface Choice {
  backend: BackendChoice;
  reason?: string;
  layout?: PoolLayout;
}

const LABEL: Record<BackendName, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'wasm', cpu: 'cpu' };

/** Steady comparison steps per second: the steps after the first (which compiles), or the first alone. */
export function stepsPerSecond(m: Measurement): number | null {
  const steady = m.stepSeconds.length > 1 ? m.stepSeconds.slice(1) : m.stepSeconds;
  if (steady.length === 0) return null;
  return steady.length / steady.reduce((a, b) => a + b, 0);
}

/**
 * The fastest measured backend. When none finished a step in its time (a busy machine), the guess is a hardware GPU
 * that started, else wasm unless it failed outright (it may only have been slow to start): a software emulation of a
 * GPU is never better than wasm on the same CPU.
 */
export function pickBackend(measurements: Measurement[]): BackendName | null {
  const timed = measurements.filter((m) => stepsPerSecond(m) !== null);
  if (timed.length > 0) return timed.reduce((a, b) => (stepsPerSecond(b)! > stepsPerSecond(a)! ? b : a)).backend;
  const started = measurements.filter((m) => m.started);
  const hardware = started.find((m) => m.backend !== 'wasm' && !m.software);
  const wasm = measurements.find((m) => m.backend === 'wasm' && m.failure === null);
  return (hardware ?? wasm ?? started[0])?.backend ?? null;
}

function anyTimed(measurements: Measurement[]): boolean {
  return measurements.some((m) => stepsPerSecond(m) !== null);
}

function figure(x: number): string {
  return x >= 1 ? x.toFixed(1) : String(Number(x.toPrecision(2)));
}

/** One candidate in words, e.g. "WebGL 0.11 steps/s (software renderer: SwiftShader)". */
function describe(m: Measurement): string {
  const software = m.software ? ` (${m.software})` : '';
  if (!m.started) return `${LABEL[m.backend]}: did not start (${m.failure ?? `nothing within ${m.boundSeconds} s`})`;
  const rate = stepsPerSecond(m);
  if (rate !== null) return `${LABEL[m.backend]} ${figure(rate)} steps/s${software}`;
  if (m.untimed)
    return `${LABEL[m.backend]}: not timed, an emulation on the CPU that stops the page drawing${software}`;
  const why = m.failure ? `failed (${m.failure})` : `too slow, no step within ${m.boundSeconds} s`;
  return `${LABEL[m.backend]}: ${why}${software}`;
}

/** Every candidate, fastest first: "wasm 1.0 steps/s · WebGL 0.11 steps/s (software renderer: SwiftShader) · …". */
export function measurementText(measurements: Measurement[]): string {
  const rank = (m: Measurement) => stepsPerSecond(m) ?? (m.started ? -1 : -2);
  return [...measurements]
    .sort((a, b) => rank(b) - rank(a))
    .map(describe)
    .join(' · ');
}

function setupText(config: ComparisonConfig): string {
  return `${config.model} ×${config.width}, batch ${config.batchSize}`;
}

function choiceReason(chosen: BackendName, measurements: Measurement[], config: ComparisonConfig): string {
  const how = anyTimed(measurements) ? 'the fastest here' : 'a guess: no backend finished a step in its time';
  return `${chosen}: ${how}, measured with ${setupText(config)}: ${measurementText(measurements)}`;
}

const STORAGE_PREFIX = 'supermask-studio/backend/';
const NAMES: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** The speed of a backend depends on the net, the batch and (for the layout) the number of runs: each is measured once. */
export function choiceKey(config: ComparisonConfig): string {
  return `${STORAGE_PREFIX}${config.model}@${config.width}/batch${config.batchSize}/runs${config.runs.length}`;
}

function isLayout(x: unknown): x is PoolLayout {
  const l = x as PoolLayout | undefined;
  return Number.isInteger(l?.workers) && Number.isInteger(l?.threads) && l!.workers > 0 && l!.threads > 0;
}

/** The remembered choice for a setup; anything unreadable counts as none (it is measured again). */
export function rememberedChoice(config: ComparisonConfig): Choice | null {
  try {
    const saved: unknown = JSON.parse(localStorage.getItem(choiceKey(config)) ?? 'null');
    const { backend, reason, layout } = (saved ?? {}) as { backend?: unknown; reason?: unknown; layout?: unknown };
    if (!NAMES.includes(backend as BackendName) || typeof reason !== 'string') return null;
    return { backend: backend as BackendName, reason, ...(isLayout(layout) ? { layout } : {}) };
  } catch {
    return null;
  }
}

function remember(config: ComparisonConfig, choice: Choice): void {
  try {
    localStorage.setItem(choiceKey(config), JSON.stringify(choice));
  } catch {
    // Storage full or blocked: the choice holds for this page, and is measured again next time.
  }
}

export function forgetChoice(config: ComparisonConfig): void {
  try {
    localStorage.removeItem(choiceKey(config));
  } catch {
    // Nothing stored to forget.
  }
}

let measurer: Measurer | null = null;
let layoutMeasurer: LayoutMeasurer | null = null;
let inFlight: { key: string; controller: AbortController; promise: Promise<Choice | null> } | null = null;

export function setMeasurer(m: Measurer, layouts?: LayoutMeasurer): void {
  measurer = m;
  layoutMeasurer = layouts ?? null;
}

function layoutRate(m: LayoutMeasurement): number | null {
  return stepsPerSecond({ stepSeconds: m.stepSeconds } as Measurement);
}

function layoutText(l: PoolLayout): string {
  return layoutWords(l.workers, l.threads);
}

/**
 * On a CPU backend with runs to spread, the comparison laid over an engine per run (up to the cores) is timed
 * against the one engine just measured with every core as a thread; the faster wins and the reason gives both.
 */
async function chooseLayout(
  config: ComparisonConfig,
  data: DatasetPayload,
  chosen: Measurement,
  signal: AbortSignal,
  progress: MeasureProgress,
): Promise<{ layout: PoolLayout; text: string } | null> {
  const cores = pageCores();
  const pool = fittedLayout(config, cores, chosen.backend);
  const single: PoolLayout = { workers: 1, threads: cores };
  const singleRate = stepsPerSecond(chosen);
  if (!layoutMeasurer || pool.workers < 2 || chosen.software || singleRate === null) return null;
  progress(`Measuring how to use the ${cores} cores with ${setupText(config)}: ${layoutText(pool)}…`);
  const m = await layoutMeasurer(
    config,
    data,
    chosen.backend,
    { shares: dealRuns(config, pool.workers), threads: pool.threads },
    signal,
  );
  if (signal.aborted) return null;
  const poolRate = layoutRate(m);
  const figures = [
    `${layoutText(pool)} ${poolRate === null ? `no step (${m.failure ?? 'too slow'})` : `${figure(poolRate)} steps/s`}`,
    `${layoutText(single)} ${figure(singleRate)} steps/s`,
  ];
  const poolWins = poolRate !== null && poolRate > singleRate;
  return {
    layout: poolWins ? pool : single,
    text: `layout ${layoutText(poolWins ? pool : single)}: ${figures.join(' · ')}`,
  };
}

/** Stops a measurement in progress (Reset): nothing is remembered from it. */
export function cancelMeasuring(): void {
  inFlight?.controller.abort();
}

/** The choice of a Start pressed while the backends were being measured. */
export const START_AT_ONCE: Choice = {
  backend: 'wasm',
  reason:
    'wasm: started at once (Start was pressed while the backends were being measured, and wasm works everywhere); ' +
    '"Measure again" times every backend',
};

/** Says what a measurement is doing (null when it ends): the store's backendMeasuring. */
export type MeasureProgress = (text: string | null) => void;

async function measure(
  config: ComparisonConfig,
  dataset: () => Promise<DatasetPayload | undefined>,
  signal: AbortSignal,
  m: Measurer,
  progress: MeasureProgress,
): Promise<Choice | null> {
  const data = await dataset();
  if (!data || signal.aborted) return null;
  const measurements = await m(
    config,
    data,
    (done, current) =>
      progress(
        `Measuring the backends with ${setupText(config)}: ` +
          [...done.map(describe), `${LABEL[current]}…`].join(' · '),
      ),
    signal,
  );
  if (signal.aborted) return null;
  const chosen = pickBackend(measurements);
  // Nothing started at all: the engine's own order and reasons say the rest.
  if (!chosen) return { backend: 'auto' };
  const layout = await chooseLayout(
    config,
    data,
    measurements.find((m) => m.backend === chosen)!,
    signal,
    progress,
  );
  if (signal.aborted) return null;
  const reason = choiceReason(chosen, measurements, config);
  const choice: Choice = layout
    ? { backend: chosen, reason: `${reason}; ${layout.text}`, layout: layout.layout }
    : { backend: chosen, reason };
  // A guess holds for this page only: the next visit measures again.
  if (anyTimed(measurements)) remember(config, choice);
  return choice;
}

/**
 * The backend to start for a setup: a forced one as is; "auto" from memory, else measured now (its progress in the
 * store). Null when the measurement was cancelled.
 */
export function resolveBackend(
  config: ComparisonConfig,
  dataset: () => Promise<DatasetPayload | undefined>,
  progress: MeasureProgress,
  atOnce = false,
): Promise<Choice | null> {
  if (config.backend !== 'auto') return Promise.resolve({ backend: config.backend });
  const known = rememberedChoice(config);
  if (known) return Promise.resolve(known);
  if (atOnce && inFlight) {
    // Start pressed while the page measures: the run starts now on the backend that works everywhere, instead of
    // waiting seconds for figures; the measurement would only have competed with it for the cores.
    cancelMeasuring();
    return Promise.resolve(START_AT_ONCE);
  }
  const key = choiceKey(config);
  if (inFlight?.key === key) return inFlight.promise;
  if (!measurer) return Promise.resolve({ backend: 'auto' });
  // One measurement at a time: two would share the cores and time each other.
  inFlight?.controller.abort();
  const controller = new AbortController();
  const promise = measure(config, dataset, controller.signal, measurer, progress).finally(() => {
    if (inFlight?.promise !== promise) return;
    inFlight = null;
    progress(null);
  });
  inFlight = { key, controller, promise };
  return promise;
}
