// What the faces show of a conv1d: the im2col stages of a sequence (B, C, L), a_t
// with one row per window of the sequence and one column per (channel, tap), the
// links and sums of each cell, in 1-D indices. The links are conv2d's (links.ts)
// on the same geometry with a height of 1: only the indices are translated.

import { CellSum, TensorLookup, Term, cellSum, product, sum } from '../cellTerms';
import type { ConvInfo } from '../convInfo';
import { Highlights, LinkTarget, col2imContributors, linksOf } from '../links';
import type { TensorName } from '../trace';
import { windowField } from '../region';
import { DELTA_SOURCE, convMatmul, convWindowCells } from './conv2dView';
import { AxisLabels, LayerView, Words, codeShape, gradientTable, parts, words } from './view';

/** How the padding was written: a number (or "valid"), "same", or "causal" (all of it on the left). */
export type Conv1dPadding = 'explicit' | 'same' | 'causal';

/** A conv1d's geometry, checked: every size of its trace. */
export interface Conv1dInfo {
  batch: number;
  inChannels: number;
  length: number;
  outChannels: number;
  kernel: number;
  stride: number;
  dilation: number;
  padding: Conv1dPadding;
  padLeft: number;
  padRight: number;
  paddedLength: number;
  outLength: number;
  groups: number;
  inChannelsPerGroup: number;
  outChannelsPerGroup: number;
  /** Columns of a_t: inChannels·kernel, column c·K + k. */
  patchSize: number;
  /** Columns of a_t one group's kernels see. */
  groupPatchSize: number;
  hasBias: boolean;
}

/** The same geometry as a conv2d of height 1: the kernels run it, and the links read it. */
export function as2d(i: Conv1dInfo): ConvInfo {
  return {
    batch: i.batch, inChannels: i.inChannels, inHeight: 1, inWidth: i.length, outChannels: i.outChannels,
    kernelHeight: 1, kernelWidth: i.kernel, strideHeight: 1, strideWidth: i.stride, dilationHeight: 1, dilationWidth: i.dilation,
    padTop: 0, padBottom: 0, padLeft: i.padLeft, padRight: i.padRight,
    groups: i.groups, inChannelsPerGroup: i.inChannelsPerGroup, outChannelsPerGroup: i.outChannelsPerGroup,
    paddedHeight: 1, paddedWidth: i.paddedLength, outHeight: 1, outWidth: i.outLength, outPositions: i.outLength,
    patchSize: i.patchSize, groupPatchSize: i.groupPatchSize, effectiveKernelHeight: 1, effectiveKernelWidth: i.dilation * (i.kernel - 1) + 1,
    hasBias: i.hasBias,
  };
}

/** The output-length formula with this geometry's numbers, for the reshape stage and hovers. */
export function conv1dLengthFormula(i: Conv1dInfo): string {
  return `Lout = floor((${i.length} + ${i.padLeft} + ${i.padRight} - ${i.dilation}·(${i.kernel}-1) - 1) / ${i.stride}) + 1 = ${i.outLength}`;
}

/** The padding as the toolbar and hovers state it: `[1, 1]`, `[1, 2] (same)`, `[4, 0] (causal)`. */
export function conv1dPaddingText(i: Conv1dInfo): string {
  return `[${i.padLeft}, ${i.padRight}]${i.padding === 'explicit' ? '' : ` (${i.padding})`}`;
}

/** Tensors laid out (B, C, L) or (Cout, Cin/groups, K): conv2d's have a height axis of 1 at index 2. */
const SEQUENCES = new Set<TensorName>(['input', 'a', 'z', 'delta', 'dA_padded', 'dA', 'weight', 'dW']);

const to2d = (name: TensorName, index: readonly number[]): number[] =>
  SEQUENCES.has(name) ? [index[0], index[1], 0, index[2]] : name === 'col2im_counts' ? [0, index[0]] : [...index];
const from2d = (name: TensorName, index: readonly number[]): number[] =>
  SEQUENCES.has(name) ? [index[0], index[1], index[3]] : name === 'col2im_counts' ? [index[1]] : [...index];

