// What the faces show of a conv_transpose2d layer: the im2col stages (x_t @ w_mat, col2im, crop) beside the
// direct view (zeros inserted, ROT180(w)), the backward stages, and the links and sums of every cell. The
// im2col geometry is its dual conv2d's (convTransposeInfo.ts): a row of z_t is an input pixel, a column a
// tap (output channel, kh, kw), and col2im adds the row onto the window under that pixel.

import { CellSum, Term, product, sum } from '../cellTerms';
import type { ConvInfo } from '../convInfo';
import { ConvTransposeInfo, convTransposePaddingText, convTransposeSizeFormula, dualConvInfo, insertedFrame, insertedOffset } from '../convTransposeInfo';
import { HighlightSet, Highlights, LinkTarget, atColumn, atColumnTap, col2imContributors, rowOutput } from '../links';
import type { TensorLookup } from '../cellTerms';
import { AxisWindow, windowCells, windowField } from '../region';
import { DELTA_SOURCE } from './conv2dView';
import { AxisLabels, codeShape, gradientTable, LayerView, parts, words, Words } from './view';

const shape = (...d: number[]) => `(${d.join(', ')})`;
const fmt = (index: readonly number[]) => index.join(', ');

export const convTranspose2dView: LayerView<ConvTransposeInfo> = {
  gradientOf: gradientTable({ dW: { param: 'weight' }, db: { param: 'bias', absent: 0 }, dA: { input: 0 } }),
  numbers: ['batch', 'inChannels', 'inHeight', 'inWidth', 'outChannels', 'outHeight', 'outWidth', 'groups'],
  stages: {
    convt_rows: {
      title: words('titleConvtRows'),
      flow: [{ tensor: 'input', caption: 'x' }, { op: 'transpose, reshape →' }, { tensor: 'x_t' }],
      explain: ({ info: i }) => words('convtRows', i.inWidth, shape(i.batch, i.inPositions, i.inChannels)),
      specKeys: ['input'],
    },
    convt_weight_matrix: {
      title: words('titleWeightMatrix'),
      flow: [{ tensor: 'weight', caption: 'w' }, { op: 'reshape(Cin, −1) →' }, { tensor: 'w_mat' }],
      explain: ({ info: i }) => words('convtWeightMatrix', shape(i.inChannels, i.patchSize),
        i.groups > 1 ? words('convtGroupsNote', i.groups, i.inChannelsPerGroup, i.groupPatchSize) : ''),
      specKeys: ['weight', 'groups'],
    },
    convt_matmul: {
      title: words('titleMatmul'),
      flow: [{ tensor: 'x_t' }, { op: '@' }, { tensor: 'w_mat' }, { op: '=' }, { tensor: 'z_t' }],
      explain: ({ info: i }) => words('convtMatmul', i.inChannelsPerGroup),
      specKeys: ['weight', 'input'],
      rows: 'z_t',
      product: true,
    },
    convt_col2im: {
      title: words('titleCol2im'),
      flow: [{ tensor: 'z_t' }, { op: 'col2im →' }, { tensor: 'z_full' }, { tensor: 'col2im_counts', caption: words('captionOverlapCounts') }],
      explain: ({ info: i }) => words('convtCol2im', i.strideHeight, i.strideWidth, i.kernelHeight, i.kernelWidth, shape(i.fullHeight, i.fullWidth)),
      specKeys: ['stride', 'dilation'],
      rows: 'z_t',
    },
    convt_crop_bias: {
      title: words('titleConvtCropBias'),
      flow: ({ has }) => (has('bias')
        ? [{ tensor: 'z_full' }, { op: 'crop, +' }, { tensor: 'bias', caption: 'b' }, { op: '=' }, { tensor: 'z' }]
        : [{ tensor: 'z_full' }, { op: 'crop →' }, { tensor: 'z' }]),
      explain: ({ info: i }) => words('convtCropBias', convTransposePaddingText(i), i.outputPadHeight, i.outputPadWidth, shape(i.batch, i.outChannels, i.outHeight, i.outWidth),
        i.hasBias ? words('reshapeBiasAdded') : ''),
      specKeys: ['padding', 'output_padding', 'bias'],
    },
    rot180: {
      title: words('titleConvtRot180'),
      flow: ({ has }) => [{ tensor: 'x_full', caption: words('captionInputFull') }, { op: '⋆' }, { tensor: 'w_rot180', caption: 'ROT180(w)' },
        ...(has('bias') ? [{ op: '+' }, { tensor: 'bias', caption: 'b' }] : []),
        { op: '=' }, { tensor: 'z_rot180', caption: 'z (rot180)' }, { op: 'vs' }, { tensor: 'z', caption: 'z (col2im)' }],
      explain: ({ info: i }) => {
        const [top, left] = insertedOffset(i);
        return words('convtRot180', i.strideHeight - 1, i.strideWidth - 1, top, left);
      },
      specKeys: ['weight', 'stride', 'padding'],
      crossCheck: { agrees: 'zAgrees', disagrees: 'zDisagrees' },
    },
    convt_delta_full: {
      title: words('titleConvtDeltaFull'),
      flow: [{ tensor: 'delta', caption: 'δ' }, { op: 'pad →' }, { tensor: 'dZ_full', caption: '∂C/∂z_full' }],
      explain: ({ info: i, delta }) => words('convtDeltaFull', words(DELTA_SOURCE[delta]), convTransposePaddingText(i), i.outputPadHeight, i.outputPadWidth),
      specKeys: ['grad', 'padding'],
    },
    convt_im2col: {
      title: words('titleIm2col'),
      flow: [{ tensor: 'dZ_full', caption: '∂C/∂z_full' }, { op: 'im2col →' }, { tensor: 'dZ_t', caption: '∂C/∂z_t' }],
      explain: words('convtIm2col'),
      specKeys: ['stride', 'dilation'],
      rows: 'dZ_t',
    },
    convt_dx: {
      title: words('titleLinearDx'),
      flow: [{ tensor: 'dZ_t', caption: '∂C/∂z_t' }, { op: '@' }, { tensor: 'w_mat', caption: words('captionUsedTransposed', 'w_mat') }, { op: '=' },
        { tensor: 'dX_t', caption: '∂C/∂x_t' }, { op: 'transpose, reshape →' }, { tensor: 'dA', caption: '∂C/∂x' }],
      explain: ({ info: i }) => words('convtDx', i.groupPatchSize),
      specKeys: ['input', 'weight'],
      rows: 'dX_t',
      product: true,
    },
    convt_dw: {
      title: words('titleDW'),
      flow: [{ tensor: 'x_t', caption: words('captionUsedTransposed', 'x_t') }, { op: '@' }, { tensor: 'dZ_t', caption: '∂C/∂z_t' }, { op: '=' },
        { tensor: 'dW_mat', caption: '∂C/∂w_mat' }, { op: 'reshape →' }, { tensor: 'dW', caption: '∂C/∂w' }],
      explain: ({ info: i }) => words('convtDw', i.groups > 1 ? words('convtDwGroups') : ''),
      specKeys: ['weight'],
      product: true,
    },
    convt_db: {
      title: words('titleDb'),
      flow: [{ tensor: 'delta', caption: 'δ' }, { op: words('opSumOverPositions') }, { tensor: 'db', caption: '∂C/∂b' }],
      explain: words('convtDb'),
      specKeys: ['bias', 'grad'],
    },
  },
  facts: i => [
    words('factInput', shape(i.batch, i.inChannels, i.inHeight, i.inWidth)),
    words('factWeight', shape(i.inChannels, i.outChannelsPerGroup, i.kernelHeight, i.kernelWidth)),
    words('factOutput', shape(i.batch, i.outChannels, i.outHeight, i.outWidth)),
    words('factStride', i.strideHeight, i.strideWidth),
    words('factPadding', convTransposePaddingText(i)),
    words('factOutputPadding', i.outputPadHeight, i.outputPadWidth),
    words('factDilation', i.dilationHeight, i.dilationWidth),
    words('factGroups', i.groups),
  ],
  links: (info, target) => convTransposeLinks(info, target),
  cellSum: (info, get, _shapeOf, target) => convTransposeSum(info, get, target),
  cellMeaning: cellMeaning,
  muted: (info, name) => (name === 'x_full' ? index => inputOfFull(info, index[2], index[3]) === undefined : undefined),
  axisLabels,
  hover: i => {
    const pair = (a: number, b: number) => `(${a}, ${b})`;
    return [
      words('hoverConvTranspose', codeShape([i.batch, i.inPositions, i.inChannels]), codeShape([i.batch, i.inPositions, i.patchSize]), codeShape([i.batch, i.outChannels, i.fullHeight, i.fullWidth])),
      '', words('hoverConvTransposeGeometry', pair(i.strideHeight, i.strideWidth), convTransposePaddingText(i), pair(i.outputPadHeight, i.outputPadWidth), pair(i.dilationHeight, i.dilationWidth), i.groups),
      '', '```text', convTransposeSizeFormula(i, 'height'), convTransposeSizeFormula(i, 'width'), '```',
    ];
  },
  receptive: (i, out, [input]) => [windowCells(out, input,
    o => { const g = Math.floor(o / i.outChannelsPerGroup); return [g * i.inChannelsPerGroup, (g + 1) * i.inChannelsPerGroup]; },
    y => scatteredFrom(y + i.padTop, i.kernelHeight, i.strideHeight, i.dilationHeight, i.inHeight),
    x => scatteredFrom(x + i.padLeft, i.kernelWidth, i.strideWidth, i.dilationWidth, i.inWidth))],
  field: (i, [below]) => windowField(below, [
    upsampling(i.kernelHeight, i.strideHeight, i.dilationHeight), upsampling(i.kernelWidth, i.strideWidth, i.dilationWidth)]),
};

