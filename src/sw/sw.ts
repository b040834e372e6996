// The service worker: the whole built app (pages, scripts, wasm binaries, the bundled CIFAR-10 subset) is precached
// at install, so after one visit the studio opens, trains and replays with the network off; a recorded study's run
// files are kept once opened; and every response it serves carries COOP/COEP (isolation.ts). vite-plugin-pwa compiles
// this file and fills in __WB_MANIFEST.
import { clientsClaim } from 'workbox-core';
import { addPlugins, cleanupOutdatedCaches, matchPrecache, precacheAndRoute } from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';
import { CacheFirst, NetworkOnly } from 'workbox-strategies';
import { STUDIES_DIR, STUDY_CACHE } from '../store/studyManifest';
import { withIsolationHeaders } from './isolation';

declare let self: ServiceWorkerGlobalScope;

const isolate = { handlerWillRespond: async ({ response }: { response: Response }) => withIsolationHeaders(response) };

addPlugins([isolate]);
// The query string carries settings (?backend=wasm), never a different file: every precached URL ignores it.
precacheAndRoute(self.__WB_MANIFEST, { ignoreURLParametersMatching: [/.*/], directoryIndex: 'index.html' });
cleanupOutdatedCaches();

const sameOrigin = ({ url }: { url: URL }) => url.origin === self.location.origin;

// The page asks HEAD whether a dataset's files exist (the full set only after npm run data:cifar10): offline, a
// precached file still answers yes.
registerRoute(
  sameOrigin,
  async ({ request }) => {
    const cached = await matchPrecache(request.url);
    if (cached) return withIsolationHeaders(new Response(null, { status: cached.status, headers: cached.headers }));
    return withIsolationHeaders(await fetch(request));
  },
  'HEAD',
);
// A recorded study's run files (public/studies, tens of MB together) would double the precache: each is kept here once
// it has been opened, so a study seen once opens offline. Its address carries its content hash, so a re-made file is
// fetched anew; the page drops the copies its list no longer names (src/store/studies.ts).
const studies = new URL(`${STUDIES_DIR}/`, self.registration.scope).href;
registerRoute(
  ({ url }) => url.href.startsWith(studies),
  new CacheFirst({ cacheName: STUDY_CACHE, plugins: [isolate], matchOptions: { ignoreVary: true } }),
  'GET',
);
// Anything not precached (the full dataset, a file added after the build) comes from the network, isolated too.
registerRoute(sameOrigin, new NetworkOnly({ plugins: [isolate] }), 'GET');

// A first install takes over at once (nothing ran under an older version); an update waits until the page says so,
// which it does only when the user asks and no run is live (src/pwa/serviceWorker.ts).
clientsClaim();
self.addEventListener('message', (event) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});
