// The studio's state: the setup being edited, the comparison on screen (live from the engine, or a recorded run
// replayed), the timeline cursor and the UI switches. Views read it with selectors and call these actions; the
// engine's events come in through applyEvents (see engineSession.ts), batched.
import type { StateCreator } from 'zustand';
import type { StoreState } from './index';
import { defaultConfig, CONFIG_VERSION, type ComparisonConfig, type RunId } from '../protocol/config';
import type { RunnerEvent, RunnerState } from '../protocol/messages';
import type { BackendInfo, ModelSummary, RunRecord } from '../protocol/report';
import { tabLimitProblem } from '../protocol/memory';
import { canShareMemory, fittedLayout, pageCores } from '../runner/pool';
import { ConfigError, validateConfig } from '../protocol/validate';
import type { RunMeta } from './persistence';
import {
  commonStep,
  emptySeries,
  lastStep,
  newestSteps,
  reportSteps,
  type DyingAverage,
  type RunSeries,
  type Series,
} from './series';

export interface FieldError {
  field: string;
  message: string;
  /** Only this tab cannot run the config (a net only a worker builds, more memory than a tab has): a worker may. */
  tabOnly?: boolean;
}

/** 'live': driven by the engine in this tab. 'recorded': a stored or imported run, replayed without training. */
export type ViewMode = 'empty' | 'live' | 'recorded';

export interface Comparison {
  id: string;
  createdAt: string;
  source: RunRecord['source'];
  config: ComparisonConfig;
  summary: ModelSummary | null;
  totalSteps: Record<RunId, number> | null;
  error: string | null;
  /** The engine can go on from its last snapshot after 'init' with another backend (e.g. a lost WebGPU device). */
  recoverable: boolean;
}

export const REPLAY_SPEEDS = [1, 2, 5, 10, 25, 100] as const;

export interface StudioSlice {
  /** The setup being edited (applies to the next Start). */
  config: ComparisonConfig;
  configError: FieldError | null;
  /**
   * Things said once, each shown until dismissed (why a link's config was not used, a run recovered after a reload,
   * a run live in another tab): one never hides another.
   */
  notices: string[];

  mode: ViewMode;
  comparison: Comparison | null;
  series: Series;
  backend: BackendInfo | null;
  runnerState: RunnerState;
  runnerSteps: Record<RunId, number>;
  /** Seconds spent running up to the last event batch (paused time excluded), for images/s and time left. */
  runningSeconds: number;
  /** performance.now() of the last batch while running; null while not running. */
  runningSince: number | null;
  delayMs: number;
  /**
   * The live run's backend has made no step for a while after Start (a GPU emulated on the CPU can take minutes for
   * one): said in words, with wasm offered. Null otherwise.
   */
  stalled: string | null;

  /** Timeline position in steps; null follows the newest report. */
  cursor: number | null;
  replayPlaying: boolean;
  /** Report stops per second during replay. */
  replaySpeed: number;

  talkMode: boolean;
  enlargedLayer: string | null;
  dyingAverage: DyingAverage;

  /** Runs recorded in this browser (IndexedDB), newest first. */
  storedRuns: RunMeta[];
  /** Ids of stored runs training in another tab of this browser right now. */
  runsLiveElsewhere: string[];
  /** The last import or storage problem, said in words; nothing stored changes when it is set. */
  libraryError: string | null;

  setConfig: (config: ComparisonConfig) => void;
  setStalled: (text: string | null) => void;
  addNotice: (notice: string) => void;
  dismissNotice: (notice: string) => void;
  /** Folds engine events into the state, in order, in one update. */
  applyEvents: (events: RunnerEvent[]) => void;
  beginLive: (comparison: Comparison) => void;
  showRecord: (record: RunRecord) => void;
  /** A stored run goes on live from where its reports end (the engine rebuilds it from its stored snapshot). */
  resumeLive: (record: RunRecord) => void;
  clearComparison: () => void;
  setDelay: (delayMs: number) => void;
  setCursor: (step: number | null) => void;
  /** Moves the cursor to the previous (-1) or next (+1) reported step. */
  scrub: (direction: -1 | 1) => void;
  setReplayPlaying: (playing: boolean) => void;
  setReplaySpeed: (speed: number) => void;
  toggleTalkMode: () => void;
  setEnlargedLayer: (name: string | null) => void;
  setDyingAverage: (average: DyingAverage) => void;
  setStoredRuns: (runs: RunMeta[], liveElsewhere?: string[]) => void;
  setLibraryError: (message: string | null) => void;
}

