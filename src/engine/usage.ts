// Edge-usage telemetry, kept on the device and updated in-graph every step (no readback): which edges were ever
// selected, how often, which entered or left the mask, and which ever ranked inside the TARGET kept fraction.
// A report reads back only per-layer scalars and heatmaps pooled to at most 64 x 64.
import * as tf from '@tensorflow/tfjs';
import { floats, variable } from './vars';
import type { Heatmap } from '../protocol/report';
import type { SupermaskLayer } from './supermask';

export const HEATMAP_MAX = 64;

/** [bins x n] averaging matrix: bin i is the mean of entries floor(i n / bins) .. floor((i + 1) n / bins) - 1. */
function poolMatrix(n: number, bins: number): Float32Array {
  const m = new Float32Array(bins * n);
  for (let i = 0; i < bins; i++) {
    const lo = Math.floor((i * n) / bins);
    const hi = Math.floor(((i + 1) * n) / bins);
    for (let j = lo; j < hi; j++) m[i * n + j] = 1 / (hi - lo);
  }
  return m;
}

/** Plain copies of the counters, for snapshots. */
export interface UsageState {
  ever: Float32Array;
  everTarget: Float32Array;
  count: Float32Array;
  prevMask: Float32Array;
  entered: number;
  left: number;
  hasPrev: boolean;
}

export class LayerUsage {
  /** 1 where the edge was in the mask at any step so far (OR of all masks). */
  readonly ever: tf.Variable;
  /** 1 where the edge ranked inside the target kept fraction at any step so far. */
  readonly everTarget: tf.Variable;
  /** Steps each edge was selected. */
  readonly count: tf.Variable;
  readonly prevMask: tf.Variable;
  /** Edges that entered / left the mask since the last report. */
  readonly entered: tf.Variable;
  readonly left: tf.Variable;
  hasPrev = false;
  readonly rows: number;
  readonly cols: number;
  private readonly poolRows: tf.Tensor2D;
  private readonly poolCols: tf.Tensor2D;

  constructor(private readonly layer: SupermaskLayer) {
    const shape = layer.scores.shape;
    this.ever = variable(() => tf.zeros(shape), false);
    this.everTarget = variable(() => tf.zeros(shape), false);
    this.count = variable(() => tf.zeros(shape), false);
    this.prevMask = variable(() => tf.zeros(shape), false);
    this.entered = variable(() => tf.scalar(0), false);
    this.left = variable(() => tf.scalar(0), false);
    const [out, inn] = layer.shape;
    this.rows = Math.min(out, HEATMAP_MAX);
    this.cols = Math.min(inn, HEATMAP_MAX);
    this.poolRows = tf.tensor2d(poolMatrix(out, this.rows), [this.rows, out]);
    this.poolCols = tf.tidy(() => tf.transpose(tf.tensor2d(poolMatrix(inn, this.cols), [this.cols, inn])));
  }

  /** One step's bookkeeping; `mask` is the step's mask, `targetMask` its ranking at the target rate. */
  update(mask: tf.Tensor, targetMask: tf.Tensor): void {
    tf.tidy(() => {
      if (this.hasPrev) {
        this.entered.assign(tf.add(this.entered, tf.sum(tf.mul(mask, tf.sub(1, this.prevMask)))));
        this.left.assign(tf.add(this.left, tf.sum(tf.mul(this.prevMask, tf.sub(1, mask)))));
      }
      this.ever.assign(tf.maximum(this.ever, mask));
      this.everTarget.assign(tf.maximum(this.everTarget, targetMask));
      this.count.assign(tf.add(this.count, mask));
      this.prevMask.assign(mask);
    });
    this.hasPrev = true;
  }

  /** Mean over kernel positions, as [out, in]. */
  private perChannelPair(t: tf.Tensor): tf.Tensor2D {
    const m = t.rank === 4 ? tf.mean(t, [0, 1]) : t; // [in, out]
    return tf.transpose(m) as tf.Tensor2D;
  }

  private pooled(t: tf.Tensor): tf.Tensor {
    return tf.reshape(tf.matMul(tf.matMul(this.poolRows, this.perChannelPair(t)), this.poolCols), [-1]);
  }

  /**
   * [d_t, d_t at target, entered, left, usage (rows x cols), dead (rows x cols)] as one flat tensor, for a single
   * readback of all layers. `steps` = steps done so far (selection rate = count / steps).
   */
  readout(steps: number): tf.Tensor1D {
    return tf.tidy(() => {
      const scalars = tf.stack([
        tf.sub(1, tf.mean(this.ever)),
        tf.sub(1, tf.mean(this.everTarget)),
        this.entered,
        this.left,
      ]);
      const usage = this.pooled(tf.div(this.count, Math.max(1, steps)));
      const dead = this.pooled(tf.sub(1, this.ever));
      return tf.concat([scalars, usage, dead]) as tf.Tensor1D;
    });
  }

  get readoutSize(): number {
    return 4 + 2 * this.rows * this.cols;
  }

  /** Parses this layer's part of a readout; resets the window counters (entered / left). */
  parse(values: Float32Array): {
    dyingRatio: number;
    dyingRatioAtTarget: number;
    entered: number;
    left: number;
    heatmap: Heatmap;
  } {
    const cells = this.rows * this.cols;
    const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
    return {
      dyingRatio: values[0],
      dyingRatioAtTarget: values[1],
      entered: Math.round(values[2]),
      left: Math.round(values[3]),
      heatmap: {
        rows: this.rows,
        cols: this.cols,
        usage: Array.from(values.subarray(4, 4 + cells), r4),
        dead: Array.from(values.subarray(4 + cells, 4 + 2 * cells), r4),
      },
    };
  }

  resetWindow(): void {
    tf.tidy(() => {
      this.entered.assign(tf.scalar(0));
      this.left.assign(tf.scalar(0));
    });
  }

  async state(): Promise<UsageState> {
    const [ever, everTarget, count, prevMask, entered, left] = await Promise.all(
      [this.ever, this.everTarget, this.count, this.prevMask, this.entered, this.left].map(floats),
    );
    return {
      ever,
      everTarget,
      count,
      prevMask,
      entered: entered[0],
      left: left[0],
      hasPrev: this.hasPrev,
    };
  }

  setState(s: UsageState): void {
    const shape = this.layer.scores.shape;
    tf.tidy(() => {
      this.ever.assign(tf.tensor(s.ever, shape, 'float32'));
      this.everTarget.assign(tf.tensor(s.everTarget, shape, 'float32'));
      this.count.assign(tf.tensor(s.count, shape, 'float32'));
      this.prevMask.assign(tf.tensor(s.prevMask, shape, 'float32'));
      this.entered.assign(tf.scalar(s.entered));
      this.left.assign(tf.scalar(s.left));
    });
    this.hasPrev = s.hasPrev;
  }

  dispose(): void {
    [this.ever, this.everTarget, this.count, this.prevMask, this.entered, this.left].forEach((v) => v.dispose());
    this.poolRows.dispose();
    this.poolCols.dispose();
  }
}
