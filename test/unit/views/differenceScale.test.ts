// The difference view's scale over a net of Wide ResNet-50-2's size (54 masked layers, each pooled to 64 × 64 cells,
// as a real worker report of it holds): found without overflowing the call stack, which spreading 221,184 cells into
// Math.max did (the view said "Maximum call stack size exceeded" for a real remote run of that net).
import { describe, expect, it } from 'vitest';
import type { LayerReport } from '../../../src/protocol/report';
import { differenceScale, usageDifference } from '../../../src/views/studio/DifferenceView';

function layers(usage: (layer: number, cell: number) => number): LayerReport[] {
  return Array.from({ length: 54 }, (_, i) => ({
    name: `layer${i}`,
    kept: 0,
    dyingRatio: 0,
    dyingRatioAtTarget: 0,
    entered: 0,
    left: 0,
    heatmap: {
      rows: 64,
      cols: 64,
      usage: Array.from({ length: 4096 }, (_, c) => usage(i, c)),
      dead: new Array<number>(4096).fill(0),
    },
  }));
}

describe('differenceScale', () => {
  it('is the largest |A − B| over every cell of a Wide ResNet-50-2-sized report, at least 0.05', () => {
    const a = layers((i, c) => (i === 40 && c === 1234 ? 0.9 : 0.5));
    const b = layers((i, c) => (i === 7 && c === 9 ? 0.95 : 0.5));
    const diffs = usageDifference(a, b);
    expect(diffs.reduce((n, d) => n + d.values.length, 0)).toBe(54 * 4096);
    expect(differenceScale(diffs)).toBeCloseTo(0.45, 12);
    expect(differenceScale(usageDifference(a, a))).toBe(0.05);
  });
});
