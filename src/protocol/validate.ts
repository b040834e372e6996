// Validation at the edges: a config before a run starts, a run record before it is imported.
// Configs get hand-written checks so every error names its field and the allowed range; run records are checked
// against telemetry.schema.json, the same file the Python worker validates against.

import Ajv from 'ajv';
import schema from './telemetry.schema.json';
import {
  FIELD_LIMITS,
  MAX_CYCLES,
  MAX_LABEL,
  MAX_RUNS,
  CONFIG_VERSION,
  RUN_ID_PATTERN,
  isLocal,
  isWorkerOnly,
  optionValues,
  withinLimit,
  type ComparisonConfig,
  type IepConfig,
  type LimitedField,
  type LocalConfig,
  type RunConfig,
  type SchedulePoint,
} from './config';
import { upgradeConfig, upgradeRecord } from './convert';
import type { RunRecord, StepReport } from './report';

export class ConfigError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'ConfigError';
    this.field = field;
  }
}

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A number in its field's range (config.ts's FIELD_LIMITS); `path` names where it sits, e.g. iep.points[2].p. */
function num(o: Obj, field: string, limit: LimitedField, path: string = limit): number {
  const v = o[field];
  if (!withinLimit(limit, v)) {
    const { min, max } = FIELD_LIMITS[limit];
    const kind = 'integer' in FIELD_LIMITS[limit] ? 'an integer' : 'a number';
    throw new ConfigError(path, `must be ${kind} from ${min} to ${max} (got ${shown(v)})`);
  }
  return v;
}

/** A value as a message quotes it: short, so a pasted 400-digit number or a huge array cannot flood the page. */
function shown(v: unknown): string {
  const text = typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

/** p as messages show it: three decimals at most, as the editor rounds it. */
export function roundP(p: number): string {
  return String(Math.round(p * 1000) / 1000);
}

function oneOf<T extends string>(o: Obj, field: string, path: string, allowed: readonly T[]): T {
  const v = o[field];
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    throw new ConfigError(path, `must be one of ${allowed.join(', ')} (got ${shown(v)})`);
  }
  return v as T;
}

function nullable(o: Obj, field: string, check: () => number): number | null {
  return o[field] === null ? null : check();
}

/**
 * Checks every field of a comparison config (a v1 config is converted first); throws ConfigError naming the first bad
 * field, e.g. `runs[2].iep.cycles`.
 */
export function validateConfig(input: unknown): ComparisonConfig {
  const x = upgradeConfig(input);
  if (!isObj(x)) throw new ConfigError('config', 'must be an object');
  if (x.version !== CONFIG_VERSION) {
    throw new ConfigError('version', `must be 1 or ${CONFIG_VERSION} (got ${shown(x.version)})`);
  }
  if (typeof x.dataset !== 'string' || x.dataset.length === 0) {
    throw new ConfigError('dataset', 'must name a dataset, e.g. cifar10-subset');
  }
  const targetPruningRate = num(x, 'targetPruningRate', 'targetPruningRate');
  const model = oneOf(x, 'model', 'model', optionValues('model'));
  const width = num(x, 'width', 'width');
  // torchvision's nets have torchvision's widths; a multiplier the worker would ignore is refused, not dropped.
  if (isWorkerOnly(model) && width !== 1) {
    throw new ConfigError('width', `must be 1 for ${model}: it has torchvision's widths (got ${shown(width)})`);
  }
  return {
    version: CONFIG_VERSION,
    dataset: x.dataset,
    model,
    width,
    seed: num(x, 'seed', 'seed'),
    targetPruningRate,
    epochs: num(x, 'epochs', 'epochs'),
    batchSize: num(x, 'batchSize', 'batchSize'),
    learningRate: num(x, 'learningRate', 'learningRate'),
    momentum: num(x, 'momentum', 'momentum'),
    weightDecay: nullable(x, 'weightDecay', () => num(x, 'weightDecay', 'weightDecay')),
    budget: oneOf(x, 'budget', 'budget', optionValues('budget')),
    runs: validateRuns(x.runs, targetPruningRate),
    reportEvery: num(x, 'reportEvery', 'reportEvery'),
    trainLimit: nullable(x, 'trainLimit', () => num(x, 'trainLimit', 'trainLimit')),
    testLimit: nullable(x, 'testLimit', () => num(x, 'testLimit', 'testLimit')),
    backend: oneOf(x, 'backend', 'backend', optionValues('backend')),
  };
}

/** Why this tab's engine cannot run a valid config: its net is one only a worker builds. null when it can. */
export function workerOnlyProblem(config: ComparisonConfig): ConfigError | null {
  if (isLocal(config)) return null;
  return new ConfigError('model', `"${config.model}" runs only on a worker — attach one (Worker panel)`);
}

