// Where one search explores and another does not: per layer, edge usage of run A minus run B at the timeline cursor,
// cell by cell, on a diverging scale whose end is the largest difference shown (so small differences still show).
import { useEffect, useMemo, useRef, useState } from 'react';
import { useStore } from '../../store';
import { shownStep } from '../../store/studio';
import type { LayerReport } from '../../protocol/report';
import { reportAt, seriesOf } from '../../store/series';
import { useRunLooks } from './colors';
import { differenceColor, drawDifference } from './heatmapDraw';

const TILE = 88;

interface LayerDifference {
  name: string;
  rows: number;
  cols: number;
  values: number[];
}

/** Usage A − B per cell for every layer both reports hold at the same pooled size. */
export function usageDifference(a: readonly LayerReport[], b: readonly LayerReport[]): LayerDifference[] {
  return a.flatMap((la) => {
    const lb = b.find((l) => l.name === la.name);
    const [ha, hb] = [la.heatmap, lb?.heatmap];
    if (!hb || ha.rows !== hb.rows || ha.cols !== hb.cols) return [];
    return [{ name: la.name, rows: ha.rows, cols: ha.cols, values: ha.usage.map((u, i) => u - hb.usage[i]) }];
  });
}

/**
 * The end of the diverging scale: the largest |A − B| of any cell shown, at least 0.05. A loop, not
 * Math.max(...cells): Wide ResNet-50-2's 54 layers of 64 × 64 cells are more arguments than the call stack holds.
 */
export function differenceScale(diffs: readonly LayerDifference[]): number {
  let max = 0.05;
  for (const d of diffs) for (const v of d.values) max = Math.max(max, Math.abs(v));
  return max;
}

function DifferenceTile({ d, max }: { d: LayerDifference; max: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (ref.current) drawDifference(ref.current, d, max, TILE);
  }, [d, max]);
  return (
    <figure className="heatmap-tile" data-layer={d.name}>
      <canvas ref={ref} style={{ width: TILE, height: TILE }} aria-label={`${d.name}: usage difference`} />
      <figcaption>{d.name}</figcaption>
    </figure>
  );
}

export function DifferenceView() {
  const looks = useRunLooks().filter((l) => l.masked);
  const series = useStore((s) => s.series);
  const cursor = useStore(shownStep);
  const [picked, setPicked] = useState<[string, string] | null>(null);
  const ids = looks.map((l) => l.id);
  const [a, b] = picked && ids.includes(picked[0]) && ids.includes(picked[1]) ? picked : [ids[0], ids[1]];
  const ra = a ? reportAt(seriesOf(series, a), cursor) : null;
  const rb = b ? reportAt(seriesOf(series, b), cursor) : null;
  const diffs = useMemo(() => (ra && rb ? usageDifference(ra.layers, rb.layers) : []), [ra, rb]);
  if (looks.length < 2) return null;
  const max = differenceScale(diffs);
  const label = (id: string) => looks.find((l) => l.id === id)?.label ?? id;
  const select = (value: string, which: 0 | 1) => {
    const next: [string, string] = [a, b];
    next[which] = value;
    setPicked(next);
  };

  return (
    <section className="panel difference" aria-label="edge usage difference" data-testid="difference">
      <div className="shared-head">
        <h2>Edge usage difference</h2>
        {(['A', '− B'] as const).map((name, which) => (
          <label key={name}>
            {name}{' '}
            <select
              value={which === 0 ? a : b}
              onChange={(e) => select(e.target.value, which as 0 | 1)}
              data-testid={which === 0 ? 'difference-a' : 'difference-b'}
            >
              {looks.map((l) => (
                <option key={l.id} value={l.id}>
                  {l.label}
                </option>
              ))}
            </select>
          </label>
        ))}
        <span className="difference-scale">
          <span style={{ background: differenceColor(max, max) }} /> {label(a)} selects more · white: equal ·{' '}
          <span style={{ background: differenceColor(-max, max) }} /> {label(b)} selects more (ends at ±{max.toFixed(2)}
          )
        </span>
      </div>
      {diffs.length === 0 ? (
        <p className="muted">No reports of both runs at this step yet.</p>
      ) : (
        <div className="heatmap-grid" data-testid="difference-tiles">
          {diffs.map((d) => (
            <DifferenceTile key={d.name} d={d} max={max} />
          ))}
        </div>
      )}
    </section>
  );
}
