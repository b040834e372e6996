// The comparison and the runner protocol: shared starting point, frozen weights, no leaks, bad configs named,
// and a snapshot that continues bit-identically (what a lost WebGPU device falls back on).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Comparison } from '../../../src/engine/comparison';
import { buildModel } from '../../../src/engine/models';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { Runner } from '../../../src/engine/runner';
import { withIep, type BackendChoice } from '../../../src/protocol/config';
import type { DatasetPayload, RunnerEvent } from '../../../src/protocol/messages';
import type { EvalReport, StepReport } from '../../../src/protocol/report';
import { ConfigError } from '../../../src/protocol/validate';
import { cifar, cifarPayload, tinyConfig } from './helpers';

const data = cifar(64, 32);

describe('comparison', () => {
  beforeAll(() => useNodeBackend('wasm'));

  it('EP and iEP start from bit-identical weights and scores; weights stay bit-identical over 100 steps', async () => {
    const c = new Comparison(tinyConfig({ batchSize: 4, epochs: 7, reportEvery: 50 }), data, { snapshots: false });
    const { ep, iep } = c.runs;
    const fresh = buildModel('conv2', 0.0625, c.config.seed);
    for (let i = 0; i < ep.model.layers.length; i++) {
      expect(await ep.model.layers[i].weights.data()).toEqual(await iep.model.layers[i].weights.data());
      expect(await ep.model.layers[i].scores.data()).toEqual(await iep.model.layers[i].scores.data());
    }
    for (let s = 0; s < 100; s++) await c.stepOnce();
    expect(c.steps).toEqual({ ep: 100, iep: 100 });
    for (const run of [ep, iep]) {
      for (let i = 0; i < run.model.layers.length; i++) {
        expect(await run.model.layers[i].weights.data()).toEqual(await fresh.layers[i].weights.data());
        expect(await run.model.layers[i].scores.data()).not.toEqual(await fresh.layers[i].scores.data());
      }
    }
    fresh.dispose();
    c.dispose();
  });

  it('keeps the tensor count flat over 200 steps (reports, evaluations and snapshots included)', async () => {
    const atStart = tf.memory().numTensors;
    const c = new Comparison(tinyConfig({ batchSize: 4, epochs: 13, reportEvery: 10 }), data);
    const counts: number[] = [];
    let evals = 0;
    c.subscribe((e) => {
      if (e.type === 'eval') evals++;
    });
    for (let s = 1; s <= 200; s++) {
      await c.stepOnce();
      if (s % 10 === 0) counts.push(tf.memory().numTensors);
    }
    expect(evals).toBeGreaterThan(20);
    expect(new Set(counts.slice(1)).size).toBe(1);
    c.dispose();
    expect(tf.memory().numTensors).toBe(atStart);
  });

  it('rejects a bad config naming the field', () => {
    const bad = (patch: object) => () => new Comparison({ ...tinyConfig(), ...patch }, data);
    expect(bad({ batchSize: 0 })).toThrow(ConfigError);
    expect(bad({ batchSize: 0 })).toThrow(/batchSize/);
    const medium = tinyConfig();
    expect(bad({ runs: withIep(medium, { variant: 'medium' as never }).runs })).toThrow(
      expect.objectContaining({ field: 'runs[1].iep.variant' }),
    );
    expect(bad({ model: 'vgg' })).toThrow(expect.objectContaining({ field: 'model' }));
  });

  it('a restored snapshot continues bit-identically to a run that never stopped (cpu)', async () => {
    await useNodeBackend('cpu');
    const config = tinyConfig({
      batchSize: 8,
      epochs: 2,
      reportEvery: 4,
      iep: { cycles: 4, variant: 'hard' },
    });
    const collect = (c: Comparison) => {
      const out: (StepReport | EvalReport)[] = [];
      c.subscribe((e) => (e.type === 'report' || e.type === 'eval') && out.push(e.report));
      return out;
    };
    const strip = (r: StepReport | EvalReport) => (r.kind === 'step' ? { ...r, imagesPerSecond: 0 } : r);
    const straight = new Comparison(config, data);
    const straightReports = collect(straight);
    while (!straight.done) await straight.stepOnce();

    const first = new Comparison(config, data);
    const firstReports = collect(first);
    while (first.steps.ep < 6) await first.stepOnce();
    // The last snapshot is from the report at step 4; the steps after it are lost with the "device".
    const snapshot = first.lastSnapshot!;
    expect(snapshot.runs.ep.stepsDone).toBe(4);
    first.dispose();
    const resumed = Comparison.restore(snapshot, data);
    const resumedReports = collect(resumed);
    while (!resumed.done) await resumed.stepOnce();
    const before = firstReports.filter((r) => r.step <= 4);
    expect([...before, ...resumedReports].map(strip)).toEqual(straightReports.map(strip));
    for (const run of ['ep', 'iep'] as const) {
      for (let i = 0; i < straight.runs[run].model.layers.length; i++) {
        expect(await resumed.runs[run].model.layers[i].scores.data()).toEqual(
          await straight.runs[run].model.layers[i].scores.data(),
        );
      }
    }
    straight.dispose();
    resumed.dispose();
    await useNodeBackend('wasm');
  });
});

const payload = (): DatasetPayload => cifarPayload(data);

function makeRunner() {
  const events: RunnerEvent[] = [];
  const select = async (choice: BackendChoice) => {
    const name = choice === 'cpu' ? 'cpu' : 'wasm';
    await useNodeBackend(name);
    return { name, reason: `${name}: Node test backend` } as const;
  };
  const runner = new Runner((e) => events.push(e), select);
  return { runner, events };
}

