// What the faces show of add and concat: each input under the name it has in the
// network; a cell of add's output links to the same cell of every input and is
// their sum, a cell of concat's output to the one input whose channels hold it.

import { CellSum, TensorLookup, product, sum } from '../cellTerms';
import { HighlightSet, Highlights, LinkTarget } from '../links';
import type { TensorName } from '../trace';
import { elementwiseLinks } from './activationView';
import { FlowItem, LayerView, ShapeOf, StageContext, words } from './view';

/** Which merge, and its inputs' names in the network (`input`, `layers[4]`) in the spec's order. */
export interface MergeInfo { op: 'add' | 'concat'; inputs: string[] }

const input = (j: number): TensorName => `input_${j}`;
const grad = (j: number): TensorName => `dA_${j}`;
const fmt = (index: readonly number[]) => index.join(', ');

/** Every input with its name, `op` between them. */
function inputsFlow(c: StageContext<MergeInfo>, op: string): FlowItem[] {
  return c.info.inputs.flatMap((name, j): FlowItem[] => [...(j ? [{ op }] : []), { tensor: input(j), caption: name }]);
}

const gradsFlow = (c: StageContext<MergeInfo>): FlowItem[] => c.info.inputs.map((name, j) => ({ tensor: grad(j), caption: `∂C/∂${name}` }));

export const mergeView: LayerView<MergeInfo> = {
  stages: {
    add: {
      title: words('titleAdd'),
      flow: c => [...inputsFlow(c, '+'), { op: '=' }, { tensor: 'z' }],
      explain: words('mergeAdd'),
    },
    add_grad: {
      title: words('titleAddGrad'),
      flow: c => [{ tensor: 'delta', caption: 'δ' }, { op: '→' }, ...gradsFlow(c)],
      explain: words('mergeAddGrad'),
    },
    concat: {
      title: words('titleConcat'),
      flow: c => [...inputsFlow(c, ','), { op: 'concat(axis=1) →' }, { tensor: 'z' }],
      explain: words('mergeConcat'),
    },
    concat_grad: {
      title: words('titleConcatGrad'),
      flow: c => [{ tensor: 'delta', caption: 'δ' }, { op: 'split by channels →' }, ...gradsFlow(c)],
      explain: words('mergeConcatGrad'),
    },
  },
  facts: i => [words('factInputs', i.inputs.join(', '))],
  links: (info, target, shapeOf, names) => (info.op === 'add' ? elementwiseLinks(target, shapeOf, names) : concatLinks(info, target, shapeOf)),
  hover: i => [words(i.op === 'add' ? 'hoverAdd' : 'hoverConcat')],
  cellSum: (info, get, shapeOf, target) => (info.op === 'add' ? addSum(info, get, shapeOf, target) : undefined),
};

/** Where each input's channels start in the output (from the recorded shapes), and the output's channel count last. */
function starts(info: MergeInfo, shapeOf: ShapeOf): number[] {
  const at = [0];
  info.inputs.forEach((_, j) => at.push(at[j] + (shapeOf(input(j))?.[1] ?? 0)));
  return at;
}

/** A cell of z or δ links to its input's cell and that input's δ; a cell of an input, back to its place in z. */
function concatLinks(info: MergeInfo, target: LinkTarget, shapeOf: ShapeOf): Highlights {
  const h = new HighlightSet();
  const [b, c, ...rest] = target.index;
  const at = starts(info, shapeOf);
  const own = /^(?:input|dA)_(\d+)$/.exec(target.tensor);
  const j = own ? Number(own[1]) : at.findIndex((s, k) => k < info.inputs.length && c >= s && c < at[k + 1]);
  if (j < 0 || j >= info.inputs.length) return h.map;
  const local = own ? c : c - at[j];
  h.cell('z', b, local + at[j], ...rest).cell('delta', b, local + at[j], ...rest).cell(input(j), b, local, ...rest).cell(grad(j), b, local, ...rest);
  return h.map;
}

/** z[cell] = Σ_j input_j[cell]: one term per input. */
function addSum(info: MergeInfo, get: TensorLookup, shapeOf: ShapeOf, target: LinkTarget): CellSum | undefined {
  if (target.tensor !== 'z') return undefined;
  const shape = shapeOf('z');
  const values = info.inputs.map((_, j) => get(input(j)));
  if (!shape || values.some(v => !v)) return undefined;
  const offset = target.index.reduce((acc, v, d) => acc * shape[d] + v, 0);
  const at = fmt(target.index);
  return sum(`z[${at}] = ${info.inputs.map((_, j) => `${input(j)}[${at}]`).join(' + ')}`, values.map((v, j) => product(`${input(j)}[${at}] (${info.inputs[j]})`, v![offset])));
}
