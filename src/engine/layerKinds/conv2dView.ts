// What the faces show of a conv: the im2col stages with this run's numbers, the
// links between every tensor (links.ts), the sums behind each cell
// (cellTerms.ts), and what a row, a column or a cell of each matrix is.

import { cellSum } from '../cellTerms';
import { ConvInfo, outputSizeFormula } from '../convInfo';
import { col2im } from '../im2col';
import { atColumnTap, isPadding, linksOf, rowOutput } from '../links';
import { Region, windowCells, windowField, windowTaps } from '../region';
import { firstRows } from '../tensor';
import type { DeltaSource } from '../trace';
import { AxisLabels, codeShape, gradientTable, HoverLine, LayerView, parts, StageView, WordArg, words, Words } from './view';

const shape = (...d: number[]) => `(${d.join(', ')})`;

/** The words about where δ came from (the trace records it). */
export const DELTA_SOURCE: Record<DeltaSource, string> = { ones: 'deltaOnes', spec: 'deltaSpec', loss: 'deltaLoss', above: 'deltaAbove', sum: 'deltaSum' };

const groupsNote = (i: ConvInfo): WordArg => (i.groups > 1 ? words('groupsNote', i.groups, i.inChannelsPerGroup, i.groupPatchSize, i.outChannelsPerGroup) : '');
const usedTransposed = (name: string) => words('captionUsedTransposed', name);

/** z_t = a_t @ w_t: the same stage for every convolution that unfolds its input (conv2d, conv1d). */
export const convMatmul: StageView<{ groupPatchSize: number }> = {
  title: words('titleMatmul'),
  flow: [{ tensor: 'a_t' }, { op: '@' }, { tensor: 'w_t' }, { op: '=' }, { tensor: 'z_t' }],
  explain: ({ info: i }) => words('matmul', i.groupPatchSize),
  specKeys: ['weight', 'input'],
  rows: 'z_t',
  product: true,
};