/** ConfigError messages start with their field; shown at that field, the prefix is noise. */
function withoutField(field: string, message: string): string {
  const prefix = `${field}: `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

function fieldError(e: unknown): FieldError {
  if (e instanceof ConfigError) return { field: e.field, message: withoutField(e.field, e.message) };
  return { field: 'config', message: String(e) };
}

function checkConfig(config: ComparisonConfig): FieldError | null {
  try {
    // The protocol's ranges first, then what this tab can run (protocol/memory.ts).
    const valid = validateConfig(config);
    // Each engine worker the comparison will be spread over holds its runs' share, and the data.
    const { workers } = fittedLayout(valid, pageCores(), valid.backend);
    const problem = tabLimitProblem(valid, undefined, workers, canShareMemory());
    return problem ? { ...fieldError(problem), tabOnly: true } : null;
  } catch (e) {
    return fieldError(e);
  }
}

/**
 * The step every view shows: the timeline cursor, or while following a live run the step every unfinished run has
 * reported (null: each run's newest).
 */
export function shownStep(s: Pick<StudioSlice, 'cursor' | 'mode' | 'series' | 'comparison'>): number | null {
  if (s.cursor !== null || s.mode !== 'live') return s.cursor;
  return commonStep(s.series, s.comparison?.totalSteps ?? null);
}

/** The comparison on screen as a RunRecord (what export writes and persistence stores). */
export function toRecord(state: Pick<StudioSlice, 'comparison' | 'series' | 'backend'>): RunRecord | null {
  const c = state.comparison;
  if (!c || !c.summary) return null;
  return {
    format: 'supermask-studio/run',
    version: CONFIG_VERSION,
    id: c.id,
    createdAt: c.createdAt,
    source: c.source,
    backend: state.backend,
    config: c.config,
    summary: c.summary,
    reports: c.config.runs.flatMap((r) => state.series[r.id]?.reports ?? []),
    evals: c.config.runs.flatMap((r) => state.series[r.id]?.evals ?? []),
    error: c.error,
  };
}

function recordSeries(record: RunRecord): Series {
  const series = emptySeries(record.config);
  // validateRunRecord lets no report name a run its config lacks; a stored one is skipped rather than crash a view.
  for (const r of record.reports) series[r.run]?.reports.push(r);
  for (const e of record.evals) series[e.run]?.evals.push(e);
  for (const run of Object.values(series)) {
    run.reports.sort((a, b) => a.step - b.step);
    run.evals.sort((a, b) => a.step - b.step);
  }
  return series;
}

export const createStudioSlice: StateCreator<StoreState, [], [], StudioSlice> = (set, get) => ({
  config: defaultConfig(),
  configError: null,
  stalled: null,
  notices: [],
  mode: 'empty',
  comparison: null,
  series: emptySeries(),
  backend: null,
  runnerState: 'idle',
  runnerSteps: {},
  runningSeconds: 0,
  runningSince: null,
  delayMs: 0,
  cursor: null,
  replayPlaying: false,
  replaySpeed: 5,
  talkMode: false,
  enlargedLayer: null,
  dyingAverage: 'mean',
  storedRuns: [],
  runsLiveElsewhere: [],
  libraryError: null,

  setConfig: (config) => set({ config, configError: checkConfig(config) }),
  setStalled: (stalled) => set({ stalled }),
  addNotice: (notice) => set((s) => ({ notices: s.notices.includes(notice) ? s.notices : [...s.notices, notice] })),
  dismissNotice: (notice) => set((s) => ({ notices: s.notices.filter((n) => n !== notice) })),

  applyEvents: (events) => {
    if (events.length === 0) return;
    const s = get();
    let { comparison, backend, runnerState, runnerSteps, runningSeconds, runningSince, configError } = s;
    let series = s.series;
    // Copy-on-write: the series (and every view reading it) only changes when reports arrive.
    const grow = (run: RunId): RunSeries => {
      if (series === s.series) series = Object.fromEntries(Object.entries(s.series).map(([id, r]) => [id, { ...r }]));
      series[run] ??= { reports: [], evals: [] };
      return series[run];
    };
    const now = performance.now();
    // The running time is brought up to date on every batch, so views read it without a clock of their own.
    if (runningSince !== null) {
      runningSeconds += (now - runningSince) / 1000;
      runningSince = now;
    }
    for (const ev of events) {
      switch (ev.type) {
        case 'backend':
          backend = ev.backend;
          break;
        case 'created':
          if (comparison) comparison = { ...comparison, summary: ev.summary, totalSteps: ev.totalSteps };
          break;
        case 'state':
          // Back to paused or running after an error: the engine recovered, the run goes on.
          if (comparison?.error && (ev.state === 'paused' || ev.state === 'running')) {
            comparison = { ...comparison, error: null, recoverable: false };
          }
          if (ev.state === 'running' && runningSince === null) runningSince = now;
          if (ev.state !== 'running') runningSince = null;
          runnerState = ev.state;
          runnerSteps = ev.steps;
          break;
        // After a recovery from a snapshot older than the last report (big nets snapshot once a minute), the engine
        // re-runs and re-reports steps the series already has: the run is deterministic, so the first copy is kept.
        case 'report': {
          const last = series[ev.report.run]?.reports.at(-1);
          if (last && ev.report.step <= last.step) break;
          const run = grow(ev.report.run);
          run.reports = [...run.reports, ev.report];
          break;
        }
        case 'eval': {
          const { step, reason } = ev.report;
          if (series[ev.report.run]?.evals.some((e) => e.step === step && e.reason === reason)) break;
          const run = grow(ev.report.run);
          run.evals = [...run.evals, ev.report];
          break;
        }
        case 'error':
          if (!ev.recoverable) runnerState = 'error';
          if (comparison) comparison = { ...comparison, error: ev.message, recoverable: ev.recoverable === true };
          // A config the engine refused is said at its field, like the setup's own checks.
          if (ev.field) configError = { field: ev.field, message: withoutField(ev.field, ev.message) };
          break;
      }
    }
    set({ comparison, backend, runnerState, runnerSteps, runningSeconds, runningSince, series, configError });
  },

  beginLive: (comparison) =>
    set({
      mode: 'live',
      comparison,
      series: emptySeries(comparison.config),
      runnerState: 'idle',
      runnerSteps: {},
      runningSeconds: 0,
      runningSince: null,
      cursor: null,
      replayPlaying: false,
      enlargedLayer: null,
    }),

  showRecord: (record) => {
    const series = recordSeries(record);
    const steps = reportSteps(series);
    set({
      mode: 'recorded',
      comparison: {
        id: record.id,
        createdAt: record.createdAt,
        source: record.source,
        config: record.config,
        summary: record.summary,
        totalSteps: newestSteps(series, 'totalSteps'),
        error: record.error,
        recoverable: false,
      },
      series,
      backend: record.backend,
      runnerState: 'idle',
      runnerSteps: newestSteps(series, 'step'),
      // A run cut short on several engines may end a report apart: the timeline stops where every run has reported.
      cursor: commonStep(series, newestSteps(series, 'totalSteps')) ?? (steps.length ? steps[steps.length - 1] : null),
      replayPlaying: false,
      enlargedLayer: null,
    });
  },

  resumeLive: (record) => {
    get().showRecord(record);
    set({
      mode: 'live',
      comparison: { ...get().comparison!, error: null },
      runnerState: 'idle',
      runningSeconds: 0,
      runningSince: null,
      cursor: null,
    });
  },

  clearComparison: () =>
    set({
      mode: 'empty',
      comparison: null,
      series: emptySeries(),
      runnerState: 'idle',
      runnerSteps: {},
      runningSeconds: 0,
      runningSince: null,
      cursor: null,
      replayPlaying: false,
      enlargedLayer: null,
    }),

  setDelay: (delayMs) => set({ delayMs }),

  setCursor: (step) => {
    // Scrubbing to the newest report of a live run means "follow it again".
    const live = get().mode === 'live';
    set({ cursor: live && step !== null && step >= lastStep(get().series) ? null : step });
  },

  scrub: (direction) => {
    const { series, cursor } = get();
    const steps = reportSteps(series);
    if (steps.length === 0) return;
    const at = cursor ?? steps[steps.length - 1];
    let i = steps.findIndex((st) => st >= at);
    if (i < 0) i = steps.length - 1;
    // steps[i] is the first stop at or after the cursor.
    if (direction < 0) i -= 1;
    else if (steps[i] === at) i += 1;
    get().setCursor(steps[Math.min(Math.max(i, 0), steps.length - 1)]);
  },

  setReplayPlaying: (playing) => set({ replayPlaying: playing }),
  setReplaySpeed: (speed) => set({ replaySpeed: speed }),
  toggleTalkMode: () => set((s) => ({ talkMode: !s.talkMode })),
  setEnlargedLayer: (name) => set({ enlargedLayer: name }),
  setDyingAverage: (average) => set({ dyingAverage: average }),
  setStoredRuns: (runs, liveElsewhere) =>
    set((s) => ({ storedRuns: runs, runsLiveElsewhere: liveElsewhere ?? s.runsLiveElsewhere })),
  setLibraryError: (message) => set({ libraryError: message }),
});
