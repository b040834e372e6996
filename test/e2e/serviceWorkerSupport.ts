// Pages under the app's service worker (offline.test.ts, recorded-studies.test.ts): waiting for it to hold the app
// across the reload with which it isolates a page served without COOP/COEP.
import type { Page } from 'playwright-core';

/** Waits for a condition in the page that may reload on its way there (the service worker's isolation reload). */
export async function waitAcrossReloads(page: Page, predicate: string, timeout = 180_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      await page.waitForFunction(predicate, null, { timeout: Math.max(1, deadline - Date.now()) });
      return;
    } catch (e) {
      if (Date.now() >= deadline) throw e;
      // The reload destroyed the context the predicate ran in: ask the new document once it has loaded.
      await page.waitForLoadState('load');
    }
  }
}

/** Until the service worker holds the whole app (install done, page controlled) and the page is isolated. */
export async function waitForInstalledAndIsolated(page: Page) {
  await waitAcrossReloads(page, 'crossOriginIsolated && navigator.serviceWorker.controller !== null');
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForSelector('[data-testid=studio]');
}
