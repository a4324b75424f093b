// conv_transpose2d as a layer, as torch.nn.ConvTranspose2d: the im2col way (x_t @ w_mat, col2im, crop)
// beside the direct way (zeros inserted, a convolution with ROT180(w)), their agreement recorded,
// and the backward pass (convTranspose2d.ts has the arithmetic).

import { ConvTransposeForward, convTransposeBackward, convTransposeDirect, convTransposeForward, convTransposeTensors } from '../convTranspose2d';
import { ConvTransposeInfo, ConvTransposeOptions, convTransposeCost, convTransposeInfo, convTransposeOutputShape } from '../convTransposeInfo';
import { Tensor, checkTensor } from '../tensor';
import { TensorName, TraceTensor, recorded, rot180Check } from '../trace';
import { fieldsAsKeys, LayerKind, passes, stage } from './kind';

export interface ConvTransposeLayer { type: 'conv_transpose2d'; weight: Tensor; bias?: Tensor; options: ConvTransposeOptions }

/** What each axis of the layer's tensors indexes; its description is `convT.<name>` (aboutText.en.ts). */
const AXES = {
  input: ['B', 'Cin', 'H', 'W'],
  weight: ['Cin', 'Cout/groups', 'kh', 'kw'],
  bias: ['Cout'],
  x_t: ['B', 'H·W', 'Cin'],
  w_mat: ['Cin', 'Cout·kh·kw'],
  z_t: ['B', 'H·W', 'Cout·kh·kw'],
  z_full: ['B', 'Cout', 'Hs', 'Ws'],
  col2im_counts: ['Hs', 'Ws'],
  z: ['B', 'Cout', 'Hout', 'Wout'],
  x_full: ['B', 'Cin', 'Hf', 'Wf'],
  w_rot180: ['Cout', 'Cin/groups', 'kh', 'kw'],
  z_rot180: ['B', 'Cout', 'Hout', 'Wout'],
  delta: ['B', 'Cout', 'Hout', 'Wout'],
  dZ_full: ['B', 'Cout', 'Hs', 'Ws'],
  dZ_t: ['B', 'H·W', 'Cout·kh·kw'],
  dX_t: ['B', 'H·W', 'Cin'],
  dA: ['B', 'Cin', 'H', 'W'],
  dW_mat: ['Cin', 'Cout·kh·kw'],
  dW: ['Cin', 'Cout/groups', 'kh', 'kw'],
  db: ['Cout'],
} satisfies Record<TensorName, string[]>;
type Name = keyof typeof AXES;

const STAGES = [
  stage('convt_rows', 'forward', 'Input as rows', 'x_t = x.transpose(0, 2, 3, 1).reshape(B, H·W, Cin)', ['input'], ['x_t']),
  stage('convt_weight_matrix', 'forward', 'Kernels as a matrix', 'w_mat = w.reshape(Cin, −1)', ['weight'], ['w_mat']),
  stage('convt_matmul', 'forward', 'Matrix product', 'z_t = x_t @ w_mat', ['x_t', 'w_mat'], ['z_t']),
  stage('convt_col2im', 'forward', 'col2im', 'z_full = col2im(z_t)', ['z_t'], ['z_full', 'col2im_counts']),
  stage('convt_crop_bias', 'forward', 'Crop, output_padding and bias', 'z = z_full[p_top : Hs − p_bottom + op] + b', ['z_full', 'bias'], ['z']),
  stage('rot180', 'forward', 'Zeros inserted, convolution with ROT180(w)', 'z = insert_zeros(x) padded by d·(k − 1) − p ⋆ ROT180(w) + b', ['input', 'weight'], ['x_full', 'w_rot180', 'z_rot180']),
  stage('convt_delta_full', 'backward', 'δ padded back', '∂C/∂z_full = pad(δ, p), output_padding dropped', ['delta'], ['dZ_full']),
  stage('convt_im2col', 'backward', 'im2col of δ', '∂C/∂z_t = im2col(∂C/∂z_full)', ['dZ_full'], ['dZ_t']),
  stage('convt_dx', 'backward', 'Gradient of the input', '∂C/∂x_t = ∂C/∂z_t @ w_matᵀ;  ∂C/∂x = reshape', ['dZ_t', 'w_mat'], ['dX_t', 'dA']),
  stage('convt_dw', 'backward', 'Gradient of w', '∂C/∂w_mat = Σ_b x_t[b]ᵀ @ ∂C/∂z_t[b];  ∂C/∂w = reshape', ['x_t', 'dZ_t'], ['dW_mat', 'dW']),
  stage('convt_db', 'backward', 'Gradient of b', '∂C/∂b = δ.sum(axis=(0, 2, 3))', ['delta'], ['db']),
];

const infoOf = (l: ConvTransposeLayer, x: readonly number[]): ConvTransposeInfo => convTransposeInfo(x, l.weight.shape, l.options, l.bias?.shape);

