import * as d3 from 'd3';
import { DEAD_COLOR, usageScale } from './heatmapDraw';
import { Explain } from './Explain';

const STOPS = d3.range(0, 1.0001, 0.1);

/** The heatmaps' one colour scale (shared by both columns), with the colour of never-selected cells. */
export function UsageLegend() {
  const gradient = `linear-gradient(to right, ${STOPS.map((t) => usageScale(t)).join(', ')})`;
  return (
    <div className="usage-legend" role="group" aria-label="heatmap legend">
      <Explain term="usage">Edge usage</Explain>
      <span className="legend-end">0</span>
      <span className="legend-ramp" style={{ background: gradient }} />
      <span className="legend-end">1</span>
      <span className="legend-swatch" style={{ background: DEAD_COLOR }} />
      <Explain term="dyingEdge">never selected</Explain>
    </div>
  );
}
