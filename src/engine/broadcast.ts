// Broadcasting two shapes as numpy and ONNX's multidirectional broadcasting do: the shapes are aligned at
// their last axes, and along each axis the two sizes are equal or one of them is 1 (a missing leading axis
// counts as 1). The output has the larger size on every axis; a factor of size 1 along an axis is read again
// for every cell of the output along it, so its gradient adds up the δs of all those cells.

import { sizeOf } from './tensor';

/** The broadcast shape of `a` and `b`, or undefined when some axis has two sizes, neither 1. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let d = 0; d < rank; d++) {
    const x = a[a.length - rank + d] ?? 1;
    const y = b[b.length - rank + d] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The strides of a `shape` tensor read as an `out` one: aligned at the last axis, 0 along every axis it is broadcast on. */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const strides = new Array<number>(out.length).fill(0);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const at = out.length - shape.length + d;
    if (shape[d] !== 1) strides[at] = step;
    step *= shape[d];
  }
  return strides;
}

/**
 * Every cell of `out` in row-major order with the offsets of the cells of `a` and `b` (their shapes broadcast
 * to `out`) it reads: `visit(k, atA, atB)`.
 */
export function walkBroadcast(out: readonly number[], a: readonly number[], b: readonly number[], visit: (k: number, atA: number, atB: number) => void): void {
  const sa = broadcastStrides(a, out);
  const sb = broadcastStrides(b, out);
  const rank = out.length;
  const index = new Array<number>(rank).fill(0);
  const n = sizeOf(out);
  let ia = 0;
  let ib = 0;
  for (let k = 0; k < n; k++) {
    visit(k, ia, ib);
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      ia += sa[d];
      ib += sb[d];
      if (index[d] < out[d]) break;
      ia -= sa[d] * out[d];
      ib -= sb[d] * out[d];
      index[d] = 0;
    }
  }
}

/** The cell of a `shape` tensor that cell `index` of the broadcast `out` reads (0 along its broadcast axes). */
export function broadcastSource(index: readonly number[], shape: readonly number[]): number[] {
  const skip = index.length - shape.length;
  return shape.map((d, k) => (d === 1 ? 0 : index[skip + k]));
}

/** Every cell of `out` that reads cell `index` of a `shape` tensor broadcast to it. */
export function broadcastReaders(index: readonly number[], shape: readonly number[], out: readonly number[]): number[][] {
  const skip = out.length - shape.length;
  let cells: number[][] = [[]];
  out.forEach((size, d) => {
    const own = d - skip;
    const fixed = own >= 0 && shape[own] !== 1;
    const values = fixed ? [index[own]] : Array.from({ length: size }, (_, v) => v);
    cells = cells.flatMap(c => values.map(v => [...c, v]));
  });
  return cells;
}
