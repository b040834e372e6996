// Record and replay: a run is stored as it trains and survives a reload; exported JSON is valid telemetry and,
// imported into a fresh browser profile, replays to the same numbers without training; a malformed or foreign file
// is rejected with a clear message and the stored runs stay as they were.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { defaultConfig } from '../../src/protocol/config';
import { validateRunRecord } from '../../src/protocol/validate';
import { startHarness, type AppHarness } from './harness';
import type { RunRecord } from '../../src/protocol/report';
import {
  cellColours,
  colourDistance,
  heatmapPixels,
  openStudio,
  parseColour,
  pixelsAt,
  pngSize,
  saved,
  scrubBack,
  shownNumbers,
  slowDown,
  stepOf,
  stepsSeen,
  storedRecords,
  storedSteps,
  tinyConfig,
  waitForState,
  waitForStep,
  watchSteps,
} from './studioSupport';

let h: AppHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

async function bothShown(page: Page) {
  const scoreboard = await page.textContent('[data-testid=scoreboard] tbody');
  return { ep: await shownNumbers(page, 'ep'), iep: await shownNumbers(page, 'iep'), scoreboard };
}

async function storedIds(page: Page): Promise<string[]> {
  return page.$$eval('[data-testid=run-list] li[data-run-id]', (lis) =>
    lis.map((li) => li.getAttribute('data-run-id')!),
  );
}

async function bothPixels(page: Page) {
  return { ep: await heatmapPixels(page, 'ep'), iep: await heatmapPixels(page, 'iep') };
}

/** The heatmap pictures exported now: the SVG, its cells in order, and the PNG's pixels at those cells' centres. */
async function exportedHeatmaps(page: Page) {
  const svg = (await saved(page, 'heatmaps-svg')).bytes.toString('utf8');
  const png = await saved(page, 'heatmaps-png');
  expect(png.name).toMatch(/\.png$/);
  // Cells are the square rects (the legend's are not).
  const cells = [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="([^"]+)"/g)]
    .filter((m) => m[3] === m[4])
    .map((m) => ({ x: Number(m[1]), y: Number(m[2]), size: Number(m[3]), fill: m[5] }));
  const svgSize = svg.match(/^<svg [^>]*width="(\d+)" height="(\d+)"/)!;
  // PNG and SVG share one layout.
  expect(pngSize(png.bytes)).toEqual({ width: Number(svgSize[1]), height: Number(svgSize[2]) });
  const url = `data:image/png;base64,${png.bytes.toString('base64')}`;
  const pngCells = await pixelsAt(
    page,
    url,
    cells.map((c) => [c.x + c.size / 2, c.y + c.size / 2]),
  );
  return { svg, cells, pngCells };
}

/** The on-screen heatmaps' cell colours, EP's layers then iEP's, row-major, sized by the reports at `step`. */
async function screenCells(page: Page, record: RunRecord, step: number): Promise<number[][]> {
  const colours: number[][] = [];
  for (const run of ['ep', 'iep'] as const) {
    const report = record.reports.find((r) => r.run === run && r.step === step)!;
    const pixels = await heatmapPixels(page, run);
    for (const layer of record.summary.layers) {
      const { rows, cols } = report.layers.find((l) => l.name === layer.name)!.heatmap;
      colours.push(...(await cellColours(page, pixels[layer.name], rows, cols)));
    }
  }
  return colours;
}

/** The id of the run on screen (the library marks it as current). */
async function currentRunId(page: Page): Promise<string> {
  const li = await page.waitForSelector('[data-testid=run-list] li.current[data-run-id]');
  return (await li.getAttribute('data-run-id'))!;
}

