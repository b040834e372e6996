// Talk mode shows every layer at once: the largest square tile for which n tiles fit a box, in rows.
import { useLayoutEffect, useState, type RefObject } from 'react';

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
