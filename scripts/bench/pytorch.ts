// The engine against PyTorch on the same cores: the same net, batch and EP step, measured in one run. The engine's
// step is Search.step settled (masks, forward, straight-through backward, SGD, usage counters; no report), on real
// CIFAR-10 batches; PyTorch's is the worker's `bench` (the same phases, on random CIFAR-shaped batches: speed does
// not depend on the pixels) in a process of its own per thread count (OMP_NUM_THREADS).
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BatchOrder } from '../../src/engine/data';
import { defaultConfig, type ModelName } from '../../src/protocol/config';
import { profileEp, searchStepMs, type EpDenseRow } from './epDense';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';

export interface TorchStep {
  threads: number;
  /** The best round's step (median of its steps, the worker bench's figure). */
  stepMs: number;
  stepMsPerRound: number[];
  imagesPerSecond: number;
  /** The worker bench's phases (ms): mask, forward, backward, optimiser, telemetry. */
  phasesMs: Record<string, number>;
  /** The engine's images/s over PyTorch's: 1 = as fast. */
  engineRatio: number;
}

export interface PytorchRow {
  model: ModelName;
  width: number;
  batch: number;
  edges: number;
  engine: {
    backend: string;
    /** The best round's mean step. */
    stepMs: number;
    stepMsPerRound: number[];
    imagesPerSecond: number;
    profile: EpDenseRow['profile'] | null;
  };
  torch: string;
  pytorch: TorchStep[];
}

/** The worker's `bench` of the EP step on `threads` CPU threads; its JSON record. */
function torchBench(model: ModelName, width: number, batch: number, steps: number, threads: number) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-pytorch-'));
  const out = path.join(dir, 'bench.json');
  const args = [
    '-m',
    'supermask_worker',
    'bench',
    '--model',
    model,
    '--width',
    String(width),
    '--batch',
    String(batch),
  ];
  args.push('--steps', String(steps), '--warmup', '2', '--device', 'cpu', '--out', out);
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const done = spawnSync(PYTHON, args, { cwd: path.join(REPO, 'worker'), env, encoding: 'utf8' });
  if (done.status !== 0) {
    throw new Error(`${PYTHON} -m supermask_worker bench failed (${done.status}): ${done.stderr || done.error}`);
  }
  const record = JSON.parse(readFileSync(out, 'utf8')) as {
    torch: string;
    results: { step: string; seconds: Record<string, number>; total: number }[];
  };
  rmSync(dir, { recursive: true });
  const ep = record.results.find((r) => r.step === 'EP');
  if (!ep) throw new Error('the worker bench reported no EP step');
  return { torch: record.torch, ep };
}

/**
 * `rounds` rounds, each the engine on the current backend then PyTorch on each thread count, so both meet the same
 * load; each figure is its best round (other work on the cores only ever slows a step). `profile` adds the engine's
 * per-phase split.
 */
export async function benchPytorch(
  model: ModelName,
  width: number,
  batch: number,
  order: BatchOrder,
  trainCount: number,
  steps: number,
  threads: number[],
  rounds: number,
  profile: boolean,
): Promise<PytorchRow> {
  const config = { ...defaultConfig(), model, width, batchSize: batch, epochs: 1 };
  const engineRounds: number[] = [];
  const torchRounds = threads.map(() => [] as ReturnType<typeof torchBench>[]);
  let edges = 0;
  for (let r = 0; r < rounds; r++) {
    const engine = await searchStepMs(config, 'ep', order, trainCount, steps);
    engineRounds.push(engine.ms);
    edges = engine.edges;
    threads.forEach((n, i) => torchRounds[i].push(torchBench(model, width, batch, steps, n)));
  }
  let engineProfile: EpDenseRow['profile'] | null = null;
  if (profile) {
    const b = order.batch(0);
    engineProfile = await profileEp(model, width, b, steps);
    tf.dispose([b.x, b.y]);
  }
  const engineMs = Math.min(...engineRounds);
  const engineImages = (batch * 1000) / engineMs;
  const pytorch = threads.map((n, i): TorchStep => {
    const best = torchRounds[i].reduce((a, b) => (b.ep.total < a.ep.total ? b : a));
    const stepMs = best.ep.total * 1000;
    const imagesPerSecond = (batch * 1000) / stepMs;
    const phasesMs = Object.fromEntries(Object.entries(best.ep.seconds).map(([k, s]) => [k, +(s * 1000).toFixed(1)]));
    return {
      threads: n,
      stepMs: +stepMs.toFixed(2),
      stepMsPerRound: torchRounds[i].map((t) => +(t.ep.total * 1000).toFixed(2)),
      imagesPerSecond: +imagesPerSecond.toFixed(1),
      phasesMs,
      engineRatio: +(engineImages / imagesPerSecond).toFixed(3),
    };
  });
  return {
    model,
    width,
    batch,
    edges,
    engine: {
      backend: tf.getBackend(),
      stepMs: Math.round(engineMs),
      stepMsPerRound: engineRounds.map((ms) => Math.round(ms)),
      imagesPerSecond: +engineImages.toFixed(1),
      profile: engineProfile,
    },
    torch: torchRounds[0][0].torch,
    pytorch,
  };
}
