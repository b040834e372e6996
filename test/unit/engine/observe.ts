// Test-side instruments: what a search step actually did (the scores it ranked, the effective weights it trained
// with, the update it applied), and the paper's rules recomputed from scratch in plain JS, never with the engine's
// own schedule, mask or init functions, so a test can compare the two.
import * as tf from '@tensorflow/tfjs';
import type { CifarSplit } from '../../../src/data/cifar';
import { evalBatch } from '../../../src/data/batches';
import type { Model } from '../../../src/engine/models';
import type { Search } from '../../../src/engine/search';
import { deriveSeed, mulberry32 } from '../../../src/util/random';

export interface StepSeen {
  /** The images the step's forward pass saw (NHWC floats). */
  x: Float32Array;
  /** Per layer, the scores as the step ranked them: after any cycle-start rewind or re-draw, before the update. */
  scores: Float32Array[];
  /** Per layer, the effective weight W * M the step trained with. */
  effective: Float32Array[];
}

export interface Watch {
  steps: StepSeen[];
  /** The model's own forward(), unwatched, for the test's own gradient. */
  forward: Model['forward'];
}

/**
 * Records every training forward pass of a run (a search or the dense baseline; evaluation passes are left alone).
 * Wraps the model's forward() on the instance: the step runs unchanged, the wrapper only reads what goes through it.
 */
export function watchSteps(run: { model: Model }): Watch {
  const seen: StepSeen[] = [];
  const model = run.model;
  const forward = model.forward;
  const index = new Map(model.layers.map((l, i) => [l, i]));
  model.forward = (x, weightOf, training) => {
    if (!training) return forward(x, weightOf, training);
    const step: StepSeen = {
      x: Float32Array.from(x.dataSync()),
      scores: model.layers.map((l) => Float32Array.from(l.scores.dataSync())),
      effective: [],
    };
    seen.push(step);
    return forward(
      x,
      (l) => {
        const w = weightOf(l);
        step.effective[index.get(l)!] = Float32Array.from(w.dataSync());
        return w;
      },
      training,
    );
  };
  return { steps: seen, forward };
}

export function nonzeros(a: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) n++;
  return n;
}

/** round((1 - p) n): the documented number of kept edges. */
export function keptOf(edges: number, p: number): number {
  return Math.round((1 - p) * edges);
}

/**
 * 0/1 mask of the k largest |scores| among the allowed edges (all when `allowed` is null), by a full sort; of edges
 * tied in |S|, the lower flat index (TF.js layout) ranks first, the documented tie rule.
 */
export function topByMagnitude(scores: Float32Array, k: number, allowed: Float32Array | null = null): Float32Array {
  const candidates = Array.from(scores.keys()).filter((i) => !allowed || allowed[i] === 1);
  candidates.sort((a, b) => Math.abs(scores[b]) - Math.abs(scores[a]) || a - b);
  const mask = new Float32Array(scores.length);
  candidates.slice(0, k).forEach((i) => (mask[i] = 1));
  return mask;
}

/** Where two arrays first differ bit for bit (null: nowhere); a fast stand-in for toEqual on large arrays. */
export function firstDifference(a: Float32Array, b: Float32Array): string | null {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return `[${i}]: ${a[i]} vs ${b[i]}`;
  return null;
}

/** Cycle c of C (1-based) at target rate pT, by the documented rules for the built-in schedules. */
export function scheduleRate(schedule: string, c: number, C: number, pT: number): number {
  if (schedule === 'geometric') return 1 - Math.pow(1 - pT, c / C);
  if (schedule === 'linear') return (pT * c) / C;
  return pT;
}

/** Equal-compute cycle starts: cycle c of C spans [round((c - 1) T / C), round(c T / C)). */
export function evenStarts(total: number, C: number): number[] {
  return Array.from({ length: C }, (_, c) => Math.round((c * total) / C));
}

/** lr0 (1 + cos(pi t / T)) / 2. */
export function cosine(lr0: number, t: number, T: number): number {
  return (lr0 * (1 + Math.cos((Math.PI * t) / T))) / 2;
}

/** Least-squares c in y = c x over all elements of all layers. */
export function fitScale(y: ArrayLike<number>[], x: ArrayLike<number>[]): number {
  let xy = 0;
  let xx = 0;
  y.forEach((yl, l) => {
    for (let i = 0; i < yl.length; i++) {
      xy += yl[i] * x[l][i];
      xx += x[l][i] * x[l][i];
    }
  });
  return xy / xx;
}

