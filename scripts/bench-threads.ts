// wasm threads benchmark: the studio's own comparison on wasm in headless Chromium, the same nets served three ways.
// - 'simd': a plain static server, no headers and service workers blocked (a host before cross-origin isolation):
//   wasm runs its SIMD binary on one thread;
// - 'threaded-1': vite preview (COOP/COEP) of a build pinned to one thread (VITE_WASM_THREADS=1): the threaded SIMD
//   binary on one thread;
// - 'threaded': vite preview of dist/: the threaded SIMD binary, a thread per core.
// The setups take turns on each net so that the load of other work on the machine falls on all alike.
// Usage: npm run bench:threads -- [--rounds 2] [--only conv4,resnet20] (builds dist/ first)
// Writes bench-results/threads.json. Speed only: nothing here passes or fails on a number.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { ROOT, startHarness } from '../test/e2e/harness';
import { serveStatic } from '../test/e2e/staticServer';
import { configHash, tinyConfig } from '../test/e2e/studioSupport';
import { writeBenchResults } from './benchResults';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    only: { type: 'string', default: '' },
    out: { type: 'string', default: 'bench-results/threads.json' },
  },
});

interface Case {
  id: string;
  model: 'conv2' | 'conv4' | 'resnet20';
  width: number;
  batchSize: number;
  /** Steps timed after the warm-up steps. */
  steps: number;
  warmup: number;
}

const CASES: Case[] = [
  // The studio's default comparison (Conv-4 at width 0.25, batch 64).
  { id: 'conv4', model: 'conv4', width: 0.25, batchSize: 64, steps: 20, warmup: 3 },
  { id: 'resnet20', model: 'resnet20', width: 0.25, batchSize: 32, steps: 20, warmup: 3 },
  // The e2e tests' tiny net: too small for threads to pay.
  { id: 'conv2-tiny', model: 'conv2', width: 0.125, batchSize: 8, steps: 60, warmup: 5 },
];

type Setup = 'simd' | 'threaded-1' | 'threaded';
const SETUPS: Setup[] = ['simd', 'threaded-1', 'threaded'];

interface Sample {
  id: string;
  setup: Setup;
  reason: string;
  stepsPerSecond: number;
}

/** Steps/s of one comparison (EP + iEP per step) on the page at `url`, timed inside the page. */
async function measure(browser: Browser, url: string, c: Case, setup: Setup): Promise<Sample> {
  const isolated = setup !== 'simd';
  const context = await browser.newContext({ serviceWorkers: isolated ? 'allow' : 'block' });
  try {
    const page = await context.newPage();
    const config = tinyConfig({
      model: c.model,
      width: c.width,
      batchSize: c.batchSize,
      trainLimit: c.batchSize * (c.steps + c.warmup + 2),
      epochs: 1,
      reportEvery: 1,
    });
    await page.goto(`${url}?backend=wasm${configHash(config)}`);
    await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 120_000 });
    const shownIsolation = await page.evaluate(() => crossOriginIsolated);
    if (shownIsolation !== isolated) throw new Error(`${c.id}: expected crossOriginIsolated ${isolated}`);
    await page.click('[data-testid=start]');
    const stepAt = (n: number) =>
      page
        .waitForFunction(
          (k) => Number(document.querySelector('[data-testid=ep-progress]')?.getAttribute('data-step')) >= k,
          n,
          { timeout: 600_000, polling: 'raf' },
        )
        .then(() => page.evaluate(() => performance.now()));
    const t0 = await stepAt(c.warmup);
    const t1 = await stepAt(c.warmup + c.steps);
    const reason = (await page.textContent('[data-testid=backend-reason]')) ?? '';
    return { id: c.id, setup, reason: reason.trim(), stepsPerSecond: (c.steps * 1000) / (t1 - t0) };
  } finally {
    await context.close();
  }
}

const cases = values.only ? CASES.filter((c) => values.only.split(',').includes(c.id)) : CASES;
const loadBefore = os.loadavg()[0];
const started = Date.now();
const pinnedDist = await mkdtemp(path.join(os.tmpdir(), 'supermask-1thread-'));
process.env.VITE_WASM_THREADS = '1';
await build({ root: ROOT, logLevel: 'error', build: { outDir: pinnedDist, emptyOutDir: true } });
delete process.env.VITE_WASM_THREADS;
const h = await startHarness();
const pinned = await startHarness({ outDir: pinnedDist });
const plain = await serveStatic(path.join(ROOT, 'dist'), '/studio/');
const urls: Record<Setup, string> = { simd: plain.url, 'threaded-1': pinned.url, threaded: h.url };
const samples: Sample[] = [];
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const c of cases) {
      // Each round starts with another setup.
      const order = SETUPS.map((_, i) => SETUPS[(i + round) % SETUPS.length]);
      for (const setup of order) {
        const s = await measure(h.browser, urls[setup], c, setup);
        samples.push(s);
        console.log(`${c.id} ${setup}: ${s.stepsPerSecond.toFixed(2)} steps/s (${s.reason.split(' · ').at(-1)})`);
      }
    }
  }
} finally {
  await plain.close();
  await pinned.close();
  await h.close();
  await rm(pinnedDist, { recursive: true, force: true });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log('\n| net | batch | SIMD, 1 thread | threaded SIMD, 1 thread | threaded SIMD, all cores | all / SIMD |');
console.log('|---|---|---|---|---|---|');
const summary = cases.map((c) => {
  const rate = (setup: Setup) =>
    mean(samples.filter((s) => s.id === c.id && s.setup === setup).map((s) => s.stepsPerSecond));
  const [simd, one, all] = SETUPS.map(rate);
  console.log(
    `| ${c.model} ×${c.width} | ${c.batchSize} | ${simd.toFixed(2)} | ${one.toFixed(2)} | ${all.toFixed(2)} | ` +
      `${(all / simd).toFixed(2)}x |`,
  );
  return { ...c, stepsPerSecond: { simd, threaded1: one, threaded: all }, speedUp: all / simd };
});
const written = writeBenchResults(values.out, { started, loadBefore }, { summary, samples });
console.log(`\nload average ${loadBefore.toFixed(1)} -> ${os.loadavg()[0].toFixed(1)}; written to ${written}`);
