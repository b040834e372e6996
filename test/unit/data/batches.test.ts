import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CIFAR_MEAN,
  CIFAR_STD,
  EpochShuffler,
  PAD_VALUE,
  batchArrays,
  evalBatch,
  trainBatch,
  writeImage,
} from '../../../src/data/batches';
import { IMAGE_BYTES, parseCifarBatch, type CifarSplit } from '../../../src/data/cifar';
import { mulberry32 } from '../../../src/util/random';
import { SHARED_CIFAR10, readBatchFile, verifySha256Sums } from '../../../scripts/cifar-source';

let test: CifarSplit;

beforeAll(async () => {
  verifySha256Sums(SHARED_CIFAR10, ['test_batch.bin']);
  test = parseCifarBatch(readBatchFile(SHARED_CIFAR10, 'test_batch.bin'));
  await tf.setBackend('cpu');
});

/** Normalised value of raw channel c at (y, x) of image i. */
function norm(split: CifarSplit, i: number, c: number, y: number, x: number): number {
  return (split.images[i * IMAGE_BYTES + c * 1024 + y * 32 + x] / 255 - CIFAR_MEAN[c]) / CIFAR_STD[c];
}

/** Value of channel c at (y, x) of image b in an NHWC float batch. */
function at(x: Float32Array, b: number, c: number, y: number, xx: number): number {
  return x[b * 3072 + (y * 32 + xx) * 3 + c];
}

function image(aug: { dy: number; dx: number; flip: boolean } | null, index = 7): Float32Array {
  const out = new Float32Array(3072);
  writeImage(test, index, out, 0, aug);
  return out;
}

describe('normalisation', () => {
  it('maps each byte to (v/255 - mean)/std in NHWC order', () => {
    const x = image(null);
    for (const [c, y, xx] of [
      [0, 0, 0],
      [1, 5, 17],
      [2, 31, 31],
    ]) {
      expect(at(x, 0, c, y, xx)).toBeCloseTo(norm(test, 7, c, y, xx), 6);
    }
  });

  it('gives mean about 0 and std about 1 per channel on the real test batch', () => {
    const { x } = batchArrays(
      test,
      Int32Array.from({ length: test.count }, (_, i) => i),
      null,
    );
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      let sq = 0;
      for (let k = c; k < x.length; k += 3) {
        sum += x[k];
        sq += x[k] * x[k];
      }
      const n = x.length / 3;
      const mean = sum / n;
      const std = Math.sqrt(sq / n - mean * mean);
      expect(Math.abs(mean)).toBeLessThan(0.02);
      expect(Math.abs(std - 1)).toBeLessThan(0.02);
    }
  });

  it('pads with the value of a black pixel after normalisation (-mean/std)', () => {
    for (let c = 0; c < 3; c++) expect(PAD_VALUE[c]).toBeCloseTo(-CIFAR_MEAN[c] / CIFAR_STD[c], 6);
  });
});

