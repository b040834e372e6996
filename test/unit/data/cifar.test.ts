import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CLASS_NAMES,
  DatasetError,
  IMAGE_BYTES,
  RECORD_BYTES,
  classCounts,
  concatSplits,
  encodeCifarBatch,
  parseBatchesMeta,
  parseCifarBatch,
  selectRecords,
  type CifarSplit,
} from '../../../src/data/cifar';
import { SHARED_CIFAR10, batchesDir, readBatchFile, verifySha256Sums } from '../../../scripts/cifar-source';

let raw: Uint8Array;
let test: CifarSplit;

beforeAll(() => {
  verifySha256Sums(SHARED_CIFAR10, ['test_batch.bin']);
  raw = readBatchFile(SHARED_CIFAR10, 'test_batch.bin');
  test = parseCifarBatch(raw, 'test_batch.bin');
});

describe('parseCifarBatch on the real test batch', () => {
  it('reads 10,000 records, 1,000 per class', () => {
    expect(test.count).toBe(10_000);
    expect(test.images.length).toBe(10_000 * 3072);
    expect(test.labels.length).toBe(10_000);
    expect(classCounts(test.labels)).toEqual(new Array(10).fill(1000));
  });

  it('has the known first labels of test_batch (cat, ship, ship, airplane, frog, ...)', () => {
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
  });

  it('keeps the planar pixel layout of each record', () => {
    for (const i of [0, 1, 4321, 9999]) {
      const at = i * RECORD_BYTES;
      expect(test.labels[i]).toBe(raw[at]);
      // Red plane first pixel, green plane last pixel, blue plane middle pixel.
      expect(test.images[i * IMAGE_BYTES]).toBe(raw[at + 1]);
      expect(test.images[i * IMAGE_BYTES + 2047]).toBe(raw[at + 1 + 2047]);
      expect(test.images[i * IMAGE_BYTES + 2048 + 500]).toBe(raw[at + 1 + 2048 + 500]);
    }
  });

  it('encodes back to the identical bytes', () => {
    expect(Buffer.from(encodeCifarBatch(test)).equals(Buffer.from(raw))).toBe(true);
  });

  it('selects and concatenates records', () => {
    const a = selectRecords(test, [5, 0]);
    const b = selectRecords(test, [9999]);
    const ab = concatSplits([a, b]);
    expect(ab.count).toBe(3);
    expect(Array.from(ab.labels)).toEqual([test.labels[5], test.labels[0], test.labels[9999]]);
    expect(ab.images.subarray(2 * IMAGE_BYTES)).toEqual(test.images.subarray(9999 * IMAGE_BYTES));
  });
});

describe('batches.meta.txt', () => {
  it('parses the real file to the ten class names', () => {
    const text = readFileSync(join(batchesDir(SHARED_CIFAR10), 'batches.meta.txt'), 'utf8');
    expect(parseBatchesMeta(text)).toEqual([...CLASS_NAMES]);
    expect(CLASS_NAMES[0]).toBe('airplane');
    expect(CLASS_NAMES[9]).toBe('truck');
  });

  it('rejects a file with the wrong number of names', () => {
    expect(() => parseBatchesMeta('cat\ndog\n')).toThrow(/names 2 classes; CIFAR-10 has 10/);
  });
});

describe('parseCifarBatch errors', () => {
  it('rejects an empty file', () => {
    expect(() => parseCifarBatch(new Uint8Array(0), 'empty.bin')).toThrow(DatasetError);
    expect(() => parseCifarBatch(new Uint8Array(0), 'empty.bin')).toThrow('empty.bin is empty (0 bytes)');
  });

  it('rejects a length that is not a multiple of 3,073, saying the length and the record size', () => {
    const cut = raw.subarray(0, 2 * RECORD_BYTES + 100);
    expect(() => parseCifarBatch(cut, 'cut.bin')).toThrow(DatasetError);
    expect(() => parseCifarBatch(cut, 'cut.bin')).toThrow(/cut\.bin is 6,246 bytes long.*record size \(3073 bytes/);
  });

  it('rejects a label outside 0-9, naming the record and the value', () => {
    const bad = raw.slice(0, 5 * RECORD_BYTES);
    bad[3 * RECORD_BYTES] = 12;
    expect(() => parseCifarBatch(bad, 'bad.bin')).toThrow(DatasetError);
    expect(() => parseCifarBatch(bad, 'bad.bin')).toThrow(
      'bad.bin: record 3 (byte offset 9219) has label 12, outside 0-9',
    );
  });
});
