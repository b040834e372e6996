// Messages between the page and a runner: the in-browser engine (a Web Worker) or the remote GPU worker
// (a WebSocket). Both speak these, so the store never knows which one it drives.

import type { BackendChoice, ComparisonConfig } from './config';
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
  | { type: 'init'; backend: BackendChoice }
  | { type: 'create'; config: ComparisonConfig; dataset?: DatasetPayload }
  | { type: 'start' }
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
  | { type: 'loseDevice' };

export type RunnerState = 'idle' | 'ready' | 'running' | 'paused' | 'done' | 'stopped' | 'error';

export type RunnerEvent =
  | { type: 'backend'; backend: BackendInfo }
  | { type: 'created'; summary: ModelSummary; totalSteps: { ep: number; iep: number } }
  | { type: 'state'; state: RunnerState; steps: { ep: number; iep: number } }
  | { type: 'report'; report: StepReport }
  | { type: 'eval'; report: EvalReport }
  /** recoverable: the run can go on from its last saved state with another backend (e.g. a lost WebGPU device). */
  | { type: 'error'; message: string; field?: string; recoverable?: boolean };
