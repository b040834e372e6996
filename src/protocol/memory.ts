// What one browser tab can train: a config whose search would not fit in the tab's memory is refused at its field,
// before anything is built, instead of ending the run with wasm's "Aborted()" or a lost WebGL context.
// No tf here: the layer plan below mirrors src/engine/models.ts (test/unit/protocol/memory.test.ts checks that it
// lists exactly the layers the engine builds), so the studio can also draw each layer's place before the first run.
import { ConfigError, workerOnlyProblem } from './validate';
import { hasMask, isLocal, type ComparisonConfig, type ModelName, type RunId } from './config';
import { runTotalSteps } from './schedule';

export interface PlannedLayer {
  name: string;
  kind: 'conv' | 'linear';
  /** [out, in, k, k] for convs, [out, in] for linear layers, as the engine's model summary gives them. */
  shape: number[];
  /** Output values per image (channels x height x width for convs). */
  outputs: number;
  /** Input values per image (what a conv's im2col expands k x k times). */
  inputs: number;
}

const CLASSES = 10;
const SIDE = 32;
/** The engine's heatmaps pool a layer to at most this many rows and columns (src/engine/usage.ts). */
const HEATMAP_MAX = 64;

function channels(c: number, width: number): number {
  return Math.max(1, Math.round(c * width));
}

function conv(name: string, cin: number, cout: number, k: number, inSide: number, outSide: number): PlannedLayer {
  return {
    name,
    kind: 'conv',
    shape: [cout, cin, k, k],
    outputs: cout * outSide * outSide,
    inputs: cin * inSide * inSide,
  };
}

function linear(name: string, cin: number, cout: number): PlannedLayer {
  return { name, kind: 'linear', shape: [cout, cin], outputs: cout, inputs: cin };
}

function convNetPlan(blocks: number, width: number): PlannedLayer[] {
  const layers: PlannedLayer[] = [];
  let cin = 3;
  [64, 128, 256].slice(0, blocks).forEach((c0, i) => {
    const c = channels(c0, width);
    const side = SIDE >> i;
    layers.push(conv(`conv${2 * i + 1}`, cin, c, 3, side, side), conv(`conv${2 * i + 2}`, c, c, 3, side, side));
    cin = c;
  });
  const hidden = channels(256, width);
  const side = SIDE >> blocks;
  layers.push(linear('fc1', cin * side * side, hidden), linear('fc2', hidden, hidden), linear('fc3', hidden, CLASSES));
  return layers;
}

function resNetPlan(stages: number[], blocksPerStage: number, width: number): PlannedLayer[] {
  const c0 = channels(stages[0], width);
  const layers = [conv('conv1', 3, c0, 3, SIDE, SIDE)];
  let cin = c0;
  let side = SIDE;
  stages.forEach((c, s) => {
    const cout = channels(c, width);
    for (let i = 0; i < blocksPerStage; i++) {
      const stride = s > 0 && i === 0 ? 2 : 1;
      const out = side / stride;
      const p = `layer${s + 1}.${i}`;
      layers.push(conv(`${p}.conv1`, cin, cout, 3, side, out), conv(`${p}.conv2`, cout, cout, 3, out, out));
      if (stride !== 1 || cin !== cout) layers.push(conv(`${p}.shortcut`, cin, cout, 1, side, out));
      cin = cout;
      side = out;
    }
  });
  layers.push(linear('fc', cin, CLASSES));
  return layers;
}

/** The masked layers of a model, in the engine's order (depth order), with their shapes at `width`. */
export function layerPlan(model: ModelName, width: number): PlannedLayer[] {
  switch (model) {
    case 'conv2':
      return convNetPlan(1, width);
    case 'conv4':
      return convNetPlan(2, width);
    case 'conv6':
      return convNetPlan(3, width);
    case 'resnet20':
      return resNetPlan([16, 32, 64], 3, width);
    case 'resnet32':
      return resNetPlan([16, 32, 64], 5, width);
    case 'resnet18':
      return resNetPlan([64, 128, 256, 512], 2, width);
  }
}

const MiB = 2 ** 20;

/**
 * The tab's budget for one comparison's training. A wasm heap can grow to 4 GiB but never gives memory back, and TF.js
 * keeps freed blocks for reuse, so a long run's heap creeps above what two steps show; the loaded dataset lives in the
 * same worker (the full set: 60,000 images). Half of wasm's ceiling for the search's own tensors leaves that room.
 */
export const TAB_MEMORY_BUDGET = 2048 * MiB;

/**
 * The whole tab's budget when a comparison is spread over several engine workers (each its own wasm heap, all in
 * the page's one renderer process): what an ordinary 8 GB laptop can give a tab beside the rest of its work.
 */
export const TAB_TOTAL_BUDGET = 4096 * MiB;

/** Bytes of one CIFAR-style image with its label. */
const BYTES_PER_RECORD = 3073;
const KNOWN_TEST_SIZE = 10000;