const shape = (...d: number[]) => `(${d.join(', ')})`;
const tapText = (i: Conv1dInfo, col: number) => `(c ${Math.floor(col / i.kernel)}, k ${col % i.kernel})`;
const isPadding = (i: Conv1dInfo, p: number) => p < i.padLeft || p >= i.padLeft + i.length;
const groupsNote = (i: Conv1dInfo) => (i.groups > 1 ? words('groupsNote', i.groups, i.inChannelsPerGroup, i.groupPatchSize, i.outChannelsPerGroup) : '');
const usedTransposed = (name: string) => words('captionUsedTransposed', name);

function padExplanation(i: Conv1dInfo): Words {
  const padded = shape(i.batch, i.inChannels, i.paddedLength);
  const total = i.padLeft + i.padRight;
  if (i.padding === 'same') return words('conv1dPadSame', total, i.padLeft, i.padRight, padded);
  if (i.padding === 'causal') return words('conv1dPadCausal', total, padded);
  return total === 0 ? words('conv1dPadNone', padded) : words('conv1dPadSome', i.padLeft, i.padRight, padded);
}

export const conv1dView: LayerView<Conv1dInfo> = {
  gradientOf: gradientTable({ dW: { param: 'weight' }, db: { param: 'bias', absent: 0 }, dA: { input: 0 } }),
  numbers: ['batch', 'inChannels', 'length', 'outChannels', 'kernel', 'stride', 'dilation', 'padLeft', 'padRight', 'paddedLength', 'outLength', 'groups'],
  stages: {
    pad: {
      title: words('titlePad'),
      flow: [{ tensor: 'input' }, { op: 'pad →' }, { tensor: 'a' }],
      explain: ({ info }) => padExplanation(info),
      specKeys: ['padding', 'input'],
    },
    im2col: {
      title: words('titleIm2col'),
      flow: [{ tensor: 'a' }, { op: 'im2col →' }, { tensor: 'a_t' }],
      explain: ({ info: i }) => words('conv1dIm2col', i.kernel, i.dilation > 1 ? words('conv1dIm2colDilation', i.dilation) : '', i.stride, i.outLength, i.patchSize),
      specKeys: ['stride', 'dilation', 'padding', 'input'],
      rows: 'a_t',
    },
    weight_matrix: {
      title: words('titleWeightMatrix'),
      flow: [{ tensor: 'weight', caption: 'w' }, { op: 'reshape(Cout, −1).T →' }, { tensor: 'w_t' }],
      explain: ({ info: i }) => words('conv1dWeightMatrix', shape(i.patchSize, i.outChannels), groupsNote(i)),
      specKeys: ['weight', 'groups'],
    },
    matmul: convMatmul,
    reshape_bias: {
      title: words('titleReshapeBias'),
      flow: ({ has }) => (has('bias')
        ? [{ tensor: 'z_t' }, { op: 'transpose, +' }, { tensor: 'bias', caption: 'b' }, { op: '=' }, { tensor: 'z' }]
        : [{ tensor: 'z_t' }, { op: 'transpose →' }, { tensor: 'z' }]),
      explain: ({ info: i }) => words('conv1dReshapeBias', shape(i.batch, i.outChannels, i.outLength), i.hasBias ? words('reshapeBiasAdded') : '', conv1dLengthFormula(i)),
      specKeys: ['bias'],
    },
    delta_t: {
      title: words('titleDeltaT'),
      flow: [{ tensor: 'delta', caption: 'δ' }, { op: 'transpose →' }, { tensor: 'delta_t', caption: 'δ_t' }],
      explain: ({ delta }) => words('deltaT', words(DELTA_SOURCE[delta])),
    },
    dA_t: {
      title: words('titleDAt'),
      flow: [{ tensor: 'delta_t', caption: 'δ_t' }, { op: '@' }, { tensor: 'w_t', caption: usedTransposed('w_t') }, { op: '=' }, { tensor: 'dA_t', caption: '∂C/∂a_t' }],
      explain: words('dAt'),
      specKeys: ['weight'],
      rows: 'dA_t',
      product: true,
    },
    col2im: {
      title: words('titleCol2im'),
      flow: [{ tensor: 'dA_t', caption: '∂C/∂a_t' }, { op: 'col2im →' }, { tensor: 'dA_padded', caption: 'col2im(∂C/∂a_t)' }, { tensor: 'col2im_counts', caption: words('captionOverlapCounts') },
        { op: 'crop →' }, { tensor: 'dA', caption: '∂C/∂a' }],
      explain: words('conv1dCol2im'),
      specKeys: ['padding', 'stride', 'dilation'],
      rows: 'dA_t',
    },
    dW: {
      title: words('titleDW'),
      flow: [{ tensor: 'a_t', caption: usedTransposed('a_t') }, { op: '@' }, { tensor: 'delta_t', caption: 'δ_t' }, { op: '=' }, { tensor: 'dW_t', caption: '∂C/∂w_t' }, { op: '.T.reshape →' },
        { tensor: 'dW', caption: '∂C/∂w' }],
      explain: ({ info: i }) => words('dW', i.groups > 1 ? words('dWGroups') : ''),
      specKeys: ['weight'],
      product: true,
    },
    db: {
      title: words('titleDb'),
      flow: [{ tensor: 'delta_t', caption: 'δ_t' }, { op: words('opSumOverRows') }, { tensor: 'db', caption: '∂C/∂b' }],
      explain: words('db'),
      specKeys: ['bias'],
    },
  },
  facts: i => [
    words('factInput', shape(i.batch, i.inChannels, i.length)),
    words('factWeight', shape(i.outChannels, i.inChannelsPerGroup, i.kernel)),
    words('conv1dFactStride', i.stride),
    words('factPadding', conv1dPaddingText(i)),
    words('conv1dFactDilation', i.dilation),
    words('factGroups', i.groups),
  ],
  links: conv1dLinks,
  cellSum: conv1dCellSum,
  cellMeaning: conv1dCellMeaning,
  muted: (info, name) => (name === 'a' || name === 'dA_padded' ? index => isPadding(info, index[2]) : undefined),
  axisLabels: conv1dAxisLabels,
  hover: i => [
    words('hoverConv1d', codeShape([i.batch, i.outLength, i.patchSize]), codeShape([i.patchSize, i.outChannels]), codeShape([i.batch, i.outLength, i.outChannels])),
    words('hoverSumsProducts', i.groupPatchSize), '', words('hoverConvGeometry', String(i.stride), conv1dPaddingText(i), String(i.dilation), i.groups),
    '', '```text', conv1dLengthFormula(i), '```'],
  // A (B, C, L) region is a (B, C, 1, L) one cell for cell.
  receptive: (i, out, [input]) => [convWindowCells(as2d(i), out.reshaped([out.shape[0], out.shape[1], 1, out.shape[2]]), [input[0], input[1], 1, input[2]]).reshaped(input)],
  field: (i, [below]) => windowField(below, [{ kernel: i.kernel, stride: i.stride, dilation: i.dilation }]),
};

