// Dense and IteRand steps on every backend: a 4-run comparison (EP, iEP, dense, IteRand, re-draws included) run on
// wasm and webgpu reports what the cpu reference reports and ends in the same state, to the tolerances of
// ./backends.ts. The golden vectors hold EP and iEP alone; this holds the two methods that train or re-draw weights.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Comparison, type ComparisonSnapshot } from '../../../src/engine/comparison';
import { useNodeBackend } from '../../../src/engine/node-backend';
import type { StepReport } from '../../../src/protocol/report';
import { errorOverScale, NUMERIC_BACKENDS } from './backends';
import { cifar, fourRunConfig } from './helpers';

const data = cifar(64, 16);
// 4 steps of each run; at step 3 IteRand re-draws and hard iEP starts its second cycle; reports at 2 and 4.
const config = fourRunConfig({ batchSize: 8, epochs: 0.5, reportEvery: 2, iep: { cycles: 2, variant: 'hard' } });

/** The cpu reference: the state before each step and after the last, and each step's reports. */
async function reference(): Promise<{ states: ComparisonSnapshot[]; reports: StepReport[][] }> {
  const c = new Comparison(config, data, { snapshots: false });
  const states = [await c.snapshot()];
  const reports: StepReport[][] = [];
  let now: StepReport[] = [];
  c.subscribe((e) => e.type === 'report' && now.push(e.report));
  while (!c.done) {
    await c.stepOnce();
    reports.push(now);
    now = [];
    states.push(await c.snapshot());
  }
  c.dispose();
  return { states, reports };
}

/** One step of every run from `state` on the current backend: the state after it, and its reports. */
async function stepFrom(state: ComparisonSnapshot): Promise<{ after: ComparisonSnapshot; reports: StepReport[] }> {
  const c = Comparison.restore(state, data, { snapshots: false });
  const reports: StepReport[] = [];
  c.subscribe((e) => e.type === 'report' && reports.push(e.report));
  await c.stepOnce();
  const after = await c.snapshot();
  c.dispose();
  return { after, reports };
}

/** Every Float32Array in a snapshot, by its path ('runs.dense.params.3'). */
function leaves(x: unknown, path = ''): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  if (x instanceof Float32Array) out.set(path, x);
  else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      leaves(v, path ? `${path}.${k}` : k).forEach((a, p) => out.set(p, a));
    }
  }
  return out;
}

/**
 * What one step may differ by, per array (Infinity: not compared). Conv-2's two convs sit before its max-pool, and a
 * pool window whose two largest values are equal in exact arithmetic is decided by rounding, which differs by
 * backend: the window's gradient goes to another pixel. With one weight magnitude per layer (signed Kaiming
 * constant) and few kept edges such equal sums are common (2 of 8,192 windows in one step, measured), and a flipped
 * window moves those convs' momentum by as much as the window's gradient: 2 % to 14 % of its largest value in the
 * steps measured, wasm and webgpu alike. Their scores move by the learning rate times that (8e-4 at most measured);
 * the layers after the pool, dense's trained weights (normal, not constant: no ties) and IteRand's re-drawn weights
 * hold to float rounding. The straight-through gradient itself is held on every backend by masks.test.ts.
 */
function toleranceOf(path: string): number {
  const beforePool = /^runs\.(ep|iep|iterand)\.layers\.[01]\.(scores|momentum)$/.exec(path);
  if (beforePool) return beforePool[2] === 'scores' ? 2e-3 : Infinity;
  return STEP_TOLERANCE;
}

// One step's float rounding, relative to an array's largest value (measured: 3.4e-6 at most, wasm and webgpu).
const STEP_TOLERANCE = 2e-5;

let cpu: { states: ComparisonSnapshot[]; reports: StepReport[][] };

