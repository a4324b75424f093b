// How a tensor of any rank is laid out as one 2-D grid of cells, and back:
//   1-D (N)           → 1 × N
//   2-D (R, C)        → R × C
//   3-D (B, R, K)     → (B·R) × K, batches stacked (a_t, z_t, δ_t, ∂C/∂a_t)
//   4-D (N, C, H, W)  → the H × W slice [n, c], or every channel of n tiled in a grid
// Offsets are separable: flat offset = rowBase(row) + colOffset(col), which lets the
// renderer colour a screen of pixels with two table lookups each. Pure: no DOM.

export type TileMode = 'slice' | 'tiles';

export interface DisplaySelection {
  /** 4-D: which leading index (batch, or output channel for kernels). */
  n: number;
  /** 4-D slice mode: which channel. */
  c: number;
  mode: TileMode;
}

export interface DisplayMatrix {
  rows: number;
  cols: number;
  /** One past the last flat offset this layout may show (rowBase + colOffset beyond it is a gap). */
  end: number;
  /** Flat-offset part of a row; -1 for a gap between tiles. */
  rowBase(row: number): number;
  /** Flat-offset part of a column; -1 for a gap between tiles. */
  colOffset(col: number): number;
  /** Flat offset of a cell, or -1 (gap, or a tile past the last channel). */
  offsetAt(row: number, col: number): number;
  /** Full tensor index of a cell, or undefined. */
  indexAt(row: number, col: number): number[] | undefined;
  /** Where a full tensor index is shown, or undefined when it is not in view (another slice). */
  positionOf(index: readonly number[]): { row: number; col: number } | undefined;
  /** Tiles (4-D tile mode): grid and tile size, for drawing separators and labels. */
  tiles?: { across: number; down: number; height: number; width: number; count: number };
  /** Rows between batches (3-D): every `batchRows` rows a new batch item starts. */
  batchRows?: number;
}

/**
 * The gutter's label of a row when the view names none: its index within its batch item for a stacked
 * matrix (a (B, C, L) sequence's channel, an a_t's window), else the row itself.
 */
export function defaultRowLabel(m: Pick<DisplayMatrix, 'batchRows'>): (row: number) => string {
  return row => String(m.batchRows ? row % m.batchRows : row);
}

export function displayMatrix(shape: readonly number[], sel: DisplaySelection): DisplayMatrix {
  const size = shape.reduce((a, b) => a * b, 1);
  const offsetOf = (row: number, col: number, m: Pick<DisplayMatrix, 'rowBase' | 'colOffset'>) => {
    const rb = m.rowBase(row);
    const co = m.colOffset(col);
    if (rb < 0 || co < 0) return -1;
    const off = rb + co;
    return off < size ? off : -1;
  };
  if (shape.length <= 3) {
    const rows = shape.length === 3 ? shape[0] * shape[1] : shape.length === 2 ? shape[0] : 1;
    const cols = shape.length === 0 ? 1 : shape[shape.length - 1];
    const m: DisplayMatrix = {
      rows, cols, end: size,
      rowBase: row => row * cols,
      colOffset: col => col,
      offsetAt: (row, col) => (row >= 0 && row < rows && col >= 0 && col < cols ? row * cols + col : -1),
      indexAt: (row, col) => {
        if (row < 0 || row >= rows || col < 0 || col >= cols) return undefined;
        if (shape.length === 3) return [Math.floor(row / shape[1]), row % shape[1], col];
        return shape.length === 2 ? [row, col] : [col];
      },
      positionOf: index => {
        if (index.length !== shape.length) return undefined;
        if (shape.length === 3) return { row: index[0] * shape[1] + index[1], col: index[2] };
        return shape.length === 2 ? { row: index[0], col: index[1] } : { row: 0, col: index[0] };
      },
    };
    if (shape.length === 3) m.batchRows = shape[1];
    return m;
  }
  const [N, C, H, W] = shape.length === 4 ? shape : [1, 1, shape[shape.length - 2], shape[shape.length - 1]];
  const n = Math.min(Math.max(sel.n, 0), N - 1);
  const slab = n * C * H * W;
  if (sel.mode === 'slice') {
    const c = Math.min(Math.max(sel.c, 0), C - 1);
    const base = slab + c * H * W;
    const m: DisplayMatrix = {
      rows: H, cols: W, end: base + H * W,
      rowBase: row => base + row * W,
      colOffset: col => col,
      offsetAt: (row, col) => (row >= 0 && row < H && col >= 0 && col < W ? base + row * W + col : -1),
      indexAt: (row, col) => (row >= 0 && row < H && col >= 0 && col < W ? [n, c, row, col] : undefined),
      positionOf: index => (index[0] === n && index[1] === c ? { row: index[2], col: index[3] } : undefined),
    };
    return m;
  }
  // Tiles: channel t at grid (floor(t / across), t % across), one empty cell between tiles.
  const across = Math.ceil(Math.sqrt(C * H / W)) || 1;
  const acrossClamped = Math.min(C, Math.max(1, across));
  const down = Math.ceil(C / acrossClamped);
  const rows = down * (H + 1) - 1;
  const cols = acrossClamped * (W + 1) - 1;
  const slabEnd = slab + C * H * W;
  const m: DisplayMatrix = {
    rows, cols, end: slabEnd,
    rowBase: row => {
      const y = row % (H + 1);
      if (row < 0 || row >= rows || y === H) return -1;
      return slab + Math.floor(row / (H + 1)) * acrossClamped * H * W + y * W;
    },
    colOffset: col => {
      const x = col % (W + 1);
      if (col < 0 || col >= cols || x === W) return -1;
      return Math.floor(col / (W + 1)) * H * W + x;
    },
    offsetAt: (row, col) => {
      const off = offsetOf(row, col, m);
      return off >= slabEnd ? -1 : off;
    },
    indexAt: (row, col) => {
      if (m.offsetAt(row, col) < 0) return undefined;
      const ch = Math.floor(row / (H + 1)) * acrossClamped + Math.floor(col / (W + 1));
      return [n, ch, row % (H + 1), col % (W + 1)];
    },
    positionOf: index => {
      if (index[0] !== n) return undefined;
      const ch = index[1];
      return { row: Math.floor(ch / acrossClamped) * (H + 1) + index[2], col: (ch % acrossClamped) * (W + 1) + index[3] };
    },
    tiles: { across: acrossClamped, down, height: H, width: W, count: C },
  };
  return m;
}
