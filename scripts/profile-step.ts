// Where one EP step's time goes, kernel by kernel (scripts/bench/kernelProfile.ts), on wasm in Node, one thread.
// Usage: npx tsx scripts/profile-step.ts [--model resnet20] [--width 1] [--batch 32] [--steps 3]
// Prints a markdown table (forward and backward, kernel, calls per step, ms per step) and writes
// bench-results/kernel-profile.json.
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { parseCifarBatch } from '../src/data/cifar';
import { BatchOrder } from '../src/engine/data';
import { useNodeBackend } from '../src/engine/node-backend';
import type { ModelName } from '../src/protocol/config';
import { readBatchFile, SHARED_CIFAR10 } from './cifar-source';
import { profileKernels } from './bench/kernelProfile';
import { writeBenchResults } from './benchResults';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet20' },
    width: { type: 'string', default: '1' },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '3' },
    out: { type: 'string', default: 'bench-results/kernel-profile.json' },
  },
});

async function main(): Promise<void> {
  const run = { started: Date.now(), loadBefore: os.loadavg()[0] };
  await useNodeBackend('wasm');
  const train = parseCifarBatch(readBatchFile(SHARED_CIFAR10, 'data_batch_1.bin'), 'data_batch_1.bin');
  const batchSize = Number(values.batch);
  const batch = new BatchOrder(train, 1, batchSize).batch(0);
  const model = values.model as ModelName;
  const width = Number(values.width);
  const { rows, stepMs } = await profileKernels(model, width, batch, Number(values.steps));
  tf.dispose([batch.x, batch.y]);
  const sum = (phase: string) => rows.filter((r) => r.phase === phase).reduce((a, r) => a + r.ms, 0);
  console.log(`${model} x${width}, batch ${batchSize}: ${stepMs.toFixed(1)} ms a step (timed, kernels wrapped)`);
  for (const p of ['masks', 'forward', 'backward', 'optimiser']) console.log(`  ${p}: ${sum(p).toFixed(1)} ms`);
  console.log('\n| phase | kernel | calls | ms |');
  console.log('|---|---|---|---|');
  for (const r of rows.filter((x) => x.ms >= 0.5)) console.log(`| ${r.phase} | ${r.kernel} | ${r.calls} | ${r.ms} |`);
  const out = writeBenchResults(values.out, run, { model, width, batch: batchSize, stepMs, rows });
  console.log(`wrote ${out}`);
}

void main();
