// The comparison config: everything needed to reproduce one EP-vs-iEP comparison, in the browser or on a remote
// worker. Plain data (JSON), no tf, no React. Validated up front by validateConfig (validate.ts).

export const PROTOCOL_VERSION = 1;

export type ModelName = 'conv2' | 'conv4' | 'conv6' | 'resnet20' | 'resnet32' | 'resnet18';
export const MODEL_NAMES: readonly ModelName[] = ['conv2', 'conv4', 'conv6', 'resnet20', 'resnet32', 'resnet18'];

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

/** Which of the two searches of a comparison. */
export type RunKind = 'ep' | 'iep';
export const RUN_KINDS: readonly RunKind[] = ['ep', 'iep'];

/**
 * equal-compute: iEP's total steps equal EP's (the default: unequal compute is the standard objection).
 * full-cycles: every iEP cycle is as long as the whole EP run.
 */
export type BudgetMode = 'equal-compute' | 'full-cycles';

/** A point of a user-drawn schedule: from `step` on (iEP's own step count), search at pruning rate `p`. */
export interface SchedulePoint {
  step: number;
  p: number;
}

/**
 * How iEP's pruning rate rises over its cycles c = 1..C, ending at the target rate p_T:
 * - geometric: kept fraction shrinks geometrically, p_c = 1 - (1 - p_T)^(c/C); with C = 8 and p_T = 0.832 this is the
 *   classic iterative-pruning schedule p_c = 1 - 0.8^c (the project's default).
 * - linear: p_c = p_T * c / C.
 * - one-shot: p_c = p_T in every cycle (only the learning-rate rewinds differ from EP).
 * - custom: the user's (step, p) points; each point starts a cycle.
 */
export type ScheduleKind = 'geometric' | 'linear' | 'one-shot' | 'custom';

export interface IepConfig {
  cycles: number;
  schedule: ScheduleKind;
  /** Only for schedule 'custom'; sorted by step, the first at step 0, the last at the target rate. */
  points?: SchedulePoint[];
  /** soft: every edge may come back (default). hard: search only inside the previous cycle's mask. */
  variant: 'soft' | 'hard';
  /** At each cycle's start: carry scores over (default), rewind them to their initial values, or draw new ones. */
  scores: 'carry' | 'rewind' | 'reinit';
  /** Rewind the learning rate to its initial value at each cycle's start (default true). */
  lrRewind: boolean;
}

export interface ComparisonConfig {
  version: typeof PROTOCOL_VERSION;
  /** A dataset id the runner can see, e.g. 'cifar10-subset' (bundled) or 'cifar10' (full). */
  dataset: string;
  model: ModelName;
  /** Channel width multiplier (1 = the paper's width). */
  width: number;
  /** One seed gives bit-identical weights, scores and data order for both runs. */
  seed: number;
  /** Target pruning rate p_T, the fraction of edges PRUNED (kept fraction = 1 - p). */
  targetPruningRate: number;
  /** EP's budget in epochs over the training split; iEP's budget follows from `budget`. */
  epochs: number;
  batchSize: number;
  learningRate: number;
  momentum: number;
  /** Weight decay on the scores; null = the model's default (5e-4 ResNets, 1e-4 Conv-n). */
  weightDecay: number | null;
  budget: BudgetMode;
  iep: IepConfig;
  /** A report every this many steps. */
  reportEvery: number;
  /** Use at most this many training images (null = all of the split). */
  trainLimit: number | null;
  /** Use at most this many test images for evaluation (null = all). */
  testLimit: number | null;
  backend: BackendChoice;
}

export function defaultIepConfig(): IepConfig {
  return { cycles: 8, schedule: 'geometric', variant: 'soft', scores: 'carry', lrRewind: true };
}

/**
 * Defaults that show the dying-edge problem within minutes on a laptop GPU with the bundled data. A ResNet, not a
 * Conv-n: without BatchNorm, a net whose layers keep only 16.8% of their edges passes almost no signal at init, so
 * EP's loss sits at ln 10 while iEP's early, denser cycles learn, and the comparison would be about scale, not search.
 * ResNet-20 at half width is also the setting of the calibration in the shared algorithms notes.
 */
export function defaultConfig(): ComparisonConfig {
  return {
    version: PROTOCOL_VERSION,
    dataset: 'cifar10-subset',
    model: 'resnet20',
    width: 0.5,
    seed: 1,
    targetPruningRate: 0.832,
    epochs: 8,
    batchSize: 64,
    learningRate: 0.1,
    momentum: 0.9,
    weightDecay: null,
    budget: 'equal-compute',
    iep: defaultIepConfig(),
    reportEvery: 10,
    trainLimit: null,
    testLimit: null,
    backend: 'auto',
  };
}

