// The tab's limits: the layer plan the studio draws and budgets from is exactly the engine's model, and a config
// that would not fit in a tab is refused at the field to change, with the largest value that fits.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, summarize } from '../../../src/engine/models';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { defaultConfig, MODEL_NAMES, type ComparisonConfig } from '../../../src/protocol/config';
import {
  datasetBytes,
  fitWorkers,
  layerPlan,
  memoryEstimate,
  poolEstimate,
  sharesOf,
  TAB_MEMORY_BUDGET,
  TAB_TOTAL_BUDGET,
  tabLimitProblem,
} from '../../../src/protocol/memory';

function config(change: Partial<ComparisonConfig>): ComparisonConfig {
  return { ...defaultConfig(), ...change };
}

describe('layerPlan', () => {
  beforeAll(() => useNodeBackend('wasm'));

  it.each(MODEL_NAMES.flatMap((m) => [0.3, 0.125].map((w) => [m, w] as const)))(
    '%s at width %s lists the engine’s layers, names and shapes',
    (model, width) => {
      const built = buildModel(model, width, 1);
      const engine = summarize(built, 0.5).layers.map((l) => [l.name, l.kind, l.shape]);
      built.dispose();
      expect(layerPlan(model, width).map((l) => [l.name, l.kind, l.shape])).toEqual(engine);
    },
  );
});

describe('tabLimitProblem', () => {
  it('lets the default comparison and the e2e tests’ tiny one run', () => {
    expect(tabLimitProblem(defaultConfig())).toBeNull();
    expect(tabLimitProblem(config({ dataset: 'cifar10' }))).toBeNull();
    expect(
      tabLimitProblem(
        config({ model: 'conv2', width: 0.125, batchSize: 8, reportEvery: 1, trainLimit: 1600, epochs: 2 }),
      ),
    ).toBeNull();
  });

  it('refuses a batch that would not fit, at batchSize, naming the largest that does', () => {
    const { maxBatch } = memoryEstimate('resnet20', 0.5);
    expect(maxBatch).toBeGreaterThan(128);
    expect(tabLimitProblem(config({ batchSize: maxBatch }))).toBeNull();
    const problem = tabLimitProblem(config({ batchSize: maxBatch + 1 }));
    expect(problem?.field).toBe('batchSize');
    expect(problem?.message).toContain(`at most batch ${maxBatch}`);
    // The paper's ResNet-18 at batch 128 needs more than a tab has; a smaller batch runs.
    const resnet18 = memoryEstimate('resnet18', 1).maxBatch;
    expect(resnet18).toBeGreaterThan(1);
    expect(resnet18).toBeLessThan(128);
    expect(tabLimitProblem(config({ model: 'resnet18', width: 1, batchSize: 128 }))?.field).toBe('batchSize');
    expect(tabLimitProblem(config({ model: 'resnet18', width: 1, batchSize: resnet18, reportEvery: 50 }))).toBeNull();
  });

  it('refuses a width whose model alone exceeds the budget, at width', () => {
    const m = memoryEstimate('resnet18', 4);
    expect(m.modelBytes).toBeGreaterThan(TAB_MEMORY_BUDGET);
    expect(tabLimitProblem(config({ model: 'resnet18', width: 4, batchSize: 1 }))?.field).toBe('width');
  });

  it('refuses more reports than a tab can keep, at reportEvery, and says which interval fits', () => {
    const long = config({ dataset: 'cifar10', epochs: 1000, reportEvery: 1, batchSize: 8 });
    const problem = tabLimitProblem(long);
    expect(problem?.field).toBe('reportEvery');
    const every = Number(problem!.message.match(/report every ([\d,]+) steps/)![1].replace(/,/g, ''));
    expect(tabLimitProblem({ ...long, reportEvery: every })).toBeNull();
    expect(tabLimitProblem({ ...long, reportEvery: every - 1 })?.field).toBe('reportEvery');
  });
});

describe('a comparison spread over engine workers', () => {
  const study = (runs: number, over: Partial<ComparisonConfig> = {}): ComparisonConfig => {
    const base = defaultConfig();
    const ids = Array.from({ length: runs }, (_, i) => ({ ...base.runs[i % 2], id: `r${i}`, label: `r${i}` }));
    return { ...base, runs: ids, ...over } as ComparisonConfig;
  };

  it('an engine of two runs costs what one engine of EP and iEP always did; each run adds its own share', () => {
    const edges = layerPlan('resnet20', 0.5).reduce((a, l) => a + l.shape.reduce((x, y) => x * y, 1), 0);
    const two = memoryEstimate('resnet20', 0.5);
    expect(two.modelBytes).toBe(16 * 2 ** 20 + 4 * 28 * edges);
    expect(memoryEstimate('resnet20', 0.5, 1).modelBytes).toBe(two.modelBytes - 4 * 11 * edges);
    expect(memoryEstimate('resnet20', 0.5, 4).modelBytes).toBe(two.modelBytes + 2 * 4 * 11 * edges);
  });

  it('runs are dealt in turn: the first engines hold one more', () => {
    expect(sharesOf(6, 4)).toEqual([2, 2, 1, 1]);
    expect(sharesOf(2, 8)).toEqual([1, 1]);
    expect(sharesOf(3, 1)).toEqual([3]);
  });

  it('counts every worker heap and every copy of the data (one shared copy where memory is shared)', () => {
    const c = study(4);
    const data = datasetBytes(c);
    const apart = poolEstimate(c, 2, false);
    const shared = poolEstimate(c, 2, true);
    expect(apart.perWorker).toHaveLength(2);
    expect(apart.totalBytes - shared.totalBytes).toBe(data);
    const one = memoryEstimate('resnet20', c.width, 2);
    expect(apart.perWorker[0]).toBe(one.modelBytes + c.batchSize * one.bytesPerImage);
  });

  it('a 6-run study that fits one engine still fits: fewer workers when every core would not', () => {
    const c = study(6, { model: 'resnet18', width: 0.5, batchSize: 48 });
    expect(tabLimitProblem(c, undefined, 1)).toBeNull();
    const w = fitWorkers(c, 6, false);
    expect(w).toBeGreaterThanOrEqual(1);
    expect(w).toBeLessThan(6);
    expect(poolEstimate(c, w, false).totalBytes).toBeLessThanOrEqual(TAB_TOTAL_BUDGET);
    expect(poolEstimate(c, w + 1, false).totalBytes).toBeGreaterThan(TAB_TOTAL_BUDGET);
    expect(tabLimitProblem(c, undefined, w)).toBeNull();
    // Forced over six workers, it is refused in words.
    expect(tabLimitProblem(c, undefined, 6)?.message).toMatch(/6 runs on 6 engine workers need about .* in all/);
  });
});
