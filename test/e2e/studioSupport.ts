// Helpers for the studio's end-to-end tests: a tiny comparison that trains in seconds on the bundled data, and
// readers for what the page shows (step counters, heatmap pixels, dying ratios).
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import type { RunId } from '../../src/protocol/config';
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
  // The dataset loads on its own; the studio's Start button waits for nothing else. On a loaded machine the bundled
  // 18 MB can take longer than a click's 30 s, so the wait for it is explicit and long.
  await opened.page.waitForSelector('[data-testid=studio]');
  await opened.page.waitForSelector('[data-testid=start]:not([title="Loading the dataset…"])', { timeout: 180_000 });
  return opened;
}

/** The engine's "slow" speed (250 ms between steps): a run stays in progress long enough to pause or reload it. */
export async function slowDown(page: Page) {
  await page.selectOption('[data-testid=speed]', '250');
}

/** The step a run's progress line shows. */
export function stepOf(page: Page, run: RunId): Promise<number> {
  return page.$eval(`[data-testid=${run}-progress]`, (el) => Number(el.getAttribute('data-step')));
}

/**
 * Polled on a timer, not on animation frames: on a loaded two-core machine a page busy training can go seconds
 * without a frame, and a state that lasts less than that would be missed.
 */
const POLL_MS = 100;

export async function waitForStep(page: Page, run: RunId, atLeast: number, timeout = 90_000) {
  try {
    await page.waitForFunction(
      ([r, n]) => Number(document.querySelector(`[data-testid=${r}-progress]`)?.getAttribute('data-step')) >= n,
      [run, atLeast] as const,
      { timeout, polling: POLL_MS },
    );
  } catch (e) {
    throw new Error(`waited ${timeout / 1000} s for ${run}'s step ${atLeast}: ${await whereItStands(page)}`, {
      cause: e,
    });
  }
}

export async function waitForState(page: Page, state: string, timeout = 90_000) {
  try {
    await page.waitForFunction(
      (s) => document.querySelector('[data-testid=runner-state]')?.getAttribute('data-state') === s,
      state,
      { timeout, polling: POLL_MS },
    );
  } catch (e) {
    throw new Error(`waited ${timeout / 1000} s for the state '${state}': ${await whereItStands(page)}`, { cause: e });
  }
}

/** What the page shows and what its engine session went through (for a wait that failed). */
async function whereItStands(page: Page): Promise<string> {
  return page
    .evaluate(() => {
      const shown = document.querySelector('[data-testid=runner-state]');
      const trace = (globalThis as { supermaskSessionTrace?: () => string }).supermaskSessionTrace?.();
      return `the page shows '${shown?.getAttribute('data-state')}' at engine steps '${shown?.getAttribute('data-engine-steps')}'; the session: ${trace}`;
    })
    .catch((e: Error) => `(the page could not be read: ${e.message})`);
}

/** Every heatmap canvas of a column as a data URL, keyed by layer. */
export function heatmapPixels(page: Page, run: RunId): Promise<Record<string, string>> {
  return page.$$eval(`[data-testid=${run}-heatmaps] figure`, (figures) =>
    Object.fromEntries(
      figures.map((f) => [f.getAttribute('data-layer'), (f.querySelector('canvas') as HTMLCanvasElement).toDataURL()]),
    ),
  );
}

/** Each layer's dying ratio as its bar row states it (NaN where none is shown). */
export function dyingRatios(page: Page, run: RunId): Promise<Record<string, number>> {
  return page.$$eval(`section[data-run=${run}] .dying-row`, (rows) =>
    Object.fromEntries(rows.map((r) => [r.getAttribute('data-layer'), Number(r.getAttribute('data-dying') || 'NaN')])),
  );
}