/** The input cells whose windows reach position `y` of the uncropped output: those i with i·s + k·d = y for a tap k. */
function scatteredFrom(y: number, kernel: number, stride: number, dilation: number, size: number): number[] {
  const from: number[] = [];
  for (let k = kernel - 1; k >= 0; k--) {
    const at = y - k * dilation;
    if (at >= 0 && at % stride === 0 && at / stride < size) from.push(at / stride);
  }
  return from;
}

/** An output cell reads at most ⌈(d·(k−1) + 1) / s⌉ neighbouring input cells, and moves 1/s of one per output cell. */
function upsampling(kernel: number, stride: number, dilation: number): AxisWindow {
  return { kernel: Math.ceil((dilation * (kernel - 1) + 1) / stride), stride: 1 / stride, dilation: 1 };
}

// ---- geometry ---------------------------------------------------------------------------------------------

/** The tap behind column k of z_t: output channel o, kernel offset (ki, kj). */
function tapOf(d: ConvInfo, k: number): { o: number; ki: number; kj: number } {
  const { c, ki, kj } = atColumnTap(d, k);
  return { o: c, ki, kj };
}

/** Where entry (r, k) of z_t lands in z_full. */
function landing(info: ConvTransposeInfo, d: ConvInfo, r: number, k: number): { o: number; y: number; x: number } {
  const { i, j } = rowOutput(d, r);
  const { o, ki, kj } = tapOf(d, k);
  return { o, y: i * info.strideHeight + ki * info.dilationHeight, x: j * info.strideWidth + kj * info.dilationWidth };
}

