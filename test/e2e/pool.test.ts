// The engine pool in a real Chromium: a 2-run and a 4-run comparison train on two engine workers at once (two cores
// here, so one run per worker, one wasm thread each), and the exported reports equal, number for number and heatmap
// cell for heatmap cell, what one engine computes in Node for the same config and data; an engine worker that stops
// mid-run is replaced, and the comparison ends with every report once and the same numbers.
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { parseCifarBatch } from '../../src/data/cifar';
import { Comparison } from '../../src/engine/comparison';
import { useNodeBackend } from '../../src/engine/node-backend';
import type { LocalConfig } from '../../src/protocol/config';
import type { EvalReport, RunRecord, StepReport } from '../../src/protocol/report';
import { validateRunRecord } from '../../src/protocol/validate';
import { fourRunConfig, tinyConfig } from '../unit/engine/helpers';
import { ROOT, startHarness, type AppHarness } from './harness';
import { openStudio, waitForState, waitForStep } from './studioSupport';

let h: AppHarness;
beforeAll(async () => {
  h = await startHarness();
  await useNodeBackend('wasm');
});
afterAll(async () => {
  await h?.close();
});

/** The bundled subset the page trains on, read from the same files. */
function bundled() {
  const file = (name: string) => parseCifarBatch(readFileSync(join(ROOT, 'public/data/cifar10-subset', name)), name);
  return { train: file('data_batch_1.bin'), test: file('test_batch.bin') };
}

type Out = StepReport | EvalReport;
const strip = (r: Out) => (r.kind === 'step' ? { ...r, imagesPerSecond: 0 } : r);
const key = (r: Out) => `${r.run} ${r.kind} ${String(r.step).padStart(5, '0')} ${'reason' in r ? r.reason : ''}`;
const sorted = (rs: Out[]) => [...rs].sort((a, b) => key(a).localeCompare(key(b))).map(strip);

/** What one engine reports for the record's own config on the same data, in Node. */
async function reference(record: RunRecord): Promise<Out[]> {
  const c = new Comparison(record.config, bundled());
  const out: Out[] = [];
  c.subscribe((e) => (e.type === 'report' || e.type === 'eval') && out.push(e.report));
  // A new comparison's first step reports whatever reportEvery says (Start's reportFirst).
  await c.stepOnce(true);
  while (!c.done) await c.stepOnce(false);
  c.dispose();
  return out;
}

async function exported(page: Page): Promise<RunRecord> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-json]')]);
  return validateRunRecord(JSON.parse(await readFile((await download.path())!, 'utf8')));
}

/** The page's engine workers (not the backend probes): one per run here. */
function engineWorkers(page: Page) {
  return page.workers().filter((w) => /worker/.test(w.url()) && !/probe/.test(w.url()));
}

const shared = { dataset: 'cifar10-subset', width: 0.125, trainLimit: 64, testLimit: 32, epochs: 3, reportEvery: 2 };

describe('the engine pool in the browser', () => {
  it('EP vs iEP on two workers: every report equals one engine in Node', async () => {
    const config: LocalConfig = { ...tinyConfig(shared), backend: 'wasm' };
    const { page, errors } = await openStudio(h, config as unknown as Record<string, unknown>);
    await page.click('[data-testid=start]');
    await waitForState(page, 'done', 180_000);
    expect(engineWorkers(page)).toHaveLength(2);
    expect(await page.textContent('[data-testid=studio-backend]')).toMatch(/wasm/);
    const record = await exported(page);
    expect(record.reports.length).toBeGreaterThan(0);
    expect(sorted([...record.reports, ...record.evals])).toEqual(sorted(await reference(record)));
    expect(errors).toEqual([]);
  }, 300_000);

  it('four runs (EP, iEP, dense, IteRand): an engine worker stopped mid-run is replaced, the numbers unchanged', async () => {
    const config: LocalConfig = { ...fourRunConfig({ ...tinyConfig(shared), epochs: 6 }), backend: 'wasm' };
    const { page } = await openStudio(h, config as unknown as Record<string, unknown>);
    await page.click('[data-testid=start]');
    await waitForStep(page, 'iep', 6, 120_000);
    const before = engineWorkers(page);
    expect(before).toHaveLength(2);
    // Gone without a word, as a worker the browser killed: only the pool's ping notices.
    await before[1].evaluate(() => (self as unknown as { close(): void }).close());
    await waitForState(page, 'done', 240_000);
    const record = await exported(page);
    const want = sorted(await reference(record));
    const got = sorted([...record.reports, ...record.evals]);
    // Every report once: no step lost, none repeated.
    expect(got.map(key)).toEqual(want.map(key));
    expect(got).toEqual(want);
    // The stopped one was replaced by a new worker.
    expect(engineWorkers(page).filter((w) => !before.includes(w))).toHaveLength(1);
  }, 400_000);
});