/** The numbers the studio shows for a run at the timeline cursor (header stats and progress). */
export function shownNumbers(page: Page, run: RunId): Promise<Record<string, string>> {
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

export interface StoredItem {
  kind: 'step' | 'eval';
  run: RunId;
  step: number;
  /** SHA-256 of the whole row: two reads compare equal only if every stored value is the same. */
  digest: string;
}

export interface StoredRecords {
  /** The meta rows (one per run), by id. */
  runs: Record<string, Record<string, unknown>>;
  /** The report and evaluation rows, keyed "id/seq" (their heatmaps are megabytes: digested in the page). */
  items: Record<string, StoredItem>;
}

/** Everything the recorder has stored in this profile's IndexedDB, read directly (not through the app's list). */
export function storedRecords(page: Page): Promise<StoredRecords> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('supermask-studio');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('IndexedDB open failed'));
    });
    const all = async (name: string) => {
      // A profile the app never recorded in has an empty database without stores.
      if (!db.objectStoreNames.contains(name)) return [];
      const req = db.transaction(name).objectStore(name).getAll();
      return new Promise<unknown[]>((resolve, reject) => {
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error ?? new Error('IndexedDB read failed'));
      });
    };
    // Heatmaps are stored as typed arrays; as plain arrays they serialise like any other value.
    const json = (v: unknown) =>
      JSON.stringify(v, (_k, x: unknown) => (ArrayBuffer.isView(x) ? Array.from(x as Float64Array) : x));
    const sha256 = async (text: string) =>
      Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))))
        .map((b) => b.toString(16).padStart(2, '0'))
        .join('');
    const runs = (await all('runs')) as { id: string }[];
    const items = (await all('items')) as { id: string; seq: number; item: Omit<StoredItem, 'digest'> }[];
    db.close();
    return {
      runs: Object.fromEntries(runs.map((r) => [r.id, JSON.parse(json(r)) as Record<string, unknown>])),
      items: Object.fromEntries(
        await Promise.all(
          items.map(async (r) => {
            const { kind, run, step } = r.item;
            return [`${r.id}/${r.seq}`, { kind, run, step, digest: await sha256(json(r)) }] as const;
          }),
        ),
      ),
    };
  });
}

/**
 * The highest step of each run's reports stored in IndexedDB for the recorded comparison `id`, by run id (0 where
 * none is stored yet; `runs` are the run ids to list, the default comparison's unless given).
 */
export async function storedSteps(
  page: Page,
  id: string,
  runs: RunId[] = ['ep', 'iep'],
): Promise<Record<RunId, number>> {
  const { items } = await storedRecords(page);
  const steps: Record<RunId, number> = Object.fromEntries(runs.map((r) => [r, 0]));
  for (const [key, item] of Object.entries(items)) {
    if (key.startsWith(`${id}/`) && item.kind === 'step') steps[item.run] = Math.max(steps[item.run] ?? 0, item.step);
  }
  return steps;
}

/** An image's pixels (a data URL: a canvas, or an exported PNG) at the given points, as [r, g, b, a]. */
export function pixelsAt(page: Page, dataUrl: string, points: [number, number][]): Promise<number[][]> {
  return page.evaluate(
    async ([url, pts]) => {
      const bitmap = await createImageBitmap(await (await fetch(url)).blob());
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
      return pts.map(([x, y]) => {
        const o = (Math.floor(y) * bitmap.width + Math.floor(x)) * 4;
        return [data[o], data[o + 1], data[o + 2], data[o + 3]];
      });
    },
    [dataUrl, points] as const,
  );
}

/** The centres of a rows x cols heatmap's cells in a size x size picture: square cells, centred, as drawn. */
export function cellCentres(rows: number, cols: number, size: number): [number, number][] {
  const cell = Math.min(size / cols, size / rows);
  const x0 = (size - cell * cols) / 2;
  const y0 = (size - cell * rows) / 2;
  const centres: [number, number][] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) centres.push([x0 + (c + 0.5) * cell, y0 + (r + 0.5) * cell]);
  }
  return centres;
}

/** A CSS colour as '#rrggbb' or 'rgb(r, g, b)' in [r, g, b]. */
export function parseColour(css: string): number[] {
  const hex = css.match(/^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i);
  if (hex) return hex.slice(1, 4).map((h) => parseInt(h, 16));
  const rgb = css.match(/^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/);
  if (rgb) return rgb.slice(1, 4).map(Number);
  throw new Error(`not a colour: ${css}`);
}

/** Largest per-channel difference between two colours (alpha ignored). */
export function colourDistance(a: readonly number[], b: readonly number[]): number {
  return Math.max(...[0, 1, 2].map((i) => Math.abs(a[i] - b[i])));
}