/** The output pixel a z_full pixel becomes, if the crop keeps it. */
function outputOf(info: ConvTransposeInfo, y: number, x: number): { y: number; x: number } | undefined {
  const oy = y - info.padTop;
  const ox = x - info.padLeft;
  return oy >= 0 && ox >= 0 && oy < info.outHeight && ox < info.outWidth ? { y: oy, x: ox } : undefined;
}

/** The input pixel at (fy, fx) of x_full, or undefined for an inserted zero or padding. */
function inputOfFull(info: ConvTransposeInfo, fy: number, fx: number): { i: number; j: number } | undefined {
  const [top, left] = insertedOffset(info);
  const dy = fy - top;
  const dx = fx - left;
  const real = dy >= 0 && dx >= 0 && dy % info.strideHeight === 0 && dx % info.strideWidth === 0
    && dy / info.strideHeight < info.inHeight && dx / info.strideWidth < info.inWidth;
  return real ? { i: dy / info.strideHeight, j: dx / info.strideWidth } : undefined;
}

/** Group g's input channels. */
const groupChannels = (info: ConvTransposeInfo, g: number) => Array.from({ length: info.inChannelsPerGroup }, (_, n) => g * info.inChannelsPerGroup + n);

// ---- links ------------------------------------------------------------------------------------------------

