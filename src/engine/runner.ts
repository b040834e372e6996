// The engine side of RunnerCommand / RunnerEvent, independent of how messages travel: worker.ts wires it to a Web
// Worker's postMessage, tests call it directly in Node. It also recovers from a lost device: after a recoverable
// error, { type: 'init', backend } re-initialises the backend and rebuilds the comparison from its last snapshot.
import type { BackendInfo } from '../protocol/report';
import type { BackendChoice, ComparisonConfig } from '../protocol/config';
import type { DatasetPayload, RunnerCommand, RunnerEvent } from '../protocol/messages';
import { ConfigError } from '../protocol/validate';
import { Comparison, type ComparisonSnapshot } from './comparison';
import { describeFailure, isOutOfMemory } from './errors';
import type { SearchData } from './data';

export type SelectBackend = (choice: BackendChoice, because?: string, threads?: number) => Promise<BackendInfo>;
/** Destroys the active backend's WebGPU device (throws a clear error where there is none). */
export type LoseDevice = () => void;

const noDeviceToLose: LoseDevice = () => {
  throw new Error('loseDevice: this runner has no WebGPU device to lose');
};

/** CIFAR-style payload to the splits the engine reads (no copy). */
export function payloadToData(d: DatasetPayload): SearchData {
  const split = (images: Uint8Array, labels: Uint8Array, name: string) => {
    if (images.length !== labels.length * 3072) {
      throw new Error(`${name}: ${images.length} image bytes do not match ${labels.length} labels x 3072 bytes`);
    }
    return { images, labels, count: labels.length };
  };
  return {
    train: split(d.trainImages, d.trainLabels, `${d.id} training split`),
    test: split(d.testImages, d.testLabels, `${d.id} test split`),
  };
}

/** An error event in words; after an out-of-memory the page is told to start a new engine (wasm cannot go on). */
function failure(message: string, config: ComparisonConfig | null): Extract<RunnerEvent, { type: 'error' }> {
  const restart = isOutOfMemory(message);
  return { type: 'error', message: describeFailure(message, config), ...(restart ? { restart } : {}) };
}

export class Runner {
  private comparison: Comparison | null = null;
  private data: SearchData | null = null;
  /** Set after a recoverable error: the state to rebuild from on the next 'init'. */
  private pendingRecovery: ComparisonSnapshot | null = null;
  private delayMs = 0;
  private horizon: number | null = null;
  /**
   * Set by fail() until the next init or create. A step in flight when the device goes may fail on its own (a GPU
   * read rejected) before or after the device's `lost` fires: whichever comes first, the page ends with fail()'s
   * message and a recoverable error, and the comparison's own error after it is dropped.
   */
  private failed = false;
  /** The runs this engine trains (undefined: all); kept for a rebuild after a lost device. */
  private share: string[] | undefined;
  /** Stops hearing the current comparison. */
  private detach: (() => void) | null = null;

  constructor(
    private readonly post: (event: RunnerEvent) => void,
    private readonly selectBackend: SelectBackend,
    private readonly loseDevice: LoseDevice = noDeviceToLose,
  ) {}

  async handle(cmd: RunnerCommand): Promise<void> {
    try {
      await this.dispatch(cmd);
    } catch (e) {
      if (e instanceof ConfigError) this.post({ type: 'error', field: e.field, message: e.message });
      else {
        const config = cmd.type === 'create' ? cmd.config : (this.comparison?.config ?? null);
        this.post(failure(e instanceof Error ? e.message : String(e), config));
      }
    }
  }

