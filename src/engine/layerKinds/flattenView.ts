// What the faces show of flatten: input[b, c, y, x] is z[b, (c·H + y)·W + x].

import { HighlightSet, Highlights, LinkTarget } from '../links';
import { LayerView, ShapeOf, words } from './view';

export const flattenView: LayerView = {
  stages: {
    flatten: { title: words('titleFlatten'), flow: [{ tensor: 'input' }, { op: 'reshape →' }, { tensor: 'z' }], explain: words('flatten') },
    unflatten: { title: words('titleUnflatten'), flow: [{ tensor: 'delta', caption: 'δ' }, { op: 'reshape →' }, { tensor: 'dA', caption: '∂C/∂input' }], explain: words('unflatten') },
  },
  links: (_info, target, shapeOf) => flattenLinks(target, shapeOf),
  hover: (_info, { output }) => [words('hoverFlatten', output[1])],
};

function flattenLinks(target: LinkTarget, shapeOf: ShapeOf): Highlights {
  const h = new HighlightSet();
  const inner = (shapeOf('input') ?? []).slice(1);
  const [b, ...rest] = target.index;
  if (target.tensor === 'z' || target.tensor === 'delta') {
    let f = rest[0];
    const index: number[] = new Array(inner.length);
    for (let d = inner.length - 1; d >= 0; d--) { index[d] = f % inner[d]; f = Math.floor(f / inner[d]); }
    h.cell('z', ...target.index).cell('delta', ...target.index).cell('input', b, ...index).cell('dA', b, ...index);
  } else {
    const f = rest.reduce((acc, v, d) => acc * inner[d] + v, 0);
    h.cell('input', ...target.index).cell('dA', ...target.index).cell('z', b, f).cell('delta', b, f);
  }
  return h.map;
}
