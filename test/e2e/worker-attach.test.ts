// "Attach a worker" end to end: a real `python -m supermask_worker serve` on loopback that allows the served app's
// origin, a real browser page. The page attaches through its panel, starts the setup's tiny comparison on the worker
// and shows it live in the same columns (step counters rise, heatmaps change), recorded in IndexedDB as a remote
// run. Its connection is cut while the worker is out of reach and the run trains on; the page says so, re-attaches
// by itself and re-subscribes, and ends with every report of the worker's telemetry exactly once. A wrong token is
// said in the panel; a link with #worker= attaches on load, and Detach leaves the stored runs as they were. A run a
// batch job trains in the worker's runs folder is listed as "training (external)", without pause or stop, opens live
// and ends "recorded".
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, WebSocketRoute } from 'playwright-core';
import { startHarness, type AppHarness } from './harness';
import { configHash, heatmapPixels, storedRecords, tinyConfig, waitForStep } from './studioSupport';
import { defaultConfig } from '../../src/protocol/config';
import { byHand, resumeToEnd, startWorker, type WorkerProcess } from '../unit/worker/serveProcess';

const TOKEN = 'attach-test-token';
// The worker's training process holds after this step until paused: the page sees part of the run at a known point.
const HOLD_AFTER = 4;
// tinyConfig: 64 images in batches of 8 for 2 epochs: 16 steps for EP and for iEP, a report every step.
const STEPS = 16;
const POLL_MS = 100;

let h: AppHarness;
let worker: WorkerProcess;

beforeAll(async () => {
  h = await startHarness();
  const origin = new URL(h.url).origin;
  worker = await startWorker({
    token: TOKEN,
    args: ['--allow-origin', origin],
    env: { SUPERMASK_HOLD_AFTER_STEP: String(HOLD_AFTER) },
  });
});

afterAll(async () => {
  await worker?.stop();
  await h?.close();
});

/** Waits until the element's attribute satisfies `test` (polled on a timer: a busy page can skip frames). */
async function waitForAttr(page: Page, selector: string, attr: string, test: string, timeout = 120_000) {
  await page.waitForFunction(
    ([sel, a, t]) => {
      const value = document.querySelector(sel)?.getAttribute(a);
      return value != null && (new Function('v', `return ${t}`) as (v: string) => boolean)(value);
    },
    [selector, attr, test] as const,
    { timeout, polling: POLL_MS },
  );
}

const status = (page: Page, wanted: string) =>
  waitForAttr(page, '[data-testid=worker-state]', 'data-status', `v === ${JSON.stringify(wanted)}`);

/**
 * Routes the page's WebSockets through Playwright, each connected to the real worker, so the test can cut the one
 * in use and keep new ones from reaching the worker (as when the network goes away) until it lets them through.
 */
async function cuttableSockets(page: Page) {
  const gate = { open: true };
  let current: WebSocketRoute | null = null;
  await page.routeWebSocket(/^ws:\/\/127\.0\.0\.1:/, (ws) => {
    if (!gate.open) {
      void ws.close({ code: 1011, reason: 'unreachable' });
      return;
    }
    current = ws;
    ws.connectToServer();
  });
  return { gate, cut: () => current?.close({ code: 1011, reason: 'cut by the test' }) };
}