/** conv2d's links on the height-1 geometry, their indices in 1-D, for the tensors this trace has. */
function conv1dLinks(info: Conv1dInfo, target: LinkTarget, _shapeOf: unknown, names: readonly TensorName[]): Highlights {
  const linked = linksOf(as2d(info), { tensor: target.tensor, index: to2d(target.tensor, target.index) });
  const out: Highlights = {};
  for (const name of names) {
    const h = linked[name];
    if (h) out[name] = { cells: h.cells.map(c => from2d(name, c)), rows: h.rows, columns: h.columns };
  }
  return out;
}

function conv1dCellSum(info: Conv1dInfo, get: TensorLookup, _shapeOf: unknown, target: LinkTarget): CellSum | undefined {
  const [b, c, p] = target.index;
  switch (target.tensor) {
    case 'z': {
      // z[b, o, t] is z_t[b, t, o] and the bias: the sum conv2d's z_t lists.
      const s = cellSum(as2d(info), get, { tensor: 'z_t', index: [b, p, c] });
      const bias = get('bias');
      const g = Math.floor(c / info.outChannelsPerGroup);
      const range = info.groups > 1 ? `k=${g * info.groupPatchSize}..${(g + 1) * info.groupPatchSize - 1}` : 'k';
      return s && sum(`z[${b}, ${c}, ${p}] = Σ_${range} a_t[${b}, ${p}, k] · w_t[k, ${c}]${bias ? ` + b[${c}]` : ''}`, s.terms, bias ? { label: `b[${c}]`, value: bias[c] } : undefined);
    }
    case 'dA_padded':
      return col2imSum(info, get, b, c, p, `∂C/∂a_padded[${b}, ${c}, ${p}]`);
    case 'dA':
      return col2imSum(info, get, b, c, p + info.padLeft, `∂C/∂a[${b}, ${c}, ${p}]`);
    case 'z_t': case 'dA_t': case 'dW_t': case 'db': case 'dW':
      // Their labels are conv2d's: a_t, w_t, δ_t and the bias are laid out alike.
      return cellSum(as2d(info), get, { tensor: target.tensor, index: to2d(target.tensor, target.index) });
    default:
      return undefined;
  }
}

