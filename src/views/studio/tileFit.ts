// Heatmap tiles sized to their box: on stage (talk mode) every layer at once, the largest square tile for which n
// tiles fit a box; at the desk, small multiples that fill a column's width.
import { createContext, useContext, useEffect, useLayoutEffect, useMemo, useState, type RefObject } from 'react';

const SMALLEST = 16;

/** The largest tile side (px, at most `largest`) that fits n tiles in a width x height box with `gap` between. */
export function fitTile(n: number, width: number, height: number, gap: number, largest: number): number {
  for (let side = largest; side > SMALLEST; side--) {
    const cols = Math.floor((width + gap) / (side + gap));
    const rows = Math.floor((height + gap) / (side + gap));
    if (cols * rows >= n) return side;
  }
  return SMALLEST;
}

/** While `on`, the tile side that fits n tiles in the element's box, following its size; else `fallback`. */
export function useFittedTile(
  ref: RefObject<HTMLElement | null>,
  n: number,
  on: boolean,
  gap: number,
  fallback: number,
): number {
  const [side, setSide] = useState(fallback);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!on || !el || n === 0) return;
    const update = () => setSide(fitTile(n, el.clientWidth, el.clientHeight, gap, 2 * fallback));
    update();
    const observer = new ResizeObserver(update);
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref, n, on, gap, fallback]);
  return on ? side : fallback;
}

/** On stage, columns side by side draw their tiles at one side: the smallest that each column's box fits. */
export interface TileShare {
  smallest: number | null;
  offer: (column: string, side: number) => void;
  withdraw: (column: string) => void;
}

export const TileShareContext = createContext<TileShare | null>(null);

/** The shared side for the columns under one provider (a column's header that wraps would otherwise shrink its tiles alone). */
export function useTileShare(): TileShare {
  const [sides, setSides] = useState<Record<string, number>>({});
  return useMemo(() => {
    const all = Object.values(sides);
    return {
      smallest: all.length ? Math.min(...all) : null,
      offer: (column, side) => setSides((s) => (s[column] === side ? s : { ...s, [column]: side })),
      withdraw: (column) =>
        setSides((s) => {
          if (!(column in s)) return s;
          const rest = { ...s };
          delete rest[column];
          return rest;
        }),
    };
  }, [sides]);
}

/** This column's fitted side offered to the share (while `on`), and the side to draw at. */
export function useSharedSide(column: string, fitted: number, on: boolean): number {
  const share = useContext(TileShareContext);
  const offer = share?.offer;
  const withdraw = share?.withdraw;
  useEffect(() => {
    if (!on || !offer || !withdraw) return;
    offer(column, fitted);
    return () => withdraw(column);
  }, [column, fitted, on, offer, withdraw]);
  return on && share?.smallest ? Math.min(fitted, share.smallest) : fitted;
}

/**
 * At the desk, tiles fill a column's width as small multiples: as many across as tiles of at most `largest` need,
 * each as wide as the width then allows (never under SMALLEST). The height follows from the number of layers.
 */
export function fillTile(width: number, gap: number, largest: number): number {
  if (width <= 0) return largest;
  const across = Math.max(1, Math.ceil((width + gap) / (largest + gap)));
  return Math.max(SMALLEST, Math.min(largest, Math.floor((width + gap) / across - gap)));
}

/** The width of an element's content box in whole px, rounded down (clientWidth rounds, and may round up). */
function contentWidth(el: HTMLElement): number {
  const style = getComputedStyle(el);
  const edges = ['paddingLeft', 'paddingRight', 'borderLeftWidth', 'borderRightWidth'] as const;
  return Math.floor(el.getBoundingClientRect().width - edges.reduce((sum, e) => sum + parseFloat(style[e]), 0));
}

/**
 * An element's content width in px, following its size (0 until it is laid out): things sized to fill it exactly
 * must never be half a pixel too wide, or the last of a row wraps.
 */
export function useWidth(ref: RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => setWidth(contentWidth(el));
    update();
    const observer = new ResizeObserver(update);
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}
