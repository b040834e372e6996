// The official cifar-10-binary.tar.gz: gunzip (fflate), untar, parse. All of it or nothing: a missing test batch or
// a gap in data_batch_1..5 is an error, never a silently smaller dataset.
import { gunzipSync } from 'fflate';
import { CLASS_NAMES, DatasetError, parseBatchesMeta, parseCifarBatches, type CifarSplit } from './cifar';
import { readTar, type TarEntry } from './tar';

export interface CifarDataset {
  classNames: string[];
  train: CifarSplit;
  test: CifarSplit;
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export function gunzip(bytes: Uint8Array, source = 'archive'): Uint8Array {
  if (!isGzip(bytes)) {
    throw new DatasetError(
      `${source} could not be read as a .tar.gz archive: it is not gzip data (no 1f 8b at its start)`,
    );
  }
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new DatasetError(`${source} is a damaged gzip archive (${e instanceof Error ? e.message : String(e)})`);
  }
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The CIFAR-10 files of a tar archive by base name; the archive's folder name does not matter. */
export function cifarFromTarEntries(entries: readonly TarEntry[], source = 'archive'): CifarDataset {
  const byName = new Map<string, TarEntry>();
  for (const e of entries) byName.set(baseName(e.path), e);

  const test = byName.get('test_batch.bin');
  if (!test) throw new DatasetError(`${source} has no test_batch.bin`);

  const dataNumbers = [...byName.keys()]
    .map((n) => /^data_batch_(\d+)\.bin$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  if (dataNumbers.length === 0) throw new DatasetError(`${source} has no data_batch_N.bin (no training data)`);
  const gap = dataNumbers.findIndex((n, i) => n !== i + 1);
  if (gap >= 0) {
    throw new DatasetError(
      `${source} has data batches ${dataNumbers.join(', ')}: data_batch_${gap + 1}.bin is missing`,
    );
  }
  const trainFiles = dataNumbers.map((n) => {
    const entry = byName.get(`data_batch_${n}.bin`)!;
    return { bytes: entry.data, source: entry.path };
  });

  const meta = byName.get('batches.meta.txt');
  // The binary format fixes the label order, so the standard names are right when the meta file is absent.
  const classNames = meta ? parseBatchesMeta(new TextDecoder().decode(meta.data), meta.path) : [...CLASS_NAMES];

  return {
    classNames,
    train: parseCifarBatches(trainFiles),
    test: parseCifarBatches([{ bytes: test.data, source: test.path }]),
  };
}

/** Parses the official cifar-10-binary.tar.gz (or any .tar.gz with the same files). */
export function parseCifarArchive(bytes: Uint8Array, source = 'archive'): CifarDataset {
  if (bytes.length === 0) throw new DatasetError(`${source} is empty (0 bytes)`);
  const tar = gunzip(bytes, source);
  return cifarFromTarEntries(readTar(tar, source), source);
}
