// Browser benchmark: the studio's real comparison (the built app, its worker, the store and the views) in headless
// Chromium, per backend, with a small config given in the URL hash. Measures, while both runs train:
// - time to first step (Start clicked -> the page shows EP at step 1: worker set-up, model build, first compile),
// - steady steps/s after a warm-up (one step = one EP step + one iEP step on the same batch) and images/s,
// - the main thread's long tasks (PerformanceObserver 'longtask': count, longest, total).
// Usage: npx vite build && npx tsx scripts/bench-browser.ts [--steps 30] [--cap 80] [--only wasm-conv2,...] [--dist dir]
// Writes bench-results/browser.json. Speed only: nothing here passes or fails on a number.
// `--suite pool`: the engine pool against one engine worker instead (scripts/bench/pool.ts), to bench-results/pool.json.
// `--suite effect`: the time from opening the plain link to both runs shown (scripts/bench/effect.ts), effect.json.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { startHarness } from '../test/e2e/harness';
import { configHash, tinyConfig } from '../test/e2e/studioSupport';
import { writeBenchResults } from './benchResults';
import { layoutsFor, POOL_CASES, runPoolCase, type PoolResult } from './bench/pool';
import { runEffect, type EffectResult } from './bench/effect';

const { values } = parseArgs({
  options: {
    /** Steps per case (default: each case's own, a few seconds to a minute of training). */
    steps: { type: 'string', default: '' },
    cap: { type: 'string', default: '80' },
    only: { type: 'string', default: '' },
    out: { type: 'string', default: '' },
    /** 'backends' (the default: each backend on small nets) or 'pool' (the pool against one engine worker). */
    suite: { type: 'string', default: 'backends' },
    /** The built app to serve (default dist/). */
    dist: { type: 'string', default: '' },
  },
});
/** Seconds from Start after which a case stops, however far it got (SwiftShader and cpu are slow). */
const capSeconds = Number(values.cap);

interface Case {
  id: string;
  backend: 'wasm' | 'webgl' | 'webgpu' | 'cpu';
  model: 'conv2' | 'resnet20';
  width: number;
  steps: number;
  /** 1: a report (and a redraw) every step, the page's heaviest load; 10: the studio's default. */
  reportEvery: number;
}

const CASES: Case[] = [
  { id: 'wasm-conv2', backend: 'wasm', model: 'conv2', width: 0.125, steps: 120, reportEvery: 1 },
  { id: 'wasm-conv2-r10', backend: 'wasm', model: 'conv2', width: 0.125, steps: 200, reportEvery: 10 },
  { id: 'webgl-conv2', backend: 'webgl', model: 'conv2', width: 0.125, steps: 40, reportEvery: 1 },
  { id: 'webgpu-conv2', backend: 'webgpu', model: 'conv2', width: 0.125, steps: 25, reportEvery: 1 },
  { id: 'cpu-conv2', backend: 'cpu', model: 'conv2', width: 0.125, steps: 40, reportEvery: 1 },
  { id: 'wasm-resnet20', backend: 'wasm', model: 'resnet20', width: 0.25, steps: 80, reportEvery: 1 },
];
const BATCH = 8;
const TRAIN = 64;

interface Probe {
  clickedAt: number | null;
  steps: [number, number][];
  longTasks: { start: number; duration: number }[];
}

declare global {
  interface Window {
    __bench?: Probe;
  }
}

/** Watches, inside the page, every change of a shown step count and every long task, from now on. */
async function installProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const probe: Probe = { clickedAt: null, steps: [], longTasks: [] };
    window.__bench = probe;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) probe.longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask' });
    // On the body, not the element: the progress line may be re-rendered as a new node.
    new MutationObserver((records) => {
      const t = performance.now();
      for (const r of records) {
        const el = r.target as Element;
        if (el.getAttribute('data-testid') === 'ep-progress')
          probe.steps.push([Number(el.getAttribute('data-step')), t]);
      }
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-step'] });
    document.querySelector('[data-testid=start]')?.addEventListener(
      'click',
      () => {
        probe.clickedAt = performance.now();
      },
      { capture: true, once: true },
    );
  });
}

interface Result {
  id: string;
  backend: string;
  /** What the studio's badge said it ran on (the worker may fall back). */
  shownBackend: string;
  model: string;
  width: number;
  batch: number;
  reportEvery: number;
  stepsReached: number;
  /** Start -> the page shows step 1 (null when reports come only every 10 steps). */
  firstStepSeconds: number | null;
  steadyStepsPerSecond: number | null;
  /** Both runs: 2 x batch images per step. */
  steadyImagesPerSecond: number | null;
  /** The last EP report's own images/s as the page shows it. */
  shownImagesPerSecond: { ep: number | null; iep: number | null };
  trainingSeconds: number;
  /** Long tasks from Start to the first step shown, and after it (training). */
  longTasks: Record<'startup' | 'training', { count: number; maxMs: number; totalMs: number }>;
  errors: string[];
}

