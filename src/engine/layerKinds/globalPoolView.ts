// What the faces show of global average pooling: an output cell is the mean of its
// channel's whole input plane, and links to every pixel of it; a pixel links to
// its plane's output and gets back δ / (H·W).

import { CellSum, TensorLookup, Term, product, sum } from '../cellTerms';
import { HighlightSet, Highlights, LinkTarget } from '../links';
import type { TensorName } from '../trace';
import { windowCells, windowField } from '../region';
import { LayerView, gradientTable, words } from './view';

/** The input's sizes; `adaptive` for adaptive_avg_pool2d (output_size 1); `keepdim` false: the output is (B, C). */
export interface GlobalPoolInfo { batch: number; channels: number; height: number; width: number; adaptive: boolean; keepdim?: false }

/** A plane's cell of the output (or δ): (b, c, 0, 0), or (b, c) without keepdim. */
const planeCell = (info: GlobalPoolInfo, b: number, c: number) => (info.keepdim === false ? [b, c] : [b, c, 0, 0]);

/** The (B, C, 1, 1) tensors: one cell per plane. */
const PER_PLANE: readonly TensorName[] = ['z', 'delta'];
const fmt = (index: readonly number[]) => index.join(', ');

export const globalPoolView: LayerView<GlobalPoolInfo> = {
  gradientOf: gradientTable({ dA: { input: 0 } }),
  numbers: ['batch', 'channels', 'height', 'width'],
  stages: {
    gap_mean: {
      title: words('titleGapMean'),
      flow: [{ tensor: 'input' }, { op: 'mean over (H, W) →' }, { tensor: 'z' }],
      explain: ({ info }) => words(info.adaptive ? 'gapMeanAdaptive' : info.keepdim === false ? 'gapMeanFlat' : 'gapMean', info.height, info.width),
    },
    gap_spread: {
      title: words('titleGapSpread'),
      flow: [{ tensor: 'delta', caption: 'δ' }, { op: '÷ (H·W), broadcast →' }, { tensor: 'dA', caption: '∂C/∂input' }],
      explain: ({ info }) => words('gapSpread', info.height * info.width),
    },
  },
  facts: i => [
    words('factInput', `(${i.batch}, ${i.channels}, ${i.height}, ${i.width})`),
    words('factGlobalAvgPooling', i.height, i.width),
    words('factOutput', `(${planeCell(i, i.batch, i.channels).join(', ')})`),
  ],
  links: (info, target, _shapeOf, names) => globalPoolLinks(info, target, names),
  hover: i => [words('hoverGlobalPool', i.height, i.width)],
  receptive: (i, out, [input]) => [windowCells(out.reshaped([i.batch, i.channels, 1, 1]), input, c => [c, c + 1], () => range(i.height), () => range(i.width))],
  field: (i, [below]) => windowField(below, [{ kernel: i.height, stride: i.height, dilation: 1 }, { kernel: i.width, stride: i.width, dilation: 1 }]),
  cellSum: (info, get, _shapeOf, target) => globalPoolSum(info, get, target),
  cellMeaning: (info, name, index) => (PER_PLANE.includes(name)
    ? words('cellPlaneMean', index[1], info.height, info.width)
    : words('cellInputPixel', index[2], index[3])),
};

const range = (n: number) => Array.from({ length: n }, (_, k) => k);

/** Every pixel of plane (b, c): what one output cell averages. */
function planeCells(info: GlobalPoolInfo, visit: (y: number, x: number) => void): void {
  for (let y = 0; y < info.height; y++) for (let x = 0; x < info.width; x++) visit(y, x);
}

/** An output cell (or its δ): its whole input plane; a pixel: itself, and its plane's output. */
function globalPoolLinks(info: GlobalPoolInfo, target: LinkTarget, names: readonly TensorName[]): Highlights {
  const h = new HighlightSet();
  const [b, c] = target.index;
  const perPlane = PER_PLANE.includes(target.tensor);
  for (const name of names) {
    if (PER_PLANE.includes(name)) h.cell(name, ...planeCell(info, b, c));
    else if (perPlane) planeCells(info, (y, x) => h.cell(name, b, c, y, x));
    else h.cell(name, ...target.index);
  }
  return h.map;
}

function globalPoolSum(info: GlobalPoolInfo, get: TensorLookup, target: LinkTarget): CellSum | undefined {
  const { channels: C, height: H, width: W } = info;
  const [b, c] = target.index;
  const plane = (b * C + c) * H * W;
  const n = H * W;
  switch (target.tensor) {
    case 'z': {
      const input = get('input');
      if (!input) return undefined;
      const terms: Term[] = [];
      planeCells(info, (y, x) => terms.push(product(`input[${fmt([b, c, y, x])}] · 1/${n}`, input[plane + y * W + x], 1 / n)));
      return sum(`z[${fmt(target.index)}] = Σ_(y, x) input[${b}, ${c}, y, x] / ${n}`, terms);
    }
    case 'dA': {
      const delta = get('delta');
      if (!delta) return undefined;
      const at = fmt(planeCell(info, b, c));
      return sum(`∂C/∂input[${fmt(target.index)}] = δ[${at}] / ${n}`, [product(`δ[${at}] · 1/${n}`, delta[b * C + c], 1 / n)]);
    }
    default:
      return undefined;
  }
}
