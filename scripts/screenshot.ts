// Takes the README's and docs' screenshots from the real app: the default comparison on the bundled data, a short
// real run on wasm (the fastest backend on a machine without a GPU), every number in the pictures from that run.
// - docs/first-screen.png: the page at 1280 x 720 mid-run (the setup folded away: controls, chart, scoreboard and the
//   first heatmaps on the first screen, nothing scrolled)
// - docs/talk-mode.png: talk mode at 1280 x 720 (every layer of both runs, the chart and the scoreboard)
// - docs/schedule-study.png: the "schedule study" preset (EP and three iEP schedules) mid-run at 1600 x 1000, on
//   ResNet-20 at a quarter of its width (four runs of the default net would take minutes per picture here)
// Usage: npx vite build && npx tsx scripts/screenshot.ts [--steps 80] [--study-steps 160] [--backend wasm]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { ROOT, startHarness } from '../test/e2e/harness';
import { defaultConfig } from '../src/protocol/config';
import { RUN_PRESETS } from '../src/views/studio/runPresets';

const { values } = parseArgs({
  options: {
    // Past the first evaluation (an epoch: about 78 steps at the default's batch of 64, 156 at the study's 32), so
    // that the scoreboard has test accuracies and a ranking.
    steps: { type: 'string', default: '80' },
    'study-steps': { type: 'string', default: '160' },
    backend: { type: 'string', default: 'wasm' },
  },
});
const steps = Number(values.steps);
const studySteps = Number(values['study-steps']);
const config = { ...defaultConfig(), backend: values.backend };

/** The scoreboard as shown, one line per run, for the captions (every number in them is from the picture). */
async function logScoreboard(page: Page, what: string): Promise<void> {
  const rows = await page.$$eval('[data-testid=scoreboard] tbody tr', (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent ?? '').join(' | ')),
  );
  console.log(`${what}: run | step | test acc. (best) | d_t | d_t at target | rank\n  ${rows.join('\n  ')}`);
}

const h = await startHarness();
try {
  const context = await h.browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  await page.goto(`${h.url}?backend=${values.backend}#config=${encodeURIComponent(JSON.stringify(config))}`);
  await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 120_000 });
  await page.click('[data-testid=start]');
  const started = Date.now();
  await page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid=iep-progress]')?.getAttribute('data-step')) >= n,
    steps,
    { timeout: 30 * 60_000, polling: 1000 },
  );
  await page.click('[data-testid=pause]');
  await page.waitForSelector('[data-testid=runner-state][data-state=paused]');
  console.log(`${steps} steps of each run in ${((Date.now() - started) / 1000).toFixed(0)} s on ${values.backend}`);
  await page.screenshot({ path: join(ROOT, 'docs/first-screen.png') });
  await logScoreboard(page, 'docs/first-screen.png');
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('t');
  await page.waitForSelector('[data-testid=studio][data-talk=true]');
  await page.waitForSelector('[data-testid=scoreboard]');
  await page.screenshot({ path: join(ROOT, 'docs/talk-mode.png') });
  console.log('screenshots: docs/first-screen.png, docs/talk-mode.png');

  const study = RUN_PRESETS.find((p) => p.id === 'schedules')!;
  const studyConfig = { ...config, width: 0.25, batchSize: 32, reportEvery: 2, runs: study.runs(defaultConfig()) };
  const wide = await h.browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const studyPage = await wide.newPage();
  await studyPage.goto(`${h.url}?backend=${values.backend}#config=${encodeURIComponent(JSON.stringify(studyConfig))}`);
  await studyPage.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 120_000 });
  await studyPage.click('[data-testid=start]');
  await studyPage.waitForFunction(
    (n) => Number(document.querySelector('[data-testid=iep-progress]')?.getAttribute('data-step')) >= n,
    studySteps,
    { timeout: 30 * 60_000, polling: 1000 },
  );
  await studyPage.click('[data-testid=pause]');
  await studyPage.waitForSelector('[data-testid=runner-state][data-state=paused]');
  await studyPage.screenshot({ path: join(ROOT, 'docs/schedule-study.png') });
  await logScoreboard(studyPage, 'docs/schedule-study.png');
  console.log('screenshot: docs/schedule-study.png');
} finally {
  await h.close();
}
