// The tab's limits: the layer plan the studio draws and budgets from is exactly the engine's model, and a config
// that would not fit in a tab is refused at the field to change, with the largest value that fits.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, summarize } from '../../../src/engine/models';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { defaultConfig, MODEL_NAMES, type ComparisonConfig } from '../../../src/protocol/config';
import { layerPlan, memoryEstimate, TAB_MEMORY_BUDGET, tabLimitProblem } from '../../../src/protocol/memory';

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
