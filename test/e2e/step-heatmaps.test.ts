// Step moves the heatmaps at every step: a single Step reports whatever `reportEvery` says (full speed keeps the
// batched cadence), so the picture never waits for tens of seconds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type AppHarness } from './harness';
import { heatmapPixels, openStudio, tinyConfig, waitForState, waitForStep } from './studioSupport';

let h: AppHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('Step', () => {
  it('Step changes the heatmap pixels at every step, whatever reportEvery says', async () => {
    const { page, errors } = await openStudio(h, tinyConfig({ reportEvery: 10 }));
    let before = await heatmapPixels(page, 'ep');
    for (let n = 1; n <= 3; n++) {
      await page.getByTestId('step').click();
      await waitForStep(page, 'ep', n);
      await waitForState(page, 'paused');
      const after = await heatmapPixels(page, 'ep');
      const changed = Object.keys(after).filter((layer) => after[layer] !== before[layer]);
      expect(changed.length).toBeGreaterThan(0);
      before = after;
    }
    expect(errors).toEqual([]);
  }, 180_000);
});
