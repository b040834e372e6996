// The comparison config: everything needed to reproduce one comparison of 1 to 6 runs (EP, iEP schedules, dense,
// IteRand) from one network and seed, in the browser or on a remote worker. Plain data (JSON), no tf, no React.
// Validated up front by validateConfig (validate.ts); protocol v1 configs (always EP against one iEP) are converted
// on read (convert.ts).

/** The version of configs and of the run files that hold them; the worker's messages have their own (WIRE_VERSION). */
export const CONFIG_VERSION = 2;

/** The CIFAR nets: the browser's engine builds them (src/engine/models.ts), and so does the worker. */
export type ModelName = 'conv2' | 'conv4' | 'conv6' | 'resnet20' | 'resnet32' | 'resnet18';
export const MODEL_NAMES: readonly ModelName[] = ['conv2', 'conv4', 'conv6', 'resnet20', 'resnet32', 'resnet18'];

/**
 * torchvision's ImageNet nets as supermask nets: only the PyTorch worker builds them (worker/supermask_worker/
 * models.py), on an ImageFolder tree under its --data-root. A tab could not hold them (Wide ResNet-50-2 has 68.9M
 * weights), so the engine never learns their names: a config naming one is started on a worker or not at all.
 */
export type WorkerOnlyModel =
  'torchvision/resnet18' | 'torchvision/resnet50' | 'torchvision/resnet101' | 'torchvision/wide_resnet50_2';
/** Each worker-only net's name in words, as the setup's model choice shows it. */
const WORKER_ONLY_NETS: Record<WorkerOnlyModel, string> = {
  'torchvision/resnet18': 'ResNet-18',
  'torchvision/resnet50': 'ResNet-50',
  'torchvision/resnet101': 'ResNet-101',
  'torchvision/wide_resnet50_2': 'Wide ResNet-50-2',
};
export const WORKER_ONLY_MODELS = Object.keys(WORKER_ONLY_NETS) as readonly WorkerOnlyModel[];

/** Any net a config may name: a CIFAR net, or one only a worker runs. */
export type ConfigModel = ModelName | WorkerOnlyModel;

export function isWorkerOnly(model: string): model is WorkerOnlyModel {
  return (WORKER_ONLY_MODELS as readonly string[]).includes(model);
}

/** Whether this tab's engine can build the config's net. */
export function isLocal(config: ComparisonConfig): config is LocalConfig {
  return !isWorkerOnly(config.model);
}

/** The dataset the worker-only nets train on by default: DATA/imagenet/{train,val} on the worker (ImageFolder). */
export const WORKER_DATASET = 'imagenet';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

/** A run's id, unique within its comparison: lower-case letters, digits and dashes (reports and URLs carry it). */
export type RunId = string;
export const RUN_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,23}$/;
export const MAX_RUNS = 6;
export const MAX_LABEL = 40;

/**
 * What a run does with the shared network:
 * - ep: edge-popup at the target rate (one cycle);
 * - iep: iterative edge-popup, its pruning rate rising over cycles to the target (its own IepConfig);
 * - dense: the same architecture with its weights trained (no mask): the seed's "regular weight" baseline;
 * - iterand: EP that every kPer steps re-draws a fraction lambda of the currently pruned weights (Chijiwa et al.).
 */
export type RunMethod = 'ep' | 'iep' | 'dense' | 'iterand';
export const RUN_METHODS: readonly RunMethod[] = ['ep', 'iep', 'dense', 'iterand'];

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

export interface DenseConfig {
  /** null = the comparison's learning rate (a Conv-n's dense weights may need a smaller one). */
  learningRate: number | null;
}

export interface IteRandConfig {
  /** Steps between re-draws (the paper's K_per). */
  kPer: number;
  /** Fraction of each layer's pruned weights re-drawn at each boundary (the paper's r). */
  lambda: number;
}

