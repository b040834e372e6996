// Recording across tabs and reloads: one tab owns a live run; another tab of the same browser lists it as live there
// and never claims it; a reload mid-run marks the run interrupted (never 'recording' for ever), and each notice is
// shown on its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startHarness, type AppHarness } from './harness';
import { configHash, openStudio, slowDown, tinyConfig, waitForState, waitForStep } from './studioSupport';

let h: AppHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

function notices(page: Page): Promise<string[]> {
  return page.$$eval('[data-testid=studio-notice]', (ps) => ps.map((p) => p.textContent ?? ''));
}

/** The stored runs' statuses as IndexedDB holds them (not as a list on screen shows them). */
function storedStatuses(page: Page): Promise<Record<string, string>> {
  return page.evaluate(
    () =>
      new Promise<Record<string, string>>((resolve, reject) => {
        const open = indexedDB.open('supermask-studio');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction('runs').objectStore('runs').getAll();
          all.onsuccess = () => {
            resolve(Object.fromEntries((all.result as { id: string; status: string }[]).map((r) => [r.id, r.status])));
            open.result.close();
          };
          all.onerror = () => reject(all.error);
        };
      }),
  );
}

interface StoredRow {
  kind: string;
  run: string;
  step: number;
}

/** A stored run's meta row and its report rows (kind, run, step), read from IndexedDB in the page. */
function storedRun(page: Page, id: string): Promise<{ meta: Record<string, unknown> | null; rows: StoredRow[] }> {
  return page.evaluate(
    (runId) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('supermask-studio');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction(['runs', 'items']);
          const meta = tx.objectStore('runs').get(runId);
          const items = tx.objectStore('items').getAll(IDBKeyRange.bound([runId, 0], [runId, Number.MAX_SAFE_INTEGER]));
          tx.oncomplete = () => {
            const rows = (items.result as { item: StoredRow }[]).map(({ item }) => ({
              kind: item.kind,
              run: item.run,
              step: item.step,
            }));
            resolve({ meta: (meta.result as Record<string, unknown>) ?? null, rows });
            open.result.close();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    id,
  );
}

function runStatusShown(page: Page, id: string): Promise<string> {
  return page.$eval(`[data-run-id="${id}"] [data-testid=run-status]`, (el) => el.textContent ?? '');
}

describe('recording across tabs and reloads', () => {
  it('a second tab lists the first tab’s live run as live there and does not claim it', async () => {
    const first = await openStudio(h, tinyConfig({ trainLimit: 1600, epochs: 1 }));
    await slowDown(first.page);
    await first.page.click('[data-testid=start]');
    await waitForStep(first.page, 'ep', 2);
    const id = (await first.page.getAttribute('[data-run-id]', 'data-run-id'))!;
    await first.page.waitForFunction(() => document.querySelector('[data-run-id]')?.textContent?.includes('recording'));

    // Same browser profile (context): same IndexedDB, same locks.
    const second = await first.context.newPage();
    await second.goto(first.page.url());
    await second.waitForSelector(`[data-run-id="${id}"]`);
    await second.waitForFunction(() => [...document.querySelectorAll('[data-testid=studio-notice]')].length > 0);
    expect(await runStatusShown(second, id)).toBe('live in another tab');
    const said = await notices(second);
    expect(said.some((n) => n.includes('another tab'))).toBe(true);
    expect(said.some((n) => n.includes('Recovered'))).toBe(false);
    expect(await second.getAttribute('[data-testid=runner-state]', 'data-state')).not.toBe('recorded');
    // The live run cannot be deleted from the other tab.
    expect(await second.$(`[data-run-id="${id}"] button[aria-label="delete run"]`)).toBeNull();
    expect((await storedStatuses(second))[id]).toBe('recording');

    // The first tab trains on, undisturbed; when it stops the run, the second tab's list follows.
    const before = Number(await first.page.getAttribute('[data-testid=ep-progress]', 'data-step'));
    await waitForStep(first.page, 'ep', before + 2);
    await first.page.click('[data-testid=pause]');
    await first.page.click('[data-testid=reset]');
    await second.waitForFunction(
      (runId) => document.querySelector(`[data-run-id="${runId}"] [data-testid=run-status]`)?.textContent === 'stopped',
      id,
    );
    expect((await storedStatuses(second))[id]).toBe('stopped');
  });

  it('a reload mid-run recovers it once, marks it interrupted, and keeps a broken-link notice beside it', async () => {
    const { page } = await openStudio(h, tinyConfig({ trainLimit: 1600, epochs: 1 }));
    await slowDown(page);
    await page.click('[data-testid=start]');
    await waitForStep(page, 'iep', 3);
    const id = (await page.getAttribute('[data-run-id]', 'data-run-id'))!;
    // The recorder writes about once a second: wait until IndexedDB holds a few reports.
    await page.waitForFunction(() =>
      /\b([3-9]|\d\d+) reports/.test(document.querySelector('[data-run-id]')?.textContent ?? ''),
    );

    // Reload on a broken link: the config falls back, and both things are said, each on its own.
    await page.evaluate(() => history.replaceState(null, '', '#config=%7Bnot-json'));
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=studio-notice]').length >= 2);
    const said = await notices(page);
    expect(said.some((n) => n.includes('Recovered'))).toBe(true);
    expect(said.some((n) => /config/i.test(n) && !n.includes('Recovered'))).toBe(true);
    expect((await storedStatuses(page))[id]).toBe('interrupted');
    expect(await runStatusShown(page, id)).toBe('interrupted');

    // Dismissing one leaves the other.
    const recovered = page.locator('[data-testid=studio-notice]', { hasText: 'Recovered' });
    await recovered.locator('button').click();
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid=studio-notice]')].every((n) => !n.textContent?.includes('Recovered')),
    );
    expect(await notices(page)).toHaveLength(1);

    // A second reload finds nothing cut short: no new recovery notice.
    await page.goto(h.url + configHash(tinyConfig()));
    await page.reload();
    await page.waitForSelector(`[data-run-id="${id}"]`);
    expect((await notices(page)).some((n) => n.includes('Recovered'))).toBe(false);
  });

  it('a run cut short by a reload goes on from its stored snapshot, every step recorded once', async () => {
    const { page } = await openStudio(h, tinyConfig({ trainLimit: 1600, epochs: 1 }));
    await slowDown(page);
    await page.click('[data-testid=start]');
    await waitForStep(page, 'iep', 4);
    const id = (await page.getAttribute('[data-run-id]', 'data-run-id'))!;
    // Wait until IndexedDB holds a snapshot past step 2 beside the reports it covers. (A promise returned to
    // page.waitForFunction counts as truthy at once, so the stored run is polled from here.)
    await expect
      .poll(async () => ((await storedRun(page, id)).meta?.snapshotSteps as { ep: number } | undefined)?.ep ?? 0, {
        timeout: 60_000,
      })
      .toBeGreaterThanOrEqual(2);
    await page.reload();
    const button = await page.waitForSelector('[data-testid=continue-run]');
    const before = await storedRun(page, id);
    expect(before.meta?.status).toBe('interrupted');
    const from = before.meta?.snapshotSteps as { ep: number; iep: number };
    expect(await button.textContent()).toContain(`step ${from.ep} / ${from.iep}`);
    const lastStored = Math.max(...before.rows.filter((r) => r.kind === 'step' && r.run === 'ep').map((r) => r.step));
    expect(lastStored).toBeGreaterThanOrEqual(from.ep);

    // Every step count the engine states from the click on: a run rebuilt from its snapshot never counts from 0.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { engineSteps: string[] }).engineSteps = seen;
      const el = document.querySelector('[data-testid=runner-state]')!;
      new MutationObserver(() => {
        const steps = el.getAttribute('data-engine-steps');
        if (steps) seen.push(steps);
      }).observe(el, { attributes: true });
    });
    // Slowed as before the reload (the speed is the page's, not the run's), so that Pause finds it still running.
    await slowDown(page);
    await page.click('[data-testid=continue-run]');
    await waitForState(page, 'running');
    await waitForStep(page, 'ep', lastStored + 3);
    await waitForStep(page, 'iep', lastStored + 3);
    await page.click('[data-testid=pause]');
    await waitForState(page, 'paused');
    // The pause writes the run at once: wait for the steps past the reload to be stored.
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-run-id] ')?.textContent?.match(/(\d+) reports/)?.[1]) >= n,
      before.rows.length + 4,
    );
    const engineSteps = await page.evaluate(() => (window as unknown as { engineSteps: string[] }).engineSteps);
    expect(engineSteps.length).toBeGreaterThan(0);
    for (const steps of engineSteps) {
      const [ep, iep] = steps.split(' ').map(Number);
      expect(ep).toBeGreaterThanOrEqual(from.ep);
      expect(iep).toBeGreaterThanOrEqual(from.iep);
    }
    const after = await storedRun(page, id);
    expect(after.meta?.status).toBe('recording');
    for (const run of ['ep', 'iep']) {
      const steps = after.rows.filter((r) => r.kind === 'step' && r.run === run).map((r) => r.step);
      // A report every step: 1, 2, 3, … with none lost or repeated across the reload.
      expect(steps).toEqual(steps.map((_, i) => i + 1));
      expect(steps.length).toBeGreaterThanOrEqual(lastStored + 3);
    }
    // The same run, not a new one: one stored run.
    expect(await page.$$eval('[data-run-id]', (lis) => lis.length)).toBe(1);
  });
});
