// conv1d as a layer, as torch.nn.Conv1d: a sequence (B, C, L) convolved the im2col
// way. It runs conv2d's kernels on the same data seen with a height of 1 (a
// reshape, no copy), and records every tensor in 1-D: (B, C, L) sequences, and
// a_t with one row per window of the sequence.

import type { About } from '../about';
import type { PlannedTensor } from '../budget';
import { conv2dBackward, conv2dForward, convGradients, convolve } from '../conv2d';
import { EngineError } from '../errors';
import type { EngineProblem } from '../problem';
import { Tensor, checkTensor, reshape } from '../tensor';
import { TensorName, TraceTensor, recorded } from '../trace';
import type { ConvArgument } from '../errors';
import { LayerCost, productCost } from './cost';
import { fieldsAsKeys, LayerKind, passes, planned, stage } from './kind';
import { Conv1dInfo, Conv1dPadding, as2d } from './conv1dView';

export type Conv1dPaddingOption = number | 'valid' | 'same' | 'causal';

export interface Conv1dOptions {
  stride?: number;
  /** An integer on both sides, "valid" (none), "same" (as PyTorch) or "causal" (dilation·(K−1) on the left). */
  padding?: Conv1dPaddingOption;
  dilation?: number;
  groups?: number;
}

export interface Conv1dLayer { type: 'conv1d'; weight: Tensor; bias?: Tensor; options: Conv1dOptions }

const OP = 'conv1d';
const INPUT_AXES = '(B, C, L)';

function fail(problem: EngineProblem, argument: ConvArgument): never {
  throw new EngineError(OP, problem, argument);
}

function positiveInt(value: number | undefined, key: 'stride' | 'dilation' | 'groups'): number {
  if (value === undefined) return 1;
  if (!Number.isInteger(value)) fail({ code: 'conv.notInteger', args: { key, value } }, key);
  if (value < 1) fail({ code: 'conv.belowOne', args: { key, value } }, key);
  return value;
}

function checkShape(shape: readonly number[], key: 'input' | 'weight'): void {
  if (shape.length !== 3) {
    if (key === 'input') fail({ code: 'layer.inputRank', args: { rank: 3, axes: INPUT_AXES, shape: [...shape] } }, key);
    fail({ code: 'conv.rank', args: { key, rank: 3, axes: '(Cout, Cin/groups, K)', shape: [...shape] } }, key);
  }
  if (shape.some(d => !Number.isInteger(d) || d < 1)) fail({ code: 'conv.emptyDimension', args: { key, shape: [...shape] } }, key);
}

/** [left, right] from the padding as written; "same" and "causal" need the dilated kernel's extent. */
function paddingSides(padding: Conv1dPaddingOption | undefined, extent: number, stride: number): { mode: Conv1dPadding; sides: [number, number] } {
  const total = extent - 1;
  if (padding === 'same') {
    // As PyTorch: stride 1 only, and the odd position of an even extent goes to the right.
    if (stride !== 1) fail({ code: 'conv1d.sameStride', args: { stride } }, 'padding');
    return { mode: 'same', sides: [Math.floor(total / 2), total - Math.floor(total / 2)] };
  }
  if (padding === 'causal') return { mode: 'causal', sides: [total, 0] };
  if (padding === undefined || padding === 'valid') return { mode: 'explicit', sides: [0, 0] };
  if (typeof padding !== 'number') return fail({ code: 'conv1d.paddingForm', args: {} }, 'padding');
  if (!Number.isInteger(padding)) fail({ code: 'conv.paddingNotInteger', args: { value: padding } }, 'padding');
  if (padding < 0) fail({ code: 'conv.paddingNegative', args: { value: padding } }, 'padding');
  return { mode: 'explicit', sides: [padding, padding] };
}

/**
 * Checks a conv1d's arguments against each other and derives every size:
 * `Lout = floor((L + left + right − d·(K−1) − 1) / s) + 1`.
 */
