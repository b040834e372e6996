// One colour per run, by its place in the comparison (src/views/studio/palette.ts). The same run has the same colour
// in its column, the chart, the scoreboard and exports.
import { useMemo } from 'react';
import { useStore } from '../../store';
import type { RunConfig, RunId, RunMethod } from '../../protocol/config';
import { runColor } from './palette';

/** What the views need to show a run: its id, its label, its method and its colour. */
export interface RunLook {
  id: RunId;
  label: string;
  method: RunMethod;
  /** For lines, fills and borders. */
  color: string;
  /** For text: the same hue, darker, readable on every surface. */
  textColor: string;
  /** Whether it has a mask (edge usage, dying ratios, p): every method but dense. */
  masked: boolean;
}

export function runLooks(runs: readonly RunConfig[]): RunLook[] {
  return runs.map((r, i) => ({
    id: r.id,
    label: r.label,
    method: r.method,
    color: runColor(i).line,
    textColor: runColor(i).text,
    masked: r.method !== 'dense',
  }));
}

/** The runs on screen: the comparison's, else the setup's (before any run, the columns preview the setup). */
export function useRunLooks(): RunLook[] {
  const runs = useStore((s) => s.comparison?.config.runs ?? s.config.runs);
  return useMemo(() => runLooks(runs), [runs]);
}
