// EP against plain dense training of the same network at the same batch, side by side in one process, and a per-phase
// profile of the EP step. Each phase is timed on its own with a readback after it, so the phases add up to slightly
// more than a real step (which reads nothing back): they say what costs what, the step rows say what a run pays.
import * as tf from '@tensorflow/tfjs';
import type { BatchOrder } from '../../src/engine/data';
import { DenseRun } from '../../src/engine/dense';
import { keptCount, topMask } from '../../src/engine/mask';
import { lossAndCorrect, sgdUpdate } from '../../src/engine/metrics';
import { buildModel } from '../../src/engine/models';
import { makePlan } from '../../src/engine/schedule';
import { Search, type Batch } from '../../src/engine/search';
import { maskedWeight, type SupermaskLayer } from '../../src/engine/supermask';
import { LayerUsage } from '../../src/engine/usage';
import { defaultConfig, findRun, type LocalConfig, type ModelName } from '../../src/protocol/config';

export interface EpDenseRow {
  model: ModelName;
  width: number;
  backend: string;
  batch: number;
  edges: number;
  epStepMs: number;
  iepStepMs: number;
  denseStepMs: number;
  /** EP step / dense step: what the mask and the telemetry add to training the same net. */
  epOverDense: number;
  iepOverDense: number;
  /** One EP step split into phases (ms), each with its own readback. */
  profile: {
    masks: number;
    targetMasks: number;
    forward: number;
    forwardBackward: number;
    backward: number;
    optimiser: number;
    usage: number;
  };
}

/** Mean ms of `steps` calls of `run` after one warm-up call (kernel compilation, first allocations). */
export async function meanMs(steps: number, run: (t: number) => Promise<void>): Promise<number> {
  await run(0);
  const t0 = performance.now();
  for (let t = 1; t <= steps; t++) await run(t);
  return (performance.now() - t0) / steps;
}

/** Waits for every tensor's values: on every backend, the work that made them is then done. */
async function settle(tensors: tf.Tensor[]): Promise<void> {
  await Promise.all(tensors.map((t) => t.data()));
}

export async function profileEp(
  model: ModelName,
  width: number,
  batch: Batch,
  steps: number,
): Promise<EpDenseRow['profile']> {
  const config = { ...defaultConfig(), model, width };
  const net = buildModel(model, width, config.seed);
  const layers = net.layers;
  const index = new Map<SupermaskLayer, number>(layers.map((l, i) => [l, i]));
  // iEP's first cycle prunes less than the target; any p below it makes the target mask a second top-k.
  const p = config.targetPruningRate / 2;
  const masksAt = (rate: number) => layers.map((l) => topMask(l.scores, keptCount(l.edges, rate)));
  const timed = async (make: () => tf.Tensor[]) =>
    meanMs(steps, async () => {
      const out = make();
      await settle(out);
      tf.dispose(out);
    });
  const masks = masksAt(p);
  const target = masksAt(config.targetPruningRate);
  const forwardLoss = () =>
    lossAndCorrect(
      net.forward(batch.x, (l) => maskedWeight(l.scores, l.weights, masks[index.get(l)!]), true),
      batch.y,
    ).loss;
  const gradients = () => {
    const { value, grads } = tf.variableGrads(
      forwardLoss,
      layers.map((l) => l.scores),
    );
    return [value, ...Object.values(grads)];
  };
  const momentum = layers.map((l) => tf.variable(tf.zerosLike(l.scores), false));
  const grads = layers.map((l) => tf.zerosLike(l.scores));
  const usage = layers.map((l) => new LayerUsage(l));
  const sgd = { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 };
  const profile = {
    masks: await timed(() => masksAt(p)),
    targetMasks: await timed(() => masksAt(config.targetPruningRate)),
    forward: await timed(() => [tf.tidy(forwardLoss)]),
    forwardBackward: await timed(() => tf.tidy(gradients)),
    optimiser: await timed(() => {
      layers.forEach((l, i) => sgdUpdate(l.scores, grads[i], momentum[i], sgd));
      return [...layers.map((l) => l.scores)].map((s) => s.clone());
    }),
    usage: await timed(() => {
      usage.forEach((u, i) => u.update(masks[i], target[i]));
      return usage.map((u) => u.count.clone());
    }),
  };
  tf.dispose([...masks, ...target, ...momentum, ...grads]);
  usage.forEach((u) => u.dispose());
  net.dispose();
  const r = (ms: number) => +ms.toFixed(1);
  return {
    masks: r(profile.masks),
    targetMasks: r(profile.targetMasks),
    forward: r(profile.forward),
    forwardBackward: r(profile.forwardBackward),
    backward: r(profile.forwardBackward - profile.forward),
    optimiser: r(profile.optimiser),
    usage: r(profile.usage),
  };
}

async function withBatch(order: BatchOrder, t: number, use: (b: Batch) => Promise<void>): Promise<void> {
  const b = order.batch(t);
  await use(b);
  b.x.dispose();
  b.y.dispose();
}

/** Mean ms of one search step (masks, forward, backward, SGD, usage counters; settled, no report) and the net's edges. */
export async function searchStepMs(
  config: LocalConfig,
  run: 'ep' | 'iep',
  order: BatchOrder,
  trainCount: number,
  steps: number,
): Promise<{ ms: number; edges: number }> {
  const { model, width, seed } = config;
  const spec = findRun(config, run);
  const search = new Search(config, spec, buildModel(model, width, seed), makePlan(config, spec, trainCount));
  const ms = await meanMs(steps, (t) =>
    withBatch(order, t, async (b) => {
      search.step(b);
      await search.settle();
    }),
  );
  const edges = search.model.layers.reduce((a, l) => a + l.edges, 0);
  search.dispose();
  return { ms, edges };
}

/** EP, iEP (in its first cycle: two mask sets a step) and dense, each `steps` steps after a warm-up, then the profile. */
export async function benchEpDense(
  model: ModelName,
  width: number,
  backend: string,
  order: BatchOrder,
  batchSize: number,
  trainCount: number,
  steps: number,
): Promise<EpDenseRow> {
  const config = { ...defaultConfig(), model, width, batchSize, epochs: 1 };
  const ep = await searchStepMs(config, 'ep', order, trainCount, steps);
  const iep = await searchStepMs(config, 'iep', order, trainCount, steps);
  const dense = new DenseRun(config, trainCount);
  const denseMs = await meanMs(steps, (t) =>
    withBatch(order, t, async (b) => {
      dense.step(b);
      await dense.report();
    }),
  );
  dense.dispose();
  const b = order.batch(0);
  const profile = await profileEp(model, width, b, steps);
  b.x.dispose();
  b.y.dispose();
  return {
    model,
    width,
    backend,
    batch: batchSize,
    edges: ep.edges,
    epStepMs: Math.round(ep.ms),
    iepStepMs: Math.round(iep.ms),
    denseStepMs: Math.round(denseMs),
    epOverDense: +(ep.ms / denseMs).toFixed(3),
    iepOverDense: +(iep.ms / denseMs).toFixed(3),
    profile,
  };
}
