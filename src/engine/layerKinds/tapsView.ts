// What the faces show of a layer that resamples (B, C, H, W) along its taps
// (resample.ts: upsample2d, pad2d): an output cell links to the input cells it
// reads, with their weights as the terms of its sum; an input cell links to
// every output cell that reads it, and its gradient is the sum of their δ times
// the weights. Output-shaped tensors are z and δ, input-shaped input and dA.

import { CellSum, TensorLookup, Term, product, sum } from '../cellTerms';
import { HighlightSet, Highlights, LinkTarget } from '../links';
import { type AxisTaps, readersOf, tapsAt } from '../resample';
import { type Field, type Region, windowCells, windowField } from '../region';
import type { TensorName } from '../trace';

export interface Taps { rows: AxisTaps; cols: AxisTaps }

const OUTPUT_SHAPED: readonly TensorName[] = ['z', 'delta'];
const fmt = (...index: number[]) => index.join(', ');

/** Whether a tensor has the output's shape (z, δ) rather than the input's. */
export const isOutputShaped = (name: TensorName) => OUTPUT_SHAPED.includes(name);

export function tapLinks({ rows, cols }: Taps, target: LinkTarget, names: readonly TensorName[]): Highlights {
  const h = new HighlightSet();
  const [b, c, y, x] = target.index;
  const fromOutput = isOutputShaped(target.tensor);
  for (const name of names) {
    if (isOutputShaped(name) === fromOutput) h.cell(name, b, c, y, x);
    else if (fromOutput) for (const [iy] of tapsAt(rows, y)) for (const [ix] of tapsAt(cols, x)) h.cell(name, b, c, iy, ix);
    else for (const [oy] of readersOf(rows, y)) for (const [ox] of readersOf(cols, x)) h.cell(name, b, c, oy, ox);
  }
  return h.map;
}

/** z: Σ wy · wx · input (or the fill); dA: Σ wy · wx · δ over the outputs that read the cell. */
export function tapSum({ rows, cols }: Taps, shape: { height: number; width: number; outHeight: number; outWidth: number; channels: number }, fill: number, get: TensorLookup, target: LinkTarget): CellSum | undefined {
  const [b, c, y, x] = target.index;
  const plane = b * shape.channels + c;
  const terms: Term[] = [];
  if (target.tensor === 'z') {
    const input = get('input');
    if (!input) return undefined;
    const [ys, xs] = [tapsAt(rows, y), tapsAt(cols, x)];
    if (!ys.length || !xs.length) return sum(`z[${fmt(b, c, y, x)}] = ${fill} (the fill)`, [], { label: 'value', value: fill });
    for (const [iy, wy] of ys) {
      for (const [ix, wx] of xs) terms.push(product(`${wy * wx} · input[${fmt(b, c, iy, ix)}]`, wy * wx, input[(plane * shape.height + iy) * shape.width + ix]));
    }
    return sum(`z[${fmt(b, c, y, x)}] = Σ wy · wx · input[${b}, ${c}, iy, ix]`, terms);
  }
  if (target.tensor === 'dA') {
    const delta = get('delta');
    if (!delta) return undefined;
    for (const [oy, wy] of readersOf(rows, y)) {
      for (const [ox, wx] of readersOf(cols, x)) terms.push(product(`${wy * wx} · δ[${fmt(b, c, oy, ox)}]`, wy * wx, delta[(plane * shape.outHeight + oy) * shape.outWidth + ox]));
    }
    return sum(`∂C/∂input[${fmt(b, c, y, x)}] = Σ wy · wx · δ over the outputs that read it`, terms);
  }
  return undefined;
}

/** The input cells the output cells of `out` read. */
export function tapReceptive({ rows, cols }: Taps, out: Region, input: readonly number[]): Region {
  return windowCells(out, input, c => [c, c + 1], i => tapsAt(rows, i).map(([at]) => at), j => tapsAt(cols, j).map(([at]) => at));
}

/** A window of `kernel` taps moved by 1 / scale per output cell, on each axis. */
export function tapField(below: Field, kernel: number, scale: readonly [number, number]): Field {
  return windowField(below, scale.map(s => ({ kernel, stride: 1 / s, dilation: 1 })));
}
