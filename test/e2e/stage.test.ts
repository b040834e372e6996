// On stage: no input blanks the page, the studio is on the first screen of a 1280 x 720 display, and talk mode shows
// every layer of both runs, the shared chart and the scoreboard on one projector screen in type that reads from the
// back of a hall. Positions and sizes are measured in the real Chromium layout (bounding boxes, computed styles).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { defaultConfig } from '../../src/protocol/config';
import { startHarness, type AppHarness } from './harness';
import { boxOf, configHash, inside, selectRun, showDataset, tinyConfig, waitForStep, type Box } from './studioSupport';

let h: AppHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const HD = { width: 1280, height: 720 };

async function openAt(viewport: { width: number; height: number }, config: Record<string, unknown>) {
  const context = await h.browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`${err.name}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  await page.goto(h.url + configHash(config));
  // Start is enabled once the dataset has loaded.
  await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 90_000 });
  return { page, context, errors };
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** The studio still renders, no panel failed, the runs editor still shows the selected run's settings. */
async function expectStudioAlive(page: Page, what: string) {
  expect(await page.isVisible('[data-testid=studio]'), what).toBe(true);
  expect(await page.locator('[data-testid=panel-failed]').count(), what).toBe(0);
  expect(await page.locator('[data-testid=run-settings]').count(), what).toBe(1);
  expect(await page.locator('[data-testid=ep-heatmaps] canvas').count(), what).toBeGreaterThan(0);
}

const NUMERIC_FIELDS = [
  'width',
  'seed',
  'targetPruningRate',
  'epochs',
  'batchSize',
  'learningRate',
  'momentum',
  'weightDecay',
  'reportEvery',
  'trainLimit',
  'testLimit',
];
/** Each run's own numeric fields, with the run to select in the runs editor first (ep, iep, dense, iterand). */
const RUN_FIELDS: [string, string][] = [
  ['iep', 'runs[1].iep.cycles'],
  ['dense', 'runs[2].dense.learningRate'],
  ['iterand', 'runs[3].iterand.kPer'],
  ['iterand', 'runs[3].iterand.lambda'],
];
const OUT_OF_EVERY_RANGE = ['1e308', '-1e308', '123456789012345678901234567890', '-0.5'];

describe('never crashed by input', () => {
  it('extreme values typed into every numeric field are said at the field; the page keeps working', async () => {
    const { page, context, errors } = await openAt(HD, tinyConfig());
    await page.click('.setup-more summary');
    await page.click('[data-testid=add-dense]');
    await page.click('[data-testid=add-iterand]');
    const fields: [string | null, string][] = [
      ...NUMERIC_FIELDS.map((f) => [null, f] as [null, string]),
      ...RUN_FIELDS,
    ];
    for (const [run, field] of fields) {
      if (run) await selectRun(page, run);
      const input = page.locator(`[data-field="${field}"] input`);
      const original = await input.inputValue();
      for (const value of [...OUT_OF_EVERY_RANGE, '', '0', '1e-320', '4.5']) {
        await input.fill(value);
        await expectStudioAlive(page, `${field} = ${value}`);
        if (OUT_OF_EVERY_RANGE.includes(value)) {
          const error = page.locator(`[data-field="${field}"] .field-error`);
          await error.waitFor({ timeout: 10_000 });
          expect(await error.textContent(), `${field} = ${value}`).toMatch(/must be|fits at most|would not fit/);
          expect(await page.isDisabled('[data-testid=start]'), `${field} = ${value}`).toBe(true);
        }
      }
      await input.fill(original);
      await page.waitForSelector(`[data-field="${field}"] .field-error`, { state: 'detached' });
    }
    // Back to a valid setup: Start is offered again.
    await page.waitForSelector('[data-testid=start]:not([disabled])');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a batch the form accepts but a tab cannot hold is refused before the run is built', async () => {
    const { page, context } = await openAt(HD, tinyConfig({ model: 'resnet18', width: 1 }));
    await page.fill('[data-field=batchSize] input', '512');
    const error = page.locator('[data-field=batchSize] .field-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/resnet18 at width 1 fits at most batch \d+ in a tab/);
    expect(await page.isDisabled('[data-testid=start]')).toBe(true);
    await context.close();
  });

  it('schedule editor: points stay in the plot, every broken rule is listed by cycle, removing cycles repairs', async () => {
    const { page, context, errors } = await openAt({ width: 1400, height: 1000 }, tinyConfig());
    await selectRun(page, 'iep');
    const editor = page.locator('[data-testid=schedule-editor]');
    const point = (i: number) => editor.locator(`circle[data-index="${i}"]`);
    await point(2).scrollIntoViewIfNeeded();
    const plot = (await editor.locator('svg').boundingBox())!;

    // Dragged far past the plot's top right corner: the point stops at the plot's edge.
    const box = (await point(2).boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(plot.x + plot.width + 400, plot.y - 400, { steps: 4 });
    await page.mouse.up();
    const dragged = (await point(2).boundingBox())!;
    expect(inside({ ...dragged, x: dragged.x - plot.x, y: dragged.y - plot.y }, plot)).toBe(true);
    const label = (await point(2).getAttribute('aria-label'))!;
    expect(Number(label.match(/p (\d\.\d+)/)![1])).toBeLessThanOrEqual(0.999);

    // Cycle 3 now sits above the target: two rules broken (cycle 4 falls below it, and so would the last point),
    // each said with its cycle, both points marked.
    const items = editor.locator('.schedule-errors li');
    await items.first().waitFor();
    const said = await items.allTextContents();
    expect(said.length).toBeGreaterThanOrEqual(1);
    for (const line of said) expect(line).toMatch(/cycle \d/);
    expect(said.join(' ')).toMatch(/cycle 4's p 0\.832 must not fall below cycle 3's p 0\.\d{1,3}\b/);
    await point(0).focus();
    for (let i = 0; i < 95; i++) await page.keyboard.press('ArrowUp');
    await expect.poll(() => items.count()).toBeGreaterThanOrEqual(2);
    expect(await editor.locator('circle.schedule-point-bad').count()).toBeGreaterThanOrEqual(2);
    expect(await page.isDisabled('[data-testid=start]')).toBe(true);

    // Removing a cycle leaves a valid schedule, down to one.
    for (const cycles of [3, 2, 1]) {
      await editor.locator('button:text("− cycle")').click();
      await expect.poll(() => editor.locator('circle').count()).toBe(cycles);
      expect(await items.count(), `${cycles} cycles`).toBe(0);
      expect(await page.isDisabled('[data-testid=start]'), `${cycles} cycles`).toBe(false);
    }
    expect(errors).toEqual([]);
    await context.close();
  });

  it('extreme values in the URL hash leave the defaults on screen and say which field was wrong', async () => {
    const { page, context, errors } = await openAt(HD, tinyConfig());
    const cases: [string, string][] = [];
    for (const field of NUMERIC_FIELDS) {
      for (const raw of ['1e999', '-1e999', '1e308', '"NaN"', '""', '[]', '{}', 'null']) {
        if (raw === 'null' && ['weightDecay', 'trainLimit', 'testLimit'].includes(field)) continue;
        cases.push([`{"${field}":${raw}}`, field]);
      }
    }
    // A v1 link's iEP settings land on the default iEP run, the second: errors name it there.
    cases.push(['{"iep":{"cycles":1e308}}', 'runs[1].iep.cycles'], ['{"iep":{"cycles":-1}}', 'runs[1].iep.cycles']);
    const million = JSON.stringify({
      iep: { schedule: 'custom', cycles: 3, points: Array.from({ length: 5000 }, (_, i) => ({ step: i, p: 0.9 })) },
    });
    cases.push(
      [million, 'runs[1].iep.points'],
      ['{"iep":{"schedule":"custom","points":[{"step":1e308,"p":2}]}}', 'runs[1].iep'],
    );
    // A v2 link's run list: too short, too long, an id twice, a run's own setting out of range.
    const ep = (id: string) => ({ id, method: 'ep' });
    cases.push(
      ['{"runs":[]}', 'runs'],
      [JSON.stringify({ runs: Array.from({ length: 7 }, (_, i) => ep(`ep-${i}`)) }), 'runs'],
      [JSON.stringify({ runs: [ep('a'), ep('a')] }), 'runs[1].id'],
      [
        JSON.stringify({ runs: [ep('a'), { id: 'b', method: 'iterand', iterand: { kPer: 1e308 } }] }),
        'runs[1].iterand.kPer',
      ],
      [JSON.stringify({ runs: Array.from({ length: 1000 }, (_, i) => ({ id: `r${i}`, method: 'iep' })) }), 'runs'],
    );
    for (const [body, field] of cases) {
      await page.evaluate((hash) => (window.location.hash = hash), `config=${encodeURIComponent(body)}`);
      const notice = page.locator('[data-testid=studio-notice]');
      await notice.waitFor({ timeout: 10_000 });
      expect(await notice.textContent(), body.slice(0, 80)).toContain(field);
      await expectStudioAlive(page, body.slice(0, 80));
      await notice.locator('button').click();
      await notice.waitFor({ state: 'detached' });
    }
    expect(await page.inputValue('[data-field=model] select')).toBe('conv2');
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('an error boundary around each panel', () => {
  it('a damaged stored run fails only the panels that draw it; the rest works and Reset + "Draw it again" recover', async () => {
    const { page, context, errors } = await openAt(HD, tinyConfig());
    // A run as an older version or a damaged profile might have left it in IndexedDB: a report whose dying ratio
    // is missing. Stored runs are read back as they are, so it reaches the views.
    const id = 'damaged-0000-4000-8000-000000000000';
    await page.evaluate(async (runId) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open('supermask-studio');
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const layer = { name: 'conv1', kind: 'conv', shape: [8, 3, 3, 3], edges: 216, keptAtTarget: 36 };
      const report = (run: string) => ({
        kind: 'step',
        run,
        step: 1,
        totalSteps: 8,
        epoch: 0.1,
        cycle: 1,
        cycles: 1,
        pruningRate: 0.832,
        learningRate: 0.1,
        loss: 2.3,
        trainAccuracy: 0.1,
        imagesPerSecond: 10,
        layers: [
          {
            name: 'conv1',
            kept: 36,
            dyingRatio: null,
            dyingRatioAtTarget: 0.5,
            entered: 0,
            left: 0,
            heatmap: { rows: 1, cols: 1, usage: [0.5], dead: [0] },
          },
        ],
      });
      const tx = db.transaction(['runs', 'items'], 'readwrite');
      tx.objectStore('runs').put({
        format: 'supermask-studio/run',
        version: 1,
        id: runId,
        createdAt: '2026-11-25T00:00:00Z',
        source: 'browser',
        backend: { name: 'wasm', reason: 'test' },
        config: {
          version: 1,
          dataset: 'cifar10-subset',
          model: 'conv2',
          width: 0.125,
          seed: 1,
          targetPruningRate: 0.832,
          epochs: 1,
          batchSize: 8,
          learningRate: 0.1,
          momentum: 0.9,
          weightDecay: null,
          budget: 'equal-compute',
          iep: { cycles: 1, schedule: 'geometric', variant: 'soft', scores: 'carry', lrRewind: true },
          reportEvery: 1,
          trainLimit: 64,
          testLimit: 32,
          backend: 'wasm',
        },
        summary: { model: 'conv2', width: 0.125, layers: [layer], totalEdges: 216, keptAtTarget: 36 },
        error: null,
        updatedAt: '2026-11-25T00:00:00Z',
        items: 2,
        status: 'done',
      });
      tx.objectStore('items').put({ id: runId, seq: 0, item: report('ep') });
      tx.objectStore('items').put({ id: runId, seq: 1, item: report('iep') });
      await new Promise((resolve) => (tx.oncomplete = resolve));
    }, id);
    await page.reload();
    await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 90_000 });
    await page.click(`[data-testid=run-list] li[data-run-id="${id}"] button`);

    const failed = page.locator('[data-testid=panel-failed]');
    await expect.poll(() => failed.count()).toBe(2);
    for (const text of await failed.allTextContents()) {
      expect(text).toMatch(/^The (EP|iEP) column could not be drawn: .*toFixed.*The rest of the page still works\./);
    }
    // Everything else is there and answers.
    // The library's list (the runs editor's list of the next comparison's runs carries the same test id).
    await selectRun(page, 'iep');
    for (const selector of [
      '[data-testid=shared-dying]',
      '[data-testid=runs-editor]',
      '[data-testid=schedule-editor] svg',
      'ul[data-testid=run-list]',
    ]) {
      expect(await page.isVisible(selector), selector).toBe(true);
    }
    await page.fill('[data-field=seed] input', '7');
    await page.waitForFunction(() => decodeURIComponent(location.hash).includes('"seed":7'));

    // The way on: leave the damaged run, then draw the columns again.
    await page.click('[data-testid=reset]');
    for (let i = 0; i < 2; i++) await failed.first().locator('button:text("Draw it again")').click();
    await expect.poll(() => failed.count()).toBe(0);
    expect(await page.locator('[data-testid=ep-heatmaps] canvas').count()).toBe(5);
    // React reports what a boundary caught on the console; nothing else went wrong.
    expect(errors.filter((e) => !/toFixed|boundary|The above error/i.test(e))).toEqual([]);
    await context.close();
  });
});

describe('the first screen', () => {
  it.each([HD, { width: 1920, height: 1080 }])(
    'at $width x $height, once the data is loaded: Start, the shared chart and both columns’ first heatmaps, unscrolled',
    async (viewport) => {
      const { page, context, errors } = await openAt(viewport, { backend: 'wasm' });
      const shown = [
        '[data-testid=start]',
        '[data-testid=shared-dying]',
        '[data-testid=shared-accuracy]',
        '[data-testid=ep-heatmaps] figure',
        '[data-testid=iep-heatmaps] figure',
      ];
      for (const selector of shown) {
        const box = await boxOf(page, selector);
        expect(inside(box, viewport), `${selector} at ${JSON.stringify(box)}`).toBe(true);
      }
      expect(await page.evaluate(() => window.scrollY)).toBe(0);
      // The default ResNet-20's layers are in place before the first run, at their final size.
      expect(await page.locator('[data-testid=ep-heatmaps] figure').count()).toBe(22);

      // A run starting folds the setup away (the columns take its width, the scoreboard its place beside the chart);
      // from there on its first report (its setup line, the scoreboard's numbers, real heatmaps) moves nothing.
      await page.click('[data-testid=step]');
      await page.waitForSelector('[data-testid=studio][data-setup=folded]');
      await page.waitForSelector('[data-testid=scoreboard]');
      // Built (the scoreboard names each run's steps once the engine has made the comparison), not yet reported.
      await page.waitForFunction(() =>
        /steps\)/.test(document.querySelector('[data-testid=scoreboard]')?.textContent ?? ''),
      );
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
      expect(await page.textContent('[data-testid=iep-step]')).toMatch(/^0( |$)/);
      const before = await boxOf(page, '[data-testid=iep-heatmaps] canvas');
      await waitForStep(page, 'iep', 1, 300_000);
      for (const selector of [...shown, '[data-testid=scoreboard]']) {
        const box = await boxOf(page, selector);
        expect(inside(box, viewport), `${selector} at ${JSON.stringify(box)} after a step`).toBe(true);
      }
      expect(await boxOf(page, '[data-testid=iep-heatmaps] canvas')).toEqual(before);

      // The dataset is one line until asked for.
      expect(await page.isVisible('[data-testid=sample-grid]')).toBe(false);
      expect(await page.textContent('[data-testid=dataset-summary]')).toMatch(/5,000 training · 1,000 test images/);
      await showDataset(page);
      expect(await page.isVisible('[data-testid=class-counts]')).toBe(true);
      expect(errors).toEqual([]);
      await context.close();
    },
  );
});

/** Visible text under `root` whose size on screen is below `min` px (SVG text counts its scale), described. */
function smallText(page: Page, min: number): Promise<string[]> {
  return page.evaluate((minPx) => {
    const small: string[] = [];
    const walker = document.createTreeWalker(document.querySelector('[data-testid=studio]')!, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement!;
      if (!node.textContent?.trim() || !el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) {
        continue;
      }
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0 || rect.bottom < 0 || rect.top > window.innerHeight) continue;
      let size = parseFloat(getComputedStyle(el).fontSize);
      if (el instanceof SVGGraphicsElement) size *= el.getScreenCTM()?.a ?? 1;
      if (size < minPx) small.push(`${size.toFixed(1)}px "${node.textContent.trim().slice(0, 30)}"`);
    }
    return small;
  }, min);
}

describe('talk mode on a 1280 x 720 projector', () => {
  it('shows all 22 layers of both ResNet-20 runs, the shared chart and the scoreboard; no text under 18 px', async () => {
    const { page, context, errors } = await openAt(HD, { ...defaultConfig(), backend: 'wasm' });
    // One real step of each run, so the heatmaps and the scoreboard hold real numbers.
    await page.click('[data-testid=step]');
    await waitForStep(page, 'iep', 1, 300_000);
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('t');
    await page.waitForSelector('[data-testid=studio][data-talk=true]');
    await page.waitForSelector('[data-testid=scoreboard]');

    const hints = await boxOf(page, '[data-testid=talk-keys]');
    expect(inside(hints, HD)).toBe(true);
    for (const run of ['ep', 'iep']) {
      const tiles = await page.locator(`[data-testid=${run}-heatmaps] canvas`).all();
      expect(tiles).toHaveLength(22);
      for (const [i, tile] of tiles.entries()) {
        const box = (await tile.boundingBox())!;
        expect(inside(box, HD), `${run} tile ${i}`).toBe(true);
        expect(overlaps(box, hints), `${run} tile ${i} under the key hints`).toBe(false);
        expect(box.width).toBeGreaterThanOrEqual(48);
      }
    }
    for (const selector of [
      '[data-testid=shared-dying]',
      '[data-testid=shared-accuracy]',
      '[data-testid=scoreboard]',
    ]) {
      const box = await boxOf(page, selector);
      expect(inside(box, HD), selector).toBe(true);
      expect(overlaps(box, hints), `${selector} under the key hints`).toBe(false);
    }
    // Nothing to scroll: the talk-mode screen is exactly the viewport.
    expect(await page.$eval('[data-testid=studio]', (el) => el.scrollHeight <= el.clientHeight + 1)).toBe(true);
    expect(await smallText(page, 18)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
