// The training arithmetic every method shares (EP, iEP, IteRand, dense): loss and correct predictions, PyTorch's
// SGD step, test metrics summed on the device and read back once, and a report's window of training metrics.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from './search';
import { variable } from './vars';

const CLASSES = 10;

/** Mean cross-entropy of a batch and its number of correct predictions. */
export function lossAndCorrect(logits: tf.Tensor, labels: tf.Tensor1D): { loss: tf.Scalar; correct: tf.Scalar } {
  const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(labels, CLASSES), logits) as tf.Scalar;
  const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar;
  return { loss, correct };
}

/** Test accuracy and mean loss over `batches` (each disposed once used), the logits from `logitsOf`. */
export async function testMetrics(
  batches: Iterable<Batch>,
  logitsOf: (x: tf.Tensor4D) => tf.Tensor,
): Promise<{ testAccuracy: number; testLoss: number }> {
  const sums = variable(() => tf.zeros([3]), false);
  for (const b of batches) {
    tf.tidy(() => {
      const { loss, correct } = lossAndCorrect(logitsOf(b.x), b.y);
      sums.assign(tf.add(sums, tf.stack([tf.mul(loss, b.y.shape[0]), correct, tf.scalar(b.y.shape[0])])));
    });
    b.x.dispose();
    b.y.dispose();
  }
  const [lossSum, correct, n] = await sums.data();
  sums.dispose();
  return { testAccuracy: n > 0 ? correct / n : 0, testLoss: n > 0 ? lossSum / n : 0 };
}

/** PyTorch's SGD with momentum and weight decay, in place: v = mu v + (g + wd p); p -= lr v. */
export function sgdUpdate(
  param: tf.Variable,
  grad: tf.Tensor,
  velocity: tf.Variable,
  { lr, momentum, weightDecay }: { lr: number; momentum: number; weightDecay: number },
): void {
  const g = tf.add(grad, tf.mul(param, weightDecay));
  const v = tf.add(tf.mul(velocity, momentum), g);
  velocity.assign(v);
  param.assign(tf.sub(param, tf.mul(v, lr)));
}

/** Steps, images and step time since the previous report. */
export interface StepWindow {
  steps: number;
  images: number;
  ms: number;
}

/**
 * A report's training fields (mean loss per step, accuracy per image, speed) from the window and the values read back
 * from its device-side sums; zeroes those sums for the next window.
 */
export function closeWindow(
  w: StepWindow,
  sums: { loss: tf.Variable; correct: tf.Variable },
  lossSum: number,
  correct: number,
): { loss: number; trainAccuracy: number; imagesPerSecond: number } {
  tf.tidy(() => {
    sums.loss.assign(tf.scalar(0));
    sums.correct.assign(tf.scalar(0));
  });
  return {
    loss: w.steps > 0 ? lossSum / w.steps : 0,
    trainAccuracy: w.images > 0 ? correct / w.images : 0,
    imagesPerSecond: w.ms > 0 ? (w.images * 1000) / w.ms : 0,
  };
}
