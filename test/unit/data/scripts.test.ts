// The data scripts, run for real on the shared CIFAR-10 copy, writing into temporary folders.
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_BYTES, classCounts, parseCifarBatch, parseCifarBatches } from '../../../src/data/cifar';
import { parseManifest } from '../../../src/data/manifest';
import {
  BATCH_FILES,
  SHARED_CIFAR10,
  batchesDir,
  readBatchFile,
  sha256,
  verifySha256Sums,
} from '../../../scripts/cifar-source';
import { download, fetchCifar10 } from '../../../scripts/fetch-cifar10';
import { makeSubset } from '../../../scripts/make-subset';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
let work: string;

beforeAll(() => {
  verifySha256Sums(SHARED_CIFAR10);
  work = mkdtempSync(join(tmpdir(), 'cifar-scripts-'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** A copy of the shared folder (symlinks) whose test_batch.bin has one changed byte. */
function tamperedCopy(name: string): string {
  const root = join(work, name);
  const dir = join(root, 'cifar-10-batches-bin');
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(SHARED_CIFAR10, 'SHA256SUMS'), join(root, 'SHA256SUMS'));
  for (const f of [...BATCH_FILES, 'batches.meta.txt']) {
    if (f !== 'test_batch.bin') symlinkSync(join(batchesDir(SHARED_CIFAR10), f), join(dir, f));
  }
  const bytes = readBatchFile(SHARED_CIFAR10, 'test_batch.bin').slice();
  bytes[5000] ^= 1;
  writeFileSync(join(dir, 'test_batch.bin'), bytes);
  return root;
}

describe('verifySha256Sums', () => {
  it('names the file that does not match', () => {
    const root = tamperedCopy('tampered-sums');
    expect(() => verifySha256Sums(root)).toThrow(/test_batch\.bin does not match .*SHA256SUMS/);
  });
});

describe('make-subset', () => {
  it('writes 5,000 + 1,000 real, class-balanced images and lists them in datasets.json', () => {
    const out = join(work, 'subset');
    const entry = makeSubset(SHARED_CIFAR10, out, 1);
    const dir = join(out, 'cifar10-subset');
    const train = parseCifarBatch(new Uint8Array(readFileSync(join(dir, 'data_batch_1.bin'))));
    const test = parseCifarBatch(new Uint8Array(readFileSync(join(dir, 'test_batch.bin'))));
    expect(train.count).toBe(5000);
    expect(test.count).toBe(1000);
    expect(classCounts(train.labels)).toEqual(new Array(10).fill(500));
    expect(classCounts(test.labels)).toEqual(new Array(10).fill(100));
    expect(readFileSync(join(dir, 'batches.meta.txt'), 'utf8').split('\n')[9]).toBe('truck');
    expect(parseManifest(readJson(join(out, 'datasets.json')))).toEqual([entry]);

    // Every subset image is an image of the real split, with its label, and none is repeated.
    const fullTest = parseCifarBatch(readBatchFile(SHARED_CIFAR10, 'test_batch.bin'));
    const known = new Map<string, number>();
    for (let i = 0; i < fullTest.count; i++) {
      known.set(sha256(fullTest.images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES)), fullTest.labels[i]);
    }
    const seen = new Set<string>();
    for (let i = 0; i < test.count; i++) {
      const h = sha256(test.images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES));
      expect(known.get(h)).toBe(test.labels[i]);
      seen.add(h);
    }
    expect(seen.size).toBe(1000);

    // The training subset draws on all five batches, not just the first.
    const fullTrain = parseCifarBatches(
      [1, 2, 3, 4, 5].map((n) => ({ bytes: readBatchFile(SHARED_CIFAR10, `data_batch_${n}.bin`), source: '' })),
    );
    const last = sha256(train.images.subarray(4999 * IMAGE_BYTES));
    let where = -1;
    for (let i = 40_000; i < fullTrain.count && where < 0; i++) {
      if (sha256(fullTrain.images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES)) === last) where = i;
    }
    expect(where).toBeGreaterThanOrEqual(40_000);
  });

  it('reproduces the committed bundled subset byte for byte', () => {
    const out = join(work, 'again');
    makeSubset(SHARED_CIFAR10, out, 1);
    for (const f of ['data_batch_1.bin', 'test_batch.bin', 'batches.meta.txt']) {
      const fresh = readFileSync(join(out, 'cifar10-subset', f));
      const committed = readFileSync(join(ROOT, 'public', 'data', 'cifar10-subset', f));
      expect(sha256(fresh)).toBe(sha256(committed));
    }
  });

  it('refuses input that does not match SHA256SUMS and writes nothing', () => {
    const out = join(work, 'subset-bad');
    expect(() => makeSubset(tamperedCopy('tampered-subset'), out, 1)).toThrow(/test_batch\.bin does not match/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('fetch-cifar10', () => {
  it('installs the full set from a local folder through the command line, keeping the subset entry first', () => {
    const out = join(work, 'full');
    makeSubset(SHARED_CIFAR10, out, 1);
    execFileSync('npx', ['tsx', 'scripts/fetch-cifar10.ts', '--from', SHARED_CIFAR10, '--out', out], {
      cwd: ROOT,
      stdio: 'pipe',
    });
    for (const f of BATCH_FILES) {
      expect(sha256(readFileSync(join(out, 'cifar10-full', f)))).toBe(sha256(readBatchFile(SHARED_CIFAR10, f)));
    }
    const entries = parseManifest(readJson(join(out, 'datasets.json')));
    expect(entries.map((e) => e.id)).toEqual(['cifar10-subset', 'cifar10']);
    expect(entries[1]).toMatchObject({ path: 'cifar10-full', train: 50_000, test: 10_000 });
  });

  it('installs the full set from a real .tar.gz archive', async () => {
    const archive = join(work, 'cifar-10-binary.tar.gz');
    execFileSync('sh', ['-c', `tar -chf - -C "${SHARED_CIFAR10}" cifar-10-batches-bin | gzip -1 > "${archive}"`]);
    const out = join(work, 'from-archive');
    const entry = await fetchCifar10(archive, out);
    expect(entry.id).toBe('cifar10');
    expect(sha256(readFileSync(join(out, 'cifar10-full', 'data_batch_4.bin')))).toBe(
      sha256(readBatchFile(SHARED_CIFAR10, 'data_batch_4.bin')),
    );
  });

  it('refuses a changed file, saying which, and writes nothing', async () => {
    const out = join(work, 'full-bad');
    await expect(fetchCifar10(tamperedCopy('tampered-fetch'), out)).rejects.toThrow(
      /test_batch\.bin is not the official file .*nothing was written/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('says what to do when a path does not exist', async () => {
    await expect(fetchCifar10(join(work, 'nope'), join(work, 'x'))).rejects.toThrow(/no such file or folder/);
  });
});

describe('fetch-cifar10 download (against a local server: the real one is out of reach here)', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/cifar-10-binary.tar.gz') res.end(Buffer.from('not the archive'));
      else res.writeHead(404).end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('fails with what to do instead when the server cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((done) => closed.close(() => done()));
    await expect(download(`http://127.0.0.1:${port}/x.tar.gz`)).rejects.toThrow(
      /could not download .* pass a local copy: npm run data:cifar10 -- --from PATH/,
    );
  });

  it('reports an HTTP error and a wrong md5', async () => {
    await expect(download(`${base}/missing`)).rejects.toThrow(/HTTP 404/);
    await expect(download(`${base}/cifar-10-binary.tar.gz`)).rejects.toThrow(
      /md5 [0-9a-f]{32}, expected c32a1d4ab5d03f1284b67883e8d87530/,
    );
  });
});
