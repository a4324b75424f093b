// Linking for every layer of a network: the conv's maps (links.ts), and those
// of the other layers. A pooling output lights up its window in the input,
// its row of pool_t and its argmax; a linear output its input row and weight
// row; an activation's cell the same cell of each of its tensors.

import type { LayerGeometry } from './geometry';
import { isPoolPadding, poolTap, type PoolInfo } from './layers';
import { HighlightSet, Highlights, LinkTarget, linksOf } from './links';
import type { TensorName } from './trace';

export type ShapeOf = (name: TensorName) => readonly number[] | undefined;

/** Everything linked to one cell, in a layer of any kind. */
export function linksIn(g: LayerGeometry, target: LinkTarget, shapeOf: ShapeOf, names: readonly TensorName[]): Highlights {
  switch (g.kind) {
    case 'conv': return linksOf(g.info, target);
    case 'pool': return poolLinks(g.info, target);
    case 'linear': return linearLinks(target);
    case 'flatten': return flattenLinks(target, shapeOf);
    case 'elementwise': return elementwiseLinks(target, shapeOf, names);
  }
}

function windowLinks(p: PoolInfo, h: HighlightSet, b: number, c: number, i: number, j: number): void {
  const r = i * p.outWidth + j;
  h.cell('z', b, c, i, j).cell('delta', b, c, i, j).cell('argmax', b, c, i, j);
  for (let ki = 0; ki < p.kernelHeight; ki++) {
    for (let kj = 0; kj < p.kernelWidth; kj++) {
      const k = ki * p.kernelWidth + kj;
      h.cell('pool_t', b, c, r, k).cell('dpool_t', b, c, r, k);
      const { y, x } = poolTap(p, i, j, ki, kj);
      h.cell('a', b, c, y, x);
      if (!isPoolPadding(p, y, x)) h.cell('input', b, c, y - p.padHeight, x - p.padWidth).cell('dA', b, c, y - p.padHeight, x - p.padWidth);
    }
  }
}

/** The windows that read padded pixel (y, x), and the pixel itself. */
function pixelWindows(p: PoolInfo, h: HighlightSet, b: number, c: number, y: number, x: number): void {
  h.cell('a', b, c, y, x);
  if (!isPoolPadding(p, y, x)) h.cell('input', b, c, y - p.padHeight, x - p.padWidth).cell('dA', b, c, y - p.padHeight, x - p.padWidth);
  for (let ki = 0; ki < p.kernelHeight; ki++) {
    const dy = y - ki * p.dilationHeight;
    if (dy < 0 || dy % p.strideHeight !== 0 || dy / p.strideHeight >= p.outHeight) continue;
    for (let kj = 0; kj < p.kernelWidth; kj++) {
      const dx = x - kj * p.dilationWidth;
      if (dx < 0 || dx % p.strideWidth !== 0 || dx / p.strideWidth >= p.outWidth) continue;
      const i = dy / p.strideHeight;
      const j = dx / p.strideWidth;
      const r = i * p.outWidth + j;
      const k = ki * p.kernelWidth + kj;
      h.cell('z', b, c, i, j).cell('delta', b, c, i, j).cell('argmax', b, c, i, j).cell('pool_t', b, c, r, k).cell('dpool_t', b, c, r, k);
    }
  }
}

function poolLinks(p: PoolInfo, target: LinkTarget): Highlights {
  const h = new HighlightSet();
  const [b, c, s, t] = target.index;
  switch (target.tensor) {
    case 'z': case 'delta': case 'argmax':
      windowLinks(p, h, b, c, s, t);
      break;
    case 'pool_t': case 'dpool_t': {
      // The row's window; the cell's own pixel on top.
      const i = Math.floor(s / p.outWidth);
      const j = s % p.outWidth;
      windowLinks(p, h, b, c, i, j);
      const { y, x } = poolTap(p, i, j, Math.floor(t / p.kernelWidth), t % p.kernelWidth);
      pixelWindows(p, h, b, c, y, x);
      break;
    }
    case 'a':
      pixelWindows(p, h, b, c, s, t);
      break;
    case 'input': case 'dA':
      pixelWindows(p, h, b, c, s + p.padHeight, t + p.padWidth);
      break;
  }
  return h.map;
}

function linearLinks(target: LinkTarget): Highlights {
  const h = new HighlightSet();
  const [p, q] = target.index;
  switch (target.tensor) {
    case 'z': case 'delta':
      // z[b, o] = input[b, :] · W[o, :] + b[o]; δ[b, o] feeds ∂C/∂input[b, :] and ∂C/∂W[o, :].
      h.cell('z', p, q).cell('delta', p, q).row('input', p).row('dA', p).row('weight', q).row('dW', q).column('w_t', q).cell('bias', q).cell('db', q);
      break;
    case 'input': case 'dA':
      h.cell('input', p, q).cell('dA', p, q).row('z', p).row('delta', p).column('weight', q).column('dW', q).row('w_t', q);
      break;
    case 'weight': case 'dW': case 'w_t': {
      const [o, i] = target.tensor === 'w_t' ? [q, p] : [p, q];
      h.cell('weight', o, i).cell('dW', o, i).cell('w_t', i, o).column('input', i).column('dA', i).column('z', o).column('delta', o);
      break;
    }
    case 'bias': case 'db':
      h.cell('bias', p).cell('db', p).column('z', p).column('delta', p);
      break;
  }
  return h.map;
}

/** input[b, c, y, x] is z[b, (c·H + y)·W + x]. */
function flattenLinks(target: LinkTarget, shapeOf: ShapeOf): Highlights {
  const h = new HighlightSet();
  const inner = (shapeOf('input') ?? []).slice(1);
  const [b, ...rest] = target.index;
  if (target.tensor === 'z' || target.tensor === 'delta') {
    let f = rest[0];
    const index: number[] = new Array(inner.length);
    for (let d = inner.length - 1; d >= 0; d--) { index[d] = f % inner[d]; f = Math.floor(f / inner[d]); }
    h.cell('z', ...target.index).cell('delta', ...target.index).cell('input', b, ...index).cell('dA', b, ...index);
  } else {
    const f = rest.reduce((acc, v, d) => acc * inner[d] + v, 0);
    h.cell('input', ...target.index).cell('dA', ...target.index).cell('z', b, f).cell('delta', b, f);
  }
  return h.map;
}

/** The same cell of every tensor of the cell's shape; a (B) tensor (class targets) links to its row. */
function elementwiseLinks(target: LinkTarget, shapeOf: ShapeOf, names: readonly TensorName[]): Highlights {
  const h = new HighlightSet();
  const own = shapeOf(target.tensor) ?? [];
  if (target.tensor === 'loss') {
    // One number made of every output.
    for (const name of names) {
      const shape = shapeOf(name) ?? [];
      if (name === 'loss') continue;
      for (let r = 0; r < shape[0]; r++) if (shape.length === 2) h.row(name, r); else if (shape.length === 1) h.cell(name, r);
    }
    return h.map;
  }
  for (const name of names) {
    const shape = shapeOf(name) ?? [];
    if (shape.join() === own.join()) h.cell(name, ...target.index);
    else if (shape.length === 1 && own.length === 2 && shape[0] === own[0]) h.cell(name, target.index[0]);
    else if (own.length === 1 && shape.length === 2 && shape[0] === own[0]) h.row(name, target.index[0]);
  }
  return h.map;
}
