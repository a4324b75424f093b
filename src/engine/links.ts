// The index maps that link a trace's tensors: output cell ↔ a_t row ↔ input
// patch ↔ col2im contributors ↔ rot180 taps. Pure functions of the geometry, so
// the panel, the debugger and the tests all read the same answer.
//
// Conventions: `a`, `dA_padded`, `delta_full` use padded coordinates; `input`,
// `dA`, `dA_rot180` unpadded ones. A 3-D matrix (B, R, K) such as a_t is shown as
// one (B·R) × K matrix, so its "rows" are stacked rows b·R + r.

import type { ConvInfo } from './convInfo';
import type { TensorName } from './trace';

export interface LinkTarget {
  tensor: TensorName;
  /** Full multi-index into the tensor. */
  index: number[];
}

/** What to highlight in one tensor: whole matrix rows or columns, and single cells. */
export interface Highlight {
  /** Full multi-indices. */
  cells: number[][];
  /** Stacked matrix rows (3-D: b·R + r; 2-D: dim 0). */
  rows: number[];
  /** Matrix columns (last dim). */
  columns: number[];
}

export type Highlights = Partial<Record<TensorName, Highlight>>;

export interface Tap {
  /** Input channel. */
  c: number;
  ki: number;
  kj: number;
  /** a_t column: (c·kh + ki)·kw + kj. */
  k: number;
  /** Padded coordinates of the pixel this tap reads. */
  y: number;
  x: number;
}

export function atColumn(info: ConvInfo, c: number, ki: number, kj: number): number {
  return (c * info.kernelHeight + ki) * info.kernelWidth + kj;
}

export function atColumnTap(info: ConvInfo, k: number): { c: number; ki: number; kj: number } {
  const kj = k % info.kernelWidth;
  const ki = Math.floor(k / info.kernelWidth) % info.kernelHeight;
  return { c: Math.floor(k / (info.kernelHeight * info.kernelWidth)), ki, kj };
}

/** a_t row of output position (i, j). */
export function outputRow(info: ConvInfo, i: number, j: number): number {
  return i * info.outWidth + j;
}

export function rowOutput(info: ConvInfo, r: number): { i: number; j: number } {
  return { i: Math.floor(r / info.outWidth), j: r % info.outWidth };
}

export function groupOfOutput(info: ConvInfo, o: number): number {
  return Math.floor(o / info.outChannelsPerGroup);
}

export function groupOfInput(info: ConvInfo, c: number): number {
  return Math.floor(c / info.inChannelsPerGroup);
}

/** Is padded pixel (y, x) padding, not input? */
export function isPadding(info: ConvInfo, y: number, x: number): boolean {
  return y < info.padTop || y >= info.padTop + info.inHeight || x < info.padLeft || x >= info.padLeft + info.inWidth;
}

/** Every tap of output (i, j)'s window over the input channels of group g (all channels when g is undefined). */
export function receptiveField(info: ConvInfo, i: number, j: number, g?: number): Tap[] {
  const taps: Tap[] = [];
  const [c0, c1] = g === undefined ? [0, info.inChannels] : [g * info.inChannelsPerGroup, (g + 1) * info.inChannelsPerGroup];
  for (let c = c0; c < c1; c++) {
    for (let ki = 0; ki < info.kernelHeight; ki++) {
      for (let kj = 0; kj < info.kernelWidth; kj++) {
        taps.push({ c, ki, kj, k: atColumn(info, c, ki, kj), y: i * info.strideHeight + ki * info.dilationHeight, x: j * info.strideWidth + kj * info.dilationWidth });
      }
    }
  }
  return taps;
}

export interface Contributor {
  /** a_t (and dA_t) row. */
  r: number;
  /** a_t (and dA_t) column. */
  k: number;
  i: number;
  j: number;
  ki: number;
  kj: number;
}

/** Entries of a_t that copy padded pixel (c, y, x), i.e. the entries of ∂C/∂a_t that col2im adds into it. */
export function col2imContributors(info: ConvInfo, c: number, y: number, x: number): Contributor[] {
  const out: Contributor[] = [];
  for (let ki = 0; ki < info.kernelHeight; ki++) {
    const iy = y - ki * info.dilationHeight;
    if (iy < 0 || iy % info.strideHeight !== 0) continue;
    const i = iy / info.strideHeight;
    if (i >= info.outHeight) continue;
    for (let kj = 0; kj < info.kernelWidth; kj++) {
      const jx = x - kj * info.dilationWidth;
      if (jx < 0 || jx % info.strideWidth !== 0) continue;
      const j = jx / info.strideWidth;
      if (j >= info.outWidth) continue;
      out.push({ r: outputRow(info, i, j), k: atColumn(info, c, ki, kj), i, j, ki, kj });
    }
  }
  return out;
}

