// The budget and iEP's cycle arithmetic, once, free of tf: the engine plans from it and the store, the memory check
// and the schedule editor draw from it, so no preview can drift from the run it previews.
import type { ComparisonConfig, IepConfig, RunConfig, ScheduleKind } from './config';

/** Batches per epoch: ceil(train images / batch), the last batch of an epoch smaller (PyTorch's drop_last=False). */
export function stepsPerEpoch(trainCount: number, batchSize: number): number {
  return Math.ceil(trainCount / batchSize);
}

/** EP's budget: ceil(steps per epoch x epochs) (epochs may be fractional), at least one step. */
export function epTotalSteps(config: ComparisonConfig, trainCount: number): number {
  return Math.max(1, Math.ceil(stepsPerEpoch(trainCount, config.batchSize) * config.epochs));
}

/** An iEP run's cycles: a custom schedule has one per point. */
export function cycleCount(iep: IepConfig): number {
  return iep.schedule === 'custom' ? (iep.points?.length ?? 0) : iep.cycles;
}

/**
 * A run's budget in steps. EP, dense and IteRand take EP's; iEP takes the same under equal compute (the default: the
 * standard objection to iterative methods is unequal compute), and EP's once per cycle under full cycles.
 */
export function runTotalSteps(config: ComparisonConfig, run: RunConfig, trainCount: number): number {
  const ep = epTotalSteps(config, trainCount);
  if (run.method !== 'iep' || config.budget === 'equal-compute') return ep;
  return ep * cycleCount(run.iep);
}

export type PresetSchedule = Exclude<ScheduleKind, 'custom'>;

/** Pruning rate of cycle c (1-based) of C for the built-in schedules (config.ts's ScheduleKind defines each). */
export function cycleRate(schedule: PresetSchedule, c: number, C: number, target: number): number {
  if (schedule === 'geometric') return 1 - Math.pow(1 - target, c / C);
  if (schedule === 'linear') return (target * c) / C;
  return target;
}

/** Cycle c spans [round((c-1)T/C), round(cT/C)): an even split of T steps, lengths differing by at most one step. */
export function evenCycleStarts(totalSteps: number, cycles: number): number[] {
  return Array.from({ length: cycles }, (_, i) => Math.round((i * totalSteps) / cycles));
}
