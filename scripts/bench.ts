// Engine benchmark: steps/s and images/s of one supermask search step (masks, forward, straight-through backward,
// SGD on the scores, usage counters) per model x backend available in Node, plus tensor counts before and after.
// Usage: npm run bench [-- --suite ep-dense,masks,engine --models conv2,resnet20 --backends wasm,cpu --steps 3 ...]
// Suites (default ep-dense,masks; see docs/performance.md): ep-dense = EP and iEP against dense training of the same
// net (scripts/bench/epDense.ts), masks = mask selection against layer size (scripts/bench/maskSize.ts), engine =
// the per-model search step table below, pytorch = the engine on wasm against the worker's PyTorch step on 1 and 2
// threads (scripts/bench/pytorch.ts; --torch-models resnet20:1,resnet20:0.5 --torch-threads 1,2 --rounds 2
// --torch-browser 1: the engine in headless Chromium too, wasm on one thread). The engine suite, by default: every model on wasm at its default width, and Conv-2 and ResNet-20 at width 0.25 on cpu AND wasm
// (the cpu backend's filter gradient is minutes per step for the full-width nets in Node).
// Writes bench-results/engine.json. Speed only; correctness lives in the tests.
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseCifarBatch } from '../src/data/cifar';
import { readBatchFile, SHARED_CIFAR10, verifySha256Sums } from './cifar-source';
import { BatchOrder } from '../src/engine/data';
import { buildModel } from '../src/engine/models';
import { nodeAdapter, useNodeBackend, type NodeBackend } from '../src/engine/node-backend';
import { makePlan } from '../src/engine/schedule';
import { Search } from '../src/engine/search';
import { defaultConfig, findRun, MODEL_NAMES, type ModelName } from '../src/protocol/config';
import { countDispatches, type DispatchRow } from './bench/dispatches';
import { benchEpDense, type EpDenseRow } from './bench/epDense';
import { benchMaskSize, MASK_SIZES, type MaskSizeRow } from './bench/maskSize';
import { browserEp, serveBenchPages } from './bench/browserPage';
import { benchPytorch, type PytorchRow } from './bench/pytorch';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const suites = arg('suite', 'ep-dense,masks').split(',');
const models = arg('models', 'conv2,conv4,conv6,resnet20,resnet32,resnet18').split(',') as ModelName[];
const backends = arg('backends', 'wasm,cpu').split(',') as NodeBackend[];
const steps = Number(arg('steps', '3'));
const batch = Number(arg('batch', '32'));
const outFile = arg('out', 'bench-results/engine.json');
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
/** cpu comparison rows: these models at this width, on cpu and on wasm. */
const cpuModels = arg('cpu-models', 'conv2,resnet20').split(',') as ModelName[];
const cpuWidth = Number(arg('cpu-width', '0.25'));

// The real data, checked against its SHA256SUMS before any number is measured on it.
verifySha256Sums(SHARED_CIFAR10, ['data_batch_1.bin']);
const train = parseCifarBatch(readBatchFile(SHARED_CIFAR10, 'data_batch_1.bin'), 'data_batch_1.bin');

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
}

