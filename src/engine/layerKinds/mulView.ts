// What the faces show of mul: a cell of the output links to the two factor cells it is the product of (through
// the broadcast, broadcast.ts) and their gradients; a cell of a factor links to every output cell that reads it.
// The output is one product; a factor's gradient, the sum of δ ⊙ the other factor over the cells that read it.

import { broadcastReaders, broadcastSource } from '../broadcast';
import { CellSum, TensorLookup, product, sum } from '../cellTerms';
import { HighlightSet, Highlights, LinkTarget } from '../links';
import { Region, unionField } from '../region';
import type { TensorName } from '../trace';
import { FlowItem, GradientOf, LayerView, ShapeOf, StageContext, words } from './view';

/** The inputs' names in the network (`input`, `layers[4]`), in the spec's order; `by`: the second factor is the constant `by`. */
export interface MulInfo { inputs: string[]; by: boolean }

const input = (j: number): TensorName => `input_${j}`;
const grad = (j: number): TensorName => `dA_${j}`;
const fmt = (index: readonly number[]) => index.join(', ');

/** The two factors' tensor names. */
const factors = (info: MulInfo): [TensorName, TensorName] => [input(0), info.by ? 'by' : input(1)];

const factorsFlow = (c: StageContext<MulInfo>): FlowItem[] => {
  const [a, b] = factors(c.info);
  return [{ tensor: a, caption: c.info.inputs[0] }, { op: '⊙' }, { tensor: b, caption: c.info.by ? 'by' : c.info.inputs[1] }];
};

function gradientOf(info: MulInfo, name: TensorName): GradientOf | undefined {
  if (name === 'delta') return { output: true };
  const j = info.inputs.findIndex((_, k) => grad(k) === name);
  return j >= 0 ? { input: j } : undefined;
}

const offsetIn = (index: readonly number[], shape: readonly number[]) => index.reduce((acc, v, d) => acc * shape[d] + v, 0);

/** A cell of z or δ: itself, each factor's cell it reads and that factor's gradient; a factor's cell: the cells of z and δ that read it. */
function mulLinks(info: MulInfo, target: LinkTarget, shapeOf: ShapeOf): Highlights {
  const h = new HighlightSet();
  const out = shapeOf('z');
  if (!out) return h.map;
  const own = factors(info).map((f, j) => ({ f, g: j < info.inputs.length ? grad(j) : undefined }));
  const mark = (index: readonly number[]) => {
    h.cell('z', ...index).cell('delta', ...index);
    for (const { f, g } of own) {
      const shape = shapeOf(f);
      if (!shape) continue;
      const at = broadcastSource(index, shape);
      h.cell(f, ...at);
      if (g) h.cell(g, ...at);
    }
  };
  if (target.tensor === 'z' || target.tensor === 'delta') { mark(target.index); return h.map; }
  const hit = own.find(o => o.f === target.tensor || o.g === target.tensor);
  const shape = hit && shapeOf(hit.f);
  if (!hit || !shape) return h.map;
  for (const cell of broadcastReaders(target.index, shape, out)) h.cell('z', ...cell).cell('delta', ...cell);
  h.cell(hit.f, ...target.index);
  if (hit.g) h.cell(hit.g, ...target.index);
  return h.map;
}

/** z[cell] = a[cell's a] · b[cell's b]; ∂C/∂factor[cell] = Σ over the output cells that read it of δ · the other factor. */
function mulSum(info: MulInfo, get: TensorLookup, shapeOf: ShapeOf, target: LinkTarget): CellSum | undefined {
  const [a, b] = factors(info);
  const out = shapeOf('z');
  const [sa, sb] = [shapeOf(a), shapeOf(b)];
  if (!out || !sa || !sb) return undefined;
  if (target.tensor === 'z') {
    const [va, vb] = [get(a), get(b)];
    if (!va || !vb) return undefined;
    const [ia, ib] = [broadcastSource(target.index, sa), broadcastSource(target.index, sb)];
    return sum(`z[${fmt(target.index)}] = ${a}[${fmt(ia)}] · ${b}[${fmt(ib)}]`, [product(`${a}[${fmt(ia)}] · ${b}[${fmt(ib)}]`, va[offsetIn(ia, sa)], vb[offsetIn(ib, sb)])]);
  }
  const j = [grad(0), grad(1)].indexOf(target.tensor);
  if (j < 0 || j >= info.inputs.length) return undefined;
  const [mine, other] = j ? [sb, a] : [sa, b];
  const otherShape = j ? sa : sb;
  const [delta, vo] = [get('delta'), get(other)];
  if (!delta || !vo) return undefined;
  const terms = broadcastReaders(target.index, mine, out).map(cell => {
    const at = broadcastSource(cell, otherShape);
    return product(`δ[${fmt(cell)}] · ${other}[${fmt(at)}]`, delta[offsetIn(cell, out)], vo[offsetIn(at, otherShape)]);
  });
  return sum(`∂C/∂${info.inputs[j]}[${fmt(target.index)}] = Σ δ · ${other}`, terms);
}

/** Each input's cells that the output's cells read, through the broadcast. */
function mulRead(_info: MulInfo, out: Region, inputs: readonly (readonly number[])[]): Region[] {
  return inputs.map(shape => {
    const region = new Region(shape);
    out.forEach(index => region.add(broadcastSource(index, shape)));
    return region;
  });
}

export const mulView: LayerView<MulInfo> = {
  gradientOf,
  stages: {
    mul: {
      title: words('titleMul'),
      flow: c => [...factorsFlow(c), { op: '=' }, { tensor: 'z' }],
      explain: ({ info }) => words(info.by ? 'mulBy' : 'mulInputs'),
    },
    mul_grad: {
      title: words('titleMulGrad'),
      flow: c => [{ tensor: 'delta', caption: 'δ' }, { op: '⊙ the other factor →' }, ...c.info.inputs.map((name, j): FlowItem => ({ tensor: grad(j), caption: `∂C/∂${name}` }))],
      explain: ({ info }) => words(info.by ? 'mulByGrad' : 'mulGrad'),
    },
  },
  facts: i => [words('factInputs', i.inputs.join(', '))],
  links: (info, target, shapeOf) => mulLinks(info, target, shapeOf),
  hover: i => [words(i.by ? 'hoverMulBy' : 'hoverMul')],
  cellSum: mulSum,
  ends: { input, output: 'z' },
  receptive: mulRead,
  field: (_info, below) => unionField(below),
};
