// The first images of the training split with their labels, drawn straight from the CIFAR bytes (no tf).
import { useEffect, useRef } from 'react';
import type { CifarSplit } from '../../data/cifar';
import { GRID_COLUMNS, GRID_HEIGHT, GRID_ROWS, GRID_SCALE, GRID_WIDTH, cellOrigin } from './gridLayout';

const SIDE = 32;
const PLANE = SIDE * SIDE;

/** One CIFAR image (planar R, G, B bytes) as RGBA pixels, each source pixel a GRID_SCALE square. */
function toImageData(images: Uint8Array, k: number): ImageData {
  const size = SIDE * GRID_SCALE;
  const out = new ImageData(size, size);
  const base = k * 3 * PLANE;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const p = base + Math.floor(y / GRID_SCALE) * SIDE + Math.floor(x / GRID_SCALE);
      const o = (y * size + x) * 4;
      out.data[o] = images[p];
      out.data[o + 1] = images[p + PLANE];
      out.data[o + 2] = images[p + 2 * PLANE];
      out.data[o + 3] = 255;
    }
  }
  return out;
}

export function SampleGrid({ split, classNames }: { split: CifarSplit; classNames: string[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const shown = Math.min(split.count, GRID_COLUMNS * GRID_ROWS);

  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx) return;
    const styles = getComputedStyle(canvas.current!);
    ctx.fillStyle = styles.getPropertyValue('--surface').trim() || '#fff';
    ctx.fillRect(0, 0, GRID_WIDTH, GRID_HEIGHT);
    ctx.fillStyle = styles.getPropertyValue('--text').trim() || '#111';
    ctx.font = `14px ${styles.getPropertyValue('--font').trim() || 'sans-serif'}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (let k = 0; k < shown; k++) {
      const { x, y } = cellOrigin(k);
      // putImageData writes exact bytes: what the grid shows is what the file holds.
      ctx.putImageData(toImageData(split.images, k), x, y);
      ctx.fillText(classNames[split.labels[k]] ?? String(split.labels[k]), x + SIDE, y + SIDE * GRID_SCALE + 4);
    }
  }, [split, classNames, shown]);

  const labels = Array.from(split.labels.subarray(0, shown), (l) => classNames[l]).join(', ');
  return (
    <figure style={{ margin: 0 }}>
      <canvas
        ref={canvas}
        className="sample-grid"
        width={GRID_WIDTH}
        height={GRID_HEIGHT}
        data-testid="sample-grid"
        data-count={shown}
        role="img"
        aria-label={`The first ${shown} training images: ${labels}`}
      />
      <figcaption className="muted">
        The first {shown} training images, {GRID_SCALE}× size, with their labels.
      </figcaption>
    </figure>
  );
}