async function benchOne(model: ModelName, backend: 'wasm' | 'cpu', width: number): Promise<Row> {
  await useNodeBackend(backend);
  const config = { ...defaultConfig(), model, width, batchSize: batch, epochs: 1 };
  const search = new Search(
    config,
    findRun(config, 'ep'),
    buildModel(model, width, config.seed),
    makePlan(config, findRun(config, 'ep'), train.count),
  );
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

function machine(): Record<string, unknown> {
  return {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverage: os.loadavg(),
  };
}

function write(file: string, figures: Record<string, unknown>): void {
  mkdirSync('bench-results', { recursive: true });
  const loadBefore = figures.loadBefore;
  const out = {
    date: new Date().toISOString(),
    machine: { ...machine(), loadBefore },
    tfjs: tf.version.tfjs,
    ...figures,
  };
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  console.log(`\nwrote ${file}`);
}

/** EP / dense per model and backend: wasm at the paper's widths; cpu only where a step takes seconds, not minutes. */
async function epDenseSuite(): Promise<void> {
  const loadBefore = os.loadavg();
  const epModels = arg('ep-models', 'conv4,resnet20').split(',') as ModelName[];
  const jobs: [ModelName, NodeBackend, number][] = [];
  for (const model of epModels) {
    if (backends.includes('wasm')) jobs.push([model, 'wasm', widthArg ? Number(widthArg) : defaultWidth[model]]);
    // WebGPU through Dawn: on a real GPU the paper's widths; on SwiftShader (software) pass --width to keep it short.
    if (backends.includes('webgpu')) jobs.push([model, 'webgpu', widthArg ? Number(widthArg) : defaultWidth[model]]);
    // On cpu the full-width nets' filter gradient takes minutes a step in Node: width 0.25 there, on wasm too.
    if (backends.includes('cpu')) jobs.push([model, 'cpu', cpuWidth], [model, 'wasm', cpuWidth]);
  }
  const rows: EpDenseRow[] = [];
  for (const [model, backend, width] of jobs) {
    await useNodeBackend(backend);
    const order = new BatchOrder(train, defaultConfig().seed, batch);
    const row = await benchEpDense(model, width, backend, order, batch, train.count, steps);
    rows.push(row);
    console.log(
      `${model} w${width} ${backend}: EP ${row.epStepMs} ms, iEP ${row.iepStepMs} ms, dense ${row.denseStepMs} ms`,
    );
  }
  console.log('\n| model | width | backend | edges | EP ms | iEP ms | dense ms | EP/dense | iEP/dense |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.model} | ${r.width} | ${r.backend} | ${r.edges.toLocaleString('en-US')} | ${r.epStepMs} | ${r.iepStepMs} | ${r.denseStepMs} | ${r.epOverDense} | ${r.iepOverDense} |`,
    );
  }
  console.log('\nEP step by phase (ms, each with its own readback):');
  console.log('| model | width | backend | masks | target masks | forward | backward | optimiser | usage |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const p = r.profile;
    console.log(
      `| ${r.model} | ${r.width} | ${r.backend} | ${p.masks} | ${p.targetMasks} | ${p.forward} | ${p.backward} | ${p.optimiser} | ${p.usage} |`,
    );
  }
  const adapter = nodeAdapter();
  if (adapter) console.log(`\nwebgpu adapter: ${adapter.name} (${adapter.software ? 'software' : 'hardware'})`);
  write(arg('ep-out', 'bench-results/ep-dense.json'), { loadBefore, steps, batch, adapter, rows });
}

/** WebGPU dispatches per EP step and per report, every model (counted at a small width: launches, not time). */
async function dispatchSuite(): Promise<void> {
  await useNodeBackend('webgpu');
  const width = Number(arg('dispatch-width', '0.125'));
  const rows: DispatchRow[] = [];
  for (const model of models) {
    const order = new BatchOrder(train, defaultConfig().seed, batch);
    rows.push(await countDispatches(model, width, order, batch, train.count));
  }
  console.log('\n| model | layers | dispatches per step | + per report | readbacks per report |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.model} | ${r.layers} | ${r.stepDispatches} | ${r.reportDispatches} | ${r.reportReads} |`);
  }
  write(arg('dispatch-out', 'bench-results/dispatches.json'), { adapter: nodeAdapter(), batch, width, rows });
}

/** Mask selection against layer size; cpu stops at the first size past `cpu-mask-limit-ms`. */
async function maskSuite(): Promise<void> {
  const loadBefore = os.loadavg();
  const limitMs = Number(arg('cpu-mask-limit-ms', '3000'));
  const p = defaultConfig().targetPruningRate;
  const rows: MaskSizeRow[] = [];
  for (const backend of backends) {
    await useNodeBackend(backend);
    for (const edges of MASK_SIZES) {
      const row = await benchMaskSize(backend, edges, p, Math.max(1, steps));
      rows.push(row);
      console.log(`mask ${backend} ${edges.toLocaleString('en-US')} edges: ${row.maskMs} ms`);
      if (backend === 'cpu' && row.maskMs > limitMs) break;
    }
  }
  console.log('\n| backend | edges | kept | ms per mask |');
  console.log('|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.backend} | ${r.edges.toLocaleString('en-US')} | ${r.kept.toLocaleString('en-US')} | ${r.maskMs} |`,
    );
  }
  write(arg('mask-out', 'bench-results/mask-size.json'), { loadBefore, pruningRate: p, repeats: steps, rows });
}

/**
 * The engine on wasm against PyTorch (the worker's bench) on 1 and 2 threads: same net, batch and EP step. The engine
 * runs in Node and, unless --torch-browser 0, in headless Chromium with wasm pinned to one thread.
 */
