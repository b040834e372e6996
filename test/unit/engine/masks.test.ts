// Masks, initialisation and the straight-through gradient: the facts edge-popup rests on.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fanIn, kaimingUniformScores, signedKaimingConstant, toTfLayout } from '../../../src/engine/init';
import { keptCount, topMask } from '../../../src/engine/mask';
import { buildModel } from '../../../src/engine/models';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { maskedWeight } from '../../../src/engine/supermask';
import { deriveSeed, mulberry32 } from '../../../src/util/random';
import { NUMERIC_BACKENDS } from './backends';
import { drawScores, firstDifference } from './observe';

async function values(t: tf.Tensor): Promise<Float32Array> {
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

describe.each(NUMERIC_BACKENDS)('masks on %s', (backend) => {
  beforeAll(() => useNodeBackend(backend));

  it('keeps exactly round((1 - p) n) edges in every layer of a model', async () => {
    const model = buildModel('resnet20', 0.25, 7);
    for (const p of [0, 0.2, 0.5, 0.832, 0.99]) {
      for (const l of model.layers) {
        const m = await values(topMask(l.scores, keptCount(l.edges, p)));
        const kept = m.reduce((a, b) => a + b, 0);
        expect(kept).toBe(Math.round((1 - p) * l.edges));
        // The kept edges are the largest |S|: the smallest kept |S| is >= the largest pruned one.
        const s = await l.scores.data();
        let minKept = Infinity;
        let maxPruned = -Infinity;
        m.forEach((v, i) =>
          v ? (minKept = Math.min(minKept, Math.abs(s[i]))) : (maxPruned = Math.max(maxPruned, Math.abs(s[i]))),
        );
        if (kept > 0 && kept < l.edges) expect(minKept).toBeGreaterThanOrEqual(maxPruned);
      }
    }
    model.dispose();
  });

  it('breaks ties deterministically: all-equal scores keep exactly k edges, the lowest indices', async () => {
    for (const [n, k] of [
      [10, 3],
      [1000, 168],
      [4097, 1],
      [300, 299],
    ]) {
      const equal = tf.fill([n], 0.5);
      const m = await values(topMask(equal, k));
      expect(m.reduce((a, b) => a + b, 0)).toBe(k);
      expect(Array.from(m.subarray(0, k)).every((v) => v === 1)).toBe(true);
      // Negative and positive scores of equal magnitude tie too (the ranking is on |S|).
      const signs = tf.tensor1d(Array.from({ length: n }, (_, i) => (i % 2 ? -0.5 : 0.5)));
      const m2 = await values(topMask(signs, k));
      expect(Array.from(m2)).toEqual(Array.from(m));
      equal.dispose();
      signs.dispose();
    }
    // A partial tie at the threshold: two clear winners, then five tied for three places.
    const s = tf.tensor1d([0.1, 0.3, 0.9, 0.3, 0.3, 0.8, 0.3, 0.3, 0.0]);
    expect(Array.from(await values(topMask(s, 5)))).toEqual([0, 1, 1, 1, 1, 1, 0, 0, 0]);
    s.dispose();
  });

  it('hard iEP: edges outside the allowed mask are never selected', async () => {
    const s = tf.tensor1d([5, 4, 3, 2, 1, 0.5]);
    const allowed = tf.tensor1d([0, 1, 0, 1, 1, 1]);
    expect(Array.from(await values(topMask(s, 2, allowed)))).toEqual([0, 1, 0, 1, 0, 0]);
    expect(Array.from(await values(topMask(s, 4, allowed)))).toEqual([0, 1, 0, 1, 1, 1]);
    s.dispose();
    allowed.dispose();
  });

  it('straight-through gradient: dL/dS = (dL/d(W*M) * W) * sign(S)', async () => {
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const r = tf.randomNormal([2, 6, 6, 4], 0, 1, 'float32', 2);
    const w = tf.tensor(toTfLayout(signedKaimingConstant([4, 3, 3, 3], 1, 'c'), [4, 3, 3, 3]), [3, 3, 3, 4]);
    const s = tf.variable(
      tf.tensor(toTfLayout(kaimingUniformScores([4, 3, 3, 3], 1, 'c'), [4, 3, 3, 3]), [3, 3, 3, 4]),
    );
    const m = topMask(s, 30);
    const lossOf = (weff: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, weff as tf.Tensor4D, 1, 'same'), r)) as tf.Scalar;
    const { grads } = tf.variableGrads(() => lossOf(maskedWeight(s, w, m)), [s]);
    const gEff = tf.grad(lossOf)(tf.mul(w, m));
    const expected = await values(tf.mul(tf.mul(gEff, w), tf.sign(s)));
    const got = await values(grads[s.name]);
    expect(got.length).toBe(108);
    let maxErr = 0;
    let maxAbs = 0;
    got.forEach((g, i) => {
      maxErr = Math.max(maxErr, Math.abs(g - expected[i]));
      maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
    });
    expect(maxAbs).toBeGreaterThan(0);
    expect(maxErr / maxAbs).toBeLessThan(1e-6);
    // Pruned edges get a gradient too (the mask is passed straight through).
    const mv = await m.data();
    expect(got.some((g, i) => mv[i] === 0 && g !== 0)).toBe(true);
    [x, r, w, s, m, gEff].forEach((t) => t.dispose());
  });
});

