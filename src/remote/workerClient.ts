// The studio's side of the worker's WebSocket protocol (docs/protocol.md, "The worker's WebSocket protocol"). One
// client per attached worker: hello with the token, requests answered by `re`, and subscriptions that survive a
// dropped connection. The worker numbers each run's reports by `seq` and sends, on subscribe, every report from
// `fromSeq` on; so after a drop the client re-subscribes from the last seq it delivered plus one, and every report
// reaches the studio exactly once. A refused token is not a drop: the worker will refuse it again, so no retry.
import type { ComparisonConfig } from '../protocol/config';
import type { EvalReport, RunRecord, StepReport } from '../protocol/report';

/** The version of the worker's messages (`v`), apart from CONFIG_VERSION, the version of the configs they carry. */
export const WIRE_VERSION = 1;

/** 'external': trained by a process the worker did not start (`train` or torchrun in a batch job), so it is
 * followed live but cannot be paused or stopped from here; 'recorded' once that process has let go of it.
 * 'queued': waiting for one of the worker's `--max-runs` training slots. */
export type RemoteRunState = 'queued' | 'training' | 'paused' | 'stopped' | 'done' | 'failed' | 'recorded' | 'external';

/** A run's state as the studio says it. */
export function stateWords(state: RemoteRunState): string {
  return state === 'external' ? 'training (external)' : state;
}

/** A run as the worker lists it; `reports` counts its telemetry lines (seq 0 to reports − 1). */
export interface RunInfo {
  id: string;
  state: RemoteRunState;
  reports: number;
  error: string | null;
  pending?: 'pause' | 'stop';
}

/** The worker's run.json: a RunRecord without its reports. */
export type RunHeader = Omit<RunRecord, 'reports' | 'evals' | 'error'> & { error?: string | null };

/** Where the link to the worker stands, with the reason in words wherever it is not simply attached. */
export type Connection =
  | { status: 'detached'; reason: string | null }
  | { status: 'connecting' }
  | { status: 'attached'; worker: string }
  | { status: 'retrying'; reason: string; attempt: number };

export interface WorkerEvents {
  connection(c: Connection): void;
  /** The worker's runs, on every attach (first and after a drop). */
  runs(runs: RunInfo[]): void;
  state(run: RunInfo): void;
  header(run: string, header: RunHeader): void;
  report(run: string, seq: number, report: StepReport | EvalReport): void;
}

/** The one thing the client needs of a WebSocket: the browser's by default, another in Node tests. */
export interface SocketHandlers {
  open(): void;
  message(text: string): void;
  close(code: number, reason: string): void;
}
export interface Socket {
  send(text: string): void;
  close(): void;
}
export type OpenSocket = (url: string, on: SocketHandlers) => Socket;

export const browserSocket: OpenSocket = (url, on) => {
  const ws = new WebSocket(url);
  ws.onopen = () => on.open();
  ws.onmessage = (e) => {
    if (typeof e.data === 'string') on.message(e.data);
  };
  ws.onclose = (e) => on.close(e.code, e.reason);
  return { send: (text) => ws.send(text), close: () => ws.close() };
};

export class WorkerError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'WorkerError';
  }
}

/** What `serve` prints, `ws://host:port/?token=T`, split into the socket's address and the token. */
export function parseWorkerUrl(text: string): { socketUrl: string; token: string } {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new Error('Not a URL: paste the ws://…/?token=… line the worker printed.');
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new Error(`A worker's URL starts with ws:// or wss://, not ${url.protocol}//.`);
  }
  const token = url.searchParams.get('token');
  if (!token) throw new Error('The URL has no ?token=…: paste the whole line the worker printed.');
  url.search = '';
  url.hash = '';
  return { socketUrl: url.toString(), token };
}

// Why the worker closed the socket, for the close codes that a retry cannot fix.
const REFUSED: Record<number, string> = {
  4001: 'the worker refused the token (paste the whole URL its `serve` printed)',
  4002: 'the worker expected a hello first',
  4003: 'the worker speaks another protocol version',
  1009: 'a message was over the worker’s size limit',
};

// Why the worker closed the socket, for the close codes that a later try can get past. After 4005 the client
// re-subscribes from the last seq it delivered, as after any drop: nothing is lost or repeated.
const BUSY: Record<number, string> = {
  1013: 'the worker has too many connections',
  4004: 'the worker heard no hello in time',
  4005: 'the studio fell too far behind what the worker sent',
};

export interface ClientOptions {
  open?: OpenSocket;
  /** Delay before reconnect attempt n (1, 2, …): doubling from 0.5 s up to 10 s. */
  retryDelayMs?: (attempt: number) => number;
}

type Message = { type: string; re?: number; [field: string]: unknown };
type Pending = { resolve: (m: Message) => void; reject: (e: Error) => void };

export class WorkerClient {
  private readonly socketUrl: string;
  private readonly token: string;
  private readonly open: OpenSocket;
  private readonly retryDelayMs: (attempt: number) => number;
  private socket: Socket | null = null;
  /** Bumped per socket, so events of a socket given up on are ignored. */
  private generation = 0;
  private welcomed = false;
  private everAttached = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private detached = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** The last seq delivered for each subscribed run (−1 before any). */
  private readonly lastSeq = new Map<string, number>();

  constructor(
    url: string,
    private readonly on: WorkerEvents,
    options: ClientOptions = {},
  ) {
    ({ socketUrl: this.socketUrl, token: this.token } = parseWorkerUrl(url));
    this.open = options.open ?? browserSocket;
    this.retryDelayMs = options.retryDelayMs ?? ((n) => Math.min(10_000, 500 * 2 ** (n - 1)));
    this.connect();
  }

