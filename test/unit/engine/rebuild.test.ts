// A wedged engine is replaced by a new one built from the last snapshot the page kept: the engine posts each new
// snapshot before the reports it covers, and 'create' with that snapshot rebuilds the run paused where it was, going
// on exactly as the first engine would have.
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from '../../../src/engine/node-backend';
import { Runner } from '../../../src/engine/runner';
import type { DatasetPayload, EngineSnapshot, RunnerEvent } from '../../../src/protocol/messages';
import type { StepReport } from '../../../src/protocol/report';
import { cifar, cifarPayload, tinyConfig } from './helpers';

const data = cifar(64, 16);

const payload = (): DatasetPayload => cifarPayload(data);

function engine() {
  const events: RunnerEvent[] = [];
  const runner = new Runner(
    (e) => events.push(structuredClone(e)),
    async () => {
      await useNodeBackend('wasm');
      return { name: 'wasm', reason: 'wasm: Node test backend' } as const;
    },
  );
  return { runner, events };
}

const reports = (events: RunnerEvent[]) =>
  events.filter((e): e is Extract<RunnerEvent, { type: 'report' }> => e.type === 'report').map((e) => e.report);

describe('rebuilding a run in a new engine', () => {
  beforeAll(() => useNodeBackend('wasm'));

  it('snapshots go out before their reports; a new engine built from the last one goes on identically', async () => {
    const config = tinyConfig({ batchSize: 8, epochs: 2, reportEvery: 2 });
    const first = engine();
    await first.runner.handle({ type: 'init', backend: 'wasm' });
    await first.runner.handle({ type: 'create', config, dataset: payload() });
    for (let i = 0; i < 5; i++) await first.runner.current!.stepOnce();
    // Full-speed cadence: reports at steps 2 and 4, each after the snapshot that covers it (as the page receives it).
    const types = first.events.map((e) => e.type).filter((t) => t === 'snapshot' || t === 'report');
    expect(types).toEqual(['snapshot', 'report', 'report', 'snapshot', 'report', 'report']);
    const kept = first.events.filter((e) => e.type === 'snapshot').at(-1) as { snapshot: EngineSnapshot };

    // The page's copy of the snapshot (cloned, as postMessage does) rebuilds the run in a second engine, paused at 4.
    const second = engine();
    await second.runner.handle({ type: 'init', backend: 'wasm' });
    await second.runner.handle({ type: 'create', config, dataset: payload(), snapshot: kept.snapshot });
    expect(second.events.map((e) => e.type)).toEqual(['backend', 'created', 'state']);
    expect(second.events[2]).toEqual({ type: 'state', state: 'paused', steps: { ep: 4, iep: 4 } });

    // Both engines run steps 5 and 6 (the first already did 5): the reports at 6 agree but for the timing.
    await first.runner.current!.stepOnce();
    for (let i = 0; i < 2; i++) await second.runner.current!.stepOnce();
    const strip = (r: StepReport) => ({ ...r, imagesPerSecond: 0 });
    expect(reports(second.events).map(strip)).toEqual(reports(first.events).slice(-2).map(strip));
    first.runner.current!.dispose();
    second.runner.current!.dispose();
  });
});
