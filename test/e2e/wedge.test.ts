// Never wedged: a forced WebGPU run of the default model (ResNet-20 ×0.5, batch 64), whose first step takes about a
// minute on this machine's software adapter, is paused and then reset, each shown within a second of the click, and
// the page trains on wasm right after without a reload. (Alone in its file: the abandoned SwiftShader work keeps
// the browser's GPU process busy for a while after, which would slow whatever test shares the browser.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startHarness, type AppHarness } from './harness';

/**
 * Waits polling on a timer: the abandoned SwiftShader work keeps the browser's GPU process busy for a while, and
 * animation frames (playwright's default polling) can stall meanwhile, while the page itself goes on.
 */
function waitInPage(page: Page, predicate: string, timeout: number): Promise<unknown> {
  return page.waitForFunction(predicate, undefined, { timeout, polling: 250 });
}

const stateIs = (s: string) =>
  `document.querySelector('[data-testid=runner-state]')?.getAttribute('data-state') === '${s}'`;
const stepAtLeast = (run: string, n: number) =>
  `Number(document.querySelector('[data-testid=${run}-progress]')?.getAttribute('data-step')) >= ${n}`;

let h: AppHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** Clicks `button` in the page and resolves to the milliseconds until the runner state shows `state`. */
function clickUntilShown(page: Page, button: string, state: string): Promise<number> {
  return page.evaluate(
    ([b, s]) =>
      new Promise<number>((resolve) => {
        const shown = () => document.querySelector('[data-testid=runner-state]')?.getAttribute('data-state') === s;
        const t0 = performance.now();
        const observer = new MutationObserver(() => {
          if (!shown()) return;
          observer.disconnect();
          resolve(performance.now() - t0);
        });
        observer.observe(document.body, { attributes: true, childList: true, subtree: true });
        (document.querySelector(`[data-testid=${b}]`) as HTMLButtonElement).click();
      }),
    [button, state] as const,
  );
}

describe('never wedged', () => {
  it('a WebGPU step of minutes: Pause and Reset each show within a second, then wasm trains without a reload', async () => {
    const { page, errors } = await h.openApp('?backend=webgpu');
    await page.waitForSelector('[data-testid=studio]');
    await page.getByTestId('backend-name').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('backend-name').textContent()).toBe('webgpu');
    await page.getByTestId('start').click();
    await waitInPage(page, stateIs('running'), 120_000);
    // The first step is still being computed (or compiled) by SwiftShader: no report yet.
    expect(await page.getAttribute('[data-testid=ep-progress]', 'data-step')).toBe('0');

    expect(await clickUntilShown(page, 'pause', 'paused')).toBeLessThan(1000);
    // The engine did not answer: it is replaced, rebuilt from scratch (no snapshot yet), and stays paused.
    expect(await page.getAttribute('[data-testid=runner-state]', 'data-state')).toBe('paused');
    expect(await clickUntilShown(page, 'reset', 'empty')).toBeLessThan(1000);

    await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
    await page.getByTestId('start').click();
    await waitInPage(page, `${stepAtLeast('ep', 2)} && ${stepAtLeast('iep', 2)}`, 240_000);
    expect(await page.getByTestId('studio-backend').textContent()).toMatch(/^wasm/);
    expect(await clickUntilShown(page, 'pause', 'paused')).toBeLessThan(1000);
    expect(await page.$('[data-testid=run-error]')).toBeNull();
    expect(errors).toEqual([]);
  }, 420_000);
});