/** validateConfig, then refuses a net only a worker runs: what the engine in this tab takes. */
export function validateLocalConfig(input: unknown): LocalConfig {
  const config = validateConfig(input);
  if (isLocal(config)) return config;
  throw workerOnlyProblem(config)!;
}

function validateRuns(x: unknown, target: number): RunConfig[] {
  if (!Array.isArray(x) || x.length === 0 || x.length > MAX_RUNS) {
    throw new ConfigError('runs', `must list 1 to ${MAX_RUNS} runs (got ${Array.isArray(x) ? x.length : shown(x)})`);
  }
  const runs = x.map((r, i) => validateRun(r, `runs[${i}]`, target));
  runs.forEach((r, i) => {
    if (runs.findIndex((o) => o.id === r.id) !== i) {
      throw new ConfigError(`runs[${i}].id`, `"${r.id}" is already the id of another run`);
    }
  });
  return runs;
}

function validateRun(r: unknown, at: string, target: number): RunConfig {
  if (!isObj(r)) throw new ConfigError(at, 'must be an object { id, label, method, … }');
  if (typeof r.id !== 'string' || !RUN_ID_PATTERN.test(r.id)) {
    throw new ConfigError(`${at}.id`, `must be 1 to 24 lower-case letters, digits or dashes (got ${shown(r.id)})`);
  }
  if (typeof r.label !== 'string' || r.label.trim().length === 0 || r.label.length > MAX_LABEL) {
    throw new ConfigError(`${at}.label`, `must be 1 to ${MAX_LABEL} characters (got ${shown(r.label)})`);
  }
  const base = { id: r.id, label: r.label };
  const method = oneOf(r, 'method', `${at}.method`, optionValues('method'));
  const settings = (key: string): Obj => {
    const v = r[key];
    if (!isObj(v)) throw new ConfigError(`${at}.${key}`, `must be an object: the ${method} run's settings`);
    return v;
  };
  switch (method) {
    case 'ep':
      return { ...base, method };
    case 'iep':
      return { ...base, method, iep: validateIep(settings('iep'), `${at}.iep`, target) };
    case 'dense': {
      const d = settings('dense');
      const learningRate = nullable(d, 'learningRate', () =>
        num(d, 'learningRate', 'dense.learningRate', `${at}.dense.learningRate`),
      );
      return { ...base, method, dense: { learningRate } };
    }
    case 'iterand': {
      const it = settings('iterand');
      return {
        ...base,
        method,
        iterand: {
          kPer: num(it, 'kPer', 'iterand.kPer', `${at}.iterand.kPer`),
          lambda: num(it, 'lambda', 'iterand.lambda', `${at}.iterand.lambda`),
        },
      };
    }
  }
}

function validateIep(iep: Obj, at: string, target: number): IepConfig {
  const config: IepConfig = {
    cycles: num(iep, 'cycles', 'iep.cycles', `${at}.cycles`),
    schedule: oneOf(iep, 'schedule', `${at}.schedule`, optionValues('iep.schedule')),
    variant: oneOf(iep, 'variant', `${at}.variant`, optionValues('iep.variant')),
    scores: oneOf(iep, 'scores', `${at}.scores`, optionValues('iep.scores')),
    lrRewind: (() => {
      if (typeof iep.lrRewind !== 'boolean') throw new ConfigError(`${at}.lrRewind`, 'must be true or false');
      return iep.lrRewind;
    })(),
  };
  if (config.schedule === 'custom') config.points = validatePoints(iep.points, config.cycles, target, at);
  return config;
}

/**
 * A custom schedule: each point starts a cycle. Steps strictly increase from 0; p never falls (iEP only ever prunes
 * more); the last point is at the target rate, so EP and iEP are compared at the same final sparsity. Throws the
 * first broken rule; schedulePointProblems lists them all.
 */
export function validatePoints(x: unknown, cycles: number, target: number, at = 'iep'): SchedulePoint[] {
  if (!Array.isArray(x) || x.length === 0) {
    throw new ConfigError(`${at}.points`, 'a custom schedule needs at least one (step, p) point');
  }
  // Before looking at any point: a pasted list of a million points is refused without walking it.
  if (x.length > MAX_CYCLES) {
    throw new ConfigError(`${at}.points`, `has ${x.length} points; at most ${MAX_CYCLES} cycles are allowed`);
  }
  const points = x.map((pt, i) => {
    if (!isObj(pt)) throw new ConfigError(`${at}.points[${i}]`, 'must be an object { step, p }');
    return {
      step: num(pt, 'step', 'iep.points.step', `${at}.points[${i}].step`),
      p: num(pt, 'p', 'iep.points.p', `${at}.points[${i}].p`),
    };
  });
  const problems = schedulePointProblems(points, cycles, target, at);
  if (problems.length > 0) throw problems[0];
  return points;
}

