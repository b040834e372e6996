// A dropped full CIFAR-10 archive is parsed off the page's main thread: while the official-size .tar.gz is gunzipped,
// untarred and parsed, no task on the main thread runs long (a frozen page would show one task of seconds).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_FILES, SHARED_CIFAR10, batchesDir, readBatchFile, verifySha256Sums } from '../../scripts/cifar-source';
import { CLASS_NAMES, RECORD_BYTES } from '../../src/data/cifar';
import { GRID_COLUMNS, GRID_ROWS } from '../../src/views/dataset/gridLayout';
import { startHarness, type AppHarness } from './harness';
import { showDataset } from './studioSupport';

/** Far below the seconds a main-thread parse of the full archive takes, far above a React render of the result. */
const LONGEST_TASK_MS = 500;

let harness: AppHarness;
let work: string;
let archive: string;

beforeAll(async () => {
  verifySha256Sums(SHARED_CIFAR10, [...BATCH_FILES]);
  work = mkdtempSync(join(tmpdir(), 'e2e-drop-worker-'));
  // The same files as the official cifar-10-binary.tar.gz: all five training batches, the test batch, the names.
  archive = join(work, 'cifar-10-binary.tar.gz');
  execFileSync('sh', [
    '-c',
    `tar -chf - -C "${batchesDir(SHARED_CIFAR10)}" ${BATCH_FILES.join(' ')} batches.meta.txt | gzip -1 > "${archive}"`,
  ]);
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('dropping the full archive', () => {
  it('keeps the main thread responsive while the archive is parsed', async () => {
    const { page, errors } = await harness.openApp();
    await showDataset(page);
    await expect.poll(() => page.getByTestId('train-count').textContent(), { timeout: 60_000 }).toBe('5,000');

    // Long tasks (over 50 ms) of the main thread from here on, as the browser itself reports them.
    expect(await page.evaluate(() => PerformanceObserver.supportedEntryTypes)).toContain('longtask');
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { longTasks: number[] }).longTasks = seen;
      new PerformanceObserver((list) => list.getEntries().forEach((e) => seen.push(Math.round(e.duration)))).observe({
        type: 'longtask',
      });
    });

    await page.getByTestId('dataset-file-input').setInputFiles(archive);
    await expect.poll(() => page.getByTestId('train-count').textContent(), { timeout: 180_000 }).toBe('50,000');
    expect(await page.getByTestId('test-count').textContent()).toBe('10,000');
    expect(await page.getByTestId('dataset-name').textContent()).toContain('cifar-10-binary.tar.gz');
    // The images came back whole from the worker: the grid names the first records of data_batch_1.bin in order.
    const first = readBatchFile(SHARED_CIFAR10, 'data_batch_1.bin');
    const labels = Array.from({ length: GRID_COLUMNS * GRID_ROWS }, (_, k) => CLASS_NAMES[first[k * RECORD_BYTES]]);
    await expect
      .poll(() => page.getByTestId('sample-grid').getAttribute('aria-label'), { timeout: 30_000 })
      .toContain(labels.join(', '));

    const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
    console.log(`long tasks during the drop (ms): ${JSON.stringify(longTasks)}`);
    expect(Math.max(0, ...longTasks)).toBeLessThan(LONGEST_TASK_MS);
    expect(errors).toEqual([]);
  });
});
