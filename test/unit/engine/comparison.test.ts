// The comparison and the runner protocol: shared starting point, frozen weights, no leaks, bad configs named,
// and a snapshot that continues bit-identically (what a lost WebGPU device falls back on).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Comparison } from '../../../src/engine/comparison';
import { DenseRun } from '../../../src/engine/dense';
import { buildModel } from '../../../src/engine/models';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { Runner } from '../../../src/engine/runner';
import { findRun, withIep, type BackendChoice, type ComparisonConfig } from '../../../src/protocol/config';
import type { DatasetPayload, RunnerEvent } from '../../../src/protocol/messages';
import type { EvalReport, StepReport } from '../../../src/protocol/report';
import { ConfigError } from '../../../src/protocol/validate';
import { cifar, cifarPayload, fourRunConfig, searchOf, tinyConfig } from './helpers';
import { firstDifference } from './observe';

const data = cifar(64, 32);

/** Steps `c` `steps` times; the tensor count after every `every` steps, and the evaluations emitted meanwhile. */
async function tensorCounts(c: Comparison, steps: number, every: number) {
  const counts: number[] = [];
  let evals = 0;
  c.subscribe((e) => {
    if (e.type === 'eval') evals++;
  });
  for (let s = 1; s <= steps; s++) {
    await c.stepOnce();
    if (s % every === 0) counts.push(tf.memory().numTensors);
  }
  return { counts, evals };
}

/**
 * Runs `config` to the end twice: straight through, and stopped after step 6 then restored from its last snapshot (the
 * report at step 4; the steps after it are lost with the "device"). Asserts both emitted the same reports and
 * evaluations (time aside); returns both comparisons and the snapshot, for the caller to compare their state.
 */
async function stopAndResume(config: ComparisonConfig) {
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
  const snapshot = first.lastSnapshot!;
  first.dispose();
  const resumed = Comparison.restore(snapshot, data);
  const resumedReports = collect(resumed);
  while (!resumed.done) await resumed.stepOnce();
  const before = firstReports.filter((r) => r.step <= 4);
  expect([...before, ...resumedReports].map(strip)).toEqual(straightReports.map(strip));
  return { straight, resumed, snapshot };
}

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
    const { counts, evals } = await tensorCounts(c, 200, 10);
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
    const { straight, resumed, snapshot } = await stopAndResume(config);
    expect(snapshot.runs.ep.stepsDone).toBe(4);
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

/** The dense run of a comparison (its trained weights are its own). */
function denseOf(c: Comparison): DenseRun {
  const run = c.runs.dense;
  if (!(run instanceof DenseRun)) throw new Error('no dense run');
  return run;
}

const values = (vars: readonly tf.Tensor[]) => vars.map((v) => Float32Array.from(v.dataSync()));
const SEARCHES = ['ep', 'iep', 'iterand'];