/** A pixel of z_full (and of ∂C/∂z_full): the z_t entries col2im adds into it, the inputs and weights behind them, its output. */
function fullPixelLinks(info: ConvTransposeInfo, d: ConvInfo, h: HighlightSet, b: number, o: number, y: number, x: number): void {
  const g = Math.floor(o / info.outChannelsPerGroup);
  h.cell('z_full', b, o, y, x).cell('dZ_full', b, o, y, x).cell('col2im_counts', y, x);
  for (const t of col2imContributors(d, o, y, x)) {
    h.cell('z_t', b, t.r, t.k).cell('dZ_t', b, t.r, t.k);
    for (const c of groupChannels(info, g)) {
      h.cell('x_t', b, t.r, c).cell('input', b, c, t.i, t.j).cell('w_mat', c, t.k).cell('weight', c, o - g * info.outChannelsPerGroup, t.ki, t.kj);
    }
  }
  const out = outputOf(info, y, x);
  if (out) h.cell('z', b, o, out.y, out.x).cell('z_rot180', b, o, out.y, out.x).cell('delta', b, o, out.y, out.x);
}

/** An output pixel: its z_full pixel and what made it, the direct view's window, the bias. */
function outputLinks(info: ConvTransposeInfo, d: ConvInfo, h: HighlightSet, b: number, o: number, y: number, x: number): void {
  h.cell('z', b, o, y, x).cell('z_rot180', b, o, y, x).cell('delta', b, o, y, x).cell('bias', o).cell('db', o);
  const fy = y + info.padTop;
  const fx = x + info.padLeft;
  if (fy < info.fullHeight && fx < info.fullWidth) fullPixelLinks(info, d, h, b, o, fy, fx);
  const g = Math.floor(o / info.outChannelsPerGroup);
  for (const c of groupChannels(info, g)) {
    for (let m = 0; m < info.kernelHeight; m++) {
      for (let n = 0; n < info.kernelWidth; n++) {
        h.cell('x_full', b, c, y + m * info.dilationHeight, x + n * info.dilationWidth).cell('w_rot180', o, c - g * info.inChannelsPerGroup, m, n);
      }
    }
  }
}