async function pytorchSuite(): Promise<void> {
  const loadBefore = os.loadavg();
  const nets = arg('torch-models', 'resnet20:1,resnet20:0.5').split(',');
  const threads = arg('torch-threads', '1,2').split(',').map(Number);
  const rounds = Number(arg('rounds', '2'));
  await useNodeBackend('wasm');
  const pages = arg('torch-browser', '1') === '1' ? await serveBenchPages(1) : null;
  const rows: PytorchRow[] = [];
  try {
    const browser = pages ? browserEp((await pages.open()).page) : null;
    for (const net of nets) {
      const [model, width] = net.split(':') as [ModelName, string];
      const order = new BatchOrder(train, defaultConfig().seed, batch);
      const base = { batch, order, trainCount: train.count, steps, threads, rounds, browser };
      const row = await benchPytorch({ ...base, model, width: Number(width), profile: true });
      rows.push(row);
      const torch = row.pytorch.map((p) => `PyTorch ${p.threads}T ${p.stepMs} ms`).join(', ');
      const inPage = row.browser ? `, browser ${row.browser.stepMs} ms` : '';
      console.log(
        `${model} w${width} b${batch}: engine (${row.engine.backend}) ${row.engine.stepMs} ms${inPage}, ${torch}`,
      );
    }
  } finally {
    await pages?.close();
  }
  console.log('\n| model | width | batch | engine | engine ms | engine img/s | PyTorch threads | PyTorch ms | ratio |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    for (const p of r.pytorch) {
      const cells = (where: string, e: { stepMs: number; imagesPerSecond: number }, ratio: number | null) =>
        `| ${r.model} | ${r.width} | ${r.batch} | ${where} | ${e.stepMs} | ${e.imagesPerSecond} | ${p.threads} | ${p.stepMs} | ${ratio}x |`;
      console.log(cells(`Node ${r.engine.backend}`, r.engine, p.engineRatio));
      if (r.browser) console.log(cells(`Chromium ${r.browser.backend}`, r.browser, p.browserRatio));
    }
  }
  for (const r of rows) if (r.browser) console.log(`browser ${r.model} w${r.width}: ${r.browser.reason}`);
  console.log('\nengine EP step by phase (ms, each with its own readback):');
  for (const r of rows) console.log(`${r.model} w${r.width}: ${JSON.stringify(r.engine.profile)}`);
  write(arg('torch-out', 'bench-results/pytorch.json'), { loadBefore, steps, rounds, batch, rows });
}

async function main(): Promise<void> {
  for (const suite of suites) {
    if (suite === 'ep-dense') await epDenseSuite();
    else if (suite === 'masks') await maskSuite();
    else if (suite === 'engine') await engineSuite();
    else if (suite === 'pytorch') await pytorchSuite();
    else if (suite === 'dispatches') await dispatchSuite();
    else throw new Error(`unknown suite ${suite}; one of ep-dense, masks, engine, pytorch, dispatches`);
  }
}

async function engineSuite(): Promise<void> {
  const rows: Row[] = [];
  const jobs: [ModelName, 'wasm' | 'cpu', number][] = [];
  for (const model of models) {
    if (!MODEL_NAMES.includes(model)) throw new Error(`unknown model ${model}; one of ${MODEL_NAMES.join(', ')}`);
    if (backends.includes('wasm')) jobs.push([model, 'wasm', widthArg ? Number(widthArg) : defaultWidth[model]]);
  }
  if (backends.includes('cpu')) {
    for (const model of cpuModels.filter((m) => models.includes(m))) {
      jobs.push([model, 'cpu', cpuWidth]);
      if (backends.includes('wasm')) jobs.push([model, 'wasm', cpuWidth]);
    }
  }
  for (const [model, backend, width] of jobs) {
    const row = await benchOne(model, backend, width);
    rows.push(row);
    console.log(
      `${model.padEnd(9)} w${String(width).padEnd(5)} ${backend.padEnd(5)} b${batch}: ${String(row.stepMs).padStart(7)} ms/step ` +
        `${String(row.imagesPerSecond).padStart(7)} img/s (first step ${row.firstStepMs} ms; tensors ${row.tensorsBefore} -> ${row.tensorsAfter})`,
    );
  }
  console.log('\n| model | width | backend | edges | ms/step | steps/s | img/s | tensors before/after |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.model} | ${r.width} | ${r.backend} | ${r.edges.toLocaleString('en-US')} | ${r.stepMs} | ${r.stepsPerSecond} | ${r.imagesPerSecond} | ${r.tensorsBefore} / ${r.tensorsAfter} |`,
    );
  }
  write(outFile, { steps, batch, rows });
}

// Exits when done: Dawn (the webgpu backend in Node) keeps a device thread that would hold the process open.
main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);