/** ∂C/∂a at padded position p: the ∂C/∂a_t entries that copied it, and the same as δ · w over the windows that read it. */
function col2imSum(info: Conv1dInfo, get: TensorLookup, b: number, c: number, p: number, name: string): CellSum | undefined {
  const dAt = get('dA_t');
  if (!dAt) return undefined;
  const { patchSize: K, outLength: R, kernel, outChannels: Cout, outChannelsPerGroup: Cog, inChannelsPerGroup: Cig } = info;
  const copies = col2imContributors(as2d(info), c, 0, p);
  const terms = copies.map(t => {
    const v = dAt[(b * R + t.r) * K + t.k];
    return { label: `∂C/∂a_t[${b}, ${t.r}, ${t.k}]  (window ${t.j}, tap ${t.kj})`, factors: [v], value: v };
  });
  const main = sum(`${name} = Σ ∂C/∂a_t entries that copied this position (${terms.length})`, terms);
  const delta = get('delta');
  const weight = get('weight');
  if (delta && weight) {
    const g = Math.floor(c / Cig);
    const cl = c - g * Cig;
    const alt: Term[] = [];
    for (const t of copies) {
      for (let o = g * Cog; o < (g + 1) * Cog; o++) {
        alt.push(product(`δ[${b}, ${o}, ${t.j}] · w[${o}, ${cl}, ${t.kj}]`, delta[(b * Cout + o) * R + t.j], weight[(o * Cig + cl) * kernel + t.kj]));
      }
    }
    main.alternative = sum(`${name} = Σ δ · w over the windows that read it (${alt.length} terms)`, alt);
  }
  return main;
}

function conv1dCellMeaning(info: Conv1dInfo, name: TensorName, index: readonly number[]): Words | undefined {
  const out = (t: number) => words('conv1dCellWindow', t);
  switch (name) {
    case 'a_t': case 'dA_t': {
      const [b, t, col] = index;
      const p = t * info.stride + (col % info.kernel) * info.dilation;
      const copies = words('cellCopies', `a[${b}, ${Math.floor(col / info.kernel)}, ${p}]`);
      return parts(words('cellRow', t, out(t)), words('cellColumn', col, tapText(info, col)), isPadding(info, p) ? words('cellAside', copies, words('cellPadding')) : copies);
    }
    case 'z_t': case 'delta_t':
      return parts(words('cellRow', index[1], out(index[1])), words('cellColumn', index[2], words('cellChannel', index[2])));
    case 'w_t': case 'dW_t':
      return parts(words('cellRow', index[0], tapText(info, index[0])), words('cellColumn', index[1], words('cellKernel', index[1])));
    case 'a': case 'dA_padded':
      return isPadding(info, index[2]) ? words('cellPadding') : words('conv1dCellPosition', index[2] - info.padLeft);
    case 'col2im_counts': {
      const count = words('conv1dCellCol2imCount', index[0]);
      return info.inChannels > 1 ? words('cellPerChannel', count) : count;
    }
    default:
      return undefined;
  }
}

function conv1dAxisLabels(info: Conv1dInfo, name: TensorName): AxisLabels {
  const window = (row: number) => String(row % info.outLength);
  const tap = (col: number) => `${Math.floor(col / info.kernel)},${col % info.kernel}`;
  switch (name) {
    case 'a_t': case 'dA_t': return { row: window, col: tap };
    case 'z_t': case 'delta_t': return { row: window, col: c => String(c) };
    case 'w_t': case 'dW_t': return { row: tap, col: c => String(c) };
    default: return {};
  }
}
