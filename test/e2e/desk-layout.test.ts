// The studio read at a desk: 2, 4 and 6 runs at 1280 x 720 and 1600 x 1000. Once a run is live every figure of every
// run's header and of the scoreboard is whole (no text element cut: scrollWidth within clientWidth), the shared chart
// and the scoreboard are on the first screen, the setup has folded away behind a named button, the chart's legend
// names each run once and its line styles once, and the controls count the real number of runs. With four ResNet-20
// runs at 1600 x 1000, every layer's heatmap is within two screens of the top. Measured in the real Chromium layout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { defaultConfig, defaultRun, type RunConfig } from '../../src/protocol/config';
import { RUN_PRESETS } from '../../src/views/studio/runPresets';
import { startHarness, type AppHarness } from './harness';
import { boxOf, configHash, inside, tinyConfig, waitForState } from './studioSupport';

let h: AppHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

interface Viewport {
  width: number;
  height: number;
}

const HD: Viewport = { width: 1280, height: 720 };
const DESK: Viewport = { width: 1600, height: 1000 };

const study = RUN_PRESETS.find((p) => p.id === 'schedules')!.runs;
const twoRuns = RUN_PRESETS.find((p) => p.id === 'ep-iep')!.runs;

/** The comparisons measured: the default two, the schedule study, and the study with IteRand and dense added. */
function runsOf(n: 2 | 4 | 6): RunConfig[] {
  const base = defaultConfig();
  if (n === 2) return twoRuns(base);
  if (n === 4) return study(base);
  return [...study(base), defaultRun('iterand', 'iterand', 'IteRand'), defaultRun('dense', 'dense')];
}

const contexts: BrowserContext[] = [];
afterAll(async () => {
  await Promise.allSettled(contexts.map((c) => c.close()));
});

