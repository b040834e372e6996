// The schedule editor draws iEP's schedule from store/schedule.ts; the engine runs the plan of src/engine/schedule.ts.
// What is drawn must be what runs: the same step counts, the same cycle starts and the same p in every cycle.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cycleAt, cycleRate, epTotalSteps, makePlan } from '../../../src/engine/schedule';
import {
  defaultConfig,
  defaultIepConfig,
  defaultRun,
  findRun,
  withIep,
  type BudgetMode,
  type ComparisonConfig,
  type IepConfig,
  type IepRun,
} from '../../../src/protocol/config';
import { runTotalSteps } from '../../../src/protocol/schedule';
import { validateConfig } from '../../../src/protocol/validate';
import { schedulePointProblems } from '../../../src/protocol/validate';
import { estimateSteps, presetRate, rateAt, repairSchedule, schedulePoints } from '../../../src/store/schedule';

const PRESETS = ['geometric', 'linear', 'one-shot'] as const;
const BUDGETS: BudgetMode[] = ['equal-compute', 'full-cycles'];

function config(over: Partial<ComparisonConfig>, iep: Partial<IepConfig>): ComparisonConfig {
  return validateConfig(withIep({ ...defaultConfig(), ...over }, iep));
}

/** The default comparison's iEP run, and its plan. */
const iepRun = (c: ComparisonConfig) => findRun(c, 'iep') as IepRun;
const planOf = (c: ComparisonConfig, id: string, train: number) => makePlan(c, findRun(c, id), train);
/** The editor's points for the iEP run (its settings, the shared target, its estimated steps). */
const drawnOf = (c: ComparisonConfig, iepSteps: number) => schedulePoints(iepRun(c).iep, c.targetPruningRate, iepSteps);

/** Setups from tiny to the default, with uneven splits (steps not divisible by cycles) and fractional epochs. */
const SETUPS: { over: Partial<ComparisonConfig>; train: number }[] = [
  { over: {}, train: 5000 },
  { over: { batchSize: 8, epochs: 2, trainLimit: 64 }, train: 5000 },
  { over: { batchSize: 7, epochs: 1.5, trainLimit: 100, targetPruningRate: 0.5 }, train: 5000 },
  { over: { batchSize: 128, epochs: 0.3, targetPruningRate: 0.9 }, train: 50000 },
  { over: { batchSize: 3, epochs: 1, trainLimit: 10 }, train: 5000 },
  { over: { batchSize: 64, epochs: 3, trainLimit: 20000 }, train: 1234 },
];

function* cases() {
  for (const { over, train } of SETUPS) {
    for (const schedule of PRESETS) {
      for (const budget of BUDGETS) {
        for (const cycles of [1, 3, 8]) {
          const c = config({ ...over, budget }, { schedule, cycles });
          // A setup whose budget cannot hold the cycles is refused by the engine; the editor warns of it instead.
          if (budget === 'equal-compute' && epTotalSteps(c, Math.min(train, c.trainLimit ?? train)) < cycles) continue;
          yield { c, train: Math.min(train, c.trainLimit ?? train) };
        }
      }
    }
  }
}

describe('the editor’s step estimate', () => {
  it('equals the engine’s plan for EP and iEP', () => {
    let n = 0;
    for (const { c, train } of cases()) {
      const est = estimateSteps(c, train);
      expect(est, JSON.stringify(c)).toEqual({
        ep: planOf(c, 'ep', train).totalSteps,
        iep: planOf(c, 'iep', train).totalSteps,
      });
      n++;
    }
    expect(n).toBeGreaterThan(50);
  });

  it('applies the config’s trainLimit to the loaded dataset’s size, as the engine does', () => {
    const c = config({ batchSize: 10, epochs: 1, trainLimit: 95 }, {});
    expect(estimateSteps(c, 5000).ep).toBe(planOf(c, 'ep', 95).totalSteps);
    expect(estimateSteps(c, 40).ep).toBe(planOf(c, 'ep', 40).totalSteps);
  });

  it('without a loaded dataset, the bundled subset’s size from public/data/datasets.json', () => {
    const manifest = JSON.parse(
      readFileSync(
        path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../public/data/datasets.json'),
        'utf8',
      ),
    ) as { id: string; train: number }[];
    for (const entry of manifest) {
      const c = config({ dataset: entry.id, batchSize: 64, epochs: 2 }, {});
      expect(estimateSteps(c)).toEqual({
        ep: planOf(c, 'ep', entry.train).totalSteps,
        iep: planOf(c, 'iep', entry.train).totalSteps,
      });
    }
  });
});

