// npm run data:subset [-- --from PATH] [--out DIR] [--seed N]
// Writes the bundled data set: a class-balanced, seeded 5,000-image training subset (500 per class, drawn from all
// 50,000 training images) and a 1,000-image test subset (100 per class), as CIFAR-10 binary files, and lists it in
// datasets.json. The input must match SHA256SUMS: the bundled data is real CIFAR-10 or nothing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CLASS_NAMES,
  encodeCifarBatch,
  formatBatchesMeta,
  parseCifarBatch,
  parseCifarBatches,
  selectRecords,
} from '../src/data/cifar';
import type { DatasetEntry } from '../src/data/manifest';
import { balancedSubset } from '../src/data/subset';
import {
  BATCH_FILES,
  SHARED_CIFAR10,
  parseArgs,
  readBatchFile,
  readManifest,
  verifySha256Sums,
  writeManifest,
} from './cifar-source';

export const SUBSET_ID = 'cifar10-subset';
const TRAIN_PER_CLASS = 500;
const TEST_PER_CLASS = 100;

export function makeSubset(from: string, outDir: string, seed = 1): DatasetEntry {
  verifySha256Sums(from);
  const train = parseCifarBatches(
    BATCH_FILES.filter((f) => f.startsWith('data_batch')).map((f) => ({ bytes: readBatchFile(from, f), source: f })),
  );
  const test = parseCifarBatch(readBatchFile(from, 'test_batch.bin'), 'test_batch.bin');

  const trainSubset = selectRecords(train, balancedSubset(train.labels, TRAIN_PER_CLASS, seed));
  const testSubset = selectRecords(test, balancedSubset(test.labels, TEST_PER_CLASS, seed));

  const dir = join(outDir, SUBSET_ID);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'data_batch_1.bin'), encodeCifarBatch(trainSubset));
  writeFileSync(join(dir, 'test_batch.bin'), encodeCifarBatch(testSubset));
  writeFileSync(join(dir, 'batches.meta.txt'), formatBatchesMeta(CLASS_NAMES));

  const entry: DatasetEntry = {
    id: SUBSET_ID,
    name: `CIFAR-10 subset (${trainSubset.count.toLocaleString('en-US')} train / ${testSubset.count.toLocaleString('en-US')} test, seed ${seed})`,
    path: SUBSET_ID,
    train: trainSubset.count,
    test: testSubset.count,
    trainFiles: ['data_batch_1.bin'],
    testFiles: ['test_batch.bin'],
  };
  // The subset always comes first: it is what the page loads by default.
  writeManifest(outDir, [entry, ...readManifest(outDir).filter((e) => e.id !== SUBSET_ID)]);
  return entry;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2), ['from', 'out', 'seed']);
  const from = resolve(args.from ?? SHARED_CIFAR10);
  const out = resolve(args.out ?? 'public/data');
  const seed = args.seed === undefined ? 1 : Number(args.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got '${args.seed}'`);
  const entry = makeSubset(from, out, seed);
  console.log(`wrote ${entry.train} train + ${entry.test} test images to ${join(out, entry.path)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (e) {
    console.error(`data:subset failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