describe('initialisation', () => {
  beforeAll(() => useNodeBackend('cpu'));
  afterAll(() => tf.disposeVariables());

  it('signed Kaiming constant weights and Kaiming-uniform scores, bit-identical for one seed', () => {
    const shape = [16, 8, 3, 3];
    const w = signedKaimingConstant(shape, 3, 'layer1.0.conv1');
    const c = Math.fround(Math.sqrt(2 / fanIn(shape)));
    expect(w.every((v) => v === c || v === -c)).toBe(true);
    const positive = w.filter((v) => v > 0).length / w.length;
    expect(positive).toBeGreaterThan(0.4);
    expect(positive).toBeLessThan(0.6);
    const s = kaimingUniformScores(shape, 3, 'layer1.0.conv1');
    const bound = 1 / Math.sqrt(72);
    expect(s.every((v) => Math.abs(v) <= bound)).toBe(true);
    expect(Math.max(...s.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(signedKaimingConstant(shape, 3, 'layer1.0.conv1')).toEqual(w);
    expect(kaimingUniformScores(shape, 3, 'layer1.0.conv1')).toEqual(s);
    expect(kaimingUniformScores(shape, 4, 'layer1.0.conv1')).not.toEqual(s);
    expect(kaimingUniformScores(shape, 3, 'layer1.0.conv2')).not.toEqual(s);
  });

  it('two models from one seed have bit-identical weights and scores', async () => {
    const a = buildModel('conv4', 0.125, 11);
    const b = buildModel('conv4', 0.125, 11);
    for (let i = 0; i < a.layers.length; i++) {
      expect(await a.layers[i].weights.data()).toEqual(await b.layers[i].weights.data());
      expect(await a.layers[i].scores.data()).toEqual(await b.layers[i].scores.data());
    }
    a.dispose();
    b.dispose();
  });

  // The weight layout: drawn in PyTorch's order [out, in, kh, kw] (row-major), stored in TF.js's [kh, kw, in, out].
  // The expected values are read through nested arrays, not flat index arithmetic.
  it('toTfLayout puts PyTorch element [o][i][y][x] at TF.js [y][x][i][o], element by element', () => {
    // kh != kw and in != out, so no two axes can be swapped unnoticed.
    const shape = [5, 3, 2, 4];
    const data = Float32Array.from({ length: 120 }, (_, k) => k);
    const torch = tf.tensor(data, shape).arraySync() as number[][][][];
    const tfjs = tf.tensor(toTfLayout(data, shape), [2, 4, 3, 5]).arraySync() as number[][][][];
    for (let o = 0; o < 5; o++)
      for (let i = 0; i < 3; i++)
        for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) expect(tfjs[y][x][i][o]).toBe(torch[o][i][y][x]);
    const linear = Float32Array.from({ length: 6 }, (_, k) => k);
    const reordered = tf.tensor(toTfLayout(linear, [2, 3]), [3, 2]).arraySync() as number[][];
    for (let o = 0; o < 2; o++) for (let i = 0; i < 3; i++) expect(reordered[i][o]).toBe(linear[o * 3 + i]);
  });

  it("a model's weights and scores are the seeded PyTorch-order draws, and its convolution means what PyTorch's does", async () => {
    const seed = 9;
    const model = buildModel('conv2', 0.125, seed);
    for (const l of model.layers) {
      // Signed Kaiming constant: one fair coin per weight, in [out, in, kh, kw] order, from 'weights/<layer>'.
      const rng = mulberry32(deriveSeed(seed, `weights/${l.name}`));
      const c = Math.fround(Math.sqrt(2 / fanIn(l.shape)));
      const [out, inputs, kh, kw] = l.kind === 'conv' ? l.shape : [l.shape[0], l.shape[1], 1, 1];
      const got = l.weights.arraySync() as unknown as number[][][][] | number[][];
      for (let o = 0; o < out; o++)
        for (let i = 0; i < inputs; i++)
          for (let y = 0; y < kh; y++)
            for (let x = 0; x < kw; x++) {
              const expected = rng() < 0.5 ? -c : c;
              const value = l.kind === 'conv' ? (got as number[][][][])[y][x][i][o] : (got as number[][])[i][o];
              if (value !== expected) expect(`${l.name}[${o}][${i}][${y}][${x}] = ${value}`).toBe(`${expected}`);
            }
      const scores = Float32Array.from(await l.scores.data());
      expect(firstDifference(scores, drawScores(seed, `scores/${l.name}`, l.shape))).toBeNull();
    }
    // conv1's output at one pixel, summed by hand over PyTorch-order weights W[o][i][y][x] (zero padding 1).
    const conv1 = model.layers[0];
    const image = tf.randomUniform([1, 5, 5, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const pixels = image.arraySync()[0];
    const w = tf.transpose(conv1.weights, [3, 2, 0, 1]).arraySync() as number[][][][];
    const output = conv1.apply(image, conv1.weights).arraySync() as number[][][][];
    for (let o = 0; o < conv1.shape[0]; o++) {
      let sum = 0;
      for (let i = 0; i < 3; i++)
        for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) sum += pixels[1 + y - 1][2 + x - 1][i] * w[o][i][y][x];
      expect(output[0][1][2][o]).toBeCloseTo(sum, 5);
    }
    image.dispose();
    model.dispose();
  });
});
