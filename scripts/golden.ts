// The golden vectors: what the TypeScript engine computes for two small fixed configs, in a form the Python worker
// checks itself against (worker/tests/test_golden.py) and vitest checks the engine against (test/unit/golden).
// Arrays are in PyTorch's layout [out, in, kh, kw] (the draw order): float32 as little-endian base64, masks as bits
// packed LSB-first. Training uses fixed batches without augmentation (step t: test images t*B .. t*B + B - 1 of the
// real test batch) so the comparison is about the search; the data order and augmentation are checked separately.
import { createHash } from 'node:crypto';
import { parseCifarBatch, type CifarSplit } from '../src/data/cifar';
import { evalBatch } from '../src/data/batches';
import { Comparison } from '../src/engine/comparison';
import { BatchOrder } from '../src/engine/data';
import { kaimingNormal, signedKaimingConstant, toTfLayout, uniforms } from '../src/engine/init';
import { buildModel } from '../src/engine/models';
import { makePlan, learningRateAt, cycleAt } from '../src/engine/schedule';
import { Search } from '../src/engine/search';
import { defaultConfig, withIep, type ComparisonConfig } from '../src/protocol/config';
import type { EvalReport, Heatmap, StepReport } from '../src/protocol/report';
import { validateLocalConfig } from '../src/protocol/validate';
import { readBatchFile, SHARED_CIFAR10, verifySha256Sums } from './cifar-source';

export const GOLDEN_STEPS = 5;
export const GOLDEN_SEED = 7;

export interface GoldenLayerStep {
  kept: number;
  dyingRatio: number;
  dyingRatioAtTarget: number;
  entered: number;
  left: number;
}

export interface GoldenRun {
  id: string;
  totalSteps: number;
  /** Per step of the whole run: the pruning rate and learning rate the plan gives. */
  pruningRate: number[];
  learningRate: number[];
  /** Masks of the first step, per layer. */
  firstMasks: string[];
  /** A report after each of the GOLDEN_STEPS steps. */
  steps: { loss: number; trainAccuracy: number; layers: GoldenLayerStep[] }[];
  /** The last report's heatmaps, per layer. */
  heatmaps: Heatmap[];
  /** After GOLDEN_STEPS steps: scores (float32) and masks at the current cycle's rate, per layer. */
  scores: string[];
  masks: string[];
}

export interface GoldenCase {
  name: string;
  config: ComparisonConfig;
  /** Training images the plan counts (the config's trainLimit). */
  trainCount: number;
  layers: { name: string; shape: number[]; weightsSha256: string; scoresSha256: string }[];
  runs: GoldenRun[];
}

export interface GoldenDataOrder {
  seed: number;
  trainCount: number;
  batchSize: number;
  /** Training indices of steps 0 .. 2 epochs - 1 (data_batch_1's first trainCount images). */
  indices: number[][];
  /** sha256 of the augmented batches of steps 0 and 1 as float32 NCHW. */
  batchSha256: string[];
}

/** A whole comparison as the engine runs it (augmented batches in the seeded order): every report and evaluation. */
export interface GoldenComparison {
  config: ComparisonConfig;
  /** Reports without heatmaps or speed; evaluations as they are. */
  reports: (Omit<StepReport, 'imagesPerSecond' | 'layers'> & { layers: GoldenLayerStep[] })[];
  evals: EvalReport[];
}

/**
 * The seeded draws the dense baseline and IteRand add, for one layer: dense's Kaiming-normal weights, IteRand's
 * re-draw priorities and a fresh signed Kaiming-constant draw (PyTorch layout, float32 base64).
 */
export interface GoldenDraws {
  shape: [number, number, number, number];
  seed: number;
  layer: string;
  kaimingNormal: string;
  /** IteRand's re-draw at its `boundary`-th K_per boundary: */
  boundary: number;
  /** uniforms(shape, seed, `iterand/${layer}/${boundary}`): which pruned weights it takes; */
  iterandPriorities: string;
  /** signedKaimingConstant(shape, seed, layer, boundary): the values they get. */
  iterandWeights: string;
}

export interface GoldenVectors {
  about: string;
  cases: GoldenCase[];
  dataOrder: GoldenDataOrder;
  draws: GoldenDraws;
  comparison: GoldenComparison;
}

