// Shared by every end-to-end test: serve the built app (dist/, built by `npm run test:e2e` before the tests) with
// vite's preview server on a free loopback port, and drive the system Chromium with a fresh context per page.
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
];

export interface OpenedApp {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions of the page (and its workers), in order. */
  errors: string[];
}

export interface AppHarness {
  /** The served app's base URL, ending in '/'. */
  url: string;
  browser: Browser;
  /** Opens the app in a fresh browser context; `query` like '?backend=cpu'. */
  openApp: (query?: string) => Promise<OpenedApp>;
  close: () => Promise<void>;
}

// Every context any harness opened, so that each test's pages are closed when it ends (test/e2e/setup.ts). A page
// left open keeps training, measuring backends and queueing software-GPU work that starves the next test's frames:
// Playwright's clicks wait for animation frames, and on two cores they can wait past their 30 s.
const openContexts = new Set<BrowserContext>();

/** Closes every page opened by openApp so far (run after each test). */
export async function closeOpenPages(): Promise<void> {
  const contexts = [...openContexts];
  openContexts.clear();
  await Promise.allSettled(contexts.map((c) => c.close()));
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error())));
    });
  });
}

export interface HarnessOptions {
  /** Serve this folder instead of dist/ (e.g. a copy of dist/ with other data in it). */
  outDir?: string;
}

export async function startHarness(options: HarnessOptions = {}): Promise<AppHarness> {
  const outDir = options.outDir ?? join(ROOT, 'dist');
  if (!existsSync(join(outDir, 'index.html'))) {
    throw new Error(`${outDir} has no index.html: run \`npx vite build\` first (\`npm run test:e2e\` does it)`);
  }
  const port = await freePort();
  const server: PreviewServer = await preview({
    root: ROOT,
    logLevel: 'error',
    build: { outDir },
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  const url = `http://127.0.0.1:${port}/`;
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
  } catch (e) {
    await server.close();
    throw e;
  }
  const contexts: BrowserContext[] = [];

  return {
    url,
    browser,
    openApp: async (query = '') => {
      // The service worker precaches ~25 MB in the background of every page; only offline.test.ts, which opens its
      // own contexts, is about it. The preview server sends the isolation headers itself.
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, serviceWorkers: 'block' });
      contexts.push(context);
      openContexts.add(context);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(msg.text());
      });
      page.on('pageerror', (err) => errors.push(`${err.name}: ${err.message}`));
      await page.goto(url + query);
      return { page, context, errors };
    },
    close: async () => {
      await Promise.allSettled(contexts.map((c) => c.close()));
      await browser.close().catch(() => undefined);
      await server.close();
    },
  };
}
