import { describe, expect, it } from 'vitest';
import {
  defaultConfig,
  defaultIepConfig,
  defaultRun,
  MAX_RUNS,
  CONFIG_VERSION,
  RUN_METHODS,
  type ComparisonConfig,
  type IepConfig,
  type IepRun,
  type RunConfig,
} from '../../../src/protocol/config';
import { ConfigError, schedulePointProblems, validateConfig, validateRunRecord } from '../../../src/protocol/validate';
import type { RunRecord } from '../../../src/protocol/report';

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.field;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

function withChange(change: (c: ComparisonConfig & Record<string, unknown>) => void): unknown {
  const c = structuredClone(defaultConfig()) as ComparisonConfig & Record<string, unknown>;
  change(c);
  return c;
}

/** The default comparison's iEP run's settings (run 1), to change in place. */
const iepOf = (c: ComparisonConfig): IepConfig => (c.runs[1] as IepRun).iep;

/** The config with these runs (plain objects: a test may break any field). */
const withRuns = (runs: unknown[]): unknown => withChange((c) => (c.runs = runs as RunConfig[]));

describe('validateConfig', () => {
  it('accepts the defaults unchanged', () => {
    expect(validateConfig(defaultConfig())).toEqual(defaultConfig());
  });

  it.each([
    ['targetPruningRate', (c: ComparisonConfig) => (c.targetPruningRate = 1.2)],
    ['batchSize', (c: ComparisonConfig) => (c.batchSize = 12.5)],
    ['model', (c: ComparisonConfig) => ((c as { model: string }).model = 'vgg')],
    ['runs[1].iep.cycles', (c: ComparisonConfig) => (iepOf(c).cycles = 0)],
    ['runs[1].iep.variant', (c: ComparisonConfig) => ((iepOf(c) as { variant: string }).variant = 'medium')],
    ['weightDecay', (c: ComparisonConfig) => (c.weightDecay = -1)],
    ['version', (c: ComparisonConfig) => ((c as { version: number }).version = 3)],
  ])('names the bad field %s', (field, change) => {
    expect(fieldOf(() => validateConfig(withChange(change)))).toBe(field);
  });

  it('says the allowed range in the message', () => {
    expect(() => validateConfig(withChange((c) => (c.targetPruningRate = 2)))).toThrow(/from 0 to 0.999/);
  });

  it('checks custom schedules point by point', () => {
    const custom = (points: { step: number; p: number }[]) =>
      withChange((c) => {
        Object.assign(iepOf(c), { schedule: 'custom', cycles: points.length, points });
      });
    const ok = [
      { step: 0, p: 0.5 },
      { step: 100, p: 0.832 },
    ];
    expect(iepOf(validateConfig(custom(ok))).points).toEqual(ok);
    expect(fieldOf(() => validateConfig(custom([{ step: 5, p: 0.832 }])))).toBe('runs[1].iep.points[0].step');
    expect(
      fieldOf(() =>
        validateConfig(
          custom([
            { step: 0, p: 0.832 },
            { step: 10, p: 0.5 },
          ]),
        ),
      ),
    ).toBe('runs[1].iep.points[1].p');
    expect(fieldOf(() => validateConfig(custom([{ step: 0, p: 0.5 }])))).toBe('runs[1].iep.points[0].p');
  });
});

