// Reading the report series of a real recorded comparison: what the timeline shows at a step, the network-wide
// dying ratio, and the small helpers the views label with.
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord, StepReport } from '../../../src/protocol/report';
import {
  channelRange,
  commonStep,
  emptySeries,
  lastAtOrBefore,
  lastStep,
  networkDying,
  reportAt,
  reportSteps,
  secondsLeft,
  seriesOf,
  type Series,
} from '../../../src/store/series';
import { shownStep } from '../../../src/store/studio';
import { realRecord } from './realRecord';

let record: RunRecord;
let series: Series;

beforeAll(async () => {
  record = await realRecord();
  series = emptySeries(record.config);
  for (const r of record.reports) series[r.run].reports.push(r);
  for (const e of record.evals) series[e.run].evals.push(e);
});

describe('the timeline', () => {
  it('lastAtOrBefore agrees with a linear scan at every step, before the first and after the last', () => {
    for (const items of [series.ep.reports, series.iep.evals, [], [{ step: 5 }]]) {
      const end = (items.at(-1)?.step ?? 0) + 3;
      for (let step = -2; step <= end; step++) {
        let expected = -1;
        items.forEach((it, i) => it.step <= step && (expected = i));
        expect(lastAtOrBefore(items, step)).toBe(expected);
      }
    }
  });

  it('reportAt: the report shown at a step, the latest for null, none before the first', () => {
    const ep = series.ep;
    expect(reportAt(ep, null)).toBe(ep.reports.at(-1));
    expect(reportAt(ep, 0)).toBeNull();
    expect(reportAt(seriesOf(emptySeries(record.config), 'ep'), null)).toBeNull();
    expect(reportAt(seriesOf(emptySeries(), 'ep'), null)).toBeNull();
    ep.reports.forEach((r, i) => {
      expect(reportAt(ep, r.step)).toBe(r);
      // Between two reports (and after the last) the earlier one is still on screen.
      const next = ep.reports[i + 1]?.step ?? r.step + 5;
      for (let step = r.step + 1; step < next; step++) expect(reportAt(ep, step)).toBe(r);
    });
  });

  it('reportSteps is every reported step of both runs once, sorted; lastStep is the end of the timeline', () => {
    const steps = reportSteps(series);
    expect(steps).toEqual([...new Set(record.reports.map((r) => r.step))].sort((a, b) => a - b));
    expect(lastStep(series)).toBe(Math.max(...record.reports.map((r) => r.step)));
    expect(lastStep(series)).toBe(steps.at(-1));
    expect(lastStep(emptySeries())).toBe(0);
    expect(reportSteps(emptySeries())).toEqual([]);
  });
});

