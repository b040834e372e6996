// Node-only helpers shared by the data scripts and the data tests: find a local CIFAR-10 binary folder,
// check it against SHA256SUMS, read its files. Kept out of src/ because the browser never needs node:crypto.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shared copy of the real data set, relative to the repository root. */
export const SHARED_CIFAR10 = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'shared', 'cifar10');

export const BATCH_FILES = [
  'data_batch_1.bin',
  'data_batch_2.bin',
  'data_batch_3.bin',
  'data_batch_4.bin',
  'data_batch_5.bin',
  'test_batch.bin',
] as const;

/** Accepts the folder holding cifar-10-batches-bin/ (and SHA256SUMS) or cifar-10-batches-bin/ itself. */
export function batchesDir(from: string): string {
  const nested = join(from, 'cifar-10-batches-bin');
  if (existsSync(join(nested, 'test_batch.bin'))) return nested;
  if (existsSync(join(from, 'test_batch.bin'))) return from;
  throw new Error(`${from}: no test_batch.bin here or in cifar-10-batches-bin/ (is this a CIFAR-10 binary folder?)`);
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const verified = new Set<string>();

/**
 * Reads SHA256SUMS (in `from` or its parent: it names files as cifar-10-batches-bin/...) and checks every file it
 * lists (or only those whose base names are in `only`). Throws naming the first file that is missing or does not
 * match. Returns the checked paths.
 */
export function verifySha256Sums(from: string, only?: readonly string[]): string[] {
  const dir = batchesDir(from);
  const sumsPath = [join(from, 'SHA256SUMS'), join(dir, '..', 'SHA256SUMS'), join(dir, 'SHA256SUMS')].find((p) =>
    existsSync(p),
  );
  if (!sumsPath) throw new Error(`${from}: no SHA256SUMS file to verify the data against`);
  const root = resolve(sumsPath, '..');
  const checked: string[] = [];
  for (const line of readFileSync(sumsPath, 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64})\s+\*?(.+)$/.exec(line.trim());
    if (!m) continue;
    const file = resolve(root, m[2]);
    if (only && !only.includes(basename(file))) continue;
    if (verified.has(file)) {
      checked.push(file);
      continue;
    }
    if (!existsSync(file)) throw new Error(`${file} is listed in ${sumsPath} but missing`);
    const actual = sha256(readFileSync(file));
    if (actual !== m[1]) {
      throw new Error(`${file} does not match ${sumsPath}: sha256 ${actual}, expected ${m[1]} (damaged or changed?)`);
    }
    verified.add(file);
    checked.push(file);
  }
  if (checked.length === 0) throw new Error(`${sumsPath} lists none of the files to check`);
  return checked;
}

/** The bytes of one file of the binary folder (call verifySha256Sums first). */
export function readBatchFile(from: string, name: string): Uint8Array {
  const path = join(batchesDir(from), name);
  if (!existsSync(path) || !statSync(path).isFile()) throw new Error(`${path} is missing`);
  const buf = readFileSync(path);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
