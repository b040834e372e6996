// What docs/studio.md promises and no other test checks: talk mode's Escape and its space key on a recorded run, the
// scoreboard's budget, the progress lines, the speed menu, "Follow live", and a broken link falling back to the
// defaults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { defaultConfig, type ComparisonConfig, type RunId } from '../../src/protocol/config';
import { startHarness, type AppHarness } from './harness';
import {
  formFields,
  openStudio,
  runsListed,
  selectRun,
  stepOf,
  tinyConfig,
  waitForState,
  waitForStep,
} from './studioSupport';

let h: AppHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** The number a run column's step shows ("11 / 16" → 11). */
async function columnStep(page: Page, run: RunId): Promise<number> {
  return parseInt((await page.textContent(`[data-testid=${run}-step]`)) ?? '', 10);
}

function replayLabel(page: Page): Promise<string | null> {
  return page.textContent('[data-testid=replay]');
}

/**
 * The setup form as it shows a config with run `selected` picked in the runs editor (inputs hold strings, an empty
 * input stands for null): the shared fields, every run's label, and the selected iEP run's own settings.
 */
function formOf(c: ComparisonConfig, selected = 0): Record<string, string | boolean> {
  const text = (v: number | null) => (v === null ? '' : String(v));
  const run = c.runs[selected];
  const at = `runs[${selected}].iep`;
  const own =
    run.method === 'iep'
      ? {
          [`${at}.cycles`]: text(run.iep.cycles),
          [`${at}.variant`]: run.iep.variant,
          [`${at}.scores`]: run.iep.scores,
          [`${at}.lrRewind`]: run.iep.lrRewind,
        }
      : {};
  return {
    ...Object.fromEntries(c.runs.map((r, i) => [`runs[${i}].label`, r.label])),
    ...own,
    dataset: c.dataset,
    model: c.model,
    width: text(c.width),
    seed: text(c.seed),
    targetPruningRate: text(c.targetPruningRate),
    epochs: text(c.epochs),
    batchSize: text(c.batchSize),
    budget: c.budget,
    backend: c.backend,
    learningRate: text(c.learningRate),
    momentum: text(c.momentum),
    weightDecay: text(c.weightDecay),
    reportEvery: text(c.reportEvery),
    trainLimit: text(c.trainLimit),
    testLimit: text(c.testLimit),
  };
}

