// The supermask: per layer, keep the top (1 - p) fraction of |scores|, exactly round((1 - p) * n) edges.
import * as tf from '@tensorflow/tfjs';

/** Edges kept in a layer of n edges at pruning rate p (p = fraction pruned). */
export function keptCount(n: number, p: number): number {
  return Math.round((1 - p) * n);
}

/**
 * 0/1 mask of the `k` largest |scores|. Ties at the threshold go to the lowest flat index (TF.js layout), whatever
 * order a backend's topk returns equal values in: only topk's k-th VALUE is used, then a running count of the
 * tied edges picks exactly as many as are missing. `allowed` (0/1, hard iEP) excludes edges from the ranking.
 */
export function topMask(scores: tf.Tensor, k: number, allowed?: tf.Tensor | null): tf.Tensor {
  return tf.tidy(() => {
    const n = scores.size;
    if (k <= 0) return tf.zerosLike(scores);
    if (k >= n && !allowed) return tf.onesLike(scores);
    // |S| >= 0, so -1 ranks every excluded edge below every allowed one.
    const rank = allowed ? tf.where(tf.greater(allowed, 0), tf.abs(scores), tf.fill(scores.shape, -1)) : tf.abs(scores);
    const flat = tf.reshape(rank, [n]);
    // The k-th largest value is the least of the k largest, so topk need not sort them: a whole mask of 2.4M edges
    // on wasm went from 1.0 s to 0.13 s (docs/performance.md, "mask selection against layer size").
    const kth = tf.min(tf.topk(flat, Math.min(k, n), false).values);
    const above = tf.cast(tf.greater(flat, kth), 'int32');
    const tied = tf.cast(tf.equal(flat, kth), 'int32');
    const missing = tf.sub(tf.scalar(Math.min(k, n), 'int32'), tf.sum(above));
    const tiedTaken = tf.mul(tied, tf.cast(tf.lessEqual(tf.cumsum(tied), missing), 'int32'));
    return tf.reshape(tf.cast(tf.add(above, tiedTaken), 'float32'), scores.shape);
  });
}
