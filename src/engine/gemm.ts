// Matrix products on typed arrays. A matrix is a window into a flat array with
// its own row and column strides, so transposes and group blocks are views, not copies.

import { TensorData } from './tensor';
import { gemmWasm } from './wasm/gemmWasm';

/** Below this many multiply-adds the loops win: copying into WebAssembly memory costs more than it saves. */
const WASM_MIN_WORK = 16 * 16 * 16;

export interface MatrixView {
  data: TensorData;
  offset: number;
  rowStride: number;
  colStride: number;
}

export function view(data: TensorData, offset: number, rowStride: number, colStride = 1): MatrixView {
  return { data, offset, rowStride, colStride };
}

export function transposed(m: MatrixView): MatrixView {
  return { data: m.data, offset: m.offset, rowStride: m.colStride, colStride: m.rowStride };
}

/**
 * C += A @ B with A (rows × inner), B (inner × cols): the WebAssembly SIMD kernels
 * (wasm/) for products worth it, else the loops. Both give the same values within
 * rounding (the kernels add in blocks of the inner dimension).
 */
export function gemmAccumulate(rows: number, cols: number, inner: number, A: MatrixView, B: MatrixView, C: MatrixView): void {
  if (rows * cols * inner >= WASM_MIN_WORK && gemmWasm(rows, cols, inner, A, B, C)) return;
  gemmLoops(rows, cols, inner, A, B, C);
}

/**
 * The TypeScript product. The i-k-j order keeps the innermost loop on a row of B
 * and C. Zeros in A are not skipped: 0 * NaN must stay NaN.
 */
export function gemmLoops(rows: number, cols: number, inner: number, A: MatrixView, B: MatrixView, C: MatrixView): void {
  const a = A.data;
  const b = B.data;
  const c = C.data;
  const bcs = B.colStride;
  const ccs = C.colStride;
  for (let i = 0; i < rows; i++) {
    const cRow = C.offset + i * C.rowStride;
    const aRow = A.offset + i * A.rowStride;
    for (let p = 0; p < inner; p++) {
      const aip = a[aRow + p * A.colStride];
      const bRow = B.offset + p * B.rowStride;
      if (bcs === 1 && ccs === 1) {
        for (let j = 0; j < cols; j++) c[cRow + j] += aip * b[bRow + j];
      } else {
        for (let j = 0; j < cols; j++) c[cRow + j * ccs] += aip * b[bRow + j * bcs];
      }
    }
  }
}
