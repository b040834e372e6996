// The same comparison (EP, iEP, dense) on WebGL and on WebGPU (SwiftShader here: software, slow, but the same shaders
// a GPU runs) reports what it reports on wasm: the same losses, dying ratios per layer and heatmap cells, to the
// tolerances below. Trained by the studio itself (its engine worker), read back from what it recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { StepReport } from '../../src/protocol/report';
import { startHarness, type AppHarness } from './harness';
import { configHash, tinyConfig, waitForState } from './studioSupport';

/** Loss relative; dying ratios and heatmap cells absolute (cells are means over a few hundred edges). */
const LOSS_TOLERANCE = 1e-4;
const CELL_TOLERANCE = 1e-4;

const CONFIG = tinyConfig({
  width: 0.125,
  trainLimit: 64,
  testLimit: 16,
  epochs: 1,
  runs: [
    { id: 'ep', label: 'EP', method: 'ep' },
    { id: 'iep', label: 'iEP', method: 'iep' },
    { id: 'dense', label: 'dense', method: 'dense' },
  ],
});
/** 64 images in batches of 8, one epoch: eight steps of each run (iEP's default eight cycles of one), each reported. */
const STEPS = 8;

let h: AppHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** Every step report the studio recorded in this profile's IndexedDB, by "run/step". */
function recordedReports(page: Page): Promise<Record<string, StepReport>> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('supermask-studio');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('IndexedDB open failed'));
    });
    if (!db.objectStoreNames.contains('items')) return {};
    const req = db.transaction('items').objectStore('items').getAll();
    const rows = await new Promise<{ item: { kind: string; run: string; step: number } }[]>((resolve, reject) => {
      req.onsuccess = () => resolve(req.result as { item: { kind: string; run: string; step: number } }[]);
      req.onerror = () => reject(req.error ?? new Error('IndexedDB read failed'));
    });
    db.close();
    const plain = (v: unknown) =>
      JSON.parse(JSON.stringify(v, (_k, x: unknown) => (ArrayBuffer.isView(x) ? Array.from(x as Float64Array) : x)));
    return Object.fromEntries(
      rows.filter((r) => r.item.kind === 'step').map((r) => [`${r.item.run}/${r.item.step}`, plain(r.item)]),
    );
  });
}

async function trainOn(backend: string): Promise<Record<string, StepReport>> {
  const { page, errors } = await h.openApp(configHash({ ...CONFIG, backend }));
  await page.waitForSelector('[data-testid=start]:not([title="Loading the dataset…"])', { timeout: 180_000 });
  await page.click('[data-testid=start]');
  await waitForState(page, 'done', 540_000);
  // Trained where it was asked to, not on a fallback.
  expect(await page.textContent('[data-testid=backend-name]')).toBe(backend);
  let reports: Record<string, StepReport> = {};
  for (let i = 0; i < 100 && Object.keys(reports).length < 3 * STEPS; i++) {
    reports = await recordedReports(page);
    if (Object.keys(reports).length < 3 * STEPS) await page.waitForTimeout(100);
  }
  expect(errors).toEqual([]);
  const named = Object.values(reports).map((r) => r.run);
  expect(named.filter((r) => r === 'dense')).toHaveLength(STEPS);
  await page.context().close();
  return reports;
}

describe('the same comparison on every backend', () => {
  let reference: Record<string, StepReport>;
  beforeAll(async () => {
    reference = await trainOn('wasm');
  });

  it.each(['webgl', 'webgpu'])(
    '%s reports the losses, dying ratios and heatmap cells wasm reports',
    async (backend) => {
      const got = await trainOn(backend);
      expect(Object.keys(got).sort()).toEqual(Object.keys(reference).sort());
      let cells = 0;
      for (const [key, e] of Object.entries(reference)) {
        const r = got[key];
        expect(Math.abs(r.loss - e.loss), `${backend} ${key} loss`).toBeLessThanOrEqual(LOSS_TOLERANCE * e.loss);
        expect(r.trainAccuracy, `${backend} ${key} train accuracy`).toBe(e.trainAccuracy);
        expect(r.layers.map((l) => l.name)).toEqual(e.layers.map((l) => l.name));
        r.layers.forEach((l, i) => {
          const el = e.layers[i];
          const where = `${backend} ${key} ${l.name}`;
          expect([l.kept, l.entered, l.left], where).toEqual([el.kept, el.entered, el.left]);
          expect(Math.abs(l.dyingRatio - el.dyingRatio), where).toBeLessThanOrEqual(CELL_TOLERANCE);
          expect(Math.abs(l.dyingRatioAtTarget - el.dyingRatioAtTarget), where).toBeLessThanOrEqual(CELL_TOLERANCE);
          expect([l.heatmap.rows, l.heatmap.cols], where).toEqual([el.heatmap.rows, el.heatmap.cols]);
          l.heatmap.usage.forEach((v, n) => {
            expect(Math.abs(v - el.heatmap.usage[n]), `${where} usage cell ${n}`).toBeLessThanOrEqual(CELL_TOLERANCE);
            cells++;
          });
        });
      }
      // EP's and iEP's masked layers, every step: a comparison that compared nothing would not get here.
      expect(cells).toBeGreaterThan(2 * STEPS * 5);
    },
  );
});
