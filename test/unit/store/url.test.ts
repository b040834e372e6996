// A config shared by link: it comes back exactly from the URL hash, a hand-written partial link is filled from the
// defaults, and a broken or foreign hash is explained (naming the field where there is one), never thrown.
import { describe, expect, it } from 'vitest';
import { defaultConfig, defaultIepConfig, type ComparisonConfig } from '../../../src/protocol/config';
import { configFromHash, configToHash } from '../../../src/store/url';

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
};

describe('config in the URL hash', () => {
  it('round trip: the default and a config with every field changed come back equal', () => {
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

  it('a partial hand-written link is filled from the defaults, iep field by field', () => {
    expect(configOf('#config={"model":"conv2"}')).toEqual({ ...defaultConfig(), model: 'conv2' });
    expect(configOf(`#config=${encodeURIComponent('{"iep":{"cycles":3},"seed":7}')}`)).toEqual({
      ...defaultConfig(),
      seed: 7,
      iep: { ...defaultIepConfig(), cycles: 3 },
    });
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
    expect(err({ version: 2 })).toMatch(/version: must be 1/);
    expect(err({ iep: { ...defaultIepConfig(), variant: 'medium' } })).toMatch(/iep\.variant/);
    expect(err({ iep: { ...defaultIepConfig(), schedule: 'custom' } })).toMatch(/iep\.points/);
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
    expect(cycles).toMatch(/iep\.cycles: must be an integer from 1 to 100 \(got 1e\+308\)/);
  });

  it('a schedule of 100,000 points is refused without walking it', () => {
    const points = Array.from({ length: 100_000 }, (_, i) => ({ step: i, p: 0.832 }));
    const body = JSON.stringify({ iep: { schedule: 'custom', points } });
    expect(errorOf(`#config=${encodeURIComponent(body)}`)).toMatch(
      /iep\.cycles: must be an integer from 1 to 100 \(got 100000\)/,
    );
    const counted = JSON.stringify({ iep: { schedule: 'custom', points, cycles: 4 } });
    expect(errorOf(`#config=${encodeURIComponent(counted)}`)).toMatch(/iep\.points: has 100000 points; at most 100/);
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
    expect(c.iep).toEqual({ ...defaultIepConfig(), schedule: 'custom', points, cycles: 2 });
  });

  it('with a cycle count that contradicts its points is explained', () => {
    const body = JSON.stringify({ iep: { schedule: 'custom', points, cycles: 5 } });
    expect(errorOf(`#config=${encodeURIComponent(body)}`)).toMatch(
      /iep\.cycles: must equal the number of schedule points \(2\)/,
    );
  });
});
