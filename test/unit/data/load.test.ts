// Dropped files, parsed as the page parses them (parseDroppedFile needs no DOM).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, RECORD_BYTES, classCounts } from '../../../src/data/cifar';
import { parseDroppedFile } from '../../../src/data/load';
import { SHARED_CIFAR10, batchesDir, readBatchFile, verifySha256Sums } from '../../../scripts/cifar-source';

let work: string;

beforeAll(() => {
  verifySha256Sums(SHARED_CIFAR10, ['test_batch.bin', 'data_batch_1.bin']);
  work = mkdtempSync(join(tmpdir(), 'cifar-drop-'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('parseDroppedFile', () => {
  it('says that junk named .tar.gz is an archive it could not read (not a bad .bin)', () => {
    const junk = new TextEncoder().encode('not an archive at all, just some text'.repeat(100));
    for (const name of ['x.tar.gz', 'x.tgz']) {
      expect(() => parseDroppedFile(name, junk)).toThrow(DatasetError);
      expect(() => parseDroppedFile(name, junk)).toThrow(`${name} could not be read as a .tar.gz archive`);
    }
  });

  it('splits a single real .bin into class-balanced train and test parts', () => {
    const ds = parseDroppedFile('test_batch.bin', readBatchFile(SHARED_CIFAR10, 'test_batch.bin'));
    expect(ds.source).toBe('dropped');
    expect(ds.train.count + ds.test.count).toBe(10_000);
    expect(ds.testCounts).toEqual(new Array(10).fill(167));
    expect(ds.trainCounts).toEqual(new Array(10).fill(833));
    expect(classCounts(ds.test.labels)).toEqual(ds.testCounts);
    expect(ds.name).toContain('test_batch.bin');
  });

  it('reads a plain .tar and a .tar.gz holding real batches', () => {
    const dir = batchesDir(SHARED_CIFAR10);
    const tar = join(work, 'two.tar');
    execFileSync('tar', ['-chf', tar, '-C', dir, 'data_batch_1.bin', 'test_batch.bin', 'batches.meta.txt']);
    const fromTar = parseDroppedFile('two.tar', new Uint8Array(readFileSync(tar)));
    expect([fromTar.train.count, fromTar.test.count]).toEqual([10_000, 10_000]);
    execFileSync('gzip', ['-1', tar]);
    const fromGz = parseDroppedFile('two.tar.gz', new Uint8Array(readFileSync(`${tar}.gz`)));
    expect(fromGz.train.labels).toEqual(fromTar.train.labels);
    expect(fromGz.classNames[1]).toBe('automobile');
  });

  it('refuses empty, cut and mislabelled files with DatasetError', () => {
    const bin = readBatchFile(SHARED_CIFAR10, 'test_batch.bin');
    expect(() => parseDroppedFile('e.bin', new Uint8Array(0))).toThrow('e.bin is empty');
    expect(() => parseDroppedFile('c.bin', bin.subarray(0, 100))).toThrow(DatasetError);
    const bad = bin.slice(0, 3 * RECORD_BYTES);
    bad[RECORD_BYTES] = 200;
    expect(() => parseDroppedFile('b.bin', bad)).toThrow('b.bin: record 1 (byte offset 3073) has label 200');
    expect(() => parseDroppedFile('one.bin', bin.subarray(0, RECORD_BYTES))).toThrow(/at least 2/);
  });
});
