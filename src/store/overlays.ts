// Recorded runs laid over the live (or replayed) comparison's shared chart: each run of a stored or imported record,
// named, drawn beside the runs on screen. One concern: which overlays are shown; loading them is library.ts's.
import type { StateCreator } from 'zustand';
import type { StoreState } from './index';
import type { EvalReport, RunRecord, StepReport } from '../protocol/report';

export interface OverlayRun {
  /** `${recordId}/${runId}`: one run of one record. */
  key: string;
  recordId: string;
  /** The run's label with its record's setup, e.g. "iEP · conv2 ×0.125 seed 2". */
  label: string;
  /** Whether it has a mask (a dense run has no dying ratio to draw). */
  masked: boolean;
  reports: StepReport[];
  evals: EvalReport[];
}

export interface OverlaySlice {
  overlays: OverlayRun[];
  /** Shows every run of a record over the chart (replacing that record's runs if already shown). */
  addOverlay: (record: RunRecord) => void;
  removeOverlay: (recordId: string) => void;
  clearOverlays: () => void;
}

/** Each run of a record as an overlay, its reports sorted by step. */
export function overlaysOf(record: RunRecord): OverlayRun[] {
  const setup = `${record.config.model} ×${record.config.width} seed ${record.config.seed}`;
  return record.config.runs.map((run) => ({
    key: `${record.id}/${run.id}`,
    recordId: record.id,
    label: `${run.label} · ${setup}`,
    masked: run.method !== 'dense',
    reports: record.reports.filter((r) => r.run === run.id).sort((a, b) => a.step - b.step),
    evals: record.evals.filter((e) => e.run === run.id).sort((a, b) => a.step - b.step),
  }));
}

export const initialOverlays = { overlays: [] as OverlayRun[] };

export const createOverlaySlice: StateCreator<StoreState, [], [], OverlaySlice> = (set) => ({
  ...initialOverlays,
  addOverlay: (record) =>
    set((s) => ({ overlays: [...s.overlays.filter((o) => o.recordId !== record.id), ...overlaysOf(record)] })),
  removeOverlay: (recordId) => set((s) => ({ overlays: s.overlays.filter((o) => o.recordId !== recordId) })),
  clearOverlays: () => set(initialOverlays),
});