describe('validateConfig: the list of runs', () => {
  const run = (i: number): RunConfig => defaultRun(RUN_METHODS[i % RUN_METHODS.length], `run-${i}`);
  const runs = (n: number) => Array.from({ length: n }, (_, i) => run(i));

  it('accepts 1 to 6 runs of any method, in order, each with its own settings', () => {
    expect(validateConfig(withRuns(runs(1))).runs).toEqual(runs(1));
    expect(MAX_RUNS).toBe(6);
    const six = runs(6);
    expect(six.map((r) => r.method)).toEqual(['ep', 'iep', 'dense', 'iterand', 'ep', 'iep']);
    expect(validateConfig(withRuns(six)).runs).toEqual(six);
  });

  it.each([
    ['no runs', () => withRuns([])],
    ['7 runs', () => withRuns(runs(7))],
    ['runs missing', () => withChange((c) => delete (c as Partial<ComparisonConfig>).runs)],
    ['runs not a list', () => withChange((c) => ((c as Record<string, unknown>).runs = { 0: run(0) }))],
  ])('refuses %s, naming runs', (_name, config) => {
    expect(fieldOf(() => validateConfig(config()))).toBe('runs');
    expect(() => validateConfig(config())).toThrow(/1 to 6 runs/);
  });

  it('refuses a duplicate id, naming the later run', () => {
    const twice = [run(0), { ...run(1), id: 'run-0' }];
    expect(fieldOf(() => validateConfig(withRuns(twice)))).toBe('runs[1].id');
    expect(() => validateConfig(withRuns(twice))).toThrow(/"run-0" is already the id of another run/);
  });

  it.each([
    ['runs[1].id', { id: 'Upper' }],
    ['runs[1].id', { id: '' }],
    ['runs[1].id', { id: '-dash-first' }],
    ['runs[1].id', { id: 'a'.repeat(25) }],
    ['runs[1].id', { id: 7 }],
    ['runs[1].label', { label: '' }],
    ['runs[1].label', { label: '   ' }],
    ['runs[1].label', { label: 'x'.repeat(41) }],
    ['runs[1].method', { method: 'sgd' }],
    ['runs[1]', null],
  ])('names %s for a run with %j', (field, change) => {
    const bad = change === null ? null : { ...run(1), ...change };
    expect(fieldOf(() => validateConfig(withRuns([run(0), bad])))).toBe(field);
  });

  it('accepts the longest id and label', () => {
    const long = { ...run(0), id: 'a'.repeat(24), label: 'x'.repeat(40) };
    expect(validateConfig(withRuns([long])).runs).toEqual([long]);
  });

  it.each([
    ['iep', 'runs[2].iep', {}],
    ['iep', 'runs[2].iep.cycles', { iep: { ...defaultIepConfig(), cycles: 101 } }],
    ['iep', 'runs[2].iep.scores', { iep: { ...defaultIepConfig(), scores: 'zero' } }],
    ['iep', 'runs[2].iep.lrRewind', { iep: { ...defaultIepConfig(), lrRewind: 'yes' } }],
    ['dense', 'runs[2].dense', { dense: null }],
    ['dense', 'runs[2].dense.learningRate', { dense: { learningRate: 0 } }],
    ['dense', 'runs[2].dense.learningRate', { dense: {} }],
    ['iterand', 'runs[2].iterand', {}],
    ['iterand', 'runs[2].iterand.kPer', { iterand: { kPer: 0, lambda: 0.1 } }],
    ['iterand', 'runs[2].iterand.kPer', { iterand: { kPer: 2.5, lambda: 0.1 } }],
    ['iterand', 'runs[2].iterand.lambda', { iterand: { kPer: 300, lambda: 1.01 } }],
    ['iterand', 'runs[2].iterand.lambda', { iterand: { kPer: 300 } }],
  ] as const)('a %s run: names %s when its settings are missing or out of range', (method, field, settings) => {
    const { id, label } = defaultRun(method, 'third');
    const bad = { id, label, method, ...settings };
    expect(fieldOf(() => validateConfig(withRuns([run(0), run(1), bad])))).toBe(field);
  });

  it("a dense run's null learning rate means the comparison's; IteRand's bounds are inclusive", () => {
    const ok: RunConfig[] = [
      { id: 'dense', label: 'dense', method: 'dense', dense: { learningRate: null } },
      { id: 'it-a', label: 'IteRand', method: 'iterand', iterand: { kPer: 1, lambda: 0 } },
      { id: 'it-b', label: 'IteRand', method: 'iterand', iterand: { kPer: 10_000_000, lambda: 1 } },
    ];
    expect(validateConfig(withRuns(ok)).runs).toEqual(ok);
  });

  it("a run keeps only its own method's settings", () => {
    const ep = { id: 'ep', label: 'EP', method: 'ep', iep: defaultIepConfig(), iterand: { kPer: 1 } };
    expect(validateConfig(withRuns([ep])).runs).toEqual([{ id: 'ep', label: 'EP', method: 'ep' }]);
  });

  it("checks each iEP run's custom schedule at its own path, against the shared target", () => {
    const customIep = (id: string, points: { step: number; p: number }[]): RunConfig => ({
      id,
      label: id,
      method: 'iep',
      iep: { ...defaultIepConfig(), schedule: 'custom', cycles: points.length, points },
    });
    const good = customIep('good', [
      { step: 0, p: 0.4 },
      { step: 50, p: 0.832 },
    ]);
    const falling = customIep('falling', [
      { step: 0, p: 0.6 },
      { step: 10, p: 0.5 },
      { step: 20, p: 0.832 },
    ]);
    expect(fieldOf(() => validateConfig(withRuns([run(0), good, falling])))).toBe('runs[2].iep.points[1].p');
    const offTarget = customIep('off', [{ step: 0, p: 0.5 }]);
    expect(fieldOf(() => validateConfig(withRuns([good, offTarget])))).toBe('runs[1].iep.points[0].p');
    const outOfRange = customIep('far', [{ step: 0, p: 1.5 }]);
    expect(() => validateConfig(withRuns([outOfRange]))).toThrow(
      /runs\[0\]\.iep\.points\[0\]\.p: must be a number from 0 to 0.999/,
    );
  });
});

