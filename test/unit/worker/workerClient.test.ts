// The studio's worker client (src/remote/workerClient.ts) against the real Python worker over a real WebSocket: it
// attaches with the token from the pasted URL, starts a run, and when its connection drops mid-run it re-attaches by
// itself and re-subscribes from the next seq, so every report the worker recorded arrives exactly once, in order;
// a wrong token detaches it with the reason, with no retry. A run a batch job trains in the worker's runs folder
// (`train`, then `resume`, by hand) reaches it as "external" (it cannot be paused from the studio), every report
// once, then "recorded". A studio that falls behind is let go by the worker (4005): it says so in words, re-attaches
// and gets the rest of the history, every report once.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig, type ComparisonConfig } from '../../../src/protocol/config';
import {
  WorkerClient,
  parseWorkerUrl,
  type Connection,
  type OpenSocket,
  type RunInfo,
} from '../../../src/remote/workerClient';
import { byHand, resumeToEnd, startWorker, type WorkerProcess } from './serveProcess';
import { WsClient } from './wsClient';

const TOKEN = 'worker-client-token';
const HOLD_AFTER = 4;
// The studio's default comparison (EP and iEP), tiny: 16 steps (64 images, batch 8, 2 epochs), a report every step;
// the worker holds the run after step 4.
const CONFIG = {
  ...defaultConfig(),
  model: 'conv2',
  width: 0.0625,
  seed: 5,
  epochs: 2,
  batchSize: 8,
  reportEvery: 1,
  trainLimit: 64,
  testLimit: 16,
} satisfies ComparisonConfig;

/**
 * Node 20 has no WebSocket: the test's RFC 6455 client stands in for the browser's. `gate.open = false` refuses new
 * connections (as a worker out of reach does); `drop()` cuts the connection in use.
 */
function nodeSockets() {
  const gate = { open: true };
  let current: WsClient | null = null;
  const open: OpenSocket = (url, on) => {
    let closed = false;
    const close = (code: number, reason: string) => {
      if (!closed) on.close(code, reason);
      closed = true;
    };
    if (!gate.open) {
      queueMicrotask(() => close(1006, 'unreachable'));
      return { send: () => undefined, close: () => undefined };
    }
    let client: WsClient | null = null;
    WsClient.open(url).then(async (c) => {
      client = current = c;
      on.open();
      for (;;) {
        const m = await c.next();
        if (typeof m !== 'string') return close(m.code, m.reason);
        on.message(m);
      }
    }, () => close(1006, 'refused'));
    return { send: (text) => client?.send(text), close: () => client?.close() };
  };
  // hold() stops reading the connection in use, as a page too busy to take its messages; release() reads on.
  return { open, gate, drop: () => current?.close(), hold: () => current?.pause(), release: () => current?.resume() };
}

/** Resolves when `test` holds for a value the client reported (checked on each report, never on a clock). */
function waitFor<T>(values: T[], test: (v: T) => boolean, subscribe: (f: () => void) => void): Promise<T> {
  return new Promise((resolve) => {
    const check = () => {
      const found = values.find(test);
      if (found !== undefined) resolve(found);
    };
    subscribe(check);
    check();
  });
}

/**
 * A run a batch job recorded in the worker's runs folder, `count` reports of 15 KB each; its run.json comes last and
 * whole (written aside, then renamed), as `train` writes it: the worker takes the folder for a run once it appears.
 */
function recordedRun(runsDir: string, id: string, count: number): void {
  const dir = join(runsDir, id);
  mkdirSync(dir);
  const pad = 'x'.repeat(15_000);
  const lines = Array.from({ length: count }, (_, step) => JSON.stringify({ kind: 'step', run: 'ep', step, pad }));
  writeFileSync(join(dir, 'telemetry.jsonl'), lines.join('\n') + '\n');
  const header = { format: 'supermask-studio/run', version: 2, id, source: 'remote', config: CONFIG, summary: {} };
  writeFileSync(join(dir, '.run.json.tmp'), JSON.stringify({ ...header, createdAt: new Date().toISOString() }));
  renameSync(join(dir, '.run.json.tmp'), join(dir, 'run.json'));
}

let worker: WorkerProcess;

