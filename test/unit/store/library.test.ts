// Importing a run file that is malformed or foreign: refused with a message saying why, and the run on screen stays.
// (Storing, listing and opening runs need IndexedDB: the browser e2e tests cover them.)
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/protocol/report';
import { useStore } from '../../../src/store/index';
import { importFile } from '../../../src/store/library';
import { realRecord } from './realRecord';

let record: RunRecord;

beforeAll(async () => {
  record = await realRecord();
});

afterEach(() => {
  useStore.getState().clearComparison();
  useStore.getState().setLibraryError(null);
});

const file = (text: string, name: string) => new File([text], name, { type: 'application/json' });

describe('import of a bad file', () => {
  const cases: [string, string, RegExp][] = [
    ['notes.json', 'this is not json', /^Import rejected: notes\.json is not JSON/],
    [
      'package.json',
      '{"name":"supermask-studio","version":"0.1.0"}',
      /^Import rejected: package\.json: Not a Supermask/,
    ],
    ['cut.json', '', /^Import rejected: cut\.json is not JSON/],
  ];

  for (const [name, text, message] of cases) {
    it(`${name}: refused, said why, the run on screen kept`, async () => {
      useStore.getState().showRecord(record);
      const before = useStore.getState();
      expect(await importFile(file(text, name))).toBe(false);
      const after = useStore.getState();
      expect(after.libraryError).toMatch(message);
      expect(after.comparison).toBe(before.comparison);
      expect(after.series).toBe(before.series);
      expect(after.mode).toBe('recorded');
    });
  }

  it('a run record cut off half way (a failed download): refused', async () => {
    const json = JSON.stringify(record);
    expect(await importFile(file(json.slice(0, json.length >> 1), 'half.json'))).toBe(false);
    expect(useStore.getState().libraryError).toMatch(/^Import rejected: half\.json is not JSON/);
    expect(useStore.getState().mode).toBe('empty');
  });
});