export interface Rot180Tap {
  /** Output channel of δ. */
  o: number;
  /** Index into w_rot180: (c, o - g·Cog, m, n), m = kh-1-ki. */
  m: number;
  n: number;
  /** delta_full coordinates read. */
  fy: number;
  fx: number;
  /** The δ entry at (fy, fx), or undefined where delta_full holds an inserted zero or padding. */
  delta?: { i: number; j: number };
}

/** The rot180 window for padded pixel (c, y, x): every delta_full entry and rotated kernel weight it multiplies. */
export function rot180Taps(info: ConvInfo, c: number, y: number, x: number): Rot180Tap[] {
  const g = groupOfInput(info, c);
  const edgeH = info.dilationHeight * (info.kernelHeight - 1);
  const edgeW = info.dilationWidth * (info.kernelWidth - 1);
  const taps: Rot180Tap[] = [];
  for (let o = g * info.outChannelsPerGroup; o < (g + 1) * info.outChannelsPerGroup; o++) {
    for (let m = 0; m < info.kernelHeight; m++) {
      for (let n = 0; n < info.kernelWidth; n++) {
        const fy = y + m * info.dilationHeight;
        const fx = x + n * info.dilationWidth;
        const dy = fy - edgeH;
        const dx = fx - edgeW;
        let delta: Rot180Tap['delta'];
        if (dy >= 0 && dx >= 0 && dy % info.strideHeight === 0 && dx % info.strideWidth === 0) {
          const i = dy / info.strideHeight;
          const j = dx / info.strideWidth;
          if (i < info.outHeight && j < info.outWidth) delta = { i, j };
        }
        taps.push({ o, m, n, fy, fx, delta });
      }
    }
  }
  return taps;
}

/** Collects highlights per tensor (chainable). */
export class HighlightSet {
  readonly map: Highlights = {};
  private get(name: TensorName): Highlight {
    return (this.map[name] ??= { cells: [], rows: [], columns: [] });
  }
  cell(name: TensorName, ...index: number[]): this { this.get(name).cells.push(index); return this; }
  row(name: TensorName, row: number): this { this.get(name).rows.push(row); return this; }
  column(name: TensorName, column: number): this { this.get(name).columns.push(column); return this; }
}

/** Kernel position of w_t row k for output channel o: weight[o, k - g·Kg]. */
function weightCell(info: ConvInfo, k: number, o: number): number[] | undefined {
  const g = groupOfOutput(info, o);
  const local = k - g * info.groupPatchSize;
  if (local < 0 || local >= info.groupPatchSize) return undefined;
  const { c, ki, kj } = atColumnTap(info, local);
  return [o, c, ki, kj];
}

function outputLinks(info: ConvInfo, h: HighlightSet, b: number, o: number, i: number, j: number, backward: boolean): void {
  const R = info.outPositions;
  const r = outputRow(info, i, j);
  const g = groupOfOutput(info, o);
  h.cell('z', b, o, i, j).cell('z_t', b, r, o).cell('delta', b, o, i, j).cell('delta_t', b, r, o);
  h.row('a_t', b * R + r).column('w_t', o).cell('bias', o);
  for (const t of receptiveField(info, i, j, g)) {
    h.cell('a', b, t.c, t.y, t.x).cell('a_t', b, r, t.k);
    h.cell('weight', o, t.c - g * info.inChannelsPerGroup, t.ki, t.kj).cell('w_t', t.k, o);
    if (!isPadding(info, t.y, t.x)) h.cell('input', b, t.c, t.y - info.padTop, t.x - info.padLeft);
  }
  if (backward) {
    // δ at this output reaches ∂C/∂a_t through row r, and the bias and weight gradients through column o.
    h.row('dA_t', b * R + r).cell('db', o).column('dW_t', o);
  }
}

function pixelLinks(info: ConvInfo, h: HighlightSet, b: number, c: number, y: number, x: number): void {
  const R = info.outPositions;
  h.cell('a', b, c, y, x).cell('dA_padded', b, c, y, x).cell('col2im_counts', y, x);
  if (!isPadding(info, y, x)) {
    const u = [b, c, y - info.padTop, x - info.padLeft] as const;
    h.cell('input', ...u).cell('dA', ...u).cell('dA_rot180', ...u);
  }
  for (const t of col2imContributors(info, c, y, x)) {
    h.cell('a_t', b, t.r, t.k).cell('dA_t', b, t.r, t.k);
    h.row('dA_t', b * R + t.r);
  }
  const g = groupOfInput(info, c);
  for (const t of rot180Taps(info, c, y, x)) {
    h.cell('delta_full', b, t.o, t.fy, t.fx).cell('w_rot180', c, t.o - g * info.outChannelsPerGroup, t.m, t.n);
    if (t.delta) h.cell('delta', b, t.o, t.delta.i, t.delta.j);
  }
}

