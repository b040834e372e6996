// A learning signal on the real data: a small Conv-2 searched for ~400 steps on real CIFAR-10 images finds a
// subnetwork of its frozen random weights that clearly beats chance (10%) on 1,000 real test images.
import { beforeAll, describe, expect, it } from 'vitest';
import { Comparison } from '../../../src/engine/comparison';
import { useNodeBackend } from '../../../src/engine/node-backend';
import type { EvalReport } from '../../../src/protocol/report';
import { cifar, tinyConfig } from './helpers';

describe('search on real CIFAR-10', () => {
  beforeAll(() => useNodeBackend('wasm'));

  it('EP and iEP both reach > 25% test accuracy with only scores trained', async () => {
    const config = tinyConfig({
      model: 'conv2',
      width: 0.25,
      batchSize: 32,
      epochs: 1.25,
      targetPruningRate: 0.5,
      reportEvery: 100,
      testLimit: 1000,
    });
    const c = new Comparison(config, cifar(10_000, 1000), { snapshots: false });
    expect(c.totalSteps).toEqual({ ep: 392, iep: 392 });
    const finals: EvalReport[] = [];
    c.subscribe((e) => e.type === 'eval' && e.report.reason === 'final' && finals.push(e.report));
    while (!c.done) await c.stepOnce();
    expect(finals.map((r) => r.run).sort()).toEqual(['ep', 'iep']);
    for (const r of finals) {
      expect(r.pruningRate).toBe(0.5);
      expect(r.testAccuracy).toBeGreaterThan(0.25);
    }
    c.dispose();
  });
});
