// Times a few real steps of a comparison on the active backend: the measurement the page's "auto" picks by.
import type { ComparisonConfig, RunId } from '../protocol/config';
import { defaultIepConfig } from '../protocol/config';
import type { DatasetPayload } from '../protocol/messages';
import { Comparison } from './comparison';
import { payloadToData } from './runner';

/**
 * The configured comparison as a probe runs it: same model, width and batch (what the time depends on), but a
 * schedule and budget under which no evaluation falls due in the timed steps, and every image given used.
 */
export function probeConfig(config: ComparisonConfig): ComparisonConfig {
  // Every run stays (the time is theirs together); a custom schedule may not fit the probe's budget, a preset does.
  const runs = config.runs.map((run) => (run.method === 'iep' ? { ...run, iep: defaultIepConfig() } : run));
  return { ...config, epochs: 8, budget: 'equal-compute', runs, trainLimit: null, testLimit: null };
}

/**
 * Runs `steps` comparison steps (of the runs in `share`, default all), calling `onStep` with each one's seconds (its
 * GPU work included).
 */
export async function timeSteps(
  config: ComparisonConfig,
  dataset: DatasetPayload,
  steps: number,
  onStep: (seconds: number) => void,
  share?: RunId[],
): Promise<void> {
  const comparison = new Comparison(probeConfig(config), payloadToData(dataset), { snapshots: false, share });
  try {
    for (let i = 0; i < steps && !comparison.done; i++) {
      const t0 = performance.now();
      await comparison.stepOnce(false);
      onStep((performance.now() - t0) / 1000);
    }
  } finally {
    comparison.dispose();
  }
}
