// What the faces show of a pooling layer: a pooled cell lights up its window in
// the input, its row of pool_t and its argmax; its sum is the window's max or
// mean; a pixel's gradient gathers the shares of every window that read it.

import { CellSum, TensorLookup, Term, maxOf, product, sum } from '../cellTerms';
import { PoolInfo, isPoolPadding, poolDivisor, poolTap } from '../layers';
import { HighlightSet, Highlights, LinkTarget } from '../links';
import { windowCells, windowField, windowTaps } from '../region';
import { LayerView, StageContext, codeShape, gradientTable, parts, words } from './view';

const fmt = (index: readonly number[]) => index.join(', ');
const isMax = (c: StageContext<PoolInfo>) => c.info.kind === 'max';

export const poolView: LayerView<PoolInfo> = {
  gradientOf: gradientTable({ dA: { input: 0 } }),
  numbers: ['batch', 'channels', 'kernelHeight', 'kernelWidth', 'outHeight', 'outWidth'],
  stages: {
    pool_pad: {
      title: words('titlePad'),
      flow: [{ tensor: 'input' }, { op: 'pad →' }, { tensor: 'a' }],
      explain: ({ info: p }) => (p.padTop + p.padBottom + p.padLeft + p.padRight === 0 && p.paddedHeight === p.inHeight && p.paddedWidth === p.inWidth
        ? words('poolPadNone')
        : words('poolPad', paddingText(p), p.paddedHeight > p.inHeight + p.padTop + p.padBottom || p.paddedWidth > p.inWidth + p.padLeft + p.padRight ? words('poolPadCeil') : '',
          words(p.kind === 'max' ? 'poolPadMax' : p.countIncludePad ? 'poolPadAvg' : 'poolPadAvgExcluded'))),
    },
    pool_unfold: {
      title: words('titlePoolUnfold'),
      flow: [{ tensor: 'a' }, { op: 'unfold →' }, { tensor: 'pool_t' }],
      explain: ({ info: p }) => words('poolUnfold', p.outWidth, p.kernelHeight, p.kernelWidth, p.strideHeight, p.strideWidth,
        p.dilationHeight > 1 || p.dilationWidth > 1 ? words('poolUnfoldDilation', p.dilationHeight, p.dilationWidth) : '',
        words(p.strideHeight < p.kernelHeight || p.strideWidth < p.kernelWidth ? 'poolOverlap' : 'poolNoOverlap')),
    },
    pool_reduce: {
      title: c => words(isMax(c) ? 'titleMaxOfWindow' : 'titleMeanOfWindow'),
      flow: [{ tensor: 'pool_t' }, { op: 'reduce →' }, { tensor: 'z' }, { tensor: 'argmax' }],
      explain: words('poolReduce'),
    },
    pool_route: {
      title: c => words(isMax(c) ? 'titleRouteToArgmax' : 'titleSpreadOverWindow'),
      flow: [{ tensor: 'delta', caption: 'δ' }, { tensor: 'argmax' }, { op: '→' }, { tensor: 'dpool_t' }],
      explain: words('poolRoute'),
    },
    pool_col2im: {
      title: words('titleCol2im'),
      flow: [{ tensor: 'dpool_t' }, { op: 'col2im, crop →' }, { tensor: 'dA', caption: '∂C/∂input' }],
      explain: words('poolCol2im'),
    },
  },
  facts: p => [
    words('factInput', `(${p.batch}, ${p.channels}, ${p.inHeight}, ${p.inWidth})`),
    words(p.kind === 'max' ? 'factMaxPooling' : 'factAvgPooling', p.kernelHeight, p.kernelWidth),
    words('factStride', p.strideHeight, p.strideWidth),
    words('factPadding', paddingText(p)),
    ...(p.kind === 'avg' && !p.countIncludePad ? [words('factCountExcluded')] : []),
    ...(p.kind === 'max' ? [words('factDilation', p.dilationHeight, p.dilationWidth)] : []),
    words('factOutput', `(${p.batch}, ${p.channels}, ${p.outHeight}, ${p.outWidth})`),
  ],
  links: poolLinks,
  cellSum: (p, get, _shapeOf, target) => poolSum(p, get, target),
  cellMeaning(p, name, index) {
    const [b, c, s, k] = index;
    const pixel = (y: number, x: number) => (isPoolPadding(p, y, x) ? words('cellPadding') : words('cellInputPixel', y - p.padTop, x - p.padLeft));
    switch (name) {
      case 'pool_t': case 'dpool_t': {
        const i = Math.floor(s / p.outWidth);
        const j = s % p.outWidth;
        const ki = Math.floor(k / p.kernelWidth);
        const kj = k % p.kernelWidth;
        const { y, x } = poolTap(p, i, j, ki, kj);
        return parts(words('cellRow', s, words('cellOutput', i, j)), words('cellColumn', k, words('cellTap', ki, kj)),
          words('cellAside', words('cellCopies', `a[${b}, ${c}, ${y}, ${x}]`), pixel(y, x)));
      }
      case 'a':
        return pixel(s, k);
      default:
        return undefined;
    }
  },
  muted: (p, name) => (name === 'a' ? index => isPoolPadding(p, index[2], index[3]) : undefined),
  axisLabels(p, name) {
    if (name !== 'pool_t' && name !== 'dpool_t') return {};
    return { row: r => `${Math.floor(r / p.outWidth)},${r % p.outWidth}`, col: k => `${Math.floor(k / p.kernelWidth)},${k % p.kernelWidth}` };
  },
  hover: p => [
    words('hoverPoolT', codeShape([p.batch, p.channels, p.outHeight * p.outWidth, p.kernelHeight * p.kernelWidth])),
    words(p.kind === 'max' ? 'hoverPoolMaxBackward' : p.countIncludePad ? 'hoverPoolAvgBackward' : 'hoverPoolAvgBackwardExcluded'),
    '', words('hoverPoolGeometry', `(${p.strideHeight}, ${p.strideWidth})`, paddingText(p), `(${p.dilationHeight}, ${p.dilationWidth})`, String(p.ceilMode)),
    '', '```text', poolSizeFormula(p, 'height'), poolSizeFormula(p, 'width'), '```',
  ],
  receptive: (p, out, [input]) => [windowCells(out, input, c => [c, c + 1],
    y => windowTaps(y * p.strideHeight - p.padTop, p.kernelHeight, p.dilationHeight, p.inHeight),
    x => windowTaps(x * p.strideWidth - p.padLeft, p.kernelWidth, p.dilationWidth, p.inWidth))],
  field: (p, [below]) => windowField(below, [
    { kernel: p.kernelHeight, stride: p.strideHeight, dilation: p.dilationHeight },
    { kernel: p.kernelWidth, stride: p.strideWidth, dilation: p.dilationWidth },
  ]),
};