interface RunBase {
  id: RunId;
  /** What the columns, the chart legend and the scoreboard call the run. */
  label: string;
}

/** One run of a comparison; each method carries only its own settings. */
export type RunConfig =
  | (RunBase & { method: 'ep' })
  | (RunBase & { method: 'iep'; iep: IepConfig })
  | (RunBase & { method: 'dense'; dense: DenseConfig })
  | (RunBase & { method: 'iterand'; iterand: IteRandConfig });

export type IepRun = Extract<RunConfig, { method: 'iep' }>;

/** Whether a run searches a mask (all but dense): only those have edge usage, dying ratios and a pruning rate. */
export function hasMask(run: RunConfig): boolean {
  return run.method !== 'dense';
}

export interface ComparisonConfig {
  version: typeof CONFIG_VERSION;
  /** A dataset id the runner can see, e.g. 'cifar10-subset' (bundled) or 'cifar10' (full). */
  dataset: string;
  model: ConfigModel;
  /** Channel width multiplier (1 = the paper's width). */
  width: number;
  /** One seed gives bit-identical weights, scores and data order for every run. */
  seed: number;
  /** Target pruning rate p_T, the fraction of edges PRUNED (kept fraction = 1 - p). */
  targetPruningRate: number;
  /** EP's budget in epochs over the training split; every run's budget follows from it and `budget`. */
  epochs: number;
  batchSize: number;
  learningRate: number;
  momentum: number;
  /** Weight decay on the scores; null = the model's default (5e-4 ResNets, 1e-4 Conv-n). */
  weightDecay: number | null;
  budget: BudgetMode;
  /** 1 to 6 runs, in the order the columns show them. */
  runs: RunConfig[];
  /** A report every this many steps. */
  reportEvery: number;
  /** Use at most this many training images (null = all of the split). */
  trainLimit: number | null;
  /** Use at most this many test images for evaluation (null = all). */
  testLimit: number | null;
  backend: BackendChoice;
}

/** A config this tab's engine can run: its model is one the engine builds (validateLocalConfig checks it). */
export type LocalConfig = ComparisonConfig & { model: ModelName };

export function defaultIepConfig(): IepConfig {
  return { cycles: 8, schedule: 'geometric', variant: 'soft', scores: 'carry', lrRewind: true };
}

/** IteRand's CIFAR-10 defaults in its paper. */
export function defaultIteRandConfig(): IteRandConfig {
  return { kPer: 300, lambda: 0.1 };
}

/** A method's short name, the label a new run of it gets. */
export const METHOD_LABEL: Record<RunMethod, string> = { ep: 'EP', iep: 'iEP', dense: 'dense', iterand: 'IteRand' };

/** A run of `method` with its defaults. */
export function defaultRun(method: RunMethod, id: RunId, label = METHOD_LABEL[method]): RunConfig {
  switch (method) {
    case 'ep':
      return { id, label, method };
    case 'iep':
      return { id, label, method, iep: defaultIepConfig() };
    case 'dense':
      return { id, label, method, dense: { learningRate: null } };
    case 'iterand':
      return { id, label, method, iterand: defaultIteRandConfig() };
  }
}

/** An id for a new run of `method` that none of `runs` has: the method's name, then -2, -3, … */
export function freeRunId(runs: readonly RunConfig[], method: RunMethod): RunId {
  const taken = new Set(runs.map((r) => r.id));
  if (!taken.has(method)) return method;
  let n = 2;
  while (taken.has(`${method}-${n}`)) n++;
  return `${method}-${n}`;
}

/** The run with this id (an error naming it when the config has none). */
export function findRun(config: ComparisonConfig, id: RunId): RunConfig {
  const run = config.runs.find((r) => r.id === id);
  if (!run) throw new Error(`the comparison has no run "${id}" (its runs: ${config.runs.map((r) => r.id).join(', ')})`);
  return run;
}

