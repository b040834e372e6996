// Recorded runs laid over a live comparison, and the difference view between two runs: a finished EP-vs-iEP run is
// overlaid on a live four-run schedule study, its two runs named in the shared chart's legend with their own curves;
// the difference view shows, per layer, run A's usage minus run B's, and changes when B changes.
import * as d3 from 'd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startHarness, type AppHarness } from './harness';
import { openStudio, tinyConfig, waitForState, waitForStep } from './studioSupport';

let h: AppHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

function legend(page: Page): Promise<string[]> {
  return page.$$eval('.shared-chart .chart-legend-list li', (items) => items.map((li) => li.textContent ?? ''));
}

/** Paths with at least two points drawn in the shared dying-ratio chart, by stroke colour. */
function dyingStrokes(page: Page): Promise<string[]> {
  return page.$$eval('[data-testid=shared-dying] path', (paths) =>
    paths.filter((p) => (p.getAttribute('d') ?? '').includes('L')).map((p) => p.getAttribute('stroke') ?? ''),
  );
}

describe('overlays and the difference view', () => {
  it('a recorded run overlays on a live four-run study, each of its runs named; the difference view follows A and B', async () => {
    const { page, errors } = await openStudio(h, tinyConfig());
    // A finished EP-vs-iEP run, recorded.
    await page.click('[data-testid=start]');
    await waitForState(page, 'done');
    await page.click('[data-testid=reset]');
    // The live comparison: the four-run schedule study.
    await page.click('[data-testid=preset-schedules]');
    await page.click('[data-testid=start]');
    await waitForStep(page, 'iep', 4);
    const before = await legend(page);
    // The legend names each run once (the line styles are said once, apart).
    expect(before).toHaveLength(4);
    expect(before.some((l) => l.includes('seed 1'))).toBe(false);

    const recorded = page.locator('[data-testid=overlay-run]');
    expect(await recorded.count()).toBe(1);
    await recorded.click();
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.shared-chart .chart-legend-list li')].some((li) =>
        li.textContent?.startsWith('EP · conv2'),
      ),
    );
    const after = await legend(page);
    // The recorded run's two runs, each named with its setup, beside the live four.
    expect(after).toContain('EP · conv2 ×0.125 seed 1');
    expect(after).toContain('iEP · conv2 ×0.125 seed 1');
    expect(after).toHaveLength(6);
    // Their curves are drawn: the recorded run reached step 16, so its grey lines have many points.
    const strokes = await dyingStrokes(page);
    expect(strokes.filter((s) => s === '#555555' || s === '#888888')).toHaveLength(2);
    expect(await page.getAttribute('[data-testid=overlay-run]', 'aria-pressed')).toBe('true');

    // The difference view: A = EP, B = iEP 1−0.8^c by default; a tile per layer.
    await page.click('[data-testid=pause]');
    await waitForState(page, 'paused');
    const tiles = () =>
      page.$$eval('[data-testid=difference-tiles] figure', (figs) =>
        figs.map((f) => [f.getAttribute('data-layer'), (f.querySelector('canvas') as HTMLCanvasElement).toDataURL()]),
      );
    const ab = await tiles();
    expect(ab.map(([name]) => name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    // EP minus iEP one-shot: both at the target rate all along, so the picture differs from EP minus iEP 1−0.8^c.
    await page.selectOption('[data-testid=difference-b]', 'iep-one-shot');
    await page.waitForFunction(
      (old) =>
        [...document.querySelectorAll('[data-testid=difference-tiles] canvas')].some(
          (c, i) => (c as HTMLCanvasElement).toDataURL() !== old[i],
        ),
      ab.map(([, url]) => url),
    );
    // A run minus itself is white everywhere: every pixel the scale's colour for zero.
    await page.selectOption('[data-testid=difference-b]', 'ep');
    const white = await page.$$eval('[data-testid=difference-tiles] canvas', (canvases) =>
      canvases.map((c) => {
        const canvas = c as HTMLCanvasElement;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        const colours = new Set<string>();
        for (let i = 0; i < data.length; i += 4)
          if (data[i + 3] > 0) colours.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
        return [...colours];
      }),
    );
    // PuOr's midpoint, the colour of no difference (heatmapDraw.ts): rgb(243, 238, 234), its near-white.
    const zero = d3.color(d3.interpolatePuOr(0.5))!.rgb();
    expect(white.length).toBeGreaterThan(0);
    for (const colours of white) expect(colours).toEqual([`${zero.r},${zero.g},${zero.b}`]);
    expect(errors).toEqual([]);
  }, 400_000);
});