/** (ph, pw) when each axis is padded evenly, as PyTorch writes it; else [top, bottom, left, right], as conv2d's. */
function paddingText(p: PoolInfo): string {
  return p.padTop === p.padBottom && p.padLeft === p.padRight ? `(${p.padTop}, ${p.padLeft})` : `[${p.padTop}, ${p.padBottom}, ${p.padLeft}, ${p.padRight}]`;
}

/** `Hout = floor((H + 2·pad − d·(k−1) − 1) / s) + 1 = …` (or `H + top + bottom` when uneven), with this layer's numbers. */
function poolSizeFormula(p: PoolInfo, axis: 'height' | 'width'): string {
  const [n, name, before, after, d, k, s, out] = axis === 'height'
    ? [p.inHeight, 'Hout', p.padTop, p.padBottom, p.dilationHeight, p.kernelHeight, p.strideHeight, p.outHeight]
    : [p.inWidth, 'Wout', p.padLeft, p.padRight, p.dilationWidth, p.kernelWidth, p.strideWidth, p.outWidth];
  const pads = before === after ? `2·${before}` : `${before} + ${after}`;
  return `${name} = ${p.ceilMode ? 'ceil' : 'floor'}((${n} + ${pads} - ${d}·(${k}-1) - 1) / ${s}) + 1 = ${out}`;
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
      if (!isPoolPadding(p, y, x)) h.cell('input', b, c, y - p.padTop, x - p.padLeft).cell('dA', b, c, y - p.padTop, x - p.padLeft);
    }
  }
}

