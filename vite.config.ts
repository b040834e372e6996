import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';
import { ISOLATION_HEADERS } from './src/sw/isolation.ts';

/** The bundled subset's training file is 15 MB; Workbox's default limit (2 MB) would leave the data out. */
const PRECACHE_LIMIT_BYTES = 32 * 1024 * 1024;

// The app is served from a relative base so the built folder works from any path (a USB stick at a talk, too).
// Cross-origin isolation (COOP/COEP) gives the page SharedArrayBuffer, which wasm's threads need: the dev and preview
// servers send the headers themselves, the service worker adds them where a static host cannot (docs/deploy.md).
export default defineConfig({
  base: './',
  plugins: [
    react(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src/sw',
      filename: 'sw.ts',
      // src/pwa/serviceWorker.ts registers it: an update is offered in the page, never applied mid-run.
      injectRegister: false,
      // The icons are in globPatterns already; listing them twice would precache them twice.
      includeManifestIcons: false,
      injectManifest: {
        globPatterns: ['**/*.{html,js,css,wasm,svg,png,webmanifest,json,bin,txt}'],
        // The full set (public/data/cifar10-full, 180 MB, only after npm run data:cifar10) stays on the network, and
        // the recorded studies' run files (public/studies, 14 MB and growing) are cached when opened (src/sw/sw.ts):
        // only their list is precached.
        globIgnores: ['data/cifar10-full/**', 'studies/!(studies).json'],
        maximumFileSizeToCacheInBytes: PRECACHE_LIMIT_BYTES,
      },
      manifest: {
        name: 'Supermask Studio',
        short_name: 'Supermask',
        description:
          'Watch strong lottery tickets being found: edge-popup and iterative edge-popup side by side, in the browser.',
        start_url: './',
        scope: './',
        display: 'standalone',
        background_color: '#111111',
        theme_color: '#111111',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: 'favicon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
    }),
  ],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  server: { port: 5173, headers: { ...ISOLATION_HEADERS } },
  preview: { headers: { ...ISOLATION_HEADERS } },
});
