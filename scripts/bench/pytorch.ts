// The engine against PyTorch on the same cores: the same net, batch and EP step, measured in one run. The engine's
// step is Search.step settled (masks, forward, straight-through backward, SGD, usage counters; no report), on real
// CIFAR-10 batches in Node and, where a browser page is given, on synthetic ones in headless Chromium
// (scripts/bench/browserPage.ts); PyTorch's is the worker's `bench` (the same phases, on random CIFAR-shaped batches:
// speed does not depend on the pixels) in a process of its own per thread count (OMP_NUM_THREADS).
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
  /** The same for the engine in the browser; null without a browser row. */
  browserRatio: number | null;
}

/** The engine's EP step, best of the rounds. */
interface EngineStep {
  backend: string;
  stepMs: number;
  stepMsPerRound: number[];
  imagesPerSecond: number;
}

export interface PytorchRow {
  model: ModelName;
  width: number;
  batch: number;
  edges: number;
  /** In Node; stepMs is the best round's mean step. */
  engine: EngineStep & { profile: EpDenseRow['profile'] | null };
  /** In headless Chromium (its backend line says how many threads), or null. */
  browser: (EngineStep & { reason: string }) | null;
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

/** Mean ms of `steps` EP steps (after a warm-up) of a net in a browser page, and the page's backend line. */
export type BrowserEp = (
  model: ModelName,
  width: number,
  batch: number,
  steps: number,
) => Promise<{ backend: string; reason: string; ms: number }>;

export interface PytorchBench {
  model: ModelName;
  width: number;
  batch: number;
  /** The engine's batches (real CIFAR-10). */
  order: BatchOrder;
  trainCount: number;
  steps: number;
  /** PyTorch thread counts, one process each. */
  threads: number[];
  rounds: number;
  /** Adds the engine's per-phase split. */
  profile: boolean;
  /** Adds the browser row. */
  browser: BrowserEp | null;
}

function best(backend: string, batch: number, rounds: number[]): EngineStep {
  const ms = Math.min(...rounds);
  return {
    backend,
    stepMs: Math.round(ms),
    stepMsPerRound: rounds.map((r) => Math.round(r)),
    imagesPerSecond: +((batch * 1000) / ms).toFixed(1),
  };
}

/**
 * `rounds` rounds, each the engine on the current backend (in Node, then in the browser) then PyTorch on each thread
 * count, so all meet the same load; each figure is its best round (other work on the cores only ever slows a step).
 */
export async function benchPytorch(b: PytorchBench): Promise<PytorchRow> {
  const { model, width, batch, order, trainCount, steps, threads, rounds, profile, browser } = b;
  const config = { ...defaultConfig(), model, width, batchSize: batch, epochs: 1 };
  const engineRounds: number[] = [];
  const browserRounds: number[] = [];
  let browserLine = { backend: '', reason: '' };
  const torchRounds = threads.map(() => [] as ReturnType<typeof torchBench>[]);
  let edges = 0;
  for (let r = 0; r < rounds; r++) {
    const engine = await searchStepMs(config, 'ep', order, trainCount, steps);
    engineRounds.push(engine.ms);
    edges = engine.edges;
    if (browser) {
      const inPage = await browser(model, width, batch, steps);
      browserRounds.push(inPage.ms);
      browserLine = { backend: inPage.backend, reason: inPage.reason };
    }
    threads.forEach((n, i) => torchRounds[i].push(torchBench(model, width, batch, steps, n)));
  }
  let engineProfile: EpDenseRow['profile'] | null = null;
  if (profile) {
    const b = order.batch(0);
    engineProfile = await profileEp(model, width, b, steps);
    tf.dispose([b.x, b.y]);
  }
  const engine = best(tf.getBackend(), batch, engineRounds);
  const inBrowser = browser ? { ...best(browserLine.backend, batch, browserRounds), reason: browserLine.reason } : null;
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
      engineRatio: +(engine.imagesPerSecond / imagesPerSecond).toFixed(3),
      browserRatio: inBrowser ? +(inBrowser.imagesPerSecond / imagesPerSecond).toFixed(3) : null,
    };
  });
  return {
    model,
    width,
    batch,
    edges,
    engine: { ...engine, profile: engineProfile },
    browser: inBrowser,
    torch: torchRounds[0][0].torch,
    pytorch,
  };
}
