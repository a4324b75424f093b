// Big tensors reach the panel in tiles, at the level of detail the view needs.
// Every tensor is seen as one matrix: columns = its last axis, rows = the rest.
// Level L halves the matrix L times; a level-L cell stands for a 2^L × 2^L
// block and holds the block's value of largest magnitude (NaN if any is NaN),
// so outliers and non-finite values stay visible however far one zooms out.

import type { TensorData } from '../engine/tensor';

/** Cells along one side of a tile. */
export const TILE = 64;

export interface MatrixDims {
  rows: number;
  cols: number;
}

export function matrixOf(shape: readonly number[]): MatrixDims {
  const cols = shape.length ? shape[shape.length - 1] : 1;
  const size = shape.reduce((a, b) => a * b, 1);
  return { rows: cols ? size / cols : 0, cols };
}

export function levelDims(m: MatrixDims, level: number): MatrixDims {
  const f = 2 ** level;
  return { rows: Math.ceil(m.rows / f), cols: Math.ceil(m.cols / f) };
}

/** Tiles across and down at a level. */
export function tileGrid(m: MatrixDims, level: number): { across: number; down: number } {
  const d = levelDims(m, level);
  return { across: Math.ceil(d.cols / TILE), down: Math.ceil(d.rows / TILE) };
}

/** The size of one tile (edge tiles are smaller). */
export function tileSize(m: MatrixDims, level: number, tileRow: number, tileCol: number): MatrixDims {
  const d = levelDims(m, level);
  return { rows: Math.min(TILE, d.rows - tileRow * TILE), cols: Math.min(TILE, d.cols - tileCol * TILE) };
}

/** The coarsest level needed so one level-cell covers at least `cellsPerPixel` cells. */
export function levelFor(cellsPerPixel: number): number {
  return cellsPerPixel <= 1 ? 0 : Math.floor(Math.log2(cellsPerPixel));
}

/**
 * Cuts one tile out of a tensor's data: exact values (same dtype) at level 0,
 * block representatives (Float32) above, laid out row-major, tileSize wide.
 */
export function extractTile(data: TensorData, m: MatrixDims, level: number, tileRow: number, tileCol: number): TensorData {
  const { rows, cols } = tileSize(m, level, tileRow, tileCol);
  if (rows <= 0 || cols <= 0) throw new RangeError(`tile (${tileRow}, ${tileCol}) is outside level ${level}`);
  const r0 = tileRow * TILE;
  const c0 = tileCol * TILE;
  if (level === 0) {
    const out = data instanceof Float32Array ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) out.set(data.subarray((r0 + r) * m.cols + c0, (r0 + r) * m.cols + c0 + cols), r * cols);
    return out;
  }
  const f = 2 ** level;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const y0 = (r0 + r) * f;
    const y1 = Math.min(m.rows, y0 + f);
    for (let c = 0; c < cols; c++) {
      const x0 = (c0 + c) * f;
      const x1 = Math.min(m.cols, x0 + f);
      let best = 0;
      let bestAbs = -1;
      for (let y = y0; y < y1 && bestAbs !== Infinity; y++) {
        const base = y * m.cols;
        for (let x = x0; x < x1; x++) {
          const v = data[base + x];
          if (v !== v) { best = NaN; bestAbs = Infinity; break; }
          const a = v < 0 ? -v : v;
          if (a > bestAbs) { best = v; bestAbs = a; }
        }
      }
      out[r * cols + c] = best;
    }
  }
  return out;
}
