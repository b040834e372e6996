// The golden vectors (test/golden/vectors.json, written by `npm run golden` on the cpu backend) reproduced by the
// engine on every backend: the same file the Python worker checks itself against (worker/tests/test_golden.py), so
// the runners are held to one reference. Masks, counts and the data order exactly on every backend; scores and losses
// to the tolerance of the backend (SCORE_TOLERANCE, docs/engine.md says why wasm's is wider).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../../src/engine/node-backend';
import {
  base64ToFloats,
  computeGoldenCases,
  computeGoldenDataOrder,
  computeGoldenDraws,
  computeGoldenVectors,
  type GoldenVectors,
} from '../../../scripts/golden';
import { VECTORS_PATH } from '../../../scripts/golden-vectors';
import { errorOverScale, NUMERIC_BACKENDS, SCORE_TOLERANCE } from '../engine/backends';

const expected = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as GoldenVectors;

describe.each(NUMERIC_BACKENDS)('golden vectors on %s', (backend) => {
  let got: GoldenVectors;
  const tolerance = SCORE_TOLERANCE[backend];
  beforeAll(async () => {
    await useNodeBackend(backend);
    // The whole comparison's ten steps are the reference's own check: by step 9 an edge whose score is within float
    // error of the threshold may swap with its neighbour on another backend (docs/engine.md).
    got =
      backend === 'cpu'
        ? await computeGoldenVectors()
        : { ...expected, cases: await computeGoldenCases(), dataOrder: computeGoldenDataOrder() };
  });

  it('draws bit-identical weights and scores and plans the same per-step p and learning rate', () => {
    // Counted first: a loop over nothing compares nothing.
    expect(got.cases.map((c) => c.name)).toEqual(expected.cases.map((c) => c.name));
    got.cases.forEach((c, i) => {
      const e = expected.cases[i];
      expect(e.config.version).toBe(2);
      expect(c.config).toEqual(e.config);
      expect(c.layers).toEqual(e.layers);
      expect(c.layers.length).toBeGreaterThanOrEqual(5);
      expect(e.runs.length).toBeGreaterThan(0);
      expect(c.runs.map((r) => r.id)).toEqual(e.runs.map((r) => r.id));
      c.runs.forEach((r, j) => {
        expect(r.pruningRate).toEqual(e.runs[j].pruningRate);
        expect(r.learningRate).toEqual(e.runs[j].learningRate);
      });
    });
  });

  it('selects the same masks, first and after five steps', () => {
    got.cases.forEach((c, i) =>
      c.runs.forEach((r, j) => {
        const e = expected.cases[i].runs[j];
        expect(r.firstMasks, `${c.name} ${r.id}`).toEqual(e.firstMasks);
        expect(r.masks, `${c.name} ${r.id}`).toEqual(e.masks);
      }),
    );
  });

  it('reaches the same scores and reports after five steps', () => {
    got.cases.forEach((c, i) =>
      c.runs.forEach((r, j) => {
        const e = expected.cases[i].runs[j];
        expect(r.scores).toHaveLength(c.layers.length);
        r.scores.forEach((s, k) => {
          const where = `${c.name} ${r.id} ${c.layers[k].name}`;
          expect(errorOverScale(base64ToFloats(s), base64ToFloats(e.scores[k])), where).toBeLessThanOrEqual(tolerance);
        });
        expect(r.steps).toHaveLength(5);
        r.steps.forEach((step, t) => {
          const es = e.steps[t];
          expect(Math.abs(step.loss - es.loss)).toBeLessThanOrEqual(1e-4 * es.loss);
          expect(step.trainAccuracy).toBe(es.trainAccuracy);
          expect(step.layers).toHaveLength(c.layers.length);
          step.layers.forEach((l, k) => {
            const el = es.layers[k];
            expect([l.kept, l.entered, l.left]).toEqual([el.kept, el.entered, el.left]);
            expect(l.dyingRatio).toBeCloseTo(el.dyingRatio, 6);
            expect(l.dyingRatioAtTarget).toBeCloseTo(el.dyingRatioAtTarget, 6);
          });
        });
        expect(r.heatmaps).toHaveLength(c.layers.length);
        r.heatmaps.forEach((h, k) => {
          const eh = e.heatmaps[k];
          expect([h.rows, h.cols]).toEqual([eh.rows, eh.cols]);
          // Both rounded to 4 decimals: a float difference may flip the last digit.
          h.usage.forEach((v, n) => expect(Math.abs(v - eh.usage[n])).toBeLessThanOrEqual(1.01e-4));
          h.dead.forEach((v, n) => expect(Math.abs(v - eh.dead[n])).toBeLessThanOrEqual(1.01e-4));
        });
      }),
    );
  });

  it.runIf(backend === 'cpu')(
    "holds dense's and IteRand's seeded draws (the worker checks its own against them)",
    () => {
      expect(computeGoldenDraws()).toEqual(expected.draws);
    },
  );

  it('orders and augments the training data the same way', () => {
    expect(got.dataOrder).toEqual(expected.dataOrder);
  });

  it.runIf(backend === 'cpu')('reports a whole comparison of the four methods the same way', () => {
    const { config, reports, evals } = expected.comparison;
    expect(config.version).toBe(2);
    expect(config.runs.map((r) => r.method)).toEqual(['ep', 'iep', 'dense', 'iterand']);
    // Every run reported (steps 3, 6, 9, 10) and was evaluated.
    expect(new Set(reports.map((r) => r.run))).toEqual(new Set(['ep', 'iep', 'dense', 'iterand']));
    expect(new Set(evals.map((r) => r.run))).toEqual(new Set(['ep', 'iep', 'dense', 'iterand']));
    expect(got.comparison.reports.length).toBe(reports.length);
    got.comparison.reports.forEach((r, i) => {
      expect({ ...r, loss: 0 }).toEqual({ ...reports[i], loss: 0 });
      expect(Math.abs(r.loss - reports[i].loss)).toBeLessThanOrEqual(1e-4 * reports[i].loss);
    });
    expect(got.comparison.evals.map((e) => ({ ...e, testLoss: 0 }))).toEqual(evals.map((e) => ({ ...e, testLoss: 0 })));
  });
});
