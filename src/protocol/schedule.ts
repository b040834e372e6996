// iEP's cycle arithmetic, once, free of tf: the engine plans from it and the store and schedule editor draw from it,
// so the editor's preview can never drift from the run it previews.
import type { ScheduleKind } from './config';

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
