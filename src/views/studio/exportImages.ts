// Pictures for slides and papers: the heatmaps of both runs at the timeline cursor (PNG or SVG) and the charts on
// screen (SVG, or PNG rendered from the SVG). Everything is drawn from the store's data, not screen-scraped, except
// the charts, whose SVG is the picture.
import type { StepReport, ModelSummary } from '../../protocol/report';
import { download } from '../../store/runFiles';
import * as d3 from 'd3';
import { DEAD_COLOR, drawHeatmap, heatmapSvgRects, usageScale } from './heatmapDraw';
import type { RunLook } from './colors';

const TILE = 160;
const GAP = 16;
const LABEL = 24;
/** Room under each tile for the layer's name. */
const NAME = 20;
const LEGEND = 44;
const FONT = '14px system-ui, sans-serif';
const RAMP_W = 200;

function rowY(r: number): number {
  return GAP + r * (LABEL + TILE + NAME + GAP);
}

export interface HeatmapSnapshot {
  summary: ModelSummary;
  /** The runs with a mask, in the columns' order, each with its report at the timeline cursor. */
  runs: { look: RunLook; report: StepReport | null }[];
}

function layout(s: HeatmapSnapshot) {
  const n = s.summary.layers.length;
  return { width: Math.max(720, GAP + n * (TILE + GAP) + 60), height: rowY(s.runs.length) + LEGEND };
}

function tileX(i: number): number {
  return GAP + i * (TILE + GAP);
}

function runTitle(look: RunLook, report: StepReport | null): string {
  return `${look.label}${report ? ` · step ${report.step} · p ${report.pruningRate.toFixed(3)} (kept ${((1 - report.pruningRate) * 100).toFixed(1)}%)` : ''}`;
}

const LEGEND_TEXT = 'edge usage (mean selection rate over all steps so far)';

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
  s.runs.forEach(({ look, report }, r) => {
    const y = rowY(r);
    ctx.fillStyle = '#111111';
    ctx.textAlign = 'left';
    ctx.fillText(runTitle(look, report), GAP, y + 16);
    s.summary.layers.forEach((layer, i) => {
      const tile = document.createElement('canvas');
      const heatmap = report?.layers.find((l) => l.name === layer.name)?.heatmap ?? null;
      drawHeatmap(tile, heatmap, TILE, TILE);
      ctx.drawImage(tile, tileX(i), y + LABEL, TILE, TILE);
      ctx.textAlign = 'center';
      ctx.fillText(layer.name, tileX(i) + TILE / 2, y + LABEL + TILE + 15);
    });
  });
  const ly = rowY(s.runs.length);
  for (let k = 0; k < RAMP_W; k++) {
    ctx.fillStyle = usageScale(k / (RAMP_W - 1));
    ctx.fillRect(GAP + 20 + k, ly, 1, 14);
  }
  ctx.fillStyle = '#111111';
  ctx.textAlign = 'left';
  ctx.fillText('0', GAP, ly + 12);
  ctx.fillText(`1   ${LEGEND_TEXT}`, GAP + RAMP_W + 28, ly + 12);
  ctx.fillStyle = DEAD_COLOR;
  ctx.fillRect(GAP + 20, ly + 22, 20, 14);
  ctx.fillStyle = '#111111';
  ctx.fillText('never selected (dying edges only)', GAP + 48, ly + 34);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (blob) download(name, blob);
}

export function heatmapsSvg(s: HeatmapSnapshot, name: string): void {
  const { width, height } = layout(s);
  const parts: string[] = [];
  const text = (x: number, y: number, body: string, anchor = 'start') =>
    `<text x="${x}" y="${y}" text-anchor="${anchor}" font-family="system-ui, sans-serif" font-size="14">${body}</text>`;
  s.runs.forEach(({ look, report }, r) => {
    const y = rowY(r);
    parts.push(text(GAP, y + 16, runTitle(look, report)));
    s.summary.layers.forEach((layer, i) => {
      const heatmap = report?.layers.find((l) => l.name === layer.name)?.heatmap;
      if (heatmap) parts.push(heatmapSvgRects(heatmap, tileX(i), y + LABEL, TILE, TILE));
      parts.push(text(tileX(i) + TILE / 2, y + LABEL + TILE + 15, layer.name, 'middle'));
    });
  });
  const ly = rowY(s.runs.length);
  const stops = d3.range(0, 1.0001, 0.1).map((t) => `<stop offset="${t}" stop-color="${usageScale(t)}"/>`);
  parts.push(`<defs><linearGradient id="usage">${stops.join('')}</linearGradient></defs>`);
  parts.push(`<rect x="${GAP + 20}" y="${ly}" width="${RAMP_W}" height="14" fill="url(#usage)"/>`);
  parts.push(text(GAP, ly + 12, '0'), text(GAP + RAMP_W + 28, ly + 12, `1   ${LEGEND_TEXT}`));
  parts.push(`<rect x="${GAP + 20}" y="${ly + 22}" width="20" height="14" fill="${DEAD_COLOR}"/>`);
  parts.push(text(GAP + 48, ly + 34, 'never selected (dying edges only)'));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="#fff"/>${parts.join('')}</svg>`;
  download(name, svg, 'image/svg+xml');
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

// Chart SVGs carry their look in CSS classes; exported files get the essentials inline.
const CHART_STYLE =
  '<style>text{font:12px system-ui,sans-serif;fill:#222}.grid{stroke:#ddd}.chart-title{font-weight:600}' +
  '.chart-cursor{stroke:#555;stroke-dasharray:2 3}</style>';

/** All chart SVGs inside `root`, side by side in one SVG document. */
export function chartsSvgText(root: Element, looks: readonly RunLook[]): string {
  const svgs = [...root.querySelectorAll<SVGSVGElement>('svg.line-chart')];
  let x = 0;
  let height = 0;
  const legendH = 24;
  const parts = svgs.map((svg) => {
    const w = Number(svg.getAttribute('width'));
    const h = Number(svg.getAttribute('height'));
    const part = `<g transform="translate(${x},0)">${svg.innerHTML}</g>`;
    x += w + 10;
    height = Math.max(height, h);
    return part;
  });
  let lx = 0;
  const names = looks.map((l) => {
    const part = `<text x="${lx}" fill="${l.textColor}" font-weight="700">${escapeXml(l.label)}</text>`;
    lx += 8 * l.label.length + 14;
    return part;
  });
  const legend =
    `<g transform="translate(44,${height + 16})">${names.join('')}` +
    `<text x="${lx}">solid: dying ratio d_t · dashed: at the target rate · dots: test accuracy</text></g>`;
  const h = height + legendH;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${x}" height="${h}" viewBox="0 0 ${x} ${h}">${CHART_STYLE}<rect width="100%" height="100%" fill="#fff"/>${parts.join('')}${legend}</svg>`;
}

export function chartsSvg(root: Element, looks: readonly RunLook[], name: string): void {
  download(name, chartsSvgText(root, looks), 'image/svg+xml');
}

export async function chartsPng(root: Element, looks: readonly RunLook[], name: string): Promise<void> {
  const text = chartsSvgText(root, looks);
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
