// What the faces show of flatten and reshape: input[b, …] is z[b, …] at the same row-major offset
// within its batch item (flatten: input[b, c, y, x] is z[b, (c·H + y)·W + x]).

import { HighlightSet, Highlights, LinkTarget } from '../links';
import { gradientTable, LayerView, ShapeOf, words } from './view';

/** A reshape's geometry says so; a flatten's is empty. */
export interface FlattenInfo { reshape?: boolean }

export const flattenView: LayerView<FlattenInfo> = {
  gradientOf: gradientTable({ dA: { input: 0 } }),
  stages: {
    flatten: { title: c => words(c.info?.reshape ? 'titleReshape' : 'titleFlatten'), flow: [{ tensor: 'input' }, { op: 'reshape →' }, { tensor: 'z' }], explain: c => words(c.info?.reshape ? 'reshape' : 'flatten') },
    unflatten: { title: words('titleUnflatten'), flow: [{ tensor: 'delta', caption: 'δ' }, { op: 'reshape →' }, { tensor: 'dA', caption: '∂C/∂input' }], explain: words('unflatten') },
  },
  links: (_info, target, shapeOf) => flattenLinks(target, shapeOf),
  hover: (i, { output }) => [i?.reshape ? words('hoverReshape', `(${output.join(', ')})`) : words('hoverFlatten', output[1])],
  // z[b, …] is input[b, …] at the same row-major offset.
  receptive: (_info, out, [input]) => [out.reshaped(input)],
  field: (_info, [below]) => (below === 'whole' ? below : { size: below.size }),
};

/** The cell at the same offset within batch item `b`: `index` (after b) in a tensor of `from`'s shape, in one of `to`'s. */
function moved(index: readonly number[], from: readonly number[], to: readonly number[]): number[] {
  let f = index.reduce((acc, v, d) => acc * from[d] + v, 0);
  const out: number[] = new Array(to.length);
  for (let d = to.length - 1; d >= 0; d--) { out[d] = f % to[d]; f = Math.floor(f / to[d]); }
  return out;
}

function flattenLinks(target: LinkTarget, shapeOf: ShapeOf): Highlights {
  const h = new HighlightSet();
  const inner = (shapeOf('input') ?? []).slice(1);
  const outer = (shapeOf('z') ?? []).slice(1);
  const [b, ...rest] = target.index;
  if (target.tensor === 'z' || target.tensor === 'delta') {
    const index = moved(rest, outer, inner);
    h.cell('z', ...target.index).cell('delta', ...target.index).cell('input', b, ...index).cell('dA', b, ...index);
  } else {
    const index = moved(rest, inner, outer);
    h.cell('input', ...target.index).cell('dA', ...target.index).cell('z', b, ...index).cell('delta', b, ...index);
  }
  return h.map;
}