describe('studio: record, export, import, replay', () => {
  it('exports a finished run as valid JSON that replays to the same numbers in a fresh profile', async () => {
    const { page } = await openStudio(h, tinyConfig());
    await page.click('[data-testid=start]');
    await waitForState(page, 'done');
    // The setup open, as it is beside a recorded run: the same layout, so the same tile sizes, on both pages.
    await page.click('[data-testid=setup-toggle]');
    await page.waitForSelector('[data-testid=studio][data-setup=open]');
    // What the live run ended on: the numbers and pictures a replay of its export must come back to.
    const final = await bothShown(page);
    const finalPixels = await bothPixels(page);
    expect(final.ep.step).toContain('16');
    await scrubBack(page, 5);
    const earlier = await bothShown(page);
    expect(earlier.ep.step).not.toEqual(final.ep.step);

    const json = await saved(page, 'export-json');
    const text = json.bytes.toString('utf8');
    const record = validateRunRecord(JSON.parse(text));
    expect(record.reports.filter((r) => r.run === 'ep')).toHaveLength(16);
    expect(record.reports.filter((r) => r.run === 'iep')).toHaveLength(16);
    const csv = (await saved(page, 'export-csv')).bytes.toString('utf8').trim().split('\n');
    expect(csv[0].split(',')).toContain('dying_ratio_at_target_mean');
    expect(csv).toHaveLength(1 + record.reports.length + record.evals.length);

    // A fresh profile: nothing stored; the import alone brings the run back.
    const fresh = await openStudio(h, {});
    const p2 = fresh.page;
    expect(await storedIds(p2)).toEqual([]);
    await p2.setInputFiles('[data-testid=import]', {
      name: 'run.json',
      mimeType: 'application/json',
      buffer: Buffer.from(text),
    });
    await p2.waitForSelector(`[data-testid=run-list] li[data-run-id="${record.id}"]`);
    expect(await bothShown(p2)).toEqual(final);
    await scrubBack(p2, 5);
    expect(await bothShown(p2)).toEqual(earlier);

    // Replay from the end starts again at the first report and walks every report up to the last, no training.
    for (let i = 0; i < 5; i++) await p2.keyboard.press('ArrowRight');
    expect(await bothShown(p2)).toEqual(final);
    await watchSteps(p2);
    await p2.selectOption('[data-testid=replay-speed]', '10');
    await p2.click('[data-testid=replay]');
    // The click's own render shows "Pause replay" (React renders a click's update before the click returns).
    await p2.waitForFunction(() => document.querySelector('[data-testid=replay]')?.textContent === 'Replay');
    const walked = await stepsSeen(p2);
    expect(walked[0]).toBe(1);
    expect(walked.at(-1)).toBe(16);
    expect(walked.every((s, i) => i === 0 || s > walked[i - 1])).toBe(true);
    // One stop every 100 ms: however loaded the machine, most reports are drawn on the way.
    expect(walked.length).toBeGreaterThanOrEqual(8);
    expect(await bothShown(p2)).toEqual(final);
    expect(await bothPixels(p2)).toEqual(finalPixels);
    expect(await p2.$eval('[data-testid=runner-state]', (el) => el.getAttribute('data-state'))).toBe('recorded');

    // The imported run's setup can be taken over for a new run.
    expect(await p2.inputValue('[data-field=model] select')).toBe(defaultConfig().model);
    await p2.click('[data-testid=use-setup]');
    expect(await p2.inputValue('[data-field=model] select')).toBe('conv2');
    expect(await p2.inputValue('[data-field=trainLimit] input')).toBe('64');
  });

  it('exports the heatmaps (PNG, SVG) as they are at the timeline cursor, and the charts', async () => {
    const { page } = await openStudio(h, tinyConfig());
    await page.click('[data-testid=start]');
    await waitForState(page, 'done');
    const record = validateRunRecord(JSON.parse((await saved(page, 'export-json')).bytes.toString('utf8')));
    await scrubBack(page, 5);
    const at = Number((await shownNumbers(page, 'ep')).step.split(' ')[0]);
    expect(at).toBe(11);

    const earlier = await exportedHeatmaps(page);
    expect(earlier.svg).toMatch(/^<svg /);
    expect(earlier.svg).toContain(`EP · step ${at} `);
    expect(earlier.svg).toContain(`iEP · step ${at} `);
    // Cell by cell (EP's layers, then iEP's, row-major), the SVG and the PNG show what the screen shows at the cursor.
    const screen = await screenCells(page, record, at);
    expect(earlier.cells.length).toBe(screen.length);
    expect(earlier.cells.length).toBeGreaterThan(100);
    earlier.cells.forEach((cell, i) => {
      expect(colourDistance(parseColour(cell.fill), screen[i])).toBeLessThanOrEqual(3);
      expect(colourDistance(earlier.pngCells[i], screen[i])).toBeLessThanOrEqual(3);
    });
    // The charts mark the cursor.
    const chartsSvg = (await saved(page, 'charts-svg')).bytes.toString('utf8');
    expect(chartsSvg).toMatch(/^<svg [^]*<path /);
    expect(chartsSvg).toContain('chart-cursor');
    const chartsPng = await saved(page, 'charts-png');
    expect(chartsPng.name).toMatch(/\.png$/);
    expect(chartsPng.bytes.subarray(1, 4).toString('latin1')).toBe('PNG');

    // Back at the last step, the same exports show the last step, and some cells differ.
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    const last = await exportedHeatmaps(page);
    expect(last.svg).toContain(`EP · step 16 `);
    const lastScreen = await screenCells(page, record, 16);
    last.cells.forEach((cell, i) => {
      expect(colourDistance(parseColour(cell.fill), lastScreen[i])).toBeLessThanOrEqual(3);
      expect(colourDistance(last.pngCells[i], lastScreen[i])).toBeLessThanOrEqual(3);
    });
    expect(last.cells.some((cell, i) => colourDistance(parseColour(cell.fill), screen[i]) > 3)).toBe(true);
    expect(last.pngCells.some((px, i) => colourDistance(px, earlier.pngCells[i]) > 3)).toBe(true);
  });

  it('keeps a run that was training when the page reloaded', async () => {
    const { page } = await openStudio(h, tinyConfig({ trainLimit: 1600, epochs: 1 }));
    await slowDown(page);
    await page.click('[data-testid=start]');
    await waitForStep(page, 'ep', 5);
    await waitForStep(page, 'iep', 5);
    // The recorder writes about once a second while the run trains: step 5 of both lands in IndexedDB on its own.
    const id = await currentRunId(page);
    await expect
      .poll(() => storedSteps(page, id), { timeout: 60_000, interval: 200 })
      .toSatisfy(({ ep, iep }: { ep: number; iep: number }) => ep >= 5 && iep >= 5);
    expect(await page.$eval('[data-testid=runner-state]', (el) => el.getAttribute('data-state'))).toBe('running');
    expect((await storedRecords(page)).runs[id].status).toBe('recording');
    await page.reload();
    await page.waitForSelector('[data-testid=run-list] li[data-run-id]');
    await page.waitForFunction(
      () => document.querySelector('[data-testid=runner-state]')?.getAttribute('data-state') === 'recorded',
    );
    expect(await stepOf(page, 'ep')).toBeGreaterThanOrEqual(5);
    expect(await stepOf(page, 'iep')).toBeGreaterThanOrEqual(5);
    expect(await page.textContent('[data-testid=studio-notice]')).toContain('Recovered');
    const dying = await page.$$eval('section[data-run=ep] .dying-row', (rows) =>
      rows.map((r) => r.getAttribute('data-dying')),
    );
    expect(dying.every((d) => d !== '' && Number(d) >= 0)).toBe(true);
  });

  it('shows a paused run after a reload exactly as it was', async () => {
    const { page } = await openStudio(h, tinyConfig({ trainLimit: 1600, epochs: 1 }));
    await slowDown(page);
    await page.click('[data-testid=start]');
    await waitForStep(page, 'iep', 3);
    await page.click('[data-testid=pause]');
    await waitForState(page, 'paused');
    // Pausing writes the run at once: wait for the steps on screen to be in IndexedDB.
    const shownSteps = { ep: await stepOf(page, 'ep'), iep: await stepOf(page, 'iep') };
    const id = await currentRunId(page);
    await expect.poll(() => storedSteps(page, id), { timeout: 60_000, interval: 200 }).toEqual(shownSteps);
    // The setup open, as it is beside a recorded run: the same layout, so the same tile sizes, after the reload.
    await page.click('[data-testid=setup-toggle]');
    await page.waitForSelector('[data-testid=studio][data-setup=open]');
    const before = await bothShown(page);
    const pixels = await page.$$eval('section canvas.heatmap-canvas', (cs) =>
      cs.map((c) => (c as HTMLCanvasElement).toDataURL()),
    );
    await page.reload();
    await page.waitForFunction(
      () => document.querySelector('[data-testid=runner-state]')?.getAttribute('data-state') === 'recorded',
    );
    expect(await bothShown(page)).toEqual(before);
    expect(
      await page.$$eval('section canvas.heatmap-canvas', (cs) => cs.map((c) => (c as HTMLCanvasElement).toDataURL())),
    ).toEqual(pixels);
  });

  it('rejects malformed and foreign files with a clear message and changes nothing stored', async () => {
    const { page } = await openStudio(h, tinyConfig());
    await page.click('[data-testid=start]');
    await waitForState(page, 'done');
    await page.waitForSelector('[data-testid=run-list] li[data-run-id]');
    const id = await currentRunId(page);
    // The run is written once more when it ends, marked done: compare from there on.
    await expect
      .poll(async () => (await storedRecords(page)).runs[id]?.status, { timeout: 60_000, interval: 200 })
      .toBe('done');
    const before = await storedRecords(page);
    expect(Object.keys(before.items).length).toBeGreaterThanOrEqual(32);
    const listed = await storedIds(page);
    const shown = await bothShown(page);

    const bad = [
      { name: 'notes.txt', body: 'this is not json', expected: 'not JSON' },
      { name: 'foreign.json', body: JSON.stringify({ hello: 'world' }), expected: 'Not a Supermask Studio run' },
      {
        name: 'broken.json',
        body: JSON.stringify({ format: 'supermask-studio/run', version: 1, id: 'x', reports: 'none' }),
        expected: 'Invalid run file',
      },
    ];
    for (const file of bad) {
      await page.setInputFiles('[data-testid=import]', {
        name: file.name,
        mimeType: 'application/json',
        buffer: Buffer.from(file.body),
      });
      await page.waitForFunction(
        (want) => document.querySelector('[data-testid=library-error]')?.textContent?.includes(want),
        file.expected,
      );
      const message = await page.textContent('[data-testid=library-error]');
      expect(message).toContain('Import rejected');
      expect(message).toContain(file.name);
      // Read from IndexedDB itself: the list on screen is not refreshed by a rejected import.
      expect(await storedRecords(page)).toEqual(before);
      expect(await storedIds(page)).toEqual(listed);
      expect(await bothShown(page)).toEqual(shown);
    }
  });
});
