// The studio slice on a real recorded run: a record shown and taken back is the same record, the timeline cursor
// steps from report to report, a live run's newest report means "follow", and a bad setup is said at its field.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, type RunId } from '../../../src/protocol/config';
import type { RunnerEvent } from '../../../src/protocol/messages';
import type { EvalReport, RunRecord, StepReport } from '../../../src/protocol/report';
import { useStore } from '../../../src/store/index';
import { reportSteps } from '../../../src/store/series';
import { toRecord } from '../../../src/store/studio';
import { realEvents, realRecord } from './realRecord';

let record: RunRecord;

beforeAll(async () => {
  record = await realRecord();
});

afterEach(() => {
  useStore.getState().clearComparison();
  useStore.getState().setConfig(defaultConfig());
});

describe('a recorded run on screen', () => {
  it('shown and taken back as a record (what export writes) is the same record', () => {
    useStore.getState().showRecord(record);
    expect(toRecord(useStore.getState())).toEqual(record);
  });

  it('reports in any order in the file are shown in step order', () => {
    const shuffled = structuredClone(record);
    shuffled.reports.reverse();
    shuffled.evals.reverse();
    useStore.getState().showRecord(shuffled);
    const { series } = useStore.getState();
    for (const run of [series.ep, series.iep]) {
      expect(run.reports.map((r) => r.step)).toEqual([...run.reports.map((r) => r.step)].sort((a, b) => a - b));
      expect(run.evals.map((e) => e.step)).toEqual([...run.evals.map((e) => e.step)].sort((a, b) => a - b));
    }
    expect(toRecord(useStore.getState())).toEqual(record);
  });

  it('opens at its last report, with each run’s step and total from its reports', () => {
    useStore.getState().showRecord(record);
    const s = useStore.getState();
    const last = (run: 'ep' | 'iep') => record.reports.filter((r) => r.run === run).at(-1)!;
    expect(s.mode).toBe('recorded');
    expect(s.cursor).toBe(Math.max(last('ep').step, last('iep').step));
    expect(s.runnerSteps).toEqual({ ep: last('ep').step, iep: last('iep').step });
    expect(s.comparison?.totalSteps).toEqual({ ep: last('ep').totalSteps, iep: last('iep').totalSteps });
  });

  it('scrub walks the reported steps back to the first and forward to the last, and no further', () => {
    useStore.getState().showRecord(record);
    const steps = reportSteps(useStore.getState().series);
    const back: number[] = [];
    for (let i = 0; i < steps.length + 2; i++) {
      useStore.getState().scrub(-1);
      back.push(useStore.getState().cursor!);
    }
    expect(back).toEqual([...steps.slice(0, -1).reverse(), steps[0], steps[0], steps[0]]);
    const forward: number[] = [];
    for (let i = 0; i < steps.length + 1; i++) {
      useStore.getState().scrub(1);
      forward.push(useStore.getState().cursor!);
    }
    expect(forward).toEqual([...steps.slice(1), steps.at(-1)!, steps.at(-1)!]);
  });

  it('a cursor between two reports scrubs to the neighbouring reports', () => {
    useStore.getState().showRecord(record);
    const steps = reportSteps(useStore.getState().series);
    const between = steps[1] + 1;
    expect(steps).not.toContain(between);
    useStore.getState().setCursor(between);
    useStore.getState().scrub(1);
    expect(useStore.getState().cursor).toBe(steps[2]);
    useStore.getState().setCursor(between);
    useStore.getState().scrub(-1);
    expect(useStore.getState().cursor).toBe(steps[1]);
  });
});

