// A comparison is a list of runs (protocol v2): the presets start studies of several runs, each in its own column
// and colour on the shared chart and the scoreboard; a dense run has no mask and says so; talk mode fits four
// columns on a projector; a link carries the whole list; and a run file of protocol v1 (always EP against one iEP,
// exported by the v1 app) still replays.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { findRun, type ComparisonConfig, type RunId } from '../../src/protocol/config';
import type { EvalReport, StepReport } from '../../src/protocol/report';
import { validateRunRecord } from '../../src/protocol/validate';
import { ROOT, startHarness, type AppHarness } from './harness';
import {
  dyingRatios,
  formsByRun,
  heatmapPixels,
  openStudio,
  parseColour,
  runsListed,
  saved,
  schedulePointsShown,
  scrubBack,
  selectRun,
  shownNumbers,
  stepsSeen,
  tinyConfig,
  waitForState,
  watchSteps,
} from './studioSupport';

let h: AppHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const SCHEDULE_STUDY = [
  { id: 'ep', label: 'EP', method: 'ep' },
  { id: 'iep', label: 'iEP 1−0.8^c', method: 'iep' },
  { id: 'iep-linear', label: 'iEP linear', method: 'iep' },
  { id: 'iep-one-shot', label: 'iEP one-shot', method: 'iep' },
];

function hashConfig(page: Page): Promise<ComparisonConfig> {
  return page.evaluate(() => JSON.parse(decodeURIComponent(location.hash.slice('#config='.length))));
}

/** A column's colour as its header shows it, [r, g, b]. */
function columnColour(page: Page, run: RunId): Promise<number[]> {
  // The header's border is the run's line colour (its text a darker shade of the same hue, for contrast).
  return page
    .$eval(`section[data-run="${run}"] .run-head`, (el) => getComputedStyle(el).borderTopColor)
    .then(parseColour);
}

/** The colours of the drawn lines (non-empty paths) of a shared chart, each as [r, g, b]. */
function lineColours(page: Page, chart: string): Promise<number[][]> {
  return page
    .$$eval(`[data-testid=${chart}] g.chart-line path`, (paths) =>
      paths.filter((p) => (p.getAttribute('d') ?? '') !== '').map((p) => p.getAttribute('stroke') ?? ''),
    )
    .then((strokes) => strokes.map(parseColour));
}

type Box = { x: number; y: number; width: number; height: number };
const HD = { width: 1280, height: 720 };

function inViewport(b: Box): boolean {
  return b.x >= 0 && b.y >= 0 && b.x + b.width <= HD.width && b.y + b.height <= HD.height;
}

function overlap(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function legend(page: Page): Promise<string[]> {
  return page.$$eval('.shared-chart .chart-legend-list li', (lis) => lis.map((li) => li.textContent ?? ''));
}

interface ScoreRow {
  run: string;
  label: string;
  latest: number;
  dying: string;
  atTarget: string;
  rank: string;
}

/** The scoreboard's rows in order: the run, its latest test accuracy, its dying ratios as shown, its rank. */
function scoreRows(page: Page): Promise<ScoreRow[]> {
  return page.$$eval('[data-testid=scoreboard] tbody tr', (trs) =>
    trs.map((tr) => {
      const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '');
      return {
        run: tr.getAttribute('data-run') ?? '',
        label: tr.querySelector('th')?.textContent ?? '',
        latest: parseFloat(cells[1]) / 100,
        dying: cells[2],
        atTarget: cells[3],
        rank: tr.querySelector('[data-testid=rank]')?.textContent ?? '',
      };
    }),
  );
}

