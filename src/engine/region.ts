// A set of cells of one tensor (a layer's output, or its input): what a cell's
// receptive field is in each layer below it. A mask over the whole tensor, batch
// axis included, so that any union of windows is exact (a union of boxes is not
// a box), and a kind's rule reads and writes it by multi-index or by offset.

import { sizeOf } from './tensor';

export class Region {
  /** 1 where the cell is in the region, row-major over `shape`. */
  readonly lit: Uint8Array;

  constructor(readonly shape: readonly number[]) {
    this.lit = new Uint8Array(sizeOf(shape));
  }

  /** One cell. */
  static cell(shape: readonly number[], index: readonly number[]): Region {
    return new Region(shape).add(index);
  }

  /** The same cells read in another shape of as many cells (a reshape: flatten). */
  reshaped(shape: readonly number[]): Region {
    const r = new Region(shape);
    r.lit.set(this.lit);
    return r;
  }

  /** The row-major offset of an index inside the shape, or -1 outside it. */
  offset(index: readonly number[]): number {
    let at = 0;
    for (let d = 0; d < this.shape.length; d++) {
      const v = index[d];
      if (!(v >= 0 && v < this.shape[d])) return -1;
      at = at * this.shape[d] + v;
    }
    return at;
  }

  /** Adds a cell; an index outside the tensor (padding) is not a cell and is left out. */
  add(index: readonly number[]): this {
    const at = this.offset(index);
    if (at >= 0) this.lit[at] = 1;
    return this;
  }

  has(index: readonly number[]): boolean {
    const at = this.offset(index);
    return at >= 0 && this.lit[at] === 1;
  }

  /** Adds every cell of another region of the same shape. */
  union(other: Region): this {
    for (let k = 0; k < this.lit.length; k++) this.lit[k] |= other.lit[k];
    return this;
  }

  count(): number {
    let n = 0;
    for (let k = 0; k < this.lit.length; k++) n += this.lit[k];
    return n;
  }

  /** Calls `visit` with the multi-index of every cell in the region, in row-major order. */
  forEach(visit: (index: number[]) => void): void {
    for (let k = 0; k < this.lit.length; k++) if (this.lit[k]) visit(this.indexOf(k));
  }

  /** Every cell's multi-index. */
  cells(): number[][] {
    const out: number[][] = [];
    this.forEach(index => out.push(index));
    return out;
  }

  private indexOf(offset: number): number[] {
    const index = new Array<number>(this.shape.length);
    for (let d = this.shape.length - 1; d >= 0; d--) {
      index[d] = offset % this.shape[d];
      offset = Math.floor(offset / this.shape[d]);
    }
    return index;
  }
}

/**
 * A layer's receptive field in the network's input, by the recurrence on its geometry: per spatial axis of its
 * output, how many input cells one output cell reads (`size`) and how far its window moves from one output cell
 * to the next (`jump`, fractional past a transposed conv); `whole` when an output cell reads all of the input.
 * A layer that keeps no spatial axis of its input (flatten) keeps the size and has no jump.
 */
export type Field = { size: number[]; jump?: number[] } | 'whole';

/** How one spatial axis of a layer's output reads its input: a window of `kernel` taps `dilation` apart, moved by `stride`. */
export interface AxisWindow {
  kernel: number;
  stride: number;
  dilation: number;
}

/** The network input's own field: one cell, per spatial axis (every axis after batch and channels). */
export function inputField(shape: readonly number[]): Field {
  const spatial = Math.max(0, shape.length - 2);
  return { size: new Array<number>(spatial).fill(1), jump: new Array<number>(spatial).fill(1) };
}

/** r_out = r_in + (k − 1)·d·j_in, j_out = j_in·s, axis by axis. */
export function windowField(below: Field, windows: readonly AxisWindow[]): Field {
  if (below === 'whole' || !below.jump || below.jump.length !== windows.length) return 'whole';
  const jump = below.jump;
  return {
    size: windows.map((w, d) => below.size[d] + (w.kernel - 1) * w.dilation * jump[d]),
    jump: windows.map((w, d) => jump[d] * w.stride),
  };
}

/** The field of a layer that takes several inputs: the largest over the paths (their windows are aligned, as add and concat's are). */
export function unionField(fields: readonly Field[]): Field {
  const [first, ...rest] = fields;
  if (!first || first === 'whole') return 'whole';
  let size = first.size;
  let jump = first.jump;
  for (const f of rest) {
    if (f === 'whole' || f.size.length !== size.length || !f.jump !== !jump) return 'whole';
    size = size.map((s, d) => Math.max(s, f.size[d]));
    jump = jump && jump.map((j, d) => Math.max(j, f.jump![d]));
  }
  return jump ? { size, jump } : { size };
}

/** Every cell of the batch items `out` has cells in, in a tensor of `shape` (what a dense layer reads). */
export function batchItems(out: Region, shape: readonly number[]): Region {
  const region = new Region(shape);
  const outItem = out.lit.length / Math.max(1, out.shape[0]);
  const item = region.lit.length / Math.max(1, shape[0]);
  for (let b = 0; b < shape[0]; b++) {
    if (out.lit.subarray(b * outItem, (b + 1) * outItem).includes(1)) region.lit.fill(1, b * item, (b + 1) * item);
  }
  return region;
}

/** The same cells in a tensor of the same shape (an elementwise layer). */
export function sameCells(out: Region, shape: readonly number[]): Region {
  return out.reshaped(shape);
}

/**
 * What a window over (B, C, H, W) reads: for each cell (b, o, i, j) of `out`, the input channels `channels(o)`
 * ([first, end)) at rows `rows(i)` and columns `cols(j)` of a `shape` input (padding left out by the caller).
 * Output channels that read the same input channels are visited once per position.
 */
export function windowCells(
  out: Region, shape: readonly number[],
  channels: (o: number) => readonly [number, number], rows: (i: number) => readonly number[], cols: (j: number) => readonly number[],
): Region {
  const region = new Region(shape);
  const [, C, H, W] = shape;
  const [B, O, Ho, Wo] = out.shape;
  const rowsOf = Array.from({ length: Ho }, (_, i) => rows(i));
  const colsOf = Array.from({ length: Wo }, (_, j) => cols(j));
  const rangeOf = Array.from({ length: O }, (_, o) => channels(o));
  // Per (b, first input channel, i, j): whether that window was read already.
  const seen = new Uint8Array(B * C * Ho * Wo);
  for (let b = 0, k = 0; b < B; b++) {
    for (let o = 0; o < O; o++) {
      const [c0, c1] = rangeOf[o];
      for (let i = 0; i < Ho; i++) {
        for (let j = 0; j < Wo; j++, k++) {
          const once = ((b * C + c0) * Ho + i) * Wo + j;
          if (!out.lit[k] || seen[once]) continue;
          seen[once] = 1;
          for (let c = c0; c < c1; c++) {
            for (const y of rowsOf[i]) for (const x of colsOf[j]) region.lit[((b * C + c) * H + y) * W + x] = 1;
          }
        }
      }
    }
  }
  return region;
}

/** The taps of a window along one axis that land inside the input: start + t·dilation for t < kernel, in [0, size). */
export function windowTaps(start: number, kernel: number, dilation: number, size: number): number[] {
  const taps: number[] = [];
  for (let t = 0; t < kernel; t++) {
    const v = start + t * dilation;
    if (v >= 0 && v < size) taps.push(v);
  }
  return taps;
}
