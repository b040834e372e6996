// Engine benchmark: steps/s and images/s of one supermask search step (masks, forward, straight-through backward,
// SGD on the scores, usage counters) per model x backend available in Node, plus tensor counts before and after.
// Usage: npm run bench [-- --models conv2,resnet20 --backends wasm,cpu --steps 3 --batch 32 --width 1]
// Writes bench-results/engine.json. Speed only; correctness lives in the tests.
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCifarBatch } from '../src/data/cifar';
import { BatchOrder } from '../src/engine/data';
import { buildModel } from '../src/engine/models';
import { useNodeBackend } from '../src/engine/node-backend';
import { makePlan } from '../src/engine/schedule';
import { Search } from '../src/engine/search';
import { defaultConfig, MODEL_NAMES, type ModelName } from '../src/protocol/config';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const models = arg('models', 'conv2,conv4,conv6,resnet20,resnet32,resnet18').split(',') as ModelName[];
const backends = arg('backends', 'wasm,cpu').split(',') as ('wasm' | 'cpu')[];
const steps = Number(arg('steps', '3'));
const batch = Number(arg('batch', '32'));
const widthArg = arg('width', '');
/** Default widths: the paper's nets, except ResNet-18 at 1/4 (11M edges are minutes per step on 2 cores). */
const defaultWidth: Record<ModelName, number> = {
  conv2: 1,
  conv4: 1,
  conv6: 1,
  resnet20: 1,
  resnet32: 1,
  resnet18: 0.25,
};
/** The cpu backend's filter gradient is very slow in Node: only the small nets run on it unless asked. */
const cpuModels = new Set(arg('cpu-models', 'conv2,resnet20').split(','));

const cifarFile = path.resolve('../shared/cifar10/cifar-10-batches-bin/data_batch_1.bin');
if (!existsSync(cifarFile)) throw new Error(`benchmark data missing: ${cifarFile}`);
const train = parseCifarBatch(new Uint8Array(readFileSync(cifarFile)), 'data_batch_1.bin');

interface Row {
  model: ModelName;
  width: number;
  backend: string;
  batch: number;
  edges: number;
  firstStepMs: number;
  stepMs: number;
  stepsPerSecond: number;
  imagesPerSecond: number;
  tensorsBefore: number;
  tensorsAfter: number;
  skipped?: string;
}

async function benchOne(model: ModelName, backend: 'wasm' | 'cpu'): Promise<Row> {
  await useNodeBackend(backend);
  const width = widthArg ? Number(widthArg) : defaultWidth[model];
  const config = { ...defaultConfig(), model, width, batchSize: batch, epochs: 1 };
  const search = new Search(config, 'ep', buildModel(model, width, config.seed), makePlan(config, 'ep', train.count));
  const order = new BatchOrder(train, config.seed, batch);
  const edges = search.model.layers.reduce((a, l) => a + l.edges, 0);
  const stepAt = async (t: number) => {
    const b = order.batch(t);
    search.step(b);
    b.x.dispose();
    b.y.dispose();
    await search.report(); // forces the step to finish on every backend, and is what a real run reads back
  };
  const t0 = performance.now();
  await stepAt(0);
  const firstStepMs = performance.now() - t0;
  const tensorsBefore = tf.memory().numTensors;
  const t1 = performance.now();
  for (let t = 1; t <= steps; t++) await stepAt(t);
  const stepMs = (performance.now() - t1) / steps;
  const tensorsAfter = tf.memory().numTensors;
  search.dispose();
  return {
    model,
    width,
    backend,
    batch,
    edges,
    firstStepMs: Math.round(firstStepMs),
    stepMs: Math.round(stepMs),
    stepsPerSecond: +(1000 / stepMs).toFixed(3),
    imagesPerSecond: +((batch * 1000) / stepMs).toFixed(1),
    tensorsBefore,
    tensorsAfter,
  };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const model of models) {
    if (!MODEL_NAMES.includes(model)) throw new Error(`unknown model ${model}; one of ${MODEL_NAMES.join(', ')}`);
    for (const backend of backends) {
      if (backend === 'cpu' && !cpuModels.has(model)) {
        const width = widthArg ? Number(widthArg) : defaultWidth[model];
        rows.push({
          model,
          width,
          backend,
          batch,
          edges: 0,
          firstStepMs: 0,
          stepMs: 0,
          stepsPerSecond: 0,
          imagesPerSecond: 0,
          tensorsBefore: 0,
          tensorsAfter: 0,
          skipped: 'cpu: too slow in Node (pass --cpu-models to run it)',
        });
        continue;
      }
      const row = await benchOne(model, backend);
      rows.push(row);
      console.log(
        `${model.padEnd(9)} w${String(row.width).padEnd(5)} ${backend.padEnd(5)} b${batch}: ${String(row.stepMs).padStart(7)} ms/step ` +
          `${String(row.imagesPerSecond).padStart(7)} img/s (first step ${row.firstStepMs} ms; tensors ${row.tensorsBefore} -> ${row.tensorsAfter})`,
      );
    }
  }
  console.log('\n| model | width | backend | edges | ms/step | steps/s | img/s | tensors before/after |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    if (r.skipped) console.log(`| ${r.model} | ${r.width} | ${r.backend} | – | – | – | – | ${r.skipped} |`);
    else
      console.log(
        `| ${r.model} | ${r.width} | ${r.backend} | ${r.edges.toLocaleString('en-US')} | ${r.stepMs} | ${r.stepsPerSecond} | ${r.imagesPerSecond} | ${r.tensorsBefore} / ${r.tensorsAfter} |`,
      );
  }
  mkdirSync('bench-results', { recursive: true });
  const out = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      loadAverage: os.loadavg(),
    },
    tfjs: tf.version.tfjs,
    steps,
    batch,
    rows,
  };
  writeFileSync('bench-results/engine.json', JSON.stringify(out, null, 2) + '\n');
  console.log('\nwrote bench-results/engine.json');
}

void main();
