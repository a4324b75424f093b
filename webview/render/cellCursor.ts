// The keyboard cell cursor of a heatmap: which key moves it how, and where it
// lands on the displayed matrix (any tensor shown as rows × columns, with the
// gaps between channel tiles skipped). Pure: no DOM, unit-tested.

export interface GridCell {
  row: number;
  col: number;
}

/** The displayed matrix as the cursor sees it; `isCell` is false on gaps (a DisplayMatrix's indexAt is undefined there). */
export interface CursorGrid {
  rows: number;
  cols: number;
  isCell(row: number, col: number): boolean;
}

export type CursorMove =
  /** Relative: arrows (1), Shift+arrows (10), PageUp/PageDown (a screen of rows). */
  | { kind: 'by'; rows: number; cols: number }
  /** To the first or last row or column, keeping the other: Home/End, Ctrl/Cmd+arrows. */
  | { kind: 'edge'; axis: 'row' | 'col'; to: 'start' | 'end' }
  /** The first or last cell: Ctrl/Cmd+Home/End. */
  | { kind: 'corner'; to: 'start' | 'end' };

/** Cells Shift+arrows move. */
export const SHIFT_STEP = 10;

/**
 * The move a key makes, or undefined when the key is not a cursor key.
 * `jump` is Ctrl or Cmd; `page` is how many rows PageUp/PageDown move (a screen's worth).
 */
export function moveForKey(key: string, mods: { jump: boolean; shift: boolean }, page: number): CursorMove | undefined {
  const step = mods.shift ? SHIFT_STEP : 1;
  const pageRows = Math.max(1, Math.floor(page));
  switch (key) {
    case 'ArrowUp': return mods.jump ? { kind: 'edge', axis: 'row', to: 'start' } : { kind: 'by', rows: -step, cols: 0 };
    case 'ArrowDown': return mods.jump ? { kind: 'edge', axis: 'row', to: 'end' } : { kind: 'by', rows: step, cols: 0 };
    case 'ArrowLeft': return mods.jump ? { kind: 'edge', axis: 'col', to: 'start' } : { kind: 'by', rows: 0, cols: -step };
    case 'ArrowRight': return mods.jump ? { kind: 'edge', axis: 'col', to: 'end' } : { kind: 'by', rows: 0, cols: step };
    case 'PageUp': return { kind: 'by', rows: -pageRows, cols: 0 };
    case 'PageDown': return { kind: 'by', rows: pageRows, cols: 0 };
    case 'Home': return mods.jump ? { kind: 'corner', to: 'start' } : { kind: 'edge', axis: 'col', to: 'start' };
    case 'End': return mods.jump ? { kind: 'corner', to: 'end' } : { kind: 'edge', axis: 'col', to: 'end' };
    default: return undefined;
  }
}

const clamp = (x: number, hi: number) => Math.max(0, Math.min(hi, x));

/** Walks from `start` by `step` while inside the grid; the first real cell met, if any (`stop` ends the walk early). */
function walk(grid: CursorGrid, start: GridCell, step: GridCell, stop?: GridCell): GridCell | undefined {
  for (let { row, col } = start; row >= 0 && row < grid.rows && col >= 0 && col < grid.cols; row += step.row, col += step.col) {
    if (grid.isCell(row, col)) return { row, col };
    if (stop && row === stop.row && col === stop.col) return undefined;
  }
  return undefined;
}

/**
 * Where `move` takes the cursor from `from`: clamped to the grid, and off gaps
 * (a step onto a gap carries on to the next cell that way; past the last one it
 * falls back toward where it came from). An empty grid keeps the cursor at 0, 0.
 */
export function moveCursor(grid: CursorGrid, from: GridCell, move: CursorMove): GridCell {
  if (grid.rows <= 0 || grid.cols <= 0) return { row: 0, col: 0 };
  const start = { row: clamp(from.row, grid.rows - 1), col: clamp(from.col, grid.cols - 1) };
  let target: GridCell;
  if (move.kind === 'by') target = { row: start.row + move.rows, col: start.col + move.cols };
  else if (move.kind === 'edge') {
    const end = move.axis === 'row' ? grid.rows - 1 : grid.cols - 1;
    const at = move.to === 'start' ? 0 : end;
    target = move.axis === 'row' ? { row: at, col: start.col } : { row: start.row, col: at };
  } else target = move.to === 'start' ? { row: 0, col: 0 } : { row: grid.rows - 1, col: grid.cols - 1 };
  target = { row: clamp(target.row, grid.rows - 1), col: clamp(target.col, grid.cols - 1) };
  if (grid.isCell(target.row, target.col)) return target;
  const dir = { row: Math.sign(target.row - start.row), col: Math.sign(target.col - start.col) };
  if (dir.row === 0 && dir.col === 0) return grid.isCell(start.row, start.col) ? start : firstCell(grid);
  const back = { row: -dir.row, col: -dir.col };
  return walk(grid, target, dir) ?? walk(grid, target, back, start) ?? (grid.isCell(start.row, start.col) ? start : firstCell(grid));
}

/** The first real cell in reading order (0, 0 for a grid without any). */
export function firstCell(grid: CursorGrid): GridCell {
  for (let row = 0; row < grid.rows; row++) for (let col = 0; col < grid.cols; col++) if (grid.isCell(row, col)) return { row, col };
  return { row: 0, col: 0 };
}

/** How many whole rows a view of `height` pixels at `scale` pixels a row shows, less one kept for context (at least 1). */
export function pageRows(height: number, scale: number): number {
  return Math.max(1, Math.floor(height / Math.max(scale, 1e-9)) - 1);
}