/** A numeric field's allowed range, as validateConfig checks it and the setup form states it. */
export interface FieldLimit {
  min: number;
  max: number;
  integer?: boolean;
}

/**
 * The range of every numeric field, for any runner (the browser or a remote GPU worker): what the protocol accepts.
 * What one browser tab can hold is narrower and depends on several fields together (model x width x batch, steps
 * / report interval): src/protocol/memory.ts checks that. Custom schedule points are bounded by MAX_CYCLES, so a
 * pasted link can never make the editor draw (or the engine plan) millions of cycles.
 */
export const MAX_CYCLES = 100;
export const FIELD_LIMITS = {
  width: { min: 0.01, max: 4 },
  seed: { min: 0, max: 4294967295, integer: true },
  targetPruningRate: { min: 0, max: 0.999 },
  epochs: { min: 0.001, max: 1000 },
  batchSize: { min: 1, max: 4096, integer: true },
  learningRate: { min: 1e-6, max: 10 },
  momentum: { min: 0, max: 0.999 },
  weightDecay: { min: 0, max: 0.1 },
  'iep.cycles': { min: 1, max: MAX_CYCLES, integer: true },
  reportEvery: { min: 1, max: 100000, integer: true },
  trainLimit: { min: 1, max: 10_000_000, integer: true },
  testLimit: { min: 1, max: 10_000_000, integer: true },
  'iep.points.step': { min: 0, max: 1e9, integer: true },
  'iep.points.p': { min: 0, max: 0.999 },
} as const satisfies Record<string, FieldLimit>;

export type LimitedField = keyof typeof FIELD_LIMITS;

/** A choice of a select field: the value the protocol holds and the words the setup form shows for it. */
export interface FieldOption<T extends string = string> {
  value: T;
  label: string;
}

const asOptions = <T extends string>(values: readonly T[]): FieldOption<T>[] =>
  values.map((value) => ({ value, label: value }));

/**
 * The choices of every select field, in the order the form lists them: validateConfig accepts exactly these values
 * and test/unit/protocol/fields.test.ts holds them to the JSON Schema's enums.
 */
export const FIELD_OPTIONS = {
  model: asOptions(MODEL_NAMES),
  budget: [
    { value: 'equal-compute', label: 'equal compute' },
    { value: 'full-cycles', label: 'full cycles (iEP × cycles)' },
  ] as FieldOption<BudgetMode>[],
  'iep.schedule': asOptions<ScheduleKind>(['geometric', 'linear', 'one-shot', 'custom']),
  'iep.variant': asOptions<IepConfig['variant']>(['soft', 'hard']),
  'iep.scores': asOptions<IepConfig['scores']>(['carry', 'rewind', 'reinit']),
  backend: [
    { value: 'auto', label: 'auto (WebGPU, else WebGL, else CPU)' },
    { value: 'webgpu', label: 'WebGPU' },
    { value: 'webgl', label: 'WebGL' },
    { value: 'wasm', label: 'WASM' },
    { value: 'cpu', label: 'CPU' },
  ] as FieldOption<BackendChoice>[],
};

export type SelectField = keyof typeof FIELD_OPTIONS;

/** The values a select field accepts. */
export function optionValues<F extends SelectField>(field: F): (typeof FIELD_OPTIONS)[F][number]['value'][] {
  return FIELD_OPTIONS[field].map((o) => o.value);
}

/** Numeric fields where null means "the default" (weight decay) or "all of the split" (the limits). */
export const NULLABLE_FIELDS: readonly LimitedField[] = ['weightDecay', 'trainLimit', 'testLimit'];

/** The on/off fields. */
export const BOOLEAN_FIELDS = ['iep.lrRewind'] as const;

/** Whether v is a number the field accepts (finite, in range, whole where it must be). */
export function withinLimit(field: LimitedField, v: unknown): v is number {
  const limit: FieldLimit = FIELD_LIMITS[field];
  return (
    typeof v === 'number' &&
    Number.isFinite(v) &&
    v >= limit.min &&
    v <= limit.max &&
    (!limit.integer || Number.isInteger(v))
  );
}

export function defaultWeightDecay(model: ModelName): number {
  return model.startsWith('resnet') ? 5e-4 : 1e-4;
}
