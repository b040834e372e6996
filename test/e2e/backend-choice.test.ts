// The page's "auto": every backend that starts times a few real steps of the configured comparison (each in a
// throwaway worker, bounded), the fastest is chosen and the reason gives the figures; the choice is remembered per
// model and batch across reloads until "Measure again". Here (no GPU) WebGPU and WebGL are SwiftShader emulations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type AppHarness } from './harness';
import { openStudio, tinyConfig } from './studioSupport';

let h: AppHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const MEASURED = 180_000;

describe('backend choice by measurement', () => {
  it('"auto" picks wasm here, names WebGPU and WebGL as software, and the choice survives a reload', async () => {
    const { page, context, errors } = await openStudio(h, tinyConfig({ backend: 'auto' }));
    // The measurement shows its progress in the page while it runs.
    await page.getByTestId('backend-measuring').waitFor({ timeout: MEASURED });
    expect(await page.getByTestId('backend-measuring').textContent()).toMatch(/Measuring the backends with conv2/);
    await page.getByTestId('backend-name').waitFor({ timeout: MEASURED });
    expect(await page.getByTestId('backend-name').textContent()).toBe('wasm');
    const reason = (await page.getByTestId('backend-reason').textContent())!;
    expect(reason).toMatch(/^wasm: the fastest here, measured with conv2 ×0.125, batch 8: wasm [\d.]+ steps\/s/);
    // Each figure is the candidate's own, with the emulation named.
    expect(reason).toMatch(/WebGPU[^·]*\(software adapter: SwiftShader\)/);
    expect(reason).toMatch(/WebGL[^·]*\(software renderer: SwiftShader\)/);

    // Reloaded: the remembered choice, with its figures, and no second measurement.
    await context.addInitScript(() => {
      const seen = { measuring: false };
      (window as unknown as { seen: typeof seen }).seen = seen;
      new MutationObserver(() => {
        if (document.querySelector('[data-testid=backend-measuring]')) seen.measuring = true;
      }).observe(document, { childList: true, subtree: true });
    });
    await page.reload();
    await page.getByTestId('backend-name').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('backend-name').textContent()).toBe('wasm');
    expect(await page.getByTestId('backend-reason').textContent()).toBe(reason);
    expect(await page.evaluate(() => (window as unknown as { seen: { measuring: boolean } }).seen.measuring)).toBe(
      false,
    );

    // A run on "auto" goes on the remembered backend at once.
    await page.getByTestId('start').click();
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid=ep-progress]')?.getAttribute('data-step')) >= 2,
      undefined,
      { timeout: 60_000 },
    );
    expect(await page.getByTestId('studio-backend').textContent()).toMatch(/^wasm/);
    expect(await page.evaluate(() => (window as unknown as { seen: { measuring: boolean } }).seen.measuring)).toBe(
      false,
    );
    await page.getByTestId('reset').click();

    // "Measure again" forgets the choice and measures anew.
    await page.getByTestId('measure-again').click();
    await page.getByTestId('backend-measuring').waitFor({ timeout: 10_000 });
    await page.getByTestId('measure-again').waitFor({ timeout: MEASURED });
    expect(await page.getByTestId('backend-name').textContent()).toBe('wasm');
    expect(await page.getByTestId('backend-reason').textContent()).toMatch(/^wasm: the fastest here/);
    expect(errors).toEqual([]);
  }, 400_000);

  it('`?backend=` still forces one, without measuring', async () => {
    const { page, errors } = await h.openApp('?backend=cpu');
    await page.getByTestId('backend-name').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('backend-name').textContent()).toBe('cpu');
    expect(await page.getByTestId('backend-reason').textContent()).toBe('cpu: chosen by the user');
    expect(await page.getByTestId('backend-measuring').count()).toBe(0);
    expect(errors).toEqual([]);
  }, 180_000);
});
