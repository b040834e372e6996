// Node-only helpers shared by the data scripts and the data tests: find a local CIFAR-10 binary folder,
// check it against SHA256SUMS, read its files. Kept out of src/ because the browser never needs node:crypto.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFEST_FILE, parseManifest, type DatasetEntry } from '../src/data/manifest';

/** The real data set: $CIFAR10_DIR, else the shared copy beside the repository (../shared/cifar10). */
export const SHARED_CIFAR10 = process.env.CIFAR10_DIR
  ? resolve(process.env.CIFAR10_DIR)
  : resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'shared', 'cifar10');

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

/**
 * SHA-256 of the six .bin files of the official cifar-10-binary.tar.gz (the same as ../shared/cifar10/SHA256SUMS),
 * so a copy from anywhere (folder, archive, download) is checked against the real data set.
 */
export const OFFICIAL_SHA256: Readonly<Record<(typeof BATCH_FILES)[number], string>> = {
  'data_batch_1.bin': 'cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5',
  'data_batch_2.bin': 'a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed',
  'data_batch_3.bin': 'bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67',
  'data_batch_4.bin': '014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48',
  'data_batch_5.bin': '755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add',
  'test_batch.bin': '8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b',
};

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

/** Command-line options of the data scripts: `--name value` pairs (npm passes them after `--`). */
export function parseArgs(argv: readonly string[], known: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m || !known.includes(m[1])) {
      throw new Error(`unknown argument '${argv[i]}' (known: ${known.map((k) => `--${k}`).join(', ')})`);
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${m[1]} needs a value`);
    out[m[1]] = value;
  }
  return out;
}

/** Reads datasets.json from `dir` (an empty list when absent). */
export function readManifest(dir: string): DatasetEntry[] {
  const path = join(dir, MANIFEST_FILE);
  return existsSync(path) ? parseManifest(JSON.parse(readFileSync(path, 'utf8')), path) : [];
}

export function writeManifest(dir: string, entries: readonly DatasetEntry[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(entries, null, 2) + '\n');
}