describe('a comparison of several runs', () => {
  it('the schedule study: four runs train, each column moves, the chart draws each in its colour, the scoreboard ranks them', async () => {
    const { page } = await openStudio(h, tinyConfig());
    await page.click('[data-testid=preset-schedules]');
    expect(await runsListed(page)).toEqual(SCHEDULE_STUDY);
    const ids = SCHEDULE_STUDY.map((r) => r.id);
    expect(await page.$$eval('section.run-column', (s) => s.map((el) => el.getAttribute('data-run')))).toEqual(ids);
    const blank = Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await heatmapPixels(page, id)])));

    await page.click('[data-testid=start]');
    await waitForState(page, 'done');
    for (const id of ids) {
      // Equal compute: every run gets EP's 16 steps.
      expect((await shownNumbers(page, id)).step, id).toBe('16 / 16');
      const pixels = await heatmapPixels(page, id);
      expect(Object.keys(pixels), id).toEqual(Object.keys(blank[id]));
      for (const layer of Object.keys(pixels)) expect(pixels[layer], `${id} ${layer}`).not.toEqual(blank[id][layer]);
    }
    // The three schedules really differ: at step 1, p_1 = 1 − 0.168^(1/8), 0.832 / 8 and 0.832.
    await scrubBack(page, 15);
    expect((await shownNumbers(page, 'iep')).p).toMatch(/^0\.200 /);
    expect((await shownNumbers(page, 'iep-linear')).p).toMatch(/^0\.104 /);
    expect((await shownNumbers(page, 'iep-one-shot')).p).toMatch(/^0\.832 /);
    for (let i = 0; i < 15; i++) await page.keyboard.press('ArrowRight');
    expect((await shownNumbers(page, 'ep')).step).toBe('16 / 16');

    // One colour per run, all different; the shared charts draw every run's curves in it, and the legend names each.
    const colours = await Promise.all(ids.map((id) => columnColour(page, id)));
    expect(new Set(colours.map(String)).size).toBe(4);
    const dying = (await lineColours(page, 'shared-dying')).map(String);
    const accuracy = (await lineColours(page, 'shared-accuracy')).map(String);
    for (const [i, colour] of colours.entries()) {
      // Solid d_t and dashed d_t at target.
      expect(
        dying.filter((c) => c === String(colour)),
        ids[i],
      ).toHaveLength(2);
      expect(
        accuracy.filter((c) => c === String(colour)),
        ids[i],
      ).toHaveLength(1);
    }
    // Each run named once; the line styles (d_t, d_t at target, test accuracy) said once beside them.
    expect(await legend(page)).toEqual(SCHEDULE_STUDY.map((r) => r.label));

    // The scoreboard: the four runs in the columns' order, ranked #1..#4 by their latest test accuracy.
    const rows = await scoreRows(page);
    expect(rows.map((r) => [r.run, r.label])).toEqual(SCHEDULE_STUDY.map((r) => [r.id, r.label]));
    expect(rows.map((r) => r.rank).sort()).toEqual(['#1', '#2', '#3', '#4']);
    const byRank = [...rows].sort((a, b) => a.rank.localeCompare(b.rank));
    for (let i = 1; i < byRank.length; i++) expect(byRank[i].latest).toBeLessThanOrEqual(byRank[i - 1].latest);
    for (const row of rows) expect(row.dying, row.run).toMatch(/^0\.\d{3}$|^1\.000$/);
  });

  it('EP + iEP + dense: the dense column has curves, no mask, and no dying ratio anywhere', async () => {
    const { page } = await openStudio(h, tinyConfig());
    await page.click('[data-testid=preset-dense]');
    expect((await runsListed(page)).map((r) => r.method)).toEqual(['ep', 'iep', 'dense']);
    await page.click('[data-testid=start]');
    await waitForState(page, 'done');

    const note = page.getByTestId('dense-no-mask');
    expect(await note.isVisible()).toBe(true);
    expect(await note.textContent()).toContain('no mask');
    expect(await page.isVisible('[data-testid=dense-heatmaps]')).toBe(false);
    expect(await page.locator('section[data-run=dense] .dying-row').count()).toBe(0);
    for (const masked of ['ep', 'iep']) {
      expect(await page.locator(`[data-testid=${masked}-no-mask]`).count()).toBe(0);
      expect(await page.isVisible(`[data-testid=${masked}-heatmaps]`)).toBe(true);
    }
    // Its loss and accuracy: drawn curves, a test accuracy.
    const dense = await shownNumbers(page, 'dense');
    expect(dense.step).toBe('16 / 16');
    expect(await page.textContent('[data-testid=dense-p]')).toBe('no mask');
    expect(dense.testAcc).toMatch(/^\d+\.\d%$/);
    const curves = await page.$$eval('section[data-run=dense] .run-curves svg', (svgs) =>
      svgs.map((svg) => [svg.getAttribute('aria-label'), svg.querySelectorAll('path[d^="M"]').length]),
    );
    expect(curves).toEqual([
      ['training loss', 1],
      ['accuracy (● test)', 2],
    ]);

    // The scoreboard: a dying ratio for the two searches, none for dense; the chart: dense's accuracy, no dying curve.
    const rows = await scoreRows(page);
    expect(rows.map((r) => r.run)).toEqual(['ep', 'iep', 'dense']);
    for (const row of rows.slice(0, 2)) {
      expect(row.dying, row.run).toMatch(/^\d\.\d{3}$/);
      expect(row.atTarget, row.run).toMatch(/^\d\.\d{3}$/);
    }
    expect(rows[2]).toMatchObject({ dying: '–', atTarget: '–' });
    expect(rows[2].rank).toMatch(/^#[1-3]$/);
    const denseColour = String(await columnColour(page, 'dense'));
    expect((await lineColours(page, 'shared-dying')).map(String)).not.toContain(denseColour);
    expect((await lineColours(page, 'shared-accuracy')).map(String)).toContain(denseColour);
    expect(await legend(page)).toEqual(['EP', 'iEP', 'dense']);
  });

  it('talk mode at 1280 x 720 shows all four columns, no horizontal scrolling, every heatmap on screen', async () => {
    const { page } = await openStudio(h, tinyConfig());
    await page.setViewportSize(HD);
    await page.click('[data-testid=preset-schedules]');
    // A label long enough to wrap its column's header: its tiles must still match the other columns'.
    await page.fill('[data-field="runs[2].label"] input', 'iEP linear schedule, eight cycles to the target rate');
    // One real step of each run, so the columns hold real heatmaps and numbers.
    await page.click('[data-testid=step]');
    await waitForState(page, 'paused');
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('t');
    await page.waitForSelector('[data-testid=studio][data-talk=true]');

    // All four on the one screen, none over another (a grid of two by two where the shared chart takes the side).
    const columns = await page.locator('section.run-column').all();
    expect(columns).toHaveLength(4);
    const boxes = await Promise.all(columns.map(async (c) => (await c.boundingBox())!));
    boxes.forEach((box, i) => {
      expect(inViewport(box), `column ${i} at ${JSON.stringify(box)}`).toBe(true);
      for (const other of boxes.slice(0, i)) expect(overlap(box, other), `column ${i}`).toBe(false);
    });
    // What sticks out past the right edge, named, should the page scroll sideways.
    const overflow = await page.evaluate(() => {
      const root = document.scrollingElement!;
      const wide = [...document.querySelectorAll('[data-testid=studio] *')]
        .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 0.5)
        .slice(0, 8)
        .map((el) => `${el.tagName.toLowerCase()}.${el.className} right=${el.getBoundingClientRect().right}`);
      return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide };
    });
    expect(overflow.scrollWidth, JSON.stringify(overflow)).toBeLessThanOrEqual(overflow.clientWidth);
    // Four runs' names in the chart's heading and legend do not push the shared charts off the side of the screen.
    for (const chart of ['shared-dying', 'shared-accuracy']) {
      const box = (await page.getByTestId(chart).boundingBox())!;
      expect(inViewport(box), `${chart} at ${JSON.stringify(box)}`).toBe(true);
    }
    // One tile size on the whole stage, whatever each header's height.
    const sides = await page.$$eval('section.run-column .heatmap-grid canvas', (tiles) =>
      tiles.map((t) => Math.round(t.getBoundingClientRect().width)),
    );
    expect(new Set(sides).size, sides.join(' ')).toBe(1);
    for (const { id } of SCHEDULE_STUDY) {
      const grid = (await page.locator(`[data-testid=${id}-heatmaps]`).boundingBox())!;
      expect(grid.x, id).toBeGreaterThanOrEqual(0);
      expect(grid.x + grid.width, id).toBeLessThanOrEqual(HD.width);
      for (const [i, tile] of (await page.locator(`[data-testid=${id}-heatmaps] canvas`).all()).entries()) {
        const box = (await tile.boundingBox())!;
        expect(inViewport(box), `${id} tile ${i} at ${JSON.stringify(box)}`).toBe(true);
      }
    }
  });

  it('a link carries the four runs: opened in a fresh context, the same runs, labels, methods and settings', async () => {
    const { page } = await openStudio(h, tinyConfig());
    await page.click('[data-testid=preset-schedules]');
    // A label and a setting of the study's own, so the link has to carry more than the preset's defaults.
    await page.fill('[data-field="runs[2].label"] input', 'iEP linear, 5 cycles');
    await selectRun(page, 'iep-linear');
    await page.fill('[data-field="runs[2].iep.cycles"] input', '5');
    await page.waitForFunction(() => decodeURIComponent(location.hash).includes('"label":"iEP linear, 5 cycles"'));
    await page.waitForFunction(() => decodeURIComponent(location.hash).includes('"cycles":5'));
    const config = await hashConfig(page);
    expect(config.runs.map((r) => r.id)).toEqual(SCHEDULE_STUDY.map((r) => r.id));
    const runs = await runsListed(page);
    expect(runs[2].label).toBe('iEP linear, 5 cycles');
    const forms = await formsByRun(page);
    const schedules: Record<string, { step: number; p: number }[]> = {};
    for (const { id, method } of runs) {
      if (method !== 'iep') continue;
      await selectRun(page, id);
      schedules[id] = await schedulePointsShown(page);
    }
    expect(schedules['iep-linear']).toHaveLength(5);
    expect(new Set(Object.values(schedules).map((s) => JSON.stringify(s))).size).toBe(3);

    const other = await h.openApp(await page.evaluate(() => location.hash));
    await other.page.waitForSelector('[data-testid=runs-editor] li[data-run]');
    expect(await runsListed(other.page)).toEqual(runs);
    expect(await formsByRun(other.page)).toEqual(forms);
    for (const [id, points] of Object.entries(schedules)) {
      await selectRun(other.page, id);
      expect(await schedulePointsShown(other.page), id).toEqual(points);
    }
    expect(findRun(await hashConfig(other.page), 'iep-linear')).toEqual(findRun(config, 'iep-linear'));
    expect(await hashConfig(other.page)).toEqual(config);
  });
  it('one run of every method records, exports as v2 JSON, and replays to the same numbers in a fresh profile', async () => {
    const { page } = await openStudio(h, tinyConfig());
    // EP, IteRand and iEP, then dense; IteRand re-draws every 4 steps, so its 16 steps see re-draws.
    await page.click('[data-testid=preset-iterand]');
    await page.click('[data-testid=add-dense]');
    await selectRun(page, 'iterand');
    await page.fill('[data-field="runs[1].iterand.kPer"] input', '4');
    const ids = ['ep', 'iterand', 'iep', 'dense'];
    expect((await runsListed(page)).map((r) => r.id)).toEqual(ids);
    await page.click('[data-testid=start]');
    await waitForState(page, 'done');
    // The setup open, as it is beside a recorded run: the same layout, so the same tile sizes, on both pages.
    await page.click('[data-testid=setup-toggle]');
    await page.waitForSelector('[data-testid=studio][data-setup=open]');
    const final = await shownComparison(page, ids);
    expect(final.columns.map((c) => [c.method, c.numbers.step])).toEqual(ids.map((id) => [id, '16 / 16']));
    // IteRand is EP from the same weights and scores until its first re-draw: the same heatmaps at step 1, others at
    // the end.
    expect(final.columns[1].pixels).not.toEqual(final.columns[0].pixels);
    await scrubBack(page, 15);
    expect(await heatmapPixels(page, 'iterand')).toEqual(await heatmapPixels(page, 'ep'));
    for (let i = 0; i < 15; i++) await page.keyboard.press('ArrowRight');

    const json = await saved(page, 'export-json');
    const record = validateRunRecord(JSON.parse(json.bytes.toString('utf8')));
    expect(record.version).toBe(2);
    // Each run's id is its method's name here.
    expect(record.config.runs.map((r) => [r.id, r.method])).toEqual(ids.map((id) => [id, id]));
    expect(findRun(record.config, 'iterand')).toMatchObject({ iterand: { kPer: 4 } });
    for (const id of ids)
      expect(
        record.reports.filter((r) => r.run === id),
        id,
      ).toHaveLength(16);

    const fresh = await openStudio(h, {});
    await fresh.page.setInputFiles('[data-testid=import]', {
      name: json.name,
      mimeType: 'application/json',
      buffer: json.bytes,
    });
    await fresh.page.waitForSelector(`[data-testid=run-list] li[data-run-id="${record.id}"]`);
    await waitForState(fresh.page, 'recorded');
    expect(await shownComparison(fresh.page, ids)).toEqual(final);
  });
});

