// Per-kernel time of one EP step on the current backend: every kernel registered for the backend is wrapped in a
// timer, so the table says where a step's milliseconds go, split into forward and backward. Times are self times
// (a kernel built from other kernels, like the added conv gradients, is charged only for what its parts do not
// already count). Synchronous backends only (wasm, cpu): a GPU kernel returns before its work is done.
import * as tf from '@tensorflow/tfjs';
import { keptCount, topMask } from '../../src/engine/mask';
import { lossAndCorrect, sgdUpdate } from '../../src/engine/metrics';
import { buildModel } from '../../src/engine/models';
import type { Batch } from '../../src/engine/search';
import { maskedWeight, type SupermaskLayer } from '../../src/engine/supermask';
import { defaultConfig, type ModelName } from '../../src/protocol/config';

export type Phase = 'masks' | 'forward' | 'backward' | 'optimiser';

export interface KernelRow {
  kernel: string;
  phase: Phase;
  calls: number;
  ms: number;
}

interface Timer {
  phase: Phase;
  totals: Map<string, { calls: number; ms: number }>;
  /** Time spent in nested kernels, per open kernel: subtracted from the enclosing one. */
  stack: number[];
  /** The open kernels' names: a nested kernel is listed under its caller (e.g. Conv2D in Conv2DBackpropFilter). */
  names: string[];
}

/** Wraps every kernel of `backend` with a self-time counter; returns the counter and a function that unwraps them. */
function wrapKernels(backend: string): { timer: Timer; unwrap: () => void } {
  const timer: Timer = { phase: 'forward', totals: new Map(), stack: [], names: [] };
  const originals = tf.getKernelsForBackend(backend);
  for (const k of originals) {
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        const name = timer.names.length > 0 ? `${k.kernelName} in ${timer.names.at(-1)}` : k.kernelName;
        timer.stack.push(0);
        timer.names.push(k.kernelName);
        const t0 = performance.now();
        const out = k.kernelFunc(args);
        const total = performance.now() - t0;
        timer.names.pop();
        const nested = timer.stack.pop()!;
        if (timer.stack.length > 0) timer.stack[timer.stack.length - 1] += total;
        const key = `${timer.phase}\u0000${name}`;
        const row = timer.totals.get(key) ?? { calls: 0, ms: 0 };
        row.calls++;
        row.ms += total - nested;
        timer.totals.set(key, row);
        return out;
      },
    });
  }
  const unwrap = () => {
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, backend);
      tf.registerKernel(k);
    }
  };
  return { timer, unwrap };
}

/**
 * Kernel self times of `steps` EP steps (masks, forward, backward, SGD) after one untimed warm-up step, per step.
 * The usage counters are left out: they are a few elementwise ops (docs/performance.md).
 */
export async function profileKernels(
  model: ModelName,
  width: number,
  batch: Batch,
  steps: number,
): Promise<{ rows: KernelRow[]; stepMs: number }> {
  const config = { ...defaultConfig(), model, width };
  const net = buildModel(model, width, config.seed);
  const layers = net.layers;
  const index = new Map<SupermaskLayer, number>(layers.map((l, i) => [l, i]));
  const momentum = layers.map((l) => tf.variable(tf.zerosLike(l.scores), false));
  const sgd = { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 };
  let timer: Timer | null = null;
  const phase = (p: Phase) => {
    if (timer) timer.phase = p;
  };
  const step = () =>
    tf.tidy(() => {
      phase('masks');
      const masks = layers.map((l) => topMask(l.scores, keptCount(l.edges, config.targetPruningRate)));
      const { grads } = tf.variableGrads(
        () => {
          phase('forward');
          const logits = net.forward(batch.x, (l) => maskedWeight(l.scores, l.weights, masks[index.get(l)!]), true);
          const { loss } = lossAndCorrect(logits, batch.y);
          phase('backward');
          return loss;
        },
        layers.map((l) => l.scores),
      );
      phase('optimiser');
      layers.forEach((l, i) => sgdUpdate(l.scores, grads[l.scores.name], momentum[i], sgd));
    });
  step();
  const wrapped = wrapKernels(tf.getBackend());
  timer = wrapped.timer;
  let stepMs: number;
  try {
    const t0 = performance.now();
    for (let t = 0; t < steps; t++) step();
    await layers[0].scores.data();
    stepMs = (performance.now() - t0) / steps;
  } finally {
    wrapped.unwrap();
  }
  tf.dispose(momentum);
  net.dispose();
  const rows = [...wrapped.timer.totals].map(([key, v]) => {
    const [p, kernel] = key.split('\u0000');
    return { kernel, phase: p as Phase, calls: v.calls / steps, ms: +(v.ms / steps).toFixed(2) };
  });
  rows.sort((a, b) => b.ms - a.ms);
  return { rows, stepMs };
}