/**
 * Every rule a custom schedule of in-range points breaks, in cycle order, each naming its cycle (so the editor can
 * list them all and mark each point). Empty when the schedule is valid.
 */
export function schedulePointProblems(
  points: readonly SchedulePoint[],
  cycles: number,
  target: number,
  at = 'iep',
): ConfigError[] {
  const problems: ConfigError[] = [];
  if (points.length === 0)
    return [new ConfigError(`${at}.points`, 'a custom schedule needs at least one (step, p) point')];
  if (points[0].step !== 0) {
    problems.push(
      new ConfigError(`${at}.points[0].step`, `cycle 1 must start at step 0 (it starts at step ${points[0].step})`),
    );
  }
  for (let i = 1; i < points.length; i++) {
    const [prev, cur] = [points[i - 1], points[i]];
    if (cur.step <= prev.step) {
      problems.push(
        new ConfigError(
          `${at}.points[${i}].step`,
          `cycle ${i + 1} must start after cycle ${i} (step ${prev.step}); it starts at step ${cur.step}`,
        ),
      );
    }
    if (cur.p < prev.p) {
      problems.push(
        new ConfigError(
          `${at}.points[${i}].p`,
          `cycle ${i + 1}'s p ${roundP(cur.p)} must not fall below cycle ${i}'s p ${roundP(prev.p)}`,
        ),
      );
    }
  }
  const last = points[points.length - 1];
  if (Math.abs(last.p - target) > 1e-9) {
    problems.push(
      new ConfigError(
        `${at}.points[${points.length - 1}].p`,
        `the last cycle (cycle ${points.length}) must be at the target pruning rate ${roundP(target)} ` +
          `(it is at ${roundP(last.p)})`,
      ),
    );
  }
  if (points.length !== cycles) {
    problems.push(new ConfigError(`${at}.cycles`, `must equal the number of schedule points (${points.length})`));
  }
  return problems;
}

const ajv = new Ajv({ allErrors: false, strict: false });
const checkRecord = ajv.compile(schema);
const checkStep = ajv.compile({ $ref: `${schema.$id}#/definitions/StepReport` });
const checkRecordV1 = ajv.compile({ $ref: `${schema.$id}#/definitions/RunRecordV1` });

function schemaMessage(errors: typeof checkRecord.errors): string {
  const e = errors?.[0];
  if (!e) return 'does not match the telemetry schema';
  return `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`;
}

/** Checks an imported run record against the telemetry schema and its own config. */
export function validateRunRecord(input: unknown): RunRecord {
  if (isObj(input) && input.version === 1 && !checkRecordV1(input)) {
    throw new Error(`Invalid run file (protocol v1): ${schemaMessage(checkRecordV1.errors)}`);
  }
  const x = upgradeRecord(input);
  if (!isObj(x) || x.format !== 'supermask-studio/run') {
    throw new Error('Not a Supermask Studio run: the file has no "format": "supermask-studio/run"');
  }
  if (x.version !== CONFIG_VERSION) {
    throw new Error(
      `Unsupported run format version ${JSON.stringify(x.version)}; this app reads 1 and ${CONFIG_VERSION}`,
    );
  }
  if (!checkRecord(x)) throw new Error(`Invalid run file: ${schemaMessage(checkRecord.errors)}`);
  validateConfig(x.config);
  const record = x as unknown as RunRecord;
  checkHeatmapCells(record);
  return record;
}

/** The schema bounds each heatmap's size; only code can say its cells fill exactly rows x cols (what is drawn). */
function checkHeatmapCells(record: RunRecord): void {
  record.reports.forEach((report, i) =>
    report.layers.forEach(({ heatmap: h }, j) => {
      const cells = h.rows * h.cols;
      if (h.usage.length !== cells || h.dead.length !== cells) {
        throw new Error(
          `Invalid run file: /reports/${i}/layers/${j}/heatmap is ${h.rows} x ${h.cols} but holds ` +
            `${h.usage.length} usage and ${h.dead.length} dying values`,
        );
      }
    }),
  );
}

/** Checks one step report (used by the remote runner on every message). */
export function validateStepReport(x: unknown): StepReport {
  if (!checkStep(x)) throw new Error(`Invalid step report: ${schemaMessage(checkStep.errors)}`);
  return x as unknown as StepReport;
}