describe('augmentation', () => {
  it('a flip mirrors each row', () => {
    const plain = image(null);
    const flipped = image({ dy: 0, dx: 0, flip: true });
    for (let y = 0; y < 32; y++) {
      for (let xx = 0; xx < 32; xx++) {
        for (let c = 0; c < 3; c++) expect(at(flipped, 0, c, y, xx)).toBe(at(plain, 0, c, y, 31 - xx));
      }
    }
  });

  it('a crop shifts the image and fills the uncovered border with the padding value', () => {
    const plain = image(null);
    const shifted = image({ dy: 3, dx: -2, flip: false });
    for (let y = 0; y < 32; y++) {
      for (let xx = 0; xx < 32; xx++) {
        const sy = y + 3;
        const sx = xx - 2;
        for (let c = 0; c < 3; c++) {
          const expected = sy < 32 && sx >= 0 ? at(plain, 0, c, sy, sx) : PAD_VALUE[c];
          expect(at(shifted, 0, c, y, xx)).toBe(expected);
        }
      }
    }
  });

  it('crop then flip, as torchvision composes them', () => {
    const both = image({ dy: 0, dx: 4, flip: true });
    const plain = image(null);
    // Output x shows crop column 31 - x, i.e. source column 35 - x: padding for x < 4.
    expect(at(both, 0, 0, 10, 0)).toBe(PAD_VALUE[0]);
    expect(at(both, 0, 0, 10, 3)).toBe(PAD_VALUE[0]);
    expect(at(both, 0, 0, 10, 4)).toBe(at(plain, 0, 0, 10, 31));
    expect(at(both, 0, 1, 10, 31)).toBe(at(plain, 0, 1, 10, 4));
  });

  it('draws crops within ±4 pixels and flips about half the images, reproducibly per seed', () => {
    const indices = Int32Array.from({ length: 400 }, (_, i) => i);
    const a = batchArrays(test, indices, mulberry32(42));
    const b = batchArrays(test, indices, mulberry32(42));
    const c = batchArrays(test, indices, mulberry32(43));
    expect(a.x).toEqual(b.x);
    expect(a.x).not.toEqual(c.x);
    let flips = 0;
    let unchanged = 0;
    for (let i = 0; i < indices.length; i++) {
      const got = a.x.subarray(i * 3072, (i + 1) * 3072);
      // Recover the augmentation by trying all 162 candidates: exactly one matches (for non-degenerate images).
      const matches: string[] = [];
      for (let dy = -4; dy <= 4; dy++) {
        for (let dx = -4; dx <= 4; dx++) {
          for (const flip of [false, true]) {
            const out = new Float32Array(3072);
            writeImage(test, i, out, 0, { dy, dx, flip });
            if (out.every((v, k) => v === got[k])) matches.push(`${dy},${dx},${flip}`);
          }
        }
      }
      expect(matches.length).toBeGreaterThanOrEqual(1);
      if (matches.some((m) => m.endsWith('true'))) flips++;
      if (matches.includes('0,0,false')) unchanged++;
    }
    expect(flips).toBeGreaterThan(150);
    expect(flips).toBeLessThan(250);
    expect(unchanged).toBeLessThan(20);
  });
});

describe('tensors', () => {
  it('trainBatch and evalBatch give NHWC float32 images and int32 labels, and leak nothing', () => {
    const before = tf.memory().numTensors;
    const indices = Int32Array.from([3, 1, 4, 1, 5]);
    const train = trainBatch(test, indices, mulberry32(1));
    expect(train.x.shape).toEqual([5, 32, 32, 3]);
    expect(train.x.dtype).toBe('float32');
    expect(train.y.dtype).toBe('int32');
    expect(Array.from(train.y.dataSync())).toEqual(Array.from(indices, (i) => test.labels[i]));
    train.x.dispose();
    train.y.dispose();

    const ev = evalBatch(test, 9_998, 8);
    expect(ev.x.shape).toEqual([2, 32, 32, 3]);
    expect(Array.from(ev.y.dataSync())).toEqual([test.labels[9998], test.labels[9999]]);
    expect(ev.x.dataSync()[0]).toBeCloseTo(norm(test, 9998, 0, 0, 0), 6);
    tf.dispose([ev.x, ev.y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('evalBatch rejects a start outside the split', () => {
    expect(() => evalBatch(test, 10_000, 8)).toThrow(RangeError);
  });
});

describe('EpochShuffler', () => {
  it('gives a seeded permutation per epoch, the same for the same seed and different across epochs', () => {
    const a = new EpochShuffler(7, 1000);
    const b = new EpochShuffler(7, 1000);
    const e0 = a.next();
    const e1 = a.next();
    expect(a.epochsDone).toBe(2);
    expect(b.next()).toEqual(e0);
    expect(b.next()).toEqual(e1);
    expect(e0).not.toEqual(e1);
    expect(Array.from(e0).sort((p, q) => p - q)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(new EpochShuffler(7, 1000).forEpoch(1)).toEqual(e1);
    expect(new EpochShuffler(8, 1000).forEpoch(0)).not.toEqual(e0);
  });
});