describe('the network’s dying ratio', () => {
  it('mean: the plain average of the layers’ ratios; weighted: never-selected edges over all edges', () => {
    for (const r of record.reports) {
      const ratios = r.layers.map((l) => l.dyingRatio);
      expect(networkDying(r.layers, record.summary, 'mean')).toBeCloseTo(
        ratios.reduce((a, b) => a + b, 0) / ratios.length,
        12,
      );
      const edges = record.summary.layers.map((l) => l.edges);
      const neverSelected = r.layers.reduce((s, l, i) => s + l.dyingRatio * edges[i], 0);
      expect(networkDying(r.layers, record.summary, 'weighted')).toBeCloseTo(
        neverSelected / record.summary.totalEdges,
        12,
      );
      const w = networkDying(r.layers, record.summary, 'weighted');
      expect(w).toBeGreaterThanOrEqual(Math.min(...ratios));
      expect(w).toBeLessThanOrEqual(Math.max(...ratios));
    }
  });

  it('the two averages differ on a real net (layers of very different sizes)', () => {
    const last = series.ep.reports.at(-1)!;
    expect(networkDying(last.layers, record.summary, 'weighted')).not.toBeCloseTo(
      networkDying(last.layers, record.summary, 'mean'),
      6,
    );
  });

  it('at target reads dyingRatioAtTarget; with no summary the weighted view falls back to the mean; no layers: NaN', () => {
    const r = series.iep.reports[0];
    const atTarget = r.layers.reduce((s, l) => s + l.dyingRatioAtTarget, 0) / r.layers.length;
    expect(networkDying(r.layers, record.summary, 'mean', true)).toBeCloseTo(atTarget, 12);
    expect(networkDying(r.layers, null, 'weighted')).toBe(networkDying(r.layers, null, 'mean'));
    expect(networkDying([], record.summary, 'mean')).toBeNaN();
  });

  it('iEP’s first report, searching denser than the target, has fewer edges dying at the target than EP', () => {
    // Both runs start from the same scores; EP's mask is already at the target, iEP's first cycle keeps more.
    const [ep, iep] = [series.ep.reports[0], series.iep.reports[0]];
    expect(iep.step).toBe(ep.step);
    expect(iep.pruningRate).toBeLessThan(ep.pruningRate);
    const atTarget = (r: StepReport) => networkDying(r.layers, record.summary, 'weighted', true);
    expect(atTarget(iep)).toBeLessThan(atTarget(ep));
    // Each step ranks exactly keptAtTarget edges inside the target fraction, so after s steps at most s times as many
    // were ever there: iEP's plain d_t, which counts its denser cycle-1 masks, sits far below that floor.
    const floor = 1 - (iep.step * record.summary.keptAtTarget) / record.summary.totalEdges;
    for (const r of [ep, iep]) expect(atTarget(r)).toBeGreaterThanOrEqual(floor - 1e-4);
    expect(networkDying(iep.layers, record.summary, 'weighted')).toBeLessThan(floor);
  });
});

describe('labels', () => {
  it('channelRange: the cells of an axis cover every channel once, in order', () => {
    for (const [cells, channels] of [
      [4, 16],
      [3, 10],
      [64, 64],
      [64, 100],
      [1, 7],
    ]) {
      const covered: number[] = [];
      for (let i = 0; i < cells; i++) {
        const [lo, hi = lo] = channelRange(i, cells, channels).split('–').map(Number);
        for (let ch = lo; ch <= hi; ch++) covered.push(ch);
      }
      expect(covered).toEqual(Array.from({ length: channels }, (_, k) => k));
    }
    expect(channelRange(1, 4, 16)).toBe('4–7');
    expect(channelRange(5, 64, 64)).toBe('5');
  });

  it('secondsLeft: none until a step is done, zero when done, else the rest at the rate so far', () => {
    expect(secondsLeft(0, 100, 10)).toBeNull();
    expect(secondsLeft(5, 100, 0)).toBeNull();
    expect(secondsLeft(100, 100, 40)).toBe(0);
    expect(secondsLeft(25, 100, 10)).toBeCloseTo(30, 12);
  });
});

describe('following a live comparison whose runs report a window apart', () => {
  /** The real record's reports of each run up to `upTo[run]`. */
  const cut = (upTo: Record<string, number>): Series =>
    Object.fromEntries(
      Object.entries(series).map(([id, r]) => [id, { ...r, reports: r.reports.filter((x) => x.step <= upTo[id]) }]),
    );

  it('shows the newest step every unfinished run has reported', () => {
    const steps = reportSteps(series);
    const [a, b] = [steps[2], steps[4]];
    const [ep, iep] = record.config.runs.map((r) => r.id);
    const totals = { [ep]: 1000, [iep]: 1000 };
    expect(commonStep(cut({ [ep]: b, [iep]: a }), totals)).toBe(a);
    // A finished run no longer holds the others back.
    expect(commonStep(cut({ [ep]: b, [iep]: a }), { ...totals, [iep]: a })).toBe(b);
    // Before every run has reported, each shows its newest.
    expect(commonStep(cut({ [ep]: b, [iep]: 0 }), totals)).toBeNull();
    const live = { mode: 'live' as const, series: cut({ [ep]: b, [iep]: a }), comparison: null };
    expect(shownStep({ ...live, cursor: null })).toBe(a);
    expect(shownStep({ ...live, cursor: b })).toBe(b);
    expect(shownStep({ ...live, mode: 'recorded', cursor: null })).toBeNull();
  });
});
