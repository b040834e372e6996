// Stage-ready without a network or a configurable host: the built app is cross-origin isolated (by vite preview's
// headers, or by its service worker on a host that sends none), so wasm runs a thread per core; it works from a
// sub-path; after one visit it opens, trains and replays offline; a new version is offered, never forced mid-run.
import { cp, mkdtemp, appendFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { ROOT, startHarness, type AppHarness } from './harness';
import { waitForInstalledAndIsolated } from './serviceWorkerSupport';
import { serveStatic, type StaticServer } from './staticServer';
import { configHash, shownNumbers, slowDown, tinyConfig, waitForState, waitForStep } from './studioSupport';

let h: AppHarness;
const contexts: BrowserContext[] = [];
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await Promise.allSettled(contexts.map((c) => c.close()));
  await h?.close();
});

async function newPage(): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
  const context = await h.browser.newContext({ viewport: { width: 1400, height: 1000 } });
  contexts.push(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`${err.name}: ${err.message}`));
  return { page, context, errors };
}

async function wasmThreads(page: Page): Promise<number> {
  await page.waitForFunction(() => document.querySelector('[data-testid=backend-name]')?.textContent === 'wasm');
  const reason = (await page.textContent('[data-testid=backend-reason]')) ?? '';
  const threads = /(\d+) threads, SIMD/.exec(reason);
  expect(threads, `the backend's reason names its threads: "${reason}"`).not.toBeNull();
  return Number(threads![1]);
}

describe('cross-origin isolation and wasm threads', () => {
  // The pool lays a comparison over the cores (one engine per run, threads from what is left): one engine laid over
  // every core shows that isolation gives wasm a thread per core.
  const oneEngine = `layout=1x${cpus().length}`;

  it('vite preview sends COOP/COEP: the page is isolated and wasm runs one thread per core', async () => {
    const { page } = await newPage();
    const response = await page.goto(`${h.url}?backend=wasm&${oneEngine}`);
    expect(response?.headers()['cross-origin-opener-policy']).toBe('same-origin');
    expect(response?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const threads = await wasmThreads(page);
    expect(threads).toBe(cores);
    expect(threads).toBeGreaterThan(1);
  });
});

describe('the built site on a static host, from a sub-path, without COOP/COEP headers', () => {
  let server: StaticServer;
  beforeAll(async () => {
    server = await serveStatic(join(ROOT, 'dist'), '/studio/');
  });
  afterAll(async () => {
    await server?.close();
  });

  it('is isolated by its service worker and trains a tiny run on wasm threads', async () => {
    const { page, errors } = await newPage();
    await page.goto(`${server.url}?backend=wasm&layout=1x${cpus().length}${configHash(tinyConfig())}`);
    await waitForInstalledAndIsolated(page);
    expect(await wasmThreads(page)).toBeGreaterThan(1);
    await page.click('[data-testid=start]');
    await waitForState(page, 'done');
    // Everything the app asked for lay under its sub-path: nothing fell back to the host's root.
    expect(server.missing).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('offline after one visit', () => {
  it('reloads with the network off: the data loads, a recorded run replays, a short run trains', async () => {
    const server = await serveStatic(join(ROOT, 'dist'), '/studio/');
    const { page, context, errors } = await newPage();
    await page.goto(`${server.url}${configHash(tinyConfig())}`);
    await waitForInstalledAndIsolated(page);
    await page.click('[data-testid=start]');
    await waitForState(page, 'done');
    const final = { ep: await shownNumbers(page, 'ep'), iep: await shownNumbers(page, 'iep') };

    // The network off, twice over: the browser context is offline and the host is gone.
    await server.close();
    await context.setOffline(true);
    await page.reload();
    await page.waitForSelector('[data-testid=studio]');
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.waitForFunction(() => document.querySelector('[data-testid=train-count]')?.textContent === '5,000');

    await page.click('[data-testid=run-list] li[data-run-id] button.link');
    await waitForState(page, 'recorded');
    await page.selectOption('[data-testid=replay-speed]', '100');
    await page.click('[data-testid=replay]');
    await page.waitForFunction(() => document.querySelector('[data-testid=replay]')?.textContent === 'Replay');
    expect({ ep: await shownNumbers(page, 'ep'), iep: await shownNumbers(page, 'iep') }).toEqual(final);

    await page.click('[data-testid=start]');
    await waitForStep(page, 'ep', 3);
    await waitForStep(page, 'iep', 3);
    expect(errors).toEqual([]);
  });
});

describe('updates', () => {
  it('offers a new version and applies it only when no run is live', async () => {
    // A copy of the site to publish a "new version" into.
    const site = await mkdtemp(join(tmpdir(), 'supermask-site-'));
    await cp(join(ROOT, 'dist'), site, { recursive: true });
    const server = await serveStatic(site, '/studio/');
    try {
      const { page } = await newPage();
      await page.goto(`${server.url}${configHash(tinyConfig({ trainLimit: 1600, epochs: 1 }))}`);
      await waitForInstalledAndIsolated(page);
      expect(await page.$('[data-testid=update-banner]')).toBeNull();

      await slowDown(page);
      await page.click('[data-testid=start]');
      await waitForStep(page, 'ep', 2);
      await appendFile(join(site, 'sw.js'), '\n// the next version\n');
      await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
      await page.waitForSelector('[data-testid=update-banner]');
      // Mid-run the update waits: the button says so and cannot be pressed, and the run goes on.
      expect(await page.textContent('[data-testid=update-apply]')).toBe('Update after this run');
      expect(await page.isDisabled('[data-testid=update-apply]')).toBe(true);
      const before = Number(await page.getAttribute('[data-testid=ep-progress]', 'data-step'));
      await waitForStep(page, 'ep', before + 2);

      await page.click('[data-testid=pause]');
      await waitForState(page, 'paused');
      expect(await page.isDisabled('[data-testid=update-apply]')).toBe(true);
      await page.click('[data-testid=reset]');
      await page.waitForFunction(
        () => document.querySelector('[data-testid=update-apply]')?.textContent === 'Reload to update',
      );
      await Promise.all([page.waitForEvent('load'), page.click('[data-testid=update-apply]')]);
      await page.waitForSelector('[data-testid=studio]');
      expect(await page.$('[data-testid=update-banner]')).toBeNull();
      expect(
        await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting ?? null),
      ).toBeNull();
    } finally {
      await server.close();
      await rm(site, { recursive: true, force: true });
    }
  });
});
