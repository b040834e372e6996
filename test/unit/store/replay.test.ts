// Replay of a real recorded run through the store: the cursor walks every reported step in order and stops at the
// end; playing from the end starts again; stopping the driver stops the walk. Real timers, at the fastest speed.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/protocol/report';
import { useStore } from '../../../src/store/index';
import { startReplayDriver } from '../../../src/store/replay';
import { reportSteps } from '../../../src/store/series';
import { REPLAY_SPEEDS } from '../../../src/store/studio';
import { realRecord } from './realRecord';

let record: RunRecord;
let stopDriver: (() => void) | null = null;

beforeAll(async () => {
  record = await realRecord();
});

afterEach(() => {
  stopDriver?.();
  stopDriver = null;
  useStore.getState().clearComparison();
});

/** Cursor positions seen until replay stops playing. */
function playAndWatch(): Promise<(number | null)[]> {
  const seen: (number | null)[] = [];
  return new Promise((resolve) => {
    const unsubscribe = useStore.subscribe((s, prev) => {
      // Compared with the last one seen, not with prev: a set nested in another listener is announced twice.
      if (s.cursor !== (seen.length ? seen[seen.length - 1] : prev.cursor)) seen.push(s.cursor);
      if (!s.replayPlaying && prev.replayPlaying) {
        unsubscribe();
        resolve(seen);
      }
    });
    useStore.getState().setReplayPlaying(true);
  });
}

describe('replay', () => {
  it('walks the cursor through every reported step once, in order, and stops at the last', async () => {
    const s = useStore.getState();
    s.showRecord(record);
    const steps = reportSteps(useStore.getState().series);
    expect(steps.length).toBeGreaterThan(3);
    s.setReplaySpeed(Math.max(...REPLAY_SPEEDS));
    s.setCursor(steps[0]);
    stopDriver = startReplayDriver();
    expect(await playAndWatch()).toEqual(steps.slice(1));
    expect(useStore.getState().cursor).toBe(steps.at(-1));
  });

  it('playing at the end starts again from the first report', async () => {
    const s = useStore.getState();
    s.showRecord(record);
    const steps = reportSteps(useStore.getState().series);
    // A recorded run opens at its end.
    expect(useStore.getState().cursor).toBe(steps.at(-1));
    s.setReplaySpeed(Math.max(...REPLAY_SPEEDS));
    stopDriver = startReplayDriver();
    expect(await playAndWatch()).toEqual(steps);
  });

  it('a stopped driver moves the cursor no more', async () => {
    const s = useStore.getState();
    s.showRecord(record);
    const steps = reportSteps(useStore.getState().series);
    s.setReplaySpeed(Math.max(...REPLAY_SPEEDS));
    s.setCursor(steps[0]);
    stopDriver = startReplayDriver();
    s.setReplayPlaying(true);
    await new Promise((r) => setTimeout(r, 25));
    stopDriver();
    stopDriver = null;
    const at = useStore.getState().cursor;
    await new Promise((r) => setTimeout(r, 100));
    expect(useStore.getState().cursor).toBe(at);
    expect(at).toBeLessThan(steps.at(-1)!);
  });

  it('nothing to replay: playing stops at once', () => {
    stopDriver = startReplayDriver();
    useStore.getState().setReplayPlaying(true);
    expect(useStore.getState().replayPlaying).toBe(false);
  });
});
