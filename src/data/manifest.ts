// data/datasets.json: the datasets the page can load, written by the data scripts. Plain JSON, checked on read.
import { DatasetError } from './cifar';

export interface DatasetEntry {
  /** The id a ComparisonConfig names, e.g. 'cifar10-subset' or 'cifar10'. */
  id: string;
  name: string;
  /** Folder of the .bin files, relative to datasets.json. */
  path: string;
  /** Image counts per split. */
  train: number;
  test: number;
  /** CIFAR binary files of each split, concatenated in this order. */
  trainFiles: string[];
  testFiles: string[];
}

export const MANIFEST_FILE = 'datasets.json';

function isStringArray(x: unknown): x is string[] {
  return Array.isArray(x) && x.length > 0 && x.every((s) => typeof s === 'string' && s.length > 0);
}

/** Checks a parsed datasets.json; a bad entry is an error naming it, not a silently shorter list. */
export function parseManifest(json: unknown, source = MANIFEST_FILE): DatasetEntry[] {
  if (!Array.isArray(json)) throw new DatasetError(`${source} is not a JSON array of datasets`);
  return json.map((e: Partial<DatasetEntry>, i) => {
    const where = `${source}: entry ${i}${typeof e?.id === 'string' ? ` ('${e.id}')` : ''}`;
    if (typeof e !== 'object' || e === null) throw new DatasetError(`${where} is not an object`);
    for (const key of ['id', 'name', 'path'] as const) {
      if (typeof e[key] !== 'string' || e[key] === '') throw new DatasetError(`${where} has no ${key}`);
    }
    for (const key of ['train', 'test'] as const) {
      if (!Number.isInteger(e[key]) || (e[key] as number) <= 0) {
        throw new DatasetError(`${where}: ${key} must be a positive image count`);
      }
    }
    if (!isStringArray(e.trainFiles)) throw new DatasetError(`${where} lists no trainFiles`);
    if (!isStringArray(e.testFiles)) throw new DatasetError(`${where} lists no testFiles`);
    return e as DatasetEntry;
  });
}

/** Adds `entry` or replaces the entry with its id, keeping the others and their order. */
export function upsertEntry(entries: readonly DatasetEntry[], entry: DatasetEntry): DatasetEntry[] {
  const i = entries.findIndex((e) => e.id === entry.id);
  return i < 0 ? [...entries, entry] : entries.map((e, k) => (k === i ? entry : e));
}
