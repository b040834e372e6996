// Edge-usage telemetry: d_t on a hand-made example, every reported number against a brute-force recount over
// the masks each step actually used, and the window's scalars against per-step values and hand-written schedules.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Comparison } from '../../../src/engine/comparison';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { cycleAt } from '../../../src/engine/schedule';
import { SupermaskLayer } from '../../../src/engine/supermask';
import { LayerUsage } from '../../../src/engine/usage';
import type { RunId } from '../../../src/protocol/config';
import type { Heatmap, StepReport } from '../../../src/protocol/report';
import { cifar, searchOf, tinyConfig } from './helpers';

function readout(u: LayerUsage, steps: number) {
  const t = u.readout(steps);
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return u.parse(v);
}

/** Brute-force pooled heatmap of per-edge values given in TF layout. */
function pool(values: Float32Array, shape: number[], bins: [number, number]): number[] {
  const [out, inn] = shape;
  const k = shape.length === 4 ? shape[2] * shape[3] : 1;
  const pair = (o: number, i: number) => {
    let s = 0;
    for (let p = 0; p < k; p++) s += values[(p * inn + i) * out + o];
    return s / k;
  };
  const [rows, cols] = bins;
  const cells: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let s = 0;
      let n = 0;
      for (let o = Math.floor((r * out) / rows); o < Math.floor(((r + 1) * out) / rows); o++) {
        for (let i = Math.floor((c * inn) / cols); i < Math.floor(((c + 1) * inn) / cols); i++) {
          s += pair(o, i);
          n++;
        }
      }
      cells.push(s / n);
    }
  }
  return cells;
}

describe('usage counters', () => {
  beforeAll(() => useNodeBackend('cpu'));

  it('d_t, entered, left and the heatmap on a hand-made example', () => {
    // A linear layer with 2 outputs and 3 inputs: TF layout [in, out], 6 edges.
    const layer = new SupermaskLayer({ name: 'toy', kind: 'linear', shape: [2, 3] }, 1);
    const u = new LayerUsage(layer);
    const m = (v: number[]) => tf.tensor2d(v, [3, 2]);
    // step 1 selects edges (in0,out0), (in0,out1); step 2 selects (in0,out1), (in1,out0).
    const [a, b, none] = [m([1, 1, 0, 0, 0, 0]), m([0, 1, 1, 0, 0, 0]), m([0, 0, 0, 0, 0, 0])];
    u.update(a, a);
    let r = readout(u, 1);
    expect(r.dyingRatio).toBeCloseTo(4 / 6, 6);
    expect([r.entered, r.left]).toEqual([0, 0]);
    u.update(b, none);
    r = readout(u, 2);
    expect(r.dyingRatio).toBeCloseTo(3 / 6, 6);
    expect(r.dyingRatioAtTarget).toBeCloseTo(4 / 6, 6);
    expect([r.entered, r.left]).toEqual([1, 1]);
    // [out x in]: out0 row = (in0 1/2, in1 1/2, in2 0); out1 row = (in0 2/2, 0, 0).
    expect(r.heatmap).toEqual<Heatmap>({ rows: 2, cols: 3, usage: [0.5, 0.5, 0, 1, 0, 0], dead: [0, 0, 1, 0, 1, 1] });
    u.resetWindow();
    expect(readout(u, 2).entered).toBe(0);
    [a, b, none].forEach((t) => t.dispose());
    u.dispose();
    layer.dispose();
  });

  it('pools big layers to at most 64 x 64 with uneven bins', () => {
    const layer = new SupermaskLayer({ name: 'wide', kind: 'linear', shape: [70, 130] }, 1);
    const u = new LayerUsage(layer);
    const mask = tf.tidy(() => tf.cast(tf.greater(tf.abs(layer.scores), 0.05), 'float32'));
    u.update(mask, mask);
    const r = readout(u, 1);
    expect([r.heatmap.rows, r.heatmap.cols]).toEqual([64, 64]);
    const expected = pool(mask.dataSync() as Float32Array, [70, 130], [64, 64]);
    r.heatmap.usage.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    mask.dispose();
    u.dispose();
    layer.dispose();
  });
});

