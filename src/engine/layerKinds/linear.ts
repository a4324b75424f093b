// linear as a layer: z = input @ w_t + b, the matrix product the conv's is.

import { checkLinear, linearBackward, linearForward, linearOutput } from '../layers';
import { Tensor, checkTensor } from '../tensor';
import { TensorName, TraceTensor, recorded } from '../trace';
import { productCost } from './cost';
import { fieldsAsKeys, LayerKind, passes, planned, stage } from './kind';

export interface LinearLayer { type: 'linear'; weight: Tensor; bias?: Tensor }

export const linearKind: LayerKind<LinearLayer> = {
  summary: () => 'z = input @ W.T + b',
  params: () => ({
    weight: { read: 'tensor', rank: 2, axes: '(out, in)', required: true, doc: 'The weights W, shape (out, in), as torch.nn.Linear: z = input @ W.T + b.' },
    bias: { read: 'tensor', rank: 1, axes: '(out,)', doc: 'The bias b, shape (out,). Optional.' },
  }),
  build: (_type, { weight, bias }) => ({ type: 'linear', weight: weight as Tensor, bias: bias as Tensor | undefined }),
  specKeys: l => fieldsAsKeys(l, Object.keys(linearKind.params(l.type))),
  // A network may start with it (a spec of a model's last layer): its input is what a flatten makes.
  networkInput: { rank: 2, axes: '(B, features)' },
  title: l => `linear ${l.weight.shape[1]}→${l.weight.shape[0]}`,
  plan(l, x, backward) {
    checkTensor(l.weight, 'weight', 'linear');
    if (l.bias) checkTensor(l.bias, 'bias', 'linear');
    checkLinear(x, l.weight, l.bias);
    const [B, In] = x;
    const Out = l.weight.shape[0];
    const tensors = [planned('w_t', [In, Out]), planned('z', [B, Out])];
    if (backward) tensors.push(planned('dA', [B, In]), planned('dW', [Out, In]), planned('db', [Out]));
    // B·Out·In multiply-adds, 2 FLOPs each, the bias not counted, as torch.utils.flop_counter counts addmm.
    const cost = productCost(B * Out * In, Out * In + (l.bias ? Out : 0));
    return { output: [B, Out], tensors, geometry: { kind: 'linear' }, cost };
  },
  forward: (l, x) => ({ output: linearOutput(x, l.weight, l.bias), cache: {} }),
  backward({ spec: l, input: x }, delta) {
    const g = linearBackward(x, l.weight, delta);
    return { deltaIn: g.dA, params: { weight: g.dW, ...(l.bias ? { bias: g.db } : {}) } };
  },
  record({ spec: l, input: x, output }, delta) {
    const { w_t } = linearForward(x, l.weight, l.bias);
    const tensors: Partial<Record<TensorName, TraceTensor>> = {
      input: recorded('input', x, ['B', 'in'], { key: 'layer.input' }),
      weight: recorded('weight', l.weight, ['out', 'in'], { key: 'linear.weight' }),
      w_t: recorded('w_t', w_t, ['in', 'out'], { key: 'linear.w_t' }),
      z: recorded('z', output, ['B', 'out'], { key: 'linear.z', args: { bias: l.bias !== undefined } }),
    };
    if (l.bias) tensors.bias = recorded('bias', l.bias, ['out'], { key: 'linear.bias' });
    const g = delta && linearBackward(x, l.weight, delta);
    if (delta && g) {
      tensors.delta = recorded('delta', delta, ['B', 'out'], { key: 'linear.delta' });
      tensors.dA = recorded('dA', g.dA, ['B', 'in'], { key: 'linear.dA' });
      tensors.dW = recorded('dW', g.dW, ['out', 'in'], { key: 'linear.dW' });
      tensors.db = recorded('db', g.db, ['out'], { key: 'linear.db' });
    }
    const stages = [
      stage('linear', 'forward', 'Matrix product', `z = input @ w_t${l.bias ? ' + b' : ''}`, ['input', 'w_t', ...(l.bias ? ['bias' as const] : [])], ['z']),
      stage('linear_dx', 'backward', 'Gradient of the input', '∂C/∂input = δ @ w_tᵀ', ['delta', 'w_t'], ['dA']),
      stage('linear_dw', 'backward', 'Gradient of the weights', '∂C/∂W = δᵀ @ input;  ∂C/∂b = Σ_b δ', ['delta', 'input'], ['dW', 'db']),
    ];
    return { tensors, stages: passes(stages, delta !== undefined), geometry: { kind: 'linear' }, deltaIn: g?.dA };
  },
};
