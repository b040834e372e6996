import { beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, classCounts, parseCifarBatch, type CifarSplit } from '../../../src/data/cifar';
import { balancedSplit, balancedSubset } from '../../../src/data/subset';
import { SHARED_CIFAR10, readBatchFile, verifySha256Sums } from '../../../scripts/cifar-source';

let test: CifarSplit;

beforeAll(() => {
  verifySha256Sums(SHARED_CIFAR10, ['test_batch.bin']);
  test = parseCifarBatch(readBatchFile(SHARED_CIFAR10, 'test_batch.bin'));
});

describe('balancedSubset', () => {
  it('picks the same number of each class, distinct and ascending, reproducibly per seed', () => {
    const a = balancedSubset(test.labels, 100, 1);
    expect(a.length).toBe(1000);
    expect(classCounts(Uint8Array.from(a, (i) => test.labels[i]))).toEqual(new Array(10).fill(100));
    expect(new Set(a).size).toBe(1000);
    for (let i = 1; i < a.length; i++) expect(a[i]).toBeGreaterThan(a[i - 1]);
    expect(balancedSubset(test.labels, 100, 1)).toEqual(a);
    expect(balancedSubset(test.labels, 100, 2)).not.toEqual(a);
  });

  it('is not just the first images of each class', () => {
    const a = balancedSubset(test.labels, 100, 1);
    expect(a[a.length - 1]).toBeGreaterThan(5000);
  });

  it('refuses to pick more of a class than there are', () => {
    expect(() => balancedSubset(test.labels, 1001, 1)).toThrow(DatasetError);
  });
});

describe('balancedSplit', () => {
  it('holds out the given fraction of each class and keeps the rest, with no overlap', () => {
    const { kept, heldOut } = balancedSplit(test.labels, 0.2, 3);
    expect(heldOut.length).toBe(2000);
    expect(kept.length).toBe(8000);
    expect(classCounts(Uint8Array.from(heldOut, (i) => test.labels[i]))).toEqual(new Array(10).fill(200));
    const all = new Set([...kept, ...heldOut]);
    expect(all.size).toBe(10_000);
  });
});