/** The config with every iEP run's settings changed by `change` (scripts and tests vary iEP this way). */
export function withIep<C extends ComparisonConfig>(config: C, change: Partial<IepConfig>): C {
  const runs = config.runs.map((r) => (r.method === 'iep' ? { ...r, iep: { ...r.iep, ...change } } : r));
  return { ...config, runs };
}

/** The studio's first comparison: EP against iEP with the classic schedule, ids 'ep' and 'iep'. */
export function defaultRuns(): RunConfig[] {
  return [
    { id: 'ep', label: 'EP', method: 'ep' },
    { id: 'iep', label: 'iEP', method: 'iep', iep: defaultIepConfig() },
  ];
}

/**
 * Defaults that show the dying-edge problem within minutes on a laptop GPU with the bundled data. A ResNet, not a
 * Conv-n: without BatchNorm, a net whose layers keep only 16.8% of their edges passes almost no signal at init, so
 * EP's loss sits at ln 10 while iEP's early, denser cycles learn, and the comparison would be about scale, not search.
 * ResNet-20 at half width is also the setting of the calibration in the shared algorithms notes.
 */
export function defaultConfig(): LocalConfig {
  return {
    version: CONFIG_VERSION,
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
    runs: defaultRuns(),
    reportEvery: 10,
    trainLimit: null,
    testLimit: null,
    backend: 'auto',
  };
}

/**
 * The config with another net. A worker-only net takes width 1 (torchvision's widths) and, coming from a CIFAR net,
 * the worker's ImageNet; going back to a CIFAR net takes `pageDataset`, the dataset this page has loaded.
 */
export function withModel(config: ComparisonConfig, model: ConfigModel, pageDataset: string): ComparisonConfig {
  const fromWorkerOnly = isWorkerOnly(config.model);
  if (isWorkerOnly(model)) {
    return { ...config, model, width: 1, dataset: fromWorkerOnly ? config.dataset : WORKER_DATASET };
  }
  return { ...config, model, dataset: fromWorkerOnly ? pageDataset : config.dataset };
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
  'iterand.kPer': { min: 1, max: 10_000_000, integer: true },
  'iterand.lambda': { min: 0, max: 1 },
  'dense.learningRate': { min: 1e-6, max: 10 },
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
  model: [
    ...asOptions<ConfigModel>(MODEL_NAMES),
    ...WORKER_ONLY_MODELS.map((value) => ({ value, label: `${WORKER_ONLY_NETS[value]} (ImageNet, worker only)` })),
  ],
  method: [
    { value: 'ep', label: 'EP' },
    { value: 'iep', label: 'iEP' },
    { value: 'dense', label: 'dense (weights trained)' },
    { value: 'iterand', label: 'IteRand' },
  ] as FieldOption<RunMethod>[],
  budget: [
    { value: 'equal-compute', label: 'equal compute' },
    { value: 'full-cycles', label: 'full cycles (iEP × cycles)' },
  ] as FieldOption<BudgetMode>[],
  'iep.schedule': asOptions<ScheduleKind>(['geometric', 'linear', 'one-shot', 'custom']),
  'iep.variant': asOptions<IepConfig['variant']>(['soft', 'hard']),
  'iep.scores': asOptions<IepConfig['scores']>(['carry', 'rewind', 'reinit']),
  backend: [
    { value: 'auto', label: 'auto (measures the backends here, uses the fastest)' },
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
export const NULLABLE_FIELDS: readonly LimitedField[] = [
  'weightDecay',
  'trainLimit',
  'testLimit',
  'dense.learningRate',
];

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

/** EP's recipes: 5e-4 for the CIFAR ResNets, 1e-4 for Conv-n, 1/32768 for the ImageNet nets. */
export function defaultWeightDecay(model: ConfigModel): number {
  if (isWorkerOnly(model)) return 1 / 32768;
  return model.startsWith('resnet') ? 5e-4 : 1e-4;
}
