// The studio's controls beyond training: talk-mode keys, the config in the URL, the schedule editor driving iEP's
// pruning rate, and errors said at the field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { defaultConfig, findRun, type ComparisonConfig } from '../../src/protocol/config';
import { startHarness, type AppHarness } from './harness';
import {
  configHash,
  formsByRun,
  openStudio,
  runsListed,
  schedulePointsShown,
  selectRun,
  slowDown,
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

function hashConfig(page: Page): Promise<Record<string, unknown>> {
  return page.evaluate(() => JSON.parse(decodeURIComponent(location.hash.slice('#config='.length))));
}

function timelineStep(page: Page): Promise<number> {
  return page.$eval('[data-testid=timeline]', (el) => Number((el as HTMLInputElement).value));
}

describe('studio: talk mode, shared links, schedule editor', () => {
  it('talk mode: T toggles it, space plays and pauses, arrows scrub', async () => {
    const { page } = await openStudio(h, tinyConfig({ trainLimit: 1600, epochs: 1 }));
    await page.waitForSelector('[data-testid=start]:not([disabled])');
    await slowDown(page);
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('t');
    await page.waitForSelector('[data-testid=studio][data-talk=true]');
    expect(await page.isVisible('section[aria-label=setup]')).toBe(false);
    expect(await page.isVisible('[data-testid=start]')).toBe(false);

    await page.keyboard.press(' ');
    await waitForState(page, 'running');
    await waitForStep(page, 'ep', 4);
    await page.keyboard.press(' ');
    await waitForState(page, 'paused');

    const end = await timelineStep(page);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    const back = await timelineStep(page);
    expect(back).toBeLessThan(end);
    await page.keyboard.press('ArrowRight');
    expect(await timelineStep(page)).toBeGreaterThan(back);

    await page.keyboard.press(' ');
    await waitForState(page, 'running');
    await page.keyboard.press('T');
    await page.waitForSelector('[data-testid=studio][data-talk=false]');
    // Back at the desk with a run live: the setup is folded, one named button away.
    expect(await page.isVisible('[data-testid=setup-toggle]')).toBe(true);
    expect(await page.isVisible('section[aria-label=setup]')).toBe(false);
  });

  it('puts the whole config, its whole list of runs included, in the URL hash and restores it from a link', async () => {
    const { page } = await openStudio(h, tinyConfig());
    // Numbers, selects in the main grid and under "More settings"; then every kind of run with its own settings.
    const numbers = {
      width: '0.25',
      seed: '42',
      targetPruningRate: '0.9',
      epochs: '3',
      batchSize: '16',
      learningRate: '0.05',
      momentum: '0.8',
      weightDecay: '0.0002',
      reportEvery: '2',
      trainLimit: '128',
      testLimit: '48',
    };
    const selects = { model: 'conv4', budget: 'full-cycles', backend: 'cpu' };
    await page.click('summary:text("More settings")');
    for (const [field, value] of Object.entries(numbers)) await page.fill(`[data-field="${field}"] input`, value);
    for (const [field, value] of Object.entries(selects)) {
      await page.selectOption(`[data-field="${field}"] select`, value);
    }
    await page.fill('[data-field="runs[0].label"] input', 'EP baseline');

    // iEP's own settings, then a custom schedule: the linear preset over 5 cycles up to p = 0.9, then cycle 3
    // moved by keyboard: 3 up (p + 0.03), 1 right.
    await selectRun(page, 'iep');
    await page.fill('[data-field="runs[1].iep.cycles"] input', '5');
    await page.selectOption('[data-field="runs[1].iep.variant"] select', 'hard');
    await page.selectOption('[data-field="runs[1].iep.scores"] select', 'rewind');
    await page.uncheck('[data-field="runs[1].iep.lrRewind"] input');
    await page.click('[data-testid=schedule-editor] button:text("linear")');
    await page.focus('[data-testid=schedule-editor] circle[data-index="2"]');
    for (const key of ['ArrowUp', 'ArrowUp', 'ArrowUp', 'ArrowRight']) await page.keyboard.press(key);
    const points = await schedulePointsShown(page);
    expect(points).toEqual([
      { step: 0, p: 0.18 },
      { step: 24, p: 0.36 },
      { step: 49, p: 0.57 },
      { step: 72, p: 0.72 },
      { step: 96, p: 0.9 },
    ]);

    // A dense run with its own learning rate and an IteRand run with its own K_per and λ (each selected as added).
    await page.click('[data-testid=add-dense]');
    await page.fill('[data-field="runs[2].dense.learningRate"] input', '0.01');
    await page.click('[data-testid=add-iterand]');
    await page.fill('[data-field="runs[3].iterand.kPer"] input', '7');
    await page.fill('[data-field="runs[3].iterand.lambda"] input', '0.25');

    const shared = { ...numbers, ...selects, dataset: 'cifar10-subset' };
    const labels = {
      'runs[0].label': 'EP baseline',
      'runs[1].label': 'iEP',
      'runs[2].label': 'dense',
      'runs[3].label': 'IteRand',
    };
    const forms = [
      { ...shared, ...labels },
      {
        ...shared,
        ...labels,
        'runs[1].iep.cycles': '5',
        'runs[1].iep.variant': 'hard',
        'runs[1].iep.scores': 'rewind',
        'runs[1].iep.lrRewind': false,
      },
      { ...shared, ...labels, 'runs[2].dense.learningRate': '0.01' },
      { ...shared, ...labels, 'runs[3].iterand.kPer': '7', 'runs[3].iterand.lambda': '0.25' },
    ];
    const runs = [
      { id: 'ep', label: 'EP baseline', method: 'ep' },
      { id: 'iep', label: 'iEP', method: 'iep' },
      { id: 'dense', label: 'dense', method: 'dense' },
      { id: 'iterand', label: 'IteRand', method: 'iterand' },
    ];
    expect(await runsListed(page)).toEqual(runs);
    expect(await formsByRun(page)).toEqual(forms);

    // What the app wrote: the last edit (λ) shows once the debounced write has happened.
    await page.waitForFunction(() => decodeURIComponent(location.hash).includes('"lambda":0.25'));
    const written = await hashConfig(page);
    const { runs: writtenRuns, ...rest } = written as { runs: Record<string, unknown>[] } & Record<string, unknown>;
    expect(rest).toEqual({
      version: 2,
      dataset: 'cifar10-subset',
      model: 'conv4',
      width: 0.25,
      seed: 42,
      targetPruningRate: 0.9,
      epochs: 3,
      batchSize: 16,
      learningRate: 0.05,
      momentum: 0.8,
      weightDecay: 0.0002,
      budget: 'full-cycles',
      reportEvery: 2,
      trainLimit: 128,
      testLimit: 48,
      backend: 'cpu',
    });
    const [ep, iep, dense, iterand] = writtenRuns;
    expect(ep).toEqual(runs[0]);
    const { points: hashPoints, ...iepRest } = iep.iep as { points: { step: number; p: number }[] };
    expect({ ...iep, iep: iepRest }).toEqual({
      ...runs[1],
      iep: { cycles: 5, schedule: 'custom', variant: 'hard', scores: 'rewind', lrRewind: false },
    });
    expect(hashPoints.map((pt) => pt.step)).toEqual(points.map((pt) => pt.step));
    hashPoints.forEach((pt, i) => expect(pt.p).toBeCloseTo(points[i].p, 6));
    expect(dense).toEqual({ ...runs[2], dense: { learningRate: 0.01 } });
    expect(iterand).toEqual({ ...runs[3], iterand: { kPer: 7, lambda: 0.25 } });
    expect(writtenRuns).toHaveLength(4);

    // The address as the app left it, opened in a fresh context: every run, every field and the schedule come back.
    const link = await page.evaluate(() => location.hash);
    const other = await h.openApp(link);
    await other.page.waitForSelector('[data-testid=studio] [data-field]');
    expect(await runsListed(other.page)).toEqual(runs);
    expect(await formsByRun(other.page)).toEqual(forms);
    await selectRun(other.page, 'iep');
    expect(await schedulePointsShown(other.page)).toEqual(points);

    // A page opened without a config in its link writes its (default) config there at once.
    const plain = await h.openApp('');
    await plain.page.waitForFunction(() => location.hash.startsWith('#config='));
    expect(await hashConfig(plain.page)).toEqual(defaultConfig());
  });

  it('says at the field what is wrong and keeps Start disabled until it is fixed', async () => {
    const { page } = await openStudio(h, tinyConfig());
    await page.fill('[data-field=batchSize] input', '0');
    const error = await page.waitForSelector('[data-field=batchSize] .field-error');
    expect(await error.textContent()).toMatch(/integer from 1 to 4096/);
    expect(await page.isDisabled('[data-testid=start]')).toBe(true);
    await page.fill('[data-field=batchSize] input', '8');
    await page.waitForSelector('[data-field=batchSize] .field-error', { state: 'detached' });

    const bad = await h.openApp(configHash({ targetPruningRate: 1.5 }));
    await bad.page.waitForSelector('[data-testid=studio-notice]');
    expect(await bad.page.textContent('[data-testid=studio-notice]')).toMatch(/targetPruningRate/);
  });

  it('the schedule editor sets the pruning rate iEP trains at', async () => {
    const { page } = await openStudio(h, tinyConfig({ trainLimit: 1600, epochs: 1 }));
    // The linear preset: cycle 1 of 4 at p_T / 4.
    await selectRun(page, 'iep');
    await page.click('[data-testid=schedule-editor] button:text("linear")');
    await slowDown(page);
    await page.click('[data-testid=start]');
    await waitForStep(page, 'iep', 1);
    expect(await page.textContent('[data-testid=iep-p]')).toMatch(/^0\.208 /);
    expect(await page.textContent('[data-testid=ep-p]')).toMatch(/^0\.832 /);
    await page.click('[data-testid=pause]');
    await page.click('[data-testid=reset]');

    // Drag cycle 1's point up: the schedule becomes custom and iEP starts at the dragged rate.
    const point = page.locator('[data-testid=schedule-editor] circle[data-index="0"]');
    await point.scrollIntoViewIfNeeded();
    const box = (await point.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    // Halfway up to cycle 2's rate, so the schedule stays valid (p never falls).
    const next = (await page.locator('[data-testid=schedule-editor] circle[data-index="1"]').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, (box.y + next.y) / 2 + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const label = (await point.getAttribute('aria-label'))!;
    const dragged = Number(label.match(/p (\d\.\d+)/)![1]);
    expect(dragged).toBeGreaterThan(0.208);
    expect(await page.textContent('[data-testid=schedule-editor] p')).toMatch(/^4 cycles/);
    await page.waitForFunction(() => decodeURIComponent(location.hash).includes('"schedule":"custom"'));
    const linked = (await hashConfig(page)) as unknown as ComparisonConfig;
    expect(findRun(linked, 'iep')).toMatchObject({ iep: { schedule: 'custom', cycles: 4 } });
    await page.click('[data-testid=start]');
    await waitForStep(page, 'iep', 1);
    expect(await page.textContent('[data-testid=iep-p]')).toMatch(new RegExp(`^${dragged.toFixed(3)} `));
    await page.click('[data-testid=pause]');
    await waitForState(page, 'paused');
  });

  it('opens the explanations from the labels they explain; schedule points move with the keyboard', async () => {
    const { page } = await openStudio(h, tinyConfig());
    for (const [term, words] of [
      ['supermask', 'random initial values'],
      ['score', '|score|'],
      ['topk', 'top (1 − p)'],
      ['pruningRate', 'PRUNED'],
      ['dyingEdge', 'never selected'],
      ['ep', 'Ramanujan'],
      ['iep', 'cycles'],
      ['equalCompute', 'as many training steps'],
    ] as const) {
      const details = page.locator(`details[data-term=${term}]`).first();
      await details.locator('summary').click();
      const pop = details.locator('.explain-pop');
      expect(await pop.isVisible()).toBe(true);
      expect(await pop.textContent()).toContain(words);
      await details.locator('summary').click();
      expect(await pop.isVisible()).toBe(false);
    }

    await selectRun(page, 'iep');
    const point = page.locator('[data-testid=schedule-editor] circle[data-index="1"]');
    const before = Number((await point.getAttribute('aria-label'))!.match(/p (\d\.\d+)/)![1]);
    await point.focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    const after = Number((await point.getAttribute('aria-label'))!.match(/p (\d\.\d+)/)![1]);
    expect(after).toBeCloseTo(before + 0.02, 3);

    // Raise cycle 1 above cycle 2: the schedule stays drawn, the rule is said, the offending point is marked, and
    // nothing can start until it is fixed.
    const first = page.locator('[data-testid=schedule-editor] circle[data-index="0"]');
    await first.focus();
    for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowUp');
    await page.waitForSelector('[data-testid=schedule-editor] circle.schedule-point-bad[data-index="1"]');
    expect(await page.textContent('[data-testid=schedule-editor] .field-error')).toMatch(/must not fall below/);
    expect(await page.isDisabled('[data-testid=start]')).toBe(true);
    for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowDown');
    await page.waitForSelector('[data-testid=schedule-editor] .field-error', { state: 'detached' });
    expect(await page.isDisabled('[data-testid=start]')).toBe(false);
  });
});
