// How each stage is laid out: its tensors in reading order with the operation
// between them, so a stage reads like its formula.

import type { StageId, TensorName } from '../../src/engine/trace';
import type { PanelText } from '../../src/l10n/panelText';
import { text } from '../l10n';

export type FlowItem = { tensor: TensorName; caption?: string } | { op: string };

/** Each stage's flow, its captions in the panel's language. */
const flows = (t: PanelText): Record<StageId, FlowItem[]> => ({
  pad: [{ tensor: 'input' }, { op: 'pad →' }, { tensor: 'a' }],
  im2col: [{ tensor: 'a' }, { op: 'im2col →' }, { tensor: 'a_t' }],
  weight_matrix: [{ tensor: 'weight', caption: 'w' }, { op: 'reshape(Cout, −1).T →' }, { tensor: 'w_t' }],
  matmul: [{ tensor: 'a_t' }, { op: '@' }, { tensor: 'w_t' }, { op: '=' }, { tensor: 'z_t' }],
  reshape_bias: [{ tensor: 'z_t' }, { op: 'transpose, reshape, +' }, { tensor: 'bias', caption: 'b' }, { op: '=' }, { tensor: 'z' }],
  delta_t: [{ tensor: 'delta', caption: 'δ' }, { op: 'transpose, reshape →' }, { tensor: 'delta_t', caption: 'δ_t' }],
  dA_t: [{ tensor: 'delta_t', caption: 'δ_t' }, { op: '@' }, { tensor: 'w_t', caption: t.captionUsedTransposed('w_t') }, { op: '=' }, { tensor: 'dA_t', caption: '∂C/∂a_t' }],
  col2im: [{ tensor: 'dA_t', caption: '∂C/∂a_t' }, { op: 'col2im →' }, { tensor: 'dA_padded', caption: 'col2im(∂C/∂a_t)' }, { tensor: 'col2im_counts', caption: t.captionOverlapCounts }, { op: 'crop →' }, { tensor: 'dA', caption: '∂C/∂a' }],
  dW: [{ tensor: 'a_t', caption: t.captionUsedTransposed('a_t') }, { op: '@' }, { tensor: 'delta_t', caption: 'δ_t' }, { op: '=' }, { tensor: 'dW_t', caption: '∂C/∂w_t' }, { op: '.T.reshape →' }, { tensor: 'dW', caption: '∂C/∂w' }],
  db: [{ tensor: 'delta_t', caption: 'δ_t' }, { op: t.opSumOverRows }, { tensor: 'db', caption: '∂C/∂b' }],
  compare: [],
  activate: [{ tensor: 'z' }, { op: 'h(z) →' }, { tensor: 'h' }, { tensor: 'h_prime', caption: "h'(z)" }],
  activation_grad: [{ tensor: 'delta', caption: 'δ' }, { op: '⊙' }, { tensor: 'h_prime', caption: "h'(z)" }, { op: '=' }, { tensor: 'dZ', caption: '∂C/∂z' }],
  pool_pad: [{ tensor: 'input' }, { op: 'pad →' }, { tensor: 'a' }],
  pool_unfold: [{ tensor: 'a' }, { op: 'unfold →' }, { tensor: 'pool_t' }],
  pool_reduce: [{ tensor: 'pool_t' }, { op: 'reduce →' }, { tensor: 'z' }, { tensor: 'argmax' }],
  pool_route: [{ tensor: 'delta', caption: 'δ' }, { tensor: 'argmax' }, { op: '→' }, { tensor: 'dpool_t' }],
  pool_col2im: [{ tensor: 'dpool_t' }, { op: 'col2im, crop →' }, { tensor: 'dA', caption: '∂C/∂input' }],
  flatten: [{ tensor: 'input' }, { op: 'reshape →' }, { tensor: 'z' }],
  unflatten: [{ tensor: 'delta', caption: 'δ' }, { op: 'reshape →' }, { tensor: 'dA', caption: '∂C/∂input' }],
  linear: [{ tensor: 'input' }, { op: '@' }, { tensor: 'w_t' }, { op: '+' }, { tensor: 'bias', caption: 'b' }, { op: '=' }, { tensor: 'z' }],
  linear_dx: [{ tensor: 'delta', caption: 'δ' }, { op: '@' }, { tensor: 'w_t', caption: t.captionUsedTransposed('w_t') }, { op: '=' }, { tensor: 'dA', caption: '∂C/∂input' }],
  linear_dw: [{ tensor: 'delta', caption: 'δ' }, { op: 'ᵀ @' }, { tensor: 'input' }, { op: '=' }, { tensor: 'dW', caption: '∂C/∂W' }, { tensor: 'db', caption: '∂C/∂b' }],
  loss: [{ tensor: 'z', caption: t.captionOutput }, { tensor: 'target' }, { op: '→' }, { tensor: 'probs', caption: 'softmax' }, { tensor: 'loss', caption: 'C' }],
  loss_grad: [{ tensor: 'probs', caption: 'p' }, { tensor: 'target' }, { op: '→' }, { tensor: 'delta', caption: 'δ' }],
  rot180: [{ tensor: 'delta_full', caption: t.captionDeltaFull }, { op: '⋆' }, { tensor: 'w_rot180', caption: 'ROT180(w)' }, { op: '=' }, { tensor: 'dA_rot180', caption: '∂C/∂a (rot180)' }, { op: 'vs' }, { tensor: 'dA', caption: '∂C/∂a (col2im)' }],
});

export function stageFlow(id: StageId, has: (name: TensorName) => boolean, stage?: { inputs: readonly TensorName[] }): FlowItem[] {
  // The comparison's flow names the tensor compared: yours − engine's = difference.
  if (id === 'compare' && stage) return [{ tensor: 'yours' }, { op: '−' }, { tensor: stage.inputs[1], caption: text().captionEngine(stage.inputs[1]) }, { op: '=' }, { tensor: 'difference' }];
  const items = flows(text())[id].filter(item => !('tensor' in item) || has(item.tensor));
  // Without a bias, "transpose, reshape, + b =" reads "transpose, reshape →".
  if (id === 'reshape_bias' && !has('bias')) return [{ tensor: 'z_t' }, { op: 'transpose, reshape →' }, { tensor: 'z' }];
  return items;
}