/** Every column's method, numbers, dying ratios and heatmap pixels, and the scoreboard, as shown now. */
async function shownComparison(page: Page, ids: RunId[]) {
  const columns = [];
  for (const id of ids) {
    columns.push({
      method: await page.getAttribute(`section[data-run="${id}"]`, 'data-method'),
      numbers: await shownNumbers(page, id),
      pixels: await heatmapPixels(page, id),
    });
  }
  return { columns, scoreboard: await page.textContent('[data-testid=scoreboard] tbody') };
}

/** A run file exported by the v1 app (commit 893ed37): conv2 at 1/8 width, 8 steps of EP and of a 2-cycle iEP. */
const V1_FIXTURE = join(ROOT, 'test', 'fixtures', 'v1-export.json');

interface V1File {
  id: string;
  version: number;
  config: { version: number };
  reports: StepReport[];
  evals: EvalReport[];
}

/** What a column shows at `step` for the v1 file's reports, computed from the file alone. */
function expectedNumbers(file: V1File, run: 'ep' | 'iep', step: number) {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const report = file.reports.find((r) => r.run === run && r.step === step)!;
  const lastEval = file.evals.filter((e) => e.run === run && e.step <= step).at(-1);
  return {
    step: `${step} / ${report.totalSteps}`,
    p: `${report.pruningRate.toFixed(3)} (kept ${pct(1 - report.pruningRate)})`,
    lr: report.learningRate.toPrecision(3),
    testAcc: lastEval ? pct(lastEval.testAccuracy) : '–',
    dying: Object.fromEntries(report.layers.map((l) => [l.name, l.dyingRatio])),
  };
}