describe('every method’s budget', () => {
  /** EP, two iEP schedules of different cycle counts, dense and IteRand over the shared fields of `over`. */
  const fiveRuns = (over: Partial<ComparisonConfig>): ComparisonConfig =>
    validateConfig({
      ...defaultConfig(),
      ...over,
      runs: [
        defaultRun('ep', 'ep'),
        defaultRun('iep', 'iep'),
        { ...defaultRun('iep', 'iep-3'), iep: { ...defaultIepConfig(), schedule: 'linear', cycles: 3 } },
        defaultRun('dense', 'dense'),
        { ...defaultRun('iterand', 'iterand'), iterand: { kPer: 7, lambda: 0.2 } },
      ],
    });

  it.each(SETUPS)('estimateSteps equals every run’s plan, under both budgets (%j)', ({ over, train }) => {
    for (const budget of BUDGETS) {
      const c = fiveRuns({ ...over, budget });
      const images = Math.min(train, c.trainLimit ?? train);
      const est = estimateSteps(c, train);
      expect(Object.keys(est)).toEqual(['ep', 'iep', 'iep-3', 'dense', 'iterand']);
      c.runs.forEach((run, i) => {
        expect(runTotalSteps(c, run, images)).toBe(est[run.id]);
        // A budget too short for an iEP run's cycles: the editor shows the steps, the engine names the field.
        if (run.method === 'iep' && est[run.id] < run.iep.cycles) {
          expect(() => makePlan(c, run, images)).toThrow(`runs[${i}].iep.cycles: ${run.iep.cycles} cycles need`);
        } else expect(est[run.id], `${run.id} ${budget}`).toBe(makePlan(c, run, images).totalSteps);
      });
    }
  });

  it('EP, dense and IteRand take EP’s steps; iEP the same under equal compute, EP’s per cycle under full cycles', () => {
    // 100 images in batches of 8 for 1.5 epochs: ceil(13 x 1.5) = 20 steps of EP.
    const over = { batchSize: 8, epochs: 1.5, trainLimit: 100 };
    expect(estimateSteps(fiveRuns({ ...over, budget: 'equal-compute' }), 5000)).toEqual({
      ep: 20,
      iep: 20,
      'iep-3': 20,
      dense: 20,
      iterand: 20,
    });
    expect(estimateSteps(fiveRuns({ ...over, budget: 'full-cycles' }), 5000)).toEqual({
      ep: 20,
      iep: 8 * 20,
      'iep-3': 3 * 20,
      dense: 20,
      iterand: 20,
    });
    // A custom schedule's cycles are its points.
    const custom = validateConfig(
      withIep(fiveRuns({ ...over, budget: 'full-cycles' }), {
        schedule: 'custom',
        cycles: 2,
        points: [
          { step: 0, p: 0.5 },
          { step: 10, p: 0.832 },
        ],
      }),
    );
    expect(estimateSteps(custom, 5000)).toMatchObject({ ep: 20, iep: 40, 'iep-3': 40 });
  });

  it('one run alone takes the budget it takes beside others', () => {
    for (const method of ['ep', 'iep', 'dense', 'iterand'] as const) {
      const alone = validateConfig({ ...defaultConfig(), budget: 'full-cycles', runs: [defaultRun(method, 'only')] });
      expect(estimateSteps(alone, 5000)).toEqual({ only: method === 'iep' ? 8 * 632 : 632 });
    }
  });
});