export function conv1dInfo(inputShape: readonly number[], weightShape: readonly number[], options: Conv1dOptions, biasShape?: readonly number[]): Conv1dInfo {
  checkShape(inputShape, 'input');
  checkShape(weightShape, 'weight');
  const [batch, inChannels, length] = inputShape;
  const [outChannels, weightInChannels, kernel] = weightShape;
  const stride = positiveInt(options.stride, 'stride');
  const dilation = positiveInt(options.dilation, 'dilation');
  const groups = positiveInt(options.groups, 'groups');
  const shapes = { input: [...inputShape], weight: [...weightShape], groups };
  if (inChannels % groups !== 0) fail({ code: 'conv.groupsInput', args: { ...shapes, channels: inChannels } }, 'groups');
  if (outChannels % groups !== 0) fail({ code: 'conv.groupsOutput', args: { ...shapes, channels: outChannels } }, 'groups');
  if (weightInChannels * groups !== inChannels) fail({ code: 'conv.channels', args: { ...shapes, has: inChannels, expects: weightInChannels * groups } }, 'weight');
  if (biasShape !== undefined && (biasShape.length !== 1 || biasShape[0] !== outChannels)) {
    fail({ code: 'conv.bias', args: { channels: outChannels, shape: [...biasShape] } }, 'bias');
  }
  const extent = dilation * (kernel - 1) + 1;
  const { mode, sides: [padLeft, padRight] } = paddingSides(options.padding, extent, stride);
  const paddedLength = length + padLeft + padRight;
  if (extent > paddedLength) {
    fail({ code: 'conv1d.kernelTooLarge', args: { extent, padded: paddedLength, input: [...inputShape], weight: [...weightShape], padding: [padLeft, padRight], dilation } }, 'weight');
  }
  const inChannelsPerGroup = inChannels / groups;
  return {
    batch, inChannels, length, outChannels, kernel, stride, dilation, padding: mode, padLeft, padRight, paddedLength,
    outLength: Math.floor((paddedLength - extent) / stride) + 1,
    groups, inChannelsPerGroup, outChannelsPerGroup: outChannels / groups,
    patchSize: inChannels * kernel, groupPatchSize: inChannelsPerGroup * kernel, hasBias: biasShape !== undefined,
  };
}

/**
 * Each output value is Cin/groups·K multiply-adds: 2·B·Cout·Lout·(Cin/groups)·K FLOPs, the bias not
 * counted, as torch.utils.flop_counter counts a convolution.
 */
export function conv1dCost(i: Conv1dInfo): LayerCost {
  return productCost(i.batch * i.outChannels * i.outLength * i.groupPatchSize, i.outChannels * i.groupPatchSize + (i.hasBias ? i.outChannels : 0));
}

/** Every tensor a conv1d's trace allocates, in its 1-D shapes. */
export function conv1dTraceTensors(i: Conv1dInfo, backward: boolean): PlannedTensor[] {
  const { batch: B, inChannels: C, outChannels: Cout, outLength: R, patchSize: K, paddedLength: Lp } = i;
  const tensors = [planned('a', [B, C, Lp]), planned('a_t', [B, R, K]), planned('w_t', [K, Cout]), planned('z_t', [B, R, Cout]), planned('z', [B, Cout, R])];
  if (backward) {
    tensors.push(planned('delta_t', [B, R, Cout]), planned('dA_t', [B, R, K]), planned('dA_padded', [B, C, Lp]), planned('col2im_counts', [Lp]),
      planned('dA', [B, C, i.length]), planned('dW_t', [K, Cout]), planned('dW', [Cout, i.inChannelsPerGroup, i.kernel]), planned('db', [Cout]));
  }
  return tensors;
}

/** The (B, C, L) data seen as conv2d's (B, C, 1, L): the same array. */
const withHeight = (t: Tensor) => reshape(t, [t.shape[0], t.shape[1], 1, t.shape[2]]);
/** conv2d's (N, C, 1, L) back to (N, C, L). */
const withoutHeight = (t: Tensor) => reshape(t, [t.shape[0], t.shape[1], t.shape[3]]);

