// Okabe–Ito colours for the two runs: distinguishable with every common colour-vision deficiency.
import type { RunKind } from '../../protocol/config';

export const RUN_COLOR: Record<RunKind, string> = { ep: '#0072b2', iep: '#e69f00' };
export const RUN_LABEL: Record<RunKind, string> = { ep: 'EP', iep: 'iEP' };
