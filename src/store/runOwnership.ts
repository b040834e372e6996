// Which tab owns a live run. Every tab of the studio shares one IndexedDB, so a run marked 'recording' there may be
// training in another tab right now, or may have been cut short by a closed page. A Web Lock per run tells the two
// apart: the recording tab holds it while the run lives, and the browser releases it when that tab goes away.
// A BroadcastChannel tells the other tabs when the stored runs change, so their lists stay current.

const LOCK_PREFIX = 'supermask-studio/run/';
const CHANNEL = 'supermask-studio/runs';

const held = new Map<string, () => void>();

function locks(): LockManager | null {
  return typeof navigator !== 'undefined' && 'locks' in navigator ? navigator.locks : null;
}

/** Holds the run's lock until releaseRun (or until this tab closes). Resolves once the lock is held. */
export function claimRun(id: string): Promise<void> {
  const manager = locks();
  if (!manager || held.has(id)) return Promise.resolve();
  return new Promise((granted) => {
    void manager.request(LOCK_PREFIX + id, { ifAvailable: true }, (lock) => {
      granted();
      // Another tab holds it (it cannot, for a new id; but never wait for it): record without the lock.
      if (!lock) return undefined;
      return new Promise<void>((release) => held.set(id, release));
    });
  });
}

export function releaseRun(id: string): void {
  held.get(id)?.();
  held.delete(id);
}

/** Whether this tab holds the run's lock (it records the run). */
export function ownsRun(id: string): boolean {
  return held.has(id);
}

/** The ids among `ids` whose run is live in another tab of this browser. */
export async function liveElsewhere(ids: string[]): Promise<Set<string>> {
  const manager = locks();
  if (!manager || ids.length === 0) return new Set();
  const state = await manager.query();
  const names = new Set([...(state.held ?? []), ...(state.pending ?? [])].map((l) => l.name));
  return new Set(ids.filter((id) => !ownsRun(id) && names.has(LOCK_PREFIX + id)));
}

/**
 * Resolves once no tab holds the run's lock: its tab closed, or the run ended there. A shared request waits behind
 * the owner's exclusive lock and is let go at once, so it never keeps a run from being claimed.
 */
export async function whenNotLive(id: string): Promise<void> {
  await locks()?.request(LOCK_PREFIX + id, { mode: 'shared' }, () => undefined);
}

let channel: BroadcastChannel | null = null;

function openChannel(): BroadcastChannel | null {
  if (typeof BroadcastChannel === 'undefined') return null;
  channel ??= new BroadcastChannel(CHANNEL);
  return channel;
}

/** Tells the other tabs that the stored runs changed. */
export function announceRunsChanged(): void {
  openChannel()?.postMessage('changed');
}

/** Calls `onChange` when another tab changed the stored runs; returns the unsubscribe function. */
export function onRunsChanged(onChange: () => void): () => void {
  const ch = openChannel();
  if (!ch) return () => undefined;
  const listener = () => onChange();
  ch.addEventListener('message', listener);
  return () => ch.removeEventListener('message', listener);
}
