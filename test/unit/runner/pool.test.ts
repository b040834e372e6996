// The engine pool against one engine: a 4-run comparison (EP, iEP, dense, IteRand) split over 2 and 4 real engines
// reports, bit for bit, what one Comparison reports, through pause, step, resume, a rebuild from the pool's merged
// snapshot, a crashed engine and a wedged one; and no engine runs more than a report window ahead of the slowest.
import { beforeAll, describe, expect, it } from 'vitest';
import { Comparison, type ComparisonSnapshot } from '../../../src/engine/comparison';
import { useNodeBackend } from '../../../src/engine/node-backend';
import type { LocalConfig } from '../../../src/protocol/config';
import type { PerRun, RunnerEvent } from '../../../src/protocol/messages';
import type { EvalReport, StepReport } from '../../../src/protocol/report';
import { dealRuns, EnginePool, mergeStates, ruleLayout } from '../../../src/runner/pool';
import { cifar, cifarPayload, fourRunConfig } from '../engine/helpers';
import { inProcessEngines } from './inProcessEngine';

const data = cifar(64, 32);
const config: LocalConfig = fourRunConfig({ batchSize: 8, epochs: 3, reportEvery: 2 });
// Step reports the step it makes whatever reportEvery says (and a report starts a new loss window): a test that
// pauses and steps anywhere compares against a reference reporting every step.
const everyStepConfig: LocalConfig = { ...config, reportEvery: 1 };

type Out = StepReport | EvalReport;
const strip = (r: Out) => (r.kind === 'step' ? { ...r, imagesPerSecond: 0 } : r);
const key = (r: Out) => `${r.run} ${r.kind} ${String(r.step).padStart(4, '0')} ${'reason' in r ? r.reason : ''}`;
const sorted = (rs: Out[]) => [...rs].sort((a, b) => key(a).localeCompare(key(b))).map(strip);

interface Reference {
  reports: Out[];
  final: ComparisonSnapshot;
}
let reference: Reference;
let everyStep: Reference;

/** One Comparison of every run, stepped to the end: what the pool must reproduce. */
async function runReference(config: LocalConfig): Promise<Reference> {
  const c = new Comparison(config, data);
  const reports: Out[] = [];
  c.subscribe((e) => (e.type === 'report' || e.type === 'eval') && reports.push(e.report));
  while (!c.done) await c.stepOnce();
  const final = await c.snapshot();
  c.dispose();
  return { reports, final };
}

