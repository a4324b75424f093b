// What the faces show of an activation: every tensor has the input's shape, so a
// cell links to the same cell of each; ∂C/∂z is one product per cell.

import { CellSum, TensorLookup, product, sum } from '../cellTerms';
import { HighlightSet, Highlights, LinkTarget } from '../links';
import { sameCells } from '../region';
import type { TensorName } from '../trace';
import { gradientTable, LayerView, ShapeOf, Words, words } from './view';

/** The activation's name, e.g. `relu`, and clip's bounds. */
export interface ActivationInfo { activation: string; min?: number; max?: number; alpha?: number; beta?: number }

/** What the forward stage says: how the kind bends z, and where its slope is 0 (PyTorch's convention at the kinks). */
function activateWords(info: ActivationInfo): Words {
  switch (info.activation) {
    case 'relu6': return words('activateRelu6');
    case 'clip': return words('activateClip', info.min!, info.max!);
    case 'hardswish': return words('activateHardswish');
    case 'hardsigmoid': return words('activateHardsigmoid', Number(info.alpha!.toPrecision(6)), info.beta!, Number((-info.beta! / info.alpha!).toPrecision(6)), Number(((1 - info.beta!) / info.alpha!).toPrecision(6)));
    default: return words('activate');
  }
}

export const activationView: LayerView<ActivationInfo> = {
  gradientOf: gradientTable({ dZ: { input: 0 } }),
  stages: {
    activate: {
      title: ({ info }) => words('titleActivate', info.activation),
      flow: [{ tensor: 'z' }, { op: 'h(z) →' }, { tensor: 'h' }, { tensor: 'h_prime', caption: "h'(z)" }],
      explain: ({ info }) => activateWords(info),
    },
    activation_grad: {
      title: words('titleActivationGrad'),
      flow: [{ tensor: 'delta', caption: 'δ' }, { op: '⊙' }, { tensor: 'h_prime', caption: "h'(z)" }, { op: '=' }, { tensor: 'dZ', caption: '∂C/∂z' }],
      explain: words('activationGrad'),
    },
  },
  links: (_info, target, shapeOf, names) => elementwiseLinks(target, shapeOf, names),
  cellSum: (_info, get, shapeOf, target) => activationSum(get, shapeOf, target),
  hover: () => [words('hoverActivation')],
  ends: { input: () => 'z', output: 'h' },
  receptive: (_info, out, [input]) => [sameCells(out, input)],
  field: (_info, [below]) => below,
};

/** The same cell of every tensor of the cell's shape; a (B) tensor (class targets) links to its row. */
export function elementwiseLinks(target: LinkTarget, shapeOf: ShapeOf, names: readonly TensorName[]): Highlights {
  const h = new HighlightSet();
  const own = shapeOf(target.tensor) ?? [];
  for (const name of names) {
    const shape = shapeOf(name) ?? [];
    if (shape.join() === own.join()) h.cell(name, ...target.index);
    else if (shape.length === 1 && own.length === 2 && shape[0] === own[0]) h.cell(name, target.index[0]);
    else if (own.length === 1 && shape.length === 2 && shape[0] === own[0]) h.row(name, target.index[0]);
  }
  return h.map;
}

/** ∂C/∂z = δ ⊙ h'(z): one product per cell. */
function activationSum(get: TensorLookup, shapeOf: ShapeOf, target: LinkTarget): CellSum | undefined {
  if (target.tensor !== 'dZ') return undefined;
  const delta = get('delta');
  const hPrime = get('h_prime');
  const shape = shapeOf('dZ');
  if (!delta || !hPrime || !shape) return undefined;
  // All three share one shape, so one offset.
  const offset = target.index.reduce((acc, v, d) => acc * shape[d] + v, 0);
  const at = target.index.join(', ');
  return sum(`∂C/∂z[${at}] = δ[${at}] · h'(z)[${at}]`, [product(`δ[${at}] · h'(z)[${at}]`, delta[offset], hPrime[offset])]);
}