  private async dispatch(cmd: RunnerCommand): Promise<void> {
    switch (cmd.type) {
      case 'init': {
        this.failed = false;
        const backend = await this.selectBackend(cmd.backend, cmd.reason, cmd.threads);
        this.post({ type: 'backend', backend });
        if (this.pendingRecovery && this.data) {
          const snapshot = this.pendingRecovery;
          this.pendingRecovery = null;
          try {
            this.comparison?.dispose();
          } catch {
            // Tensors of a lost device may not be freeable; they go with it.
          }
          this.attach(Comparison.restore(snapshot, this.data, { share: this.share }));
          this.post({ type: 'state', state: 'paused', steps: this.comparison!.steps });
        }
        return;
      }
      case 'create': {
        const data = cmd.dataset ? payloadToData(cmd.dataset) : this.data;
        if (!data) throw new Error('create: no dataset has been sent yet');
        // Validate and build before dropping the old comparison, so a bad config loses nothing.
        const options = { share: cmd.share };
        const next = cmd.snapshot
          ? Comparison.restore(cmd.snapshot as ComparisonSnapshot, data, options)
          : new Comparison(cmd.config, data, options);
        this.share = cmd.share;
        // The old comparison is not heard any more: its 'stopped' is not the new one's news.
        this.detach?.();
        await this.comparison?.stop();
        this.comparison?.dispose();
        this.data = data;
        this.pendingRecovery = null;
        this.failed = false;
        this.attach(next);
        return;
      }
      case 'start':
        void this.need('start').start(cmd.reportFirst);
        return;
      case 'pause':
        return this.need('pause').pause();
      case 'step':
        return this.need('step').step();
      case 'stop':
        return this.need('stop').stop();
      case 'speed':
        this.delayMs = cmd.delayMs;
        this.comparison?.setSpeed(cmd.delayMs);
        return;
      case 'horizon':
        this.horizon = cmd.step;
        this.comparison?.setHorizon(cmd.step);
        return;
      case 'ping':
        // Answered out of turn by worker.ts; in order, only a runner without one (tests) answers here.
        this.post({ type: 'pong', id: cmd.id });
        return;
      case 'abandon':
        // worker.ts drops the device on arrival; in order, there is nothing left to do.
        return;
      case 'loseDevice':
        // What follows arrives through the device's `lost` promise (worker.ts), as a real loss would.
        this.loseDevice();
        return;
    }
  }

  private need(what: string): Comparison {
    if (!this.comparison) throw new Error(`${what}: no comparison has been created`);
    return this.comparison;
  }

  private attach(c: Comparison): void {
    this.comparison = c;
    c.setSpeed(this.delayMs);
    c.setHorizon(this.horizon);
    let posted = c.lastSnapshot;
    this.detach = c.subscribe((event) => {
      const failing = event.type === 'error' || (event.type === 'state' && event.state === 'error');
      if (failing && this.failed) return;
      // The page keeps the newest snapshot, so it can rebuild this run in a new engine if this one stops answering.
      if (event.type === 'report' && c.lastSnapshot && c.lastSnapshot !== posted) {
        posted = c.lastSnapshot;
        const steps = Object.fromEntries(Object.entries(posted.runs).map(([id, r]) => [id, r.stepsDone]));
        this.post({ type: 'snapshot', snapshot: posted, steps });
      }
      if (event.type === 'error' && event.recoverable) this.pendingRecovery = c.lastSnapshot;
      this.post(event.type === 'error' ? { ...event, ...failure(event.message, c.config) } : event);
    });
    this.post({ type: 'created', summary: c.summary, totalSteps: c.totalSteps });
    this.post({ type: 'state', state: c.currentState, steps: c.steps });
  }

  /** A lost device (or any failure outside a step): stop and offer to go on from the last snapshot. */
  async fail(message: string): Promise<void> {
    this.failed = true;
    const c = this.comparison;
    if (c) {
      await c.halt();
      this.pendingRecovery = c.lastSnapshot;
      // A step still pending after halt()'s wait must not report once the page has been told where the run stopped.
      this.detach?.();
    }
    this.post({ type: 'error', message, recoverable: this.pendingRecovery !== null });
    // The steps the run goes on from: a step cut short by the loss is not counted, so no counter runs ahead.
    this.post({ type: 'state', state: 'error', steps: c?.resumableSteps ?? {} });
  }

  /** The comparison being driven (tests). */
  get current(): Comparison | null {
    return this.comparison;
  }
}
