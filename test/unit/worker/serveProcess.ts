// A real `python -m supermask_worker serve` on loopback for the TypeScript tests (unit and end-to-end): port 0, so
// the worker picks a free port and prints the URL the studio pastes; runs in a fresh temporary folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WsClient } from './wsClient';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';

export interface WorkerProcess {
  /** What `serve` printed: ws://127.0.0.1:PORT/?token=T. */
  url: string;
  runsDir: string;
  process: ChildProcess;
  /** Resolves once serve's log (its stderr, which goes on to the test's) has said `text`. */
  logged: (text: string) => Promise<void>;
  /** The run's telemetry.jsonl, parsed: what the worker recorded, line by line. */
  telemetry: (run: string) => { kind: string; run: string; step: number }[];
  /** Ends the server (SIGTERM: it stops its training processes) and removes its runs. */
  stop: () => Promise<void>;
}

export interface WorkerOptions {
  token: string;
  /** More arguments for `serve`, e.g. ['--allow-origin', origin]. */
  args?: string[];
  /** More environment, e.g. SUPERMASK_HOLD_AFTER_STEP to hold a run at a known step. */
  env?: Record<string, string>;
}

export function startWorker(options: WorkerOptions): Promise<WorkerProcess> {
  const runsDir = mkdtempSync(join(tmpdir(), 'worker-runs-'));
  const args = ['-m', 'supermask_worker', 'serve', '--runs-dir', runsDir, '--port', '0', '--token', options.token];
  const server = spawn(PYTHON, [...args, ...(options.args ?? [])], {
    cwd: join(REPO, 'worker'),
    // One thread: torch's reductions add in one order, and the loaded machine is not oversubscribed.
    env: { ...process.env, OMP_NUM_THREADS: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  server.stderr!.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    log += chunk.toString('utf8');
  });
  const logged = (text: string) =>
    new Promise<void>((done) => {
      const check = () => {
        if (!log.includes(text)) return;
        server.stderr!.off('data', check);
        done();
      };
      server.stderr!.on('data', check);
      check();
    });
  const stop = async () => {
    if (server.exitCode === null) {
      const exited = new Promise((done) => server.once('exit', done));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(runsDir, { recursive: true, force: true });
  };
  const telemetry = (run: string) =>
    readFileSync(join(runsDir, run, 'telemetry.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as { kind: string; run: string; step: number });
  return new Promise((resolvePrinted, reject) => {
    server.once('exit', (code) => reject(new Error(`serve exited with ${code} before printing its URL`)));
    createInterface({ input: server.stdout! }).on('line', (line) => {
      if (line.startsWith('ws://')) resolvePrinted({ url: line.trim(), runsDir, process: server, logged, telemetry, stop });
    });
  });
}

/**
 * `python -m supermask_worker ARGS --runs-dir RUNS` in a process of its own, as a batch job would write into the
 * worker's runs folder; `exited` resolves with its exit status.
 */
export function byHand(
  worker: WorkerProcess,
  args: string[],
  env: Record<string, string> = {},
): { process: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(PYTHON, ['-m', 'supermask_worker', ...args, '--runs-dir', worker.runsDir], {
    cwd: join(REPO, 'worker'),
    env: { ...process.env, OMP_NUM_THREADS: '1', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { process: child, exited: new Promise((done) => child.once('exit', done)) };
}

/**
 * Resumes a paused run from a client of its own (a script: no Origin) and resolves once the worker says it is done:
 * what another user of the worker does while the studio is away.
 */
export async function resumeToEnd(worker: WorkerProcess, token: string, run: string): Promise<void> {
  const other = await WsClient.open(worker.url);
  other.send(JSON.stringify({ v: 1, type: 'hello', token }));
  // Subscribed past the end: only state messages come back.
  other.send(JSON.stringify({ v: 1, type: 'subscribe', run, fromSeq: 1_000_000 }));
  other.send(JSON.stringify({ v: 1, type: 'resume', run }));
  for (;;) {
    const m = await other.next();
    if (typeof m !== 'string') throw new Error(`the worker closed the socket: ${m.code} ${m.reason}`);
    const msg = JSON.parse(m) as { type: string; run?: { state: string; error: string | null } };
    if (msg.type === 'error') throw new Error(`the worker refused: ${m}`);
    if (msg.type === 'state' && msg.run?.state === 'done') break;
    if (msg.run?.state === 'failed') throw new Error(`run ${run} failed: ${msg.run.error}`);
  }
  other.close();
}
