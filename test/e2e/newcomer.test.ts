// What a newcomer hit (issue "A study you can read at a desk"): Start is three key presses away and keeps the focus
// on the controls; an import never stops a live run, and opening a stored run while one trains asks first and keeps
// the live run continuable.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ROOT, startHarness, type AppHarness } from './harness';
import { configHash, openStudio, slowDown, stepOf, tinyConfig, waitForState, waitForStep } from './studioSupport';

let h: AppHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const focused = (page: Page) =>
  page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.tagName);

describe('keyboard', () => {
  it('Start in three key presses (Tab, Enter on the skip link, Enter), and the focus stays on the controls', async () => {
    const { page } = await openStudio(h, tinyConfig({ epochs: 40 }));
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to Start');
    await page.keyboard.press('Enter');
    expect(await focused(page)).toBe('start');
    await page.keyboard.press('Enter');
    await waitForState(page, 'running');
    // Start is off while the run trains: the focus went to Pause, not to the page.
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'pause');
    await page.keyboard.press('Enter');
    await waitForState(page, 'paused');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'start');
  });
});

describe('a live run and the library', () => {
  it('an import lands in the library and the run goes on; opening a stored run asks, and the live run can go on', async () => {
    const { page } = await openStudio(h, tinyConfig({ epochs: 40 }));
    await slowDown(page);
    await page.click('[data-testid=start]');
    await waitForStep(page, 'ep', 3);
    const text = await readFile(join(ROOT, 'test/fixtures/v1-export.json'), 'utf8');
    const imported = (JSON.parse(text) as { id: string }).id;
    await page.setInputFiles('[data-testid=import]', {
      name: 'v1-export.json',
      mimeType: 'application/json',
      buffer: Buffer.from(text),
    });
    await page.waitForSelector(`[data-testid=run-list] li[data-run-id="${imported}"]`);
    expect(await page.textContent('[data-testid=studio-notice]')).toMatch(/v1-export\.json is in the library/);
    // Still live, still training.
    const at = await stepOf(page, 'ep');
    await waitForStep(page, 'ep', at + 2);
    expect(await page.getAttribute('[data-testid=runner-state]', 'data-state')).toBe('running');
    const live = await page.getAttribute('[data-testid=run-list] li.current', 'data-run-id');

    // Opening the import asks; declined, nothing changes.
    const questions: string[] = [];
    page.once('dialog', (d) => void (questions.push(d.message()), d.dismiss()));
    await page.click(`[data-testid=run-list] li[data-run-id="${imported}"] button.link`);
    await page.waitForTimeout(500);
    expect(questions[0]).toMatch(/A run is training here/);
    expect(await page.getAttribute('[data-testid=runner-state]', 'data-state')).toBe('running');

    // Accepted: the import is on screen, the live run is kept as cut short and goes on from the library.
    page.once('dialog', (d) => void d.accept());
    await page.click(`[data-testid=run-list] li[data-run-id="${imported}"] button.link`);
    await waitForState(page, 'recorded');
    await page.click(`[data-testid=run-list] li[data-run-id="${live}"] button.link`);
    await page.waitForSelector('[data-testid=continue-run]', { timeout: 30_000 });
    await page.click('[data-testid=continue-run]');
    await waitForState(page, 'running', 60_000);
  });
});

describe('two tabs', () => {
  it('the "training in another tab" notice clears once that tab closes', async () => {
    const { page, context } = await openStudio(h, tinyConfig({ epochs: 40 }));
    await slowDown(page);
    await page.click('[data-testid=start]');
    await waitForStep(page, 'ep', 2);
    const second = await context.newPage();
    await second.goto(page.url());
    const notice = '[data-testid=studio-notice]:has-text("training in another tab")';
    await second.waitForSelector(notice, { timeout: 60_000 });
    await page.close();
    await second.waitForSelector(notice, { state: 'detached', timeout: 30_000 });
  });
});

describe('a forced software GPU', () => {
  it('that makes no step says so; one click goes on with wasm, and the page keeps drawing', async () => {
    const config = tinyConfig({ model: 'resnet20', width: 0.5, batchSize: 64, trainLimit: 640, epochs: 4 });
    const { page } = await h.openApp(configHash({ ...config, backend: 'webgl' }));
    await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 180_000 });
    await page.click('[data-testid=start]');
    await page.waitForSelector('[data-testid=stalled]', { timeout: 60_000 });
    expect(await page.textContent('[data-testid=stalled]')).toMatch(/^webgl.* has made no step in 8 s/);
    // Every gap between two frames from here on.
    await page.evaluate(() => {
      const w = window as unknown as { gaps: number[] };
      w.gaps = [];
      let last = performance.now();
      const tick = (t: number) => {
        w.gaps.push(t - last);
        last = t;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await page.click('[data-testid=switch-to-wasm]');
    await waitForStep(page, 'ep', 2, 120_000);
    expect(await page.textContent('[data-testid=studio-backend]')).toMatch(/^wasm/);
    expect(await page.$('[data-testid=stalled]')).toBeNull();
    const gaps = await page.evaluate(() => (window as unknown as { gaps: number[] }).gaps);
    expect(gaps.length).toBeGreaterThan(10);
    expect(Math.max(...gaps)).toBeLessThan(1000);
  });
});
