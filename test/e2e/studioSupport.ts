// Helpers for the studio's end-to-end tests: a tiny comparison that trains in seconds on the bundled data, and
// readers for what the page shows (step counters, heatmap pixels, dying ratios).
import type { Page } from 'playwright-core';
import type { AppHarness } from './harness';

/** Small enough for SwiftShader/WASM: conv2 at 1/8 width, batch 8, a report every step. */
export function tinyConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: 'conv2',
    width: 0.125,
    batchSize: 8,
    reportEvery: 1,
    trainLimit: 64,
    testLimit: 32,
    epochs: 2,
    iep: { cycles: 4 },
    backend: 'wasm',
    ...overrides,
  };
}

export function configHash(config: Record<string, unknown>): string {
  return `#config=${encodeURIComponent(JSON.stringify(config))}`;
}

/** Opens the folded dataset view (sample images, class counts, drop zone) once the data has loaded. */
export async function showDataset(page: Page) {
  await page.getByTestId('train-count').waitFor({ timeout: 60_000 });
  const toggle = page.getByTestId('dataset-toggle');
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await page.getByTestId('sample-grid').waitFor({ timeout: 60_000 });
}

export async function openStudio(h: AppHarness, config: Record<string, unknown>) {
  const opened = await h.openApp(configHash(config));
  // The dataset loads on its own; the studio's Start button waits for nothing else.
  await opened.page.waitForSelector('[data-testid=studio]');
  return opened;
}

/** The engine's "slow" speed (250 ms between steps): a run stays in progress long enough to pause or reload it. */
export async function slowDown(page: Page) {
  await page.selectOption('[data-testid=speed]', '250');
}

/** The step a run's progress line shows. */
export function stepOf(page: Page, run: 'ep' | 'iep'): Promise<number> {
  return page.$eval(`[data-testid=${run}-progress]`, (el) => Number(el.getAttribute('data-step')));
}

export async function waitForStep(page: Page, run: 'ep' | 'iep', atLeast: number, timeout = 90_000) {
  await page.waitForFunction(
    ([r, n]) => Number(document.querySelector(`[data-testid=${r}-progress]`)?.getAttribute('data-step')) >= n,
    [run, atLeast] as const,
    { timeout },
  );
}

export async function waitForState(page: Page, state: string, timeout = 90_000) {
  await page.waitForFunction(
    (s) => document.querySelector('[data-testid=runner-state]')?.getAttribute('data-state') === s,
    state,
    { timeout },
  );
}

/** Every heatmap canvas of a column as a data URL, keyed by layer. */
export function heatmapPixels(page: Page, run: 'ep' | 'iep'): Promise<Record<string, string>> {
  return page.$$eval(`[data-testid=${run}-heatmaps] figure`, (figures) =>
    Object.fromEntries(
      figures.map((f) => [f.getAttribute('data-layer'), (f.querySelector('canvas') as HTMLCanvasElement).toDataURL()]),
    ),
  );
}

/** Each layer's dying ratio as its bar row states it (NaN where none is shown). */
export function dyingRatios(page: Page, run: 'ep' | 'iep'): Promise<Record<string, number>> {
  return page.$$eval(`section[data-run=${run}] .dying-row`, (rows) =>
    Object.fromEntries(rows.map((r) => [r.getAttribute('data-layer'), Number(r.getAttribute('data-dying') || 'NaN')])),
  );
}

/** The numbers the studio shows for a run at the timeline cursor (header stats and progress). */
export function shownNumbers(page: Page, run: 'ep' | 'iep'): Promise<Record<string, string>> {
  return page.$eval(`section[data-run=${run}]`, (section) => {
    const text = (sel: string) => section.querySelector(sel)?.textContent ?? '';
    const rows = [...section.querySelectorAll('.dying-row')].map((r) => r.textContent ?? '');
    return {
      step: text(`[data-testid$=-step]`),
      p: text(`[data-testid$=-p]`),
      lr: text(`[data-testid$=-lr]`),
      testAcc: text(`[data-testid$=-test-acc]`),
      dying: rows.join(' | '),
    };
  });
}
