// On a GPU backend a step that does not report reads nothing back to the CPU: the run waits for the device's queue
// (workDone.ts), and only a report reads (one pooled readout per run). Counted on the backend itself, in Node's
// WebGPU (Dawn; SwiftShader where there is no GPU).
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { Comparison } from '../../../src/engine/comparison';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { cifar, fourRunConfig } from './helpers';

const data = cifar(64, 16);

/** Counts every read the backend serves from now on (async and sync), until `stop` is called. */
function countReads(): { reads: () => number; stop: () => void } {
  const backend = tf.backend() as unknown as Record<'read' | 'readSync', (id: object) => unknown>;
  const { read, readSync } = backend;
  let reads = 0;
  backend.read = (id) => (reads++, read.call(backend, id));
  backend.readSync = (id) => (reads++, readSync.call(backend, id));
  return {
    reads: () => reads,
    stop: () => Object.assign(backend, { read, readSync }),
  };
}

describe('readback on webgpu', () => {
  afterAll(() => useNodeBackend('wasm'));

  it('a step that does not report reads nothing back; a report does', async () => {
    await useNodeBackend('webgpu');
    // EP, iEP, dense and IteRand (re-drawing at step 3), with no report or evaluation due in the first steps (64
    // images of 8: an epoch is 8 steps).
    const c = new Comparison(fourRunConfig({ reportEvery: 100, epochs: 3, iep: { cycles: 2 } }), data, {
      snapshots: false,
    });
    await c.stepOnce(false); // the first step compiles every shader
    const counter = countReads();
    for (let t = 0; t < 3; t++) await c.stepOnce(false);
    expect(counter.reads()).toBe(0);
    await c.stepOnce(true);
    // The spy sees reads: one readout per run.
    expect(counter.reads()).toBeGreaterThanOrEqual(4);
    counter.stop();
    c.dispose();
  });
});