async function runCase(h: Awaited<ReturnType<typeof startHarness>>, c: Case): Promise<Result> {
  // Enough epochs that the run outlasts the measurement; a report every step (the page's heaviest load).
  const steps = values.steps ? Number(values.steps) : c.steps;
  const epochs = Math.ceil((steps + 2 * c.reportEvery) / (TRAIN / BATCH));
  const config = tinyConfig({
    model: c.model,
    width: c.width,
    backend: c.backend,
    batchSize: BATCH,
    epochs,
    reportEvery: c.reportEvery,
  });
  const { page, context, errors } = await h.openApp(configHash(config));
  try {
    await page.waitForSelector('[data-testid=studio]');
    await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 120_000 });
    await installProbe(page);
    await page.click('[data-testid=start]');
    await page
      .waitForFunction(
        (n) => Number(document.querySelector('[data-testid=ep-progress]')?.getAttribute('data-step')) >= n,
        steps,
        { timeout: capSeconds * 1000, polling: 250 },
      )
      .catch(() => undefined);
    const probe = await page.evaluate(() => ({ ...window.__bench!, now: performance.now() }));
    const shown = await page.$$eval('.progress-rate', (els) => els.map((e) => Number.parseFloat(e.textContent ?? '')));
    const shownBackend = (await page.textContent('[data-testid=studio-backend]').catch(() => null)) ?? '?';
    await page.click('[data-testid=pause]').catch(() => undefined);

    const t0 = probe.clickedAt ?? probe.now;
    const samples = probe.steps.filter(([s]) => s > 0);
    const first = samples[0];
    const last = samples.at(-1);
    // Steady rate from the first sample past a warm-up of a fifth of the steps (at least 2) to the last.
    const warm = last ? samples.find(([s]) => s >= Math.max(2, Math.floor(last[0] / 5))) : undefined;
    const rate =
      warm && last && last[0] > warm[0] && last[1] > warm[1]
        ? ((last[0] - warm[0]) * 1000) / (last[1] - warm[1])
        : null;
    const end = last?.[1] ?? probe.now;
    const split = first?.[1] ?? end;
    const summary = (from: number, to: number) => {
      const tasks = probe.longTasks.filter((t) => t.start >= from && t.start <= to);
      return {
        count: tasks.length,
        maxMs: tasks.reduce((m, t) => Math.max(m, t.duration), 0),
        totalMs: tasks.reduce((s, t) => s + t.duration, 0),
      };
    };
    return {
      id: c.id,
      backend: c.backend,
      shownBackend: shownBackend.trim(),
      model: c.model,
      width: c.width,
      batch: BATCH,
      reportEvery: c.reportEvery,
      stepsReached: last?.[0] ?? 0,
      firstStepSeconds: first && c.reportEvery === 1 ? (first[1] - t0) / 1000 : null,
      steadyStepsPerSecond: rate,
      steadyImagesPerSecond: rate === null ? null : rate * 2 * BATCH,
      shownImagesPerSecond: {
        ep: Number.isFinite(shown[0]) ? shown[0] : null,
        iep: Number.isFinite(shown[1]) ? shown[1] : null,
      },
      trainingSeconds: (end - t0) / 1000,
      longTasks: { startup: summary(t0, split), training: summary(split + 1e-6, end) },
      errors,
    };
  } finally {
    await context.close();
  }
}

const fmt = (v: number | null, digits = 2) => (v === null ? '–' : v.toFixed(digits));

