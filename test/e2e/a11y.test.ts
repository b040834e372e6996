// axe-core, the standard accessibility engine, on the studio's screens in a real Chromium: the idle page (loaded,
// Start ready), the library with a run file imported and shown, a live run and talk mode. No violation of impact serious or critical; any
// found are printed in words (rule, what it asks, which elements, why) so the failure says what to fix.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { AxeResults } from 'axe-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startHarness, type AppHarness } from './harness';
import { openStudio, slowDown, tinyConfig, waitForState, waitForStep } from './studioSupport';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
// A published run file (docs/results): a real EP-vs-iEP record, imported as a user would.
const RUN_FILE = join(ROOT, 'public/studies/compare-e0.5-s1.json');

interface Violation {
  id: string;
  impact: string;
  help: string;
  nodes: { target: string; summary: string }[];
}

let h: AppHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

/** The page's serious and critical axe violations. */
async function seriousViolations(page: Page): Promise<Violation[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document) => Promise<AxeResults> } }).axe;
    const results = await axe.run(document);
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? 'unknown',
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary ?? '' })),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

function inWords(violations: Violation[]): string {
  return violations
    .map(
      (v) =>
        `${v.impact}: ${v.id} (${v.help}), ${v.nodes.length} element(s):\n` +
        v.nodes.map((n) => `  ${n.target}\n    ${n.summary.replace(/\n/g, '\n    ')}`).join('\n'),
    )
    .join('\n');
}

async function expectNoSerious(page: Page, screen: string): Promise<void> {
  const found = await seriousViolations(page);
  if (found.length > 0) console.log(`axe on ${screen}:\n${inWords(found)}`);
  expect(
    found.map((v) => `${v.impact}: ${v.id}`),
    inWords(found),
  ).toEqual([]);
}

describe('accessibility (axe-core)', () => {
  it('the idle page: no serious or critical violation', async () => {
    const { page } = await openStudio(h, {});
    await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 180_000 });
    await expectNoSerious(page, 'the idle page');
  });

  it('the library with an imported run shown: no serious or critical violation', async () => {
    const { page } = await openStudio(h, {});
    await page.setInputFiles('[data-testid=import]', {
      name: 'compare-e0.5-s1.json',
      mimeType: 'application/json',
      buffer: readFileSync(RUN_FILE),
    });
    await page.waitForSelector('[data-testid=run-list] li[data-run-id]');
    await waitForState(page, 'recorded');
    await expectNoSerious(page, 'the library');
  });

  it('a live run, and talk mode: no serious or critical violation', async () => {
    const { page } = await openStudio(h, tinyConfig({ epochs: 40 }));
    await slowDown(page);
    await page.click('[data-testid=start]');
    await waitForStep(page, 'iep', 3);
    await expectNoSerious(page, 'a live run');
    await page.keyboard.press('t');
    await page.waitForSelector('.talk-keys, [data-testid=talk-keys]');
    await expectNoSerious(page, 'talk mode');
  });
});