export function goldenConfigs(): { name: string; config: ComparisonConfig }[] {
  const base: ComparisonConfig = {
    ...defaultConfig(),
    dataset: 'cifar10',
    seed: GOLDEN_SEED,
    epochs: 2,
    batchSize: 8,
    trainLimit: 40,
    testLimit: 40,
  };
  return [
    {
      name: 'conv2-w0.0625-soft-carry',
      config: withIep({ ...base, model: 'conv2', width: 0.0625 }, { cycles: 4 }),
    },
    {
      name: 'resnet20-w0.25-hard-reinit',
      config: withIep({ ...base, model: 'resnet20', width: 0.25 }, { cycles: 4, variant: 'hard', scores: 'reinit' }),
    },
  ];
}

/** The real data set through the SHA256SUMS-checked reader; a clear error when it is not there. */
export function goldenSplit(file: 'test_batch.bin' | 'data_batch_1.bin'): CifarSplit {
  try {
    verifySha256Sums(SHARED_CIFAR10, [file]);
    return parseCifarBatch(readBatchFile(SHARED_CIFAR10, file), file);
  } catch (e) {
    throw new Error(
      `The golden vectors need the real CIFAR-10 at ${SHARED_CIFAR10} (or $CIFAR10_DIR): ` +
        (e instanceof Error ? e.message : String(e)),
    );
  }
}

/**
 * TF.js's [kh, kw, in, out] (or [in, out]) back to PyTorch's [out, in, kh, kw] (or [out, in]): the engine's own
 * toTfLayout applied to the indices 0..n-1 says where each element went (float32 holds them exactly below 2^24).
 */
export function fromTfLayout(data: ArrayLike<number>, shape: number[]): Float32Array {
  const torchIndex = toTfLayout(
    Float32Array.from({ length: data.length }, (_, i) => i),
    shape,
  );
  const out = new Float32Array(data.length);
  torchIndex.forEach((from, i) => (out[from] = data[i]));
  return out;
}

