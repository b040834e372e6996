// The engine session's transitions, one at a time, against a fake runner (the engine's side is what the test says it
// is; the session, the store and the backend choice are the real ones). Timers are faked: the watchdog's 10 s and the
// 400 ms "shown paused" pass in an instant.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../../src/protocol/config';
import type { DatasetPayload, RunnerCommand, RunnerEvent, RunnerState } from '../../../src/protocol/messages';
import type { ModelSummary } from '../../../src/protocol/report';
import { ANSWER_MS, EngineSession, SHOW_PAUSE_MS, STALL_MS, type Runner } from '../../../src/store/engineSession';
import { useStore } from '../../../src/store/index';
import { resolveBackend, setMeasurer, START_AT_ONCE } from '../../../src/store/backendChoice';

class FakeRunner implements Runner {
  sent: RunnerCommand[] = [];
  restarts = 0;
  private listeners = new Set<(e: RunnerEvent) => void>();
  send(cmd: RunnerCommand): void {
    this.sent.push(cmd);
  }
  subscribe(listener: (e: RunnerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  restart(): void {
    this.restarts += 1;
  }
  emit(event: RunnerEvent): void {
    this.listeners.forEach((l) => l(event));
  }
  /** The types sent since the last call. */
  take(): string[] {
    const types = this.sent.map((c) => c.type);
    this.sent = [];
    return types;
  }
}

const summary = { layers: [], totalEdges: 0, keptEdges: 0 } as unknown as ModelSummary;
const steps = (n: number) => ({ ep: n, iep: n });
const state = (s: RunnerState, n = 0): RunnerEvent => ({ type: 'state', state: s, steps: steps(n) });
const created: RunnerEvent = { type: 'created', summary, totalSteps: steps(100) };

let runner: FakeRunner;
let session: EngineSession;
let finished: number;

beforeEach(() => {
  vi.useFakeTimers();
  useStore.getState().clearComparison();
  // A forced backend: nothing to measure, the session goes straight to the engine.
  useStore.getState().setConfig({ ...defaultConfig(), backend: 'wasm' });
  runner = new FakeRunner();
  finished = 0;
  session = new EngineSession(runner, {
    dataset: () => undefined,
    finishRecording: () => {
      finished += 1;
      return Promise.resolve();
    },
  });
});

afterEach(() => {
  session.dispose();
  vi.useRealTimers();
});

/** Start pressed from idle, the engine built the comparison: the session stands `ready`, 'start' sent. */
async function created_(): Promise<void> {
  await session.start();
  expect(session.state.name).toBe('creating');
  expect(runner.take()).toEqual(['init', 'create']);
  runner.emit(created);
  runner.emit(state('ready'));
}

async function running(): Promise<void> {
  await created_();
  // A new comparison's first step reports whatever reportEvery says.
  expect(runner.sent.at(-1)).toEqual({ type: 'start', reportFirst: true });
  expect(runner.take()).toEqual(['speed', 'start']);
  runner.emit(state('running'));
  expect(session.state.name).toBe('running');
}

describe('engine session', () => {
  it('idle → creating → ready → running → done, the store following after a flush', async () => {
    await running();
    runner.emit({ type: 'snapshot', snapshot: { runs: {} }, steps: steps(10) });
    runner.emit(state('done', 100));
    expect(session.state.name).toBe('done');
    await vi.advanceTimersByTimeAsync(200);
    expect(useStore.getState().runnerState).toBe('done');
    expect(useStore.getState().comparison?.totalSteps).toEqual(steps(100));
    expect(session.history).toEqual(['idle', 'creating', 'ready', 'running', 'done']);
  });

  it('a Start (or Step) pressed while the engine is being built waits, and is sent once, after created', async () => {
    await session.step();
    await session.start();
    await session.start();
    expect(session.state).toMatchObject({ name: 'creating', then: 'start' });
    expect(runner.take()).toEqual(['init', 'create']);
    runner.emit(created);
    expect(runner.take()).toEqual(['speed', 'start']);
  });

  it('pause: shown paused within SHOW_PAUSE_MS, paused when the engine answers, no replacement after', async () => {
    await running();
    session.pause();
    expect(session.state.name).toBe('pausing');
    expect(runner.take()).toEqual(['pause']);
    await vi.advanceTimersByTimeAsync(SHOW_PAUSE_MS + 1);
    expect(useStore.getState().runnerState).toBe('paused');
    runner.emit(state('paused', 12));
    expect(session.state.name).toBe('paused');
    await vi.advanceTimersByTimeAsync(ANSWER_MS * 2);
    expect(runner.restarts).toBe(0);
    await session.step();
    expect(runner.take()).toEqual(['step']);
    await session.start();
    expect(runner.take()).toEqual(['start']);
  });

  it('a pause pressed after Start went to the engine but before it said it runs is sent, and shown', async () => {
    await created_();
    expect(runner.take()).toEqual(['speed', 'start']);
    session.pause();
    expect(session.state.name).toBe('pausing');
    expect(runner.take()).toEqual(['pause']);
    // The engine runs the Start it had, then the pause: 'running' does not take the pause back.
    runner.emit(state('running', 0));
    expect(session.state.name).toBe('pausing');
    runner.emit(state('paused', 1));
    expect(session.state.name).toBe('paused');
  });

  it('a pause never answered (a hung engine): replaced, the run kept paused, rebuilt from its snapshot on Start', async () => {
    await running();
    const snapshot = { runs: { ep: 1 } };
    runner.emit({ type: 'snapshot', snapshot, steps: steps(10) });
    session.pause();
    runner.take();
    await vi.advanceTimersByTimeAsync(ANSWER_MS + 1);
    expect(runner.restarts).toBe(1);
    expect(session.state.name).toBe('replaced');
    // A late word from the old engine changes nothing.
    runner.emit(state('running', 14));
    expect(session.state.name).toBe('replaced');
    await session.start();
    expect(session.state).toMatchObject({ name: 'creating', then: 'start' });
    const [init, create] = runner.sent;
    expect(init).toMatchObject({ type: 'init', backend: 'wasm' });
    expect(create).toMatchObject({ type: 'create', snapshot });
    runner.take();
    runner.emit(created);
    expect(runner.take()).toEqual(['speed', 'start']);
  });

  it('Start pressed while a pause is unanswered: sent now, and done by the rebuilt engine if that one hangs', async () => {
    await running();
    session.pause();
    await session.start();
    expect(runner.take()).toEqual(['pause', 'start']);
    await vi.advanceTimersByTimeAsync(ANSWER_MS + 1);
    expect(runner.restarts).toBe(1);
    expect(session.state).toMatchObject({ name: 'creating', then: 'start' });
    expect(runner.take()).toEqual(['init', 'create']);
  });

  it('an engine that fails while running (a lost device): failed, then recovered on another backend', async () => {
    await running();
    runner.emit({ type: 'error', message: 'The WebGPU device was lost', recoverable: true });
    runner.emit(state('error', 10));
    expect(session.state).toEqual({ name: 'failed', runId: expect.any(String), recoverable: true });
    // Start waits for a backend to be picked.
    await session.start();
    expect(runner.take()).toEqual([]);
    session.recover('wasm');
    expect(runner.take()).toEqual(['init']);
    runner.emit(state('paused', 10));
    expect(session.state.name).toBe('paused');
  });

  it('a Start pressed while "auto" measures starts at once on wasm, and the measurement is called off', async () => {
    useStore.getState().setConfig({ ...defaultConfig(), backend: 'auto' });
    let aborted = false;
    setMeasurer(
      (_config, _data, _progress, signal) =>
        new Promise((resolve) => signal.addEventListener('abort', () => ((aborted = true), resolve([])))),
    );
    const dataset = { id: 'x' } as unknown as DatasetPayload;
    const measuring = resolveBackend(
      useStore.getState().config,
      () => Promise.resolve(dataset),
      () => undefined,
    );
    await vi.advanceTimersByTimeAsync(0);
    await session.start();
    const [init] = runner.sent;
    expect(init).toEqual({ type: 'init', ...START_AT_ONCE });
    expect(aborted).toBe(true);
    expect(await measuring).toBeNull();
  });

  it('a run with no step STALL_MS after it began says so; wasm then rebuilds it from its snapshot and goes on', async () => {
    await running();
    const snapshot = { runs: { ep: 3 } };
    runner.emit({ type: 'snapshot', snapshot, steps: steps(0) });
    await vi.advanceTimersByTimeAsync(STALL_MS - 100);
    expect(useStore.getState().stalled).toBeNull();
    await vi.advanceTimersByTimeAsync(200);
    expect(useStore.getState().stalled).toMatch(/has made no step in 8 s/);
    runner.take();
    await session.switchBackend('wasm');
    expect(runner.restarts).toBe(1);
    expect(useStore.getState().stalled).toBeNull();
    expect(runner.sent[0]).toMatchObject({ type: 'init', backend: 'wasm' });
    expect(runner.sent[1]).toMatchObject({ type: 'create', snapshot });
    runner.take();
    runner.emit(created);
    expect(runner.take()).toEqual(['speed', 'start']);
  });

  it('a first report takes the stall back, and none is said after it', async () => {
    await running();
    await vi.advanceTimersByTimeAsync(STALL_MS + 1);
    expect(useStore.getState().stalled).not.toBeNull();
    runner.emit({ type: 'report', report: { run: 'ep', step: 1 } as never });
    expect(useStore.getState().stalled).toBeNull();
    runner.emit(state('paused', 1));
    runner.emit(state('running', 1));
    await vi.advanceTimersByTimeAsync(STALL_MS * 2);
    expect(useStore.getState().stalled).toBeNull();
  });

  it('after an out-of-memory the next run gets new engines', async () => {
    await running();
    runner.emit({ type: 'error', message: 'Aborted()', restart: true });
    expect(session.state).toMatchObject({ name: 'failed', recoverable: false });
    await session.start();
    expect(runner.restarts).toBe(1);
    expect(session.state.name).toBe('creating');
  });

  describe('Reset in every state', () => {
    const reset = () => {
      session.reset();
      expect(useStore.getState().mode).toBe('empty');
    };

    it('idle: nothing to stop', () => {
      reset();
      expect(runner.take()).toEqual([]);
      expect(session.state.name).toBe('idle');
    });

    it('creating: stop sent, a late created does not start anything', async () => {
      await session.start();
      runner.take();
      reset();
      expect(runner.take()).toEqual(['stop']);
      expect(session.state.name).toBe('stopping');
      runner.emit(created);
      runner.emit(state('stopped'));
      expect(session.state.name).toBe('idle');
      expect(runner.take()).toEqual([]);
    });

    for (const from of ['ready', 'running', 'paused'] as const) {
      it(`${from}: stop sent and answered, the recording finished`, async () => {
        await created_();
        runner.take();
        if (from !== 'ready') runner.emit(state(from, 5));
        expect(session.state.name).toBe(from);
        reset();
        expect(runner.take()).toEqual(['stop']);
        expect(finished).toBe(1);
        runner.emit(state('stopped', 5));
        expect(session.state.name).toBe('idle');
        await vi.advanceTimersByTimeAsync(ANSWER_MS * 2);
        expect(runner.restarts).toBe(0);
      });
    }

    it('running, the stop never answered: the engine is replaced, and a new run starts on a new one', async () => {
      await running();
      reset();
      await vi.advanceTimersByTimeAsync(ANSWER_MS + 1);
      expect(runner.restarts).toBe(1);
      expect(session.state.name).toBe('idle');
    });

    it('stopping: a new run does not wait for the old engine', async () => {
      await running();
      reset();
      runner.take();
      await session.start();
      expect(runner.restarts).toBe(1);
      expect(runner.take()).toEqual(['init', 'create']);
    });

    it('pausing: stop sent, the pause watchdog gives way to the stop', async () => {
      await running();
      session.pause();
      reset();
      expect(runner.take()).toEqual(['pause', 'stop']);
      runner.emit(state('stopped', 3));
      await vi.advanceTimersByTimeAsync(ANSWER_MS * 2);
      expect(runner.restarts).toBe(0);
      expect(session.state.name).toBe('idle');
    });

    it('replaced: no engine holds the run, nothing sent', async () => {
      await running();
      session.pause();
      await vi.advanceTimersByTimeAsync(ANSWER_MS + 1);
      runner.take();
      reset();
      expect(runner.take()).toEqual([]);
      expect(session.state.name).toBe('idle');
    });

    for (const end of ['done', 'failed'] as const) {
      it(`${end}: nothing to stop`, async () => {
        await running();
        if (end === 'done') runner.emit(state('done', 100));
        else runner.emit({ type: 'error', message: 'a step failed' });
        runner.take();
        reset();
        expect(runner.take()).toEqual([]);
        expect(session.state.name).toBe('idle');
      });
    }

    it('stopping: a second Reset sends nothing more', async () => {
      await running();
      reset();
      runner.take();
      reset();
      expect(runner.take()).toEqual([]);
    });
  });
});