function drive(cores: number, options: { hangMs?: number; pingMs?: number } = {}) {
  const { spawn, engines } = inProcessEngines();
  const pool = new EnginePool(spawn, { cores, pingMs: options.pingMs ?? 0, hangMs: options.hangMs });
  const events: RunnerEvent[] = [];
  pool.subscribe((e) => events.push(e));
  const until = async (ok: () => boolean, what: string, ms = 60_000) => {
    const t0 = Date.now();
    while (!ok()) {
      if (Date.now() - t0 > ms) throw new Error(`waited ${ms} ms for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const states = () => events.filter((e): e is Extract<RunnerEvent, { type: 'state' }> => e.type === 'state');
  const lastState = () => states().at(-1);
  const outputs = () =>
    events.flatMap((e) => (e.type === 'report' || e.type === 'eval' ? [e.report as Out] : ([] as Out[])));
  const snapshots = () => events.filter((e): e is Extract<RunnerEvent, { type: 'snapshot' }> => e.type === 'snapshot');
  const stepsOf = (steps: PerRun) => Object.values(steps);
  return { pool, engines, events, until, lastState, outputs, snapshots, stepsOf };
}

describe('layout', () => {
  it('an engine per run up to the cores on wasm, threads from what is left; one engine on a GPU', () => {
    expect(ruleLayout(2, 2, 'wasm')).toMatchObject({ workers: 2, threads: 1 });
    expect(ruleLayout(4, 2, 'wasm')).toMatchObject({ workers: 2, threads: 1 });
    expect(ruleLayout(1, 8, 'wasm')).toMatchObject({ workers: 1, threads: 8 });
    expect(ruleLayout(3, 8, 'auto')).toMatchObject({ workers: 3, threads: 2 });
    expect(ruleLayout(4, 8, 'webgpu')).toMatchObject({ workers: 1 });
    expect(dealRuns(config, 2)).toEqual([
      ['ep', 'dense'],
      ['iep', 'iterand'],
    ]);
    expect(dealRuns(config, 8)).toEqual([['ep'], ['iep'], ['dense'], ['iterand']]);
  });

  it('merged state: running while any runs, paused once all stopped stepping, done when all are', () => {
    expect(mergeStates(['running', 'paused'])).toBe('running');
    expect(mergeStates(['paused', 'done'])).toBe('paused');
    expect(mergeStates(['done', 'done'])).toBe('done');
    expect(mergeStates(['stopped', 'done'])).toBe('stopped');
    expect(mergeStates(['running', 'error'])).toBe('error');
    expect(mergeStates(['ready', 'ready'])).toBe('ready');
  });
});

describe('pool of engines', () => {
  beforeAll(async () => {
    await useNodeBackend('wasm');
    reference = await runReference(config);
    everyStep = await runReference(everyStepConfig);
  });

  for (const cores of [2, 4]) {
    it(`${cores} engines: pause, step, resume, rebuilt from the merged snapshot, reports equal one engine's`, async () => {
      const d = drive(cores);
      const config = everyStepConfig;
      d.pool.send({ type: 'init', backend: 'wasm' });
      d.pool.send({ type: 'create', config, dataset: cifarPayload(data) });
      await d.until(() => d.lastState()?.state === 'ready', 'ready');
      expect(d.pool.size).toBe(Math.min(cores, 4));
      expect(d.events.filter((e) => e.type === 'created')).toHaveLength(1);

      d.pool.send({ type: 'start' });
      await d.until(() => d.outputs().length >= 8, 'a few reports');
      d.pool.send({ type: 'pause' });
      await d.until(() => d.lastState()?.state === 'paused', 'paused');
      const pausedAt = d.lastState()!.steps;
      d.pool.send({ type: 'step' });
      await d.until(
        () => d.lastState()?.state === 'paused' && d.lastState()!.steps.ep === pausedAt.ep + 1,
        'one step of each run',
      );
      expect(d.lastState()!.steps).toEqual(Object.fromEntries(Object.entries(pausedAt).map(([k, v]) => [k, v + 1])));
      d.pool.send({ type: 'start' });
      await d.until(() => d.snapshots().some((s) => Math.min(...d.stepsOf(s.steps)) >= 10), 'a snapshot at 10');

      // The page's watchdog: every engine dropped, the comparison rebuilt from the pool's merged snapshot.
      const saved = d.snapshots().at(-1)!;
      expect(Object.keys(saved.steps).sort()).toEqual(['dense', 'ep', 'iep', 'iterand']);
      const seen = d.outputs().filter((r) => r.step <= saved.steps[r.run]);
      d.pool.restart();
      d.events.length = 0;
      d.pool.send({ type: 'init', backend: 'wasm' });
      d.pool.send({ type: 'create', config, dataset: cifarPayload(data), snapshot: saved.snapshot });
      await d.until(() => d.lastState()?.state === 'paused', 'rebuilt, paused');
      d.pool.send({ type: 'start' });
      await d.until(() => d.lastState()?.state === 'done', 'done');

      expect(sorted([...seen, ...d.outputs()])).toEqual(sorted(everyStep.reports));
      // The scores after the rebuild equal an uninterrupted run's.
      const final = d.snapshots().at(-1)!.snapshot as ComparisonSnapshot;
      expect(final.runs).toEqual(everyStep.final.runs);
      d.pool.close();
    });
  }

  it('a new comparison in the same engines hears nothing the last one said after it was sent', async () => {
    const d = drive(2);
    d.pool.send({ type: 'init', backend: 'wasm' });
    d.pool.send({ type: 'create', config, dataset: cifarPayload(data) });
    d.pool.send({ type: 'start' });
    await d.until(() => d.outputs().length >= 6, 'the first comparison under way');
    const engines = d.engines.length;
    // Reset then Start at once: the engines are still finishing a step of the first comparison when the second is sent.
    d.pool.send({ type: 'pause' });
    d.pool.send({ type: 'stop' });
    const mark = d.events.length;
    d.pool.send({ type: 'create', config, dataset: cifarPayload(data) });
    const since = () => d.events.slice(mark);
    await d.until(() => since().some((e) => e.type === 'state' && e.state === 'ready'), 'the second built');
    expect(d.engines.length).toBe(engines);
    const built = since().filter((e) => e.type === 'state');
    expect(built.map((e) => e.type === 'state' && e.state)).toEqual(['ready']);
    d.pool.send({ type: 'start' });
    await d.until(() => d.lastState()?.state === 'done', 'done');
    const outputs = since().flatMap((e) => (e.type === 'report' || e.type === 'eval' ? [e.report as Out] : []));
    expect(sorted(outputs)).toEqual(sorted(reference.reports));
    d.pool.close();
  });

  it('a config error that only one engine finds (a run in its share) is said once, whichever engine it is', async () => {
    const d = drive(2);
    // Too many cycles for the budget: only the engine that builds iEP (the second) refuses it.
    const bad: LocalConfig = {
      ...config,
      epochs: 1,
      runs: config.runs.map((r) => (r.method === 'iep' ? { ...r, iep: { ...r.iep, cycles: 10 } } : r)),
    };
    d.pool.send({ type: 'init', backend: 'wasm' });
    d.pool.send({ type: 'create', config: bad, dataset: cifarPayload(data) });
    await d.until(() => d.events.some((e) => e.type === 'error'), 'the error');
    await new Promise((r) => setTimeout(r, 200));
    const errors = d.events.filter((e) => e.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ field: expect.stringMatching(/iep\.cycles$/) });
    d.pool.close();
  });

  it('an engine that crashes mid-run is replaced from its snapshot: every report once, the same numbers', async () => {
    const d = drive(2);
    d.pool.send({ type: 'init', backend: 'wasm' });
    d.pool.send({ type: 'create', config, dataset: cifarPayload(data) });
    d.pool.send({ type: 'start' });
    await d.until(() => d.outputs().filter((r) => r.run === 'iep').length >= 4, 'iEP under way');
    const started = d.engines.length;
    d.engines.at(-1)!.crash('The engine worker failed: out of luck');
    await d.until(() => d.lastState()?.state === 'done', 'done');
    expect(d.engines.length).toBe(started + 1);
    expect(d.events.some((e) => e.type === 'error')).toBe(false);
    expect(sorted(d.outputs())).toEqual(sorted(reference.reports));
    d.pool.close();
  });

  it('an engine that stops answering is replaced and the comparison goes on', async () => {
    const d = drive(2, { pingMs: 50, hangMs: 300 });
    d.pool.send({ type: 'init', backend: 'wasm' });
    d.pool.send({ type: 'create', config, dataset: cifarPayload(data) });
    d.pool.send({ type: 'start' });
    await d.until(() => d.outputs().filter((r) => r.run === 'ep').length >= 4, 'EP under way');
    const started = d.engines.length;
    d.engines.at(-2)!.freeze();
    await d.until(() => d.lastState()?.state === 'done', 'done');
    expect(d.engines.length).toBe(started + 1);
    expect(sorted(d.outputs())).toEqual(sorted(reference.reports));
    d.pool.close();
  });

  it('no run gets more than a report window ahead of the slowest, however slow one engine is', async () => {
    const d = drive(2);
    d.pool.send({ type: 'init', backend: 'wasm' });
    d.pool.send({ type: 'create', config, dataset: cifarPayload(data) });
    await d.until(() => d.lastState()?.state === 'ready', 'ready');
    d.engines.at(-1)!.delayMs = 400;
    d.pool.send({ type: 'start' });
    const newest: Record<string, number> = {};
    let widest = 0;
    d.pool.subscribe((e) => {
      if (e.type !== 'report') return;
      newest[e.report.run] = e.report.step;
      const open = Object.entries(newest).filter(([id, s]) => s < e.report.totalSteps || id === e.report.run);
      const steps = config.runs.map((r) => newest[r.id] ?? 0);
      if (open.length) widest = Math.max(widest, Math.max(...steps) - Math.min(...steps));
    });
    await d.until(() => d.lastState()?.state === 'done', 'done');
    expect(widest).toBeGreaterThan(0);
    expect(widest).toBeLessThanOrEqual(config.reportEvery);
    d.pool.close();
  });
});
