// A config shared by link: it comes back exactly from the URL hash, a hand-written partial link is filled from the
// defaults, and a broken or foreign hash is explained (naming the field where there is one), never thrown.
import { describe, expect, it } from 'vitest';
import {
  defaultConfig,
  defaultIepConfig,
  defaultIteRandConfig,
  findRun,
  type ComparisonConfig,
  type IepRun,
  type RunConfig,
} from '../../../src/protocol/config';
import { configFromHash, configToHash, workerFromAddress } from '../../../src/store/url';

function errorOf(hash: string): string {
  const r = configFromHash(hash);
  if (!r || !('error' in r)) throw new Error(`expected an error for ${hash}, got ${JSON.stringify(r)}`);
  return r.error;
}

function configOf(hash: string): ComparisonConfig {
  const r = configFromHash(hash);
  if (!r || !('config' in r)) throw new Error(`expected a config for ${hash}, got ${JSON.stringify(r)}`);
  return r.config;
}

const custom: ComparisonConfig = {
  ...defaultConfig(),
  dataset: 'cifar10',
  model: 'conv4',
  width: 0.375,
  seed: 4294967295,
  targetPruningRate: 0.9,
  epochs: 2.5,
  weightDecay: 0.0003,
  budget: 'full-cycles',
  trainLimit: 1000,
  testLimit: null,
  backend: 'wasm',
  runs: [
    { id: 'one-shot', label: 'EP at 0.9', method: 'ep' },
    {
      id: 'hand-drawn',
      label: 'iEP, my schedule',
      method: 'iep',
      iep: {
        cycles: 3,
        schedule: 'custom',
        points: [
          { step: 0, p: 0.3 },
          { step: 40, p: 0.6 },
          { step: 90, p: 0.9 },
        ],
        variant: 'hard',
        scores: 'reinit',
        lrRewind: false,
      },
    },
    { id: 'weights', label: 'dense (lr 0.01)', method: 'dense', dense: { learningRate: 0.01 } },
    { id: 'iterand', label: 'IteRand K=50', method: 'iterand', iterand: { kPer: 50, lambda: 0.25 } },
  ],
};

/** A hash written by hand (or by an older app): the JSON as given, encoded. */
const hashOf = (body: object) => `#config=${encodeURIComponent(JSON.stringify(body))}`;

/** The settings of the config's iEP run `id`. */
const iepOf = (c: ComparisonConfig, id = 'iep') => (findRun(c, id) as IepRun).iep;

