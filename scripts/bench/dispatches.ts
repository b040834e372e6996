// GPU work per step on WebGPU: how many compute dispatches an EP step queues (it reads nothing back: test/unit/engine/
// readback.test.ts), and how many more its report adds with the one readback. Counted, not timed: the figure is the
// same on SwiftShader and on a real GPU, and says what a step costs in launches whatever the device.
import * as tf from '@tensorflow/tfjs';
import type { BatchOrder } from '../../src/engine/data';
import { buildModel } from '../../src/engine/models';
import { makePlan } from '../../src/engine/schedule';
import { Search } from '../../src/engine/search';
import { defaultConfig, findRun, type ModelName } from '../../src/protocol/config';

export interface DispatchRow {
  model: ModelName;
  width: number;
  batch: number;
  layers: number;
  /** Compute dispatches a non-report EP step queues. */
  stepDispatches: number;
  /** Dispatches the report adds (the pooled heatmaps and scalars), and its readbacks. */
  reportDispatches: number;
  reportReads: number;
}

export async function countDispatches(
  model: ModelName,
  width: number,
  order: BatchOrder,
  batch: number,
  trainCount: number,
): Promise<DispatchRow> {
  const backend = tf.backend() as unknown as Record<'runWebGPUProgram' | 'read', (...args: unknown[]) => unknown>;
  const { runWebGPUProgram, read } = backend;
  let dispatches = 0;
  let reads = 0;
  backend.runWebGPUProgram = (...args) => (dispatches++, runWebGPUProgram.apply(backend, args));
  backend.read = (...args) => (reads++, read.apply(backend, args));
  const config = { ...defaultConfig(), model, width, batchSize: batch, epochs: 1 };
  const run = findRun(config, 'ep');
  const search = new Search(config, run, buildModel(model, width, config.seed), makePlan(config, run, trainCount));
  const step = (t: number) => {
    const b = order.batch(t);
    search.step(b);
    tf.dispose([b.x, b.y]);
  };
  step(0); // the first step also creates the momentum and usage tensors
  await search.report();
  dispatches = 0;
  step(1);
  const stepDispatches = dispatches;
  dispatches = 0;
  reads = 0;
  await search.report();
  const row = {
    model,
    width,
    batch,
    layers: search.model.layers.length,
    stepDispatches,
    reportDispatches: dispatches,
    reportReads: reads,
  };
  Object.assign(backend, { runWebGPUProgram, read });
  search.dispose();
  return row;
}
