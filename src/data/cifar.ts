// The CIFAR-10 "binary version": records of 1 label byte + 3,072 pixel bytes (red, green, blue 32x32 planes),
// no header, no delimiter. We keep the bytes in exactly that planar layout; batching converts to NHWC floats later.

export const IMAGE_SIZE = 32;
export const CHANNELS = 3;
export const PLANE_BYTES = IMAGE_SIZE * IMAGE_SIZE;
export const IMAGE_BYTES = CHANNELS * PLANE_BYTES;
export const RECORD_BYTES = 1 + IMAGE_BYTES;
export const NUM_CLASSES = 10;

/** Label i names class i, as in batches.meta.txt of the official archive. */
export const CLASS_NAMES: readonly string[] = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

/** Bad dataset input (wrong size, bad label, broken archive, missing file). The message says what and where. */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

/** One split: `count` images of IMAGE_BYTES each (planar R, G, B) and their labels. */
export interface CifarSplit {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

/** Parses one .bin file; `source` names it in error messages. */
export function parseCifarBatch(bytes: Uint8Array, source = 'CIFAR-10 batch'): CifarSplit {
  return parseCifarBatches([{ bytes, source }]);
}

/**
 * Parses several .bin files into one split, in order (data_batch_1..5 into the training split). Every file is
 * checked before anything is allocated, and the records are copied once: the full training set is 150 MB.
 */
export function parseCifarBatches(files: readonly { bytes: Uint8Array; source: string }[]): CifarSplit {
  let count = 0;
  for (const { bytes, source } of files) {
    if (bytes.length === 0) throw new DatasetError(`${source} is empty (0 bytes)`);
    if (bytes.length % RECORD_BYTES !== 0) {
      throw new DatasetError(
        `${source} is ${bytes.length.toLocaleString('en-US')} bytes long, not a multiple of the CIFAR-10 record ` +
          `size (${RECORD_BYTES} bytes: 1 label byte + ${IMAGE_BYTES} pixel bytes); is it a CIFAR-10 binary file?`,
      );
    }
    count += bytes.length / RECORD_BYTES;
  }
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  let n = 0;
  for (const { bytes, source } of files) {
    const records = bytes.length / RECORD_BYTES;
    for (let i = 0; i < records; i++, n++) {
      const at = i * RECORD_BYTES;
      const label = bytes[at];
      if (label >= NUM_CLASSES) {
        throw new DatasetError(
          `${source}: record ${i} (byte offset ${at}) has label ${label}, outside 0-${NUM_CLASSES - 1}`,
        );
      }
      labels[n] = label;
      images.set(bytes.subarray(at + 1, at + RECORD_BYTES), n * IMAGE_BYTES);
    }
  }
  return { images, labels, count };
}

/** The inverse of parseCifarBatch: the bytes of a .bin file holding `split`. */
export function encodeCifarBatch(split: CifarSplit): Uint8Array {
  const out = new Uint8Array(split.count * RECORD_BYTES);
  for (let i = 0; i < split.count; i++) {
    out[i * RECORD_BYTES] = split.labels[i];
    out.set(split.images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES), i * RECORD_BYTES + 1);
  }
  return out;
}

/** batches.meta.txt: one class name per line, line i names label i; blank lines (the file ends with two) ignored. */
export function parseBatchesMeta(text: string, source = 'batches.meta.txt'): string[] {
  const names = text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length !== NUM_CLASSES) {
    throw new DatasetError(`${source} names ${names.length} classes; CIFAR-10 has ${NUM_CLASSES}`);
  }
  return names;
}

export function formatBatchesMeta(names: readonly string[]): string {
  return names.join('\n') + '\n\n';
}

/** Concatenates splits in order (data_batch_1..5 into one training split). */
export function concatSplits(splits: readonly CifarSplit[]): CifarSplit {
  const count = splits.reduce((n, s) => n + s.count, 0);
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const s of splits) {
    images.set(s.images.subarray(0, s.count * IMAGE_BYTES), at * IMAGE_BYTES);
    labels.set(s.labels.subarray(0, s.count), at);
    at += s.count;
  }
  return { images, labels, count };
}

/** A new split holding the given records of `split`, in the given order. */
export function selectRecords(split: CifarSplit, indices: ArrayLike<number>): CifarSplit {
  const count = indices.length;
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const src = indices[i];
    if (src < 0 || src >= split.count) throw new RangeError(`record ${src} is outside 0-${split.count - 1}`);
    labels[i] = split.labels[src];
    images.set(split.images.subarray(src * IMAGE_BYTES, (src + 1) * IMAGE_BYTES), i * IMAGE_BYTES);
  }
  return { images, labels, count };
}

/** Images per class (index = label). */
export function classCounts(labels: Uint8Array, numClasses = NUM_CLASSES): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}
