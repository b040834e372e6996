// iEP's schedule as the editor draws it: one (step, p) point per cycle start. The presets follow the protocol's
// definitions (config.ts); step counts are an estimate until the engine reports the real totals.
import type { ComparisonConfig, SchedulePoint } from '../protocol/config';

const KNOWN_TRAIN_SIZES: Record<string, number> = { 'cifar10-subset': 5000, cifar10: 50000 };

/** Steps EP and iEP will take, from the config and the training split's size. */
export function estimateSteps(config: ComparisonConfig, trainImages?: number): { ep: number; iep: number } {
  const available = trainImages ?? KNOWN_TRAIN_SIZES[config.dataset] ?? 5000;
  const images = config.trainLimit === null ? available : Math.min(config.trainLimit, available);
  const perEpoch = Math.max(1, Math.ceil(images / Math.max(1, config.batchSize)));
  // As the engine counts (src/engine/schedule.ts): ceil(steps per epoch x epochs), at least one.
  const ep = Math.max(1, Math.ceil(perEpoch * config.epochs));
  return { ep, iep: config.budget === 'equal-compute' ? ep : ep * config.iep.cycles };
}

/** Pruning rate of cycle c (1-based) of C under a preset. */
export function presetRate(kind: 'geometric' | 'linear' | 'one-shot', c: number, cycles: number, target: number) {
  if (kind === 'geometric') return 1 - Math.pow(1 - target, c / cycles);
  if (kind === 'linear') return (target * c) / cycles;
  return target;
}

/** The points a config's schedule stands for (a preset's cycles spread evenly over iEP's steps). */
export function schedulePoints(config: ComparisonConfig, iepSteps: number): SchedulePoint[] {
  const { schedule, cycles, points } = config.iep;
  if (schedule === 'custom') return points ?? [];
  return Array.from({ length: cycles }, (_, i) => ({
    step: Math.round((i * iepSteps) / cycles),
    p: presetRate(schedule, i + 1, cycles, config.targetPruningRate),
  }));
}

/** p in force at `step` under a schedule's points (each point holds until the next). */
export function rateAt(points: readonly SchedulePoint[], step: number): number {
  let p = points[0]?.p ?? 0;
  for (const pt of points) if (pt.step <= step) p = pt.p;
  return p;
}
