import { describe, expect, it } from 'vitest';
import { defaultConfig, type ComparisonConfig } from '../../../src/protocol/config';
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

describe('validateConfig', () => {
  it('accepts the defaults unchanged', () => {
    expect(validateConfig(defaultConfig())).toEqual(defaultConfig());
  });

  it.each([
    ['targetPruningRate', (c: ComparisonConfig) => (c.targetPruningRate = 1.2)],
    ['batchSize', (c: ComparisonConfig) => (c.batchSize = 12.5)],
    ['model', (c: ComparisonConfig) => ((c as { model: string }).model = 'vgg')],
    ['iep.cycles', (c: ComparisonConfig) => (c.iep.cycles = 0)],
    ['iep.variant', (c: ComparisonConfig) => ((c.iep as { variant: string }).variant = 'medium')],
    ['weightDecay', (c: ComparisonConfig) => (c.weightDecay = -1)],
    ['version', (c: ComparisonConfig) => ((c as { version: number }).version = 2)],
  ])('names the bad field %s', (field, change) => {
    expect(fieldOf(() => validateConfig(withChange(change)))).toBe(field);
  });

  it('says the allowed range in the message', () => {
    expect(() => validateConfig(withChange((c) => (c.targetPruningRate = 2)))).toThrow(/from 0 to 0.999/);
  });

  it('checks custom schedules point by point', () => {
    const custom = (points: { step: number; p: number }[]) =>
      withChange((c) => {
        c.iep = { ...c.iep, schedule: 'custom', cycles: points.length, points };
      });
    const ok = [
      { step: 0, p: 0.5 },
      { step: 100, p: 0.832 },
    ];
    expect(validateConfig(custom(ok)).iep.points).toEqual(ok);
    expect(fieldOf(() => validateConfig(custom([{ step: 5, p: 0.832 }])))).toBe('iep.points[0].step');
    expect(
      fieldOf(() =>
        validateConfig(
          custom([
            { step: 0, p: 0.832 },
            { step: 10, p: 0.5 },
          ]),
        ),
      ),
    ).toBe('iep.points[1].p');
    expect(fieldOf(() => validateConfig(custom([{ step: 0, p: 0.5 }])))).toBe('iep.points[0].p');
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
    version: 1,
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
