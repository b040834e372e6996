// The studio's side of the worker protocol (docs/protocol.md) against the real Python worker: `serve` in its own
// process on loopback, a real WebSocket, a real run on the bundled CIFAR-10 subset. Every report that comes over the
// wire must pass the app's own validator, and the run must make a RunRecord the studio can import.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalReport, StepReport } from '../../../src/protocol/report';
import { validateRunRecord, validateStepReport } from '../../../src/protocol/validate';
import { startWorker, type WorkerProcess } from './serveProcess';
import { WsClient, type Closed } from './wsClient';

const TOKEN = 'client-test-token';

// 20 steps: 80 training images in batches of 8 for 2 epochs; reports every 5 steps.
const CONFIG = {
  version: 1,
  dataset: 'cifar10-subset',
  model: 'conv2',
  width: 0.0625,
  seed: 3,
  targetPruningRate: 0.832,
  epochs: 2,
  batchSize: 8,
  learningRate: 0.1,
  momentum: 0.9,
  weightDecay: null,
  budget: 'equal-compute',
  iep: { cycles: 4, schedule: 'geometric', variant: 'soft', scores: 'carry', lrRewind: true },
  reportEvery: 5,
  trainLimit: 80,
  testLimit: 40,
  backend: 'auto',
};

type Message = { type: string; [field: string]: unknown };

let worker: WorkerProcess;
let url: string;

async function next(client: WsClient): Promise<Message> {
  const m = await client.next();
  if (typeof m !== 'string') throw new Error(`the worker closed the socket: ${m.code} ${m.reason}`);
  return JSON.parse(m) as Message;
}

async function attach(token = TOKEN): Promise<WsClient> {
  const client = await WsClient.open(url);
  client.send(JSON.stringify({ v: 1, type: 'hello', token }));
  return client;
}

beforeAll(async () => {
  worker = await startWorker({ token: TOKEN });
  url = worker.url;
});

afterAll(() => worker.stop());

describe('the Python worker over a real WebSocket', () => {
  it('prints a URL that carries the token, as the studio pastes it', () => {
    expect(new URL(url).searchParams.get('token')).toBe(TOKEN);
  });

  it('closes the socket with 4001 on a wrong token', async () => {
    const client = await attach('wrong');
    expect(((await client.next()) as Closed).code).toBe(4001);
  });

  it('runs a comparison and streams reports the app validates, making an importable RunRecord', async () => {
    const client = await attach();
    expect(await next(client)).toMatchObject({ v: 1, type: 'welcome', protocol: 1 });
    client.send(JSON.stringify({ v: 1, type: 'start', id: 1, run: 'tiny', config: CONFIG }));
    expect(await next(client)).toMatchObject({ type: 'started', re: 1, run: { id: 'tiny', state: 'training' } });
    client.send(JSON.stringify({ v: 1, type: 'subscribe', id: 2, run: 'tiny', fromSeq: 0 }));

    let header: Record<string, unknown> | null = null;
    const reports: StepReport[] = [];
    const evals: EvalReport[] = [];
    const seqs: number[] = [];
    for (;;) {
      const m = await next(client);
      expect(m.v).toBe(1);
      if (m.type === 'header') header = m.header as Record<string, unknown>;
      if (m.type === 'report') {
        seqs.push(m.seq as number);
        const report = m.report as { kind: string };
        if (report.kind === 'step') reports.push(validateStepReport(report));
        else evals.push(report as EvalReport);
      }
      const run = m.run as { state?: string } | undefined;
      if (m.type === 'state' && run?.state === 'done') break;
      expect(run?.state).not.toBe('failed');
    }
    client.close();

    expect(seqs).toEqual([...Array(seqs.length).keys()]); // none lost, none repeated
    expect(reports.map((r) => [r.run, r.step])).toEqual([
      ['ep', 5],
      ['iep', 5],
      ['ep', 10],
      ['iep', 10],
      ['ep', 15],
      ['iep', 15],
      ['ep', 20],
      ['iep', 20],
    ]);
    expect(header).not.toBeNull();
    const record = validateRunRecord({ ...header, reports, evals, error: null });
    expect(record.source).toBe('remote');
    expect(record.evals.filter((e) => e.reason === 'final')).toHaveLength(2);
  });
});
