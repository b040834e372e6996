// The "Recorded studies" list in a real Chromium, on the built site from a plain static host (its service worker
// isolates the page and keeps what it serves): a study opens with one click straight into talk mode and replays there;
// the list then says it is available offline, and with the network gone it opens again after a reload, while a study
// never opened says in words why it cannot open, and the one on screen stays.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { ROOT, startHarness, type AppHarness } from './harness';
import { waitForInstalledAndIsolated } from './serviceWorkerSupport';
import { serveStatic } from './staticServer';
import { waitForState } from './studioSupport';

let h: AppHarness;
let context: BrowserContext | undefined;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await context?.close();
  await h?.close();
});

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe's serious and critical findings inside the list, by rule and element. */
async function listViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  return page.evaluate(async () => {
    type Found = { id: string; impact?: string; nodes: { target: string[] }[] };
    const axe = (window as unknown as { axe: { run: (c: Element) => Promise<{ violations: Found[] }> } }).axe;
    const { violations } = await axe.run(document.querySelector('[data-testid=studies]')!);
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

const row = (id: string) => `[data-testid=study-list] li[data-study-id="${id}"]`;

/** The column headers' run names and the first run's step, as the screen shows them. */
function shown(page: Page): Promise<{ runs: string[]; step: string }> {
  return page.evaluate(() => ({
    // The title: the label and the method, without the explanation the label opens.
    runs: [...document.querySelectorAll('section[data-run] .run-head h2')].map((h) => h.getAttribute('title') ?? ''),
    step: document.querySelector('section[data-run] [data-testid$=-step]')?.textContent ?? '',
  }));
}

describe('recorded studies', () => {
  it('one opens from the list into talk mode and replays, and opens again offline after that one visit', async () => {
    const server = await serveStatic(join(ROOT, 'dist'), '/studio/');
    context = await h.browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(`${err.name}: ${err.message}`));
    await page.goto(`${server.url}?backend=wasm`);
    await waitForInstalledAndIsolated(page);

    await page.waitForSelector('[data-testid=study-list] li[data-study-id]');
    const studies = await page.$$eval('[data-testid=study-list] li[data-study-id]', (items) =>
      items.map((li) => ({
        id: li.getAttribute('data-study-id')!,
        offline: li.getAttribute('data-offline'),
        size: li.querySelector('[data-testid=study-size]')?.textContent ?? '',
        caption: li.querySelector('.study-caption')?.textContent ?? '',
      })),
    );
    expect(studies.map((s) => s.id)).toEqual(expect.arrayContaining(['compare-e1', 'schedules-e1-s1']));
    for (const s of studies) {
      expect(s.offline, `${s.id} is not offline before it is opened`).toBe('no');
      expect(s.size).toMatch(/^\d+\.\d MB/);
      expect(s.caption.length).toBeGreaterThan(40);
    }

    // The schedule comparison, the smallest file: one key press on its talk-mode button, straight into talk mode.
    const study = 'schedules-e1-s1';
    await page.focus(`${row(study)} [data-testid=study-talk]`);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=studio][data-talk=true]');
    await waitForState(page, 'recorded');
    const opened = await shown(page);
    expect(opened.runs).toEqual(['EP (ep)', 'iEP 1−0.8^c (iep)', 'iEP linear (iep)', 'iEP one-shot (iep)']);
    // Space plays the replay (from the first report, the cursor being at the end), and the step moves on.
    await page.keyboard.press(' ');
    await page.waitForFunction((last) => {
      const step = document.querySelector('section[data-run] [data-testid$=-step]')?.textContent ?? '';
      return step !== '' && step !== last;
    }, opened.step);
    const early = Number.parseInt((await shown(page)).step, 10);
    await page.waitForFunction(
      (from) =>
        Number.parseInt(document.querySelector('section[data-run] [data-testid$=-step]')?.textContent ?? '', 10) > from,
      early,
    );
    await page.keyboard.press(' ');
    await page.keyboard.press('t');
    await page.waitForSelector('[data-testid=studio][data-talk=false]');
    // Opened once: the service worker holds it now, and the list says so (the others not).
    await page.waitForSelector(`${row(study)}[data-offline=yes]`);
    expect(await page.textContent(`${row(study)} [data-testid=study-offline]`)).toBe('available offline');
    expect(await page.getAttribute(`${row('compare-e1')}`, 'data-offline')).toBe('no');

    // The network gone, twice over: the host is down and the browser context offline.
    await server.close();
    await context.setOffline(true);
    await page.reload();
    await page.waitForSelector(`${row(study)}[data-offline=yes]`);
    await page.click(`${row(study)} [data-testid=study-open]`);
    await waitForState(page, 'recorded');
    expect((await shown(page)).runs).toEqual(opened.runs);
    expect(await page.getAttribute(row(study), 'aria-current')).toBe('true');

    // A study never opened cannot come offline: said in its row, the one on screen kept.
    await page.click(`${row('compare-e1')} [data-testid=study-open]`);
    const error = await page.waitForSelector(`${row('compare-e1')} [data-testid=study-error]`);
    expect(await error.textContent()).toMatch(
      /could not be opened: compare-e1-s1\.json (is not on this device|could not)/,
    );
    expect((await shown(page)).runs).toEqual(opened.runs);
    expect(await listViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
