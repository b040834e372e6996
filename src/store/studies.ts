// Recorded studies: the published run files the app serves (public/studies, listed by studies/studies.json), opened
// for replay with one click. Nothing is stored in the library: a study is fetched (the service worker keeps what was
// fetched once, so it opens offline from then on), checked like an import, and shown; the first file is replayed and
// the rest are laid over its chart. A file that cannot be fetched or read is said in the list, and what was on
// screen stays.
import type { RunRecord } from '../protocol/report';
import { useStore } from './index';
import type { Ask } from './library';
import { recorderIdle } from './recorder';
import { parseRunFile } from './runFiles';
import { isLive, stopLive } from './runnerLink';
import {
  parseStudiesManifest,
  shownRecord,
  STUDIES_MANIFEST,
  STUDY_CACHE,
  studyFileUrl,
  type StudyFile,
} from './studyManifest';

/** Relative to the page's base, as the app is served (from any sub-path); as given where there is no page. */
function absolute(path: string): string {
  return typeof document === 'undefined' ? path : new URL(path, document.baseURI).href;
}

function said(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function loadStudies(): Promise<void> {
  const { setStudies } = useStore.getState();
  try {
    const response = await fetch(absolute(STUDIES_MANIFEST));
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    setStudies({ studies: parseStudiesManifest(await response.json()).studies, studiesError: null });
  } catch (e) {
    setStudies({ studiesError: `The list of recorded studies could not be read: ${said(e)}` });
    return;
  }
  await refreshOffline();
}

async function studyCache(): Promise<Cache | null> {
  // No Cache Storage in Node, nor on a page that is not a secure context: nothing is held offline there.
  if (typeof caches === 'undefined') return null;
  try {
    return await caches.open(STUDY_CACHE);
  } catch {
    return null;
  }
}

// Responses are matched by address alone: a header the server varies on says nothing about a run file's content.
const MATCH = { ignoreVary: true };

/** Asks the service worker's cache which studies it holds whole, and drops the copies no study lists any more. */
export async function refreshOffline(): Promise<void> {
  const { studies, setStudies } = useStore.getState();
  if (!studies) return;
  const cache = await studyCache();
  const offline: Record<string, boolean> = {};
  if (cache) {
    const listed = new Set(studies.flatMap((s) => s.files.map((f) => absolute(studyFileUrl(f)))));
    // A file re-made since (its hash, in the address, changed) or no longer listed: its old copy only takes space.
    for (const request of await cache.keys()) if (!listed.has(request.url)) await cache.delete(request, MATCH);
    for (const study of studies) {
      const held = await Promise.all(study.files.map((f) => cache.match(absolute(studyFileUrl(f)), MATCH)));
      offline[study.id] = held.every((r) => r !== undefined);
    }
  }
  setStudies({ studiesOffline: offline });
}

/** The service worker stores a response after handing it over: the list waits a moment for it to say "offline". */
async function settleOffline(id: string): Promise<void> {
  const controlled = typeof navigator !== 'undefined' && !!navigator.serviceWorker?.controller;
  for (let tries = controlled ? 10 : 1; tries > 0; tries--) {
    await refreshOffline();
    if (useStore.getState().studiesOffline[id] || tries === 1) return;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

async function fetchRecord(file: StudyFile): Promise<RunRecord> {
  let response: Response;
  try {
    response = await fetch(absolute(studyFileUrl(file)));
  } catch (e) {
    const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
    throw new Error(
      offline
        ? `${file.name} is not on this device: the browser is offline, and a study is kept for offline use only ` +
            'after it has been opened once online'
        : `${file.name} could not be fetched (${said(e)})`,
    );
  }
  if (!response.ok) throw new Error(`${file.name}: the server answered ${response.status}`);
  return shownRecord(parseRunFile(await response.text(), file.name), file);
}

/**
 * Opens a study for replay: every file fetched and checked first, so a failure leaves the screen (and a live run) as
 * it was. A live run is stopped only when `ask` agrees, and stays in the library to continue. True when shown.
 */
export async function openStudy(id: string, ask: Ask = (q) => globalThis.confirm?.(q) ?? true): Promise<boolean> {
  const s = useStore.getState();
  const study = s.studies?.find((x) => x.id === id);
  if (!study || s.studyOpening !== null) return false;
  if (isLive() && !ask(`A run is training here. Stop it and open "${study.title}"? The run stays in the library.`)) {
    return false;
  }
  s.setStudies({ studyOpening: id, studyError: null });
  try {
    const [shown, ...overlaid] = await Promise.all(study.files.map(fetchRecord));
    stopLive(true);
    await recorderIdle();
    const store = useStore.getState();
    store.showRecord(shown);
    store.clearOverlays();
    for (const record of overlaid) store.addOverlay(record);
    store.setStudies({ studyOpening: null, studyShown: { id, recordId: shown.id } });
    return true;
  } catch (e) {
    useStore.getState().setStudies({ studyOpening: null, studyError: { id, message: said(e) } });
    return false;
  } finally {
    // Not waited for: the replay is on screen already, the row's "available offline" follows.
    void settleOffline(id);
  }
}
