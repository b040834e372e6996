// Per-layer dying ratios: the thick bar is d_t (never selected so far), the thin one d_t at the target rate (never
// inside the target kept fraction), and the tick the current p, the most d_t can reach; kept % (1 − p) is beside.
import type { LayerReport, LayerSummary } from '../../protocol/report';
import { Explain } from './Explain';

// Deep nets get shorter rows so the bars stay on one screen.
const rowHeight = (layers: number) => (layers > 12 ? 22 : 30);
const CHAR_W = 8;
const BAR_W = 200;
const NUM_W = 150;
const HEAD = 18;

interface Props {
  layers: LayerSummary[];
  reports: LayerReport[] | null;
  pruningRate: number | null;
  color: string;
  run: string;
}

export function DyingBars({ layers, reports, pruningRate, color, run }: Props) {
  const rowH = rowHeight(layers.length);
  // Room for the longest layer name (monospace), so names like layer3.0.shortcut are never cut.
  const nameW = Math.max(60, Math.max(...layers.map((l) => l.name.length)) * CHAR_W + 12);
  const width = nameW + BAR_W + NUM_W;
  const height = HEAD + layers.length * rowH + 4;
  const byName = new Map((reports ?? []).map((l) => [l.name, l]));
  return (
    <div className="dying-bars">
      <div className="panel-label">
        <Explain term="dyingEdge">Dying ratio per layer</Explain>
      </div>
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${run} dying ratios`}
      >
        <text x={nameW + BAR_W + 8} y={12} className="dying-head">
          d_t · at target
        </text>
        {layers.map((s, i) => {
          const l = byName.get(s.name);
          const y = HEAD + i * rowH + 2;
          return (
            <g key={s.name} className="dying-row" data-layer={s.name} data-dying={l ? l.dyingRatio : ''}>
              <text x={nameW - 8} y={y + rowH / 2} dy="0.32em" textAnchor="end" className="dying-name">
                {s.name}
              </text>
              <rect x={nameW} y={y + 3} width={BAR_W} height={rowH - 8} className="dying-track" />
              {l && (
                <>
                  <rect x={nameW} y={y + 3} width={BAR_W * l.dyingRatio} height={rowH - 14} fill={color} />
                  <rect
                    x={nameW}
                    y={y + rowH - 10}
                    width={BAR_W * l.dyingRatioAtTarget}
                    height={4}
                    className="dying-target"
                  />
                </>
              )}
              {pruningRate !== null && (
                <line
                  x1={nameW + BAR_W * pruningRate}
                  x2={nameW + BAR_W * pruningRate}
                  y1={y}
                  y2={y + rowH - 2}
                  className="dying-p"
                />
              )}
              <text x={nameW + BAR_W + 8} y={y + rowH / 2} dy="0.32em" className="dying-value">
                {l ? `${l.dyingRatio.toFixed(3)} · ${l.dyingRatioAtTarget.toFixed(3)}` : '–'}
              </text>
            </g>
          );
        })}
      </svg>
      <div className="explain-line">
        Thick bar: d<sub>t</sub>, edges never selected so far. Thin bar:{' '}
        <Explain term="dyingAtTarget">at the target rate</Explain> (like for like). Tick: current p, the most d
        <sub>t</sub> can be{pruningRate !== null ? ` (kept ${((1 - pruningRate) * 100).toFixed(1)}%)` : ''}.
      </div>
    </div>
  );
}
