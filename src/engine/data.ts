// The data side of a comparison: which images each step trains on (shared by both runs, so EP and iEP see the
// same batches in the same order) and the test batches for evaluation. Batching itself is src/data/batches.ts.
import type { CifarSplit } from '../data/cifar';
import { EpochShuffler, evalBatch, trainBatch } from '../data/batches';
import { deriveSeed, mulberry32 } from '../util/random';
import type { Batch } from './search';

export interface SearchData {
  train: CifarSplit;
  test: CifarSplit;
}

/** The first `limit` records of a split (null = all). */
export function limitSplit(split: CifarSplit, limit: number | null): CifarSplit {
  if (limit === null || limit >= split.count) return split;
  return {
    images: split.images.subarray(0, limit * 3072),
    labels: split.labels.subarray(0, limit),
    count: limit,
  };
}

/**
 * Step t's batch depends only on (seed, t): epoch floor(t / stepsPerEpoch) has its own seeded permutation and step
 * t its own augmentation stream, so a restored run draws exactly the batches it would have drawn.
 */
export class BatchOrder {
  private readonly shuffler: EpochShuffler;
  private cached: { epoch: number; order: Int32Array } | null = null;

  constructor(
    private readonly train: CifarSplit,
    private readonly seed: number,
    private readonly batchSize: number,
  ) {
    this.shuffler = new EpochShuffler(deriveSeed(seed, 'data/order'), train.count);
  }

  get stepsPerEpoch(): number {
    return Math.ceil(this.train.count / this.batchSize);
  }

  indices(step: number): Int32Array {
    const epoch = Math.floor(step / this.stepsPerEpoch);
    if (this.cached?.epoch !== epoch) this.cached = { epoch, order: this.shuffler.forEpoch(epoch) };
    const b = step % this.stepsPerEpoch;
    return this.cached.order.subarray(b * this.batchSize, Math.min(this.train.count, (b + 1) * this.batchSize));
  }

  batch(step: number): Batch {
    return trainBatch(this.train, this.indices(step), mulberry32(deriveSeed(this.seed, `data/augment/${step}`)));
  }
}

/** Test batches over the first `count` test images. */
export function* testBatches(test: CifarSplit, count: number, size = 250): Generator<Batch> {
  for (let start = 0; start < count; start += size) yield evalBatch(test, start, Math.min(size, count - start));
}

/** What a run needs from a driver: its step count, and one step on a batch. */
export interface Steppable {
  readonly stepsDone: number;
  step(batch: Batch): void;
}

/**
 * One step of `run` on the order's batch for its next step, disposed after: how a run outside the comparison (the
 * dense baseline, IteRand, until protocol v2 lists them) trains on the same batches as EP and iEP.
 */
export function stepOn(order: BatchOrder, run: Steppable): void {
  const batch = order.batch(run.stepsDone);
  try {
    run.step(batch);
  } finally {
    batch.x.dispose();
    batch.y.dispose();
  }
}
