// Zoom, pan and hit-testing for a grid of cells drawn on a canvas: which cell is
// under a point, which cells are visible, where a cell is drawn. Pure: no DOM.

export interface Viewport {
  /** Canvas size in CSS pixels. */
  width: number;
  height: number;
  /** Gutters for row and column labels, in CSS pixels. */
  left: number;
  top: number;
  rows: number;
  cols: number;
  /** CSS pixels per cell. */
  scale: number;
  /** The grid coordinate (in cells, fractional) at the top-left corner of the cell area. */
  x0: number;
  y0: number;
}

/** Largest cell size, in CSS pixels. */
export const MAX_SCALE = 96;

export function areaWidth(v: Viewport): number {
  return Math.max(1, v.width - v.left);
}

export function areaHeight(v: Viewport): number {
  return Math.max(1, v.height - v.top);
}

/** The scale at which the whole grid fits. */
export function fitScale(v: Viewport): number {
  return Math.min(MAX_SCALE, areaWidth(v) / v.cols, areaHeight(v) / v.rows);
}

/** Keeps the grid on screen: no panning past its edges; centred when smaller than the area. */
export function clampView(v: Viewport): Viewport {
  const minScale = Math.min(fitScale(v), 1);
  const scale = Math.min(MAX_SCALE, Math.max(minScale, v.scale));
  const visW = areaWidth(v) / scale;
  const visH = areaHeight(v) / scale;
  const x0 = v.cols <= visW ? 0 : Math.min(Math.max(0, v.x0), v.cols - visW);
  const y0 = v.rows <= visH ? 0 : Math.min(Math.max(0, v.y0), v.rows - visH);
  return { ...v, scale, x0, y0 };
}

export function fitView(v: Viewport): Viewport {
  return clampView({ ...v, scale: fitScale(v), x0: 0, y0: 0 });
}

/** Zooms by `factor` keeping the grid point under (px, py) where it is. */
export function zoomAt(v: Viewport, factor: number, px: number, py: number): Viewport {
  const gx = v.x0 + (px - v.left) / v.scale;
  const gy = v.y0 + (py - v.top) / v.scale;
  const next = clampView({ ...v, scale: v.scale * factor });
  return clampView({ ...next, x0: gx - (px - v.left) / next.scale, y0: gy - (py - v.top) / next.scale });
}

export function panBy(v: Viewport, dx: number, dy: number): Viewport {
  return clampView({ ...v, x0: v.x0 - dx / v.scale, y0: v.y0 - dy / v.scale });
}

/** Scrolls just enough that a cell is visible. */
export function reveal(v: Viewport, row: number, col: number): Viewport {
  const visW = areaWidth(v) / v.scale;
  const visH = areaHeight(v) / v.scale;
  let { x0, y0 } = v;
  if (col < x0) x0 = col; else if (col + 1 > x0 + visW) x0 = col + 1 - visW;
  if (row < y0) y0 = row; else if (row + 1 > y0 + visH) y0 = row + 1 - visH;
  return clampView({ ...v, x0, y0 });
}

/** The cell under a point, or undefined (gutter, outside the grid). */
export function cellAt(v: Viewport, px: number, py: number): { row: number; col: number } | undefined {
  if (px < v.left || py < v.top || px >= v.width || py >= v.height) return undefined;
  const col = Math.floor(v.x0 + (px - v.left) / v.scale);
  const row = Math.floor(v.y0 + (py - v.top) / v.scale);
  return row >= 0 && row < v.rows && col >= 0 && col < v.cols ? { row, col } : undefined;
}

/** Where a cell is drawn, in CSS pixels (may be off screen). */
export function cellRect(v: Viewport, row: number, col: number): { x: number; y: number; size: number } {
  return { x: v.left + (col - v.x0) * v.scale, y: v.top + (row - v.y0) * v.scale, size: v.scale };
}

/** Half-open ranges of the rows and columns at least partly visible. */
export function visibleRange(v: Viewport): { r0: number; r1: number; c0: number; c1: number } {
  return {
    r0: Math.max(0, Math.floor(v.y0)),
    r1: Math.min(v.rows, Math.ceil(v.y0 + areaHeight(v) / v.scale)),
    c0: Math.max(0, Math.floor(v.x0)),
    c1: Math.min(v.cols, Math.ceil(v.x0 + areaWidth(v) / v.scale)),
  };
}