/** An input pixel: its row of x_t and z_t, where its window lands, its place in x_full. */
function inputLinks(info: ConvTransposeInfo, d: ConvInfo, h: HighlightSet, b: number, c: number, i: number, j: number): void {
  const r = i * info.inWidth + j;
  const R = info.inPositions;
  const g = Math.floor(c / info.inChannelsPerGroup);
  const [top, left] = insertedOffset(info);
  h.cell('input', b, c, i, j).cell('dA', b, c, i, j).cell('x_t', b, r, c).cell('dX_t', b, r, c).row('z_t', b * R + r).row('dZ_t', b * R + r);
  // A pixel the padding crops (more than d·(k − 1) on a side) has no place in x_full.
  const [fy, fx, [Hf, Wf]] = [top + i * info.strideHeight, left + j * info.strideWidth, insertedFrame(info)];
  if (fy >= 0 && fx >= 0 && fy < Hf && fx < Wf) h.cell('x_full', b, c, fy, fx);
  for (let k = g * info.groupPatchSize; k < (g + 1) * info.groupPatchSize; k++) {
    const at = landing(info, d, r, k);
    h.cell('z_full', b, at.o, at.y, at.x);
    const out = outputOf(info, at.y, at.x);
    if (out) h.cell('z', b, at.o, out.y, out.x);
  }
}

/** A weight w[c, ol, ki, kj] and its places in w_mat, ROT180(w) and the gradients. */
function weightLinks(info: ConvTransposeInfo, d: ConvInfo, h: HighlightSet, c: number, ol: number, ki: number, kj: number): void {
  const g = Math.floor(c / info.inChannelsPerGroup);
  const o = g * info.outChannelsPerGroup + ol;
  const k = atColumn(d, o, ki, kj);
  h.cell('weight', c, ol, ki, kj).cell('dW', c, ol, ki, kj).cell('w_mat', c, k).cell('dW_mat', c, k)
    .cell('w_rot180', o, c - g * info.inChannelsPerGroup, info.kernelHeight - 1 - ki, info.kernelWidth - 1 - kj)
    .column('z_t', k).column('dZ_t', k).column('x_t', c);
}

export function convTransposeLinks(info: ConvTransposeInfo, target: LinkTarget): Highlights {
  const d = dualConvInfo(info);
  const h = new HighlightSet();
  const [p, q, s, t] = target.index;
  switch (target.tensor) {
    case 'z': case 'z_rot180': case 'delta':
      outputLinks(info, d, h, p, q, s, t);
      break;
    case 'z_full': case 'dZ_full':
      fullPixelLinks(info, d, h, p, q, s, t);
      break;
    case 'col2im_counts':
      for (let o = 0; o < info.outChannels; o++) fullPixelLinks(info, d, h, 0, o, p, q);
      break;
    case 'z_t': case 'dZ_t': {
      const { i, j } = rowOutput(d, q);
      const g = Math.floor(tapOf(d, s).o / info.outChannelsPerGroup);
      h.cell('z_t', p, q, s).cell('dZ_t', p, q, s).column('w_mat', s).column('dW_mat', s);
      for (const c of groupChannels(info, g)) h.cell('x_t', p, q, c).cell('input', p, c, i, j);
      const at = landing(info, d, q, s);
      h.cell('z_full', p, at.o, at.y, at.x).cell('dZ_full', p, at.o, at.y, at.x);
      const out = outputOf(info, at.y, at.x);
      if (out) h.cell('z', p, at.o, out.y, out.x).cell('delta', p, at.o, out.y, out.x);
      break;
    }
    case 'input': case 'dA':
      inputLinks(info, d, h, p, q, s, t);
      break;
    case 'x_t': case 'dX_t': {
      const { i, j } = rowOutput(d, q);
      inputLinks(info, d, h, p, s, i, j);
      break;
    }
    case 'x_full': {
      h.cell('x_full', p, q, s, t);
      const at = inputOfFull(info, s, t);
      if (at) h.cell('input', p, q, at.i, at.j);
      break;
    }
    case 'weight': case 'dW':
      weightLinks(info, d, h, p, q, s, t);
      break;
    case 'w_mat': case 'dW_mat': {
      const g = Math.floor(p / info.inChannelsPerGroup);
      const local = q - g * info.groupPatchSize;
      h.cell('w_mat', p, q).cell('dW_mat', p, q).column('z_t', q).column('dZ_t', q).column('x_t', p);
      if (local >= 0 && local < info.groupPatchSize) {
        const { o, ki, kj } = tapOf(d, q);
        weightLinks(info, d, h, p, o - g * info.outChannelsPerGroup, ki, kj);
      }
      break;
    }
    case 'w_rot180': {
      const g = Math.floor(p / info.outChannelsPerGroup);
      weightLinks(info, d, h, g * info.inChannelsPerGroup + q, p - g * info.outChannelsPerGroup, info.kernelHeight - 1 - s, info.kernelWidth - 1 - t);
      break;
    }
    case 'bias': case 'db':
      h.cell('bias', p).cell('db', p);
      break;
  }
  return h.map;
}

