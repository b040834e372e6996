// Step plans and learning-rate schedules for every method (docs/engine.md explains each); the budget and cycle
// arithmetic itself lives in src/protocol/schedule.ts, shared with the store and the editor.
import type { ComparisonConfig, RunConfig, RunId } from '../protocol/config';
import { ConfigError } from '../protocol/validate';
import {
  cycleCount,
  cycleRate,
  epTotalSteps,
  evenCycleStarts,
  runTotalSteps,
  stepsPerEpoch,
  type PresetSchedule,
} from '../protocol/schedule';

export { cycleRate, epTotalSteps, stepsPerEpoch };

export interface Cycle {
  /** 1-based. */
  index: number;
  /** First step of the cycle (0-based, the run's own step count). */
  start: number;
  length: number;
  /** Pruning rate searched at in this cycle (0 for a dense run: nothing pruned). */
  p: number;
}

export interface Plan {
  run: RunId;
  totalSteps: number;
  stepsPerEpoch: number;
  cycles: Cycle[];
  learningRate: number;
  /** Cosine restarts at each cycle's start (iEP's LR rewind); false: one cosine over the whole run. */
  lrRewind: boolean;
}

export function makePlan(config: ComparisonConfig, run: RunConfig, trainCount: number): Plan {
  const spe = stepsPerEpoch(trainCount, config.batchSize);
  const total = runTotalSteps(config, run, trainCount);
  const base = { run: run.id, stepsPerEpoch: spe, learningRate: config.learningRate, totalSteps: total };
  if (run.method === 'dense') {
    const learningRate = run.dense.learningRate ?? config.learningRate;
    return { ...base, learningRate, cycles: [{ index: 1, start: 0, length: total, p: 0 }], lrRewind: true };
  }
  if (run.method !== 'iep') {
    return { ...base, cycles: [{ index: 1, start: 0, length: total, p: config.targetPruningRate }], lrRewind: true };
  }
  const { iep } = run;
  const at = `runs[${config.runs.indexOf(run)}].iep`;
  const C = cycleCount(iep);
  if (total < C) {
    throw new ConfigError(`${at}.cycles`, `${C} cycles need at least ${C} steps; the budget gives ${total}`);
  }
  let starts: number[];
  let rates: number[];
  if (iep.schedule === 'custom') {
    const points = iep.points ?? [];
    points.forEach((pt, i) => {
      if (pt.step >= total) {
        throw new ConfigError(`${at}.points[${i}].step`, `must be below this run's total of ${total} steps`);
      }
    });
    starts = points.map((pt) => pt.step);
    rates = points.map((pt) => pt.p);
  } else {
    starts = evenCycleStarts(total, C);
    rates = starts.map((_, i) => cycleRate(iep.schedule as PresetSchedule, i + 1, C, config.targetPruningRate));
  }
  const cycles = starts.map((start, i) => ({
    index: i + 1,
    start,
    length: (i + 1 < C ? starts[i + 1] : total) - start,
    p: rates[i],
  }));
  return { ...base, cycles, lrRewind: iep.lrRewind };
}

/** The cycle a step (0-based) belongs to. */
export function cycleAt(plan: Plan, step: number): Cycle {
  let found = plan.cycles[0];
  for (const c of plan.cycles) if (c.start <= step) found = c;
  return found;
}

/**
 * Cosine learning rate for step `step` (0-based): lr0 * (1 + cos(pi * t / T)) / 2, with t counted from the cycle's
 * start over the cycle's length (LR rewind), or from 0 over the whole run. Per step, not per epoch as the reference.
 */
export function learningRateAt(plan: Plan, step: number): number {
  const cycle = cycleAt(plan, step);
  const [t, T] = plan.lrRewind ? [step - cycle.start, cycle.length] : [step, plan.totalSteps];
  return (plan.learningRate * (1 + Math.cos((Math.PI * t) / T))) / 2;
}