export const conv2dView: LayerView<ConvInfo> = {
  gradientOf: gradientTable({ dW: { param: 'weight' }, db: { param: 'bias', absent: 0 }, dA: { input: 0 }, dA_rot180: { input: 0 } }),
  numbers: ['batch', 'inChannels', 'outChannels', 'outHeight', 'outWidth', 'groups'],
  // How many windows cover each padded input cell.
  counts: ['col2im_counts'],
  stages: {
    pad: {
      title: words('titlePad'),
      flow: [{ tensor: 'input' }, { op: 'pad →' }, { tensor: 'a' }],
      explain: ({ info: i }) => (i.padTop + i.padBottom + i.padLeft + i.padRight === 0
        ? words('padNone', shape(i.batch, i.inChannels, i.paddedHeight, i.paddedWidth))
        : words('padSome', i.padTop, i.padBottom, i.padLeft, i.padRight, shape(i.batch, i.inChannels, i.paddedHeight, i.paddedWidth))),
      specKeys: ['input', 'padding'],
    },
    im2col: {
      title: words('titleIm2col'),
      flow: [{ tensor: 'a' }, { op: 'im2col →' }, { tensor: 'a_t' }],
      explain: ({ info: i }) => words('im2col', i.kernelHeight, i.kernelWidth, i.dilationHeight > 1 || i.dilationWidth > 1 ? words('im2colDilation', i.dilationHeight, i.dilationWidth) : '',
        i.strideHeight, i.strideWidth, i.outWidth, i.outPositions, i.patchSize),
      specKeys: ['input', 'stride', 'dilation', 'padding'],
      rows: 'a_t',
    },
    weight_matrix: {
      title: words('titleWeightMatrix'),
      flow: [{ tensor: 'weight', caption: 'w' }, { op: 'reshape(Cout, −1).T →' }, { tensor: 'w_t' }],
      explain: ({ info: i }) => words('weightMatrix', shape(i.patchSize, i.outChannels), groupsNote(i)),
      specKeys: ['weight', 'groups'],
    },
    matmul: convMatmul,
    reshape_bias: {
      title: words('titleReshapeBias'),
      // Without a bias, "transpose, reshape, + b =" reads "transpose, reshape →".
      flow: ({ has }) => (has('bias')
        ? [{ tensor: 'z_t' }, { op: 'transpose, reshape, +' }, { tensor: 'bias', caption: 'b' }, { op: '=' }, { tensor: 'z' }]
        : [{ tensor: 'z_t' }, { op: 'transpose, reshape →' }, { tensor: 'z' }]),
      explain: ({ info: i }) => words('reshapeBias', shape(i.batch, i.outChannels, i.outHeight, i.outWidth), i.hasBias ? words('reshapeBiasAdded') : ''),
      specKeys: ['bias'],
    },
    delta_t: {
      title: words('titleDeltaT'),
      flow: [{ tensor: 'delta', caption: 'δ' }, { op: 'transpose, reshape →' }, { tensor: 'delta_t', caption: 'δ_t' }],
      explain: ({ delta }) => words('deltaT', words(DELTA_SOURCE[delta])),
      specKeys: ['grad'],
    },
    dA_t: {
      title: words('titleDAt'),
      flow: [{ tensor: 'delta_t', caption: 'δ_t' }, { op: '@' }, { tensor: 'w_t', caption: usedTransposed('w_t') }, { op: '=' }, { tensor: 'dA_t', caption: '∂C/∂a_t' }],
      explain: words('dAt'),
      specKeys: ['grad', 'weight'],
      rows: 'dA_t',
      product: true,
    },
    col2im: {
      title: words('titleCol2im'),
      flow: [{ tensor: 'dA_t', caption: '∂C/∂a_t' }, { op: 'col2im →' }, { tensor: 'dA_padded', caption: 'col2im(∂C/∂a_t)' }, { tensor: 'col2im_counts', caption: words('captionOverlapCounts') },
        { op: 'crop →' }, { tensor: 'dA', caption: '∂C/∂a' }],
      explain: words('col2im'),
      specKeys: ['input', 'padding', 'stride', 'dilation'],
      rows: 'dA_t',
      // It reads ∂C/∂a_t row by row and adds each row into the padded ∂C/∂a: the rows added so far.
      partial(info, rows, get) {
        const dAt = get('dA_t');
        return dAt ? { dA_padded: col2im(firstRows(dAt, rows, 0), info).padded } : {};
      },
    },
    dW: {
      title: words('titleDW'),
      flow: [{ tensor: 'a_t', caption: usedTransposed('a_t') }, { op: '@' }, { tensor: 'delta_t', caption: 'δ_t' }, { op: '=' }, { tensor: 'dW_t', caption: '∂C/∂w_t' }, { op: '.T.reshape →' },
        { tensor: 'dW', caption: '∂C/∂w' }],
      explain: ({ info: i }) => words('dW', i.groups > 1 ? words('dWGroups') : ''),
      specKeys: ['weight', 'grad'],
      product: true,
    },
    db: {
      title: words('titleDb'),
      flow: [{ tensor: 'delta_t', caption: 'δ_t' }, { op: words('opSumOverRows') }, { tensor: 'db', caption: '∂C/∂b' }],
      explain: words('db'),
      specKeys: ['bias', 'grad'],
    },
    rot180: {
      title: words('titleRot180'),
      flow: [{ tensor: 'delta_full', caption: words('captionDeltaFull') }, { op: '⋆' }, { tensor: 'w_rot180', caption: 'ROT180(w)' }, { op: '=' }, { tensor: 'dA_rot180', caption: '∂C/∂a (rot180)' },
        { op: 'vs' }, { tensor: 'dA', caption: '∂C/∂a (col2im)' }],
      explain: ({ info: i }) => words('rot180', i.strideHeight > 1 || i.strideWidth > 1 ? words('rot180Stride', i.strideHeight - 1, i.strideWidth - 1) : words('rot180NoStride'),
        i.dilationHeight * (i.kernelHeight - 1), i.dilationWidth * (i.kernelWidth - 1)),
      specKeys: ['weight', 'grad'],
      crossCheck: { agrees: 'rot180Agrees', disagrees: 'rot180Disagrees' },
    },
    // Someone's own tensor against the engine's: yours − engine's = difference.
    compare: {
      title: ({ stage }) => words('titleCompare', stage.inputs[1] ?? ''),
      flow: ({ stage }) => [{ tensor: 'yours' }, { op: '−' }, { tensor: stage.inputs[1], caption: words('captionEngine', stage.inputs[1]) }, { op: '=' }, { tensor: 'difference' }],
      explain: words('compare'),
      alwaysShown: true,
    },
  },
  facts: i => [
    words('factInput', shape(i.batch, i.inChannels, i.inHeight, i.inWidth)),
    words('factWeight', shape(i.outChannels, i.inChannelsPerGroup, i.kernelHeight, i.kernelWidth)),
    words('factStride', i.strideHeight, i.strideWidth),
    words('factPadding', `[${i.padTop}, ${i.padBottom}, ${i.padLeft}, ${i.padRight}]`),
    words('factDilation', i.dilationHeight, i.dilationWidth),
    words('factGroups', i.groups),
  ],
  links: (info, target) => linksOf(info, target),
  cellSum: (info, get, _shapeOf, target) => cellSum(info, get, target),
  cellMeaning: convCellMeaning,
  muted: convMuted,
  axisLabels: convAxisLabels,
  hover: i => [
    `- \`a_t\` = im2col(pad(input)) ${codeShape([i.batch, i.outPositions, i.patchSize])}, \`w_t\` ${codeShape([i.patchSize, i.outChannels])}, \`z_t\` ${codeShape([i.batch, i.outPositions, i.outChannels])}`,
    words('hoverSumsProducts', i.groupPatchSize), '', ...convGeometryLines(i)],
  receptive: (i, out, [input]) => [convWindowCells(i, out, input)],
  field: (i, [below]) => windowField(below, [
    { kernel: i.kernelHeight, stride: i.strideHeight, dilation: i.dilationHeight },
    { kernel: i.kernelWidth, stride: i.strideWidth, dilation: i.dilationWidth },
  ]),
};

