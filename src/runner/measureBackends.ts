// The page's "auto": each candidate backend times a few real steps of the configured comparison in a throwaway Web
// Worker (src/engine/probe.worker.ts), one candidate after another, each within a time bound. A worker still busy
// when its time is up is terminated: a step that would take a minute (WebGPU on a software adapter) is abandoned.
import type { BackendName, ComparisonConfig, RunId } from '../protocol/config';
import type { DatasetPayload } from '../protocol/messages';
import { probeDataset, type ProbeEvent, type ProbeRequest, type ProbeStop } from '../protocol/probe';

/** What one candidate did within its time. */
export interface Measurement {
  backend: BackendName;
  /** Whether the backend started; when it did not, `failure` says why. */
  started: boolean;
  failure: string | null;
  /** "software adapter: SwiftShader" and the like where the device is a CPU emulation. */
  software: string | null;
  /** A software emulation left untimed because a native backend was timed before it (see ProbeRequest). */
  untimed: boolean;
  /** Seconds of each finished comparison step, in order (the first includes compiling). */
  stepSeconds: number[];
  /** The time the candidate had, start-up included. */
  boundSeconds: number;
}

export type Measurer = (
  config: ComparisonConfig,
  dataset: DatasetPayload,
  onProgress: (done: Measurement[], current: BackendName) => void,
  signal: AbortSignal,
) => Promise<Measurement[]>;

/** wasm first: it needs no shaders, so the candidates after it are measured against a known figure. */
export const CANDIDATES: readonly BackendName[] = ['wasm', 'webgl', 'webgpu'];
/** Per candidate, worker start-up, backend start-up and model building included. */
const BOUND_MS = 8_000;
/** How long a probe has to drop its device before it is terminated anyway. */
const STOP_GRACE_MS = 300;
/** One step that compiles, then steady ones. */
const STEPS = 4;

function measureOne(request: ProbeRequest, signal: AbortSignal): Promise<Measurement> {
  const result: Measurement = {
    backend: request.backend,
    started: false,
    failure: null,
    software: null,
    untimed: false,
    stepSeconds: [],
    boundSeconds: BOUND_MS / 1000,
  };
  return new Promise((resolve) => {
    const worker = new Worker(new URL('../engine/probe.worker.ts', import.meta.url), { type: 'module' });
    let done = false;
    const end = () => {
      worker.terminate();
      resolve(result);
    };
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      // Asked to drop its device first (the GPU work queued for it with it); terminated either way soon after.
      worker.postMessage({ type: 'stop' } satisfies ProbeStop);
      setTimeout(end, STOP_GRACE_MS);
    };
    const timer = setTimeout(finish, BOUND_MS);
    signal.addEventListener('abort', finish);
    worker.addEventListener('message', (e: MessageEvent<ProbeEvent>) => {
      const event = e.data;
      if (done) {
        if (event.type === 'stopped') end();
      } else if (event.type === 'started') {
        result.started = true;
        result.software = event.software;
      } else if (event.type === 'untimed') {
        result.untimed = true;
        finish();
      } else if (event.type === 'step') {
        result.stepSeconds.push(event.seconds);
        if (result.stepSeconds.length >= request.steps) finish();
      } else if (event.type === 'failed') {
        result.failure = event.message;
        finish();
      }
    });
    worker.addEventListener('error', (e) => {
      e.preventDefault();
      result.failure = `the probe worker failed: ${e.message || 'it could not be loaded'}`;
      finish();
    });
    worker.postMessage(request);
  });
}

/** Measures every candidate in turn; stops early (with what it has) when `signal` aborts. */
export const measureBackends: Measurer = async (config, dataset, onProgress, signal) => {
  const data = probeDataset(dataset, config, STEPS);
  const done: Measurement[] = [];
  for (const backend of CANDIDATES) {
    if (signal.aborted) break;
    onProgress(done, backend);
    const timeSoftware = !done.some((m) => m.stepSeconds.length > 0);
    done.push(await measureOne({ backend, config, dataset: data, steps: STEPS, timeSoftware }, signal));
  }
  return done;
};

/** How fast a comparison went laid over `workers` engines of `threads` wasm threads each, timed all at once. */
export interface LayoutMeasurement {
  workers: number;
  threads: number;
  /** Seconds of each comparison step: the slowest engine's, since the runs keep within a window of each other. */
  stepSeconds: number[];
  failure: string | null;
}

export type LayoutMeasurer = (
  config: ComparisonConfig,
  dataset: DatasetPayload,
  backend: BackendName,
  layout: { shares: RunId[][]; threads: number },
  signal: AbortSignal,
) => Promise<LayoutMeasurement>;

/** Times the configured comparison split into `shares`, one probe worker each, all stepping at once. */
export const measureLayout: LayoutMeasurer = async (config, dataset, backend, { shares, threads }, signal) => {
  const data = probeDataset(dataset, config, STEPS);
  const each = await Promise.all(
    shares.map((share) =>
      measureOne({ backend, config, dataset: data, steps: STEPS, timeSoftware: false, share, threads }, signal),
    ),
  );
  const steps = Math.min(...each.map((m) => m.stepSeconds.length));
  const failure = each.find((m) => m.failure)?.failure ?? null;
  return {
    workers: shares.length,
    threads,
    stepSeconds: Array.from({ length: steps }, (_, i) => Math.max(...each.map((m) => m.stepSeconds[i]))),
    failure,
  };
};