describe('a 4-run comparison: EP, iEP, dense and IteRand', () => {
  beforeAll(() => useNodeBackend('wasm'));

  it('the three searches start from bit-identical weights and scores; dense from its own seeded weights', () => {
    const config = fourRunConfig();
    const c = new Comparison(config, data, { snapshots: false });
    expect(c.list.map((r) => r.run)).toEqual(['ep', 'iep', 'dense', 'iterand']);
    const fresh = buildModel('conv2', 0.0625, config.seed);
    for (const id of SEARCHES) {
      const layers = searchOf(c, id).model.layers;
      layers.forEach((l, i) => {
        expect(
          firstDifference(Float32Array.from(l.weights.dataSync()), values([fresh.layers[i].weights])[0]),
        ).toBeNull();
        expect(firstDifference(Float32Array.from(l.scores.dataSync()), values([fresh.layers[i].scores])[0])).toBeNull();
      });
    }
    const alone = new DenseRun(config, data.train.count, findRun(config, 'dense'));
    expect(values(denseOf(c).weights)).toEqual(values(alone.weights));
    [fresh, alone].forEach((x) => x.dispose());
    c.dispose();
  });

  it('the dense run trains inside the comparison: its weights change and its loss falls on real CIFAR-10', async () => {
    // 256 real images, batch 16, 4 epochs: 64 steps of each run; dense at its own smaller learning rate. Measured:
    // its loss 2.33, 2.16, 2.09, 2.07 over the four reports.
    const real = cifar(256, 64);
    const config = fourRunConfig({ width: 0.125, batchSize: 16, epochs: 4, reportEvery: 16 }, undefined, 0.01);
    const c = new Comparison(config, real, { snapshots: false });
    const dense = denseOf(c);
    const before = values(dense.weights);
    const reports: StepReport[] = [];
    const evals: EvalReport[] = [];
    c.subscribe((e) => {
      if (e.type === 'report' && e.report.run === 'dense') reports.push(e.report);
      if (e.type === 'eval' && e.report.run === 'dense') evals.push(e.report);
    });
    while (!c.done) await c.stepOnce();
    const after = values(dense.weights);
    after.forEach((w, i) => expect(firstDifference(w, before[i]), `layer ${i}`).not.toBeNull());
    expect(reports.map((r) => [r.step, r.pruningRate, r.cycles, r.layers.length])).toEqual(
      [16, 32, 48, 64].map((step) => [step, 0, 1, 0]),
    );
    reports.slice(1).forEach((r, i) => expect(r.loss, `step ${r.step}`).toBeLessThan(reports[i].loss));
    expect(reports.at(-1)!.loss).toBeLessThan(reports[0].loss - 0.2);
    expect(evals.at(-1)).toMatchObject({ reason: 'final', step: 64 });
    // The searches' frozen weights did not move meanwhile.
    const fresh = buildModel('conv2', config.width, config.seed);
    for (const id of ['ep', 'iep']) {
      expect(values(searchOf(c, id).model.layers.map((l) => l.weights)), id).toEqual(
        values(fresh.layers.map((l) => l.weights)),
      );
    }
    fresh.dispose();
    c.dispose();
  });

  // WebGPU runs on SwiftShader here, seconds a step (its dispatches dominate): 6 steps, re-draws at 3 and 6 and a
  // report with its snapshot at 5 between the counts.
  it.each([
    ['wasm', 60, 5, 7],
    ['webgpu', 6, 2, 3],
  ] as const)(
    'keeps the tensor count flat on %s over %i steps (reports, evaluations, snapshots and IteRand re-draws included)',
    async (backend, steps, every, kPer) => {
      await useNodeBackend(backend);
      const atStart = tf.memory().numTensors;
      const c = new Comparison(fourRunConfig({ batchSize: 4, epochs: 4, reportEvery: 5 }, { kPer, lambda: 0.3 }), data);
      const { counts, evals } = await tensorCounts(c, steps, every);
      expect(c.steps).toEqual({ ep: steps, iep: steps, dense: steps, iterand: steps });
      expect(evals).toBeGreaterThanOrEqual(4 * Math.floor(steps / 16));
      // Snapshots are taken at reports (every 5 steps).
      expect(c.lastSnapshot?.runs.dense.stepsDone).toBe(Math.floor(steps / 5) * 5);
      expect(new Set(counts.slice(1)).size).toBe(1);
      c.dispose();
      expect(tf.memory().numTensors).toBe(atStart);
      await useNodeBackend('wasm');
    },
  );

  it('a restored snapshot continues bit-identically, dense and IteRand included', async () => {
    // 16 steps each; IteRand re-draws at steps 3, 6, 9, 12, 15: before and after the snapshot at step 4.
    const config = fourRunConfig({ batchSize: 8, epochs: 2, reportEvery: 4, iep: { cycles: 4, variant: 'hard' } });
    const { straight, resumed, snapshot } = await stopAndResume(config);
    expect(Object.keys(snapshot.runs)).toEqual(['ep', 'iep', 'dense', 'iterand']);
    expect(Object.values(snapshot.runs).map((r) => r.stepsDone)).toEqual([4, 4, 4, 4]);
    // Every run's whole state: scores, momentum and usage of the searches, IteRand's re-drawn weights, dense's
    // trained weights, BatchNorm scales, shifts and running statistics.
    const [a, b] = [await resumed.snapshot(), await straight.snapshot()];
    for (const id of ['ep', 'iep', 'dense', 'iterand']) expect(a.runs[id], id).toEqual(b.runs[id]);
    expect(values(denseOf(resumed).weights)).toEqual(values(denseOf(straight).weights));
    straight.dispose();
    resumed.dispose();
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
