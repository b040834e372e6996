// The browser benchmarks' page (scripts/bench/browser: the engine imported directly), built with vite into
// dist-bench/ and served by the e2e harness (preview server, cross-origin isolated) to headless Chromium.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { ROOT, startHarness } from '../../test/e2e/harness';
import type { BrowserEp } from './pytorch';

export interface BenchPages {
  /** A fresh page (its own browser context) of the bench; `errors` collects its console errors. */
  open: () => Promise<{ page: Page; errors: string[] }>;
  close: () => Promise<void>;
}

/**
 * Builds the page and serves it. `threads` pins wasm to that many threads (VITE_WASM_THREADS, as the studio's
 * pinned build); without it wasm starts a thread per core.
 */
export async function serveBenchPages(threads?: number): Promise<BenchPages> {
  const outDir = path.join(ROOT, 'dist-bench');
  if (threads) process.env.VITE_WASM_THREADS = String(threads);
  try {
    await build({
      root: path.join(ROOT, 'scripts/bench/browser'),
      configFile: false,
      logLevel: 'error',
      worker: { format: 'es' },
      build: { outDir, emptyOutDir: true, target: 'es2022' },
    });
  } finally {
    delete process.env.VITE_WASM_THREADS;
  }
  const harness = await startHarness({ outDir });
  return {
    open: async () => {
      const { page, errors } = await harness.openApp();
      return { page, errors };
    },
    close: () => harness.close(),
  };
}

/** The page's EP step timing on wasm, for the engine-against-PyTorch browser row. */
export function browserEp(page: Page): BrowserEp {
  return async (model, width, batch, steps) => {
    const args = ['wasm', model, width, batch, steps] as const;
    const row = (await page.evaluate((a) => window.runEp(...a), args)) as {
      backend: string;
      reason: string;
      ep: number;
    };
    return { backend: row.backend, reason: row.reason, ms: row.ep };
  };
}
