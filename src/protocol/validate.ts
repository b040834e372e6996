// Validation at the edges: a config before a run starts, a run record before it is imported.
// Configs get hand-written checks so every error names its field and the allowed range; run records are checked
// against telemetry.schema.json, the same file the Python worker validates against.

import Ajv from 'ajv';
import schema from './telemetry.schema.json';
import { MODEL_NAMES, PROTOCOL_VERSION, type ComparisonConfig } from './config';
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

function num(o: Obj, field: string, path: string, min: number, max: number, opts: { integer?: boolean } = {}): number {
  const v = o[field];
  const kind = opts.integer ? 'an integer' : 'a number';
  if (typeof v !== 'number' || !Number.isFinite(v) || (opts.integer && !Number.isInteger(v)) || v < min || v > max) {
    throw new ConfigError(path, `must be ${kind} from ${min} to ${max} (got ${JSON.stringify(v)})`);
  }
  return v;
}

function oneOf<T extends string>(o: Obj, field: string, path: string, allowed: readonly T[]): T {
  const v = o[field];
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    throw new ConfigError(path, `must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`);
  }
  return v as T;
}

function nullable(o: Obj, field: string, check: () => number): number | null {
  return o[field] === null ? null : check();
}

/** Checks every field of a comparison config; throws ConfigError naming the first bad field. */
export function validateConfig(x: unknown): ComparisonConfig {
  if (!isObj(x)) throw new ConfigError('config', 'must be an object');
  if (x.version !== PROTOCOL_VERSION) {
    throw new ConfigError('version', `must be ${PROTOCOL_VERSION} (got ${JSON.stringify(x.version)})`);
  }
  if (typeof x.dataset !== 'string' || x.dataset.length === 0) {
    throw new ConfigError('dataset', 'must name a dataset, e.g. cifar10-subset');
  }
  const iep = x.iep;
  if (!isObj(iep)) throw new ConfigError('iep', 'must be an object');
  const config: ComparisonConfig = {
    version: PROTOCOL_VERSION,
    dataset: x.dataset,
    model: oneOf(x, 'model', 'model', MODEL_NAMES),
    width: num(x, 'width', 'width', 0.01, 4),
    seed: num(x, 'seed', 'seed', 0, 4294967295, { integer: true }),
    targetPruningRate: num(x, 'targetPruningRate', 'targetPruningRate', 0, 0.999),
    epochs: num(x, 'epochs', 'epochs', 0.001, 1000),
    batchSize: num(x, 'batchSize', 'batchSize', 1, 4096, { integer: true }),
    learningRate: num(x, 'learningRate', 'learningRate', 1e-6, 10),
    momentum: num(x, 'momentum', 'momentum', 0, 0.999),
    weightDecay: nullable(x, 'weightDecay', () => num(x, 'weightDecay', 'weightDecay', 0, 0.1)),
    budget: oneOf(x, 'budget', 'budget', ['equal-compute', 'full-cycles'] as const),
    iep: {
      cycles: num(iep, 'cycles', 'iep.cycles', 1, 100, { integer: true }),
      schedule: oneOf(iep, 'schedule', 'iep.schedule', ['geometric', 'linear', 'one-shot', 'custom'] as const),
      variant: oneOf(iep, 'variant', 'iep.variant', ['soft', 'hard'] as const),
      scores: oneOf(iep, 'scores', 'iep.scores', ['carry', 'rewind', 'reinit'] as const),
      lrRewind: (() => {
        if (typeof iep.lrRewind !== 'boolean') throw new ConfigError('iep.lrRewind', 'must be true or false');
        return iep.lrRewind;
      })(),
    },
    reportEvery: num(x, 'reportEvery', 'reportEvery', 1, 100000, { integer: true }),
    trainLimit: nullable(x, 'trainLimit', () => num(x, 'trainLimit', 'trainLimit', 1, 10_000_000, { integer: true })),
    testLimit: nullable(x, 'testLimit', () => num(x, 'testLimit', 'testLimit', 1, 10_000_000, { integer: true })),
    backend: oneOf(x, 'backend', 'backend', ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const),
  };
  if (config.iep.schedule === 'custom') {
    config.iep.points = validatePoints(iep.points, config.iep.cycles, config.targetPruningRate);
  }
  return config;
}

/**
 * A custom schedule: each point starts a cycle. Steps strictly increase from 0; p never falls (iEP only ever prunes
 * more); the last point is at the target rate, so EP and iEP are compared at the same final sparsity.
 */
export function validatePoints(x: unknown, cycles: number, target: number): { step: number; p: number }[] {
  if (!Array.isArray(x) || x.length === 0) {
    throw new ConfigError('iep.points', 'a custom schedule needs at least one (step, p) point');
  }
  const points = x.map((pt, i) => {
    if (!isObj(pt)) throw new ConfigError(`iep.points[${i}]`, 'must be an object { step, p }');
    return {
      step: num(pt, 'step', `iep.points[${i}].step`, 0, 1e9, { integer: true }),
      p: num(pt, 'p', `iep.points[${i}].p`, 0, 0.999),
    };
  });
  if (points[0].step !== 0) throw new ConfigError('iep.points[0].step', 'the first cycle must start at step 0');
  for (let i = 1; i < points.length; i++) {
    if (points[i].step <= points[i - 1].step) {
      throw new ConfigError(`iep.points[${i}].step`, `must be after the previous point's step ${points[i - 1].step}`);
    }
    if (points[i].p < points[i - 1].p) {
      throw new ConfigError(`iep.points[${i}].p`, `must not fall below the previous point's p ${points[i - 1].p}`);
    }
  }
  const last = points[points.length - 1];
  if (Math.abs(last.p - target) > 1e-9) {
    throw new ConfigError(
      `iep.points[${points.length - 1}].p`,
      `the last point must be at the target pruning rate ${target} (got ${last.p})`,
    );
  }
  if (points.length !== cycles) {
    throw new ConfigError('iep.cycles', `must equal the number of schedule points (${points.length})`);
  }
  return points;
}

const ajv = new Ajv({ allErrors: false, strict: false });
const checkRecord = ajv.compile(schema);
const checkStep = ajv.compile({ $ref: `${schema.$id}#/definitions/StepReport` });

function schemaMessage(errors: typeof checkRecord.errors): string {
  const e = errors?.[0];
  if (!e) return 'does not match the telemetry schema';
  return `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`;
}

/** Checks an imported run record against the telemetry schema and its own config. */
export function validateRunRecord(x: unknown): RunRecord {
  if (!isObj(x) || x.format !== 'supermask-studio/run') {
    throw new Error('Not a Supermask Studio run: the file has no "format": "supermask-studio/run"');
  }
  if (x.version !== PROTOCOL_VERSION) {
    throw new Error(`Unsupported run format version ${JSON.stringify(x.version)}; this app reads ${PROTOCOL_VERSION}`);
  }
  if (!checkRecord(x)) throw new Error(`Invalid run file: ${schemaMessage(checkRecord.errors)}`);
  validateConfig(x.config);
  return x as unknown as RunRecord;
}

/** Checks one step report (used by the remote runner on every message). */
export function validateStepReport(x: unknown): StepReport {
  if (!checkStep(x)) throw new Error(`Invalid step report: ${schemaMessage(checkStep.errors)}`);
  return x as unknown as StepReport;
}
