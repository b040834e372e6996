// EP and iEP against dense training in headless Chromium: builds the page-level bench (scripts/bench/browser, which
// imports the engine directly: the worker's protocol has no dense run) and times the same net per backend.
// Usage: npx tsx scripts/bench-ep-dense-browser.ts [--backends wasm,webgl] [--model resnet20] [--width 0.25]
// [--batch 32] [--steps 3]. Writes bench-results/ep-dense-browser.json. Speed only; input is synthetic.
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { BackendName, ModelName } from '../src/protocol/config';
import { serveBenchPages } from './bench/browserPage';
import { writeBenchResults } from './benchResults';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,webgl' },
    model: { type: 'string', default: 'resnet20' },
    width: { type: 'string', default: '0.25' },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '3' },
  },
});

async function main(): Promise<void> {
  const run = { started: Date.now(), loadBefore: os.loadavg()[0] };
  const pages = await serveBenchPages();
  const rows: unknown[] = [];
  try {
    for (const backend of values.backends.split(',') as BackendName[]) {
      const { page, errors } = await pages.open();
      const args = [
        backend,
        values.model as ModelName,
        Number(values.width),
        Number(values.batch),
        Number(values.steps),
      ] as const;
      const row = await page.evaluate((a) => window.runEpDense(...a), args);
      console.log(JSON.stringify(row), errors.length ? errors : '');
      rows.push(row);
      await page.close();
    }
  } finally {
    await pages.close();
  }
  console.log(`wrote ${writeBenchResults('bench-results/ep-dense-browser.json', run, { rows })}`);
}

void main();
