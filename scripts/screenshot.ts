// Takes the README's and docs' screenshots from the real app: the default comparison on the bundled data, mid-run.
// Usage: npx vite build && npx tsx scripts/screenshot.ts [--steps 120] [--backend wasm]
// wasm is the fastest backend on a machine without a GPU; every number in the pictures comes from that run.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, startHarness } from '../test/e2e/harness';
import { defaultConfig } from '../src/protocol/config';

const { values } = parseArgs({
  options: { steps: { type: 'string', default: '120' }, backend: { type: 'string', default: 'wasm' } },
});
const steps = Number(values.steps);
const config = { ...defaultConfig(), backend: values.backend };

const h = await startHarness();
try {
  const { page } = await h.openApp(`#config=${encodeURIComponent(JSON.stringify(config))}`);
  await page.waitForSelector('[data-testid=studio]');
  await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 60_000 });
  await page.click('[data-testid=start]');
  await page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid=ep-progress]')?.getAttribute('data-step')) >= n,
    steps,
    { timeout: 15 * 60_000, polling: 1000 },
  );
  await page.click('[data-testid=pause]');
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(ROOT, 'docs/screenshot.png') });
  const studio = await page.$('[data-testid=studio]');
  await studio?.screenshot({ path: join(ROOT, 'docs/studio.png') });
  console.log(`screenshots at step ${steps}: docs/screenshot.png, docs/studio.png`);
} finally {
  await h.close();
}
