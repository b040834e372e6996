// An attached worker (the PyTorch worker's `serve`): the link's state in words, the worker's runs, and the remote run
// open on screen. A remote run is shown in the same columns, charts and timeline as any run: its header makes a
// record with no reports (showRecord), then every report grows the series and the cursor follows the newest, as for
// a live run. It is recorded in IndexedDB like local runs (remoteRecorder.ts). One concern: the worker.
import type { StateCreator } from 'zustand';
import type { StoreState } from './index';
import type { ComparisonConfig } from '../protocol/config';
import type { RunnerEvent } from '../protocol/messages';
import type { RunRecord } from '../protocol/report';
import { validateRunRecord } from '../protocol/validate';
import { WorkerClient, type Connection, type RunHeader, type RunInfo, type WorkerEvents } from '../remote/workerClient';
import { listRuns } from './persistence';
import { recorderIdle } from './recorder';
import { RemoteRecording } from './remoteRecorder';
import { stopLive } from './runnerLink';
import { newestSteps } from './series';

export interface RemoteSlice {
  /** The URL pasted (with its token), while attached or trying to be. */
  workerUrl: string | null;
  workerConnection: Connection;
  /** The worker's runs as it last listed them, updated by its state messages. */
  workerRuns: RunInfo[];
  /** The remote run on screen and how many of its reports arrived since it was opened (counted in batches). */
  remoteOpen: { id: string; received: number } | null;
  /** The last refused request (a start, a pause…), in words. */
  workerError: string | null;
  attach: (url: string) => void;
  detach: () => void;
  openRemote: (runId: string) => Promise<void>;
  /** Starts a comparison on the worker and opens it. */
  startRemote: (config: ComparisonConfig) => Promise<void>;
  controlRemote: (runId: string, action: 'pause' | 'resume' | 'stop') => Promise<void>;
}

export const initialRemote = {
  workerUrl: null as string | null,
  workerConnection: { status: 'detached', reason: null } as Connection,
  workerRuns: [] as RunInfo[],
  remoteOpen: null as RemoteSlice['remoteOpen'],
  workerError: null as string | null,
};

// At most ten store updates a second however fast reports come (as runnerLink does for the engine).
const FEED_MS = 100;

let client: WorkerClient | null = null;
const recordings = new Map<string, RemoteRecording>();
/** Whether the open run's header has been shown (a re-subscribe after a drop sends the header again). */
let shown = false;
let feed: RunnerEvent[] = [];
let feedTimer: ReturnType<typeof setTimeout> | null = null;

function upsert(runs: RunInfo[], run: RunInfo): RunInfo[] {
  const i = runs.findIndex((r) => r.id === run.id);
  return i < 0 ? [...runs, run] : runs.map((r, j) => (j === i ? run : r));
}

function words(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export const createRemoteSlice: StateCreator<StoreState, [], [], RemoteSlice> = (set, get) => {
  /** The open run's comparison on screen (not another run opened since). */
  const onScreen = (id: string) => {
    const s = get();
    return s.remoteOpen?.id === id && s.comparison?.id === id && s.comparison.source === 'remote';
  };

  const flushFeed = () => {
    feedTimer = null;
    const events = feed;
    feed = [];
    const open = get().remoteOpen;
    if (!open) return;
    set({ remoteOpen: { id: open.id, received: open.received + events.length } });
    if (!onScreen(open.id)) return;
    get().applyEvents(events);
    const s = get();
    // The worker's header says nothing of the budget; each report carries its run's total.
    const totalSteps = newestSteps(s.series, 'totalSteps');
    set({ comparison: { ...s.comparison!, totalSteps }, runnerSteps: newestSteps(s.series, 'step') });
  };

  const header = (run: string, h: RunHeader) => {
    let record: RunRecord;
    try {
      record = validateRunRecord({ ...h, source: 'remote', reports: [], evals: [], error: h.error ?? null });
    } catch (e) {
      set({ workerError: `The worker's run ${run} could not be read: ${words(e)}` });
      return;
    }
    if (!recordings.has(run)) {
      const recording = new RemoteRecording(record, (error) => {
        if (error) get().setLibraryError(`Recording the remote run failed: ${error.message}`);
        else void listRuns().then((runs) => get().setStoredRuns(runs));
      });
      recordings.set(run, recording);
      // The worker's `subscribed` reply, with the run's state, comes before its header.
      const info = get().workerRuns.find((r) => r.id === run);
      if (info) recording.setState(info.state, info.error);
    }
    if (get().remoteOpen?.id !== run || shown) return;
    shown = true;
    feed = [];
    get().showRecord(record);
    // Following the newest report, as a live run does.
    set({ cursor: null, remoteOpen: { id: run, received: 0 } });
  };

  const report: WorkerEvents['report'] = (run, seq, r) => {
    recordings.get(run)?.add(seq, r);
    if (get().remoteOpen?.id !== run || !shown) return;
    feed.push(r.kind === 'step' ? { type: 'report', report: r } : { type: 'eval', report: r });
    feedTimer ??= setTimeout(flushFeed, FEED_MS);
  };

  const state = (run: RunInfo) => {
    set((s) => ({ workerRuns: upsert(s.workerRuns, run) }));
    recordings.get(run.id)?.setState(run.state, run.error);
  };

  return {
    ...initialRemote,

    attach: (url) => {
      get().detach();
      try {
        client = new WorkerClient(url, {
          connection: (c) => set({ workerConnection: c }),
          runs: (runs) => set({ workerRuns: runs }),
          state,
          header,
          report,
        });
        set({ workerUrl: url, workerError: null });
      } catch (e) {
        set({ workerConnection: { status: 'detached', reason: words(e) } });
      }
    },

    detach: () => {
      if (!client) return;
      client.detach();
      client = null;
      // What arrived is kept; runs still training on the worker are marked cut short in this browser.
      for (const r of recordings.values()) void r.cutShort();
      recordings.clear();
      shown = false;
      set({ ...initialRemote });
    },

    openRemote: async (runId) => {
      if (!client) return;
      stopLive();
      await recorderIdle();
      shown = false;
      feed = [];
      set({ remoteOpen: { id: runId, received: 0 }, workerError: null });
      // From the first report: the series is drawn whole, and stored rows are rewritten with the same values.
      client.subscribe(runId, 0);
    },

    startRemote: async (config) => {
      if (!client) return;
      try {
        const run = await client.start(config);
        set((s) => ({ workerRuns: upsert(s.workerRuns, run), workerError: null }));
        await get().openRemote(run.id);
      } catch (e) {
        set({ workerError: `The worker did not start it: ${words(e)}` });
      }
    },

    controlRemote: async (runId, action) => {
      if (!client) return;
      try {
        state(await client[action](runId));
      } catch (e) {
        set({ workerError: `The worker did not ${action} ${runId}: ${words(e)}` });
      }
    },
  };
};