/*
 * The factors below are measured, not derived: the wasm backend's heap (Node, tfjs-backend-wasm 4.22) after two
 * comparison steps, at two batch sizes each, gives bytes per image (the slope) and bytes per edge (the rest):
 *   ResNet-20 x0.5: 83 MiB at batch 16, 613 MiB at 128 -> 4.7 MiB an image
 *   ResNet-18 x0.5: 429 MiB at batch 8, 712 MiB at 32 -> 11.8 MiB an image, about 21 float32 an edge
 *   Conv-4 x1:      348 MiB at batch 16, 601 MiB at 64 -> 5.3 MiB an image, about 27 float32 an edge
 * (2026-11-25, after BatchNorm's closed-form gradient: the ResNets' slopes were 7.8 and 24 MiB an image before.)
 * test/unit/protocol/memory-measured.test.ts checks the estimate against a fresh measurement.
 */

/**
 * Float32 values per edge that an engine keeps for each of its runs (the run's frozen weight, scores, momentum, mask,
 * usage counters and effective weight), and per edge for the step in flight (gradients, top-k's sorted copies), which
 * one run at a time holds. Two runs in one engine: 2 x 11 + 6 = 28, the measured 21-27 rounded up.
 */
const FLOATS_PER_EDGE_RUN = 11;
const FLOATS_PER_EDGE_STEP = 6;

/** Float32 values per activation value and image: ResNets keep BatchNorm's normalised copies, the ReLU and residual
 * outputs and their gradients (measured 9.1-11.6); the Conv-n nets, without BatchNorm, about 4. */
const FLOATS_PER_ACTIVATION = { resnet: 12, conv: 4 };

/** The heap the wasm backend starts with, before any tensor. */
const BASE_HEAP = 16 * MiB;

/**
 * Reports are all kept (the timeline can go back to any of them) and recorded to IndexedDB; their heatmaps are the
 * bulk. 512 MiB of them for all runs together is a long run at a small interval, and leaves the training its room.
 */
export const REPORT_MEMORY_BUDGET = 512 * MiB;
/** A heatmap cell holds two numbers (usage and dying), 8 bytes each in a JS array. */
const BYTES_PER_CELL = 16;

/** Training images per split of the datasets the app knows; a dropped file holds at most all of CIFAR-10's 60,000. */
export const KNOWN_TRAIN_SIZES: Record<string, number> = { 'cifar10-subset': 5000, cifar10: 50000 };
export const LARGEST_TRAIN_SPLIT = 60000;

/** The steps each run will take, by run id, from the config and the training split's size (any input). */
export function estimateSteps(config: ComparisonConfig, trainImages?: number): Record<RunId, number> {
  const available = trainImages ?? KNOWN_TRAIN_SIZES[config.dataset] ?? LARGEST_TRAIN_SPLIT;
  const images = Math.max(1, config.trainLimit === null ? available : Math.min(config.trainLimit, available));
  const sane = { ...config, batchSize: Math.max(1, config.batchSize) };
  return Object.fromEntries(config.runs.map((run) => [run.id, runTotalSteps(sane, run, images)]));
}

export interface MemoryEstimate {
  /** Bytes that do not depend on the batch (for the runs of one engine): the empty heap, then per edge and run. */
  modelBytes: number;
  /** Bytes a step needs per image in the batch. */
  bytesPerImage: number;
  /** The largest batch that fits TAB_MEMORY_BUDGET (0 when not even the model does). */
  maxBatch: number;
  /** Bytes one report of one run takes (its heatmaps). */
  reportBytes: number;
}

/** The memory one engine needs for `runs` runs of `model` at `width` (two by default: EP and iEP). */
export function memoryEstimate(model: ModelName, width: number, runs = 2): MemoryEstimate {
  const layers = layerPlan(model, width);
  const edges = layers.reduce((a, l) => a + l.shape.reduce((x, y) => x * y, 1), 0);
  const outputs = layers.reduce((a, l) => a + l.outputs, 0);
  // The convolutions' patch buffers on wasm: the widest layer's input, k x k times over.
  const im2col = Math.max(...layers.map((l) => (l.kind === 'conv' ? l.inputs * l.shape[2] * l.shape[3] : 0)));
  const modelBytes = BASE_HEAP + 4 * edges * (FLOATS_PER_EDGE_RUN * Math.max(1, runs) + FLOATS_PER_EDGE_STEP);
  const perActivation = model.startsWith('resnet') ? FLOATS_PER_ACTIVATION.resnet : FLOATS_PER_ACTIVATION.conv;
  const bytesPerImage = 4 * (perActivation * outputs + im2col);
  const cells = layers.reduce((a, l) => a + Math.min(l.shape[0], HEATMAP_MAX) * Math.min(l.shape[1], HEATMAP_MAX), 0);
  return {
    modelBytes,
    bytesPerImage,
    maxBatch: Math.max(0, Math.floor((TAB_MEMORY_BUDGET - modelBytes) / bytesPerImage)),
    reportBytes: BYTES_PER_CELL * cells,
  };
}

/** The runs each of `workers` engines holds: the runs dealt in turn, so the first engines hold one more. */
export function sharesOf(runs: number, workers: number): number[] {
  const w = Math.max(1, Math.min(workers, runs));
  return Array.from({ length: w }, (_, i) => Math.floor(runs / w) + (i < runs % w ? 1 : 0));
}