/** The input pixels a conv's output cells read: their group's channels, each window's taps that are not padding. */
export function convWindowCells(i: ConvInfo, out: Region, input: readonly number[]): Region {
  return windowCells(out, input,
    o => { const g = Math.floor(o / i.outChannelsPerGroup); return [g * i.inChannelsPerGroup, (g + 1) * i.inChannelsPerGroup]; },
    y => windowTaps(y * i.strideHeight - i.padTop, i.kernelHeight, i.dilationHeight, i.inHeight),
    x => windowTaps(x * i.strideWidth - i.padLeft, i.kernelWidth, i.dilationWidth, i.inWidth));
}

/** A conv's stride, padding, dilation and groups, and its output size worked out (hovers on a layer and on a conv spec's keys). */
export function convGeometryLines(i: ConvInfo): HoverLine[] {
  return [
    words('hoverConvGeometry', `(${i.strideHeight}, ${i.strideWidth})`, `[${i.padTop}, ${i.padBottom}, ${i.padLeft}, ${i.padRight}]`, `(${i.dilationHeight}, ${i.dilationWidth})`, i.groups),
    '', '```text', outputSizeFormula(i, 'height'), outputSizeFormula(i, 'width'), '```',
  ];
}

function convCellMeaning(info: ConvInfo, name: string, index: readonly number[]): Words | undefined {
  const tap = (k: number) => { const a = atColumnTap(info, k); return `(c ${a.c}, kh ${a.ki}, kw ${a.kj})`; };
  const out = (r: number) => { const o = rowOutput(info, r); return words('cellOutput', o.i, o.j); };
  switch (name) {
    case 'a_t': case 'dA_t': {
      const [b, r, k] = index;
      const a = atColumnTap(info, k);
      const { i, j } = rowOutput(info, r);
      const y = i * info.strideHeight + a.ki * info.dilationHeight;
      const x = j * info.strideWidth + a.kj * info.dilationWidth;
      const copies = words('cellCopies', `a[${b}, ${a.c}, ${y}, ${x}]`);
      return parts(words('cellRow', r, out(r)), words('cellColumn', k, tap(k)), isPadding(info, y, x) ? words('cellAside', copies, words('cellPadding')) : copies);
    }
    case 'z_t': case 'delta_t':
      return parts(words('cellRow', index[1], out(index[1])), words('cellColumn', index[2], words('cellChannel', index[2])));
    case 'w_t': case 'dW_t':
      return parts(words('cellRow', index[0], tap(index[0])), words('cellColumn', index[1], words('cellKernel', index[1])));
    case 'a': case 'dA_padded':
      return isPadding(info, index[2], index[3]) ? words('cellPadding') : words('cellInputPixel', index[2] - info.padTop, index[3] - info.padLeft);
    case 'col2im_counts': {
      const count = words('cellCol2imCount', index[0], index[1]);
      return info.inChannels > 1 ? words('cellPerChannel', count) : count;
    }
    case 'delta_full': {
      const at = deltaFullSource(info, index[2], index[3]);
      return at ? words('cellVerbatim', `= δ[${index[0]}, ${index[1]}, ${at.i}, ${at.j}]`) : words('cellInsertedZero');
    }
    case 'w_rot180':
      return words('cellVerbatim', `= w[${Math.floor(index[0] / info.inChannelsPerGroup) * info.outChannelsPerGroup + index[1]}, ${index[0] % info.inChannelsPerGroup}, ${info.kernelHeight - 1 - index[2]}, ${info.kernelWidth - 1 - index[3]}]`);
    default:
      return undefined;
  }
}

/** The δ entry at (y, x) of the padded, zero-inserted δ of the rot180 view; undefined for an inserted zero or padding. */
function deltaFullSource(info: ConvInfo, y: number, x: number): { i: number; j: number } | undefined {
  const dy = y - info.dilationHeight * (info.kernelHeight - 1);
  const dx = x - info.dilationWidth * (info.kernelWidth - 1);
  const real = dy >= 0 && dx >= 0 && dy % info.strideHeight === 0 && dx % info.strideWidth === 0
    && dy / info.strideHeight < info.outHeight && dx / info.strideWidth < info.outWidth;
  return real ? { i: dy / info.strideHeight, j: dx / info.strideWidth } : undefined;
}

function convMuted(info: ConvInfo, name: string): ((index: readonly number[]) => boolean) | undefined {
  if (name === 'a' || name === 'dA_padded') return index => isPadding(info, index[2], index[3]);
  if (name === 'delta_full') return index => deltaFullSource(info, index[2], index[3]) === undefined;
  return undefined;
}

function convAxisLabels(info: ConvInfo, name: string): AxisLabels {
  const R = info.outPositions;
  const pos = (row: number) => { const { i, j } = rowOutput(info, row % R); return `${i},${j}`; };
  const tap = (k: number) => { const t = atColumnTap(info, k); return `${t.c},${t.ki},${t.kj}`; };
  switch (name) {
    case 'a_t': case 'dA_t': return { row: pos, col: tap };
    case 'z_t': case 'delta_t': return { row: pos, col: c => String(c) };
    case 'w_t': case 'dW_t': return { row: tap, col: c => String(c) };
    default: return {};
  }
}