// ---- cell sums --------------------------------------------------------------------------------------------

/** z_full[b, o, y, x]: the entries of z_t col2im adds into it. */
function fullPixelSum(info: ConvTransposeInfo, d: ConvInfo, get: TensorLookup, b: number, o: number, y: number, x: number): Term[] | undefined {
  const zt = get('z_t');
  if (!zt) return undefined;
  return col2imContributors(d, o, y, x).map(t => {
    const v = zt[(b * info.inPositions + t.r) * info.patchSize + t.k];
    return { label: `z_t[${fmt([b, t.r, t.k])}]  (input (${t.i}, ${t.j}), tap (${t.ki}, ${t.kj}))`, factors: [v], value: v };
  });
}

/** z[b, o, y, x] the direct way: x_full · ROT180(w) over the window, the inserted zeros left out. */
function directSum(info: ConvTransposeInfo, get: TensorLookup, b: number, o: number, y: number, x: number, name: string): CellSum | undefined {
  const xf = get('x_full');
  const wr = get('w_rot180');
  if (!xf || !wr) return undefined;
  const g = Math.floor(o / info.outChannelsPerGroup);
  const Hf = info.outHeight + info.dilationHeight * (info.kernelHeight - 1);
  const Wf = info.outWidth + info.dilationWidth * (info.kernelWidth - 1);
  const terms: Term[] = [];
  for (const c of groupChannels(info, g)) {
    const cl = c - g * info.inChannelsPerGroup;
    for (let m = 0; m < info.kernelHeight; m++) {
      for (let n = 0; n < info.kernelWidth; n++) {
        const fy = y + m * info.dilationHeight;
        const fx = x + n * info.dilationWidth;
        if (!inputOfFull(info, fy, fx)) continue;
        terms.push(product(`x_full[${fmt([b, c, fy, fx])}] · ROT180(w)[${fmt([o, cl, m, n])}]`,
          xf[((b * info.inChannels + c) * Hf + fy) * Wf + fx], wr[((o * info.inChannelsPerGroup + cl) * info.kernelHeight + m) * info.kernelWidth + n]));
      }
    }
  }
  const bias = info.hasBias ? get('bias') : undefined;
  return sum(`${name} = Σ x_full · ROT180(w) over the window (${terms.length} non-zero terms)${bias ? ` + b[${o}]` : ''}`, terms, bias ? { label: `b[${o}]`, value: bias[o] } : undefined);
}

/** z[b, o, y, x] = Σ of the z_t entries landing on its z_full pixel + b[o]; the direct products beside it. */
function outputSum(info: ConvTransposeInfo, d: ConvInfo, get: TensorLookup, b: number, o: number, y: number, x: number): CellSum | undefined {
  const fy = y + info.padTop;
  const fx = x + info.padLeft;
  const inside = fy < info.fullHeight && fx < info.fullWidth;
  const terms = inside ? fullPixelSum(info, d, get, b, o, fy, fx) : [];
  if (!terms) return undefined;
  const bias = info.hasBias ? get('bias') : undefined;
  const name = `z[${fmt([b, o, y, x])}]`;
  const main = sum(`${name} = ${inside ? `Σ z_t entries col2im adds into z_full[${fmt([b, o, fy, fx])}] (${terms.length})` : '0 (output_padding)'}${bias ? ` + b[${o}]` : ''}`,
    terms, bias ? { label: `b[${o}]`, value: bias[o] } : undefined);
  const alt = directSum(info, get, b, o, y, x, name);
  if (alt) main.alternative = alt;
  return main;
}