async function shownAt(page: Page, run: 'ep' | 'iep') {
  const { step, p, lr, testAcc } = await shownNumbers(page, run);
  return { step, p, lr, testAcc, dying: await dyingRatios(page, run) };
}

describe('a run file of protocol v1', () => {
  it('imports, lists, opens from the list after a reload, and replays its steps in the EP and iEP columns', async () => {
    const text = await readFile(V1_FIXTURE, 'utf8');
    const file = JSON.parse(text) as V1File;
    expect([file.version, file.config.version]).toEqual([1, 1]);
    const steps = [...new Set(file.reports.filter((r) => r.run === 'ep').map((r) => r.step))];
    const last = steps.at(-1)!;
    expect(steps).toEqual(Array.from({ length: last }, (_, i) => i + 1));

    const { page } = await openStudio(h, {});
    await page.setInputFiles('[data-testid=import]', {
      name: 'v1-export.json',
      mimeType: 'application/json',
      buffer: Buffer.from(text),
    });
    await page.waitForSelector(`[data-testid=run-list] li[data-run-id="${file.id}"]`);
    await waitForState(page, 'recorded');

    // Stored, it is listed after a reload and opens from the list.
    await page.reload();
    await page.click(`[data-testid=run-list] li[data-run-id="${file.id}"] button.link`);
    await waitForState(page, 'recorded');
    expect(await page.$$eval('section.run-column', (s) => s.map((el) => el.getAttribute('data-run')))).toEqual([
      'ep',
      'iep',
    ]);
    for (const run of ['ep', 'iep'] as const)
      expect(await shownAt(page, run)).toEqual(expectedNumbers(file, run, last));

    // The timeline walks back through every step, and each column shows that step's numbers (iEP's p rises by cycle).
    await scrubBack(page, 0);
    for (let step = last - 1; step >= 1; step--) {
      await page.keyboard.press('ArrowLeft');
      for (const run of ['ep', 'iep'] as const) {
        expect(await shownAt(page, run), `${run} at step ${step}`).toEqual(expectedNumbers(file, run, step));
      }
    }
    const first = { ep: await heatmapPixels(page, 'ep'), iep: await heatmapPixels(page, 'iep') };

    // From the end, replay walks forward from the first report to the last, no training, and ends on the last
    // step's pictures.
    for (let step = 1; step < last; step++) await page.keyboard.press('ArrowRight');
    await watchSteps(page);
    await page.selectOption('[data-testid=replay-speed]', '10');
    await page.click('[data-testid=replay]');
    await page.waitForFunction(() => document.querySelector('[data-testid=replay]')?.textContent === 'Replay');
    const walked = await stepsSeen(page);
    expect(walked[0]).toBe(1);
    expect(walked.at(-1)).toBe(last);
    expect(walked.every((s, i) => i === 0 || s > walked[i - 1])).toBe(true);
    for (const run of ['ep', 'iep'] as const) {
      expect(await shownAt(page, run)).toEqual(expectedNumbers(file, run, last));
      expect(await heatmapPixels(page, run)).not.toEqual(first[run]);
    }
    expect(await page.$eval('[data-testid=runner-state]', (el) => el.getAttribute('data-state'))).toBe('recorded');
  });
});
