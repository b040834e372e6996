// Variables without a stray tensor: tf.variable(init) copies `init`, which would otherwise stay tracked forever.
import * as tf from '@tensorflow/tfjs';

export function variable(make: () => tf.Tensor, trainable = false): tf.Variable {
  return tf.tidy(() => tf.variable(make(), trainable));
}

/** A float32 copy of a variable's values (some backends hand back other array types for float32 data). */
export async function floats(t: tf.Tensor): Promise<Float32Array> {
  return Float32Array.from((await t.data()) as ArrayLike<number>);
}
