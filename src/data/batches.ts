// Training and evaluation batches for the engine, as torchvision builds them for CIFAR-10:
// RandomCrop(32, padding=4) on the raw image (zero padding), RandomHorizontalFlip, ToTensor, Normalize(mean, std).
// The augmentation works on the CPU bytes and writes normalised NHWC floats in one pass; only the result is uploaded.
import * as tf from '@tensorflow/tfjs';
import { IMAGE_BYTES, IMAGE_SIZE, PLANE_BYTES, type CifarSplit } from './cifar';
import { deriveSeed, mulberry32, permutation, type Rng } from '../util/random';

export const CIFAR_MEAN = [0.4914, 0.4822, 0.4465] as const;
export const CIFAR_STD = [0.247, 0.2435, 0.2616] as const;
export const CROP_PADDING = 4;

const PIXELS_PER_IMAGE = IMAGE_SIZE * IMAGE_SIZE * 3;

/** normalised[c][byte] = (byte / 255 - mean[c]) / std[c]: one lookup instead of three float ops per pixel. */
const NORMALISED: Float32Array[] = CIFAR_MEAN.map((mean, c) => {
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = (v / 255 - mean) / CIFAR_STD[c];
  return table;
});

/** The value a zero-padded (black) pixel has after normalisation: -mean / std per channel. */
export const PAD_VALUE: readonly number[] = NORMALISED.map((t) => t[0]);

/** Where one image is cut from its padded copy and whether it is mirrored. */
export interface Augmentation {
  /** Shift of the crop in pixels, -CROP_PADDING..CROP_PADDING (0 = no shift). */
  dy: number;
  dx: number;
  flip: boolean;
}

/** Draws in torchvision's order: crop top, crop left, then the flip coin. */
export function drawAugmentation(rng: Rng): Augmentation {
  const span = 2 * CROP_PADDING + 1;
  const dy = Math.floor(rng() * span) - CROP_PADDING;
  const dx = Math.floor(rng() * span) - CROP_PADDING;
  return { dy, dx, flip: rng() < 0.5 };
}

/**
 * Writes image `index` of `split` as normalised NHWC floats into out[offset..offset + 3072).
 * Output pixel (y, x) shows input pixel (y + dy, x' + dx) with x' = 31 - x when flipped (crop first, then flip),
 * or the padding value where that falls outside the image.
 */
export function writeImage(
  split: CifarSplit,
  index: number,
  out: Float32Array,
  offset: number,
  aug: Augmentation | null,
): void {
  const src = split.images;
  const base = index * IMAGE_BYTES;
  const dy = aug?.dy ?? 0;
  const dx = aug?.dx ?? 0;
  const flip = aug?.flip ?? false;
  let o = offset;
  for (let y = 0; y < IMAGE_SIZE; y++) {
    const sy = y + dy;
    for (let x = 0; x < IMAGE_SIZE; x++) {
      const sx = (flip ? IMAGE_SIZE - 1 - x : x) + dx;
      if (sy < 0 || sy >= IMAGE_SIZE || sx < 0 || sx >= IMAGE_SIZE) {
        out[o++] = PAD_VALUE[0];
        out[o++] = PAD_VALUE[1];
        out[o++] = PAD_VALUE[2];
      } else {
        const p = base + sy * IMAGE_SIZE + sx;
        out[o++] = NORMALISED[0][src[p]];
        out[o++] = NORMALISED[1][src[p + PLANE_BYTES]];
        out[o++] = NORMALISED[2][src[p + 2 * PLANE_BYTES]];
      }
    }
  }
}

/** CPU half of a batch: normalised NHWC floats and int32 labels; `rng` null = no augmentation. */
export function batchArrays(
  split: CifarSplit,
  indices: ArrayLike<number>,
  rng: Rng | null,
): { x: Float32Array; y: Int32Array } {
  const n = indices.length;
  const x = new Float32Array(n * PIXELS_PER_IMAGE);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const index = indices[i];
    if (index < 0 || index >= split.count) throw new RangeError(`image ${index} is outside 0-${split.count - 1}`);
    writeImage(split, index, x, i * PIXELS_PER_IMAGE, rng ? drawAugmentation(rng) : null);
    y[i] = split.labels[index];
  }
  return { x, y };
}

export interface Batch {
  /** [B, 32, 32, 3] float32, normalised. */
  x: tf.Tensor4D;
  /** [B] int32 labels. */
  y: tf.Tensor1D;
}

function toTensors(arrays: { x: Float32Array; y: Int32Array }): Batch {
  const n = arrays.y.length;
  return {
    x: tf.tensor4d(arrays.x, [n, IMAGE_SIZE, IMAGE_SIZE, 3], 'float32'),
    y: tf.tensor1d(arrays.y, 'int32'),
  };
}

/** An augmented training batch of the given images; the caller disposes x and y. */
export function trainBatch(split: CifarSplit, indices: Int32Array, rng: Rng): Batch {
  return toTensors(batchArrays(split, indices, rng));
}

/** Images start..start+size-1 (clipped to the split) without augmentation; the caller disposes x and y. */
export function evalBatch(split: CifarSplit, start: number, size: number): Batch {
  const end = Math.min(split.count, start + size);
  if (start < 0 || start >= end) throw new RangeError(`no images in ${start}..${start + size - 1} of ${split.count}`);
  const indices = new Int32Array(end - start);
  for (let i = 0; i < indices.length; i++) indices[i] = start + i;
  return toTensors(batchArrays(split, indices, null));
}

/** One seeded permutation of 0..n-1 per epoch; epoch e's order depends only on (seed, n, e). */
export class EpochShuffler {
  private nextEpoch = 0;

  constructor(
    readonly seed: number,
    readonly n: number,
  ) {}

  /** The order for epoch `epoch` (0-based), independent of what was asked before. */
  forEpoch(epoch: number): Int32Array {
    return permutation(this.n, mulberry32(deriveSeed(this.seed, `epoch/${epoch}`)));
  }

  /** The next epoch's order: epoch 0, then 1, ... */
  next(): Int32Array {
    return this.forEpoch(this.nextEpoch++);
  }

  /** How many epochs next() has handed out. */
  get epochsDone(): number {
    return this.nextEpoch;
  }
}
