// The archive path, with real archives made by the system `tar` from the real CIFAR-10 files.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCifarArchive } from '../../../src/data/archive';
import { CLASS_NAMES, DatasetError, classCounts, parseCifarBatch } from '../../../src/data/cifar';
import { readTar } from '../../../src/data/tar';
import { SHARED_CIFAR10, batchesDir, readBatchFile, verifySha256Sums } from '../../../scripts/cifar-source';

let work: string;

/** A .tar.gz holding cifar-10-batches-bin/<files> (real bytes, followed through symlinks by tar -h). */
function makeArchive(name: string, files: string[]): Uint8Array {
  const root = join(work, name);
  const dir = join(root, 'cifar-10-batches-bin');
  mkdirSync(dir, { recursive: true });
  for (const f of files) symlinkSync(join(batchesDir(SHARED_CIFAR10), f), join(dir, f));
  const out = join(work, `${name}.tar.gz`);
  execFileSync('sh', ['-c', `tar -chf - -C "${root}" cifar-10-batches-bin | gzip -1 > "${out}"`]);
  return new Uint8Array(readFileSync(out));
}

beforeAll(() => {
  verifySha256Sums(SHARED_CIFAR10);
  work = mkdtempSync(join(tmpdir(), 'cifar-archive-'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('parseCifarArchive with the full real data set', () => {
  it('returns 50,000 training images (data_batch_1..5 in order) and 10,000 test images', () => {
    const all = [1, 2, 3, 4, 5].map((n) => `data_batch_${n}.bin`);
    const archive = makeArchive('full', [...all, 'test_batch.bin', 'batches.meta.txt']);
    const ds = parseCifarArchive(archive, 'cifar-10-binary.tar.gz');
    expect(ds.classNames).toEqual([...CLASS_NAMES]);
    expect(ds.train.count).toBe(50_000);
    expect(ds.test.count).toBe(10_000);
    expect(classCounts(ds.train.labels)).toEqual(new Array(10).fill(5000));
    expect(classCounts(ds.test.labels)).toEqual(new Array(10).fill(1000));
    expect(Array.from(ds.test.labels.subarray(0, 10))).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    // Batch 3's first record lands at 20,000 and batch 5's last at 49,999, byte for byte.
    const b3 = parseCifarBatch(readBatchFile(SHARED_CIFAR10, 'data_batch_3.bin'));
    const b5 = parseCifarBatch(readBatchFile(SHARED_CIFAR10, 'data_batch_5.bin'));
    expect(ds.train.labels[20_000]).toBe(b3.labels[0]);
    expect(ds.train.images.subarray(20_000 * 3072, 20_001 * 3072)).toEqual(b3.images.subarray(0, 3072));
    expect(ds.train.images.subarray(49_999 * 3072)).toEqual(b5.images.subarray(9_999 * 3072));
  });
});

describe('parseCifarArchive errors (never a partial load)', () => {
  it('rejects a file that is not gzip', () => {
    const bin = readBatchFile(SHARED_CIFAR10, 'test_batch.bin').subarray(0, 3073 * 2);
    expect(() => parseCifarArchive(bin, 'x.tar.gz')).toThrow(DatasetError);
    expect(() => parseCifarArchive(bin, 'x.tar.gz')).toThrow('x.tar.gz could not be read as a .tar.gz archive');
  });

  it('rejects a gzip file that holds no tar archive', () => {
    const gz = gzipSync(readBatchFile(SHARED_CIFAR10, 'test_batch.bin').subarray(0, 3073 * 2));
    expect(() => parseCifarArchive(gz, 'x.tar.gz')).toThrow('x.tar.gz is not a tar archive');
  });

  it('rejects a truncated gzip archive', () => {
    const archive = makeArchive('truncated', ['test_batch.bin', 'data_batch_1.bin']);
    const cut = archive.subarray(0, Math.floor(archive.length / 2));
    expect(() => parseCifarArchive(cut, 'cut.tar.gz')).toThrow(/cut\.tar\.gz is a damaged gzip archive/);
  });

  it('rejects an archive without test_batch.bin', () => {
    const archive = makeArchive('notest', ['data_batch_1.bin', 'batches.meta.txt']);
    expect(() => parseCifarArchive(archive, 'a.tar.gz')).toThrow('a.tar.gz has no test_batch.bin');
  });

  it('rejects an archive without data batches', () => {
    const archive = makeArchive('nodata', ['test_batch.bin', 'batches.meta.txt']);
    expect(() => parseCifarArchive(archive, 'a.tar.gz')).toThrow('a.tar.gz has no data_batch_N.bin');
  });

  it('rejects a gap in the data batches', () => {
    const archive = makeArchive('gap', ['data_batch_1.bin', 'data_batch_3.bin', 'test_batch.bin']);
    expect(() => parseCifarArchive(archive, 'a.tar.gz')).toThrow('data_batch_2.bin is missing');
  });

  it('rejects a damaged batch inside the archive, naming it', () => {
    const root = join(work, 'damaged', 'cifar-10-batches-bin');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'test_batch.bin'), readBatchFile(SHARED_CIFAR10, 'test_batch.bin').subarray(0, 5000));
    writeFileSync(join(root, 'data_batch_1.bin'), readBatchFile(SHARED_CIFAR10, 'data_batch_1.bin').subarray(0, 3073));
    const out = join(work, 'damaged.tar.gz');
    execFileSync('sh', ['-c', `tar -czf "${out}" -C "${join(work, 'damaged')}" cifar-10-batches-bin`]);
    expect(() => parseCifarArchive(new Uint8Array(readFileSync(out)), 'd.tar.gz')).toThrow(
      /cifar-10-batches-bin\/test_batch\.bin is 5,000 bytes long/,
    );
  });
});

describe('readTar', () => {
  it('reads long (GNU and pax) names written by the system tar', () => {
    const deep = join(work, 'long', 'a'.repeat(60), 'b'.repeat(60));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'x.txt'), 'hello');
    for (const format of ['gnu', 'pax', 'ustar']) {
      const out = join(work, `long-${format}.tar`);
      execFileSync('tar', ['--format', format, '-cf', out, '-C', join(work, 'long'), '.']);
      const entries = readTar(new Uint8Array(readFileSync(out)));
      const file = entries.find((e) => e.path.endsWith('/x.txt'));
      expect(file?.path).toBe(`./${'a'.repeat(60)}/${'b'.repeat(60)}/x.txt`);
      expect(new TextDecoder().decode(file!.data)).toBe('hello');
    }
  });
});