beforeAll(async () => {
  await useNodeBackend('cpu');
  cpu = await reference();
  // What the comparison below must cover: 4 steps, 2 reports of each run.
  expect(cpu.states.length).toBe(5);
  expect(
    cpu.reports
      .flat()
      .map((r) => `${r.run}@${r.step}`)
      .sort(),
  ).toEqual(['ep', 'iep', 'dense', 'iterand'].flatMap((run) => [2, 4].map((s) => `${run}@${s}`)).sort());
});

afterAll(() => useNodeBackend('cpu'));

// Each step starts from the cpu's own state before it, so what is compared is one step's arithmetic: trajectories
// compared over many steps drift apart (a ReLU output at 1e-9 on one backend and 0 on another moves a max-pool's
// gradient), and that drift says nothing about whether a kernel is right.
// The steps checked, by the state before them: 3 (a re-draw, a new cycle) and 4 (a report). WebGPU on SwiftShader
// takes seconds a step here; the steps left out are plain steps like these.
const CHECKED = [2, 3];

describe.each(NUMERIC_BACKENDS.filter((b) => b !== 'cpu'))('dense and IteRand on %s against cpu', (backend) => {
  const steps: { after: ComparisonSnapshot; reports: StepReport[] }[] = [];
  beforeAll(async () => {
    await useNodeBackend(backend);
    for (const t of CHECKED) steps.push(await stepFrom(cpu.states[t]));
  });

  it('each step reports the same losses, dying ratios and heatmaps', () => {
    expect(steps.flatMap((s) => s.reports).length).toBe(4);
    steps.forEach(({ reports }, i) => {
      const ref = cpu.reports[CHECKED[i]];
      expect(reports.map((r) => `${r.run}@${r.step}`)).toEqual(ref.map((r) => `${r.run}@${r.step}`));
      reports.forEach((r, k) => {
        const at = `${r.run} step ${r.step}`;
        expect(Math.abs(r.loss - ref[k].loss) / ref[k].loss, at).toBeLessThan(STEP_TOLERANCE);
        expect(r.layers.length, at).toBe(ref[k].layers.length);
        r.layers.forEach((l, li) => {
          const want = ref[k].layers[li];
          // Usage comes from the masks, which are the same: counts exactly, ratios to float32 rounding, cells to
          // the report's rounding (1e-4).
          expect([l.entered, l.left], `${at} layer ${li}`).toEqual([want.entered, want.left]);
          expect(Math.abs(l.dyingRatio - want.dyingRatio), at).toBeLessThan(1e-6);
          expect(Math.abs(l.dyingRatioAtTarget - want.dyingRatioAtTarget), at).toBeLessThan(1e-6);
          l.heatmap.usage.forEach((v, j) => expect(Math.abs(v - want.heatmap.usage[j])).toBeLessThan(1.01e-4));
        });
      });
    });
  });

  it("each step ends in the cpu's state: scores, momentum, trained and re-drawn weights, usage counters", () => {
    const worst = new Map<string, number>();
    steps.forEach(({ after }, i) => {
      const t = CHECKED[i];
      const mine = leaves(after);
      const theirs = leaves(cpu.states[t + 1]);
      expect([...mine.keys()], `step ${t + 1}`).toEqual([...theirs.keys()]);
      for (const [p, a] of mine) {
        const b = theirs.get(p)!;
        expect(a.length, p).toBe(b.length);
        if (/\.(usage|allowed)\b/.test(p)) expect(Array.from(a), `step ${t + 1} ${p}`).toEqual(Array.from(b));
        else worst.set(p, Math.max(worst.get(p) ?? 0, errorOverScale(a, b)));
      }
    });
    // The state the test must have reached: dense's trained weights and IteRand's re-drawn ones are in it.
    expect([...worst.keys()].filter((p) => p.startsWith('runs.dense.params.')).length).toBeGreaterThan(2);
    expect([...worst.keys()].filter((p) => p.startsWith('runs.iterand.weights.')).length).toBeGreaterThan(2);
    const over = [...worst].filter(([p, e]) => !(e <= toleranceOf(p)));
    expect(over, 'arrays beyond the tolerance').toEqual([]);
  });
});