/** The bytes of the data a config trains and tests on (the loaded split, before trainLimit). */
export function datasetBytes(config: ComparisonConfig, trainImages?: number): number {
  const train = trainImages ?? KNOWN_TRAIN_SIZES[config.dataset] ?? LARGEST_TRAIN_SPLIT;
  return (train + KNOWN_TEST_SIZE) * BYTES_PER_RECORD;
}

export interface PoolEstimate {
  /** Each engine worker's wasm heap at the config's batch. */
  perWorker: number[];
  /** Every heap, and the data: the page's copy and each worker's (one shared copy where memory can be shared). */
  totalBytes: number;
}

/** The tab's memory with the comparison spread over `workers` engine workers. */
export function poolEstimate(
  config: ComparisonConfig,
  workers: number,
  sharedData: boolean,
  trainImages?: number,
): PoolEstimate {
  // A net only a worker builds takes no memory here.
  if (!isLocal(config)) return { perWorker: [], totalBytes: 0 };
  const perWorker = sharesOf(config.runs.length, workers).map((runs) => {
    const m = memoryEstimate(config.model, config.width, runs);
    return m.modelBytes + config.batchSize * m.bytesPerImage;
  });
  const copies = 1 + (sharedData ? 1 : perWorker.length);
  return { perWorker, totalBytes: perWorker.reduce((a, b) => a + b, 0) + copies * datasetBytes(config, trainImages) };
}

/** The most engine workers, up to `wanted`, whose memory fits the tab (at least one: its own check says the rest). */
export function fitWorkers(
  config: ComparisonConfig,
  wanted: number,
  sharedData: boolean,
  trainImages?: number,
): number {
  for (let w = Math.max(1, Math.min(wanted, config.runs.length)); w > 1; w--) {
    if (poolEstimate(config, w, sharedData, trainImages).totalBytes <= TAB_TOTAL_BUDGET) return w;
  }
  return 1;
}

function mib(bytes: number): string {
  return bytes >= 1024 * MiB ? `${(bytes / (1024 * MiB)).toFixed(1)} GiB` : `${Math.ceil(bytes / MiB)} MiB`;
}

/**
 * The first reason this tab cannot run a config whose fields are each in range, naming the field to change; null
 * when it fits: a net only a worker builds, or more memory than a tab has. Only plain arithmetic over the layer plan,
 * so it costs nothing whatever was typed.
 */
export function tabLimitProblem(
  config: ComparisonConfig,
  trainImages?: number,
  workers = 1,
  sharedData = false,
): ConfigError | null {
  if (!isLocal(config)) return workerOnlyProblem(config);
  // The engine with the most runs is the one that may not fit its heap.
  const most = sharesOf(config.runs.length, workers)[0];
  const m = memoryEstimate(config.model, config.width, most);
  const where = workers > 1 ? ` (${most} run${most === 1 ? '' : 's'} in each engine worker)` : '';
  if (m.maxBatch < 1) {
    return new ConfigError(
      'width',
      `${config.model} at width ${config.width} needs about ${mib(m.modelBytes)} before any batch${where}, more than ` +
        `a tab's ${mib(TAB_MEMORY_BUDGET)}: lower the width`,
    );
  }
  if (config.batchSize > m.maxBatch) {
    return new ConfigError(
      'batchSize',
      `${config.model} at width ${config.width} fits at most batch ${m.maxBatch} in a tab${where} ` +
        `(batch ${config.batchSize} needs about ${mib(m.modelBytes + config.batchSize * m.bytesPerImage)}, ` +
        `the budget is ${mib(TAB_MEMORY_BUDGET)}): lower the batch size or the width`,
    );
  }
  const pool = poolEstimate(config, workers, sharedData, trainImages);
  if (workers > 1 && pool.totalBytes > TAB_TOTAL_BUDGET) {
    return new ConfigError(
      'batchSize',
      `${config.runs.length} runs on ${workers} engine workers need about ${mib(pool.totalBytes)} in all, more ` +
        `than a tab's ${mib(TAB_TOTAL_BUDGET)}: lower the batch size or the width, or train fewer runs`,
    );
  }
  const steps = estimateSteps(config, trainImages);
  // Only runs with a mask report heatmaps.
  const counted = config.runs.filter(hasMask).map((run) => steps[run.id]);
  const reports = counted.reduce((a, n) => a + Math.ceil(n / config.reportEvery), 0);
  const maxReports = Math.floor(REPORT_MEMORY_BUDGET / m.reportBytes);
  if (reports > maxReports) {
    const every = Math.ceil(counted.reduce((a, n) => a + n, 0) / maxReports);
    return new ConfigError(
      'reportEvery',
      `${reports.toLocaleString('en-US')} reports would not fit in a tab (at most ` +
        `${maxReports.toLocaleString('en-US')} of ${config.model}'s heatmaps, ${mib(REPORT_MEMORY_BUDGET)}): ` +
        `report every ${every.toLocaleString('en-US')} steps or more, or train fewer epochs`,
    );
  }
  return null;
}