describe('attach a worker', () => {
  it('shows a worker run live, survives a cut connection, and records every report once', async () => {
    const { page, errors } = await h.openApp(configHash(tinyConfig()));
    const sockets = await cuttableSockets(page);
    await page.fill('[data-testid=worker-url]', worker.url);
    await page.click('[data-testid=worker-attach]');
    await status(page, 'attached');

    // Start on the worker: the setup's comparison runs there and opens here.
    await page.click('[data-testid=worker-start]');
    await page.waitForSelector('[data-testid=worker-received]', { timeout: 120_000 });
    const id = (await page.getAttribute('[data-worker-run]', 'data-worker-run'))!;
    await expect.poll(() => page.textContent('[data-testid=run-config]')).toMatch(/^remote/);
    await waitForStep(page, 'ep', 1, 120_000);
    const firstStep = Number(await page.getAttribute('[data-testid=ep-progress]', 'data-step'));
    const firstPixels = await heatmapPixels(page, 'ep');
    await waitForStep(page, 'iep', HOLD_AFTER, 120_000);
    expect(await page.textContent('[data-testid=runner-state]')).toBe('worker: training');
    // The badge names what trains the run on screen: the worker's torch, not this page's engine.
    expect(await page.textContent('[data-testid=backend-badge]')).toMatch(/^Trained on the worker: torch-cpu/);

    // Paused on the worker, then the connection is cut and the worker is out of reach.
    await page.click(`[data-worker-run="${id}"] [data-testid=worker-pause]`);
    await waitForAttr(page, `[data-worker-run="${id}"]`, 'data-state', 'v === "paused"');
    const beforeCut = Number(await page.getAttribute('[data-testid=worker-received]', 'data-received'));
    sockets.gate.open = false;
    await sockets.cut();
    await status(page, 'retrying');
    expect(await page.textContent('[data-testid=worker-state]')).toMatch(/Connection lost: the connection dropped/);

    // Meanwhile the run goes on to its end, resumed by another client of the worker.
    await resumeToEnd(worker, TOKEN, id);
    const recorded = worker.telemetry(id);
    expect(beforeCut).toBeLessThan(recorded.length);

    sockets.gate.open = true;
    await status(page, 'attached');
    await waitForAttr(page, '[data-testid=worker-received]', 'data-received', `Number(v) >= ${recorded.length}`);
    await waitForStep(page, 'ep', STEPS);
    await waitForStep(page, 'iep', STEPS);
    // Every report once: as many arrived as the worker recorded, and the columns end at the run's last step.
    expect(Number(await page.getAttribute('[data-testid=worker-received]', 'data-received'))).toBe(recorded.length);
    expect(firstStep).toBeLessThan(STEPS);
    expect(await heatmapPixels(page, 'ep')).not.toEqual(firstPixels);
    expect(await page.textContent('[data-testid=timeline-at]')).toContain(`step ${STEPS} / ${STEPS}`);

    // Stored as the worker's telemetry, line for line, marked remote and done.
    await expect
      .poll(
        async () => {
          const { runs, items } = await storedRecords(page);
          return { status: runs[id]?.status, rows: Object.keys(items).filter((k) => k.startsWith(`${id}/`)).length };
        },
        { timeout: 60_000, interval: 250 },
      )
      .toEqual({ status: 'done', rows: recorded.length });
    const { runs, items } = await storedRecords(page);
    expect(runs[id]).toMatchObject({ source: 'remote', items: recorded.length });
    const stored = recorded.map((_, seq) => items[`${id}/${seq}`]);
    expect(stored.map(({ kind, run, step }) => ({ kind, run, step }))).toEqual(
      recorded.map(({ kind, run, step }) => ({ kind, run, step })),
    );
    await page.waitForSelector(`[data-testid=run-list] li[data-run-id="${id}"] [data-testid=run-remote]`);
    expect(errors).toEqual([]);

    // A link with #worker= attaches on load (the token stays in the browser); the finished run opens whole from the worker's history.
    const linked = await h.openApp(`#worker=${encodeURIComponent(worker.url)}`);
    await status(linked.page, 'attached');
    expect(linked.page.url()).not.toContain('token');
    await waitForAttr(linked.page, `[data-worker-run="${id}"]`, 'data-state', 'v === "done"');
    await linked.page.click(`[data-worker-run="${id}"] [data-testid=worker-open]`);
    await waitForStep(linked.page, 'iep', STEPS);
    await waitForAttr(
      linked.page,
      '[data-testid=worker-received]',
      'data-received',
      `Number(v) === ${recorded.length}`,
    );
    // Detaching keeps what was stored as it was: a finished run stays done.
    const statusIn = async (p: Page) => (await storedRecords(p)).runs[id]?.status;
    await expect.poll(() => statusIn(linked.page), { timeout: 60_000, interval: 250 }).toBe('done');
    await linked.page.click('[data-testid=worker-detach]');
    await status(linked.page, 'detached');
    expect(await linked.page.textContent('[data-testid=worker-state]')).toMatch(/No worker attached/);
    expect(await statusIn(linked.page)).toBe('done');
    expect(linked.errors).toEqual([]);
  });

  it('lists a batch job’s run as training (external), shows it live, and ends it recorded', async () => {
    const { page, errors } = await h.openApp();
    await page.fill('[data-testid=worker-url]', worker.url);
    await page.click('[data-testid=worker-attach]');
    await status(page, 'attached');
    // `train` by hand into the worker's runs folder (as torchrun in a batch job), held after step 4 until SIGTERM
    // stops it; then `resume` by hand to its end.
    const config = join(worker.runsDir, 'job.config.json');
    writeFileSync(config, JSON.stringify({ ...defaultConfig(), ...tinyConfig({ iep: undefined, backend: 'auto' }) }));
    const job = byHand(worker, ['train', config, '--id', 'job'], { SUPERMASK_HOLD_AFTER_STEP: String(HOLD_AFTER) });
    const row = '[data-worker-run="job"]';
    await waitForAttr(page, row, 'data-state', 'v === "external"');
    expect(await page.textContent(row)).toContain('· training (external)');
    expect(await page.$(`${row} [data-testid=worker-pause]`)).toBeNull();
    expect(await page.$(`${row} [data-testid=worker-stop]`)).toBeNull();
    await page.click(`${row} [data-testid=worker-open]`);
    await waitForStep(page, 'iep', HOLD_AFTER, 120_000);
    expect(await page.textContent('[data-testid=runner-state]')).toBe('worker: training (external)');

    job.process.kill('SIGTERM');
    expect(await job.exited).toBe(75); // stopped on request, its state saved
    expect(await byHand(worker, ['resume', 'job']).exited).toBe(0);
    const recorded = worker.telemetry('job');
    await waitForAttr(page, row, 'data-state', 'v === "recorded"');
    await waitForAttr(page, '[data-testid=worker-received]', 'data-received', `Number(v) === ${recorded.length}`);
    await waitForStep(page, 'iep', STEPS);
    expect(await page.textContent('[data-testid=runner-state]')).toBe('worker: recorded');
    expect(errors).toEqual([]);
  });

  it('says in the panel that a wrong token was refused', async () => {
    const { page } = await h.openApp();
    await page.fill('[data-testid=worker-url]', worker.url.replace(TOKEN, 'not-the-token'));
    await page.click('[data-testid=worker-attach]');
    await status(page, 'detached');
    expect(await page.textContent('[data-testid=worker-state]')).toMatch(/refused the token/);
    expect(await page.$('[data-testid=worker-start]')).toBeNull();
  });
});