async function poolSuite(): Promise<void> {
  const cases = values.only ? POOL_CASES.filter((c) => values.only.split(',').includes(c.id)) : POOL_CASES;
  const started = Date.now();
  const loadBefore = os.loadavg()[0];
  const h = await startHarness(values.dist ? { outDir: path.resolve(values.dist) } : {});
  const results: PoolResult[] = [];
  try {
    for (const c of cases) {
      for (const layout of layoutsFor(c.runs)) {
        process.stdout.write(`${c.id} on ${layout} ... `);
        const r = await runPoolCase(h, c, layout).catch((e: unknown): PoolResult => ({
          ...{ id: c.id, model: c.model, width: c.width, batch: 64, runs: c.runs, layout, shown: '?' },
          ...{ runStepsPerSecond: null, allStepsPerSecond: null, workerBytes: [], pageBytes: null, errors: [] },
          failure: e instanceof Error ? e.message.split('\n')[0] : String(e),
        }));
        results.push(r);
        console.log(
          `${fmt(r.runStepsPerSecond)} steps/s a run` + (r.errors.length ? `, ${r.errors.length} errors` : ''),
        );
      }
    }
  } finally {
    await h.close();
  }
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  console.log(
    '\n| model | width | batch | runs | layout (workers x threads) | steps/s a run | run-steps/s, all runs | vs one worker | MiB per worker |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const single = results.find(
      (x) =>
        x.model === r.model && x.runs === r.runs && x.layout.startsWith('1x') && x.layout === layoutsFor(r.runs)[0],
    );
    const ratio =
      single?.runStepsPerSecond && r.runStepsPerSecond ? r.runStepsPerSecond / single.runStepsPerSecond : null;
    console.log(
      `| ${r.model} | ${r.width} | ${r.batch} | ${r.runs} | ${r.layout} | ${fmt(r.runStepsPerSecond)} | ` +
        `${fmt(r.allStepsPerSecond)} | ${ratio === null ? '–' : `${ratio.toFixed(2)}x`} | ${r.workerBytes.map(mib).join(', ') || '–'} |`,
    );
  }
  const written = writeBenchResults(
    values.out || 'bench-results/pool.json',
    { started, loadBefore },
    { settings: { batch: 64, reportEvery: 5, backend: 'wasm' }, results },
  );
  console.log(`\n${((Date.now() - started) / 1000).toFixed(0)} s in all; written to ${written}`);
}

async function effectSuite(): Promise<void> {
  const started = Date.now();
  const loadBefore = os.loadavg()[0];
  const h = await startHarness(values.dist ? { outDir: path.resolve(values.dist) } : {});
  const results: EffectResult[] = [];
  try {
    for (let i = 0; i < 3; i++) results.push(await runEffect(h));
  } finally {
    await h.close();
  }
  console.log(
    '\n| try | Start enabled s | Start -> both runs shown s | link -> effect s | backend | first step shown |',
  );
  console.log('|---|---|---|---|---|---|');
  results.forEach((r, i) =>
    console.log(
      `| ${i + 1} | ${fmt(r.startEnabled, 1)} | ${fmt(r.startToEffect, 1)} | ${fmt(r.effect, 1)} | ${r.backend} | ${r.firstStep} |`,
    ),
  );
  const written = writeBenchResults(values.out || 'bench-results/effect.json', { started, loadBefore }, { results });
  console.log(`\n${((Date.now() - started) / 1000).toFixed(0)} s in all; written to ${written}`);
}

if (values.suite === 'pool') {
  await poolSuite();
  process.exit(0);
}
if (values.suite === 'effect') {
  await effectSuite();
  process.exit(0);
}

const cases = values.only ? CASES.filter((c) => values.only.split(',').includes(c.id)) : CASES;
const started = Date.now();
const loadBefore = os.loadavg()[0];
const h = await startHarness(values.dist ? { outDir: path.resolve(values.dist) } : {});
const results: Result[] = [];
try {
  for (const c of cases) {
    process.stdout.write(`${c.id} ... `);
    const r = await runCase(h, c);
    results.push(r);
    console.log(
      `${r.stepsReached} steps, first step ${fmt(r.firstStepSeconds)} s, ${fmt(r.steadyStepsPerSecond)} steps/s` +
        (r.errors.length ? `, ${r.errors.length} page errors` : ''),
    );
  }
} finally {
  await h.close();
}

const lt = (t: { count: number; maxMs: number }) => `${t.count} (${fmt(t.maxMs, 0)} ms)`;
console.log(
  '\n| backend (shown) | model | width | report every | steps | first step s | steps/s | img/s, both runs |' +
    ' img/s shown EP / iEP | long tasks start-up (longest) | long tasks training (longest) | long-task ms training |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.backend} (${r.shownBackend}) | ${r.model} | ${r.width} | ${r.reportEvery} | ${r.stepsReached} | ` +
      `${fmt(r.firstStepSeconds, 1)} | ${fmt(r.steadyStepsPerSecond)} | ${fmt(r.steadyImagesPerSecond, 1)} | ` +
      `${fmt(r.shownImagesPerSecond.ep, 0)} / ${fmt(r.shownImagesPerSecond.iep, 0)} | ${lt(r.longTasks.startup)} | ` +
      `${lt(r.longTasks.training)} | ${fmt(r.longTasks.training.totalMs, 0)} |`,
  );
}

const written = writeBenchResults(
  values.out || 'bench-results/browser.json',
  { started, loadBefore },
  { settings: { steps: values.steps || 'per case', capSeconds, batch: BATCH, trainImages: TRAIN }, results },
);
console.log(`\n${((Date.now() - started) / 1000).toFixed(0)} s in all; written to ${written}`);