async function openAt(viewport: Viewport, config: Record<string, unknown>): Promise<{ page: Page; errors: string[] }> {
  const context = await h.browser.newContext({ viewport, serviceWorkers: 'block' });
  contexts.push(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`${err.name}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  await page.goto(h.url + configHash(config));
  await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 180_000 });
  return { page, errors };
}

/**
 * Every element with text under the run headers and the scoreboard whose content is wider than its box (cut, or
 * spilling out of it), described.
 */
function cutText(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const roots = [...document.querySelectorAll('section.run-column .run-head, .scoreboard-panel')];
    const cut: string[] = [];
    for (const root of roots) {
      for (const el of [root, ...root.querySelectorAll('*')]) {
        // Not what a closed explanation holds (it is laid out, unseen, until opened).
        if (!el.textContent?.trim() || !el.checkVisibility()) continue;
        if (el.scrollWidth > el.clientWidth + 1) {
          const where = el.closest('[data-run]')?.getAttribute('data-run') ?? 'scoreboard';
          cut.push(
            `${where} ${el.tagName.toLowerCase()}.${el.getAttribute('class') ?? ''} "${el.textContent.trim().slice(0, 40)}" ` +
              `scrollWidth ${el.scrollWidth} > clientWidth ${el.clientWidth}`,
          );
        }
      }
    }
    return cut;
  });
}

describe('the desk layout', () => {
  for (const viewport of [HD, DESK]) {
    for (const n of [2, 4, 6] as const) {
      it(`${n} runs at ${viewport.width} x ${viewport.height}: whole figures, the chart and the scoreboard on the first screen`, async () => {
        const runs = runsOf(n);
        const { page, errors } = await openAt(viewport, { ...tinyConfig(), runs });
        await page.click('[data-testid=start]');
        await waitForState(page, 'done');
        await page.evaluate(() => window.scrollTo(0, 0));
        // Soft: a layout that fails says everything it gets wrong at once.
        // The setup has folded away behind its button, so the columns have the width.
        expect.soft(await page.getAttribute('[data-testid=studio]', 'data-setup')).toBe('folded');
        expect.soft(await page.isVisible('[data-testid=runs-editor]')).toBe(false);
        expect
          .soft(await page.evaluate(() => document.querySelector('[data-testid=setup-toggle]')?.ariaExpanded))
          .toBe('false');

        // Every figure whole, in every header and in the scoreboard.
        expect.soft(await page.locator('section.run-column').count()).toBe(n);
        for (const { id } of runs) {
          for (const figure of ['step', 'p', 'lr', 'test-acc', 'dying', 'dying-target']) {
            expect.soft(await page.isVisible(`[data-testid=${id}-${figure}]`), `${id}-${figure}`).toBe(true);
          }
        }
        expect.soft(await page.textContent(`[data-testid=${runs[0].id}-step]`)).toBe('16 / 16');
        expect.soft(await cutText(page)).toEqual([]);

        // The shared chart and the scoreboard on the first screen.
        for (const selector of ['.shared-chart', '[data-testid=shared-dying]', '[data-testid=shared-accuracy]']) {
          const box = await boxOf(page, selector);
          expect.soft(inside(box, viewport), `${selector} at ${JSON.stringify(box)}`).toBe(true);
        }
        const board = await boxOf(page, '.scoreboard-panel');
        expect.soft(inside(board, viewport), `the scoreboard at ${JSON.stringify(board)}`).toBe(true);
        expect.soft(await page.locator('[data-testid=scoreboard] tbody tr').count()).toBe(n);

        // The legend names each run once, and the line styles once.
        const names = await page.$$eval('.shared-chart .chart-legend-list li', (lis) =>
          lis.map((li) => li.textContent ?? ''),
        );
        expect.soft(names).toEqual(runs.map((r) => r.label));
        const styles = await page.$$eval('.shared-chart .chart-styles li', (lis) =>
          lis.map((li) => li.textContent ?? ''),
        );
        expect.soft(styles).toEqual(['dt', 'dt at target', 'test accuracy']);

        // The controls count the runs there are.
        expect.soft(await page.textContent('.progress-both')).toMatch(new RegExp(` img/s over ${n} runs$`));
        expect.soft(errors).toEqual([]);
      });
    }
  }

  it('the setup opens on demand from the keyboard while a run is live, and folds again', async () => {
    const { page } = await openAt(HD, tinyConfig());
    await page.click('[data-testid=step]');
    await waitForState(page, 'paused');
    const toggle = page.getByTestId('setup-toggle');
    expect(await toggle.textContent()).toBe('Show the setup');
    expect(await toggle.getAttribute('aria-controls')).toBe('studio-setup');
    await toggle.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=studio][data-setup=open]');
    expect(await page.isVisible('[data-testid=runs-editor]')).toBe(true);
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=studio][data-setup=folded]');
    expect(await page.isVisible('[data-testid=runs-editor]')).toBe(false);
    // Reset ends the run: the setup is back for the next one.
    await page.click('[data-testid=reset]');
    await page.waitForSelector('[data-testid=studio][data-setup=open]');
    expect(await page.isVisible('[data-testid=runs-editor]')).toBe(true);
  });

  it('four ResNet-20 runs at 1600 x 1000: every layer of every run within two screens of the top', async () => {
    const { page, errors } = await openAt(DESK, { ...tinyConfig(), model: 'resnet20', width: 0.25, runs: runsOf(4) });
    await page.click('[data-testid=step]');
    await waitForState(page, 'paused');
    await page.waitForFunction(() => document.querySelector('[data-testid=ep-step]')?.textContent?.startsWith('1 '));
    const tiles = await page.$$eval('section.run-column .heatmap-grid canvas', (canvases) =>
      canvases.map((c) => {
        const r = c.getBoundingClientRect();
        return {
          run: c.closest('[data-run]')?.getAttribute('data-run'),
          bottom: r.bottom + window.scrollY,
          side: r.width,
        };
      }),
    );
    expect(tiles).toHaveLength(4 * 22);
    const lowest = Math.max(...tiles.map((t) => t.bottom));
    console.log(
      `4 x ResNet-20 at 1600 x 1000: tiles ${[...new Set(tiles.map((t) => t.side))].join(', ')} px, ` +
        `the lowest ends at ${Math.round(lowest)} px, the page is ${await page.evaluate(() => document.documentElement.scrollHeight)} px`,
    );
    for (const [i, tile] of tiles.entries())
      expect(tile.bottom, `${tile.run} tile ${i % 22}`).toBeLessThanOrEqual(2 * DESK.height);
    expect(await cutText(page)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
