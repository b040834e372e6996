// Model structure and summaries: every conv and linear layer is masked, shapes follow the reference nets.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, summarize } from '../../../src/engine/models';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { MODEL_NAMES } from '../../../src/protocol/config';

describe('models', () => {
  beforeAll(() => useNodeBackend('wasm'));

  it('conv2 at width 0.125: 8-channel convs, fc 8*16*16 -> 32 -> 32 -> 10, all masked', () => {
    const m = buildModel('conv2', 0.125, 1);
    const s = summarize(m, 0.832);
    expect(s.layers.map((l) => [l.name, l.kind, l.shape])).toEqual([
      ['conv1', 'conv', [8, 3, 3, 3]],
      ['conv2', 'conv', [8, 8, 3, 3]],
      ['fc1', 'linear', [32, 8 * 16 * 16]],
      ['fc2', 'linear', [32, 32]],
      ['fc3', 'linear', [10, 32]],
    ]);
    expect(s.layers[0].edges).toBe(216);
    expect(s.layers[0].keptAtTarget).toBe(Math.round(0.168 * 216));
    expect(s.totalEdges).toBe(s.layers.reduce((a, l) => a + l.edges, 0));
    expect(s.keptAtTarget).toBe(s.layers.reduce((a, l) => a + l.keptAtTarget, 0));
    expect(m.norms).toHaveLength(0);
    m.dispose();
  });

  it('ResNet-20 / 32 / 18 have the reference layer counts, option-B shortcuts and a masked first and last layer', () => {
    const r20 = summarize(buildModel('resnet20', 1, 1), 0.5);
    // stem + 9 blocks x 2 convs + 2 shortcuts + fc
    expect(r20.layers).toHaveLength(22);
    expect(r20.layers[0].shape).toEqual([16, 3, 3, 3]);
    expect(r20.layers.filter((l) => l.name.endsWith('shortcut')).map((l) => l.shape)).toEqual([
      [32, 16, 1, 1],
      [64, 32, 1, 1],
    ]);
    expect(r20.layers[21]).toMatchObject({ name: 'fc', kind: 'linear', shape: [10, 64] });
    // 0.27M parameters, as He et al. report for ResNet-20 (ours: option-B shortcuts, no bias, no BN parameters).
    expect(r20.totalEdges).toBeGreaterThan(265_000);
    expect(r20.totalEdges).toBeLessThan(275_000);
    expect(summarize(buildModel('resnet32', 1, 1), 0.5).layers).toHaveLength(1 + 30 + 2 + 1);
    const r18 = summarize(buildModel('resnet18', 1, 1), 0.5);
    expect(r18.layers).toHaveLength(1 + 16 + 3 + 1);
    expect(r18.layers[0].shape).toEqual([64, 3, 3, 3]);
    expect(r18.layers[r18.layers.length - 1].shape).toEqual([10, 512]);
    // ~11.2M: the CIFAR ResNet-18 of the edge-popup and iEP papers.
    expect(r18.totalEdges).toBeGreaterThan(11_000_000);
    expect(r18.totalEdges).toBeLessThan(11_300_000);
    tf.disposeVariables();
  });

  it.each(MODEL_NAMES)('%s at a tiny width runs forward to [N, 10] logits in train and eval mode', (name) => {
    const m = buildModel(name, 0.0625, 1);
    const x = tf.randomNormal([2, 32, 32, 3]) as tf.Tensor4D;
    for (const training of [true, false]) {
      const y = m.forward(x, (l) => l.weights, training);
      expect(y.shape).toEqual([2, 10]);
      y.dispose();
    }
    expect(m.layers.every((l) => l.shape[0] >= 1)).toBe(true);
    x.dispose();
    m.dispose();
  });
});
