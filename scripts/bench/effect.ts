// Time to the effect (`npm run bench:browser -- --suite effect`): a newcomer opens the app's plain link (the default
// EP vs iEP comparison, "auto" backend, a fresh profile: nothing remembered), presses Start as soon as it is enabled,
// and waits until both runs have shown a report, EP's and iEP's heatmaps and dying ratios side by side. Measured in
// the page from its navigation start, a few times over.
import type { Page } from 'playwright-core';
import type { startHarness } from '../../test/e2e/harness';

export interface EffectResult {
  /** Seconds from navigation start. */
  startEnabled: number;
  /** Start pressed (as soon as enabled) until both runs show a report. */
  startToEffect: number;
  /** Navigation start until both runs show a report: the time to the effect. */
  effect: number;
  /** The backend the run trained on, and the step both runs showed first. */
  backend: string;
  firstStep: number;
  errors: string[];
}

const now = (page: Page) => page.evaluate(() => performance.now() / 1000);

export async function runEffect(h: Awaited<ReturnType<typeof startHarness>>): Promise<EffectResult> {
  const { page, context, errors } = await h.openApp('');
  try {
    await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 180_000, state: 'attached' });
    const startEnabled = await now(page);
    await page.click('[data-testid=start]');
    const clicked = await now(page);
    await page.waitForFunction(
      () =>
        ['ep', 'iep'].every(
          (r) => Number(document.querySelector(`[data-testid=${r}-progress]`)?.getAttribute('data-step')) >= 1,
        ),
      undefined,
      { timeout: 180_000, polling: 50 },
    );
    const effect = await now(page);
    const firstStep = Number(await page.getAttribute('[data-testid=ep-progress]', 'data-step'));
    const backend = ((await page.textContent('[data-testid=studio-backend]').catch(() => null)) ?? '?').trim();
    return { startEnabled, startToEffect: effect - clicked, effect, backend, firstStep, errors };
  } finally {
    await context.close();
  }
}
