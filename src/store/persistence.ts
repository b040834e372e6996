// Every run is recorded to IndexedDB as it goes, so it survives a reload or a crashed tab. A run is one meta row
// (the record without its reports) plus one row per report, appended in small batches: writing the whole record on
// every report would grow quadratically.
import type { RunId } from '../protocol/config';
import { upgradeRecord } from '../protocol/convert';
import type { EngineSnapshot } from '../protocol/messages';
import type { EvalReport, RunRecord, StepReport } from '../protocol/report';

const DB_NAME = 'supermask-studio';
const DB_VERSION = 2;
const RUNS = 'runs';
const ITEMS = 'items';
/** One row per run: the engine's newest snapshot that the stored reports cover (v2). */
const SNAPSHOTS = 'snapshots';

/**
 * 'recording': a tab is training it (or was, until it closed: runOwnership tells which); 'interrupted': its tab
 * closed mid-run, found and marked so on the next load.
 */
export type RunStatus = 'recording' | 'interrupted' | 'done' | 'stopped' | 'error' | 'imported';

export type RunMeta = Omit<RunRecord, 'reports' | 'evals'> & {
  updatedAt: string;
  items: number;
  /** 'recording' until the engine says the run ended. */
  status: RunStatus;
  /** The steps of the stored snapshot, when there is one: where the run can go on from. */
  snapshotSteps?: Record<RunId, number>;
};

type Item = StepReport | EvalReport;

interface ItemRow {
  id: string;
  seq: number;
  item: Item;
}

// Heatmaps are most of a report's bytes. Stored as Float64Array (same values, no rounding) they are cloned into
// IndexedDB as one memory copy each, instead of element by element: a batch of reports no longer stalls the page.
type PackedHeatmap = { rows: number; cols: number; usage: Float64Array | number[]; dead: Float64Array | number[] };

function pack(item: Item): Item {
  if (item.kind !== 'step') return item;
  const layers = item.layers.map((l) => ({
    ...l,
    heatmap: { ...l.heatmap, usage: Float64Array.from(l.heatmap.usage), dead: Float64Array.from(l.heatmap.dead) },
  }));
  return { ...item, layers } as unknown as Item;
}

function unpack(item: Item): Item {
  if (item.kind !== 'step') return item;
  for (const l of item.layers) {
    const h = l.heatmap as unknown as PackedHeatmap;
    if (!Array.isArray(h.usage)) l.heatmap.usage = Array.from(h.usage);
    if (!Array.isArray(h.dead)) l.heatmap.dead = Array.from(h.dead);
  }
  return item;
}

let dbPromise: Promise<IDBDatabase> | null = null;

function openDb(): Promise<IDBDatabase> {
  dbPromise ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(RUNS)) db.createObjectStore(RUNS, { keyPath: 'id' });
      if (!db.objectStoreNames.contains(ITEMS)) db.createObjectStore(ITEMS, { keyPath: ['id', 'seq'] });
      if (!db.objectStoreNames.contains(SNAPSHOTS)) db.createObjectStore(SNAPSHOTS, { keyPath: 'id' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new Error(`IndexedDB unavailable: ${req.error?.message ?? 'unknown error'}`));
  });
  return dbPromise;
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

/**
 * Writes the meta row, the items from `firstSeq` on and (if given) the snapshot they cover, in one transaction (all
 * or nothing): a stored snapshot is never ahead of the stored reports.
 */
export async function appendToRun(
  meta: RunMeta,
  firstSeq: number,
  items: Item[],
  snapshot?: EngineSnapshot,
): Promise<void> {
  const db = await openDb();
  const tx = db.transaction([RUNS, ITEMS, SNAPSHOTS], 'readwrite');
  tx.objectStore(RUNS).put(meta);
  const store = tx.objectStore(ITEMS);
  items.forEach((item, i) => store.put({ id: meta.id, seq: firstSeq + i, item: pack(item) } satisfies ItemRow));
  if (snapshot !== undefined) tx.objectStore(SNAPSHOTS).put({ id: meta.id, snapshot });
  await done(tx);
}

export async function loadSnapshot(id: string): Promise<EngineSnapshot | null> {
  const db = await openDb();
  const row = await request(
    db.transaction(SNAPSHOTS).objectStore(SNAPSHOTS).get(id) as IDBRequest<{ snapshot: EngineSnapshot } | undefined>,
  );
  return row?.snapshot ?? null;
}

export function metaOf(record: RunRecord, status: RunStatus, items: number): RunMeta {
  const rest: Omit<RunRecord, 'reports' | 'evals'> & Partial<RunRecord> = { ...record };
  delete rest.reports;
  delete rest.evals;
  return { ...rest, updatedAt: new Date().toISOString(), items, status };
}

/** Stores a whole record at once (an import): replaces any stored run with the same id. */
export async function putRecord(record: RunRecord, status: RunStatus): Promise<RunMeta> {
  await deleteRun(record.id);
  const items = [...record.reports, ...record.evals];
  const meta = metaOf(record, status, items.length);
  await appendToRun(meta, 0, items);
  return meta;
}

/** Changes a stored run's status, nothing else. */
export async function setRunStatus(id: string, status: RunStatus): Promise<void> {
  const db = await openDb();
  const tx = db.transaction(RUNS, 'readwrite');
  const runs = tx.objectStore(RUNS);
  const meta = await request(runs.get(id) as IDBRequest<RunMeta | undefined>);
  if (meta) runs.put({ ...meta, status });
  await done(tx);
}

export async function listRuns(): Promise<RunMeta[]> {
  const db = await openDb();
  const metas = await request(db.transaction(RUNS).objectStore(RUNS).getAll() as IDBRequest<RunMeta[]>);
  // Runs stored by a protocol v1 version of the app are read as v2 (their reports need no change).
  return metas.map((m) => upgradeRecord(m) as RunMeta).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
}

export async function loadRun(id: string): Promise<{ record: RunRecord; meta: RunMeta }> {
  const db = await openDb();
  const tx = db.transaction([RUNS, ITEMS]);
  const stored = await request(tx.objectStore(RUNS).get(id) as IDBRequest<RunMeta | undefined>);
  if (!stored) throw new Error(`No stored run with id ${id}`);
  const meta = upgradeRecord(stored) as RunMeta;
  const range = IDBKeyRange.bound([id, 0], [id, Number.MAX_SAFE_INTEGER]);
  const rows = await request(tx.objectStore(ITEMS).getAll(range) as IDBRequest<ItemRow[]>);
  const rest: Omit<RunRecord, 'reports' | 'evals'> & Partial<RunMeta> = { ...meta };
  delete rest.updatedAt;
  delete rest.items;
  delete rest.status;
  delete rest.snapshotSteps;
  const reports: StepReport[] = [];
  const evals: EvalReport[] = [];
  for (const row of rows) {
    const item = unpack(row.item);
    if (item.kind === 'step') reports.push(item);
    else evals.push(item);
  }
  return { record: { ...rest, reports, evals }, meta };
}

export async function deleteRun(id: string): Promise<void> {
  const db = await openDb();
  const tx = db.transaction([RUNS, ITEMS, SNAPSHOTS], 'readwrite');
  tx.objectStore(RUNS).delete(id);
  tx.objectStore(SNAPSHOTS).delete(id);
  tx.objectStore(ITEMS).delete(IDBKeyRange.bound([id, 0], [id, Number.MAX_SAFE_INTEGER]));
  await done(tx);
}
