// Pictures for slides and papers: the heatmaps of both runs at the timeline cursor (PNG or SVG) and the charts on
// screen (SVG, or PNG rendered from the SVG). Everything is drawn from the store's data, not screen-scraped, except
// the charts, whose SVG is the picture.
import type { RunKind } from '../../protocol/config';
import { RUN_KINDS } from '../../protocol/config';
import type { StepReport, ModelSummary } from '../../protocol/report';
import { download } from '../../store/runFiles';
import { drawHeatmap, heatmapSvgRects } from './heatmapDraw';
import { RUN_LABEL } from './colors';

const TILE = 160;
const GAP = 16;
const LABEL = 24;
const FONT = '14px system-ui, sans-serif';

export interface HeatmapSnapshot {
  summary: ModelSummary;
  reports: Record<RunKind, StepReport | null>;
}

function layout(s: HeatmapSnapshot) {
  const n = s.summary.layers.length;
  return { width: GAP + n * (TILE + GAP) + 60, height: RUN_KINDS.length * (TILE + LABEL + GAP) + GAP };
}

export async function heatmapsPng(s: HeatmapSnapshot, name: string): Promise<void> {
  const { width, height } = layout(s);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.font = FONT;
  RUN_KINDS.forEach((run, r) => {
    const y = GAP + r * (TILE + LABEL + GAP);
    const report = s.reports[run];
    ctx.fillStyle = '#111111';
    ctx.fillText(
      `${RUN_LABEL[run]}${report ? ` · step ${report.step} · p ${report.pruningRate.toFixed(3)}` : ''}`,
      GAP,
      y + 16,
    );
    s.summary.layers.forEach((layer, i) => {
      const tile = document.createElement('canvas');
      const heatmap = report?.layers.find((l) => l.name === layer.name)?.heatmap ?? null;
      drawHeatmap(tile, heatmap, TILE, TILE);
      ctx.drawImage(tile, GAP + i * (TILE + GAP), y + LABEL, TILE, TILE);
    });
  });
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (blob) download(name, blob);
}

export function heatmapsSvg(s: HeatmapSnapshot, name: string): void {
  const { width, height } = layout(s);
  const parts: string[] = [];
  RUN_KINDS.forEach((run, r) => {
    const y = GAP + r * (TILE + LABEL + GAP);
    const report = s.reports[run];
    parts.push(
      `<text x="${GAP}" y="${y + 16}" font-family="system-ui, sans-serif" font-size="14">${RUN_LABEL[run]}</text>`,
    );
    s.summary.layers.forEach((layer, i) => {
      const heatmap = report?.layers.find((l) => l.name === layer.name)?.heatmap;
      if (heatmap) parts.push(heatmapSvgRects(heatmap, GAP + i * (TILE + GAP), y + LABEL, TILE, TILE));
    });
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="#fff"/>${parts.join('')}</svg>`;
  download(name, svg, 'image/svg+xml');
}

// Chart SVGs carry their look in CSS classes; exported files get the essentials inline.
const CHART_STYLE =
  '<style>text{font:12px system-ui,sans-serif;fill:#222}.grid{stroke:#ddd}.chart-title{font-weight:600}' +
  '.chart-cursor{stroke:#555;stroke-dasharray:2 3}</style>';

/** All chart SVGs inside `root`, side by side in one SVG document. */
export function chartsSvgText(root: Element): string {
  const svgs = [...root.querySelectorAll<SVGSVGElement>('svg.line-chart')];
  let x = 0;
  let height = 0;
  const parts = svgs.map((svg) => {
    const w = Number(svg.getAttribute('width'));
    const h = Number(svg.getAttribute('height'));
    const part = `<g transform="translate(${x},0)">${svg.innerHTML}</g>`;
    x += w + 10;
    height = Math.max(height, h);
    return part;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${x}" height="${height}" viewBox="0 0 ${x} ${height}">${CHART_STYLE}<rect width="100%" height="100%" fill="#fff"/>${parts.join('')}</svg>`;
}

export function chartsSvg(root: Element, name: string): void {
  download(name, chartsSvgText(root), 'image/svg+xml');
}

export async function chartsPng(root: Element, name: string): Promise<void> {
  const text = chartsSvgText(root);
  const img = new Image();
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  try {
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('the chart SVG could not be rendered'));
      img.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = img.width * 2;
    canvas.height = img.height * 2;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.scale(2, 2);
    ctx.drawImage(img, 0, 0);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (blob) download(name, blob);
  } finally {
    URL.revokeObjectURL(url);
  }
}
