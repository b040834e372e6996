import { it } from 'vitest';
import { startHarness } from './harness';
import { configHash, waitForStep } from './studioSupport';
it('smoke', async () => {
  const h = await startHarness();
  const { page, errors } = await h.openApp(configHash({ model: 'conv2', width: 0.125, batchSize: 8, reportEvery: 1, trainLimit: 64, testLimit: 32, epochs: 2, backend: 'wasm' }));
  await page.waitForSelector('[data-testid=start]:not([title="Loading the dataset…"])', { timeout: 180_000 });
  await page.click('[data-testid=preset-schedules]');
  await page.click('[data-testid=start]');
  await waitForStep(page, 'iep', 10);
  await page.screenshot({ path: '/tmp/smoke.png', fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.keyboard.press('t');
  await page.waitForTimeout(1000);
  await page.screenshot({ path: '/tmp/talk.png' });
  console.log('SCROLL', await page.evaluate(() => [document.scrollingElement!.scrollWidth, document.scrollingElement!.clientWidth]));
  console.log('ERRORS', errors);
  await h.close();
}, 300000);
