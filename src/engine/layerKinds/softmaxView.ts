// What the faces show of a softmax layer: a cell's column is its batch item and
// position across every channel; p, e, z and the δs link cell to cell and to
// their column's max, sum and Σ δ·p; those per-column values light the column.

import { CellSum, TensorLookup, Term, product, sum } from '../cellTerms';
import { HighlightSet, Highlights, LinkTarget } from '../links';
import type { TensorName } from '../trace';
import { LayerView, ShapeOf, words } from './view';

/** The input as (B, C, rest): `inner` positions per channel (H·W, or 1 for (B, C)). */
export interface SoftmaxInfo { batch: number; channels: number; inner: number }

/** The tensors with one value per column, (B, 1, …). */
const PER_COLUMN: readonly TensorName[] = ['z_max', 'e_sum', 'dot'];
/** A column written as an index with · on the channel axis: `0, ·, 1, 2`. */
const columnLabel = (index: readonly number[]) => index.map((v, d) => (d === 1 ? '·' : v)).join(', ');
const fmt = (index: readonly number[]) => index.join(', ');

export const softmaxView: LayerView<SoftmaxInfo> = {
  numbers: ['batch', 'channels', 'inner'],
  stages: {
    softmax_exp: {
      title: words('titleSoftmaxExp'),
      flow: [{ tensor: 'z' }, { op: 'max_c →' }, { tensor: 'z_max' }, { op: 'exp(z − z_max) →' }, { tensor: 'e' }],
      explain: words('softmaxExp'),
    },
    softmax_normalize: {
      title: words('titleSoftmaxNormalize'),
      flow: [{ tensor: 'e' }, { op: 'Σ_c →' }, { tensor: 'e_sum' }, { op: 'e / e_sum →' }, { tensor: 'p' }],
      explain: ({ info }) => words('softmaxNormalize', info.channels),
    },
    softmax_dot: {
      title: words('titleSoftmaxDot'),
      flow: [{ tensor: 'delta', caption: 'δ' }, { op: '⊙' }, { tensor: 'p' }, { op: 'Σ_c →' }, { tensor: 'dot', caption: 'Σ_c δ·p' }],
      explain: words('softmaxDot'),
    },
    softmax_grad: {
      title: words('titleSoftmaxGrad'),
      flow: [{ tensor: 'p' }, { op: '⊙ (' }, { tensor: 'delta', caption: 'δ' }, { op: '−' }, { tensor: 'dot', caption: 'Σ_c δ·p' }, { op: ') =' }, { tensor: 'dZ', caption: '∂C/∂z' }],
      explain: words('softmaxGrad'),
    },
  },
  facts: i => [words('factSoftmax', i.channels)],
  links: (info, target, _shapeOf, names) => softmaxLinks(info, target, names),
  hover: () => [words('hoverSoftmax')],
  cellSum: softmaxSum,
  cellMeaning: (info, name, index) => (PER_COLUMN.includes(name)
    ? words('cellSoftmaxColumn', columnLabel(index), info.channels)
    : words('cellSoftmaxEntry', index[1], columnLabel(index))),
};

/** A cell: the same cell of every full tensor and its column's per-column values; a per-column value: its whole column. */
function softmaxLinks(info: SoftmaxInfo, target: LinkTarget, names: readonly TensorName[]): Highlights {
  const h = new HighlightSet();
  const [b, , ...rest] = target.index;
  const perColumn = PER_COLUMN.includes(target.tensor);
  for (const name of names) {
    if (PER_COLUMN.includes(name)) h.cell(name, b, 0, ...rest);
    else if (!perColumn) h.cell(name, ...target.index);
    else for (let k = 0; k < info.channels; k++) h.cell(name, b, k, ...rest);
  }
  return h.map;
}

/** Channel k's flat offset in the column of a full tensor's cell (shape (B, C, …)), and the column's in a per-column tensor. */
function columnOffsets(info: SoftmaxInfo, shape: readonly number[], index: readonly number[]): { at: (k: number) => number; column: number } {
  // The cell's position among the `inner` ones of its channel: row-major over the axes after C.
  let position = 0;
  for (let d = 2; d < shape.length; d++) position = position * shape[d] + index[d];
  const b = index[0];
  return { at: k => (b * info.channels + k) * info.inner + position, column: b * info.inner + position };
}

function softmaxSum(info: SoftmaxInfo, get: TensorLookup, shapeOf: ShapeOf, target: LinkTarget): CellSum | undefined {
  const shape = shapeOf('z');
  if (!shape) return undefined;
  const { at, column } = columnOffsets(info, shape, target.index);
  const col = columnLabel(target.index);
  const cell = fmt(target.index);
  const channel = (k: number) => fmt(target.index.map((v, d) => (d === 1 ? k : v)));
  const [e, eSum, p, delta, dot] = ['e', 'e_sum', 'p', 'delta', 'dot'].map(n => get(n));
  switch (target.tensor) {
    case 'e_sum': {
      if (!e) return undefined;
      const terms: Term[] = [];
      for (let k = 0; k < info.channels; k++) terms.push({ label: `e[${channel(k)}]`, factors: [e[at(k)]], value: e[at(k)] });
      return sum(`e_sum[${cell}] = Σ_c e[${col}]`, terms);
    }
    case 'p':
      if (!e || !eSum) return undefined;
      return sum(`p[${cell}] = e[${cell}] / e_sum[${col}]`, [product(`e[${cell}] · 1/e_sum[${col}]`, e[at(target.index[1])], 1 / eSum[column])]);
    case 'dot': {
      if (!delta || !p) return undefined;
      const terms: Term[] = [];
      for (let k = 0; k < info.channels; k++) terms.push(product(`δ[${channel(k)}] · p[${channel(k)}]`, delta[at(k)], p[at(k)]));
      return sum(`dot[${cell}] = Σ_c δ[${col}] · p[${col}]`, terms);
    }
    case 'dZ': {
      if (!delta || !p || !dot) return undefined;
      const here = at(target.index[1]);
      return sum(`∂C/∂z[${cell}] = p[${cell}] · (δ[${cell}] − dot[${col}])`, [
        product(`p[${cell}] · δ[${cell}]`, p[here], delta[here]),
        product(`−p[${cell}] · dot[${col}]`, -p[here], dot[column]),
      ]);
    }
    default:
      return undefined;
  }
}
