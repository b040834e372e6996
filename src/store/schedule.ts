// iEP's schedule as the editor draws it: one (step, p) point per cycle start. The presets follow the protocol's
// definitions (config.ts); step counts are an estimate until the engine reports the real totals.
import { withinLimit, type IepConfig, type SchedulePoint } from '../protocol/config';
import { estimateSteps } from '../protocol/memory';
import { cycleRate, evenCycleStarts } from '../protocol/schedule';

// The estimate lives with the tab's limits (protocol/memory.ts), which count reports from it.
export { estimateSteps };

/** Pruning rate of cycle c (1-based) of C under a preset: the engine's own arithmetic (protocol/schedule.ts). */
export const presetRate = cycleRate;

/**
 * The points a config's schedule stands for (a preset's cycles spread evenly over iEP's steps). None while the cycle
 * count or the target rate is out of range: a typed 1e9 cycles must not build a billion points before the field
 * says it is wrong, and an empty target must not draw NaN.
 */
export function schedulePoints(iep: IepConfig, target: number, iepSteps: number): SchedulePoint[] {
  const { schedule, cycles, points } = iep;
  if (schedule === 'custom') return points ?? [];
  if (!withinLimit('iep.cycles', cycles) || !withinLimit('targetPruningRate', target)) return [];
  return evenCycleStarts(iepSteps, cycles).map((step, i) => ({ step, p: cycleRate(schedule, i + 1, cycles, target) }));
}

/** p in force at `step` under a schedule's points (each point holds until the next). */
export function rateAt(points: readonly SchedulePoint[], step: number): number {
  let p = points[0]?.p ?? 0;
  for (const pt of points) if (pt.step <= step) p = pt.p;
  return p;
}

/**
 * The nearest valid custom schedule to `points` (at least one point): the first cycle at step 0, each later one at
 * least a step after the one before, p never falling and never above the target, the last cycle at the target.
 * Removing a cycle goes through it, so it never leaves a broken schedule behind, even one that was broken before.
 */
export function repairSchedule(points: readonly SchedulePoint[], target: number): SchedulePoint[] {
  let step = -1;
  let p = 0;
  return points.map((pt, i) => {
    step = i === 0 ? 0 : Math.max(pt.step, step + 1);
    p = i === points.length - 1 ? target : Math.min(target, Math.max(p, pt.p));
    return { step, p };
  });
}
