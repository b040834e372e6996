// A small line chart on fixed scales (d3 for the scales and paths, React for the SVG): fixed size and domains
// passed in, so charts do not jump while data arrives and both columns read on the same axes.
import * as d3 from 'd3';

export interface Line {
  label: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
  /** Draw dots at the points (sparse series such as evaluations). */
  dots?: boolean;
}

interface Props {
  lines: Line[];
  xDomain: [number, number];
  yDomain: [number, number];
  width: number;
  height: number;
  title: string;
  yFormat?: (v: number) => string;
  /** A vertical rule at the timeline cursor. */
  cursor?: number | null;
  testId?: string;
  /** Room for talk mode's larger type (the text itself is sized by CSS). */
  large?: boolean;
}

const MARGIN = { top: 22, right: 12, bottom: 22, left: 44 };
const LARGE_MARGIN = { top: 28, right: 24, bottom: 28, left: 58 };

export function LineChart({ lines, xDomain, yDomain, width, height, title, yFormat, cursor, testId, large }: Props) {
  const M = large ? LARGE_MARGIN : MARGIN;
  const x = d3
    .scaleLinear()
    .domain(xDomain)
    .range([M.left, width - M.right]);
  const y = d3
    .scaleLinear()
    .domain(yDomain)
    .range([height - M.bottom, M.top]);
  const line = d3
    .line<[number, number]>()
    .defined((d) => Number.isFinite(d[1]))
    .x((d) => x(d[0]))
    .y((d) => y(Math.min(yDomain[1], Math.max(yDomain[0], d[1]))));
  const fmt = yFormat ?? y.tickFormat(4);
  return (
    <svg
      className="line-chart"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={title}
      data-testid={testId}
    >
      <text x={M.left} y={M.top - 8} className="chart-title">
        {title}
      </text>
      <g className="axis">
        {y.ticks(4).map((t) => (
          <g key={t} transform={`translate(0,${y(t)})`}>
            <line x1={M.left} x2={width - M.right} className="grid" />
            <text x={M.left - 5} dy="0.32em" textAnchor="end">
              {fmt(t)}
            </text>
          </g>
        ))}
        {x.ticks(4).map((t) => (
          <text key={t} x={x(t)} y={height - 5} textAnchor="middle">
            {t}
          </text>
        ))}
      </g>
      {lines.map((l) => (
        <g key={l.label} className="chart-line">
          <path
            d={line(l.points) ?? ''}
            fill="none"
            stroke={l.color}
            strokeWidth={2.5}
            strokeDasharray={l.dashed ? '6 4' : undefined}
          />
          {l.dots && l.points.map(([px, py], i) => <circle key={i} cx={x(px)} cy={y(py)} r={3.5} fill={l.color} />)}
        </g>
      ))}
      {cursor !== null && cursor !== undefined && (
        <line className="chart-cursor" x1={x(cursor)} x2={x(cursor)} y1={M.top} y2={height - M.bottom} />
      )}
    </svg>
  );
}
