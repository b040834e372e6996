// Registers the service worker (src/sw/sw.ts): it makes the app work offline after one visit and isolates the page
// where the host sends no COOP/COEP headers. No React, no tf.
import { Workbox } from 'workbox-window';

export interface ServiceWorkerHooks {
  /** A new version is installed and waiting; `apply` activates it and reloads the page. */
  onUpdate: (apply: () => void) => void;
  /** False while a run is live: the page is then never reloaded on its own. */
  canReload: () => boolean;
}

const ISOLATION_RELOAD_KEY = 'supermask-studio:isolation-reload';

/**
 * The first visit to a host without COOP/COEP loads the page unisolated; once the new worker controls it, one reload
 * brings the isolated page (and wasm threads). At most once a session, so a browser that ignores the headers does not
 * loop.
 */
function reloadIntoIsolation(canReload: () => boolean): void {
  if (globalThis.crossOriginIsolated || !canReload()) return;
  if (sessionStorage.getItem(ISOLATION_RELOAD_KEY)) return;
  sessionStorage.setItem(ISOLATION_RELOAD_KEY, '1');
  location.reload();
}

export function registerServiceWorker(hooks: ServiceWorkerHooks): void {
  // The dev server rebuilds on every save: a worker caching its files would serve stale ones.
  if (import.meta.env.DEV || !('serviceWorker' in navigator)) return;
  // Relative to the page, so a copy served from a sub-path registers its own worker with that sub-path as scope.
  const wb = new Workbox('./sw.js');
  wb.addEventListener('controlling', (event) => {
    if (!event.isUpdate) reloadIntoIsolation(hooks.canReload);
  });
  wb.addEventListener('waiting', () =>
    hooks.onUpdate(() => {
      wb.addEventListener('controlling', () => location.reload());
      wb.messageSkipWaiting();
    }),
  );
  // file:// and some private modes refuse service workers: the app still runs, only without offline use.
  wb.register().catch((e: unknown) => console.warn(`No service worker, so no offline use: ${String(e)}`));
}