/** A product's entry: Σ_n A[a(n)]·B[b(n)] over the group's inner index. */
function matmulSum(formula: string, n: number, a: (n: number) => [string, number], b: (n: number) => [string, number]): CellSum {
  const terms = Array.from({ length: n }, (_, m) => {
    const [la, va] = a(m);
    const [lb, vb] = b(m);
    return product(`${la} · ${lb}`, va, vb);
  });
  return sum(formula, terms);
}

export function convTransposeSum(info: ConvTransposeInfo, get: TensorLookup, target: LinkTarget): CellSum | undefined {
  const d = dualConvInfo(info);
  const [p, q, s, t] = target.index;
  const { inChannels: Cin, inPositions: R, patchSize: K, groupPatchSize: Kg, inChannelsPerGroup: Cig } = info;
  switch (target.tensor) {
    case 'z':
      return outputSum(info, d, get, p, q, s, t);
    case 'z_rot180':
      return directSum(info, get, p, q, s, t, `z_rot180[${fmt([p, q, s, t])}]`);
    case 'z_full': {
      const terms = fullPixelSum(info, d, get, p, q, s, t);
      return terms && sum(`z_full[${fmt([p, q, s, t])}] = Σ z_t entries col2im adds into it (${terms.length})`, terms);
    }
    case 'z_t': {
      const xt = get('x_t');
      const wm = get('w_mat');
      if (!xt || !wm) return undefined;
      const g = Math.floor(s / Kg);
      return matmulSum(`z_t[${fmt([p, q, s])}] = Σ_c x_t[${p}, ${q}, c] · w_mat[c, ${s}]  (c = ${g * Cig}..${(g + 1) * Cig - 1})`, Cig,
        n => [`x_t[${fmt([p, q, g * Cig + n])}]`, xt[(p * R + q) * Cin + g * Cig + n]],
        n => [`w_mat[${g * Cig + n}, ${s}]`, wm[(g * Cig + n) * K + s]]);
    }
    case 'dX_t': case 'dA': {
      const [b, r, c] = target.tensor === 'dX_t' ? [p, q, s] : [p, s * info.inWidth + t, q];
      const dz = get('dZ_t');
      const wm = get('w_mat');
      if (!dz || !wm) return undefined;
      const g = Math.floor(c / Cig);
      return matmulSum(`${target.tensor}[${fmt(target.index)}] = Σ_k ∂C/∂z_t[${b}, ${r}, k] · w_mat[${c}, k]  (k = ${g * Kg}..${(g + 1) * Kg - 1})`, Kg,
        n => [`∂C/∂z_t[${fmt([b, r, g * Kg + n])}]`, dz[(b * R + r) * K + g * Kg + n]],
        n => [`w_mat[${c}, ${g * Kg + n}]`, wm[c * K + g * Kg + n]]);
    }
    case 'dW_mat': case 'dW': {
      const [c, k] = target.tensor === 'dW_mat' ? [p, q] : [p, Math.floor(p / Cig) * Kg + (q * info.kernelHeight + s) * info.kernelWidth + t];
      const xt = get('x_t');
      const dz = get('dZ_t');
      // Off its group's block, w_mat holds a structural zero: not a parameter, no gradient formed.
      if (!xt || !dz || Math.floor(k / Kg) !== Math.floor(c / Cig)) return undefined;
      return matmulSum(`${target.tensor}[${fmt(target.index)}] = Σ_(b,r) x_t[b, r, ${c}] · ∂C/∂z_t[b, r, ${k}]`, info.batch * R,
        n => [`x_t[${fmt([Math.floor(n / R), n % R, c])}]`, xt[n * Cin + c]],
        n => [`∂C/∂z_t[${fmt([Math.floor(n / R), n % R, k])}]`, dz[n * K + k]]);
    }
    case 'db': {
      const delta = get('delta');
      if (!delta) return undefined;
      const plane = info.outHeight * info.outWidth;
      const terms: Term[] = [];
      for (let b = 0; b < info.batch; b++) {
        for (let e = 0; e < plane; e++) {
          const v = delta[(b * info.outChannels + p) * plane + e];
          terms.push({ label: `δ[${fmt([b, p, Math.floor(e / info.outWidth), e % info.outWidth])}]`, factors: [v], value: v });
        }
      }
      return sum(`∂C/∂b[${p}] = Σ δ[b, ${p}, y, x]`, terms);
    }
    default:
      return undefined;
  }
}

