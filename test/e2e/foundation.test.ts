// The first page in a real Chromium: the bundled subset loads, its counts and pixels are right, the backend is
// named, and a corrupt dropped file is refused without losing the dataset already loaded.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLASS_NAMES, IMAGE_BYTES, RECORD_BYTES, classCounts, parseCifarBatch } from '../../src/data/cifar';
import { SHARED_CIFAR10, batchesDir, readBatchFile, verifySha256Sums } from '../../scripts/cifar-source';
import { GRID_COLUMNS, GRID_ROWS, GRID_SCALE, cellOrigin } from '../../src/views/dataset/gridLayout';
import { fetchCifar10 } from '../../scripts/fetch-cifar10';
import { ROOT, startHarness, type AppHarness } from './harness';
import { showDataset } from './studioSupport';

const SUBSET_TRAIN = join(ROOT, 'public', 'data', 'cifar10-subset', 'data_batch_1.bin');

let harness: AppHarness;

beforeAll(async () => {
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.close();
});

async function waitForDataset(page: Page): Promise<void> {
  await showDataset(page);
  await expect.poll(() => page.getByTestId('train-count').textContent(), { timeout: 60_000 }).toBe('5,000');
}

/** The class-count table as [class name, train count, test count] rows, as shown. */
function classCountsTable(page: Page): Promise<string[][]> {
  return page.getByTestId('class-counts').evaluate((table) => {
    const cells = (sel: string) => Array.from(table.querySelectorAll(sel), (c) => c.textContent!.trim());
    const names = cells('thead th').slice(1);
    const train = cells('[data-testid=class-counts-train] td');
    const test = cells('[data-testid=class-counts-test] td');
    return names.map((name, c) => [name, train[c], test[c]]);
  });
}

/** The grid's canvas pixels (RGBA, row-major) and width. */
async function gridPixels(page: Page): Promise<{ width: number; data: Uint8Array }> {
  const { width, base64 } = await page.getByTestId('sample-grid').evaluate((el) => {
    const canvas = el as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let text = '';
    for (let i = 0; i < data.length; i += 0x8000) {
      text += String.fromCharCode(...data.subarray(i, i + 0x8000));
    }
    return { width: canvas.width, base64: btoa(text) };
  });
  return { width, data: new Uint8Array(Buffer.from(base64, 'base64')) };
}

