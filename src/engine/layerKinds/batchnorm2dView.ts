// What the faces show of a batchnorm2d layer: a cell of z links to the same cell
// of x_hat and the input and to its channel's statistics and γ, β; z is γ·x_hat + β,
// and ∂C/∂γ, ∂C/∂β are sums over the channel's (B, H, W) cells.

import { CellSum, TensorLookup, Term, product, sum } from '../cellTerms';
import { HighlightSet, Highlights, LinkTarget } from '../links';
import type { TensorName } from '../trace';
import { LayerView, ShapeOf, StageContext, words } from './view';

/** The mode and sizes of a batchnorm2d layer (its tensors are (B, C, H, W) and (C,)). */
export interface BatchNormInfo { training: boolean; eps: number; momentum: number; batch: number; channels: number; height: number; width: number }

const fmt = (index: readonly number[]) => index.join(', ');
const FULL = ['input', 'x_hat', 'z', 'delta', 'dA'];
const PER_CHANNEL = ['mean', 'var', 'weight', 'bias', 'running_mean', 'running_var', 'dgamma', 'dbeta'];
const training = (c: StageContext<BatchNormInfo>) => c.info.training;

export const batchnorm2dView: LayerView<BatchNormInfo> = {
  numbers: ['batch', 'channels', 'height', 'width'],
  stages: {
    bn_stats: {
      title: c => words(training(c) ? 'titleBnBatchStats' : 'titleBnRunningStats'),
      flow: c => (training(c)
        ? [{ tensor: 'input' }, { op: 'mean, var over (B, H, W) →' }, { tensor: 'mean' }, { tensor: 'var' }, { tensor: 'running_mean' }, { tensor: 'running_var' }]
        : [{ tensor: 'mean', caption: 'running_mean' }, { tensor: 'var', caption: 'running_var' }]),
      explain: c => (training(c) ? words('bnBatchStats', c.info.momentum) : words('bnRunningStats')),
      specKeys: ['running_mean', 'running_var'],
    },
    bn_normalize: {
      title: words('titleBnNormalize'),
      flow: [{ tensor: 'input' }, { op: '− mean, ÷ √(var + eps) →' }, { tensor: 'x_hat' }],
      explain: ({ info }) => words('bnNormalize', info.eps),
      specKeys: ['eps'],
    },
    bn_affine: {
      title: words('titleBnAffine'),
      flow: [{ tensor: 'weight', caption: 'γ' }, { op: '·' }, { tensor: 'x_hat' }, { op: '+' }, { tensor: 'bias', caption: 'β' }, { op: '=' }, { tensor: 'z' }],
      explain: words('bnAffine'),
      specKeys: ['weight', 'bias'],
    },
    bn_grad_params: {
      title: words('titleBnGradParams'),
      flow: [{ tensor: 'delta', caption: 'δ' }, { op: '⊙' }, { tensor: 'x_hat' }, { op: 'Σ →' }, { tensor: 'dgamma', caption: '∂C/∂γ' }, { tensor: 'dbeta', caption: '∂C/∂β' }],
      explain: words('bnGradParams'),
    },
    bn_grad_input: {
      title: words('titleLinearDx'),
      flow: c => [{ tensor: 'delta', caption: 'δ' }, { tensor: 'weight', caption: 'γ' }, { tensor: 'var' },
        ...(training(c) ? [{ tensor: 'x_hat' }, { tensor: 'dgamma', caption: '∂C/∂γ' }, { tensor: 'dbeta', caption: '∂C/∂β' }] : []),
        { op: '→' }, { tensor: 'dA', caption: '∂C/∂input' }],
      explain: c => words(training(c) ? 'bnGradInputTrain' : 'bnGradInputEval'),
    },
  },
  facts: i => [
    words('factInput', `(${i.batch}, ${i.channels}, ${i.height}, ${i.width})`),
    words(i.training ? 'factBnTrain' : 'factBnEval'),
    words('factBnEps', i.eps),
  ],
  links: (info, target, _shapeOf, names) => batchNormLinks(info, target, names),
  cellSum: (info, get, shapeOf, target) => batchNormSum(info, get, shapeOf, target),
  cellMeaning: (_info, name, index) => (PER_CHANNEL.includes(name) ? words('cellChannel', index[0]) : undefined),
  hover: () => [words('hoverBatchnorm')],
};

/** A (B, C, H, W) cell: the same cell of every such tensor and its channel of every (C,) one; a channel: all its cells. */
function batchNormLinks(info: BatchNormInfo, target: LinkTarget, names: readonly TensorName[]): Highlights {
  const h = new HighlightSet();
  const full = FULL.includes(target.tensor);
  const channel = full ? target.index[1] : target.index[0];
  for (const name of names) {
    if (PER_CHANNEL.includes(name)) h.cell(name, channel);
    else if (FULL.includes(name) && full) h.cell(name, ...target.index);
    else if (FULL.includes(name)) channelCells(info, (b, y, x) => h.cell(name, b, channel, y, x));
  }
  return h.map;
}

/** Every (b, y, x) of a channel: the cells its statistics and γ, β act on. */
function channelCells(info: BatchNormInfo, visit: (b: number, y: number, x: number) => void): void {
  for (let b = 0; b < info.batch; b++) for (let y = 0; y < info.height; y++) for (let x = 0; x < info.width; x++) visit(b, y, x);
}

function batchNormSum(info: BatchNormInfo, get: TensorLookup, shapeOf: ShapeOf, target: LinkTarget): CellSum | undefined {
  const { channels: C, height: H, width: W } = info;
  if (!shapeOf(target.tensor)) return undefined;
  switch (target.tensor) {
    case 'z': {
      const [xHat, gamma, beta] = [get('x_hat'), get('weight'), get('bias')];
      if (!xHat || !gamma || !beta) return undefined;
      const [b, c, y, x] = target.index;
      const at = ((b * C + c) * H + y) * W + x;
      return sum(`z[${fmt(target.index)}] = γ[${c}] · x_hat[${fmt(target.index)}] + β[${c}]`,
        [product(`γ[${c}] · x_hat[${fmt(target.index)}]`, gamma[c], xHat[at])], { label: `β[${c}]`, value: beta[c] });
    }
    case 'dgamma': {
      const [delta, xHat] = [get('delta'), get('x_hat')];
      if (!delta || !xHat) return undefined;
      const c = target.index[0];
      const terms: Term[] = [];
      channelCells(info, (b, y, x) => {
        const at = ((b * C + c) * H + y) * W + x;
        terms.push(product(`δ[${fmt([b, c, y, x])}] · x_hat[${fmt([b, c, y, x])}]`, delta[at], xHat[at]));
      });
      return sum(`∂C/∂γ[${c}] = Σ_(b, y, x) δ[b, ${c}, y, x] · x_hat[b, ${c}, y, x]`, terms);
    }
    case 'dbeta': {
      const delta = get('delta');
      if (!delta) return undefined;
      const c = target.index[0];
      const terms: Term[] = [];
      channelCells(info, (b, y, x) => {
        const at = ((b * C + c) * H + y) * W + x;
        terms.push({ label: `δ[${fmt([b, c, y, x])}]`, factors: [delta[at]], value: delta[at] });
      });
      return sum(`∂C/∂β[${c}] = Σ_(b, y, x) δ[b, ${c}, y, x]`, terms);
    }
    default:
      return undefined;
  }
}
