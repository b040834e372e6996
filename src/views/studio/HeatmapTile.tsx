// One layer's edge-usage heatmap: rows are output channels, columns input channels. Hover names the cell; a click
// enlarges the layer (both runs side by side).
import { useEffect, useRef, useState } from 'react';
import type { LayerReport, LayerSummary } from '../../protocol/report';
import { channelRange } from '../../store/series';
import { cellAt, drawHeatmap } from './heatmapDraw';

interface Props {
  layer: LayerReport | undefined;
  summary: LayerSummary;
  run: string;
  size: number;
  onOpen?: () => void;
}

interface Hover {
  x: number;
  y: number;
  text: string;
}

export function HeatmapTile({ layer, summary, run, size, onOpen }: Props) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<Hover | null>(null);
  const heatmap = layer?.heatmap ?? null;

  useEffect(() => {
    if (canvasRef.current) drawHeatmap(canvasRef.current, heatmap, size, size);
  }, [heatmap, size]);

  const onMove = (e: React.MouseEvent<HTMLCanvasElement>) => {
    if (!heatmap) return;
    const rect = e.currentTarget.getBoundingClientRect();
    const px = ((e.clientX - rect.left) * size) / rect.width;
    const py = ((e.clientY - rect.top) * size) / rect.height;
    const cell = cellAt(heatmap, size, size, px, py);
    if (!cell) return setHover(null);
    const [outs, ins] = summary.shape;
    const usage = heatmap.usage[cell.index];
    const dead = heatmap.dead[cell.index];
    setHover({
      x: e.clientX - rect.left,
      y: e.clientY - rect.top,
      text:
        `${summary.name} · out ${channelRange(cell.row, heatmap.rows, outs)} ← in ` +
        `${channelRange(cell.col, heatmap.cols, ins)} · selection rate ${usage.toFixed(3)}` +
        (dead > 0 ? ` · never selected ${(dead * 100).toFixed(0)}%` : ''),
    });
  };

  return (
    <figure className="heatmap-tile" data-layer={summary.name} data-run={run} style={{ width: size }}>
      <div className="heatmap-canvas-wrap" style={{ width: size, height: size }}>
        <canvas
          ref={canvasRef}
          className="heatmap-canvas"
          style={{ width: size, height: size }}
          aria-label={`${run} edge usage, layer ${summary.name}`}
          role="img"
          onMouseMove={onMove}
          onMouseLeave={() => setHover(null)}
          onClick={onOpen}
          tabIndex={onOpen ? 0 : undefined}
          onKeyDown={(e) => {
            if (onOpen && (e.key === 'Enter' || e.key === ' ')) {
              e.preventDefault();
              e.stopPropagation();
              onOpen();
            }
          }}
        />
        {hover && (
          <div className="heatmap-hover" role="tooltip" style={{ left: hover.x, top: hover.y }}>
            {hover.text}
          </div>
        )}
      </div>
      <figcaption title={summary.name}>{summary.name}</figcaption>
    </figure>
  );
}
