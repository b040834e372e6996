// One colour per run, by its place in the comparison, from the Okabe–Ito palette: distinguishable with every common
// colour-vision deficiency. The same run has the same colour in its column, the chart, the scoreboard and exports.
import { useMemo } from 'react';
import { useStore } from '../../store';
import type { RunConfig, RunId, RunMethod } from '../../protocol/config';

export const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00'] as const;

/** What the views need to show a run: its id, its label, its method and its colour. */
export interface RunLook {
  id: RunId;
  label: string;
  method: RunMethod;
  color: string;
  /** Whether it has a mask (edge usage, dying ratios, p): every method but dense. */
  masked: boolean;
}

export function runLooks(runs: readonly RunConfig[]): RunLook[] {
  return runs.map((r, i) => ({
    id: r.id,
    label: r.label,
    method: r.method,
    color: PALETTE[i % PALETTE.length],
    masked: r.method !== 'dense',
  }));
}

/** The runs on screen: the comparison's, else the setup's (before any run, the columns preview the setup). */
export function useRunLooks(): RunLook[] {
  const runs = useStore((s) => s.comparison?.config.runs ?? s.config.runs);
  return useMemo(() => runLooks(runs), [runs]);
}
