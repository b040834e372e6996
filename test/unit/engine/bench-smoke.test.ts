// Smoke test of the mask-size benchmark (scripts/bench/maskSize.ts): it times the real topMask at the kept count the
// engine uses and leaves no tensor behind, so a long `npm run bench` cannot grow memory with each size.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { benchMaskSize } from '../../../scripts/bench/maskSize';
import { keptCount } from '../../../src/engine/mask';
import { useNodeBackend } from '../../../src/engine/node-backend';

describe('mask-size benchmark', () => {
  it('times one layer on wasm without leaking tensors', async () => {
    await useNodeBackend('wasm');
    const before = tf.memory().numTensors;
    const row = await benchMaskSize('wasm', 1000, 0.832, 2);
    expect(row).toMatchObject({ backend: 'wasm', edges: 1000, kept: keptCount(1000, 0.832) });
    expect(Number.isFinite(row.maskMs)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});