/** Per layer, elementwise a - b (or a - s b). */
export function minus(a: ArrayLike<number>[], b: ArrayLike<number>[], s = 1): Float64Array[] {
  return a.map((al, l) => Float64Array.from(al, (v, i) => v - s * b[l][i]));
}

/** Largest |a - b| over all layers, relative to the largest |b|. */
export function relativeError(a: ArrayLike<number>[], b: ArrayLike<number>[]): number {
  let err = 0;
  let size = 0;
  a.forEach((al, l) => {
    for (let i = 0; i < al.length; i++) {
      err = Math.max(err, Math.abs(al[i] - b[l][i]));
      size = Math.max(size, Math.abs(b[l][i]));
    }
  });
  return err / size;
}

/**
 * dL/dS for a mean cross-entropy on (x, labels) with the given masks, computed here: TF.js's gradient with respect
 * to the effective weights W * M, times W, times sign(S) (edge-popup's straight-through rule, applied by hand).
 */
export function scoreGradient(
  model: Model,
  forward: Model['forward'],
  x: Float32Array,
  labels: ArrayLike<number>,
  scores: Float32Array[],
  masks: Float32Array[],
): Float32Array[] {
  const weights = model.layers.map((l) => l.weights.dataSync() as Float32Array);
  const n = labels.length;
  const grads = tf.tidy(() => {
    const images = tf.tensor4d(x, [n, 32, 32, 3]);
    const onehot = tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), 10);
    const effective = model.layers.map((l, i) =>
      tf.tensor(
        weights[i].map((w, j) => w * masks[i][j]),
        l.weights.shape,
      ),
    );
    const index = new Map(model.layers.map((l, i) => [l, i]));
    const loss = (...ws: tf.Tensor[]) => {
      const logits = forward(images, (l) => ws[index.get(l)!], true);
      return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), onehot), 1))) as tf.Scalar;
    };
    return tf
      .grads(loss)(effective)
      .map((g) => g.dataSync() as Float32Array);
  });
  return grads.map((g, i) => g.map((v, j) => v * weights[i][j] * Math.sign(scores[i][j])));
}

/** Per layer, the scores and the momentum buffer of a search (from its snapshot, plain arrays). */
export interface OptimiserState {
  scores: Float32Array[];
  momentum: Float32Array[];
}

export async function optimiserState(run: Search): Promise<OptimiserState> {
  const s = await run.snapshot();
  return { scores: s.layers.map((l) => l.scores), momentum: s.layers.map((l) => l.momentum) };
}

export interface ObservedStep {
  seen: StepSeen;
  before: OptimiserState;
  after: OptimiserState;
  labels: Uint8Array;
}

/** One step of `run` on images first..first+size-1 of `split` (unaugmented), watched, with the state around it. */
export async function observeStep(
  run: Search,
  watch: Watch,
  split: CifarSplit,
  first: number,
  size: number,
): Promise<ObservedStep> {
  const before = await optimiserState(run);
  const batch = evalBatch(split, first, size);
  run.step(batch);
  batch.x.dispose();
  batch.y.dispose();
  const after = await optimiserState(run);
  return {
    seen: watch.steps[watch.steps.length - 1],
    before,
    after,
    labels: split.labels.subarray(first, first + size),
  };
}

/**
 * The scores of stream `label` drawn here as documented: U(-b, b) with b = 1 / sqrt(fan_in), from
 * mulberry32(deriveSeed(seed, label)) in PyTorch's order [out, in, kh, kw], then transposed to TF.js's [kh, kw, in, out]
 * by tf.transpose (not by the engine's reorder).
 */
export function drawScores(seed: number, label: string, torchShape: number[]): Float32Array {
  const b = 1 / Math.sqrt(torchShape.slice(1).reduce((x, y) => x * y, 1));
  return drawInTfLayout(seed, label, torchShape, (u) => (2 * u - 1) * b);
}

/**
 * Values of stream `label` as documented for every draw: one uniform u per edge from mulberry32(deriveSeed(seed,
 * label)) in PyTorch's order, mapped by `value`, then transposed to TF.js's layout by tf.transpose.
 */
export function drawInTfLayout(
  seed: number,
  label: string,
  torchShape: number[],
  value: (u: number) => number,
): Float32Array {
  const rng = mulberry32(deriveSeed(seed, label));
  const torch = Float32Array.from({ length: torchShape.reduce((x, y) => x * y, 1) }, () => value(rng()));
  const order = torchShape.length === 4 ? [2, 3, 1, 0] : [1, 0];
  return tf.tidy(() => Float32Array.from(tf.transpose(tf.tensor(torch, torchShape), order).dataSync()));
}
