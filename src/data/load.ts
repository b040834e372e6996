// Getting data into the page: the datasets listed in data/datasets.json (fetched relative to the page), or a file
// the user drops (the official .tar.gz, a plain .tar, or one CIFAR .bin). No React, no tf.
import { cifarFromTarEntries, isGzip, parseCifarArchive } from './archive';
import {
  CLASS_NAMES,
  DatasetError,
  classCounts,
  parseBatchesMeta,
  parseCifarBatches,
  selectRecords,
  type CifarSplit,
} from './cifar';
import { MANIFEST_FILE, parseManifest, type DatasetEntry } from './manifest';
import { balancedSplit } from './subset';
import { readTar } from './tar';

export const DATA_BASE = 'data/';
/** A dropped single .bin file is split: this fraction of each class becomes the test split. */
export const DROPPED_TEST_FRACTION = 1 / 6;
export const DROPPED_ID = 'dropped';

export interface LoadedDataset {
  id: string;
  name: string;
  classNames: string[];
  train: CifarSplit;
  test: CifarSplit;
  trainCounts: number[];
  testCounts: number[];
  source: 'bundled' | 'dropped';
}

/** A datasets.json entry and whether its files are really there (the full set is only after npm run data:cifar10). */
export interface DatasetOption extends DatasetEntry {
  available: boolean;
}

function baseUrl(base: string): URL {
  return new URL(base, document.baseURI);
}

function loaded(
  id: string,
  name: string,
  classNames: string[],
  train: CifarSplit,
  test: CifarSplit,
  source: LoadedDataset['source'],
): LoadedDataset {
  return {
    id,
    name,
    classNames,
    train,
    test,
    trainCounts: classCounts(train.labels, classNames.length),
    testCounts: classCounts(test.labels, classNames.length),
    source,
  };
}

/** A dev or preview server answers a missing file with index.html; that is "missing", not a broken batch. */
function looksMissing(response: Response): boolean {
  return !response.ok || (response.headers.get('content-type') ?? '').includes('text/html');
}

async function fetchBytes(url: URL): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new DatasetError(`${url.pathname} could not be fetched (${String(e)})`);
  }
  if (looksMissing(response)) {
    throw new DatasetError(`${url.pathname} is missing on the server (HTTP ${response.status})`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** The datasets of datasets.json, each marked available when its first training file exists. */
export async function fetchDatasetList(base = DATA_BASE): Promise<DatasetOption[]> {
  const url = new URL(MANIFEST_FILE, baseUrl(base));
  const response = await fetch(url);
  if (looksMissing(response)) throw new DatasetError(`${url.pathname} is missing (run npm run data:subset)`);
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    throw new DatasetError(`${url.pathname} is not valid JSON`);
  }
  const entries = parseManifest(json, url.pathname);
  return Promise.all(
    entries.map(async (entry) => {
      const first = new URL(`${entry.path}/${entry.trainFiles[0]}`, url);
      const head = await fetch(first, { method: 'HEAD' }).catch(() => null);
      return { ...entry, available: head !== null && !looksMissing(head) };
    }),
  );
}

async function fetchSplit(entry: DatasetEntry, files: string[], expected: number, base: URL): Promise<CifarSplit> {
  const parts = await Promise.all(
    files.map(async (file) => {
      const url = new URL(`${entry.path}/${file}`, base);
      return { bytes: await fetchBytes(url), source: url.pathname };
    }),
  );
  const split = parseCifarBatches(parts);
  if (split.count !== expected) {
    throw new DatasetError(`${entry.id}: datasets.json promises ${expected} images, the files hold ${split.count}`);
  }
  return split;
}

/** Fetches and parses the .bin files of one datasets.json entry. */
export async function fetchDataset(entry: DatasetEntry, base = DATA_BASE): Promise<LoadedDataset> {
  const root = new URL(MANIFEST_FILE, baseUrl(base));
  const [train, test, meta] = await Promise.all([
    fetchSplit(entry, entry.trainFiles, entry.train, root),
    fetchSplit(entry, entry.testFiles, entry.test, root),
    fetch(new URL(`${entry.path}/batches.meta.txt`, root))
      .then((r) => (looksMissing(r) ? null : r.text()))
      .catch(() => null),
  ]);
  // The binary format fixes the label order, so the standard names are right when the meta file is absent.
  const classNames = meta ? parseBatchesMeta(meta, `${entry.path}/batches.meta.txt`) : [...CLASS_NAMES];
  return loaded(entry.id, entry.name, classNames, train, test, 'bundled');
}

/**
 * Parses a dropped file: the official cifar-10-binary.tar.gz (or any .tar.gz/.tar with the same files), or one
 * CIFAR .bin file, split class-balanced into train and test (a single file has no test split of its own).
 */
export function parseDroppedFile(fileName: string, bytes: Uint8Array): LoadedDataset {
  const name = `${fileName} (dropped)`;
  if (bytes.length === 0) throw new DatasetError(`${fileName} is empty (0 bytes)`);
  // A file named as an archive is read as one, so that junk named .tar.gz is reported as an unreadable archive, not
  // as a malformed CIFAR .bin.
  if (isGzip(bytes) || /\.t?gz$/i.test(fileName)) {
    const ds = parseCifarArchive(bytes, fileName);
    return loaded(DROPPED_ID, name, ds.classNames, ds.train, ds.test, 'dropped');
  }
  if (/\.tar$/i.test(fileName)) {
    const ds = cifarFromTarEntries(readTar(bytes, fileName), fileName);
    return loaded(DROPPED_ID, name, ds.classNames, ds.train, ds.test, 'dropped');
  }
  const all = parseCifarBatches([{ bytes, source: fileName }]);
  if (all.count < 2) throw new DatasetError(`${fileName} holds ${all.count} image; at least 2 are needed`);
  const { kept, heldOut } = balancedSplit(all.labels, DROPPED_TEST_FRACTION, 1);
  return loaded(
    DROPPED_ID,
    `${name}: ${kept.length} train / ${heldOut.length} test, split from one file`,
    [...CLASS_NAMES],
    selectRecords(all, kept),
    selectRecords(all, heldOut),
    'dropped',
  );
}
