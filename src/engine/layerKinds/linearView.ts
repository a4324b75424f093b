// What the faces show of a linear layer: an output links to its input row and
// weight row, and is their dot product; the gradients are the conv's, without im2col.

import { CellSum, TensorLookup, Term, product, sum } from '../cellTerms';
import { HighlightSet, Highlights, LinkTarget } from '../links';
import { LayerView, ShapeOf, codeShape, parts, words } from './view';

export const linearView: LayerView = {
  stages: {
    linear: {
      title: words('titleMatmul'),
      flow: [{ tensor: 'input' }, { op: '@' }, { tensor: 'w_t' }, { op: '+' }, { tensor: 'bias', caption: 'b' }, { op: '=' }, { tensor: 'z' }],
      explain: words('linear'),
    },
    linear_dx: {
      title: words('titleLinearDx'),
      flow: [{ tensor: 'delta', caption: 'δ' }, { op: '@' }, { tensor: 'w_t', caption: words('captionUsedTransposed', 'w_t') }, { op: '=' }, { tensor: 'dA', caption: '∂C/∂input' }],
      explain: words('linearDx'),
      product: true,
    },
    linear_dw: {
      title: words('titleLinearDw'),
      flow: [{ tensor: 'delta', caption: 'δ' }, { op: 'ᵀ @' }, { tensor: 'input' }, { op: '=' }, { tensor: 'dW', caption: '∂C/∂W' }, { tensor: 'db', caption: '∂C/∂b' }],
      explain: words('linearDw'),
    },
  },
  links: (_info, target) => linearLinks(target),
  cellSum: (_info, get, shapeOf, target) => linearSum(get, shapeOf, target),
  cellMeaning(_info, name, index) {
    if (name === 'w_t') return parts(words('cellRow', index[0], words('cellInputFeature', index[0])), words('cellColumn', index[1], words('cellOutputFeature', index[1])));
    if (name === 'weight' || name === 'dW') return parts(words('cellOutputFeature', index[0]), words('cellInputFeature', index[1]));
    return undefined;
  },
  hover: (_info, { input, output }) => [words('hoverLinearWeight', codeShape([output[1], input[1]]), codeShape([input[1], output[1]])), words('hoverLinearBackward')],
};

function linearLinks(target: LinkTarget): Highlights {
  const h = new HighlightSet();
  const [p, q] = target.index;
  switch (target.tensor) {
    case 'z': case 'delta':
      // z[b, o] = input[b, :] · W[o, :] + b[o]; δ[b, o] feeds ∂C/∂input[b, :] and ∂C/∂W[o, :].
      h.cell('z', p, q).cell('delta', p, q).row('input', p).row('dA', p).row('weight', q).row('dW', q).column('w_t', q).cell('bias', q).cell('db', q);
      break;
    case 'input': case 'dA':
      h.cell('input', p, q).cell('dA', p, q).row('z', p).row('delta', p).column('weight', q).column('dW', q).row('w_t', q);
      break;
    case 'weight': case 'dW': case 'w_t': {
      const [o, i] = target.tensor === 'w_t' ? [q, p] : [p, q];
      h.cell('weight', o, i).cell('dW', o, i).cell('w_t', i, o).column('input', i).column('dA', i).column('z', o).column('delta', o);
      break;
    }
    case 'bias': case 'db':
      h.cell('bias', p).cell('db', p).column('z', p).column('delta', p);
      break;
  }
  return h.map;
}

function linearSum(get: TensorLookup, shapeOf: ShapeOf, target: LinkTarget): CellSum | undefined {
  const [p, q] = target.index;
  const [B, In] = shapeOf('input') ?? [];
  const Out = shapeOf('z')?.[1];
  const input = get('input');
  const wt = get('w_t');
  const delta = get('delta');
  if (B === undefined || In === undefined || Out === undefined) return undefined;
  switch (target.tensor) {
    case 'z': {
      if (!input || !wt) return undefined;
      const terms: Term[] = [];
      for (let i = 0; i < In; i++) terms.push(product(`input[${p}, ${i}] · w_t[${i}, ${q}]`, input[p * In + i], wt[i * Out + q]));
      const bias = get('bias');
      return sum(`z[${p}, ${q}] = Σ_i input[${p}, i] · w_t[i, ${q}]${bias ? ` + b[${q}]` : ''}`, terms, bias ? { label: `b[${q}]`, value: bias[q] } : undefined);
    }
    case 'dA': {
      if (!delta || !wt) return undefined;
      const terms: Term[] = [];
      for (let o = 0; o < Out; o++) terms.push(product(`δ[${p}, ${o}] · w_t[${q}, ${o}]`, delta[p * Out + o], wt[q * Out + o]));
      return sum(`∂C/∂input[${p}, ${q}] = Σ_o δ[${p}, o] · w_t[${q}, o]`, terms);
    }
    case 'dW': {
      if (!delta || !input) return undefined;
      const terms: Term[] = [];
      for (let b = 0; b < B; b++) terms.push(product(`δ[${b}, ${p}] · input[${b}, ${q}]`, delta[b * Out + p], input[b * In + q]));
      return sum(`∂C/∂W[${p}, ${q}] = Σ_b δ[b, ${p}] · input[b, ${q}]`, terms);
    }
    case 'db': {
      if (!delta) return undefined;
      const terms: Term[] = [];
      for (let b = 0; b < B; b++) terms.push({ label: `δ[${b}, ${p}]`, factors: [delta[b * Out + p]], value: delta[b * Out + p] });
      return sum(`∂C/∂b[${p}] = Σ_b δ[b, ${p}]`, terms);
    }
    default:
      return undefined;
  }
}
