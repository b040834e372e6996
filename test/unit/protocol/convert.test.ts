// Protocol v1 → v2 on read, on a real v1 export: test/fixtures/v1-run.json was written by the v1 app itself (commit
// 893ed37: its engine trained a tiny EP-vs-iEP comparison on real CIFAR-10, its store folded the events and its
// recordToJson wrote the file), so these tests read exactly what v1 users have on disk. Made by extracting 893ed37
// (git archive) beside ../shared, linking node_modules, and running there a one-off vitest file that wrote
// recordToJson(await realRecord()) (v1's test/unit/store/realRecord.ts: 16 steps, iEP 4 cycles, wasm).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_VERSION, defaultConfig, type ComparisonConfig } from '../../../src/protocol/config';
import { upgradeConfig, upgradeRecord } from '../../../src/protocol/convert';
import { ConfigError, validateConfig, validateRunRecord } from '../../../src/protocol/validate';
import { useStore } from '../../../src/store/index';
import { parseRunFile, recordToJson } from '../../../src/store/runFiles';
import { seriesOf } from '../../../src/store/series';
import { toRecord } from '../../../src/store/studio';

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/v1-run.json');
const text = readFileSync(FIXTURE, 'utf8');

type Obj = Record<string, unknown>;

interface V1Record extends Obj {
  version: number;
  config: Obj & { iep: Obj };
  reports: { run: string; step: number }[];
  evals: { run: string; step: number }[];
}

/** A copy of `o` without `keys`. */
function without(o: object, ...keys: string[]): Obj {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

/** A fresh copy of the v1 file as JSON.parse gives it. */
const v1 = (): V1Record => JSON.parse(text) as V1Record;

describe('the v1 fixture is a real v1 export', () => {
  it('says version 1, keeps iEP at the top of its config and has no run list', () => {
    const file = v1();
    expect(file.version).toBe(1);
    expect(file.config.version).toBe(1);
    expect(file.config.iep).toMatchObject({ cycles: 4, schedule: 'geometric' });
    expect('runs' in file.config).toBe(false);
    // Both runs reported and were evaluated to the end.
    for (const run of ['ep', 'iep']) {
      expect(file.reports.filter((r) => r.run === run).length).toBeGreaterThan(2);
      expect(file.evals.filter((e) => e.run === run).length).toBeGreaterThan(1);
    }
  });
});

describe('a v1 run file imports as v2', () => {
  it('becomes runs [ep, iep] with the same iEP settings; shared fields, reports and evaluations unchanged', () => {
    const file = v1();
    const record = validateRunRecord(file);
    const { iep } = v1().config;
    expect(record.version).toBe(CONFIG_VERSION);
    expect(record.config).toEqual({
      ...without(v1().config, 'iep', 'version'),
      version: CONFIG_VERSION,
      runs: [
        { id: 'ep', label: 'EP', method: 'ep' },
        { id: 'iep', label: 'iEP', method: 'iep', iep },
      ],
    });
    expect(without(record, 'config', 'version')).toEqual(without(v1(), 'config', 'version'));
    // The reports' run names are the ids the conversion gives, so every one belongs to a run of the config.
    const ids = record.config.runs.map((r) => r.id);
    expect([...record.reports, ...record.evals].every((r) => ids.includes(r.run))).toBe(true);
    // Read, never written: the parsed file is as it was.
    expect(file).toEqual(v1());
  });

  it('imports through the studio’s file path, replays in the store and exports again as a valid v2 file', () => {
    const record = parseRunFile(text, 'v1-run.json');
    useStore.getState().showRecord(record);
    const { series } = useStore.getState();
    for (const run of ['ep', 'iep']) {
      const steps = v1()
        .reports.filter((r) => r.run === run)
        .map((r) => r.step);
      expect(seriesOf(series, run).reports.map((r) => r.step)).toEqual(steps);
    }
    const again = toRecord(useStore.getState())!;
    expect(again).toEqual(record);
    const exported = JSON.parse(recordToJson(again)) as Obj;
    expect(exported.version).toBe(CONFIG_VERSION);
    expect(validateRunRecord(exported)).toEqual(record);
    useStore.getState().clearComparison();
  });

  it('its config alone converts through validateConfig the same way', () => {
    expect(validateConfig(v1().config)).toEqual(validateRunRecord(v1()).config);
  });

  it('a v1 file with a broken field is refused, naming the field, and nothing is converted half-way', () => {
    const broken = (change: (f: V1Record) => void) => {
      const file = v1();
      change(file);
      return () => validateRunRecord(file);
    };
    expect(broken((f) => (f.config.iep.cycles = 0))).toThrow(/protocol v1.*\/config\/iep\/cycles/);
    expect(broken((f) => (f.config.iep.variant = 'medium'))).toThrow(/protocol v1.*\/config\/iep\/variant/);
    expect(broken((f) => (f.config.batchSize = 0))).toThrow(/protocol v1.*\/config\/batchSize/);
    expect(broken((f) => delete (f.config as Obj).iep)).toThrow(/protocol v1.*config.*iep/);
    expect(broken((f) => (f.reports[2].step = -1))).toThrow(/protocol v1.*\/reports\/2\/step/);
    // A v1 config cannot hold a run list: v1 files are refused with one, not half read as v2.
    expect(broken((f) => (f.config.runs = defaultConfig().runs))).toThrow(/protocol v1.*\/config/);
    // Schema-valid but against the rules: a custom schedule whose p falls, named at the run it converts to.
    const falling = broken((f) => {
      f.config.iep = {
        ...f.config.iep,
        schedule: 'custom',
        cycles: 2,
        points: [
          { step: 0, p: 0.9 },
          { step: 8, p: 0.832 },
        ],
      };
    });
    expect(falling).toThrow(ConfigError);
    expect(falling).toThrow(expect.objectContaining({ field: 'runs[1].iep.points[1].p' }));
  });
});

describe('upgradeConfig / upgradeRecord', () => {
  it('leave v2 input and foreign input as they are (validation judges those)', () => {
    const v2: ComparisonConfig = defaultConfig();
    expect(upgradeConfig(v2)).toBe(v2);
    for (const x of [null, 42, 'config', [1], { version: 3 }]) {
      expect(upgradeConfig(x)).toBe(x);
      expect(upgradeRecord(x)).toBe(x);
    }
  });

  it('never mutate a v1 input', () => {
    const file = v1();
    const upgraded = upgradeRecord(file) as Obj;
    expect(file).toEqual(v1());
    expect(upgraded.config).not.toBe(file.config);
    expect((upgraded.config as Obj).iep).toBeUndefined();
  });
});
