// The studio trains EP and iEP side by side in a real browser: the first heatmaps are drawn from their report and then
// change, every layer of both columns shows a dying ratio, Pause stops the step counter and Step advances it by one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interpolateViridis, rgb } from 'd3';
import { validateRunRecord } from '../../src/protocol/validate';
import { startHarness, type AppHarness } from './harness';
import {
  cellColours,
  colourDistance,
  dyingRatios,
  heatmapPixels,
  openStudio,
  parseColour,
  saved,
  shownHeatmaps,
  slowDown,
  stepOf,
  storedSteps,
  tinyConfig,
  waitForState,
  waitForStep,
} from './studioSupport';

let h: AppHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('studio: a live comparison', () => {
  it('shows changing heatmaps and a dying ratio for every layer of both runs; Pause stops, Step advances by one', async () => {
    // 1,600 images / batch 8 = 200 steps per epoch: long enough that the run is still going when we pause it.
    const { page, errors } = await openStudio(h, tinyConfig({ trainLimit: 1600, epochs: 1 }));
    // Before a run every layer has its tile, empty.
    await page.waitForSelector('[data-testid=ep-heatmaps] figure canvas');
    const blank = await heatmapPixels(page, 'ep');
    expect(Object.keys(blank)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    await slowDown(page);
    await page.click('[data-testid=start]');
    await waitForStep(page, 'ep', 1);
    await waitForStep(page, 'iep', 1);
    const firstShown = { ep: await shownHeatmaps(page, 'ep'), iep: await shownHeatmaps(page, 'iep') };
    const first = { ep: firstShown.ep.pixels, iep: firstShown.iep.pixels };
    const firstSteps = { ep: await stepOf(page, 'ep'), iep: await stepOf(page, 'iep') };
    // A few reports later (one report a step); several may arrive in one screen update.
    await waitForStep(page, 'ep', firstSteps.ep + 3);
    await waitForStep(page, 'iep', firstSteps.iep + 3);
    const later = { ep: await heatmapPixels(page, 'ep'), iep: await heatmapPixels(page, 'iep') };

    for (const run of ['ep', 'iep'] as const) {
      const layers = Object.keys(first[run]);
      expect(layers.length).toBeGreaterThanOrEqual(3);
      // Usage is a mean over all steps so far: after a few more steps some layer's picture must differ.
      expect(layers.some((l) => first[run][l] !== later[run][l])).toBe(true);
      const dying = await dyingRatios(page, run);
      expect(Object.keys(dying)).toEqual(layers);
      for (const d of Object.values(dying)) {
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(1);
      }
    }

    await page.click('[data-testid=pause]');
    await waitForState(page, 'paused');
    const paused = { ep: await stepOf(page, 'ep'), iep: await stepOf(page, 'iep') };

    // The first pictures were drawn, cell for cell, from the report of the step they were shown at: viridis from the
    // edges' mean selection rate, magenta where every edge of the cell was never selected.
    const record = validateRunRecord(JSON.parse((await saved(page, 'export-json')).bytes.toString('utf8')));
    for (const run of ['ep', 'iep'] as const) {
      const report = record.reports.find((r) => r.run === run && r.step === firstShown[run].step)!;
      expect(report).toBeDefined();
      for (const layer of report.layers) {
        const { rows, cols, usage, dead } = layer.heatmap;
        const shown = await cellColours(page, first[run][layer.name], rows, cols);
        shown.forEach((px, i) => {
          const expected = dead[i] >= 1 ? '#ff4fd8' : interpolateViridis(Math.min(1, Math.max(0, usage[i])));
          expect(px[3]).toBe(255);
          expect(colourDistance(px, parseColour(rgb(expected).formatHex()))).toBeLessThanOrEqual(3);
        });
      }
    }
    expect(paused.ep).toBeLessThan(200);
    // No fixed sleep: the export above and the pause's write to IndexedDB (a round trip through the recorder) come
    // after the pause, and the engine, at 250 ms a step, would have moved on in that time had it not stopped.
    const id = (await page.getAttribute('[data-testid=run-list] li.current[data-run-id]', 'data-run-id'))!;
    await expect.poll(() => storedSteps(page, id), { timeout: 60_000, interval: 200 }).toEqual(paused);
    expect({ ep: await stepOf(page, 'ep'), iep: await stepOf(page, 'iep') }).toEqual(paused);

    await page.click('[data-testid=step]');
    await waitForStep(page, 'ep', paused.ep + 1);
    await waitForStep(page, 'iep', paused.iep + 1);
    await waitForState(page, 'paused');
    const stepped = { ep: paused.ep + 1, iep: paused.iep + 1 };
    await expect.poll(() => storedSteps(page, id), { timeout: 60_000, interval: 200 }).toEqual(stepped);
    expect({ ep: await stepOf(page, 'ep'), iep: await stepOf(page, 'iep') }).toEqual(stepped);

    // Hover names the cell; a click enlarges the layer for both runs; Escape closes it.
    const tile = page.locator('section[data-run=ep] figure[data-layer] canvas').nth(1);
    const layer = await page.locator('section[data-run=ep] figure[data-layer]').nth(1).getAttribute('data-layer');
    await tile.scrollIntoViewIfNeeded();
    await tile.hover();
    const hover = await page.waitForSelector('.heatmap-hover');
    expect(await hover.textContent()).toMatch(
      new RegExp(`^${layer} · out \\d+(–\\d+)? ← in \\d+(–\\d+)? · selection rate \\d\\.\\d{3}`),
    );
    await tile.click();
    const enlarged = page.locator('[data-testid=enlarged]');
    expect(await enlarged.locator(`figure[data-layer="${layer}"] canvas`).count()).toBe(2);
    await page.keyboard.press('Escape');
    await enlarged.waitFor({ state: 'detached' });

    // Reset clears the screen (back to the empty tiles); the run stays in the library, recorded as stopped.
    await page.click('[data-testid=reset]');
    await waitForState(page, 'empty');
    await page.waitForFunction(() =>
      document.querySelector('[data-testid=run-list] li[data-run-id]')?.textContent?.includes('stopped'),
    );
    expect(await heatmapPixels(page, 'ep')).toEqual(blank);
    expect(errors).toEqual([]);
  });
});
