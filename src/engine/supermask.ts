// A supermask layer: frozen weights W, trainable scores S of the same shape; the effective weight is W * M(S).
import * as tf from '@tensorflow/tfjs';
import { variable } from './vars';
import { kaimingUniformScores, signedKaimingConstant, tfShape, toTfLayout, type TorchShape } from './init';

/**
 * sign(S): +1 or −1 for every non-zero score, 0 for 0 (as torch.sign). Comparisons, not tf.sign: tfjs-backend-wasm
 * 4.22's Sign returns 0 for |S| < about 1.19e-7, which would cut such an edge off from its gradient for the step.
 */
export function scoreSign(scores: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sub(tf.cast(tf.greater(scores, 0), 'float32'), tf.cast(tf.less(scores, 0), 'float32')));
}

/**
 * W * M, with edge-popup's straight-through gradient for the scores: dL/dS = (dL/d(W*M) * W) * sign(S).
 * The mask M is computed outside (from the same scores) and gets no gradient; neither do the frozen weights.
 */
export const maskedWeight = tf.customGrad((...args: unknown[]) => {
  const [scores, weights, mask] = args as tf.Tensor[];
  return {
    value: tf.mul(weights, mask),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
      const g = dy as tf.Tensor;
      return [tf.mul(tf.mul(g, weights), scoreSign(scores)), tf.zerosLike(weights), tf.zerosLike(mask)];
    },
  };
}) as (scores: tf.Tensor, weights: tf.Tensor, mask: tf.Tensor) => tf.Tensor;

export interface LayerSpec {
  name: string;
  kind: 'conv' | 'linear';
  /** [out, in, kh, kw] or [out, in]. */
  shape: TorchShape;
  stride?: number;
  /** Zero padding on each side (convs). */
  pad?: number;
}

export class SupermaskLayer {
  readonly name: string;
  readonly kind: 'conv' | 'linear';
  readonly shape: TorchShape;
  readonly stride: number;
  readonly pad: number;
  readonly edges: number;
  readonly weights: tf.Variable;
  readonly scores: tf.Variable;

  constructor(spec: LayerSpec, seed: number) {
    this.name = spec.name;
    this.kind = spec.kind;
    this.shape = spec.shape;
    this.stride = spec.stride ?? 1;
    this.pad = spec.pad ?? 0;
    this.edges = spec.shape.reduce((a, b) => a * b, 1);
    const shape = tfShape(spec.shape);
    const w = toTfLayout(signedKaimingConstant(spec.shape, seed, spec.name), spec.shape);
    const s = toTfLayout(kaimingUniformScores(spec.shape, seed, spec.name), spec.shape);
    this.weights = variable(() => tf.tensor(w, shape), false);
    this.scores = variable(() => tf.tensor(s, shape), true);
  }

  /** Scores of draw `draw` (0 = initial) in TF.js layout, for iEP's score rewind / re-init. */
  scoreDraw(seed: number, draw: number): Float32Array {
    return toTfLayout(kaimingUniformScores(this.shape, seed, this.name, draw), this.shape);
  }

  /** Applies the layer with an effective weight (W * M, with or without the straight-through gradient). */
  apply(x: tf.Tensor, weight: tf.Tensor): tf.Tensor {
    if (this.kind === 'linear') return tf.matMul(x as tf.Tensor2D, weight as tf.Tensor2D);
    const pad = this.pad;
    const padding: [[number, number], [number, number], [number, number], [number, number]] | 'valid' =
      pad === 0
        ? 'valid'
        : [
            [0, 0],
            [pad, pad],
            [pad, pad],
            [0, 0],
          ];
    return tf.conv2d(x as tf.Tensor4D, weight as tf.Tensor4D, this.stride, padding);
  }

  dispose(): void {
    this.weights.dispose();
    this.scores.dispose();
  }
}
