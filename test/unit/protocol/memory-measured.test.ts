// The tab limits' memory estimate against the real thing: the wasm backend's heap after two comparison steps (a
// heap only grows, so its size is the peak). In a file of its own, so no other test has grown the heap before.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Comparison } from '../../../src/engine/comparison';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { defaultConfig } from '../../../src/protocol/config';
import { memoryEstimate } from '../../../src/protocol/memory';
import { cifar } from '../engine/helpers';

function heapBytes(): number {
  return (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
}

describe('memoryEstimate', () => {
  it('is within 10% below to 60% above the measured wasm heap of the default ResNet-20 at batch 96', async () => {
    await useNodeBackend('wasm');
    const batch = 96;
    const config = { ...defaultConfig(), dataset: 'cifar10', batchSize: batch, trainLimit: 4 * batch, testLimit: 16 };
    const c = new Comparison(config, cifar(4 * batch, 16), { snapshots: false });
    await c.stepOnce();
    await c.stepOnce();
    const measured = heapBytes();
    c.dispose();
    const m = memoryEstimate(config.model, config.width);
    const estimate = m.modelBytes + batch * m.bytesPerImage;
    expect(estimate).toBeGreaterThan(0.9 * measured);
    expect(estimate).toBeLessThan(1.6 * measured);
  });
});