/** A PNG's width and height, from its header (a Buffer, or a data URL as canvas.toDataURL() gives). */
export function pngSize(png: Buffer | string): { width: number; height: number } {
  const bytes = typeof png === 'string' ? Buffer.from(png.slice(png.indexOf(',') + 1), 'base64') : png;
  if (bytes.subarray(1, 4).toString('latin1') !== 'PNG') throw new Error('not a PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** The colour of each cell of a heatmap drawn on a (square) canvas, given as a data URL, in row-major order. */
export function cellColours(page: Page, dataUrl: string, rows: number, cols: number): Promise<number[][]> {
  return pixelsAt(page, dataUrl, cellCentres(rows, cols, pngSize(dataUrl).width));
}

/** Clicks an export button and returns the file it downloads. */
export async function saved(page: Page, testId: string): Promise<{ name: string; bytes: Buffer }> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testId}]`)]);
  return { name: d.suggestedFilename(), bytes: await readFile((await d.path())!) };
}

/** A run's heatmaps and the step its column shows, read in one go (the screen may move on in between). */
export function shownHeatmaps(page: Page, run: RunId): Promise<{ step: number; pixels: Record<string, string> }> {
  return page.evaluate((r) => {
    const figures = [...document.querySelectorAll(`[data-testid=${r}-heatmaps] figure`)];
    return {
      step: parseInt(document.querySelector(`[data-testid=${r}-step]`)?.textContent ?? '', 10),
      pixels: Object.fromEntries(
        figures.map((f) => [
          f.getAttribute('data-layer'),
          (f.querySelector('canvas') as HTMLCanvasElement).toDataURL(),
        ]),
      ),
    };
  }, run);
}

/** Every setup field's control as the form shows it: the value of inputs and selects, checkboxes as booleans. */
export function formFields(page: Page): Promise<Record<string, string | boolean>> {
  return page.$$eval('[data-testid=studio] [data-field]', (fields) =>
    Object.fromEntries(
      fields.map((f) => {
        const control = f.querySelector('input, select') as HTMLInputElement | HTMLSelectElement;
        const checkbox = control instanceof HTMLInputElement && control.type === 'checkbox';
        return [f.getAttribute('data-field'), checkbox ? control.checked : control.value];
      }),
    ),
  );
}

/** Picks a run in the runs editor, so that its own settings (an iEP run's cycles and schedule) are the ones shown. */
export async function selectRun(page: Page, run: RunId) {
  await page.check(`[data-testid=runs-editor] li[data-run="${run}"] input[type=radio]`);
  await page.waitForSelector(`[data-testid=runs-editor] li.selected[data-run="${run}"]`);
}

export interface ListedRun {
  id: RunId;
  label: string;
  method: string;
}

/** The runs the runs editor lists, in order: id, label and method as its controls hold them. */
export function runsListed(page: Page): Promise<ListedRun[]> {
  return page.$$eval('[data-testid=runs-editor] li[data-run]', (rows) =>
    rows.map((row) => ({
      id: row.getAttribute('data-run') ?? '',
      label: (row.querySelector('input[type=text]') as HTMLInputElement).value,
      method: (row.querySelector('select') as HTMLSelectElement).value,
    })),
  );
}

/** The schedule editor's points, read from their labels ("cycle 2: from step 24, p 0.360"). */
export async function schedulePointsShown(page: Page): Promise<{ step: number; p: number }[]> {
  const labels = await page.$$eval('[data-testid=schedule-editor] circle[data-index]', (cs) =>
    cs.map((c) => c.getAttribute('aria-label') ?? ''),
  );
  return labels.map((label) => {
    const m = label.match(/from step (\d+), p (\d\.\d+)/)!;
    return { step: Number(m[1]), p: Number(m[2]) };
  });
}

/** The setup form (formFields) with each run of the runs editor selected in turn, so each run's settings show. */
export async function formsByRun(page: Page): Promise<Record<string, string | boolean>[]> {
  const forms = [];
  for (const { id } of await runsListed(page)) {
    await selectRun(page, id);
    forms.push(await formFields(page));
  }
  return forms;
}

/** Records every step EP's column shows from now on (window.seenSteps). */
export async function watchSteps(page: Page) {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { seenSteps: string[] }).seenSteps = seen;
    const el = document.querySelector('[data-testid=ep-step]')!;
    new MutationObserver(() => {
      const text = el.textContent ?? '';
      if (seen.at(-1) !== text) seen.push(text);
    }).observe(el, { childList: true, characterData: true, subtree: true });
  });
}

export async function stepsSeen(page: Page): Promise<number[]> {
  const seen = await page.evaluate(() => (window as unknown as { seenSteps: string[] }).seenSteps);
  return seen.map((text) => parseInt(text, 10));
}

/** Moves the timeline cursor back `times` reports, by keyboard. */
export async function scrubBack(page: Page, times: number) {
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  for (let i = 0; i < times; i++) await page.keyboard.press('ArrowLeft');
}

/** Where an element is drawn on the page (its first match). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export async function boxOf(page: Page, selector: string): Promise<Box> {
  const box = await page.locator(selector).first().boundingBox();
  if (!box) throw new Error(`${selector} is not rendered`);
  return box;
}

/** Whether `box` lies wholly inside the viewport, unscrolled. */
export function inside(box: Box, viewport: { width: number; height: number }): boolean {
  return box.x >= 0 && box.y >= 0 && box.x + box.width <= viewport.width && box.y + box.height <= viewport.height;
}