export function floatsToBase64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function base64ToFloats(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** 0/1 values as bits, LSB first (numpy's packbits with bitorder='little'). */
export function packBits(mask: ArrayLike<number>): string {
  const bytes = new Uint8Array(Math.ceil(mask.length / 8));
  for (let i = 0; i < mask.length; i++) if (mask[i]) bytes[i >> 3] |= 1 << (i & 7);
  return Buffer.from(bytes).toString('base64');
}

export function unpackBits(s: string, n: number): Uint8Array {
  const bytes = Buffer.from(s, 'base64');
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (bytes[i >> 3] >> (i & 7)) & 1;
  return out;
}

function sha256(a: Float32Array): string {
  return createHash('sha256')
    .update(Buffer.from(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');
}

/** NHWC floats to NCHW. */
function toNchw(x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) out[(b * 3 + c) * 1024 + p] = x[(b * 1024 + p) * 3 + c];
  return out;
}

async function runCase(name: string, given: ComparisonConfig, test: CifarSplit): Promise<GoldenCase> {
  const config = validateLocalConfig(given);
  const trainCount = config.trainLimit!;
  const searches = config.runs.map(
    (run) =>
      new Search(config, run, buildModel(config.model, config.width, config.seed), makePlan(config, run, trainCount)),
  );
  const model = searches[0].model;
  const layers = await Promise.all(
    model.layers.map(async (l) => ({
      name: l.name,
      shape: [...l.shape],
      weightsSha256: sha256(fromTfLayout(await l.weights.data(), l.shape)),
      scoresSha256: sha256(fromTfLayout(await l.scores.data(), l.shape)),
    })),
  );
  const runs: GoldenRun[] = [];
  for (const search of searches) {
    const plan = search.plan;
    const steps = Array.from({ length: plan.totalSteps }, (_, t) => t);
    const torchMasks = async (p: number) =>
      (await search.masks(p)).map((m, i) => packBits(fromTfLayout(m, model.layers[i].shape)));
    const firstMasks = await torchMasks(plan.cycles[0].p);
    const reports = [];
    for (let t = 0; t < GOLDEN_STEPS; t++) {
      const batch = evalBatch(test, t * config.batchSize, config.batchSize);
      search.step(batch);
      batch.x.dispose();
      batch.y.dispose();
      reports.push(await search.report());
    }
    runs.push({
      id: search.run,
      totalSteps: plan.totalSteps,
      pruningRate: steps.map((t) => cycleAt(plan, t).p),
      learningRate: steps.map((t) => learningRateAt(plan, t)),
      firstMasks,
      steps: reports.map((r) => ({
        loss: r.loss,
        trainAccuracy: r.trainAccuracy,
        layers: r.layers.map(({ kept, dyingRatio, dyingRatioAtTarget, entered, left }) => ({
          kept,
          dyingRatio,
          dyingRatioAtTarget,
          entered,
          left,
        })),
      })),
      heatmaps: reports[reports.length - 1].layers.map((l) => l.heatmap),
      scores: await Promise.all(
        search.model.layers.map(async (l) => floatsToBase64(fromTfLayout(await l.scores.data(), l.shape))),
      ),
      masks: await torchMasks(search.cycle.p),
    });
  }
  searches.forEach((s) => s.dispose());
  return { name, config, trainCount, layers, runs };
}

function dataOrder(train: CifarSplit): GoldenDataOrder {
  const [seed, trainCount, batchSize] = [GOLDEN_SEED, 40, 8];
  const split = { images: train.images.subarray(0, trainCount * 3072), labels: train.labels, count: trainCount };
  const order = new BatchOrder(split, seed, batchSize);
  const steps = 2 * order.stepsPerEpoch;
  const batchSha256 = [0, 1].map((t) => {
    const b = order.batch(t);
    const x = toNchw(b.x.dataSync() as Float32Array, b.y.shape[0]);
    b.x.dispose();
    b.y.dispose();
    return sha256(x);
  });
  return {
    seed,
    trainCount,
    batchSize,
    indices: Array.from({ length: steps }, (_, t) => Array.from(order.indices(t))),
    batchSha256,
  };
}

/** The four methods over ten steps: EP, hard iEP (scores rewound), dense and IteRand (re-draws at steps 3, 6, 9). */
export function goldenComparisonConfig(): ComparisonConfig {
  const base = goldenConfigs()[0].config;
  const config = withIep({ ...base, reportEvery: 3, testLimit: 20 }, { variant: 'hard', scores: 'rewind' });
  return {
    ...config,
    runs: [
      ...config.runs,
      { id: 'dense', label: 'dense', method: 'dense', dense: { learningRate: 0.01 } },
      { id: 'iterand', label: 'IteRand', method: 'iterand', iterand: { kPer: 3, lambda: 0.2 } },
    ],
  };
}

export function computeGoldenDraws(): GoldenDraws {
  const shape: GoldenDraws['shape'] = [24, 16, 3, 3];
  const [seed, layer, boundary] = [9, 'layer2.0.conv1', 3];
  return {
    shape,
    seed,
    layer,
    kaimingNormal: floatsToBase64(kaimingNormal(shape, seed, layer)),
    boundary,
    iterandPriorities: floatsToBase64(uniforms(shape, seed, `iterand/${layer}/${boundary}`)),
    iterandWeights: floatsToBase64(signedKaimingConstant(shape, seed, layer, boundary)),
  };
}

async function comparison(train: CifarSplit, test: CifarSplit): Promise<GoldenComparison> {
  const config = goldenComparisonConfig();
  const c = new Comparison(config, { train, test }, { snapshots: false });
  const out: GoldenComparison = { config, reports: [], evals: [] };
  c.subscribe((e) => {
    if (e.type === 'eval') out.evals.push(e.report);
    if (e.type !== 'report') return;
    const { layers, ...rest } = e.report;
    // Speed differs from run to run: not a vector.
    delete (rest as Partial<StepReport>).imagesPerSecond;
    out.reports.push({
      ...rest,
      layers: layers.map(({ kept, dyingRatio, dyingRatioAtTarget, entered, left }) => ({
        kept,
        dyingRatio,
        dyingRatioAtTarget,
        entered,
        left,
      })),
    });
  });
  while (!c.done) await c.stepOnce();
  c.dispose();
  return out;
}

/** Computes every vector on the current TF.js backend. */
/** The five-step cases alone (what every backend is held to; the whole comparison is the cpu reference's). */
export async function computeGoldenCases(): Promise<GoldenCase[]> {
  const test = goldenSplit('test_batch.bin');
  const cases: GoldenCase[] = [];
  for (const { name, config } of goldenConfigs()) cases.push(await runCase(name, config, test));
  return cases;
}

/** The first batches' image order and augmentation. */
export function computeGoldenDataOrder(): GoldenVectors['dataOrder'] {
  return dataOrder(goldenSplit('data_batch_1.bin'));
}

export async function computeGoldenVectors(): Promise<GoldenVectors> {
  const test = goldenSplit('test_batch.bin');
  return {
    about:
      'Written by `npm run golden` (scripts/golden-vectors.ts) from the TypeScript engine on the cpu backend; checked by ' +
      'test/unit/golden/golden.test.ts and worker/tests/test_golden.py. Layout [out, in, kh, kw]; float32 little-endian ' +
      'base64; masks as bits packed LSB-first.',
    cases: await computeGoldenCases(),
    dataOrder: computeGoldenDataOrder(),
    draws: computeGoldenDraws(),
    comparison: await comparison(goldenSplit('data_batch_1.bin'), test),
  };
}