beforeAll(async () => {
  worker = await startWorker({ token: TOKEN, env: { SUPERMASK_HOLD_AFTER_STEP: String(HOLD_AFTER) } });
});

afterAll(() => worker.stop());

/** A WorkerClient that records everything it says, with a hook called after each event. */
function recordingClient(url: string, open: OpenSocket) {
  const seen = {
    connections: [] as Connection[],
    reports: [] as { seq: number; run: string; step: number; kind: string }[],
    states: [] as RunInfo[],
    headers: [] as string[],
  };
  let onEvent = () => undefined as void;
  const changed = (f: () => void) => {
    const before = onEvent;
    onEvent = () => {
      before();
      f();
    };
  };
  const client = new WorkerClient(
    url,
    {
      connection: (c) => (seen.connections.push(c), onEvent()),
      runs: () => onEvent(),
      state: (r) => (seen.states.push(r), onEvent()),
      header: (run) => (seen.headers.push(run), onEvent()),
      report: (_run, seq, r) => (seen.reports.push({ seq, run: r.run, step: r.step, kind: r.kind }), onEvent()),
    },
    { open, retryDelayMs: () => 20 },
  );
  return { client, seen, changed };
}

describe('the studio’s worker client', () => {
  it('reads the socket address and the token from the URL serve prints, and says what is wrong with others', () => {
    expect(parseWorkerUrl('ws://127.0.0.1:8765/?token=abc')).toEqual({
      socketUrl: 'ws://127.0.0.1:8765/',
      token: 'abc',
    });
    expect(() => parseWorkerUrl('ws://127.0.0.1:8765/')).toThrow(/no \?token/);
    expect(() => parseWorkerUrl('http://127.0.0.1:8765/?token=abc')).toThrow(/ws:\/\/ or wss:\/\//);
    expect(() => parseWorkerUrl('127.0.0.1:8765')).toThrow(/ws:\/\/|Not a URL/);
  });

  it('detaches with the reason on a wrong token, and does not retry', async () => {
    const sockets = nodeSockets();
    const wrong = worker.url.replace(`token=${TOKEN}`, 'token=nope');
    const { seen, changed } = recordingClient(wrong, sockets.open);
    const detached = await waitFor(seen.connections, (c) => c.status === 'detached', changed);
    expect(detached).toEqual({ status: 'detached', reason: expect.stringMatching(/refused the token/) });
    expect(seen.connections.some((c) => c.status === 'attached' || c.status === 'retrying')).toBe(false);
  });

  it('says a busy worker in words, retries, and attaches once the worker has room', async () => {
    // One connection may wait for its hello (half of 2), for 1 s: a socket that never says hello holds that place.
    const busy = await startWorker({ token: TOKEN, args: ['--max-connections', '2', '--hello-timeout', '1'] });
    try {
      const silent = await WsClient.open(parseWorkerUrl(busy.url).socketUrl);
      const { client, seen, changed } = recordingClient(busy.url, nodeSockets().open);
      await waitFor(seen.connections, (c) => c.status === 'attached', changed);
      client.detach();
      silent.close();
      expect(seen.connections).toContainEqual({
        status: 'retrying',
        attempt: 1,
        reason:
          'the worker has too many connections (the worker has too many connections waiting for their hello; ' +
          'try again later); re-attaching in 0 s',
      });
    } finally {
      await busy.stop();
    }
  });

  it('re-attaches after a dropped connection and delivers every report exactly once', async () => {
    const sockets = nodeSockets();
    const { client, seen, changed } = recordingClient(worker.url, sockets.open);
    await waitFor(seen.connections, (c) => c.status === 'attached', changed);
    const started = await client.start(CONFIG, 'drop');
    expect(started.state).toBe('training');
    client.subscribe('drop');
    // The worker holds the run after step 4: pause it there, then cut the connection.
    await waitFor(seen.reports, (r) => r.run === 'iep' && r.step === HOLD_AFTER && r.kind === 'step', changed);
    await client.pause('drop');
    await waitFor(seen.states, (s) => s.state === 'paused', changed);
    const beforeDrop = seen.reports.length;

    sockets.gate.open = false;
    sockets.drop();
    await waitFor(seen.connections, (c) => c.status === 'retrying' && c.reason.includes('dropped'), changed);

    // While the studio is away, another client resumes the run and it trains to its end.
    await resumeToEnd(worker, TOKEN, 'drop');
    const recorded = worker.telemetry('drop');
    expect(beforeDrop).toBeLessThan(recorded.length);

    sockets.gate.open = true;
    await waitFor(seen.reports, () => seen.reports.length >= recorded.length, changed);
    await waitFor(seen.connections, (c) => c.status === 'attached', changed);
    expect(seen.connections.filter((c) => c.status === 'attached').length).toBe(2);
    expect(seen.reports.map((r) => r.seq)).toEqual([...recorded.keys()]);
    expect(seen.reports.map(({ run, step, kind }) => ({ run, step, kind }))).toEqual(
      recorded.map(({ run, step, kind }) => ({ run, step, kind })),
    );
    // Each subscribe (the first and the re-subscribe) brings the run's header.
    expect(seen.headers).toEqual(['drop', 'drop']);
    client.detach();
    expect(seen.connections.at(-1)).toEqual({ status: 'detached', reason: null });
  });

  it('says in words that the worker let it go for falling behind (4005), re-attaches, and gets every report once', async () => {
    // A client that takes nothing for 2 s is closed with 4005.
    const behind = await startWorker({ token: TOKEN, args: ['--send-timeout', '2'] });
    try {
      const sockets = nodeSockets();
      const { client, seen, changed } = recordingClient(behind.url, sockets.open);
      await waitFor(seen.connections, (c) => c.status === 'attached', changed);
      // 20 MB of history: far more than the network's buffers and the worker's queue hold for a client not reading.
      const count = 1300;
      recordedRun(behind.runsDir, 'big', count);
      await waitFor(seen.states, (s) => s.id === 'big' && s.reports === count, changed);
      sockets.hold();
      client.subscribe('big');
      await behind.logged('closed a client: too slow');
      sockets.release();
      await waitFor(seen.reports, () => seen.reports.length >= count, changed);
      expect(seen.reports.map((r) => r.seq)).toEqual([...Array(count).keys()]);
      expect(seen.connections).toContainEqual({
        status: 'retrying',
        attempt: 1,
        reason:
          'the studio fell too far behind what the worker sent (too slow: nothing taken for 2 s; subscribe again ' +
          'from your last seq + 1); re-attaching in 0 s',
      });
      expect(seen.connections.filter((c) => c.status === 'attached').length).toBeGreaterThanOrEqual(2);
      client.detach();
    } finally {
      await behind.stop();
    }
  }, 60_000);

  it('follows a run trained outside the worker’s server, as "external", to its last report and "recorded"', async () => {
    const sockets = nodeSockets();
    const { client, seen, changed } = recordingClient(worker.url, sockets.open);
    await waitFor(seen.connections, (c) => c.status === 'attached', changed);
    const config = join(worker.runsDir, 'job.config.json');
    writeFileSync(config, JSON.stringify(CONFIG));
    // A batch job's `train`, held after step 4 until SIGTERM stops it, then its `resume` to the end.
    const job = byHand(worker, ['train', config, '--id', 'job'], { SUPERMASK_HOLD_AFTER_STEP: String(HOLD_AFTER) });
    await waitFor(seen.states, (s) => s.id === 'job' && s.state === 'external', changed);
    client.subscribe('job');
    await waitFor(seen.reports, (r) => r.run === 'iep' && r.step === HOLD_AFTER && r.kind === 'step', changed);
    await expect(client.pause('job')).rejects.toThrow(/external, not training/);
    job.process.kill('SIGTERM');
    expect(await job.exited).toBe(75); // stopped on request, its state saved
    expect(await byHand(worker, ['resume', 'job']).exited).toBe(0);
    const recorded = worker.telemetry('job');
    const last = (s: RunInfo) => s.id === 'job' && s.state === 'recorded' && s.reports === recorded.length;
    await waitFor(seen.states, last, changed);
    expect(seen.reports.map((r) => r.seq)).toEqual([...recorded.keys()]);
    expect(seen.reports.map(({ run, step, kind }) => ({ run, step, kind }))).toEqual(
      recorded.map(({ run, step, kind }) => ({ run, step, kind })),
    );
    client.detach();
  });
});
