// The ImageNet nets only the PyTorch worker builds: a config may name them (the protocol, the schema and the setup
// all accept it, so it can be started on a worker), but this tab refuses to run one, at the model field, with words
// that say where it runs; the engine refuses it too, so no way in reaches models.ts.
import { readdirSync, readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import schema from '../../../src/protocol/telemetry.schema.json';
import {
  defaultConfig,
  optionValues,
  withModel,
  WORKER_DATASET,
  WORKER_ONLY_MODELS,
  type ComparisonConfig,
} from '../../../src/protocol/config';
import { tabLimitProblem } from '../../../src/protocol/memory';
import { ConfigError, validateConfig, validateLocalConfig } from '../../../src/protocol/validate';
import { Comparison } from '../../../src/engine/comparison';
import { useStore } from '../../../src/store/index';
import { configFromHash, configToHash } from '../../../src/store/url';
import { cifar } from '../engine/helpers';

const wrn = (): ComparisonConfig => ({
  ...defaultConfig(),
  model: 'torchvision/wide_resnet50_2',
  width: 1,
  dataset: WORKER_DATASET,
});
const REFUSAL = 'model: "torchvision/wide_resnet50_2" runs only on a worker — attach one (Worker panel)';

const ajv = new Ajv({ strict: false });
ajv.addSchema(schema);
const schemaAccepts = ajv.getSchema(`${schema.$id}#/definitions/ComparisonConfig`)!;

afterEach(() => useStore.getState().setConfig(defaultConfig()));

describe('a config naming a worker-only net', () => {
  it.each(WORKER_ONLY_MODELS)('%s is a valid model, for validateConfig and for the schema the worker reads', (m) => {
    const config = { ...wrn(), model: m };
    expect(validateConfig(config)).toEqual(config);
    expect(schemaAccepts(config)).toBe(true);
    expect(optionValues('model')).toContain(m);
  });

  it('takes width 1 only: a multiplier torchvision’s nets would ignore is refused at the width', () => {
    expect(() => validateConfig({ ...wrn(), width: 0.5 })).toThrow(
      "width: must be 1 for torchvision/wide_resnet50_2: it has torchvision's widths (got 0.5)",
    );
  });

  it('is refused for this tab, naming the field and where it runs', () => {
    expect(() => validateLocalConfig(wrn())).toThrow(REFUSAL);
    const problem = tabLimitProblem(wrn());
    expect(problem).toBeInstanceOf(ConfigError);
    expect([problem?.field, problem?.message]).toEqual(['model', REFUSAL]);
    expect(validateLocalConfig(defaultConfig())).toEqual(defaultConfig());
  });

  it('is refused by the engine before anything is built', () => {
    expect(() => new Comparison(wrn(), cifar(16, 8))).toThrow(REFUSAL);
  });
});

// docs/worker.md's walkthrough starts these on a GPU box: they must stay valid as the protocol changes.
const CONFIGS = new URL('../../../worker/configs/', import.meta.url);

describe('the worker’s ready-made configs', () => {
  it.each(readdirSync(CONFIGS))('worker/configs/%s is valid as given, for the studio and the schema', (name) => {
    const config: unknown = JSON.parse(readFileSync(new URL(name, CONFIGS), 'utf8'));
    expect(validateConfig(config)).toEqual(config);
    expect(schemaAccepts(config)).toBe(true);
  });
});

describe('the setup with a worker-only net', () => {
  it('says the refusal at the model field, marked as this tab’s alone (Start on the worker stays on)', () => {
    useStore.getState().setConfig(wrn());
    expect(useStore.getState().configError).toEqual({
      field: 'model',
      message: '"torchvision/wide_resnet50_2" runs only on a worker — attach one (Worker panel)',
      tabOnly: true,
    });
    // A protocol error is every runner's: not marked.
    useStore.getState().setConfig({ ...wrn(), batchSize: 0 });
    expect(useStore.getState().configError?.tabOnly).toBeUndefined();
  });

  it('a link naming one opens it as the setup, the refusal at its field, nothing else lost', () => {
    const opened = configFromHash(configToHash(wrn()));
    expect(opened).toEqual({ config: wrn() });
    // A hand-written one gets what the net takes, not the CIFAR defaults' width and dataset.
    const hand = configFromHash(`#config=${encodeURIComponent('{"model":"torchvision/resnet50"}')}`);
    expect(hand).toEqual({ config: { ...wrn(), model: 'torchvision/resnet50' } });
  });

  it('picking one takes width 1 and the worker’s ImageNet; picking a CIFAR net again takes the page’s dataset', () => {
    const picked = withModel({ ...defaultConfig(), width: 0.5 }, 'torchvision/resnet18', 'cifar10-subset');
    expect([picked.model, picked.width, picked.dataset]).toEqual(['torchvision/resnet18', 1, WORKER_DATASET]);
    const mine = withModel({ ...picked, dataset: 'imagenet-100' }, 'torchvision/resnet50', 'cifar10-subset');
    expect(mine.dataset).toBe('imagenet-100');
    const back = withModel(mine, 'resnet20', 'cifar10-subset');
    expect([back.model, back.width, back.dataset]).toEqual(['resnet20', 1, 'cifar10-subset']);
    expect(validateLocalConfig(back)).toEqual(back);
  });
});
