// Messages between the page and a runner: the in-browser engine (a Web Worker) or the remote GPU worker
// (a WebSocket). Both speak these, so the store never knows which one it drives.

import type { BackendChoice, ComparisonConfig, RunId } from './config';
import type { BackendInfo, EvalReport, ModelSummary, StepReport } from './report';

/** Raw CIFAR-style data handed to the in-browser engine (transferred, not copied). */
export interface DatasetPayload {
  id: string;
  classNames: string[];
  /** N x 3072 bytes, each image as red, green, blue 32x32 planes (the CIFAR-10 binary layout). */
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
}

export type RunnerCommand =
  /**
   * reason: why this backend, where the page chose it (by measuring every backend); else the engine says why.
   * threads: wasm threads for this engine (a pool of engines shares the cores); default, one per core.
   * layout: for a pool, how to lay the next comparison over the cores, where the page measured it.
   */
  | {
      type: 'init';
      backend: BackendChoice;
      reason?: string;
      threads?: number;
      layout?: { workers: number; threads: number };
    }
  /**
   * snapshot: rebuild the comparison from this state (an engine replaced after it stopped answering), paused.
   * share: the runs this engine trains (one worker of a pool); default, all of them.
   */
  | { type: 'create'; config: ComparisonConfig; dataset?: DatasetPayload; snapshot?: EngineSnapshot; share?: RunId[] }
  /** While running, go no further than this step (null: no limit); a pool keeps its workers within a window. */
  | { type: 'horizon'; step: number | null }
  /** Answered at once with 'pong' whatever the engine is doing, unless it is wedged: the pool's liveness check. */
  | { type: 'ping'; id: number }
  /** reportFirst: the first step reports whatever reportEvery says (a new comparison shows its first masks at once). */
  | { type: 'start'; reportFirst?: boolean }
  | { type: 'pause' }
  /** One step of each run, then paused. */
  | { type: 'step' }
  | { type: 'stop' }
  /** Pause this many milliseconds between comparison steps (0 = full speed). */
  | { type: 'speed'; delayMs: number }
  /**
   * Destroys the WebGPU device: a real device loss, for tests and for demonstrating recovery. The run stops with a
   * recoverable error, as after a driver reset; an error if the active backend is not WebGPU.
   */
  | { type: 'loseDevice' }
  /**
   * Sent just before the page terminates this engine (it stopped answering): drop the GPU device now, so the GPU
   * process can drop the work still queued for it. Handled on arrival, not after the command in progress.
   */
  | { type: 'abandon' };

/**
 * The engine's saved state after a report (its ComparisonSnapshot: scores, momentum, usage counters, as plain typed
 * arrays). Opaque to the page: kept, and handed back in 'create' to rebuild the run in a new engine.
 */
export type EngineSnapshot = unknown;

export type RunnerState = 'idle' | 'ready' | 'running' | 'paused' | 'done' | 'stopped' | 'error';

/** A number per run of the comparison, keyed by run id (steps done, total steps). */
export type PerRun = Record<RunId, number>;

export type RunnerEvent =
  | { type: 'backend'; backend: BackendInfo }
  | { type: 'created'; summary: ModelSummary; totalSteps: PerRun }
  | { type: 'state'; state: RunnerState; steps: PerRun }
  | { type: 'report'; report: StepReport }
  | { type: 'eval'; report: EvalReport }
  /** The state the reports that follow are covered by (the page keeps the latest, to rebuild a wedged engine). */
  /** steps: the steps of each run the snapshot holds (every report up to them came after it). */
  | { type: 'snapshot'; snapshot: EngineSnapshot; steps: PerRun }
  /**
   * recoverable: the run can go on from its last saved state with another backend (e.g. a lost WebGPU device).
   * restart: this engine cannot be used again (a wasm module that aborted): the page starts a new one.
   */
  | { type: 'error'; message: string; field?: string; recoverable?: boolean; restart?: boolean }
  | { type: 'pong'; id: number }
  /**
   * The steps done after every step, sent only while a horizon is set (a pool's engine): the pool moves the horizon
   * by where the slowest engine is, not by its last report, so a fast engine seldom waits at it.
   */
  | { type: 'progress'; steps: PerRun };
