// What the faces show of identity and dropout (in evaluation): every tensor has
// the input's shape and a cell links to the same cell of each.

import { LayerView, StageContext, words } from './view';
import { elementwiseLinks } from './activationView';

/** dropout's p, for a dropout layer; nothing for identity. */
export interface IdentityInfo { dropout?: number }

const dropout = (c: StageContext<IdentityInfo>) => c.info.dropout;

export const identityView: LayerView<IdentityInfo> = {
  stages: {
    identity: {
      title: c => (dropout(c) !== undefined ? words('titleDropoutEval', dropout(c)!) : words('titleIdentity')),
      flow: [{ tensor: 'z' }, { op: '=' }, { tensor: 'h' }],
      explain: c => (dropout(c) !== undefined ? words('dropoutEval', dropout(c)!) : words('identity')),
      specKeys: ['p'],
    },
    identity_grad: {
      title: words('titleIdentityGrad'),
      flow: [{ tensor: 'delta', caption: 'δ' }, { op: '=' }, { tensor: 'dZ', caption: '∂C/∂z' }],
      explain: c => (dropout(c) !== undefined ? words('dropoutEvalGrad') : words('identityGrad')),
    },
  },
  facts: i => (i.dropout !== undefined ? [words('factDropoutEval', i.dropout)] : [words('factIdentity')]),
  links: (_info, target, shapeOf, names) => elementwiseLinks(target, shapeOf, names),
  hover: i => [words(i.dropout !== undefined ? 'hoverDropout' : 'hoverIdentity')],
};
