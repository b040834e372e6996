// A page that imports the engine directly (the worker's protocol has no dense run, and its reports time a whole
// comparison) and times search and dense steps of one net on one backend, on synthetic CIFAR-shaped input: speed
// only, the values do not matter here.
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/engine/backend';
import { DenseRun } from '../../../src/engine/dense';
import { buildModel } from '../../../src/engine/models';
import { makePlan } from '../../../src/engine/schedule';
import { Search, type Batch } from '../../../src/engine/search';
import { defaultConfig, findRun, type BackendName, type ModelName } from '../../../src/protocol/config';

type Timing = (backend: BackendName, model: ModelName, width: number, batch: number, steps: number) => Promise<unknown>;

declare global {
  interface Window {
    /** Mean ms of an EP, an iEP (first cycle) and a dense step. */
    runEpDense: Timing;
    /** Mean ms of an EP step, settled (the engine-against-PyTorch row). */
    runEp: Timing;
  }
}

const TRAIN_COUNT = 50_000;

function syntheticBatch(batch: number, t: number): Batch {
  return {
    x: tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', t),
    y: tf.tensor1d(
      Array.from({ length: batch }, (_, i) => (i + t) % 10),
      'int32',
    ),
  };
}

/** Mean ms of `steps` steps of `run` after one warm-up step, each waited for with `settle`. */
async function meanMs(
  run: { step: (b: Batch) => void },
  settle: () => Promise<unknown>,
  batch: number,
  steps: number,
): Promise<number> {
  const step = async (t: number) => {
    const b = syntheticBatch(batch, t);
    run.step(b);
    await settle();
    tf.dispose([b.x, b.y]);
  };
  await step(0);
  const t0 = performance.now();
  for (let t = 1; t <= steps; t++) await step(t);
  return (performance.now() - t0) / steps;
}

async function searchMs(kind: 'ep' | 'iep', model: ModelName, width: number, batch: number, steps: number) {
  const config = { ...defaultConfig(), model, width, batchSize: batch, epochs: 1 };
  const spec = findRun(config, kind);
  const search = new Search(config, spec, buildModel(model, width, config.seed), makePlan(config, spec, TRAIN_COUNT));
  const ms = await meanMs(search, () => search.settle(), batch, steps);
  search.dispose();
  return ms;
}

window.runEp = async (backend, model, width, batch, steps) => {
  const info = await selectBackend(backend);
  const ep = await searchMs('ep', model, width, batch, steps);
  return { backend: info.name, reason: info.reason, model, width, batch, steps, ep };
};

window.runEpDense = async (backend, model, width, batch, steps) => {
  const info = await selectBackend(backend);
  const ep = await searchMs('ep', model, width, batch, steps);
  const iep = await searchMs('iep', model, width, batch, steps);
  const config = { ...defaultConfig(), model, width, batchSize: batch, epochs: 1 };
  const dense = new DenseRun(config, TRAIN_COUNT);
  const denseMs = await meanMs(dense, () => dense.report(), batch, steps);
  dense.dispose();
  return { backend: info.name, reason: info.reason, model, width, batch, steps, ep, iep, dense: denseMs };
};