describe('foundation page', () => {
  it('loads the bundled subset: ten classes with their counts, real pixels in the grid, and a named backend', async () => {
    const { page, errors } = await harness.openApp();
    await waitForDataset(page);

    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Supermask Studio');
    expect(await page.getByTestId('test-count').textContent()).toBe('1,000');
    expect(await classCountsTable(page)).toEqual(CLASS_NAMES.map((name) => [name, '500', '100']));

    // The grid shows the first images of the subset file exactly: every source pixel as a GRID_SCALE block.
    const file = readFileSync(SUBSET_TRAIN);
    const shown = GRID_COLUMNS * GRID_ROWS;
    expect(await page.getByTestId('sample-grid').getAttribute('data-count')).toBe(String(shown));
    const { width, data } = await gridPixels(page);
    let mismatches = 0;
    let nonGrey = 0;
    for (let k = 0; k < shown; k++) {
      const origin = cellOrigin(k);
      const record = file.subarray(k * RECORD_BYTES + 1, (k + 1) * RECORD_BYTES);
      for (let p = 0; p < 1024; p++) {
        const x = origin.x + (p % 32) * GRID_SCALE + GRID_SCALE - 1;
        const y = origin.y + Math.floor(p / 32) * GRID_SCALE + GRID_SCALE - 1;
        const o = (y * width + x) * 4;
        const [r, g, b] = [record[p], record[p + 1024], record[p + 2048]];
        if (data[o] !== r || data[o + 1] !== g || data[o + 2] !== b || data[o + 3] !== 255) mismatches++;
        if (r !== g || g !== b) nonGrey++;
      }
    }
    expect(mismatches).toBe(0);
    expect(nonGrey).toBeGreaterThan(shown * 500);
    expect(file.length).toBe(5000 * RECORD_BYTES);
    expect(IMAGE_BYTES).toBe(3072);

    // Labels under the images: the grid's text alternative names them in file order.
    const labels = Array.from({ length: shown }, (_, k) => CLASS_NAMES[file[k * RECORD_BYTES]]);
    expect(await page.getByTestId('sample-grid').getAttribute('aria-label')).toContain(labels.join(', '));

    // The engine worker names its backend and says why.
    await page.getByTestId('backend-name').waitFor({ timeout: 180_000 });
    expect(['webgpu', 'webgl', 'wasm', 'cpu']).toContain(await page.getByTestId('backend-name').textContent());
    expect((await page.getByTestId('backend-reason').textContent())!.length).toBeGreaterThan(5);
    expect(errors).toEqual([]);
  });

  it('names the backend asked for in the URL (?backend=cpu) and why', async () => {
    const { page } = await harness.openApp('?backend=cpu');
    await page.getByTestId('backend-name').waitFor({ timeout: 180_000 });
    expect(await page.getByTestId('backend-name').textContent()).toBe('cpu');
    expect(await page.getByTestId('backend-reason').textContent()).toMatch(/cpu/i);
  });

  it('refuses a corrupt dropped file with a clear error and keeps the loaded dataset usable', async () => {
    const { page } = await harness.openApp();
    await waitForDataset(page);
    const before = await gridPixels(page);

    // A .bin whose length is not a whole number of records.
    await page.getByTestId('dataset-file-input').setInputFiles({
      name: 'corrupt.bin',
      mimeType: 'application/octet-stream',
      buffer: Buffer.alloc(5000, 7),
    });
    const error = page.getByTestId('dataset-error');
    await error.waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('dataset-error-message').textContent()).toContain(
      'corrupt.bin is 5,000 bytes long, not a multiple of the CIFAR-10 record size (3073 bytes',
    );
    expect(await error.textContent()).toContain('is still in use');

    // A dropped "archive" that is gzip in name only, through a real drop event with a DataTransfer.
    await page.getByTestId('dataset-drop-zone').evaluate((zone) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3])], 'cifar-10-binary.tar.gz'));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    });
    await expect
      .poll(() => page.getByTestId('dataset-error-message').textContent(), { timeout: 30_000 })
      .toContain('cifar-10-binary.tar.gz is a damaged gzip archive');

    // Still the subset: same counts, same name, same pixels.
    expect(await page.getByTestId('train-count').textContent()).toBe('5,000');
    expect(await page.getByTestId('test-count').textContent()).toBe('1,000');
    expect(await page.getByTestId('dataset-name').textContent()).toMatch(/^CIFAR-10 subset/);
    expect(await classCountsTable(page)).toHaveLength(10);
    const after = await gridPixels(page);
    expect(Buffer.from(after.data).equals(Buffer.from(before.data))).toBe(true);
  });

  it('loads a dropped single CIFAR .bin file, split into train and test', async () => {
    const { page } = await harness.openApp();
    await waitForDataset(page);
    const records = readFileSync(SUBSET_TRAIN).subarray(0, 600 * RECORD_BYTES);
    await page.getByTestId('dataset-file-input').setInputFiles({
      name: 'first600.bin',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(records),
    });
    await expect
      .poll(() => page.getByTestId('dataset-name').textContent(), { timeout: 30_000 })
      .toContain('first600.bin');
    const train = Number((await page.getByTestId('train-count').textContent())!.replace(/,/g, ''));
    const test = Number((await page.getByTestId('test-count').textContent())!.replace(/,/g, ''));
    expect(train + test).toBe(600);
    expect(test).toBeGreaterThan(80);
    expect(test).toBeLessThan(120);
  });

  it('loads a dropped real .tar.gz (one training batch and the test batch) in the page', async () => {
    verifySha256Sums(SHARED_CIFAR10, ['data_batch_1.bin', 'test_batch.bin']);
    const work = mkdtempSync(join(tmpdir(), 'e2e-drop-'));
    try {
      const archive = join(work, 'cifar-part.tar.gz');
      execFileSync('sh', [
        '-c',
        `tar -chf - -C "${batchesDir(SHARED_CIFAR10)}" data_batch_1.bin test_batch.bin batches.meta.txt | gzip -1 > "${archive}"`,
      ]);
      const { page, errors } = await harness.openApp();
      await waitForDataset(page);
      await page.getByTestId('dataset-file-input').setInputFiles(archive);
      await expect.poll(() => page.getByTestId('train-count').textContent(), { timeout: 120_000 }).toBe('10,000');
      expect(await page.getByTestId('test-count').textContent()).toBe('10,000');
      expect(await page.getByTestId('dataset-name').textContent()).toContain('cifar-part.tar.gz');
      const trainCounts = classCounts(parseCifarBatch(readBatchFile(SHARED_CIFAR10, 'data_batch_1.bin')).labels);
      expect(await classCountsTable(page)).toEqual(
        CLASS_NAMES.map((name, c) => [name, trainCounts[c].toLocaleString('en-US'), '1,000']),
      );
      expect(await page.getByTestId('dataset-error').count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('the full set', () => {
  let served: string;
  let full: AppHarness;

  beforeAll(async () => {
    // A copy of the built app with the full set installed by the real script, as `npm run data:cifar10` does.
    served = mkdtempSync(join(tmpdir(), 'e2e-full-'));
    cpSync(join(ROOT, 'dist'), served, { recursive: true });
    await fetchCifar10(SHARED_CIFAR10, join(served, 'data'));
    full = await startHarness({ outDir: served });
  });

  afterAll(async () => {
    await full?.close();
    if (served) rmSync(served, { recursive: true, force: true });
  });

  it('is offered by the picker when installed, loads with 50,000 / 10,000 images, and is marked missing when not', async () => {
    const { page, errors } = await full.openApp();
    await waitForDataset(page);
    await page.getByTestId('dataset-picker').selectOption('cifar10');
    await expect.poll(() => page.getByTestId('train-count').textContent(), { timeout: 120_000 }).toBe('50,000');
    expect(await page.getByTestId('test-count').textContent()).toBe('10,000');
    expect(await classCountsTable(page)).toEqual(CLASS_NAMES.map((name) => [name, '5,000', '1,000']));
    expect(errors).toEqual([]);

    // A link whose config names the full set loads it directly.
    const linked = await full.openApp(`#config=${encodeURIComponent(JSON.stringify({ dataset: 'cifar10' }))}`);
    await showDataset(linked.page);
    await expect.poll(() => linked.page.getByTestId('train-count').textContent(), { timeout: 120_000 }).toBe('50,000');

    rmSync(join(served, 'data', 'cifar10-full'), { recursive: true });
    const again = await full.openApp();
    await waitForDataset(again.page);
    const option = again.page.getByTestId('dataset-picker').locator('option[value="cifar10"]');
    expect(await option.isDisabled()).toBe(true);
    expect(await option.textContent()).toContain('not installed (npm run data:cifar10)');
  });
});