  list(): Promise<RunInfo[]> {
    return this.request('list', {}).then((m) => m.runs as RunInfo[]);
  }

  start(config: ComparisonConfig, run?: string): Promise<RunInfo> {
    return this.request('start', run === undefined ? { config } : { config, run }).then((m) => m.run as RunInfo);
  }

  pause(run: string): Promise<RunInfo> {
    return this.request('pause', { run }).then((m) => m.run as RunInfo);
  }

  resume(run: string): Promise<RunInfo> {
    return this.request('resume', { run }).then((m) => m.run as RunInfo);
  }

  stop(run: string): Promise<RunInfo> {
    return this.request('stop', { run }).then((m) => m.run as RunInfo);
  }

  /** Streams the run's header and every report from `fromSeq` on, now and after every reconnect. */
  subscribe(run: string, fromSeq = 0): void {
    this.lastSeq.set(run, fromSeq - 1);
    if (this.welcomed) this.sendSubscribe(run);
  }

  unsubscribe(run: string): void {
    if (!this.lastSeq.delete(run) || !this.welcomed) return;
    this.request('unsubscribe', { run }).catch(() => undefined);
  }

  /** Leaves the worker for good: no reconnect; requests still waiting fail. */
  detach(): void {
    this.detached = true;
    this.drop('detached');
    this.on.connection({ status: 'detached', reason: null });
  }

  private connect(): void {
    const generation = ++this.generation;
    this.welcomed = false;
    this.on.connection(
      this.everAttached
        ? { status: 'retrying', reason: 'the connection dropped; re-attaching…', attempt: this.attempt }
        : { status: 'connecting' },
    );
    const mine =
      <A extends unknown[]>(f: (...a: A) => void) =>
      (...a: A) => {
        if (generation === this.generation) f(...a);
      };
    this.socket = this.open(this.socketUrl, {
      open: mine(() => this.socket?.send(JSON.stringify({ v: WIRE_VERSION, type: 'hello', token: this.token }))),
      message: mine((text: string) => this.receive(text)),
      close: mine((code: number, reason: string) => this.closed(code, reason)),
    });
  }

  private receive(text: string): void {
    let m: Message;
    try {
      m = JSON.parse(text) as Message;
    } catch {
      return; // the worker sends JSON only; anything else is not from it
    }
    switch (m.type) {
      case 'welcome':
        this.welcomed = true;
        this.everAttached = true;
        this.attempt = 0;
        this.on.connection({ status: 'attached', worker: String(m.worker) });
        for (const run of this.lastSeq.keys()) this.sendSubscribe(run);
        this.list().then(
          (runs) => this.on.runs(runs),
          () => undefined,
        );
        break;
      case 'header':
        this.on.header(m.run as string, m.header as RunHeader);
        break;
      case 'report': {
        const run = m.run as string;
        const seq = m.seq as number;
        if (this.lastSeq.has(run)) this.lastSeq.set(run, seq);
        this.on.report(run, seq, m.report as StepReport | EvalReport);
        break;
      }
      case 'state':
      case 'subscribed':
        this.on.state(m.run as RunInfo);
        break;
    }
    if (m.re === undefined) return;
    const waiting = this.pending.get(m.re);
    this.pending.delete(m.re);
    if (m.type === 'error') {
      waiting?.reject(new WorkerError(String(m.code), String(m.message), m.field as string | undefined));
    } else waiting?.resolve(m);
  }

  private sendSubscribe(run: string): void {
    const fromSeq = (this.lastSeq.get(run) ?? -1) + 1;
    this.request('subscribe', { run, fromSeq }).catch(() => undefined);
  }

  private request(type: string, fields: Record<string, unknown>): Promise<Message> {
    if (!this.welcomed || !this.socket) return Promise.reject(new Error('not attached to the worker'));
    const id = this.nextId++;
    this.socket.send(JSON.stringify({ v: WIRE_VERSION, type, id, ...fields }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  private closed(code: number, reason: string): void {
    const refused = REFUSED[code];
    // A worker that said it is busy was reached: try again, also when it has never let this client in.
    const neverReached = !this.everAttached && BUSY[code] === undefined;
    this.drop(refused ?? 'the connection dropped');
    if (refused || neverReached) {
      this.detached = true;
      const why =
        refused ??
        `could not reach the worker at ${this.socketUrl} (is \`serve\` running, and does it allow this page's ` +
          `origin with --allow-origin?)`;
      this.on.connection({ status: 'detached', reason: reason && refused ? `${why}: ${reason}` : why });
      return;
    }
    this.attempt += 1;
    const delay = this.retryDelayMs(this.attempt);
    const why = BUSY[code] ? `${BUSY[code]}${reason ? ` (${reason})` : ''}` : `the connection dropped (code ${code})`;
    this.on.connection({
      status: 'retrying',
      reason: `${why}; re-attaching in ${Math.round(delay / 100) / 10} s`,
      attempt: this.attempt,
    });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.detached) this.connect();
    }, delay);
  }

  /** Forgets the socket (its late events are ignored) and fails the requests it carried. */
  private drop(why: string): void {
    this.generation += 1;
    this.welcomed = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.socket?.close();
    this.socket = null;
    for (const p of this.pending.values()) p.reject(new Error(why));
    this.pending.clear();
  }
}
