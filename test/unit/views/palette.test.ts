// Text contrast (WCAG AA, at least 4.5:1) for every run's text colour on every surface a label sits on, with the
// surfaces read from theme.css itself, so the check follows the theme. The line colours stay the Okabe–Ito palette;
// the text shades must keep its hues, or a run's label would not match its line.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RUN_COLORS } from '../../../src/views/studio/palette';

const theme = readFileSync(new URL('../../../src/views/theme.css', import.meta.url), 'utf8');

function cssVar(name: string): string {
  const m = new RegExp(`--${name}:\\s*(#[0-9a-fA-F]{6})\\s*;`).exec(theme);
  if (!m) throw new Error(`theme.css has no --${name} as #rrggbb`);
  return m[1];
}

function rgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

// WCAG 2.x relative luminance and contrast ratio.
function luminance(hex: string): number {
  const [r, g, b] = rgb(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

function hue(hex: string): number {
  const [r, g, b] = rgb(hex).map((c) => c / 255);
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}

const SURFACES = ['bg', 'surface', 'surface-sunken'] as const;

describe('run colours', () => {
  for (const [i, { line, text }] of RUN_COLORS.entries()) {
    for (const surface of SURFACES) {
      it(`run ${i + 1}'s text ${text} reads on --${surface}`, () => {
        expect(contrast(text, cssVar(surface))).toBeGreaterThanOrEqual(4.5);
      });
    }
    it(`run ${i + 1}'s text ${text} is its line ${line}'s hue`, () => {
      expect(Math.abs(hue(text) - hue(line))).toBeLessThan(3);
    });
  }
});

describe('theme text colours', () => {
  for (const name of ['text', 'text-muted', 'warn', 'danger']) {
    it(`--${name} reads on the page (--bg)`, () => {
      expect(contrast(cssVar(name), cssVar('bg'))).toBeGreaterThanOrEqual(4.5);
    });
  }
});
