// The engine pool's benchmark (`npm run bench:browser -- --suite pool`): the studio's real comparison in headless
// Chromium on wasm, 1, 2 and 4 runs, laid out on ONE engine worker with every core as a wasm thread (the old way)
// against the pool (an engine per run up to the cores, the rest as threads), both forced with `?layout=`, in one run
// of the script so the machine's load is the same for both. Per case: the slowest run's steps/s (the comparison's
// pace: every run makes one step per comparison step), run-steps/s over all runs, and each engine worker's memory
// (performance.measureUserAgentSpecificMemory: JavaScript and the wasm heap it holds).
import os from 'node:os';
import type { Page } from 'playwright-core';
import { defaultConfig, type ComparisonConfig } from '../../src/protocol/config';
import { RUN_PRESETS } from '../../src/views/studio/runPresets';
import type { startHarness } from '../../test/e2e/harness';
import { configHash } from '../../test/e2e/studioSupport';

export interface PoolCase {
  id: string;
  model: 'resnet20' | 'conv4';
  width: number;
  runs: 1 | 2 | 4;
  /** Seconds of training measured after the warm-up. */
  seconds: number;
}

export const POOL_CASES: PoolCase[] = [1, 2, 4].flatMap((runs) => [
  { id: `resnet20-${runs}`, model: 'resnet20', width: 0.5, runs, seconds: 40 } as PoolCase,
  { id: `conv4-${runs}`, model: 'conv4', width: 0.25, runs, seconds: 20 } as PoolCase,
]);

export interface PoolResult {
  id: string;
  model: string;
  width: number;
  batch: number;
  runs: number;
  layout: string;
  /** What the badge said (backend and layout). */
  shown: string;
  /** The slowest run's steady steps/s: the comparison's pace. */
  runStepsPerSecond: number | null;
  /** Steps of all runs together per second. */
  allStepsPerSecond: number | null;
  /** Bytes measured per engine worker (JavaScript heap with the wasm memory it owns), and the page's own. */
  workerBytes: number[];
  pageBytes: number | null;
  errors: string[];
  /** Why the case has no figures, where it failed. */
  failure?: string;
}

const BATCH = 64;
const REPORT_EVERY = 5;

function config(c: PoolCase): ComparisonConfig {
  const base = defaultConfig();
  const four = RUN_PRESETS.find((p) => p.id === 'schedules')!.runs(base);
  const runs = c.runs === 4 ? four : four.slice(0, c.runs);
  return {
    ...base,
    model: c.model,
    width: c.width,
    batchSize: BATCH,
    reportEvery: REPORT_EVERY,
    epochs: 10,
    runs,
    backend: 'wasm',
  };
}

declare global {
  interface Window {
    __pool?: [string, number, number][];
  }
}

/** Records every change of a run's shown step: [run test id, step, time]. */
async function watchSteps(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: [string, number, number][] = [];
    window.__pool = seen;
    new MutationObserver((records) => {
      const t = performance.now();
      for (const r of records) {
        const el = r.target as Element;
        const id = el.getAttribute('data-testid') ?? '';
        if (id.endsWith('-progress')) seen.push([id, Number(el.getAttribute('data-step')), t]);
      }
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-step'] });
  });
}

/** A run's steady steps/s between its first shown step past `warm` and its last. */
function rate(samples: [number, number][], warm: number): number | null {
  const from = samples.find(([s]) => s >= warm);
  const to = samples.at(-1);
  if (!from || !to || to[0] <= from[0]) return null;
  return ((to[0] - from[0]) * 1000) / (to[1] - from[1]);
}

interface MemoryBreakdown {
  bytes: number;
  attribution: { url: string; scope: string }[];
}

async function memory(page: Page): Promise<{ workers: number[]; page: number | null }> {
  const breakdown = await page
    .evaluate(async () => {
      const m = (performance as unknown as { measureUserAgentSpecificMemory?: () => Promise<{ breakdown: unknown }> })
        .measureUserAgentSpecificMemory;
      return m ? ((await m.call(performance)).breakdown as MemoryBreakdown[]) : null;
    })
    .catch(() => null);
  if (!breakdown) return { workers: [], page: null };
  // Every engine worker has the same script URL: each breakdown entry attributed to one is one worker's heap.
  const workers: number[] = [];
  let pageBytes = 0;
  for (const b of breakdown) {
    const share = b.bytes / Math.max(1, b.attribution.length);
    for (const a of b.attribution) {
      if (a.scope === 'Window') pageBytes += share;
      else if (/assets\/worker/.test(a.url)) workers.push(Math.round(share));
    }
  }
  return { workers, page: Math.round(pageBytes) };
}

export async function runPoolCase(
  h: Awaited<ReturnType<typeof startHarness>>,
  c: PoolCase,
  layout: string,
): Promise<PoolResult> {
  const cfg = config(c);
  const { page, context, errors } = await h.openApp(`?backend=wasm&layout=${layout}${configHash(cfg as never)}`);
  try {
    await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 180_000 });
    await watchSteps(page);
    await page.click('[data-testid=start]');
    const last = `${cfg.runs.at(-1)!.id}-progress`;
    // Warm-up: every run's first report (the first step compiles).
    await page.waitForFunction(
      ([id, n]) => Number(document.querySelector(`[data-testid="${id}"]`)?.getAttribute('data-step')) >= n,
      [last, REPORT_EVERY] as const,
      { timeout: 300_000, polling: 250 },
    );
    await page.waitForTimeout(c.seconds * 1000);
    const seen = (await page.evaluate(() => window.__pool ?? [])) as [string, number, number][];
    const mem = await memory(page);
    const shown = ((await page.textContent('[data-testid=studio-backend]').catch(() => null)) ?? '?').trim();
    await page.click('[data-testid=pause]').catch(() => undefined);
    const rates = cfg.runs.map((r) =>
      rate(
        seen.filter(([id]) => id === `${r.id}-progress`).map(([, s, t]) => [s, t]),
        REPORT_EVERY,
      ),
    );
    const known = rates.filter((r): r is number => r !== null);
    return {
      id: c.id,
      model: c.model,
      width: c.width,
      batch: BATCH,
      runs: c.runs,
      layout,
      shown,
      runStepsPerSecond: known.length === rates.length ? Math.min(...known) : null,
      allStepsPerSecond: known.length === rates.length ? known.reduce((a, b) => a + b, 0) : null,
      workerBytes: mem.workers,
      pageBytes: mem.page,
      errors,
    };
  } finally {
    await context.close();
  }
}

/** The layouts compared on this machine: one worker with every core as a thread, and the pool's rule. */
export function layoutsFor(runs: number): string[] {
  const cores = os.cpus().length;
  const workers = Math.min(runs, cores);
  const pool = `${workers}x${Math.max(1, Math.floor(cores / workers))}`;
  const single = `1x${cores}`;
  // One run: the pool is one worker too; its threads are what can differ.
  return pool === single ? (cores > 1 ? [single, '1x1'] : [single]) : [single, pool];
}