describe('a preset drawn in the editor', () => {
  it('has the engine’s cycle starts and the engine’s p in every cycle', () => {
    for (const { c, train } of cases()) {
      const plan = planOf(c, 'iep', train);
      const drawn = drawnOf(c, estimateSteps(c, train).iep);
      expect(drawn, JSON.stringify(c)).toEqual(plan.cycles.map((cy) => ({ step: cy.start, p: cy.p })));
    }
  });

  it('gives, at every step, the p the engine searches at', () => {
    for (const { c, train } of cases()) {
      const plan = planOf(c, 'iep', train);
      const drawn = drawnOf(c, estimateSteps(c, train).iep);
      for (let step = 0; step < Math.min(plan.totalSteps, 400); step++) {
        expect(rateAt(drawn, step)).toBe(cycleAt(plan, step).p);
      }
    }
  });

  it('presetRate is the engine’s cycleRate', () => {
    for (const kind of PRESETS) {
      for (const C of [1, 2, 5, 8, 13]) {
        for (let cyc = 1; cyc <= C; cyc++) {
          for (const target of [0, 0.5, 0.832, 0.99]) {
            expect(presetRate(kind, cyc, C, target)).toBe(cycleRate(kind, cyc, C, target));
          }
        }
      }
    }
  });

  it('ends at the target rate and never lowers p', () => {
    for (const { c, train } of cases()) {
      const drawn = drawnOf(c, estimateSteps(c, train).iep);
      expect(drawn.at(-1)!.p).toBeCloseTo(c.targetPruningRate, 12);
      drawn.forEach((pt, i) => i > 0 && expect(pt.p).toBeGreaterThanOrEqual(drawn[i - 1].p));
    }
  });

  it('dragged once (it becomes a custom schedule of the same points) runs the same plan', () => {
    for (const { c, train } of cases()) {
      const drawn = drawnOf(c, estimateSteps(c, train).iep);
      // What the editor's setPoints does with the preset's points before a point moves.
      const custom = validateConfig(withIep(c, { schedule: 'custom', points: drawn, cycles: drawn.length }));
      expect(drawnOf(custom, 0)).toEqual(drawn);
      expect(planOf(custom, 'iep', train).cycles).toEqual(planOf(c, 'iep', train).cycles);
    }
  });
});

describe('a custom schedule', () => {
  it('is drawn as its points and runs at their p from each point’s step', () => {
    const points = [
      { step: 0, p: 0.2 },
      { step: 5, p: 0.5 },
      { step: 11, p: 0.8 },
    ];
    const c = config(
      { batchSize: 8, epochs: 2, trainLimit: 64, targetPruningRate: 0.8 },
      { schedule: 'custom', cycles: 3, points },
    );
    expect(drawnOf(c, estimateSteps(c, 64).iep)).toEqual(points);
    const plan = planOf(c, 'iep', 64);
    expect(plan.totalSteps).toBe(estimateSteps(c, 64).iep);
    for (let step = 0; step < plan.totalSteps; step++) expect(rateAt(points, step)).toBe(cycleAt(plan, step).p);
  });

  it('rateAt before any point is the first point’s p, and 0 for no points', () => {
    expect(rateAt([{ step: 3, p: 0.4 }], 0)).toBe(0.4);
    expect(rateAt([], 10)).toBe(0);
  });
});

describe('repairSchedule (what removing a cycle leaves)', () => {
  it('turns any points into a schedule the protocol accepts, keeping valid ones as they are', () => {
    const valid = [
      { step: 0, p: 0.3 },
      { step: 40, p: 0.6 },
      { step: 80, p: 0.832 },
    ];
    expect(repairSchedule(valid, 0.832)).toEqual(valid);
    const broken = [
      { step: 12, p: 0.9 },
      { step: 5, p: 0.2 },
      { step: 5, p: 0.95 },
      { step: 90, p: 0.1 },
    ];
    const repaired = repairSchedule(broken, 0.832);
    expect(schedulePointProblems(repaired, repaired.length, 0.832)).toEqual([]);
    expect(repaired).toEqual([
      { step: 0, p: 0.832 },
      { step: 5, p: 0.832 },
      { step: 6, p: 0.832 },
      { step: 90, p: 0.832 },
    ]);
    expect(repairSchedule([{ step: 30, p: 0.1 }], 0.5)).toEqual([{ step: 0, p: 0.5 }]);
  });
});
