// Smoke test of the engine-against-PyTorch benchmark's browser row (scripts/bench/pytorch.ts with
// scripts/bench/browserPage.ts): the bench page built and served to headless Chromium with wasm pinned to one thread,
// the same EP step timed there, in Node and in the worker's PyTorch, for a tiny net. No speed is asserted.
import { describe, expect, it } from 'vitest';
import { browserEp, serveBenchPages } from '../../scripts/bench/browserPage';
import { benchPytorch } from '../../scripts/bench/pytorch';
import { useNodeBackend } from '../../src/engine/node-backend';
import { tinyPytorchBench } from '../unit/engine/helpers';

describe('engine against PyTorch benchmark, browser row', () => {
  it('times the EP step in headless Chromium on one wasm thread and divides by PyTorch', async () => {
    await useNodeBackend('wasm');
    const pages = await serveBenchPages(1);
    try {
      const { page } = await pages.open();
      const row = await benchPytorch(tinyPytorchBench(browserEp(page)));
      const { browser } = row;
      expect(browser).toMatchObject({ backend: 'wasm' });
      expect(browser!.reason).toMatch(/1 thread/);
      expect(browser!.stepMsPerRound).toHaveLength(2);
      expect(browser!.stepMs).toBe(Math.min(...browser!.stepMsPerRound));
      expect(browser!.stepMs).toBeGreaterThan(0);
      const [torch] = row.pytorch;
      expect((torch.browserRatio! * torch.imagesPerSecond) / browser!.imagesPerSecond).toBeCloseTo(1, 1);
    } finally {
      await pages.close();
    }
  }, 300_000);
});