// ---- what a cell means --------------------------------------------------------------------------------------

function cellMeaning(info: ConvTransposeInfo, name: string, index: readonly number[]): Words | undefined {
  const d = dualConvInfo(info);
  const pixel = (r: number) => { const { i, j } = rowOutput(d, r); return words('cellInputPixel', i, j); };
  const tap = (k: number) => { const a = tapOf(d, k); return `(o ${a.o}, kh ${a.ki}, kw ${a.kj})`; };
  switch (name) {
    case 'x_t': case 'dX_t':
      return parts(words('cellRow', index[1], pixel(index[1])), words('cellColumn', index[2], words('cellChannel', index[2])));
    case 'z_t': case 'dZ_t': {
      const at = landing(info, d, index[1], index[2]);
      const out = outputOf(info, at.y, at.x);
      return parts(words('cellRow', index[1], pixel(index[1])), words('cellColumn', index[2], tap(index[2])),
        out ? words('cellAddsInto', `z[${fmt([index[0], at.o, out.y, out.x])}]`) : words('cellCropped'));
    }
    case 'w_mat': case 'dW_mat':
      return parts(words('cellRow', index[0], words('cellChannel', index[0])), words('cellColumn', index[1], tap(index[1])));
    case 'z_full': case 'dZ_full': {
      const out = outputOf(info, index[2], index[3]);
      return out ? words('cellVerbatim', `→ z[${fmt([index[0], index[1], out.y, out.x])}]`) : words('cellCropped');
    }
    case 'col2im_counts': {
      const count = words('cellConvtCount', index[0], index[1]);
      return info.outChannels > 1 ? words('cellPerChannel', count) : count;
    }
    case 'x_full': {
      const at = inputOfFull(info, index[2], index[3]);
      return at ? words('cellVerbatim', `= x[${fmt([index[0], index[1], at.i, at.j])}]`) : words('cellInsertedZero');
    }
    case 'w_rot180': {
      const g = Math.floor(index[0] / info.outChannelsPerGroup);
      return words('cellVerbatim', `= w[${fmt([g * info.inChannelsPerGroup + index[1], index[0] - g * info.outChannelsPerGroup, info.kernelHeight - 1 - index[2], info.kernelWidth - 1 - index[3]])}]`);
    }
    default:
      return undefined;
  }
}

function axisLabels(info: ConvTransposeInfo, name: string): AxisLabels {
  const d = dualConvInfo(info);
  const R = info.inPositions;
  const pos = (row: number) => { const { i, j } = rowOutput(d, row % R); return `${i},${j}`; };
  const tap = (k: number) => { const t = tapOf(d, k); return `${t.o},${t.ki},${t.kj}`; };
  switch (name) {
    case 'x_t': case 'dX_t': return { row: pos, col: c => String(c) };
    case 'z_t': case 'dZ_t': return { row: pos, col: tap };
    case 'w_mat': case 'dW_mat': return { row: c => String(c), col: tap };
    default: return {};
  }
}