// WebGPU runs on SwiftShader here, seconds a step (its dispatches dominate): 4 steps, a soft iEP cycle each.
describe.each([
  ['wasm', 2, 8],
  ['webgpu', 0.5, 4],
] as const)('telemetry of a running comparison on %s', (backend, epochs, cycles) => {
  beforeAll(() => useNodeBackend(backend));
  afterAll(() => useNodeBackend('wasm'));

  it('equals a brute-force recount over the recorded masks (EP and soft iEP)', async () => {
    const config = tinyConfig({ width: 0.07, batchSize: 8, epochs, reportEvery: 3, iep: { cycles } });
    const c = new Comparison(config, cifar(64, 16), { snapshots: false });
    const reports: StepReport[] = [];
    c.subscribe((e) => e.type === 'report' && reports.push(e.report));
    const recorded: Record<RunId, { masks: Float32Array[]; target: Float32Array[] }[]> = { ep: [], iep: [] };
    while (!c.done) {
      for (const kind of ['ep', 'iep'] as const) {
        const run = searchOf(c, kind);
        const p = cycleAt(run.plan, run.stepsDone).p;
        recorded[kind].push({ masks: await run.masks(p), target: await run.masks(config.targetPruningRate) });
      }
      await c.stepOnce();
    }
    expect(reports.length).toBe(2 * Math.ceil((epochs * 8) / 3));
    for (const r of reports) {
      const steps = recorded[r.run].slice(0, r.step);
      const windowStart = Math.floor((r.step - 1) / 3) * 3;
      c.summary.layers.forEach((l, li) => {
        const n = l.edges;
        const ever = new Float32Array(n);
        const everTarget = new Float32Array(n);
        const count = new Float32Array(n);
        let entered = 0;
        let left = 0;
        steps.forEach((s, t) => {
          const m = s.masks[li];
          for (let j = 0; j < n; j++) {
            ever[j] = Math.max(ever[j], m[j]);
            everTarget[j] = Math.max(everTarget[j], s.target[li][j]);
            count[j] += m[j];
            if (t > windowStart - 1 && t > 0) {
              const prev = steps[t - 1].masks[li][j];
              if (m[j] && !prev) entered++;
              if (!m[j] && prev) left++;
            }
          }
        });
        const lr = r.layers[li];
        const sum = (a: Float32Array) => a.reduce((x, y) => x + y, 0);
        expect(lr.dyingRatio).toBeCloseTo(1 - sum(ever) / n, 5);
        expect(lr.dyingRatioAtTarget).toBeCloseTo(1 - sum(everTarget) / n, 5);
        expect([lr.entered, lr.left]).toEqual([entered, left]);
        const bins: [number, number] = [lr.heatmap.rows, lr.heatmap.cols];
        const usage = pool(
          count.map((v) => v / r.step),
          l.shape,
          bins,
        );
        const dead = pool(
          ever.map((v) => 1 - v),
          l.shape,
          bins,
        );
        lr.heatmap.usage.forEach((v, i) => expect(Math.abs(v - usage[i])).toBeLessThan(6e-5));
        lr.heatmap.dead.forEach((v, i) => expect(Math.abs(v - dead[i])).toBeLessThan(6e-5));
        if (r.run === 'ep') expect(lr.dyingRatioAtTarget).toBe(lr.dyingRatio);
      });
    }
    // Something happened: masks changed and soft iEP's early low-p cycles used more edges than EP.
    const last = (run: RunId) => reports.filter((r) => r.run === run).pop()!;
    expect(reports.some((r) => r.layers.some((l) => l.entered > 0))).toBe(true);
    expect(last('iep').layers[0].dyingRatio).toBeLessThan(last('ep').layers[0].dyingRatio);
    c.dispose();
  });
});