describe('runner messages', () => {
  it('init, create, step, start, pause, stop', async () => {
    const { runner, events } = makeRunner();
    await runner.handle({ type: 'init', backend: 'wasm' });
    expect(events.shift()).toMatchObject({ type: 'backend', backend: { name: 'wasm' } });
    await runner.handle({ type: 'create', config: tinyConfig({ batchSize: 8, reportEvery: 1 }), dataset: payload() });
    expect(events.shift()).toMatchObject({ type: 'created', totalSteps: { ep: 8, iep: 8 } });
    expect(events.shift()).toMatchObject({ type: 'state', state: 'ready' });
    await runner.handle({ type: 'step' });
    expect(events.filter((e) => e.type === 'report').map((e) => (e as { report: StepReport }).report.run)).toEqual([
      'ep',
      'iep',
    ]);
    expect(events.pop()).toEqual({ type: 'state', state: 'paused', steps: { ep: 1, iep: 1 } });
    events.length = 0;
    await runner.handle({ type: 'start' });
    await new Promise((r) => setTimeout(r, 50));
    await runner.handle({ type: 'pause' });
    const paused = events.pop() as Extract<RunnerEvent, { type: 'state' }>;
    expect(paused.state).toBe('paused');
    expect(events[0]).toMatchObject({ type: 'state', state: 'running' });
    await runner.handle({ type: 'start' });
    while (runner.current!.currentState === 'running') await new Promise((r) => setTimeout(r, 20));
    expect(events.pop()).toEqual({ type: 'state', state: 'done', steps: { ep: 8, iep: 8 } });
    const finals = events.filter((e) => e.type === 'eval' && e.report.reason === 'final');
    expect(finals).toHaveLength(2);
    await runner.handle({ type: 'stop' });
    expect(events.pop()).toMatchObject({ type: 'state', state: 'stopped' });
    runner.current!.dispose();
  });

  it('a bad config posts an error naming the field and keeps the comparison already loaded', async () => {
    const { runner, events } = makeRunner();
    await runner.handle({ type: 'init', backend: 'wasm' });
    await runner.handle({ type: 'create', config: tinyConfig(), dataset: payload() });
    const loaded = runner.current;
    events.length = 0;
    await runner.handle({ type: 'create', config: { ...tinyConfig(), targetPruningRate: 1.5 } });
    expect(events).toEqual([
      { type: 'error', field: 'targetPruningRate', message: expect.stringMatching(/0 to 0.999/) },
    ]);
    expect(runner.current).toBe(loaded);
    loaded!.dispose();
  });

  it('after a lost device, init with another backend rebuilds from the last report and goes on', async () => {
    const { runner, events } = makeRunner();
    await runner.handle({ type: 'init', backend: 'wasm' });
    await runner.handle({ type: 'create', config: tinyConfig({ batchSize: 8, reportEvery: 2 }), dataset: payload() });
    // Full speed's cadence (a Step would report every step): the last report, and snapshot, is at step 2.
    for (let i = 0; i < 3; i++) await runner.current!.stepOnce();
    events.length = 0;
    await runner.fail('The WebGPU device was lost (destroyed)');
    expect(events[0]).toMatchObject({ type: 'error', recoverable: true, message: expect.stringMatching(/lost/) });
    expect(events[1]).toMatchObject({ type: 'state', state: 'error' });
    events.length = 0;
    await runner.handle({ type: 'init', backend: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
    expect(events.map((e) => e.type)).toEqual(['backend', 'created', 'state', 'state']);
    expect(events[3]).toEqual({ type: 'state', state: 'paused', steps: { ep: 2, iep: 2 } });
    await runner.handle({ type: 'step' });
    expect(runner.current!.steps).toEqual({ ep: 3, iep: 3 });
    runner.current!.dispose();
    await useNodeBackend('wasm');
  });

  it('a loss while a step is in flight ends in one recoverable error; the cut-short step is neither reported nor counted', async () => {
    const { runner, events } = makeRunner();
    await runner.handle({ type: 'init', backend: 'wasm' });
    await runner.handle({ type: 'create', config: tinyConfig({ batchSize: 8, reportEvery: 1 }), dataset: payload() });
    for (let i = 0; i < 2; i++) await runner.handle({ type: 'step' });
    events.length = 0;
    const stepping = runner.handle({ type: 'step' });
    await runner.fail('The WebGPU device was lost (destroyed)');
    await stepping;
    expect(events).toEqual([
      { type: 'error', message: 'The WebGPU device was lost (destroyed)', recoverable: true },
      { type: 'state', state: 'error', steps: { ep: 2, iep: 2 } },
    ]);
    events.length = 0;
    await runner.handle({ type: 'init', backend: 'wasm' });
    expect(events.at(-1)).toEqual({ type: 'state', state: 'paused', steps: { ep: 2, iep: 2 } });
    await runner.handle({ type: 'step' });
    const reported = events.filter((e) => e.type === 'report').map((e) => (e as { report: StepReport }).report.step);
    expect(reported).toEqual([3, 3]);
    runner.current!.dispose();
  });

  it('loseDevice where there is no WebGPU device says so and leaves the run as it was', async () => {
    const { runner, events } = makeRunner();
    await runner.handle({ type: 'init', backend: 'wasm' });
    await runner.handle({ type: 'create', config: tinyConfig({ batchSize: 8, reportEvery: 1 }), dataset: payload() });
    events.length = 0;
    await runner.handle({ type: 'loseDevice' });
    expect(events).toEqual([{ type: 'error', message: expect.stringMatching(/no WebGPU device to lose/) }]);
    await runner.handle({ type: 'step' });
    expect(runner.current!.steps).toEqual({ ep: 1, iep: 1 });
    runner.current!.dispose();
  });
});
