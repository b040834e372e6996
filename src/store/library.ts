// The runs stored in this browser: list, open, delete, import and export. An import is fully checked before
// anything is stored, so a malformed or foreign file changes nothing.
import { useStore } from './index';
import { deleteRun, listRuns, loadRun, putRecord } from './persistence';
import { download, fileStem, parseRunFile, recordToCsv, recordToJson } from './runFiles';
import { stopLive } from './runnerLink';
import { recorderIdle } from './recorder';
import { toRecord } from './studio';

function fail(prefix: string, e: unknown): void {
  useStore.getState().setLibraryError(`${prefix}: ${e instanceof Error ? e.message : String(e)}`);
}

export async function refreshLibrary(): Promise<void> {
  try {
    useStore.getState().setStoredRuns(await listRuns());
  } catch (e) {
    fail('The run library could not be read', e);
  }
}

export async function openStored(id: string): Promise<void> {
  try {
    stopLive();
    await recorderIdle();
    const { record } = await loadRun(id);
    useStore.getState().showRecord(record);
    useStore.getState().setLibraryError(null);
  } catch (e) {
    fail('The run could not be opened', e);
  }
}

export async function deleteStored(id: string): Promise<void> {
  try {
    await deleteRun(id);
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
    stopLive();
    await recorderIdle();
    await putRecord(record, 'imported');
    await refreshLibrary();
    useStore.getState().showRecord(record);
    useStore.getState().setLibraryError(null);
    return true;
  } catch (e) {
    fail('The imported run could not be stored', e);
    return false;
  }
}

/** On page load: a run that was still recording when the page closed is put back on screen. */
export async function recoverInterrupted(): Promise<void> {
  await refreshLibrary();
  const s = useStore.getState();
  const newest = s.storedRuns[0];
  if (!newest || newest.status !== 'recording' || s.mode !== 'empty') return;
  await openStored(newest.id);
  const steps = useStore.getState().runnerSteps;
  s.setNotice(
    `Recovered the run that was training when the page closed (EP step ${steps.ep}, iEP step ${steps.iep}). ` +
      'It is shown as recorded; Start begins a new run.',
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