const SEQUENCE = ['B', 'Cin', 'L'];
const OUTPUT = ['B', 'Cout', 'Lout'];
const WINDOWS = ['B', 'window t', 'c·K + k'];
const WINDOW_CHANNELS = ['B', 'window t', 'Cout'];
const WEIGHT_MATRIX = ['c·K + k', 'Cout'];
const KERNELS = ['Cout', 'Cin/groups', 'K'];

export const conv1dKind: LayerKind<Conv1dLayer> = {
  summary: () => 'a 1-D convolution of a sequence (B, C, L), run the im2col way, as torch.nn.Conv1d',
  params: () => ({
    weight: { read: 'tensor', rank: 3, axes: '(Cout, Cin/groups, K)', required: true, doc: 'The kernels w, shape (Cout, Cin/groups, K), Cin being the channels of the sequence below.' },
    bias: { read: 'tensor', rank: 1, axes: '(Cout,)', doc: 'The bias b, shape (Cout,). Optional.' },
    stride: { read: 'asWritten', schema: { type: 'integer', minimum: 1 }, doc: 'Step of the window along the sequence. Default 1.' },
    padding: {
      read: 'asWritten', schema: { anyOf: [{ type: 'integer', minimum: 0 }, { enum: ['valid', 'same', 'causal'] }] },
      doc: 'Zeros at both ends: an integer, "valid" (none), "same" (stride 1 only, as PyTorch: the output as long as the input, the odd zero on the right) '
        + 'or "causal" (all d·(K-1) zeros on the left, so output t sees inputs up to t; not a PyTorch keyword but the usual causal convolution, '
        + 'F.pad(x, (d·(K-1), 0)) then conv1d). Default 0. Lout = floor((L + left + right - d·(K-1) - 1) / s) + 1.',
    },
    dilation: { read: 'asWritten', schema: { type: 'integer', minimum: 1 }, doc: 'Spacing of the kernel taps. Default 1. The dilated kernel spans d·(K-1)+1 positions.' },
    groups: {
      read: 'asWritten', schema: { type: 'integer', minimum: 1 },
      doc: 'Split channels into groups that convolve separately (groups = Cin is depthwise). Must divide Cin and Cout. Default 1.',
    },
  }),
  networkInput: { rank: 3, axes: INPUT_AXES },
  build: (_type, { weight, bias, stride, padding, dilation, groups }) => ({
    type: 'conv1d', weight: weight as Tensor, bias: bias as Tensor | undefined,
    options: { stride, padding, dilation, groups } as Conv1dOptions,
  }),
  specKeys: l => fieldsAsKeys({ weight: l.weight, bias: l.bias, ...l.options }, Object.keys(conv1dKind.params(l.type))),
  title: l => `conv1d ${l.weight.shape[0]}@${l.weight.shape[2]}`,
  plan(l, x, backward) {
    checkTensor(l.weight, 'weight', OP);
    if (l.bias) checkTensor(l.bias, 'bias', OP);
    const info = conv1dInfo(x, l.weight.shape, l.options, l.bias?.shape);
    return { output: [info.batch, info.outChannels, info.outLength], geometry: { kind: 'conv1d', info }, tensors: conv1dTraceTensors(info, backward), cost: conv1dCost(info) };
  },
  forward: (l, x, plan) => ({ output: withoutHeight(convolve(withHeight(x), withHeight(l.weight), l.bias, as2d(plan.geometry.info as Conv1dInfo))), cache: {} }),
  backward({ spec: l, input }, delta, needsDeltaIn = true) {
    const info = conv1dInfo(input.shape, l.weight.shape, l.options, l.bias?.shape);
    const g = convGradients(withHeight(input), withHeight(l.weight), withHeight(delta), as2d(info), { input: needsDeltaIn });
    return { ...(g.dInput ? { deltaIn: withoutHeight(g.dInput) } : {}), params: { weight: withoutHeight(g.dWeight), ...(l.bias ? { bias: g.dBias } : {}) } };
  },
  record({ spec: l, input }, delta) {
    const info = conv1dInfo(input.shape, l.weight.shape, l.options, l.bias?.shape);
    const info2d = as2d(info);
    const weight4 = withHeight(l.weight);
    const fwd = conv2dForward(withHeight(input), weight4, l.bias, info2d);
    const tensors: Partial<Record<TensorName, TraceTensor>> = {};
    const put = (name: TensorName, t: Tensor, axes: string[], about: About) => { tensors[name] = recorded(name, t, axes, about); };
    put('input', input, SEQUENCE, { key: 'conv1d.input' });
    put('weight', l.weight, KERNELS, { key: 'conv.weight' });
    if (l.bias) put('bias', l.bias, ['Cout'], { key: 'conv.bias' });
    put('a', withoutHeight(fwd.a), ['B', 'Cin', 'Lp'], { key: 'conv.a' });
    put('a_t', fwd.a_t, WINDOWS, { key: 'conv1d.a_t' });
    put('w_t', fwd.w_t, WEIGHT_MATRIX, { key: 'conv.w_t' });
    put('z_t', fwd.z_t, WINDOW_CHANNELS, { key: 'conv1d.z_t' });
    put('z', withoutHeight(fwd.z), OUTPUT, { key: 'conv1d.z' });
    if (delta) {
      const bwd = conv2dBackward(fwd, weight4, withHeight(delta), info2d);
      put('delta', delta, OUTPUT, { key: 'conv.delta' });
      put('delta_t', bwd.delta_t, WINDOW_CHANNELS, { key: 'conv.delta_t' });
      put('dA_t', bwd.dA_t, WINDOWS, { key: 'conv.dA_t' });
      put('dA_padded', withoutHeight(bwd.dA_padded), ['B', 'Cin', 'Lp'], { key: 'conv1d.dA_padded' });
      put('col2im_counts', reshape(bwd.col2im_counts, [info.paddedLength]), ['Lp'], { key: 'conv1d.col2im_counts' });
      put('dA', withoutHeight(bwd.dA), SEQUENCE, { key: 'conv.dA' });
      put('dW_t', bwd.dW_t, WEIGHT_MATRIX, { key: 'conv.dW_t' });
      put('dW', withoutHeight(bwd.dW), KERNELS, { key: 'conv.dW' });
      put('db', bwd.db, ['Cout'], { key: 'conv.db' });
    }
    const stages = [
      stage('pad', 'forward', 'Pad', `a = pad(input, (${info.padLeft}, ${info.padRight}))`, ['input'], ['a']),
      stage('im2col', 'forward', 'im2col', 'a_t = im2col(a)', ['a'], ['a_t']),
      stage('weight_matrix', 'forward', 'Kernels as a matrix', 'w_t = w.reshape(Cout, -1).T', ['weight'], ['w_t']),
      stage('matmul', 'forward', 'Matrix product', 'z_t = a_t @ w_t', ['a_t', 'w_t'], ['z_t']),
      stage('reshape_bias', 'forward', 'Transpose and add bias', `z = z_t.transpose(0, 2, 1)${l.bias ? ' + b' : ''}`, l.bias ? ['z_t', 'bias'] : ['z_t'], ['z']),
      stage('delta_t', 'backward', 'δ as a matrix', 'δ_t = δ.transpose(0, 2, 1)', ['delta'], ['delta_t']),
      stage('dA_t', 'backward', 'Gradient of a_t', '∂C/∂a_t = δ_t @ w_tᵀ', ['delta_t', 'w_t'], ['dA_t']),
      stage('col2im', 'backward', 'col2im', '∂C/∂a = crop(col2im(∂C/∂a_t))', ['dA_t'], ['dA_padded', 'col2im_counts', 'dA']),
      stage('dW', 'backward', 'Gradient of w', '∂C/∂w_t = Σ_b a_t[b]ᵀ @ δ_t[b];  ∂C/∂w = ∂C/∂w_t.T.reshape(w.shape)', ['a_t', 'delta_t'], ['dW_t', 'dW']),
      stage('db', 'backward', 'Gradient of b', '∂C/∂b = δ_t.sum(axis=(0, 1))', ['delta_t'], ['db']),
    ];
    return { tensors, stages: passes(stages, delta !== undefined), geometry: { kind: 'conv1d', info }, deltaIn: tensors.dA };
  },
};