describe('studio: what the user guide promises', () => {
  it('talk mode: Escape closes an enlarged layer, then leaves; space plays and pauses the replay of a recorded run', async () => {
    const { page } = await openStudio(h, tinyConfig());
    await page.click('[data-testid=start]');
    await waitForState(page, 'done');
    await page.click('[data-testid=run-list] li[data-run-id] button:not([aria-label="delete run"])');
    await waitForState(page, 'recorded');
    await page.selectOption('[data-testid=replay-speed]', '2');
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('t');
    await page.waitForSelector('[data-testid=studio][data-talk=true]');
    expect(await columnStep(page, 'ep')).toBe(16);

    // From the end, space replays from the first report; space again pauses where it is; space goes on from there.
    await page.keyboard.press(' ');
    expect(await replayLabel(page)).toBe('Pause replay');
    await page.waitForFunction(() => parseInt(document.querySelector('[data-testid=ep-step]')?.textContent ?? '') >= 3);
    await page.keyboard.press(' ');
    expect(await replayLabel(page)).toBe('Replay');
    const pausedAt = await columnStep(page, 'ep');
    expect(pausedAt).toBeGreaterThanOrEqual(3);
    expect(pausedAt).toBeLessThan(16);
    await page.keyboard.press(' ');
    expect(await replayLabel(page)).toBe('Pause replay');
    expect(await columnStep(page, 'ep')).toBeGreaterThanOrEqual(pausedAt);
    await page.waitForFunction(() => document.querySelector('[data-testid=replay]')?.textContent === 'Replay', null, {
      timeout: 60_000,
    });
    expect(await columnStep(page, 'ep')).toBe(16);

    // Escape: first the enlarged layer goes, talk mode stays; the next Escape leaves talk mode.
    await page.locator('section[data-run=iep] figure[data-layer] canvas').first().click();
    await page.waitForSelector('[data-testid=enlarged]');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=enlarged]', { state: 'detached' });
    expect(await page.getAttribute('[data-testid=studio]', 'data-talk')).toBe('true');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=studio][data-talk=false]');
    expect(await page.isVisible('[data-testid=start]')).toBe(true);
  });

  it('names the budget with each run’s steps on the scoreboard; the progress lines say step / total, epoch, cycle and time left', async () => {
    // 64 images at batch 8: EP takes 16 steps over 2 epochs; under full cycles each of iEP's 4 cycles is as long.
    const { page } = await openStudio(h, tinyConfig({ budget: 'full-cycles' }));
    // Step, like Start, waits for the dataset (clicked before the list of datasets came, it failed on 'Unknown dataset').
    await page.click('[data-testid=step]');
    await waitForStep(page, 'ep', 1);
    await waitForStep(page, 'iep', 1);
    await waitForState(page, 'paused');
    expect(await page.textContent('[data-testid=scoreboard] caption')).toBe(
      'At this step · budget full-cycles (EP 16 steps, iEP 64 steps)',
    );
    expect(await page.textContent('[data-testid=ep-progress]')).toBe('step 1 / 16 · epoch 0.13 · cycle 1/1');
    expect(await page.textContent('[data-testid=iep-progress]')).toBe('step 1 / 64 · epoch 0.13 · cycle 1/4');

    // While it runs the time left is a duration; at the end it is none.
    await page.click('[data-testid=start]');
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid=runner-state]')?.getAttribute('data-state') === 'running' &&
        /^\d+ (s|min)$|^\d+\.\d h$/.test(document.querySelector('[data-testid=time-left]')?.textContent ?? ''),
    );
    await waitForState(page, 'done');
    expect(await page.textContent('[data-testid=ep-progress]')).toBe('step 16 / 16 · epoch 2.00 · cycle 1/1');
    expect(await page.textContent('[data-testid=iep-progress]')).toBe('step 64 / 64 · epoch 8.00 · cycle 4/4');
    expect(await page.textContent('[data-testid=time-left]')).toBe('0 s');
    const rows = await page.$$eval('[data-testid=scoreboard] tbody tr', (trs) =>
      trs.map((tr) => [tr.getAttribute('data-run'), tr.querySelector('td')?.textContent]),
    );
    expect(rows).toEqual([
      ['ep', '16'],
      ['iep', '64'],
    ]);

    // Equal compute: iEP gets EP's steps, and the scoreboard says so.
    const equal = await openStudio(h, tinyConfig());
    await equal.page.click('[data-testid=step]');
    await waitForStep(equal.page, 'iep', 1);
    expect(await equal.page.textContent('[data-testid=scoreboard] caption')).toBe(
      'At this step · budget equal-compute (EP 16 steps, iEP 16 steps)',
    );
  });

  it('the speed menu spaces the steps out; full speed takes the pause away again', async () => {
    const { page } = await openStudio(h, tinyConfig({ trainLimit: 1600, epochs: 1 }));
    await page.selectOption('[data-testid=speed]', '1000');
    // When each new step first shows, in the page's clock.
    await page.evaluate(() => {
      const seen: { step: number; at: number }[] = [];
      (window as unknown as { stepTimes: typeof seen }).stepTimes = seen;
      new MutationObserver(() => {
        const step = Number(document.querySelector('[data-testid=ep-progress]')?.getAttribute('data-step'));
        if (step > (seen.at(-1)?.step ?? 0)) seen.push({ step, at: performance.now() });
      }).observe(document.querySelector('[data-testid=studio]')!, {
        subtree: true,
        attributes: true,
        attributeFilter: ['data-step'],
      });
    });
    await page.click('[data-testid=start]');
    await page.waitForFunction(() => (window as unknown as { stepTimes: unknown[] }).stepTimes.length >= 5);
    const times = await page.evaluate(
      () => (window as unknown as { stepTimes: { step: number; at: number }[] }).stepTimes,
    );
    // "very slow" waits 1 s after every step. A loaded machine only stretches the gaps, so this lower bound cannot
    // flake; the slack covers a report shown late after being received late. At full speed a step of this tiny net
    // takes a few tens of ms.
    const [a, b] = [times[1], times[4]];
    expect(b.at - a.at).toBeGreaterThanOrEqual((b.step - a.step) * 1000 - 1000);

    await page.selectOption('[data-testid=speed]', '0');
    const now = await stepOf(page, 'ep');
    await waitForStep(page, 'ep', now + 20);
    await page.click('[data-testid=pause]');
    await waitForState(page, 'paused');
  });

  it('"Follow live": scrubbed back while training, the cursor stays; Follow live follows the newest step again', async () => {
    const { page } = await openStudio(h, tinyConfig({ trainLimit: 1600, epochs: 1 }));
    await page.selectOption('[data-testid=speed]', '250');
    await page.click('[data-testid=start]');
    await waitForStep(page, 'ep', 4);
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    const held = await columnStep(page, 'ep');
    expect(await page.textContent('[data-testid=timeline-at]')).not.toContain('live');

    // Training goes on, the view stays where it was put.
    await waitForStep(page, 'ep', held + 5);
    expect(await columnStep(page, 'ep')).toBe(held);
    expect(await page.textContent('[data-testid=timeline-at]')).toMatch(new RegExp(`^step ${held} / \\d+$`));

    await page.getByRole('button', { name: 'Follow live' }).click();
    const newest = await stepOf(page, 'ep');
    await page.waitForFunction((n) => {
      const latest = Number(document.querySelector('[data-testid=ep-progress]')?.getAttribute('data-step'));
      const shown = parseInt(document.querySelector('[data-testid=ep-step]')?.textContent ?? '');
      return latest > n && shown === latest;
    }, newest + 2);
    expect(await page.textContent('[data-testid=timeline-at]')).toMatch(/ · live$/);
    expect(await page.getByRole('button', { name: 'Follow live' }).count()).toBe(0);
    await page.click('[data-testid=pause]');
    await waitForState(page, 'paused');
  });

  it('a broken link says what is wrong and shows the defaults', async () => {
    const malformed = await h.openApp('#config=%7Bnot%20json');
    await malformed.page.waitForSelector('[data-testid=studio-notice]');
    expect(await malformed.page.textContent('[data-testid=studio-notice]')).toMatch(
      /not valid JSON; the defaults are shown/,
    );
    expect(await formFields(malformed.page)).toEqual(formOf(defaultConfig()));
    expect(await runsListed(malformed.page)).toEqual(
      defaultConfig().runs.map(({ id, label, method }) => ({ id, label, method })),
    );
    await selectRun(malformed.page, 'iep');
    expect(await formFields(malformed.page)).toEqual(formOf(defaultConfig(), 1));

    const outOfRange = await h.openApp(`#config=${encodeURIComponent(JSON.stringify({ seed: 7, epochs: -1 }))}`);
    await outOfRange.page.waitForSelector('[data-testid=studio-notice]');
    expect(await outOfRange.page.textContent('[data-testid=studio-notice]')).toMatch(/epochs.*defaults are shown/);
    // Nothing of the broken config is taken, not even its valid seed.
    expect(await formFields(outOfRange.page)).toEqual(formOf(defaultConfig()));
  });
});
