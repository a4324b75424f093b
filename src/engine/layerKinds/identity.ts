// identity and dropout as layers. The product traces a network in evaluation, where
// dropout drops nothing and scales nothing (torch.nn.Dropout after module.eval()):
// both pass z through, and δ back, unchanged: 0 FLOPs, nothing learned.

import { EngineError } from '../errors';
import { Tensor, copyOf, tensor } from '../tensor';
import { TensorName, TraceTensor, recorded } from '../trace';
import { NO_COST } from './cost';
import { fieldsAsKeys, LayerKind, LayerParam, passes, planned, shapeAxes, stage } from './kind';
import type { IdentityInfo } from './identityView';
import type { LayerGeometry } from './view';

export type IdentityLayer = { type: 'identity' } | { type: 'dropout'; p: number };

const DROPOUT_PARAMS: Record<string, LayerParam> = {
  p: { read: 'number', doc: 'The probability of dropping a value in training, in [0, 1). Default 0.5. The trace is in evaluation, where dropout is the identity.' },
};

/** A copy, so the layer's output is its own tensor in the trace (in a released array where one fits: copyOf). */
const copy = (t: Tensor): Tensor => tensor(t.shape, copyOf(t.data), t.dtype);

/** What the view reads (the plan's and the record's): dropout's p. */
function geometry(l: IdentityLayer): LayerGeometry<'identity', IdentityInfo> {
  return { kind: 'identity', info: l.type === 'dropout' ? { dropout: l.p } : {} };
}

export const identityKind: LayerKind<IdentityLayer> = {
  summary: type => (type === 'dropout' ? 'the identity: dropout in evaluation (module.eval()) drops and scales nothing' : 'h = z, as torch.nn.Identity'),
  params: type => (type === 'dropout' ? DROPOUT_PARAMS : {}),
  // p defaults to PyTorch's 0.5.
  build: (type, { p }) => (type === 'dropout' ? { type, p: (p as number | undefined) ?? 0.5 } : { type }),
  specKeys: l => fieldsAsKeys(l, Object.keys(identityKind.params(l.type))),
  title: l => (l.type === 'dropout' ? `dropout p=${l.p}: identity in evaluation` : 'identity'),
  plan(l, x, backward) {
    if (l.type === 'dropout' && !(l.p >= 0 && l.p < 1)) throw new EngineError('dropout', { code: 'dropout.p', args: { p: l.p } }, 'p');
    return { output: [...x], tensors: [planned('h', x), ...(backward ? [planned('dZ', x)] : [])], geometry: geometry(l), cost: NO_COST };
  },
  forward: (_l, x) => ({ output: copy(x), cache: {} }),
  backward: (_step, delta) => ({ deltaIn: copy(delta), params: {} }),
  record({ spec: l, input: x, output }, delta) {
    const axes = shapeAxes(x.shape);
    const tensors: Partial<Record<TensorName, TraceTensor>> = {
      z: recorded('z', x, axes, { key: 'identity.z' }),
      h: recorded('h', output, axes, l.type === 'dropout' ? { key: 'identity.h.dropout', args: { p: l.p } } : { key: 'identity.h.identity' }),
    };
    const dZ = delta && copy(delta);
    if (delta && dZ) {
      tensors.delta = recorded('delta', delta, axes, { key: 'identity.delta' });
      tensors.dZ = recorded('dZ', dZ, axes, { key: 'identity.dZ' });
    }
    const formula = l.type === 'dropout' ? `h = z  (dropout p=${l.p} in evaluation: nothing dropped, nothing scaled)` : 'h = z';
    const stages = [
      stage('identity', 'forward', l.type === 'dropout' ? `Dropout p=${l.p}: identity in evaluation` : 'Identity', formula, ['z'], ['h']),
      stage('identity_grad', 'backward', 'δ passed through', '∂C/∂z = δ', ['delta'], ['dZ']),
    ];
    return { tensors, stages: passes(stages, delta !== undefined), geometry: geometry(l), deltaIn: dZ };
  },
};
