// The live run's newest engine snapshot, as the page last heard it. runnerLink keeps it to rebuild the run in a new
// engine; the recorder stores it beside the reports it covers, so a run cut short by a closed page can go on later.
import type { EngineSnapshot } from '../protocol/messages';
import type { RunId } from '../protocol/config';

export interface SavedSnapshot {
  runId: string;
  snapshot: EngineSnapshot;
  /** The steps of each run the snapshot holds. */
  steps: Record<RunId, number>;
}

let newest: SavedSnapshot | null = null;

export function keepSnapshot(saved: SavedSnapshot): void {
  newest = saved;
}

export function newestSnapshot(): SavedSnapshot | null {
  return newest;
}
