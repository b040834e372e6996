// sign(S) on every backend: ±1 for every non-zero score however small, 0 for 0 (tf.sign on wasm gives 0 below ~1.2e-7).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { maskedWeight, scoreSign } from '../../../src/engine/supermask';
import { NUMERIC_BACKENDS } from './backends';

const tiny = [1e-7, -1e-7, 1.1e-7, -1.19e-7, 1e-8, -1e-8, 1e-30, -1e-30, 0, 0.5, -3];
const signs = [1, -1, 1, -1, 1, -1, 1, -1, 0, 1, -1];

describe.each(NUMERIC_BACKENDS)('the sign of a score on %s', (backend) => {
  it('is ±1 for every non-zero score, however small, and 0 for 0', async () => {
    await useNodeBackend(backend);
    expect(Array.from(await scoreSign(tf.tensor(tiny)).data())).toEqual(signs);
  });

  it('lets the straight-through gradient reach a score of 1e-8 as it reaches a score of 0.5', async () => {
    await useNodeBackend(backend);
    const weights = tf.tensor([2, 2, 2, -2]);
    const mask = tf.tensor([1, 1, 0, 1]);
    const scores = tf.tensor([1e-8, 0.5, -1e-8, -1e-9]);
    const g = tf.grad((s: tf.Tensor) => tf.sum(tf.mul(maskedWeight(s, weights, mask), tf.tensor([1, 1, 1, 3]))));
    // dL/dS = dL/d(W*M) * W * sign(S): masked or not, every edge gets it.
    expect(Array.from(await g(scores).data())).toEqual([2, 2, -2, 6]);
  });
});
