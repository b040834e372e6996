// Record and replay: a run is stored as it trains and survives a reload; exported JSON is valid telemetry and,
// imported into a fresh browser profile, replays to the same numbers without training; a malformed or foreign file
// is rejected with a clear message and the stored runs stay as they were.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { defaultConfig } from '../../src/protocol/config';
import { validateRunRecord } from '../../src/protocol/validate';
import { startHarness, type AppHarness } from './harness';
import { openStudio, shownNumbers, slowDown, stepOf, tinyConfig, waitForState, waitForStep } from './studioSupport';

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

async function scrubBack(page: Page, times: number) {
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  for (let i = 0; i < times; i++) await page.keyboard.press('ArrowLeft');
}

describe('studio: record, export, import, replay', () => {
  it('exports a finished run as valid JSON that replays to the same numbers in a fresh profile', async () => {
    const { page } = await openStudio(h, tinyConfig());
    await page.click('[data-testid=start]');
    await waitForState(page, 'done');
    const final = await bothShown(page);
    expect(final.ep.step).toContain('16');
    await scrubBack(page, 5);
    const earlier = await bothShown(page);
    expect(earlier.ep.step).not.toEqual(final.ep.step);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-json]')]);
    const text = await readFile((await download.path())!, 'utf8');
    const record = validateRunRecord(JSON.parse(text));
    expect(record.reports.filter((r) => r.run === 'ep')).toHaveLength(16);
    expect(record.reports.filter((r) => r.run === 'iep')).toHaveLength(16);

    // The other exports: scalars as CSV, pictures as PNG and SVG.
    const saved = async (testId: string) => {
      const [d] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testId}]`)]);
      return { name: d.suggestedFilename(), bytes: await readFile((await d.path())!) };
    };
    const csv = (await saved('export-csv')).bytes.toString('utf8').trim().split('\n');
    expect(csv[0].split(',')).toContain('dying_ratio_at_target_mean');
    expect(csv).toHaveLength(1 + record.reports.length + record.evals.length);
    for (const id of ['heatmaps-png', 'charts-png']) {
      const png = await saved(id);
      expect(png.name).toMatch(/\.png$/);
      expect(png.bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    }
    const heatSvg = (await saved('heatmaps-svg')).bytes.toString('utf8');
    expect(heatSvg).toMatch(/^<svg /);
    expect(heatSvg.match(/<rect /g)!.length).toBeGreaterThan(100);
    expect((await saved('charts-svg')).bytes.toString('utf8')).toMatch(/^<svg [^]*<path /);

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

    // Replay from the start at the fastest speed: no training, and it ends on the same numbers.
    await p2.selectOption('[data-testid=replay-speed]', '100');
    await p2.click('[data-testid=replay]');
    await p2.waitForFunction(() => document.querySelector('[data-testid=replay]')?.textContent === 'Replay', null, {
      timeout: 30_000,
    });
    expect(await bothShown(p2)).toEqual(final);
    expect(await p2.$eval('[data-testid=runner-state]', (el) => el.getAttribute('data-state'))).toBe('recorded');

    // The imported run's setup can be taken over for a new run.
    expect(await p2.inputValue('[data-field=model] select')).toBe(defaultConfig().model);
    await p2.click('[data-testid=use-setup]');
    expect(await p2.inputValue('[data-field=model] select')).toBe('conv2');
    expect(await p2.inputValue('[data-field=trainLimit] input')).toBe('64');
  });

  it('keeps a run that was training when the page reloaded', async () => {
    const { page } = await openStudio(h, tinyConfig({ trainLimit: 1600, epochs: 1 }));
    await slowDown(page);
    await page.click('[data-testid=start]');
    await waitForStep(page, 'ep', 5);
    await waitForStep(page, 'iep', 5);
    // The recorder writes about once a second: wait for one write to have happened after step 5.
    await page.waitForTimeout(1500);
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
    // Pausing writes the run at once; give the write a moment to land.
    await page.waitForTimeout(500);
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
    const before = await storedIds(page);
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
      expect(await storedIds(page)).toEqual(before);
      expect(await bothShown(page)).toEqual(shown);
    }
  });
});
