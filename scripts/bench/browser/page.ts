// A page that imports the engine directly (the worker's protocol has no dense run) and times EP, iEP and dense steps
// of the same net on one backend, on synthetic CIFAR-shaped input: speed only, the values do not matter here.
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/engine/backend';
import { DenseRun } from '../../../src/engine/dense';
import { buildModel } from '../../../src/engine/models';
import { makePlan } from '../../../src/engine/schedule';
import { Search, type Batch } from '../../../src/engine/search';
import { defaultConfig, findRun, type BackendName, type ModelName } from '../../../src/protocol/config';

declare global {
  interface Window {
    runEpDense: (
      backend: BackendName,
      model: ModelName,
      width: number,
      batch: number,
      steps: number,
    ) => Promise<unknown>;
  }
}

function syntheticBatch(batch: number, t: number): Batch {
  return {
    x: tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', t),
    y: tf.tensor1d(
      Array.from({ length: batch }, (_, i) => (i + t) % 10),
      'int32',
    ),
  };
}

async function meanMs(steps: number, step: (t: number) => Promise<void>): Promise<number> {
  await step(0);
  const t0 = performance.now();
  for (let t = 1; t <= steps; t++) await step(t);
  return (performance.now() - t0) / steps;
}

window.runEpDense = async (backend, model, width, batch, steps) => {
  const info = await selectBackend(backend);
  const config = { ...defaultConfig(), model, width, batchSize: batch, epochs: 1 };
  const trainCount = 50_000;
  const timed = (run: { step: (b: Batch) => void }, settle: () => Promise<unknown>) =>
    meanMs(steps, async (t) => {
      const b = syntheticBatch(batch, t);
      run.step(b);
      await settle();
      tf.dispose([b.x, b.y]);
    });
  const searchMs = async (kind: 'ep' | 'iep') => {
    const search = new Search(
      config,
      findRun(config, kind),
      buildModel(model, width, config.seed),
      makePlan(config, findRun(config, kind), trainCount),
    );
    const ms = await timed(search, () => search.settle());
    search.dispose();
    return ms;
  };
  const ep = await searchMs('ep');
  const iep = await searchMs('iep');
  const dense = new DenseRun(config, trainCount);
  const denseMs = await timed(dense, () => dense.report());
  dense.dispose();
  return { backend: info.name, reason: info.reason, model, width, batch, steps, ep, iep, dense: denseMs };
};
