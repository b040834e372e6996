// Engines for the pool in Node: the real engine (src/engine/runner.ts) behind a port that delivers commands and events
// asynchronously and in order, as a Web Worker's postMessage does, with 'ping' answered out of turn as worker.ts does.
// What a test may do to one: crash it (the worker died), freeze it (it stops answering), hold its commands back.
import { Runner } from '../../../src/engine/runner';
import { useNodeBackend } from '../../../src/engine/node-backend';
import type { BackendChoice } from '../../../src/protocol/config';
import type { RunnerCommand, RunnerEvent } from '../../../src/protocol/messages';
import type { EnginePort, SpawnEngine } from '../../../src/runner/pool';

export interface TestEngine {
  runner: Runner;
  /** Commands it received, in order (type only). */
  commands: string[];
  crash(message: string): void;
  /** From now on it neither handles commands nor sends events: a worker wedged in a step. */
  freeze(): void;
  /** Delays every command by this many ms from now on (a slower core). */
  delayMs: number;
  closed: boolean;
}

const select = async (choice: BackendChoice) => {
  const name = choice === 'cpu' ? 'cpu' : 'wasm';
  await useNodeBackend(name);
  return { name, reason: `${name}: Node test backend` } as const;
};

const later = (ms = 0) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A SpawnEngine whose engines the test can reach: `engines` lists every one started, in order. */
export function inProcessEngines(): { spawn: SpawnEngine; engines: TestEngine[] } {
  const engines: TestEngine[] = [];
  const spawn: SpawnEngine = (hear, crash) => {
    let frozen = false;
    const engine: TestEngine = {
      runner: new Runner((event: RunnerEvent) => {
        if (!frozen && !engine.closed) void later().then(() => !frozen && !engine.closed && hear(event));
      }, select),
      commands: [],
      crash: (message) => crash(message),
      freeze: () => (frozen = true),
      delayMs: 0,
      closed: false,
    };
    let queue = Promise.resolve();
    const port: EnginePort = {
      post: (cmd: RunnerCommand) => {
        if (engine.closed || frozen) return;
        engine.commands.push(cmd.type);
        if (cmd.type === 'ping') {
          void later().then(() => !frozen && !engine.closed && hear({ type: 'pong', id: cmd.id }));
          return;
        }
        const delay = engine.delayMs;
        queue = queue.then(async () => {
          await later(delay);
          if (!frozen && !engine.closed) await engine.runner.handle(cmd);
        });
      },
      close: () => {
        engine.closed = true;
        // What a terminated worker leaves: nothing running.
        void engine.runner.current?.stop().catch(() => undefined);
      },
    };
    engines.push(engine);
    return port;
  };
  return { spawn, engines };
}
