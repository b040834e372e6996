// BatchNorm without learnable scale or shift (edge-popup: affine=False; the dense baseline turns them on), with
// PyTorch's running statistics:
// train mode normalises with the batch's (biased) variance and updates running mean / unbiased variance with
// momentum 0.1; eval mode normalises with the running statistics.
import * as tf from '@tensorflow/tfjs';
import { floats, variable } from './vars';

const MOMENTUM = 0.1;
const EPS = 1e-5;

/**
 * Per-column means of [rows, channels] as a [1, channels] row. On wasm an average pool over all rows: 5-10x faster
 * than its reduction over a leading axis (which transposes the input first) or a matMul with ones (which packs the
 * input as weights every call). GPU backends pool with one thread per output, so they keep the reduction.
 */
function columnMeans(rows: tf.Tensor2D): tf.Tensor2D {
  const [n, channels] = rows.shape;
  if (tf.getBackend() !== 'wasm') return tf.mean(rows, 0, true);
  const pooled = tf.avgPool(tf.reshape(rows, [1, n, 1, channels]) as tf.Tensor4D, [n, 1], [n, 1], 'valid');
  return tf.reshape(pooled, [1, channels]);
}

/**
 * (x - mean) / sqrt(variance + eps) per column of [rows, channels], with the batch's mean and biased variance, and
 * the closed-form gradient dx = (dy - mean(dy) - x̂ · mean(dy · x̂)) / sqrt(variance + eps): a handful of ops where
 * differentiating the forward ops one by one takes dozens (a ones tensor of the input's size per mean among them).
 * `onStats` sees the batch's mean and variance ([1, channels]) for the running statistics.
 */
function normaliseBatch(x: tf.Tensor2D, onStats: (mean: tf.Tensor, variance: tf.Tensor) => void): tf.Tensor2D {
  const f = tf.customGrad((...args: unknown[]) => {
    const [rows, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const mean = columnMeans(rows);
    const centred = tf.sub(rows, mean);
    const variance = columnMeans(tf.square(centred) as tf.Tensor2D);
    onStats(mean, variance);
    const invStd = tf.rsqrt(tf.add(variance, EPS));
    const normalised = tf.mul(centred, invStd);
    save([normalised, invStd]);
    return {
      value: normalised,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const g = dy as tf.Tensor2D;
        const [xhat, inv] = saved;
        const meanDy = columnMeans(g);
        const meanDyXhat = columnMeans(tf.mul(g, xhat) as tf.Tensor2D);
        return tf.mul(tf.sub(tf.sub(g, meanDy), tf.mul(xhat, meanDyXhat)), inv);
      },
    };
  }) as (rows: tf.Tensor2D) => tf.Tensor2D;
  return f(x);
}

export class BatchNorm {
  readonly name: string;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  /** Learnable per-channel scale (init 1) and shift (init 0) when affine, as PyTorch's affine=True; else null. */
  readonly scale: tf.Variable | null;
  readonly shift: tf.Variable | null;

  constructor(name: string, channels: number, affine = false) {
    this.name = name;
    this.runningMean = variable(() => tf.zeros([channels]), false);
    this.runningVar = variable(() => tf.ones([channels]), false);
    this.scale = affine ? variable(() => tf.ones([channels]), true) : null;
    this.shift = affine ? variable(() => tf.zeros([channels]), true) : null;
  }

  apply(x: tf.Tensor, training: boolean): tf.Tensor {
    const normalised = this.normalise(x, training);
    return this.scale && this.shift ? tf.add(tf.mul(normalised, this.scale), this.shift) : normalised;
  }

  private normalise(x: tf.Tensor, training: boolean): tf.Tensor {
    if (!training) {
      return tf.div(tf.sub(x, this.runningMean), tf.sqrt(tf.add(this.runningVar, EPS)));
    }
    const channels = x.shape[x.rank - 1];
    const rows = tf.reshape(x, [x.size / channels, channels]) as tf.Tensor2D;
    return tf.reshape(
      normaliseBatch(rows, (mean, variance) => this.track(mean, variance, rows.shape[0])),
      x.shape,
    );
  }

  /** PyTorch's running statistics: momentum 0.1, the batch's unbiased variance. Plain values, no gradient. */
  private track(mean: tf.Tensor, variance: tf.Tensor, n: number): void {
    const unbiased = n > 1 ? n / (n - 1) : 1;
    tf.tidy(() => {
      const m = tf.add(tf.mul(this.runningMean, 1 - MOMENTUM), tf.mul(tf.reshape(mean, [-1]), MOMENTUM));
      const v = tf.add(tf.mul(this.runningVar, 1 - MOMENTUM), tf.mul(tf.reshape(variance, [-1]), MOMENTUM * unbiased));
      this.runningMean.assign(m);
      this.runningVar.assign(v);
    });
  }

  dispose(): void {
    this.runningMean.dispose();
    this.runningVar.dispose();
    this.scale?.dispose();
    this.shift?.dispose();
  }
}

/** A norm's running statistics as plain arrays: what a snapshot keeps of it. */
export interface NormState {
  name: string;
  mean: Float32Array;
  variance: Float32Array;
}

export function normStates(norms: readonly BatchNorm[]): Promise<NormState[]> {
  return Promise.all(
    norms.map(async (n) => ({ name: n.name, mean: await floats(n.runningMean), variance: await floats(n.runningVar) })),
  );
}

/** Puts saved running statistics back (inside the caller's tidy). */
export function restoreNormStates(norms: readonly BatchNorm[], states: readonly NormState[]): void {
  norms.forEach((n, i) => {
    n.runningMean.assign(tf.tensor(states[i].mean, undefined, 'float32'));
    n.runningVar.assign(tf.tensor(states[i].variance, undefined, 'float32'));
  });
}
