// The runs stored in this browser: list, open, delete, import and export. An import is fully checked before
// anything is stored, so a malformed or foreign file changes nothing.
import { useStore } from './index';
import { deleteRun, listRuns, loadRun, loadSnapshot, putRecord, setRunStatus, type RunMeta } from './persistence';
import { download, fileStem, parseRunFile, recordToCsv, recordToJson } from './runFiles';
import { continueRun, isLive, stopLive } from './runnerLink';
import { recorderIdle } from './recorder';
import { noticeWhile, whileLiveElsewhere, whileRecordedOnScreen } from './notices';
import { announceRunsChanged, liveElsewhere, ownsRun, whenNotLive } from './runOwnership';
import { toRecord } from './studio';

function fail(prefix: string, e: unknown): void {
  useStore.getState().setLibraryError(`${prefix}: ${e instanceof Error ? e.message : String(e)}`);
}

export async function refreshLibrary(): Promise<void> {
  try {
    const runs = await listRuns();
    const recording = runs.filter((r) => r.status === 'recording').map((r) => r.id);
    const elsewhere = [...(await liveElsewhere(recording))];
    useStore.getState().setStoredRuns(runs, elsewhere);
    for (const id of elsewhere) watchOwner(id);
  } catch (e) {
    fail('The run library could not be read', e);
  }
}

// Runs live in another tab whose end this tab waits for (one wait per run).
const watched = new Set<string>();

/**
 * When the tab that owns a live run lets it go, the list follows: a run that ended there is listed as it ended, and
 * one whose tab closed mid-run is marked interrupted, as a reload would (the owner writes its final status before it
 * lets go of the run, so a run still marked 'recording' then was cut short).
 */
function watchOwner(id: string): void {
  if (watched.has(id)) return;
  watched.add(id);
  whenNotLive(id)
    .then(() => {
      watched.delete(id);
      return markCutShort();
    })
    .catch((e: unknown) => fail('The run library could not be updated', e));
}

/** Marks the stored runs that are still 'recording' but live in no tab as interrupted; returns them. */
async function markCutShort(): Promise<RunMeta[]> {
  await refreshLibrary();
  const { storedRuns, runsLiveElsewhere } = useStore.getState();
  const cutShort = storedRuns.filter(
    (r) => r.status === 'recording' && !runsLiveElsewhere.includes(r.id) && !ownsRun(r.id),
  );
  for (const run of cutShort) await setRunStatus(run.id, 'interrupted');
  if (cutShort.length > 0) {
    announceRunsChanged();
    await refreshLibrary();
  }
  return cutShort;
}

/**
 * Asks before a stored run takes the place of the live one; the live run is then kept as cut short, so it can go on
 * later from the library. `ask` is the page's confirm(); true where nothing is live.
 */
export type Ask = (question: string) => boolean;

export async function openStored(id: string, ask: Ask = (q) => globalThis.confirm?.(q) ?? true): Promise<void> {
  if (isLive()) {
    const question =
      'A run is training here. Stop it and open the stored run? The live run stays in the library, and "Continue" ' +
      'there goes on from its last saved step.';
    if (!ask(question)) return;
  }
  try {
    stopLive(true);
    await recorderIdle();
    const { record } = await loadRun(id);
    useStore.getState().showRecord(record);
    useStore.getState().setLibraryError(null);
  } catch (e) {
    fail('The run could not be opened', e);
  }
}

/** Lays a stored run's curves over the shared chart (or takes them off again). */
export async function toggleOverlay(id: string): Promise<void> {
  const s = useStore.getState();
  if (s.overlays.some((o) => o.recordId === id)) {
    s.removeOverlay(id);
    return;
  }
  try {
    const { record } = await loadRun(id);
    useStore.getState().addOverlay(record);
  } catch (e) {
    fail('The run could not be overlaid', e);
  }
}

/** A run cut short by a closed page goes on, live in this tab, from the snapshot stored with its reports. */
export async function continueStored(id: string): Promise<void> {
  try {
    const { record, meta } = await loadRun(id);
    const snapshot = await loadSnapshot(id);
    if (!snapshot || !meta.snapshotSteps) throw new Error('no snapshot of it was stored');
    await continueRun(record, { runId: id, snapshot, steps: meta.snapshotSteps }, meta.items);
    useStore.getState().setLibraryError(null);
  } catch (e) {
    fail('The run could not be continued', e);
  }
}

export async function deleteStored(id: string): Promise<void> {
  try {
    await deleteRun(id);
    announceRunsChanged();
    await refreshLibrary();
  } catch (e) {
    fail('The run could not be deleted', e);
  }
}

export async function importFile(file: File): Promise<boolean> {
  let record;
  try {
    record = parseRunFile(await file.text(), file.name);
  } catch (e) {
    fail('Import rejected', e);
    return false;
  }
  try {
    // An import never ends a live run: it lands in the library, to open when the user chooses.
    const live = isLive();
    if (!live) await recorderIdle();
    await putRecord(record, 'imported');
    announceRunsChanged();
    await refreshLibrary();
    if (live) useStore.getState().addNotice(`${file.name} is in the library; the run training here goes on.`);
    else useStore.getState().showRecord(record);
    useStore.getState().setLibraryError(null);
    return true;
  } catch (e) {
    fail('The imported run could not be stored', e);
    return false;
  }
}

/**
 * On page load: a run still marked 'recording' is either live in another tab (its lock is held: it stays theirs and
 * is listed as such) or was cut short when its page closed: then it is marked 'interrupted' and the newest such run
 * is put back on screen.
 */
export async function recoverInterrupted(): Promise<void> {
  let cutShort: RunMeta[];
  try {
    cutShort = await markCutShort();
  } catch (e) {
    fail('The run library could not be updated', e);
    return;
  }
  if (useStore.getState().runsLiveElsewhere.length > 0) {
    noticeWhile(
      'A run is training in another tab of this browser; it stays there (listed below as live there).',
      whileLiveElsewhere,
    );
  }
  const newest = cutShort[0];
  if (!newest || useStore.getState().mode !== 'empty') return;
  await openStored(newest.id);
  const steps = useStore.getState().runnerSteps;
  noticeWhile(
    `Recovered the run that was training when the page closed (EP step ${steps.ep}, iEP step ${steps.iep}). ` +
      (newest.snapshotSteps
        ? `It is shown as recorded; Continue goes on from step ${newest.snapshotSteps.ep} / ${newest.snapshotSteps.iep}; Start begins a new run.`
        : 'It is shown as recorded; Start begins a new run.'),
    whileRecordedOnScreen(newest.id),
  );
}

export function exportJson(): void {
  const record = toRecord(useStore.getState());
  if (!record) return;
  try {
    download(`${fileStem(record)}.json`, recordToJson(record), 'application/json');
  } catch (e) {
    fail('Export failed', e);
  }
}

export function exportCsv(): void {
  const record = toRecord(useStore.getState());
  if (record) download(`${fileStem(record)}.csv`, recordToCsv(record), 'text/csv');
}