describe('schedulePointProblems', () => {
  it('lists every broken rule, each naming its cycle, with p rounded as the editor shows it', () => {
    const points = [
      { step: 3, p: 0.5 },
      { step: 3, p: 0.41234567 },
      { step: 90, p: 0.7 },
    ];
    const problems = schedulePointProblems(points, 4, 0.832);
    expect(problems.map((p) => [p.field, p.message])).toEqual([
      ['iep.points[0].step', 'iep.points[0].step: cycle 1 must start at step 0 (it starts at step 3)'],
      ['iep.points[1].step', 'iep.points[1].step: cycle 2 must start after cycle 1 (step 3); it starts at step 3'],
      ['iep.points[1].p', "iep.points[1].p: cycle 2's p 0.412 must not fall below cycle 1's p 0.5"],
      [
        'iep.points[2].p',
        'iep.points[2].p: the last cycle (cycle 3) must be at the target pruning rate 0.832 (it is at 0.7)',
      ],
      ['iep.cycles', 'iep.cycles: must equal the number of schedule points (3)'],
    ]);
    expect(schedulePointProblems([{ step: 0, p: 0.832 }], 1, 0.832)).toEqual([]);
  });
});

describe('validateRunRecord', () => {
  const record: RunRecord = {
    format: 'supermask-studio/run',
    version: CONFIG_VERSION,
    id: 'r1',
    createdAt: '2026-11-24T00:00:00Z',
    source: 'browser',
    backend: { name: 'cpu', reason: 'test' },
    config: defaultConfig(),
    summary: { model: 'conv2', width: 1, layers: [], totalEdges: 0, keptAtTarget: 0 },
    reports: [],
    evals: [],
    error: null,
  };

  it('accepts a well-formed record', () => {
    expect(validateRunRecord(structuredClone(record))).toEqual(record);
  });

  it('rejects foreign JSON and malformed reports with a clear message', () => {
    expect(() => validateRunRecord({ hello: 1 })).toThrow(/Not a Supermask Studio run/);
    const bad = structuredClone(record) as unknown as { reports: unknown[] };
    bad.reports.push({ kind: 'step', run: 'ep' });
    expect(() => validateRunRecord(bad)).toThrow(/Invalid run file: \/reports\/0/);
  });
});
