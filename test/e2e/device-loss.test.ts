// A real WebGPU device loss in the middle of a run: the engine's device is destroyed (its `lost` promise resolves with
// reason 'destroyed', as after a driver reset), most likely while a step is in flight. The run must stop with a clear
// error, keep every report it had, and go on from its last saved state on another backend to the end.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { validateRunRecord } from '../../src/protocol/validate';
import { startHarness, type AppHarness } from './harness';
import { configHash, stepOf, tinyConfig, waitForState, waitForStep } from './studioSupport';

let h: AppHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** Watches the EP step counter in the page from now on; resolves to every value it showed, in order. */
async function watchStepCounter(page: Page): Promise<() => Promise<number[]>> {
  await page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { stepsSeen: number[] }).stepsSeen = seen;
    setInterval(() => {
      const n = Number(document.querySelector('[data-testid=ep-progress]')?.getAttribute('data-step'));
      if (seen.at(-1) !== n) seen.push(n);
    }, 20);
  });
  return () => page.evaluate(() => (window as unknown as { stepsSeen: number[] }).stepsSeen);
}

/** The library's entry for the run on screen: its status and how many reports it holds. */
async function storedRun(page: Page): Promise<{ status: string; items: number }> {
  const text = await page.textContent('[data-testid=run-list] li.current');
  const m = /· (\w+) · (\d+) reports/.exec(text ?? '');
  if (!m) throw new Error(`no stored run on screen: ${text}`);
  return { status: m[1], items: Number(m[2]) };
}

function timelineEnd(page: Page): Promise<number> {
  return page.$eval('[data-testid=timeline]', (el) => Number((el as HTMLInputElement).max));
}

describe('studio: a lost WebGPU device', () => {
  it('stops with a clear error, keeps every report, and goes on from the last saved state on wasm', async () => {
    // 96 images / batch 8 = 12 steps an epoch, 24 a run: still running on SwiftShader when the device goes.
    const config = tinyConfig({ backend: 'webgpu', trainLimit: 96 });
    // ?debug=1 shows the "Lose the WebGPU device" button (the test clicks it like a user would).
    const { page, errors } = await h.openApp(`?debug=1${configHash(config)}`);
    await page.waitForSelector('[data-testid=studio]');
    await page.click('[data-testid=start]');
    await waitForStep(page, 'ep', 3);
    expect(await page.textContent('[data-testid=studio-backend]')).toMatch(/^webgpu/);
    const steps = await watchStepCounter(page);

    // Full speed: steps run back to back, so the device is destroyed while one is in flight.
    const before = { ep: await stepOf(page, 'ep'), timeline: await timelineEnd(page) };
    await page.click('[data-testid=lose-device]');
    const error = await page.waitForSelector('[data-testid=run-error]', { timeout: 60_000 });
    await waitForState(page, 'error');
    expect(await error.textContent()).toMatch(/WebGPU device was lost \(destroyed.*choose another backend/);
    expect(await error.$('button:has-text("Continue")')).not.toBeNull();

    // Nothing reported before the loss is gone: counter, timeline and the stored run keep it all.
    const atError = { ep: await stepOf(page, 'ep'), timeline: await timelineEnd(page) };
    expect(atError.ep).toBeGreaterThanOrEqual(before.ep);
    expect(atError.timeline).toBeGreaterThanOrEqual(before.timeline);
    expect(atError.ep).toBeLessThan(24);
    await page.waitForFunction(() =>
      /· error ·/.test(document.querySelector('[data-testid=run-list] li.current')?.textContent ?? ''),
    );
    const stored = await storedRun(page);
    // Each step so far reported EP and iEP; the stored run holds at least those.
    expect(stored.items).toBeGreaterThanOrEqual(2 * atError.ep);

    // Another backend, Continue: the run is rebuilt from its last snapshot, paused, and resumes to the end.
    await page.selectOption('[data-testid=run-error] select', 'wasm');
    await page.click('[data-testid=run-error] button:has-text("Continue")');
    await waitForState(page, 'paused');
    expect(await page.$('[data-testid=run-error]')).toBeNull();
    expect(await page.textContent('[data-testid=studio-backend]')).toMatch(/^wasm/);
    expect(await stepOf(page, 'ep')).toBeGreaterThanOrEqual(atError.ep);
    await page.click('[data-testid=start]');
    await waitForState(page, 'done');
    expect(await stepOf(page, 'ep')).toBe(24);
    expect(await stepOf(page, 'iep')).toBe(24);
    const shown = await steps();
    expect(shown.every((n, i) => i === 0 || n >= shown[i - 1])).toBe(true);
    expect(shown.at(-1)).toBeGreaterThan(before.ep);

    // The stored run is one record, done, with each step of each run reported exactly once: nothing lost before the
    // loss, nothing repeated after it.
    await page.waitForFunction(() =>
      /· done ·/.test(document.querySelector('[data-testid=run-list] li.current')?.textContent ?? ''),
    );
    expect(await page.$$('[data-testid=run-list] li[data-run-id]')).toHaveLength(1);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-json]')]);
    const record = validateRunRecord(JSON.parse(await readFile((await download.path())!, 'utf8')));
    const everyStep = Array.from({ length: 24 }, (_, i) => i + 1);
    for (const run of ['ep', 'iep'] as const) {
      expect(record.reports.filter((r) => r.run === run).map((r) => r.step)).toEqual(everyStep);
    }
    expect(record.backend?.name).toBe('wasm');
    expect(errors).toEqual([]);
  }, 120_000);

  it('a device lost while paused: goes on on WebGPU again with a new device', async () => {
    const { page, errors } = await h.openApp(
      `?debug=1${configHash(tinyConfig({ backend: 'webgpu', trainLimit: 96 }))}`,
    );
    await page.waitForSelector('[data-testid=studio]');
    await page.click('[data-testid=start]');
    await waitForStep(page, 'ep', 2);
    // No step in flight this time: the loss arrives through `device.lost` alone.
    await page.click('[data-testid=pause]');
    await waitForState(page, 'paused');
    const paused = await stepOf(page, 'ep');
    await page.click('[data-testid=lose-device]');
    await page.waitForSelector('[data-testid=run-error]', { timeout: 60_000 });
    await waitForState(page, 'error');
    expect(await page.textContent('[data-testid=run-error]')).toMatch(/WebGPU device was lost \(destroyed/);
    const atError = await stepOf(page, 'ep');
    // The page shows a pause within a second; the step in flight at the click may still land after it.
    expect(atError).toBeGreaterThanOrEqual(paused);
    expect(atError).toBeLessThanOrEqual(paused + 1);

    // The backend that held the lost device must not come back: a new one asks for a new device, and trains.
    await page.selectOption('[data-testid=run-error] select', 'webgpu');
    await page.click('[data-testid=run-error] button:has-text("Continue")');
    await waitForState(page, 'paused');
    expect(await page.$('[data-testid=run-error]')).toBeNull();
    expect(await page.textContent('[data-testid=studio-backend]')).toMatch(/^webgpu/);
    await page.click('[data-testid=start]');
    // WebGPU here is SwiftShader on the CPU: slow, and slower still on a loaded machine.
    await waitForStep(page, 'ep', atError + 2, 180_000);
    await waitForStep(page, 'iep', atError + 2, 180_000);
    expect(await page.$('[data-testid=run-error]')).toBeNull();
    await page.click('[data-testid=pause]');
    await waitForState(page, 'paused');
    expect(errors).toEqual([]);
    // SwiftShader's WebGPU took 45 s to its second step on a loaded two-core machine: the budget is for the waits
    // above to say what did not happen, not a time limit on the test.
  }, 300_000);
});
