// Where the benchmarks put their figures: one JSON file under bench-results/, with the date, the machine and its load
// (other work on the same cores moves every number here), and the figures themselves.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../test/e2e/harness';

/** Writes `figures` to `outPath` (relative to the repository) and returns the path written, relative again. */
export function writeBenchResults(
  outPath: string,
  run: { started: number; loadBefore: number },
  figures: Record<string, unknown>,
): string {
  const out = path.resolve(ROOT, outPath);
  mkdirSync(path.dirname(out), { recursive: true });
  const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadBefore: run.loadBefore };
  writeFileSync(
    out,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { ...machine, loadAfter: os.loadavg()[0] },
        wallSeconds: (Date.now() - run.started) / 1000,
        ...figures,
      },
      null,
      2,
    ),
  );
  return path.relative(ROOT, out);
}
