// An ImageNet-shaped run in the studio: a real `serve` whose --data-root holds a small ImageFolder tree the test
// writes (imagenet/train/<wnid>/*.ppm, imagenet/val/<wnid>/*.ppm), and a real page opened with a link naming
// torchvision's ResNet-18. The tab refuses to run it itself (the model field says where it runs, Start is off and
// says why), the dataset is the worker's ImageNet, and Start on the worker trains it there and shows its 21 layers'
// heatmaps live; the recorded run then replays from this browser's library with the worker gone, and its run files
// import into another browser.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type AppHarness } from './harness';
import { configHash, heatmapPixels, waitForStep } from './studioSupport';
import { startWorker, type WorkerProcess } from '../unit/worker/serveProcess';

const TOKEN = 'imagenet-test-token';
// 4 training images in batches of 2 for 1 epoch: 2 steps for EP and for iEP (2 cycles), a report every step.
const RESNET18 = {
  version: 2,
  model: 'torchvision/resnet18',
  width: 1,
  dataset: 'imagenet',
  batchSize: 2,
  epochs: 1,
  trainLimit: 4,
  testLimit: 2,
  reportEvery: 1,
  runs: [
    { id: 'ep', label: 'EP', method: 'ep' },
    { id: 'iep', label: 'iEP', method: 'iep', iep: { cycles: 2 } },
  ],
};
const STEPS = 2;
// torchvision's ResNet-18: 17 3×3 convs, 3 downsampling 1×1 convs and fc.
const LAYERS = 21;
const REFUSAL = '"torchvision/resnet18" runs only on a worker — attach one (Worker panel)';

let h: AppHarness;
let worker: WorkerProcess;
let dataRoot: string;

/** A binary PPM (P6) of random pixels: an image format torchvision's ImageFolder reads, written without a library. */
function ppm(width: number, height: number, seed: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  let x = seed;
  for (let i = 0; i < pixels.length; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    pixels[i] = x >> 23;
  }
  return Buffer.concat([Buffer.from(`P6\n${width} ${height}\n255\n`), pixels]);
}

/** DATA/imagenet/{train,val}/<wnid>/*.ppm: 2 classes, 2 training and 1 validation image each, odd sizes. */
function writeImageFolder(root: string) {
  for (const [split, n] of [
    ['train', 2],
    ['val', 1],
  ] as const) {
    for (const [c, wnid] of ['n01440764', 'n01443537'].entries()) {
      const folder = join(root, 'imagenet', split, wnid);
      mkdirSync(folder, { recursive: true });
      for (let i = 0; i < n; i++) writeFileSync(join(folder, `${i}.ppm`), ppm(70 + 7 * i, 60 + 5 * c, 10 * c + i + 1));
    }
  }
}

beforeAll(async () => {
  h = await startHarness();
  dataRoot = mkdtempSync(join(tmpdir(), 'worker-data-'));
  writeImageFolder(dataRoot);
  worker = await startWorker({
    token: TOKEN,
    args: ['--allow-origin', new URL(h.url).origin, '--data-root', dataRoot],
  });
});

afterAll(async () => {
  await worker?.stop();
  await h?.close();
  if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });
});

describe('a worker-only ImageNet net', () => {
  it('is refused in the tab, trains on the worker with its heatmaps live, replays and imports once recorded', async () => {
    const { page, errors } = await h.openApp(`?worker=${encodeURIComponent(worker.url)}${configHash(RESNET18)}`);
    await page.waitForSelector('[data-testid=studio]');

    // The tab says where the net runs, at its field, and will not start it; the dataset is the worker's.
    const refusal = page.locator('[data-field=model] .field-error');
    await expect.poll(() => refusal.textContent(), { timeout: 60_000 }).toBe(REFUSAL);
    expect(await page.inputValue('[data-field=model] select')).toBe('torchvision/resnet18');
    expect(
      await page.$eval('[data-field=dataset] select', (s) => (s as HTMLSelectElement).selectedOptions[0].text),
    ).toBe('ImageNet (on the worker: DATA/imagenet)');
    const start = page.locator('[data-testid=start]');
    await expect.poll(() => start.getAttribute('title'), { timeout: 180_000 }).toBe(`model: ${REFUSAL}`);
    expect(await start.isDisabled()).toBe(true);

    // Start on the worker: ResNet-18 trains there on the ImageFolder tree and fills the columns here.
    await page.waitForSelector('[data-testid=worker-start]:not([disabled])', { timeout: 120_000 });
    await page.click('[data-testid=worker-start]');
    await page.waitForSelector('[data-testid=worker-received]', { timeout: 120_000 });
    const id = (await page.getAttribute('[data-worker-run]', 'data-worker-run'))!;
    expect(id).toMatch(/-torchvision-resnet18-s1$/);
    await expect.poll(() => page.textContent('[data-testid=run-config]')).toMatch(/^remote.*torchvision\/resnet18/);
    await waitForStep(page, 'ep', 1, 180_000);
    const early = await heatmapPixels(page, 'ep');
    expect(Object.keys(early)).toHaveLength(LAYERS);
    await waitForStep(page, 'iep', STEPS, 180_000);
    await page.waitForSelector(`[data-worker-run="${id}"][data-state=done]`, { timeout: 180_000 });
    const recorded = worker.telemetry(id);
    await expect
      .poll(() => page.getAttribute('[data-testid=worker-received]', 'data-received'), { timeout: 60_000 })
      .toBe(String(recorded.length));
    const last = await heatmapPixels(page, 'iep');
    expect(Object.keys(last)).toHaveLength(LAYERS);
    // Drawn: every tile holds pixels, and the newest report changed them.
    const blank = await page.$eval('[data-testid=iep-heatmaps] canvas', (c) => {
      const empty = document.createElement('canvas');
      [empty.width, empty.height] = [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height];
      return empty.toDataURL();
    });
    expect(Object.values(last).filter((url) => url === blank)).toEqual([]);
    expect(await heatmapPixels(page, 'ep')).not.toEqual(early);
    expect(errors).toEqual([]);

    // Recorded in this browser: with the worker gone (a reload, no ?worker=), the run replays from the library.
    const stored = `[data-testid=run-list] li[data-run-id="${id}"]`;
    await expect.poll(() => page.textContent(`${stored} [data-testid=run-status]`), { timeout: 60_000 }).toBe('done');
    await page.reload();
    await page.click(`${stored} button.link`);
    await expect.poll(() => page.textContent('[data-testid=runner-state]')).toBe('recorded run');
    await waitForStep(page, 'iep', STEPS);
    expect(Object.keys(await heatmapPixels(page, 'iep'))).toHaveLength(LAYERS);
    expect(errors).toEqual([]);

    // The worker's run files, as one run file (what `read_record` makes), import into another browser and replay.
    const header = JSON.parse(readFileSync(join(worker.runsDir, id, 'run.json'), 'utf8')) as object;
    const record = {
      ...header,
      reports: recorded.filter((r) => r.kind === 'step'),
      evals: recorded.filter((r) => r.kind === 'eval'),
      error: null,
    };
    const other = await h.openApp();
    await other.page.setInputFiles('[data-testid=import]', {
      name: `${id}.json`,
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(record)),
    });
    await expect.poll(() => other.page.textContent('[data-testid=run-config]')).toMatch(/torchvision\/resnet18/);
    await waitForStep(other.page, 'iep', STEPS);
    expect(Object.keys(await heatmapPixels(other.page, 'ep'))).toHaveLength(LAYERS);
    expect(await other.page.$$('[data-testid=library-error]')).toEqual([]);
    expect(other.errors).toEqual([]);
  });
});
