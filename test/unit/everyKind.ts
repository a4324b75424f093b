// A network with a layer of every type the registry lists, and both losses: the
// tests that must see every kind (its view's words, its tensors' descriptions)
// trace it, and check it still covers the registry. A new kind adds its layer here.

import { LAYER_TYPES } from '../../src/engine/layerKinds';
import type { LossSpec, NetworkLayer, NetworkProblem } from '../../src/engine/network';
import { randomTensor, rng } from './helpers';

const random = rng(7);
const t = (...shape: number[]) => randomTensor(shape, random);

const LAYERS: NetworkLayer[] = [
  { type: 'conv2d', weight: t(3, 2, 3, 3), bias: t(3), options: { padding: 1 } },
  { type: 'batchnorm2d', weight: t(3), bias: t(3), eps: 1e-5, momentum: 0.1, training: true },
  { type: 'batchnorm2d', running_mean: t(3), eps: 1e-3, momentum: 0.1, training: false },
  { type: 'relu' },
  // A residual over the batchnorms and the relu, joined along channels with the first batchnorm's output: 6 channels.
  { type: 'add', inputs: [0, 3] }, { type: 'concat', inputs: [4, 1] },
  { type: 'leaky_relu', slope: 0.1 }, { type: 'sigmoid' }, { type: 'tanh' },
  { type: 'relu6' }, { type: 'clip', min: -0.5, max: 0.5 }, { type: 'hardswish' }, { type: 'softmax' },
  { type: 'dropout', p: 0.5 }, { type: 'identity' },
  // Up to 12×12 and back: bilinear by a fractional scale, nearest to a size, a reflect, a replicate and a crop.
  { type: 'upsample2d', mode: 'bilinear', scale_factor: 1.5 }, { type: 'pad2d', padding: [2, 1, 1, 2], mode: 'reflect' },
  { type: 'upsample2d', mode: 'nearest', size: [10, 10] }, { type: 'pad2d', padding: 1, mode: 'replicate' },
  { type: 'upsample2d', mode: 'bilinear', size: [11, 11], align_corners: true }, { type: 'pad2d', padding: [-1, 1, 0, -3], value: 0.5, mode: 'constant' },
  { type: 'maxpool2d', options: { kernel: 4 } },
  { type: 'avgpool2d', options: { kernel: 2, padding: 1 } },
  { type: 'conv_transpose2d', weight: t(6, 1, 2, 2), bias: t(3), options: { stride: 2, padding: 1, output_padding: 1, dilation: 2, groups: 3 } },
  { type: 'adaptive_avg_pool2d', output_size: [1, 1] }, { type: 'global_avg_pool2d' },
  { type: 'flatten' },
  { type: 'linear', weight: t(2, 3), bias: t(2) }, { type: 'softmax' },
];

/** Every loss, for the (2, 2) output of the network. */
export const EVERY_LOSS: LossSpec[] = [{ type: 'mse', target: t(2, 2) }, { type: 'cross_entropy', target: [1, 0] }];

/** The network, (2, 2, 6, 6) in, with one of the losses. */
export function everyKind(loss: LossSpec): NetworkProblem {
  return { input: t(2, 2, 6, 6), layers: LAYERS, loss, dtype: 'float64' };
}

/** The kinds that read a sequence (B, C, L), which a (B, C, H, W) network cannot reach: (2, 2, 9) in. */
const SEQUENCE_LAYERS: NetworkLayer[] = [
  { type: 'conv1d', weight: t(4, 1, 3), bias: t(4), options: { padding: 'causal', dilation: 2, groups: 2 } },
  { type: 'relu' },
  // A residual around a "same" conv1d: the sequence keeps its length.
  { type: 'conv1d', weight: t(4, 4, 2), options: { padding: 'same' } }, { type: 'add', inputs: [1, 2] },
  { type: 'conv1d', weight: t(2, 4, 2), options: { stride: 2, padding: 1 } },
  { type: 'flatten' },
  { type: 'linear', weight: t(2, 10), bias: t(2) },
];

/** The sequence network, (2, 2, 9) in, with one of the losses. */
export function everySequenceKind(loss: LossSpec): NetworkProblem {
  return { input: t(2, 2, 9), layers: SEQUENCE_LAYERS, loss, dtype: 'float64' };
}

/**
 * A squeeze-and-excitation block and a MobileNet-style head (ONNX's Mul, Div, HardSigmoid, ReduceMean): (2, 2, 5, 5) in,
 * (2, 2) out. Not in torch_cost.py's networks: their costs are by rule, no product.
 */
const GATE_LAYERS: NetworkLayer[] = [
  { type: 'conv2d', weight: t(3, 2, 3, 3), bias: t(3), options: { padding: 1 } },
  { type: 'global_avg_pool2d' }, { type: 'hardsigmoid', alpha: 0.2, beta: 0.5 },
  // (2, 3, 5, 5) ⊙ (2, 3, 1, 1), broadcast; then a constant factor per channel.
  { type: 'mul', inputs: [0, 2] }, { type: 'mul', by: t(3, 1, 1) },
  // x.mean((2, 3)), then the features squared (a mul of one output by itself).
  { type: 'global_avg_pool2d', keepdim: false }, { type: 'mul', inputs: [5, 5] },
  { type: 'linear', weight: t(2, 3), bias: t(2) },
  // x.view(b, 2, 1, 1) and back.
  { type: 'reshape', shape: [2, 1, 1] }, { type: 'flatten' },
];

export function everyGateKind(loss: LossSpec): NetworkProblem {
  return { input: t(2, 2, 5, 5), layers: GATE_LAYERS, loss, dtype: 'float64' };
}

/** Every network above with every loss. */
export const EVERY_NETWORK: NetworkProblem[] = [...EVERY_LOSS.map(everyKind), ...EVERY_LOSS.map(everySequenceKind), ...EVERY_LOSS.map(everyGateKind)];

/** The registry's layer types the networks lack (none, or a new kind was not added here). */
export function missingTypes(): string[] {
  return LAYER_TYPES.filter(type => ![LAYERS, SEQUENCE_LAYERS, GATE_LAYERS].some(ls => ls.some(l => l.type === type)));
}
