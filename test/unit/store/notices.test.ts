// Notices that go by themselves: "Recovered…" once the recovered run is continued or another run is shown, "live
// in another tab" once no run is (the owning tab closed). Driven through the store's own actions, on a real run file.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/protocol/report';
import { useStore } from '../../../src/store/index';
import { noticeWhile, whileLiveElsewhere, whileRecordedOnScreen } from '../../../src/store/notices';
import { parseRunFile } from '../../../src/store/runFiles';

const FILE = path.resolve(import.meta.dirname, '../../../public/studies/compare-e0.5-s1.json');
let record: RunRecord;

beforeAll(() => {
  record = parseRunFile(readFileSync(FILE, 'utf8'), 'compare-e0.5-s1.json');
});

afterEach(() => {
  const s = useStore.getState();
  s.clearComparison();
  s.setStoredRuns([], []);
  for (const n of s.notices) s.dismissNotice(n);
});

const shown = () => useStore.getState().notices;
const RECOVERED = 'Recovered the run that was training when the page closed.';
const ELSEWHERE = 'A run is training in another tab of this browser.';

describe('notices that clear themselves', () => {
  it('"Recovered…" stays while the recovered run is shown as recorded and goes once it is continued', () => {
    useStore.getState().showRecord(record);
    noticeWhile(RECOVERED, whileRecordedOnScreen(record.id));
    expect(shown()).toEqual([RECOVERED]);
    // What Continue does to the store (runnerLink's continueRun): the same run, live again.
    useStore.getState().resumeLive(record);
    expect(shown()).toEqual([]);
  });

  it('"Recovered…" goes once another run replaces it on screen', () => {
    useStore.getState().showRecord(record);
    noticeWhile(RECOVERED, whileRecordedOnScreen(record.id));
    useStore.getState().showRecord({ ...record, id: 'another-run' });
    expect(shown()).toEqual([]);
  });

  it('"live in another tab" goes once no stored run is live elsewhere, and other notices stay', () => {
    useStore.getState().setStoredRuns([], ['owned-by-another-tab']);
    noticeWhile(ELSEWHERE, whileLiveElsewhere);
    useStore.getState().addNotice('something else');
    useStore.getState().setStoredRuns([], ['owned-by-another-tab']);
    expect(shown()).toEqual([ELSEWHERE, 'something else']);
    // The owning tab closed: the library, refreshed, lists no run as live elsewhere.
    useStore.getState().setStoredRuns([], []);
    expect(shown()).toEqual(['something else']);
  });

  it('a notice dismissed by hand is not watched any more', () => {
    useStore.getState().setStoredRuns([], ['owned-by-another-tab']);
    noticeWhile(ELSEWHERE, whileLiveElsewhere);
    useStore.getState().dismissNotice(ELSEWHERE);
    useStore.getState().addNotice(ELSEWHERE);
    useStore.getState().setStoredRuns([], []);
    expect(shown()).toEqual([ELSEWHERE]);
  });
});
