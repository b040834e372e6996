// Ready-made studies: the run lists a schedule study starts from. Plain data over the protocol's run defaults.
import { defaultIepConfig, defaultRun, type ComparisonConfig, type RunConfig } from '../../protocol/config';

export interface RunPreset {
  id: string;
  label: string;
  title: string;
  runs: (config: ComparisonConfig) => RunConfig[];
}

const iep = (id: string, label: string, schedule: 'geometric' | 'linear' | 'one-shot'): RunConfig => ({
  id,
  label,
  method: 'iep',
  iep: { ...defaultIepConfig(), schedule },
});

export const RUN_PRESETS: readonly RunPreset[] = [
  {
    id: 'ep-iep',
    label: 'EP vs iEP',
    title: 'The dying-edge comparison: EP against iEP with p_c = 1 − 0.8^c',
    runs: () => [defaultRun('ep', 'ep'), iep('iep', 'iEP', 'geometric')],
  },
  {
    id: 'schedules',
    label: 'schedule study',
    title: 'EP and three iEP schedules: 1 − 0.8^c, linear, one-shot',
    runs: () => [
      defaultRun('ep', 'ep'),
      iep('iep', 'iEP 1−0.8^c', 'geometric'),
      iep('iep-linear', 'iEP linear', 'linear'),
      iep('iep-one-shot', 'iEP one-shot', 'one-shot'),
    ],
  },
  {
    id: 'dense',
    label: 'EP + iEP + dense',
    title: 'The searches against the dense network with trained weights ("regular weight")',
    runs: () => [defaultRun('ep', 'ep'), iep('iep', 'iEP', 'geometric'), defaultRun('dense', 'dense')],
  },
  {
    id: 'iterand',
    label: 'EP + IteRand + iEP',
    title: 'Two ways to explore beyond the first mask: re-drawing pruned weights, or cycles at rising rates',
    runs: () => [defaultRun('ep', 'ep'), defaultRun('iterand', 'iterand'), iep('iep', 'iEP', 'geometric')],
  },
];
