// Where the sample grid draws each image: shared by the grid and the end-to-end test that reads its pixels.

export const GRID_COLUMNS = 10;
export const GRID_ROWS = 4;
/** Each 32x32 image drawn at this integer scale (nearest neighbour: every source pixel is a SCALE x SCALE block). */
export const GRID_SCALE = 2;
export const GRID_GAP = 8;
export const GRID_LABEL_HEIGHT = 22;

export const CELL_WIDTH = 32 * GRID_SCALE + GRID_GAP;
export const CELL_HEIGHT = 32 * GRID_SCALE + GRID_LABEL_HEIGHT + GRID_GAP;
export const GRID_WIDTH = GRID_COLUMNS * CELL_WIDTH - GRID_GAP;
export const GRID_HEIGHT = GRID_ROWS * CELL_HEIGHT - GRID_GAP;

/** Top-left canvas pixel of image k. */
export function cellOrigin(k: number): { x: number; y: number } {
  return { x: (k % GRID_COLUMNS) * CELL_WIDTH, y: Math.floor(k / GRID_COLUMNS) * CELL_HEIGHT };
}