/** The windows that read padded pixel (y, x), and the pixel itself. */
function pixelWindows(p: PoolInfo, h: HighlightSet, b: number, c: number, y: number, x: number): void {
  h.cell('a', b, c, y, x);
  if (!isPoolPadding(p, y, x)) h.cell('input', b, c, y - p.padTop, x - p.padLeft).cell('dA', b, c, y - p.padTop, x - p.padLeft);
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
      pixelWindows(p, h, b, c, s + p.padTop, t + p.padLeft);
      break;
  }
  return h.map;
}

function poolSum(p: PoolInfo, get: TensorLookup, target: LinkTarget): CellSum | undefined {
  const [b, c, s, t] = target.index;
  const K = p.kernelHeight * p.kernelWidth;
  const R = p.outHeight * p.outWidth;
  const row = ((b * p.channels + c) * R) * K;
  if (target.tensor === 'z' && p.kind === 'max') {
    // The window's taps; the largest wins (padding is −∞ and never does).
    const poolT = get('pool_t');
    if (!poolT) return undefined;
    const r = s * p.outWidth + t;
    const terms: Term[] = [];
    for (let k = 0; k < K; k++) {
      const v = poolT[row + r * K + k];
      terms.push({ label: `pool_t[${fmt([b, c, r, k])}]  (tap (${Math.floor(k / p.kernelWidth)}, ${k % p.kernelWidth}))`, factors: [v], value: v });
    }
    return maxOf(`z[${fmt(target.index)}] = max_k pool_t[${b}, ${c}, ${r}, k]; argmax = the first largest`, terms);
  }
  if (target.tensor === 'z' && p.kind === 'avg') {
    const poolT = get('pool_t');
    if (!poolT) return undefined;
    const r = s * p.outWidth + t;
    const n = poolDivisor(p, s, t);
    const terms: Term[] = [];
    for (let k = 0; k < K; k++) terms.push(product(`pool_t[${fmt([b, c, r, k])}] · 1/${n}`, poolT[row + r * K + k], 1 / n));
    return sum(`z[${fmt(target.index)}] = Σ_k pool_t[${b}, ${c}, ${r}, k] / ${n}`, terms);
  }
  if (target.tensor !== 'dA') return undefined;
  // ∂C/∂input[y, x]: every window tap that read the pixel gives back its share.
  const dpool = get('dpool_t');
  if (!dpool) return undefined;
  const y = s + p.padTop;
  const x = t + p.padLeft;
  if (isPoolPadding(p, y, x)) return undefined;
  const terms: Term[] = [];
  for (let i = 0; i < p.outHeight; i++) {
    for (let j = 0; j < p.outWidth; j++) {
      for (let ki = 0; ki < p.kernelHeight; ki++) {
        for (let kj = 0; kj < p.kernelWidth; kj++) {
          const tap = poolTap(p, i, j, ki, kj);
          if (tap.y !== y || tap.x !== x) continue;
          const r = i * p.outWidth + j;
          const k = ki * p.kernelWidth + kj;
          const v = dpool[row + r * K + k];
          terms.push({ label: `dpool_t[${fmt([b, c, r, k])}]  (window (${i}, ${j}), tap (${ki}, ${kj}))`, factors: [v], value: v });
        }
      }
    }
  }
  return sum(`∂C/∂input[${fmt(target.index)}] = Σ dpool_t entries of the windows that read this pixel (${terms.length})`, terms);
}