export const convTranspose2dKind: LayerKind<ConvTransposeLayer> = {
  summary: () => 'a transposed convolution (as torch.nn.ConvTranspose2d): conv2d\'s backward-input pass run forward, the im2col way',
  params: () => ({
    weight: {
      read: 'tensor', rank: 4, axes: '(Cin, Cout/groups, kh, kw)', required: true,
      doc: 'The kernels w, shape (Cin, Cout/groups, kh, kw), Cin being the channels of the layer below (as torch.nn.ConvTranspose2d).',
    },
    bias: { read: 'tensor', rank: 1, axes: '(Cout,)', doc: 'The bias b, shape (Cout,). Optional.' },
    stride: { read: 'intOrPair', doc: 'How far apart neighbouring inputs land in the output: an integer, or [sh, sw]. Default 1.' },
    padding: {
      read: 'asWritten', schema: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2, maxItems: 2 }, { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 4, maxItems: 4 }] },
      doc: 'Cropped from the output\'s sides: an integer for each side, [ph, pw], or [top, bottom, left, right] (as conv2d\'s padding; ONNX\'s pads may differ on the two sides of an axis). Default 0.',
    },
    output_padding: {
      read: 'intOrPair', zero: true,
      doc: 'Added to the bottom and right of the output, to pick among the sizes a stride maps to the same input size: an integer, or [oh, ow], smaller than the stride or the dilation. Default 0.',
    },
    dilation: { read: 'intOrPair', doc: 'Spacing of the kernel taps: an integer, or [dh, dw]. Default 1.' },
    groups: {
      read: 'asWritten', schema: { type: 'integer', minimum: 1 },
      doc: 'Split channels into groups that convolve separately. Must divide Cin. Default 1.',
    },
  }),
  build: (_type, { weight, bias, stride, padding, output_padding, dilation, groups }) => ({
    type: 'conv_transpose2d', weight: weight as Tensor, bias: bias as Tensor | undefined,
    options: { stride, padding, output_padding, dilation, groups } as ConvTransposeOptions,
  }),
  specKeys: l => fieldsAsKeys({ weight: l.weight, bias: l.bias, ...l.options }, Object.keys(convTranspose2dKind.params(l.type))),
  title: l => `conv_transpose2d ${(l.weight.shape[1] ?? 0) * (l.options.groups ?? 1)}@${l.weight.shape[2]}×${l.weight.shape[3]}`,
  plan(l, x, backward) {
    checkTensor(l.weight, 'weight', 'conv_transpose2d');
    if (l.bias) checkTensor(l.bias, 'bias', 'conv_transpose2d');
    const info = infoOf(l, x);
    return { output: convTransposeOutputShape(info), tensors: convTransposeTensors(info, backward), geometry: { kind: 'conv_transpose2d', info },
      cost: convTransposeCost(info) };
  },
  forward(l, x) {
    const f = convTransposeForward(x, l.weight, l.bias, infoOf(l, x.shape));
    return { output: f.z, cache: { ...f } };
  },
  backward({ spec: l, input, cache }, delta) {
    const g = convTransposeBackward(cache as unknown as ConvTransposeForward, l.weight, delta, infoOf(l, input.shape));
    return { deltaIn: g.dA, params: { weight: g.dW, ...(l.bias ? { bias: g.db } : {}) } };
  },
  record({ spec: l, input, cache }, delta) {
    const info = infoOf(l, input.shape);
    const tensors: Partial<Record<TensorName, TraceTensor>> = {};
    const put = (name: Name, t: Tensor) => { tensors[name] = recorded(name, t, AXES[name], { key: `convT.${name}` }); };
    const fwd = cache as unknown as ConvTransposeForward;
    put('input', input);
    put('weight', l.weight);
    if (l.bias) put('bias', l.bias);
    for (const name of ['x_t', 'w_mat', 'z_t', 'z_full', 'col2im_counts', 'z'] as const) put(name, fwd[name]);
    const direct = convTransposeDirect(input, l.weight, l.bias, info);
    for (const name of ['x_full', 'w_rot180', 'z_rot180'] as const) put(name, direct[name]);
    const bwd = delta && convTransposeBackward(fwd, l.weight, delta, info);
    if (delta && bwd) {
      put('delta', delta);
      for (const name of ['dZ_full', 'dZ_t', 'dX_t', 'dA', 'dW_mat', 'dW', 'db'] as const) put(name, bwd[name]);
    }
    const stages = STAGES.map(s => (s.id === 'convt_crop_bias' && !l.bias ? { ...s, inputs: ['z_full'] } : s));
    return {
      tensors, stages: passes(stages, delta !== undefined), geometry: { kind: 'conv_transpose2d', info },
      rot180: { ...rot180Check(fwd.z, direct.z_rot180, input.dtype), tensor: 'z' }, deltaIn: bwd?.dA,
    };
  },
};
