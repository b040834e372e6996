// npm run data:cifar10 [-- --from PATH] [--out DIR]
// Puts the full CIFAR-10 binary set (50,000 train / 10,000 test) into public/data/cifar10-full/ and lists it in
// datasets.json as 'cifar10'. PATH is a folder (holding cifar-10-batches-bin/, or that folder itself) or the
// official cifar-10-binary.tar.gz; without --from the official archive is downloaded. Every .bin file is checked
// against the official SHA-256, so nothing but the real data set ever lands there.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzip } from '../src/data/archive';
import { CLASS_NAMES, formatBatchesMeta, parseBatchesMeta } from '../src/data/cifar';
import { upsertEntry, type DatasetEntry } from '../src/data/manifest';
import { readTar } from '../src/data/tar';
import {
  BATCH_FILES,
  OFFICIAL_SHA256,
  batchesDir,
  parseArgs,
  readManifest,
  sha256,
  writeManifest,
} from './cifar-source';

export const FULL_ID = 'cifar10';
export const FULL_DIR = 'cifar10-full';
export const ARCHIVE_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const ARCHIVE_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';

type Files = Map<string, Uint8Array>;

function fromFolder(path: string): Files {
  const dir = batchesDir(path);
  const files: Files = new Map();
  for (const name of [...BATCH_FILES, 'batches.meta.txt']) {
    const file = join(dir, name);
    if (existsSync(file)) files.set(name, new Uint8Array(readFileSync(file)));
  }
  return files;
}

function fromArchive(bytes: Uint8Array, source: string): Files {
  const files: Files = new Map();
  for (const entry of readTar(gunzip(bytes, source), source)) {
    const name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
    if ((BATCH_FILES as readonly string[]).includes(name) || name === 'batches.meta.txt') files.set(name, entry.data);
  }
  return files;
}

/** The official archive, md5-checked; offline it fails with what to do instead. */
export async function download(url: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  } catch (e) {
    const cause = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    throw new Error(
      `could not download ${url} (${cause}). Without internet, pass a local copy: ` +
        `npm run data:cifar10 -- --from PATH (a folder with cifar-10-batches-bin/, or cifar-10-binary.tar.gz)`,
    );
  }
  if (!response.ok) throw new Error(`could not download ${url}: HTTP ${response.status} ${response.statusText}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const md5 = createHash('md5').update(bytes).digest('hex');
  if (md5 !== ARCHIVE_MD5) throw new Error(`${url}: md5 ${md5}, expected ${ARCHIVE_MD5} (damaged download?)`);
  return bytes;
}

/** Checks every batch against the official hash, then writes them and updates datasets.json. */
export function installFullSet(files: Files, outDir: string, source: string): DatasetEntry {
  for (const name of BATCH_FILES) {
    const bytes = files.get(name);
    if (!bytes) throw new Error(`${source} has no ${name}; nothing was written`);
    const hash = sha256(bytes);
    if (hash !== OFFICIAL_SHA256[name]) {
      throw new Error(`${source}: ${name} is not the official file (sha256 ${hash}); nothing was written`);
    }
  }
  const meta = files.get('batches.meta.txt');
  const classNames = meta ? parseBatchesMeta(new TextDecoder().decode(meta)) : [...CLASS_NAMES];

  const dir = join(outDir, FULL_DIR);
  mkdirSync(dir, { recursive: true });
  for (const name of BATCH_FILES) writeFileSync(join(dir, name), files.get(name)!);
  writeFileSync(join(dir, 'batches.meta.txt'), formatBatchesMeta(classNames));

  const entry: DatasetEntry = {
    id: FULL_ID,
    name: 'CIFAR-10 (full: 50,000 train / 10,000 test)',
    path: FULL_DIR,
    train: 50_000,
    test: 10_000,
    trainFiles: BATCH_FILES.filter((f) => f.startsWith('data_batch')),
    testFiles: ['test_batch.bin'],
  };
  writeManifest(outDir, upsertEntry(readManifest(outDir), entry));
  return entry;
}

export async function fetchCifar10(from: string | undefined, outDir: string): Promise<DatasetEntry> {
  if (from === undefined)
    return installFullSet(fromArchive(await download(ARCHIVE_URL), ARCHIVE_URL), outDir, ARCHIVE_URL);
  if (!existsSync(from)) throw new Error(`--from ${from}: no such file or folder`);
  const files = statSync(from).isDirectory() ? fromFolder(from) : fromArchive(new Uint8Array(readFileSync(from)), from);
  return installFullSet(files, outDir, from);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['from', 'out']);
  const out = resolve(args.out ?? 'public/data');
  const entry = await fetchCifar10(args.from === undefined ? undefined : resolve(args.from), out);
  console.log(`wrote ${entry.train} train + ${entry.test} test images to ${join(out, entry.path)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(`data:cifar10 failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