describe('a live run', () => {
  function liveComparison() {
    return {
      id: record.id,
      createdAt: record.createdAt,
      source: 'browser' as const,
      config: record.config,
      summary: record.summary,
      totalSteps: null,
      error: null,
      recoverable: false,
    };
  }

  function goLive() {
    const s = useStore.getState();
    s.beginLive(liveComparison());
    s.applyEvents([
      { type: 'state', state: 'running', steps: { ep: 0, iep: 0 } },
      ...record.reports.map((report) => ({ type: 'report' as const, report })),
      ...record.evals.map((report) => ({ type: 'eval' as const, report })),
    ]);
  }

  it('events fold into the same series the record holds', async () => {
    const events = await realEvents();
    const s = useStore.getState();
    s.beginLive({ ...liveComparison(), totalSteps: { ep: 16, iep: 16 } });
    // In bursts, as runnerLink flushes them.
    for (let i = 0; i < events.length; i += 5) useStore.getState().applyEvents(events.slice(i, i + 5));
    // The expectation, walked by hand from what the engine emitted: each run's reports and evaluations in order.
    const expected: Record<RunId, { reports: StepReport[]; evals: EvalReport[] }> = {
      ep: { reports: [], evals: [] },
      iep: { reports: [], evals: [] },
    };
    let lastState: RunnerEvent | undefined;
    for (const e of events) {
      if (e.type === 'report') expected[e.report.run].reports.push(e.report);
      if (e.type === 'eval') expected[e.report.run].evals.push(e.report);
      if (e.type === 'state') lastState = e;
    }
    const after = useStore.getState();
    expect(after.series).toEqual(expected);
    // 16 steps, a report every 3 and at the end; an evaluation per epoch (8 steps), per iEP cycle end (4), and final.
    for (const run of ['ep', 'iep'] as const) {
      expect(after.series[run].reports.map((r) => r.step)).toEqual([3, 6, 9, 12, 15, 16]);
    }
    expect(after.series.ep.evals.map((e) => `${e.step} ${e.reason}`)).toEqual(['8 epoch', '16 final']);
    expect(after.series.iep.evals.map((e) => `${e.step} ${e.reason}`)).toEqual([
      '4 cycle-end',
      '8 cycle-end',
      '12 cycle-end',
      '16 final',
    ]);
    expect(lastState).toEqual({ type: 'state', state: 'done', steps: { ep: 16, iep: 16 } });
    expect(after.runnerState).toBe('done');
    expect(after.runnerSteps).toEqual({ ep: 16, iep: 16 });
    expect(after.backend).toEqual({ name: 'wasm', reason: 'unit test (Node)' });
  });

  it('moving the cursor to the newest report follows the run again (cursor null); an older one stays', () => {
    goLive();
    const steps = reportSteps(useStore.getState().series);
    useStore.getState().setCursor(steps[1]);
    expect(useStore.getState().cursor).toBe(steps[1]);
    useStore.getState().setCursor(steps.at(-1)!);
    expect(useStore.getState().cursor).toBeNull();
  });

  it('an error the engine can recover from keeps the run; the next running state clears it', () => {
    goLive();
    useStore.getState().applyEvents([{ type: 'error', message: 'device lost', recoverable: true }]);
    expect(useStore.getState().comparison?.error).toBe('device lost');
    expect(useStore.getState().runnerState).toBe('running');
    useStore.getState().applyEvents([{ type: 'state', state: 'running', steps: { ep: 16, iep: 16 } }]);
    expect(useStore.getState().comparison?.error).toBeNull();
    expect(useStore.getState().series.ep.reports.length).toBe(record.reports.filter((r) => r.run === 'ep').length);
  });

  it('steps re-reported after a recovery from an older snapshot are kept once', () => {
    goLive();
    const before = toRecord(useStore.getState());
    // A recovery from a snapshot taken half-way re-runs the second half: the engine sends those reports again.
    const half = Math.floor(record.reports.length / 2);
    useStore
      .getState()
      .applyEvents([
        ...record.reports.slice(half).map((report) => ({ type: 'report' as const, report })),
        ...record.evals.map((report) => ({ type: 'eval' as const, report })),
      ]);
    expect(toRecord(useStore.getState())).toEqual(before);
  });
});

describe('the setup', () => {
  it('a bad value is said at its field, without the field’s name in front', () => {
    useStore.getState().setConfig({ ...defaultConfig(), batchSize: 0 });
    expect(useStore.getState().configError).toEqual({
      field: 'batchSize',
      message: 'must be an integer from 1 to 4096 (got 0)',
    });
    useStore.getState().setConfig(defaultConfig());
    expect(useStore.getState().configError).toBeNull();
  });
});