describe('the reported scalars, recomputed', () => {
  beforeAll(() => useNodeBackend('wasm'));

  it('window means from per-step values, schedule values by hand, images/s within the measured time', async () => {
    // 60 images in batches of 8: 8 steps, the last of 4 images. iEP: 2 cycles, [0, 4) and [4, 8).
    const config = tinyConfig({ batchSize: 8, epochs: 1, reportEvery: 3, iep: { cycles: 2 } });
    const data = cifar(60, 16);
    const run = async (reportEvery: number) => {
      const c = new Comparison({ ...config, reportEvery }, data, { snapshots: false });
      const reports: StepReport[] = [];
      c.subscribe((e) => e.type === 'report' && reports.push(e.report));
      // Wall time of each stepOnce (both runs' steps, reports and evaluations): what a run's own time lies within.
      const wallMs: number[] = [];
      while (!c.done) {
        const t0 = performance.now();
        await c.stepOnce();
        wallMs.push(performance.now() - t0);
      }
      const summary = c.summary;
      c.dispose();
      return { reports, wallMs, summary };
    };
    const perStep = await run(1);
    const windowed = await run(3);
    const images = (step: number) => Math.min(8, 60 - 8 * ((step - 1) % 8));
    const pT = config.targetPruningRate;
    const cycles: Record<RunId, { start: number; length: number; p: number }[]> = {
      ep: [{ start: 0, length: 8, p: pT }],
      iep: [
        { start: 0, length: 4, p: 1 - Math.sqrt(1 - pT) },
        { start: 4, length: 4, p: pT },
      ],
    };
    expect(windowed.reports.map((r) => `${r.run} ${r.step}`)).toEqual([
      'ep 3',
      'iep 3',
      'ep 6',
      'iep 6',
      'ep 8',
      'iep 8',
    ]);
    for (const w of windowed.reports) {
      const from = w.step === 3 ? 1 : w.step === 6 ? 4 : 7;
      const steps = Array.from({ length: w.step - from + 1 }, (_, i) => from + i);
      const single = (s: number) => perStep.reports.find((r) => r.run === w.run && r.step === s)!;
      // Per step, train accuracy is a count of correct images over the batch.
      for (const s of steps) {
        const correct = single(s).trainAccuracy * images(s);
        expect(Math.abs(correct - Math.round(correct))).toBeLessThan(1e-4);
      }
      const n = steps.reduce((a, s) => a + images(s), 0);
      expect(w.loss).toBeCloseTo(steps.reduce((a, s) => a + single(s).loss, 0) / steps.length, 5);
      expect(w.trainAccuracy).toBeCloseTo(steps.reduce((a, s) => a + single(s).trainAccuracy * images(s), 0) / n, 5);
      // The run's own time is part of the wall time of those stepOnce calls, so it cannot report fewer images/s.
      const wall = steps.reduce((a, s) => a + windowed.wallMs[s - 1], 0);
      expect(w.imagesPerSecond).toBeGreaterThanOrEqual((n * 1000) / wall);
      expect(Number.isFinite(w.imagesPerSecond)).toBe(true);

      const cycleIndex = cycles[w.run].findLastIndex((c) => c.start <= w.step - 1);
      const cycle = cycles[w.run][cycleIndex];
      const t = w.step - 1 - cycle.start;
      expect(w).toMatchObject({
        totalSteps: 8,
        epoch: w.step / 8,
        cycle: cycleIndex + 1,
        cycles: cycles[w.run].length,
      });
      expect(w.pruningRate).toBeCloseTo(cycle.p, 12);
      expect(w.learningRate).toBeCloseTo((config.learningRate * (1 + Math.cos((Math.PI * t) / cycle.length))) / 2, 12);
      w.layers.forEach((l, i) => expect(l.kept).toBe(Math.round((1 - cycle.p) * windowed.summary.layers[i].edges)));
    }
  });
});
