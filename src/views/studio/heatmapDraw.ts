// Drawing an edge-usage heatmap on a canvas: one pixel per cell into a small bitmap, scaled up without smoothing.
// Canvas, not SVG: a layer can have thousands of cells and the maps redraw on every report.
import * as d3 from 'd3';
import type { Heatmap } from '../../protocol/report';

/** Usage in [0, 1] on viridis (perceptually even, colour-blind safe); never-selected cells in magenta. */
export const usageScale = d3.scaleSequential(d3.interpolateViridis).domain([0, 1]);
export const DEAD_COLOR = '#ff4fd8';

const LUT_SIZE = 256;
const LUT: Uint8ClampedArray = (() => {
  const lut = new Uint8ClampedArray(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) {
    const c = d3.rgb(usageScale(i / (LUT_SIZE - 1)));
    lut.set([c.r, c.g, c.b], i * 3);
  }
  return lut;
})();
const DEAD = d3.rgb(DEAD_COLOR);

export interface HeatmapGeometry {
  x: number;
  y: number;
  cell: number;
}

/** Where the cells sit inside a size x size box: square cells, centred. */
export function geometry(h: Pick<Heatmap, 'rows' | 'cols'>, width: number, height: number): HeatmapGeometry {
  const cell = Math.min(width / h.cols, height / h.rows);
  return { x: (width - cell * h.cols) / 2, y: (height - cell * h.rows) / 2, cell };
}

/** The cell under a point (CSS pixels inside the canvas), or null. */
export function cellAt(h: Heatmap, width: number, height: number, px: number, py: number) {
  const g = geometry(h, width, height);
  const col = Math.floor((px - g.x) / g.cell);
  const row = Math.floor((py - g.y) / g.cell);
  if (row < 0 || col < 0 || row >= h.rows || col >= h.cols) return null;
  return { row, col, index: row * h.cols + col };
}

export function heatmapBitmap(h: Heatmap): ImageData {
  const img = new ImageData(h.cols, h.rows);
  for (let i = 0; i < h.rows * h.cols; i++) {
    const o = i * 4;
    if (h.dead[i] >= 1) {
      img.data[o] = DEAD.r;
      img.data[o + 1] = DEAD.g;
      img.data[o + 2] = DEAD.b;
    } else {
      const k = Math.round(Math.min(1, Math.max(0, h.usage[i])) * (LUT_SIZE - 1)) * 3;
      img.data[o] = LUT[k];
      img.data[o + 1] = LUT[k + 1];
      img.data[o + 2] = LUT[k + 2];
    }
    img.data[o + 3] = 255;
  }
  return img;
}

let scratch: HTMLCanvasElement | null = null;

/**
 * A difference of edge usage (run A − run B) in [−max, max] on a diverging scale: purple where A selects a cell's
 * edges more often, orange where B does, white where they agree (PuOr: colour-blind safe).
 */
export function differenceColor(d: number, max: number): string {
  return d3.interpolatePuOr(0.5 - Math.max(-1, Math.min(1, d / max)) / 2);
}

function differenceBitmap(values: readonly number[], rows: number, cols: number, max: number): ImageData {
  const img = new ImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const c = d3.rgb(differenceColor(values[i], max));
    img.data.set([c.r, c.g, c.b, 255], i * 4);
  }
  return img;
}

/** Draws a difference map (row-major `values`, rows x cols) as drawHeatmap draws usage. */
export function drawDifference(
  canvas: HTMLCanvasElement,
  d: { values: readonly number[]; rows: number; cols: number } | null,
  max: number,
  size: number,
): void {
  paint(
    canvas,
    d && { rows: d.rows, cols: d.cols, bitmap: () => differenceBitmap(d.values, d.rows, d.cols, max) },
    size,
    size,
  );
}

/** Draws `h` into `canvas`, sized width x height CSS pixels at the screen's pixel ratio. */
export function drawHeatmap(canvas: HTMLCanvasElement, h: Heatmap | null, width: number, height: number): void {
  paint(canvas, h && { rows: h.rows, cols: h.cols, bitmap: () => heatmapBitmap(h) }, width, height);
}

function paint(
  canvas: HTMLCanvasElement,
  h: { rows: number; cols: number; bitmap: () => ImageData } | null,
  width: number,
  height: number,
): void {
  const ratio = Math.max(1, Math.round(window.devicePixelRatio || 1));
  if (canvas.width !== width * ratio || canvas.height !== height * ratio) {
    canvas.width = width * ratio;
    canvas.height = height * ratio;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  if (!h || h.rows === 0 || h.cols === 0) return;
  // One scratch canvas for all tiles: drawing is synchronous, so they never share it at the same time.
  scratch ??= document.createElement('canvas');
  const bitmap = scratch;
  bitmap.width = h.cols;
  bitmap.height = h.rows;
  bitmap.getContext('2d')?.putImageData(h.bitmap(), 0, 0);
  const g = geometry(h, width, height);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(bitmap, g.x, g.y, g.cell * h.cols, g.cell * h.rows);
}

/** The same picture as SVG rects (for export: scalable, editable). */
export function heatmapSvgRects(h: Heatmap, x0: number, y0: number, width: number, height: number): string {
  const g = geometry(h, width, height);
  const rects: string[] = [];
  for (let r = 0; r < h.rows; r++) {
    for (let c = 0; c < h.cols; c++) {
      const i = r * h.cols + c;
      const fill = h.dead[i] >= 1 ? DEAD_COLOR : usageScale(Math.min(1, Math.max(0, h.usage[i])));
      const x = (x0 + g.x + c * g.cell).toFixed(2);
      const y = (y0 + g.y + r * g.cell).toFixed(2);
      const s = g.cell.toFixed(2);
      rects.push(`<rect x="${x}" y="${y}" width="${s}" height="${s}" fill="${fill}"/>`);
    }
  }
  return rects.join('');
}
