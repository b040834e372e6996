// Mask selection alone against layer size: one topMask (top-k of |scores| with the documented tie rule) of a layer of
// n edges at the default target rate, on random scores, timed with a readback of the mask.
import * as tf from '@tensorflow/tfjs';
import { keptCount, topMask } from '../../src/engine/mask';

export interface MaskSizeRow {
  backend: string;
  edges: number;
  kept: number;
  maskMs: number;
}

export const MASK_SIZES = [1_000, 10_000, 100_000, 1_000_000, 2_400_000];

export async function benchMaskSize(backend: string, edges: number, p: number, repeats: number): Promise<MaskSizeRow> {
  const scores = tf.randomNormal([edges], 0, 1, 'float32', 1);
  const k = keptCount(edges, p);
  const once = async () => {
    const mask = topMask(scores, k);
    await mask.data();
    mask.dispose();
  };
  await once();
  const t0 = performance.now();
  for (let i = 0; i < repeats; i++) await once();
  const maskMs = (performance.now() - t0) / repeats;
  scores.dispose();
  return { backend, edges, kept: k, maskMs: +maskMs.toFixed(2) };
}
