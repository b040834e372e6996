// BatchNorm without learnable scale or shift (edge-popup: affine=False; the dense baseline turns them on), with
// PyTorch's running statistics:
// train mode normalises with the batch's (biased) variance and updates running mean / unbiased variance with
// momentum 0.1; eval mode normalises with the running statistics.
import * as tf from '@tensorflow/tfjs';
import { floats, variable } from './vars';

const MOMENTUM = 0.1;
const EPS = 1e-5;

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
    const axes = x.rank === 4 ? [0, 1, 2] : [0];
    const { mean, variance } = tf.moments(x, axes);
    const n = x.size / mean.size;
    const unbiased = n > 1 ? n / (n - 1) : 1;
    // The assignment reads plain values: running statistics are no part of the gradient.
    tf.tidy(() => {
      const m = tf.add(tf.mul(this.runningMean, 1 - MOMENTUM), tf.mul(mean, MOMENTUM));
      const v = tf.add(tf.mul(this.runningVar, 1 - MOMENTUM), tf.mul(variance, MOMENTUM * unbiased));
      this.runningMean.assign(m);
      this.runningVar.assign(v);
    });
    return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, EPS)));
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
