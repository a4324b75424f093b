// What the faces show of the loss: one number made of every output; the first δ
// cell by cell beside the output and the target.

import { HighlightSet } from '../links';
import type { LossSpec } from './loss';
import { elementwiseLinks } from './activationView';
import { LayerView, words } from './view';

export interface LossInfo { type: LossSpec['type'] }

export const lossView: LayerView<LossInfo> = {
  stages: {
    loss: {
      title: ({ info }) => words(info.type === 'mse' ? 'titleMse' : 'titleSoftmaxCrossEntropy'),
      flow: [{ tensor: 'z', caption: words('captionOutput') }, { tensor: 'target' }, { op: '→' }, { tensor: 'probs', caption: 'softmax' }, { tensor: 'loss', caption: 'C' }],
      explain: words('loss'),
    },
    loss_grad: {
      title: words('titleFirstDelta'),
      flow: [{ tensor: 'probs', caption: 'p' }, { tensor: 'target' }, { op: '→' }, { tensor: 'delta', caption: 'δ' }],
      explain: words('lossGrad'),
    },
  },
  links(_info, target, shapeOf, names) {
    if (target.tensor !== 'loss') return elementwiseLinks(target, shapeOf, names);
    // One number made of every output.
    const h = new HighlightSet();
    for (const name of names) {
      const shape = shapeOf(name) ?? [];
      if (name === 'loss') continue;
      for (let r = 0; r < shape[0]; r++) if (shape.length === 2) h.row(name, r); else if (shape.length === 1) h.cell(name, r);
    }
    return h.map;
  },
};
