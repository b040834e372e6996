// Takes docs/worker-attach.png: the studio attached to a real local worker (`python -m supermask_worker serve`),
// showing the worker's run of the default comparison in its columns, marked remote, with the "Attach a worker" panel.
// The worker holds the run after --steps steps (SUPERMASK_HOLD_AFTER_STEP), so the picture is taken at a known point;
// every number in it comes from that run.
// Usage: npx vite build && npx tsx scripts/screenshot-worker.ts [--steps 80]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, startHarness } from '../test/e2e/harness';
import { startWorker } from '../test/unit/worker/serveProcess';
import { defaultConfig } from '../src/protocol/config';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '80' } } });
const steps = Number(values.steps);

const h = await startHarness();
const worker = await startWorker({
  token: 'screenshot',
  args: ['--allow-origin', new URL(h.url).origin],
  env: { SUPERMASK_HOLD_AFTER_STEP: String(steps) },
});
try {
  const context = await h.browser.newContext({ viewport: { width: 1600, height: 1000 }, serviceWorkers: 'block' });
  const page = await context.newPage();
  // A backend named, so that the page does not measure its own backends while the worker trains.
  const hash = `#config=${encodeURIComponent(JSON.stringify({ ...defaultConfig(), backend: 'wasm' }))}`;
  await page.goto(`${h.url}?backend=wasm&worker=${encodeURIComponent(worker.url)}${hash}`);
  await page.waitForSelector('[data-testid=worker-state][data-status=attached]', { timeout: 120_000 });
  await page.click('[data-testid=worker-start]');
  const started = Date.now();
  for (const run of ['ep', 'iep']) {
    await page.waitForFunction(
      ([r, n]) => Number(document.querySelector(`[data-testid=${r}-progress]`)?.getAttribute('data-step')) >= n,
      [run, steps] as const,
      { timeout: 30 * 60_000, polling: 1000 },
    );
  }
  console.log(`${steps} steps of each run on the worker in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  // The studio at the top of the window (the sidebar sticks there, so all of it shows), the sidebar scrolled down to
  // the panel.
  await page.evaluate(() => {
    const body = document.querySelector('.studio-body');
    window.scrollTo(0, body ? body.getBoundingClientRect().top + window.scrollY : 0);
    const side = document.querySelector('.studio-side');
    if (side) side.scrollTop = side.scrollHeight;
  });
  await page.screenshot({ path: join(ROOT, 'docs/worker-attach.png'), timeout: 300_000 });
  console.log('screenshot: docs/worker-attach.png');
} finally {
  await worker.stop();
  await h.close();
}