/** Everything linked to one cell of one tensor. */
export function linksOf(info: ConvInfo, target: LinkTarget): Highlights {
  const h = new HighlightSet();
  const [p, q, s, t] = target.index;
  const R = info.outPositions;
  switch (target.tensor) {
    case 'z': case 'delta':
      outputLinks(info, h, p, q, s, t, target.tensor === 'delta');
      break;
    case 'z_t': case 'delta_t': {
      const { i, j } = rowOutput(info, q);
      outputLinks(info, h, p, s, i, j, target.tensor === 'delta_t');
      break;
    }
    case 'a_t': {
      // The row's patch and output; the cell's own input pixel on top.
      const { i, j } = rowOutput(info, q);
      h.row('a_t', p * R + q).row('z_t', p * R + q);
      for (const tap of receptiveField(info, i, j)) h.cell('a', p, tap.c, tap.y, tap.x);
      for (let o = 0; o < info.outChannels; o++) h.cell('z', p, o, i, j);
      const tap = atColumnTap(info, s);
      pixelLinks(info, h, p, tap.c, i * info.strideHeight + tap.ki * info.dilationHeight, j * info.strideWidth + tap.kj * info.dilationWidth);
      h.cell('a_t', p, q, s);
      break;
    }
    case 'dA_t': {
      const { i, j } = rowOutput(info, q);
      const tap = atColumnTap(info, s);
      const y = i * info.strideHeight + tap.ki * info.dilationHeight;
      const x = j * info.strideWidth + tap.kj * info.dilationWidth;
      h.cell('dA_t', p, q, s).cell('dA_padded', p, tap.c, y, x).row('delta_t', p * R + q).row('w_t', s);
      if (!isPadding(info, y, x)) h.cell('dA', p, tap.c, y - info.padTop, x - info.padLeft);
      break;
    }
    case 'a': case 'dA_padded':
      pixelLinks(info, h, p, q, s, t);
      break;
    case 'input': case 'dA': case 'dA_rot180':
      pixelLinks(info, h, p, q, s + info.padTop, t + info.padLeft);
      break;
    case 'col2im_counts':
      for (let c = 0; c < info.inChannels; c++) pixelLinks(info, h, 0, c, p, q);
      break;
    case 'weight': case 'dW': {
      const g = groupOfOutput(info, p);
      const k = g * info.groupPatchSize + atColumn(info, q, s, t);
      h.cell('weight', p, q, s, t).cell('dW', p, q, s, t).cell('w_t', k, p).cell('dW_t', k, p);
      h.column('a_t', k).column('delta_t', p);
      break;
    }
    case 'w_t': case 'dW_t': {
      const w = weightCell(info, p, q);
      h.cell('w_t', p, q).cell('dW_t', p, q).column('a_t', p).column('delta_t', q);
      if (w) h.cell('weight', ...w).cell('dW', ...w);
      break;
    }
    case 'bias': case 'db':
      h.cell('bias', p).cell('db', p).column('z_t', p).column('delta_t', p);
      break;
    case 'delta_full': {
      const edgeH = info.dilationHeight * (info.kernelHeight - 1);
      const edgeW = info.dilationWidth * (info.kernelWidth - 1);
      h.cell('delta_full', p, q, s, t);
      const dy = s - edgeH;
      const dx = t - edgeW;
      if (dy >= 0 && dx >= 0 && dy % info.strideHeight === 0 && dx % info.strideWidth === 0 && dy / info.strideHeight < info.outHeight && dx / info.strideWidth < info.outWidth) {
        h.cell('delta', p, q, dy / info.strideHeight, dx / info.strideWidth);
      }
      break;
    }
    case 'w_rot180': {
      const g = groupOfInput(info, p);
      const o = g * info.outChannelsPerGroup + q;
      const c = p - g * info.inChannelsPerGroup;
      h.cell('w_rot180', p, q, s, t).cell('weight', o, c, info.kernelHeight - 1 - s, info.kernelWidth - 1 - t);
      break;
    }
  }
  return h.map;
}