describe('config in the URL hash', () => {
  it('round trip: the default and a 4-run config with every field changed come back equal', () => {
    expect(custom.runs.map((r) => r.method)).toEqual(['ep', 'iep', 'dense', 'iterand']);
    for (const c of [defaultConfig(), custom]) {
      const hash = configToHash(c);
      expect(hash.startsWith('#config=')).toBe(true);
      // Safe to paste: nothing a URL would re-encode or cut at.
      expect(hash.slice(1)).not.toMatch(/[\s#"{}]/);
      expect(configOf(hash)).toEqual(c);
    }
  });

  it('reads the config among other hash parameters, with or without the leading #', () => {
    const hash = configToHash(custom).slice(1);
    expect(configOf(`#view=talk&${hash}&x=1`)).toEqual(custom);
    expect(configOf(hash)).toEqual(custom);
  });

  it('no config in the hash: null (the setup stays as it is)', () => {
    for (const h of ['', '#', '#view=talk', '#configuration=1', '#x=config=1']) expect(configFromHash(h)).toBeNull();
  });

  it('a partial hand-written link is filled from the defaults; a v1-style `iep` sets the default iEP run', () => {
    expect(configOf('#config={"model":"conv2"}')).toEqual({ ...defaultConfig(), model: 'conv2' });
    const defaults = defaultConfig();
    expect(configOf(`#config=${encodeURIComponent('{"iep":{"cycles":3},"seed":7}')}`)).toEqual({
      ...defaults,
      seed: 7,
      runs: [defaults.runs[0], { ...defaults.runs[1], iep: { ...defaultIepConfig(), cycles: 3 } }],
    });
  });

  it('a whole v1 config (version 1, `iep` at the top) opens as EP against that iEP', () => {
    const v1: Record<string, unknown> = { ...custom, version: 1, iep: iepOf(custom, 'hand-drawn') };
    delete v1.runs;
    expect(configOf(hashOf(v1))).toEqual({
      ...custom,
      runs: [
        { id: 'ep', label: 'EP', method: 'ep' },
        { id: 'iep', label: 'iEP', method: 'iep', iep: iepOf(custom, 'hand-drawn') },
      ],
    });
  });

  it('partial runs are filled from their method’s defaults, ids and labels included', () => {
    const c = configOf(
      hashOf({
        runs: [
          { method: 'iep', iep: { schedule: 'linear' } },
          { method: 'iterand', label: 'IteRand, K=10', iterand: { kPer: 10 } },
          { id: 'base', method: 'dense' },
          {},
        ],
      }),
    );
    const expected: RunConfig[] = [
      { id: 'run-1', label: 'iEP', method: 'iep', iep: { ...defaultIepConfig(), schedule: 'linear' } },
      {
        id: 'run-2',
        label: 'IteRand, K=10',
        method: 'iterand',
        iterand: { ...defaultIteRandConfig(), kPer: 10 },
      },
      { id: 'base', label: 'dense', method: 'dense', dense: { learningRate: null } },
      { id: 'run-4', label: 'EP', method: 'ep' },
    ];
    expect(c).toEqual({ ...defaultConfig(), runs: expected });
    // A hand-written custom schedule in a run counts one cycle per point, as at the top.
    const points = [
      { step: 0, p: 0.5 },
      { step: 9, p: 0.832 },
    ];
    const drawn = configOf(hashOf({ runs: [{ method: 'iep', iep: { schedule: 'custom', points } }] }));
    expect(drawn.runs).toEqual([
      {
        id: 'run-1',
        label: 'iEP',
        method: 'iep',
        iep: { ...defaultIepConfig(), schedule: 'custom', points, cycles: 2 },
      },
    ]);
  });

  it('a run list in the link replaces the default runs; an `iep` beside it is not applied to any of them', () => {
    const c = configOf(hashOf({ runs: [{ id: 'only', method: 'ep' }], iep: { cycles: 2 } }));
    expect(c.runs).toEqual([{ id: 'only', label: 'EP', method: 'ep' }]);
  });

  it('fields the app does not know are dropped, not carried into the setup', () => {
    const c = configOf(configToHash({ ...defaultConfig(), colour: 'red' } as ComparisonConfig));
    expect(c).toEqual(defaultConfig());
    expect('colour' in c).toBe(false);
  });
});

describe('a broken or foreign hash is explained, not thrown', () => {
  it('cut-off JSON, bad percent-encoding', () => {
    const full = configToHash(custom);
    expect(errorOf(full.slice(0, full.length - 12))).toMatch(/not valid JSON; the defaults are shown/);
    expect(errorOf('#config=%E0%A4%A')).toMatch(/not valid JSON/);
    expect(errorOf('#config=')).toMatch(/not valid JSON/);
  });

  it('JSON that is not an object', () => {
    for (const body of ['[1,2]', 'null', '42', '"conv2"']) {
      expect(errorOf(`#config=${encodeURIComponent(body)}`)).toMatch(/not an object/);
    }
  });

  it('a value out of range or unknown names the field and what is allowed', () => {
    const err = (patch: object) => errorOf(configToHash({ ...defaultConfig(), ...patch } as ComparisonConfig));
    expect(err({ model: 'vgg16' })).toMatch(/model: must be one of conv2, .*\(got "vgg16"\)/);
    expect(err({ batchSize: 0 })).toMatch(/batchSize: must be an integer from 1 to 4096/);
    expect(err({ targetPruningRate: 1.5 })).toMatch(/targetPruningRate/);
    expect(err({ version: 3 })).toMatch(/version: must be 1 or 2 \(got 3\)/);
    expect(errorOf(hashOf({ iep: { variant: 'medium' } }))).toMatch(/runs\[1\]\.iep\.variant/);
    expect(errorOf(hashOf({ iep: { schedule: 'custom' } }))).toMatch(/runs\[1\]\.iep\.points/);
    const broken = (run: object) => errorOf(hashOf({ runs: [{ method: 'ep' }, run] }));
    expect(broken({ method: 'iterand', iterand: { lambda: 2 } })).toMatch(/runs\[1\]\.iterand\.lambda: must be/);
    expect(broken({ method: 'dense', dense: { learningRate: -1 } })).toMatch(/runs\[1\]\.dense\.learningRate/);
    expect(broken({ method: 'ep', id: 'run-1' })).toMatch(/runs\[1\]\.id: "run-1" is already/);
    expect(broken({ method: 'momentum' })).toMatch(/runs\[1\]\.method: must be one of ep, iep, dense, iterand/);
    expect(broken('ep' as never)).toMatch(/runs\[1\]: must be an object/);
    expect(errorOf(hashOf({ runs: [] }))).toMatch(/runs: must list 1 to 6 runs \(got 0\)/);
    expect(errorOf(hashOf({ runs: Array.from({ length: 7 }, () => ({})) }))).toMatch(/runs: must list 1 to 6/);
  });

  it('extreme values in every numeric field are refused at that field, with a short quote of the value', () => {
    const numeric = ['width', 'seed', 'targetPruningRate', 'epochs', 'batchSize', 'learningRate', 'momentum'];
    const fields = [...numeric, 'weightDecay', 'reportEvery', 'trainLimit', 'testLimit'];
    // As typed into a link: JSON's 1e999 parses to Infinity; strings, empty strings and -0-ish values.
    for (const field of fields) {
      for (const raw of ['1e999', '-1e999', '1e308', '-1', '"NaN"', '""', '[]', `"${'9'.repeat(400)}"`]) {
        const message = errorOf(`#config=${encodeURIComponent(`{"${field}":${raw}}`)}`);
        expect(message, `${field} = ${raw}`).toContain(`(${field}: must be`);
        expect(message.length, `${field} = ${raw}`).toBeLessThan(200);
      }
    }
    const cycles = errorOf(`#config=${encodeURIComponent('{"iep":{"cycles":1e308}}')}`);
    expect(cycles).toMatch(/runs\[1\]\.iep\.cycles: must be an integer from 1 to 100 \(got 1e\+308\)/);
  });

  it('a schedule of 100,000 points is refused without walking it', () => {
    const points = Array.from({ length: 100_000 }, (_, i) => ({ step: i, p: 0.832 }));
    const body = JSON.stringify({ iep: { schedule: 'custom', points } });
    expect(errorOf(`#config=${encodeURIComponent(body)}`)).toMatch(
      /runs\[1\]\.iep\.cycles: must be an integer from 1 to 100 \(got 100000\)/,
    );
    const counted = JSON.stringify({ iep: { schedule: 'custom', points, cycles: 4 } });
    expect(errorOf(`#config=${encodeURIComponent(counted)}`)).toMatch(
      /runs\[1\]\.iep\.points: has 100000 points; at most 100/,
    );
  });

  it('every error says the defaults are shown instead', () => {
    for (const h of ['#config={', '#config=[]', '#config={"width":-1}']) {
      expect(errorOf(h)).toMatch(/the defaults are shown instead\.$/);
    }
  });
});

describe('a hand-written custom schedule', () => {
  const points = [
    { step: 0, p: 0.4 },
    { step: 50, p: 0.832 },
  ];

  it('without a cycle count gets one cycle per point', () => {
    const c = configOf(`#config=${encodeURIComponent(JSON.stringify({ iep: { schedule: 'custom', points } }))}`);
    expect(iepOf(c)).toEqual({ ...defaultIepConfig(), schedule: 'custom', points, cycles: 2 });
  });

  it('with a cycle count that contradicts its points is explained', () => {
    const body = JSON.stringify({ iep: { schedule: 'custom', points, cycles: 5 } });
    expect(errorOf(`#config=${encodeURIComponent(body)}`)).toMatch(
      /runs\[1\]\.iep\.cycles: must equal the number of schedule points \(2\)/,
    );
  });
});

describe('a link that attaches a worker', () => {
  const worker = 'ws://127.0.0.1:8765/?token=a-b_c';
  const encoded = encodeURIComponent(worker);

  it('reads the worker from the fragment, beside a config, or from an older ?worker= link', () => {
    expect(workerFromAddress('', `#worker=${encoded}`)).toBe(worker);
    const both = `${configToHash(defaultConfig())}&worker=${encoded}`;
    expect(workerFromAddress('', both)).toBe(worker);
    expect(configFromHash(both)).toEqual({ config: defaultConfig() });
    expect(workerFromAddress(`?worker=${encoded}`, '')).toBe(worker);
    expect(workerFromAddress('?backend=wasm', configToHash(defaultConfig()))).toBeNull();
  });
});
