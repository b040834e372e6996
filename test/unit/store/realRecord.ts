// A real recorded comparison for the store's tests: a tiny EP-vs-iEP run on real CIFAR-10 (wasm backend), its events
// folded into the store exactly as the studio does, and the record taken with the studio's own toRecord.
import { Comparison } from '../../../src/engine/comparison';
import { useNodeBackend } from '../../../src/engine/node-backend';
import type { RunnerEvent } from '../../../src/protocol/messages';
import type { RunRecord } from '../../../src/protocol/report';
import { useStore } from '../../../src/store/index';
import { toRecord } from '../../../src/store/studio';
import { cifar, tinyConfig } from '../engine/helpers';

interface RealRun {
  record: RunRecord;
  /** The engine's events as it emitted them, before any store touched them. */
  events: RunnerEvent[];
}

let cached: Promise<RealRun> | null = null;

async function record(): Promise<RealRun> {
  await useNodeBackend('wasm');
  // 64 images in batches of 8 for 2 epochs: 16 steps each, 4 iEP cycles, a report every 3 steps (and at the end).
  const config = tinyConfig({ epochs: 2, reportEvery: 3, iep: { cycles: 4 } });
  const c = new Comparison(config, cifar(64, 32), { snapshots: false });
  const store = useStore.getState();
  store.beginLive({
    id: 'b2f4c1d0-3e5a-4c7b-9d1e-0a1b2c3d4e5f',
    createdAt: new Date().toISOString(),
    source: 'browser',
    config: c.config,
    summary: c.summary,
    totalSteps: c.totalSteps,
    error: null,
    recoverable: false,
  });
  const events: RunnerEvent[] = [{ type: 'backend', backend: { name: 'wasm', reason: 'unit test (Node)' } }];
  c.subscribe((e) => events.push(e));
  await c.start();
  c.dispose();
  useStore.getState().applyEvents(events);
  const r = toRecord(useStore.getState());
  if (!r) throw new Error('the store holds no comparison');
  useStore.getState().clearComparison();
  return { record: r, events };
}

/** The same real record for every test of a file (trained once); each call gets its own deep copy. */
export async function realRecord(): Promise<RunRecord> {
  cached ??= record();
  return structuredClone((await cached).record);
}

/** The engine's own events behind realRecord(), in the order it emitted them (a deep copy). */
export async function realEvents(): Promise<RunnerEvent[]> {
  cached ??= record();
  return structuredClone((await cached).events);
}
