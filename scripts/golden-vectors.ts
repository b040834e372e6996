// npm run golden: writes test/golden/vectors.json, the one file of golden vectors both test suites check (the
// engine in vitest, the Python worker in pytest). Run it after a deliberate change to the engine's arithmetic.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useNodeBackend } from '../src/engine/node-backend';
import { computeGoldenVectors } from './golden';

export const VECTORS_PATH = resolve(
  fileURLToPath(new URL('.', import.meta.url)),
  '..',
  'test',
  'golden',
  'vectors.json',
);

async function main(): Promise<void> {
  // The cpu backend is the reference: plain JavaScript kernels, no SIMD reassociation.
  await useNodeBackend('cpu');
  const vectors = await computeGoldenVectors();
  mkdirSync(dirname(VECTORS_PATH), { recursive: true });
  writeFileSync(VECTORS_PATH, JSON.stringify(vectors) + '\n');
  console.log(`wrote ${vectors.cases.length} cases to ${VECTORS_PATH}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`golden failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
