// Step budgets, pruning-rate schedules and learning-rate schedules for EP and iEP (docs/engine.md explains each).
import type { ComparisonConfig, RunKind } from '../protocol/config';
import { ConfigError } from '../protocol/validate';
import { cycleRate, evenCycleStarts, type PresetSchedule } from '../protocol/schedule';

export { cycleRate };

export interface Cycle {
  /** 1-based. */
  index: number;
  /** First step of the cycle (0-based, the run's own step count). */
  start: number;
  length: number;
  /** Pruning rate searched at in this cycle. */
  p: number;
}

export interface Plan {
  run: RunKind;
  totalSteps: number;
  stepsPerEpoch: number;
  cycles: Cycle[];
  learningRate: number;
  /** Cosine restarts at each cycle's start (iEP's LR rewind); false: one cosine over the whole run. */
  lrRewind: boolean;
}

/** Batches per epoch: ceil(train images / batch), the last batch of an epoch smaller (PyTorch's drop_last=False). */
export function stepsPerEpoch(trainCount: number, batchSize: number): number {
  return Math.ceil(trainCount / batchSize);
}

/** EP's budget: ceil(steps per epoch x epochs) (epochs may be fractional), at least one step. */
export function epTotalSteps(config: ComparisonConfig, trainCount: number): number {
  return Math.max(1, Math.ceil(stepsPerEpoch(trainCount, config.batchSize) * config.epochs));
}

export function makePlan(config: ComparisonConfig, run: RunKind, trainCount: number): Plan {
  const spe = stepsPerEpoch(trainCount, config.batchSize);
  const epSteps = epTotalSteps(config, trainCount);
  const base = { run, stepsPerEpoch: spe, learningRate: config.learningRate };
  if (run === 'ep') {
    const cycles = [{ index: 1, start: 0, length: epSteps, p: config.targetPruningRate }];
    return { ...base, totalSteps: epSteps, cycles, lrRewind: true };
  }
  const { iep } = config;
  const C = iep.schedule === 'custom' ? (iep.points?.length ?? 0) : iep.cycles;
  const total = config.budget === 'equal-compute' ? epSteps : epSteps * C;
  if (total < C) {
    throw new ConfigError('iep.cycles', `${C} cycles need at least ${C} steps; the budget gives ${total}`);
  }
  let starts: number[];
  let rates: number[];
  if (iep.schedule === 'custom') {
    const points = iep.points ?? [];
    points.forEach((pt, i) => {
      if (pt.step >= total) {
        throw new ConfigError(`iep.points[${i}].step`, `must be below iEP's total of ${total} steps`);
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
  return { ...base, totalSteps: total, cycles, lrRewind: iep.lrRewind };
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
