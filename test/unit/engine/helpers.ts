// Shared test fixtures: real CIFAR-10 from ../shared/cifar10 and tiny configs that train in seconds on 2 cores.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCifarBatch, type CifarSplit } from '../../../src/data/cifar';
import { defaultConfig, type ComparisonConfig } from '../../../src/protocol/config';
import type { SearchData } from '../../../src/engine/data';
import { limitSplit } from '../../../src/engine/data';

const DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../shared/cifar10/cifar-10-batches-bin',
);
const cache = new Map<string, CifarSplit>();

function load(file: string): CifarSplit {
  if (!cache.has(file)) cache.set(file, parseCifarBatch(new Uint8Array(readFileSync(path.join(DIR, file))), file));
  return cache.get(file)!;
}

/** The first `train` images of data_batch_1 and the first `test` of test_batch. */
export function cifar(train: number, test: number): SearchData {
  return { train: limitSplit(load('data_batch_1.bin'), train), test: limitSplit(load('test_batch.bin'), test) };
}

export function tinyConfig(overrides: Partial<ComparisonConfig> = {}): ComparisonConfig {
  return {
    ...defaultConfig(),
    dataset: 'cifar10',
    model: 'conv2',
    width: 0.0625,
    batchSize: 8,
    epochs: 1,
    reportEvery: 5,
    ...overrides,
    iep: { ...defaultConfig().iep, ...(overrides.iep ?? {}) },
  };
}
