// Shared test fixtures: real CIFAR-10 from ../shared/cifar10 and tiny configs that train in seconds on 2 cores.
import { parseCifarBatch, type CifarSplit } from '../../../src/data/cifar';
import {
  defaultConfig,
  withIep,
  type LocalConfig,
  type IepConfig,
  type IteRandConfig,
  type RunId,
} from '../../../src/protocol/config';
import type { Comparison } from '../../../src/engine/comparison';
import type { SearchData } from '../../../src/engine/data';
import { Search } from '../../../src/engine/search';
import type { DatasetPayload } from '../../../src/protocol/messages';
import { BatchOrder, limitSplit } from '../../../src/engine/data';
import type { BrowserEp, PytorchBench } from '../../../scripts/bench/pytorch';
import { readBatchFile, SHARED_CIFAR10, verifySha256Sums } from '../../../scripts/cifar-source';

const cache = new Map<string, CifarSplit>();

/** A batch file of the real set, checked against SHA256SUMS the first time it is read. */
function load(file: string): CifarSplit {
  if (!cache.has(file)) {
    verifySha256Sums(SHARED_CIFAR10, [file]);
    cache.set(file, parseCifarBatch(readBatchFile(SHARED_CIFAR10, file), file));
  }
  return cache.get(file)!;
}

/** The first `train` images of data_batch_1 and the first `test` of test_batch. */
export function cifar(train: number, test: number): SearchData {
  return { train: limitSplit(load('data_batch_1.bin'), train), test: limitSplit(load('test_batch.bin'), test) };
}

/** Shared fields to override, and `iep`: a change to every iEP run's settings (the default runs are EP and iEP). */
export type TinyOverrides = Partial<LocalConfig> & { iep?: Partial<IepConfig> };

export function tinyConfig({ iep = {}, ...overrides }: TinyOverrides = {}): LocalConfig {
  const config: LocalConfig = {
    ...defaultConfig(),
    dataset: 'cifar10',
    model: 'conv2',
    width: 0.0625,
    batchSize: 8,
    epochs: 1,
    reportEvery: 5,
    ...overrides,
  };
  return withIep(config, iep);
}

/**
 * tinyConfig with four runs, one per method: EP, iEP, dense (`denseLearningRate`, null = the shared one) and
 * IteRand (`iterand`), ids 'ep', 'iep', 'dense', 'iterand'.
 */
export function fourRunConfig(
  overrides: TinyOverrides = {},
  iterand: IteRandConfig = { kPer: 3, lambda: 0.2 },
  denseLearningRate: number | null = null,
): LocalConfig {
  const config = tinyConfig(overrides);
  return {
    ...config,
    runs: [
      ...config.runs,
      { id: 'dense', label: 'dense', method: 'dense', dense: { learningRate: denseLearningRate } },
      { id: 'iterand', label: 'IteRand', method: 'iterand', iterand },
    ],
  };
}

/** The splits as the page sends them to the engine ('create'). */
export function cifarPayload(data: SearchData): DatasetPayload {
  return {
    id: 'cifar10',
    classNames: [],
    trainImages: data.train.images,
    trainLabels: data.train.labels,
    testImages: data.test.images,
    testLabels: data.test.labels,
  };
}

/** A comparison's run that searches a mask (EP, iEP, IteRand), to look at its scores, masks and usage. */
export function searchOf(c: Comparison, id: RunId): Search {
  const run = c.runs[id];
  if (!(run instanceof Search)) throw new Error(`run ${id} is not a search`);
  return run;
}

/**
 * The engine-against-PyTorch benchmark at its smallest (Conv-2 at 1/16 width, batch 8 of real CIFAR-10, one step a
 * round, two rounds, PyTorch on one thread), with or without the browser row.
 */
export function tinyPytorchBench(browser: BrowserEp | null): PytorchBench {
  const { train } = cifar(64, 0);
  const order = new BatchOrder(train, 1, 8);
  const base = { steps: 1, threads: [1], rounds: 2, profile: false };
  return { model: 'conv2', width: 0.0625, batch: 8, order, trainCount: train.count, ...base, browser };
}
