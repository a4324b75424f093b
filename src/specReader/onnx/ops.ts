// ONNX ops → the engine's layers: one entry per op, each reading its node's inputs
// and attributes through an OpContext (model.ts makes one per node) and saying
// what its output is: a layer, the value of one of its inputs (Identity, Dropout),
// a constant (the Shape → Gather → Unsqueeze → Concat chain that feeds a Reshape),
// or a padded tensor that the conv or average pooling after it takes as padding.
// A new op is a new entry here; an op without one is refused, naming its node.

import { walkBroadcast, broadcastShape } from '../../engine/broadcast';
import { checkBudget } from '../../engine/budget';
import { pooledSize } from '../../engine/layers';
import { LINEAR_TRANSFORMS, NEAREST_ROUNDINGS, NEAREST_TRANSFORMS, type OnnxRule } from '../../engine/resample';
import type { LayerSpec } from '../../engine/layerKinds';
import { Tensor, sizeOf } from '../../engine/tensor';
import type { SpecProblem } from '../problemCodes';
import type { OnnxNode } from './graph';

/** A tensor the network computes: its input or a layer's output, with its shape. */
export interface NetworkValue { kind: 'network'; ref: 'input' | number; shape: number[] }
/**
 * A tensor known before the network runs (an initializer, a Constant, a shape), as float64; `integer` when its
 * ONNX element type is an integer one (a shape, an index, a Cast to int64), which Div truncates as onnxruntime does.
 */
export interface ConstantValue { kind: 'constant'; tensor: Tensor; integer?: boolean }
/** A network tensor zero-padded by a Pad node: [top, bottom, left, right]. */
export interface PaddedValue { kind: 'padded'; of: NetworkValue; pads: Pads; node: string }
export type Value = NetworkValue | ConstantValue | PaddedValue;

/** [top, bottom, left, right], as the engine's conv padding. */
export type Pads = [number, number, number, number];

/** What a node's first output is. */
export type OpResult =
  | { layer: LayerSpec; from: NetworkValue[] }
  | { same: Value }
  | { constant: Tensor; integer?: boolean }
  | { padded: PaddedValue }
  /** A MatMul's output plus a constant: the bias of the linear layer the MatMul made. */
  | { bias: Tensor; of: NetworkValue };

/** What an op's entry may ask of its node. */
export interface OpContext {
  node: OnnxNode;
  /** Whether input `k` is given (an optional input may be left out or named ''). */
  has(k: number): boolean;
  value(k: number): Value;
  /** Input `k` as a tensor the network computes; a padded one only with `padded`. */
  network(k: number): NetworkValue;
  networkOrPadded(k: number): NetworkValue | PaddedValue;
  /** Input `k` as a weight: an initializer or a constant, in the run's dtype. */
  weight(k: number): Tensor;
  /** Input `k` as a constant, float64. */
  constant(k: number): Tensor;
  /** Whether input `k` is a constant of an integer element type. */
  integer(k: number): boolean;
  /** The most elements a tensor may hold: a constant folded here is counted before it is made. */
  maxElements: number;
  int(name: string, fallback: number): number;
  float(name: string, fallback: number): number;
  ints(name: string, fallback: number[]): number[];
  string(name: string, fallback: string): string;
  /** Refuses the node: `attribute` is `found`, only `expected` is read. */
  unsupported(attribute: string, found: unknown, expected: string): never;
  refuse(problem: SpecProblem): never;
  /** The value of a Constant node's attribute `value` (a TensorProto), float64. */
  tensorAttribute(name: string): Tensor | undefined;
  /** Whether that attribute's element type is an integer one. */
  integerAttribute(name: string): boolean;
}

const ints = (t: Tensor) => Array.from(t.data);
const constant = (shape: number[], values: readonly number[]): Tensor => ({ shape, dtype: 'float64', data: Float64Array.from(values) });
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, k) => d === b[k]);

/** An attribute that must keep one value to be read the engine's way. */
function only(c: OpContext, name: string, fallback: number, wanted: number): void {
  const v = c.int(name, fallback);
  if (v !== wanted) c.unsupported(name, v, String(wanted));
}

/** auto_pad, checked: a value ONNX has, and no pads beside one but NOTSET (ONNX's shape inference refuses both). */
function autoPad(c: OpContext): string {
  const auto = c.string('auto_pad', 'NOTSET');
  if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(auto)) c.unsupported('auto_pad', auto, 'NOTSET, VALID, SAME_UPPER, SAME_LOWER');
  if (auto !== 'NOTSET' && c.ints('pads', []).length) c.unsupported('pads', c.ints('pads', []), 'none beside an auto_pad');
  return auto;
}

/** Explicit pads (NOTSET) or none (VALID), in ONNX's order [top, left, bottom, right]; `also`: what else the refusal names. */
function explicitPads(c: OpContext, also = ''): number[] {
  const auto = autoPad(c);
  if (auto === 'VALID') return [0, 0, 0, 0];
  if (auto !== 'NOTSET') c.unsupported('auto_pad', auto, `NOTSET, VALID${also}`);
  return c.ints('pads', [0, 0, 0, 0]);
}

/** The (H, W) a node reads: its input's, a Pad node's before it included. */
function spatialSize(c: OpContext, input: NetworkValue | PaddedValue): [number, number] {
  const shape = unpadded(input).shape;
  if (shape.length !== 4) c.unsupported('auto_pad', c.string('auto_pad', 'NOTSET'), 'an input of rank 4 (B, C, H, W)');
  const [t, b, l, r] = input.kind === 'padded' ? input.pads : [0, 0, 0, 0];
  return [shape[2] + t + b, shape[3] + l + r];
}

/**
 * A window op's pads in ONNX's order: explicit, none, or auto_pad SAME_UPPER / SAME_LOWER's from the input's size,
 * as the ONNX spec says: output ceil(in / stride), the total max((out − 1)·stride + k − in, 0), the odd cell at the
 * end (UPPER) or the start (LOWER). With dilations onnxruntime refuses SAME (Conv) or sizes its padding by the
 * undilated kernel (MaxPool): refused here. A pooling whose total is below 0 (a stride over the kernel passes pixels
 * by) onnxruntime pads by half of it, negative: from −2 its windows start further on, not as the spec's, refused
 * here; at −1 it refuses the node or starts them where the spec does.
 */
function windowPads(c: OpContext, input: NetworkValue | PaddedValue, kernel: number[], dilations: number[], pooling: boolean): number[] {
  const auto = autoPad(c);
  if (auto !== 'SAME_UPPER' && auto !== 'SAME_LOWER') return explicitPads(c, ', SAME_UPPER, SAME_LOWER');
  if (dilations.some(d => d !== 1)) c.unsupported('dilations', dilations, `[1, 1] with auto_pad ${auto}`);
  const strides = twoInts(c, 'strides', [1, 1]);
  const size = spatialSize(c, input);
  const [begin, end] = [[0, 0], [0, 0]];
  for (let a = 0; a < 2; a++) {
    const needed = (Math.ceil(size[a] / strides[a]) - 1) * strides[a] + kernel[a] - size[a];
    if (pooling && needed < -1) c.unsupported('auto_pad', auto, 'NOTSET here (the stride passes pixels by, and onnxruntime moves the windows)');
    const total = Math.max(needed, 0);
    const small = Math.floor(total / 2);
    [begin[a], end[a]] = auto === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
  }
  return [...begin, ...end];
}

/** ONNX's pads [top, left, bottom, right] as [top, bottom, left, right], with a Pad node's before it added. */
function sides(c: OpContext, pads: number[], input: NetworkValue | PaddedValue): Pads {
  if (pads.length !== 4) c.unsupported('pads', pads, '4 values (2-D)');
  const own: Pads = [pads[0], pads[2], pads[1], pads[3]];
  return input.kind === 'padded' ? own.map((p, k) => p + input.pads[k]) as Pads : own;
}

const unpadded = (v: NetworkValue | PaddedValue) => (v.kind === 'padded' ? v.of : v);

/** Two values of a 2-D attribute (kernel_shape, strides, dilations), or the node refused. */
function twoInts(c: OpContext, name: string, fallback: number[]): [number, number] {
  const v = c.ints(name, fallback);
  if (v.length !== 2) c.unsupported(name, v, '2 values (2-D)');
  return [v[0], v[1]];
}

function conv(c: OpContext): OpResult {
  const x = c.networkOrPadded(0);
  const weight = c.weight(1);
  const kernel = c.ints('kernel_shape', weight.shape.slice(2));
  if (!same(kernel, weight.shape.slice(2))) c.unsupported('kernel_shape', kernel, `the weight's (${weight.shape.slice(2).join(', ')})`);
  if (kernel.length !== 2) c.unsupported('kernel_shape', kernel, '2 values (2-D)');
  const [sh, sw] = twoInts(c, 'strides', [1, 1]);
  const [dh, dw] = twoInts(c, 'dilations', [1, 1]);
  const layer: LayerSpec = {
    type: 'conv2d', weight, ...(c.has(2) ? { bias: c.weight(2) } : {}),
    options: { stride: [sh, sw], dilation: [dh, dw], padding: sides(c, windowPads(c, x, kernel, [dh, dw], false), x), groups: c.int('group', 1) },
  };
  return { layer, from: [unpadded(x)] };
}

/** MaxPool, or AveragePool (`average`). */
function pool(average: boolean) {
  return (c: OpContext): OpResult => {
    // Max pooling pads with −∞, a Pad node with 0: only average pooling takes one.
    const x = average ? c.networkOrPadded(0) : c.network(0);
    const kernel = twoInts(c, 'kernel_shape', []);
    const dilation = twoInts(c, 'dilations', [1, 1]);
    // AveragePool has dilations from opset 19; the engine's average pooling has none (as PyTorch).
    if (average && (dilation[0] !== 1 || dilation[1] !== 1)) c.unsupported('dilations', dilation, '[1, 1]');
    const own = windowPads(c, x, kernel, dilation, true);
    // As onnxruntime; a Pad node's zeros before it are its input, not its padding.
    if (own[0] >= kernel[0] || own[2] >= kernel[0] || own[1] >= kernel[1] || own[3] >= kernel[1]) c.unsupported('pads', own, 'each under the kernel');
    const stride = twoInts(c, 'strides', [1, 1]);
    const ceilMode = c.int('ceil_mode', 0) === 1;
    if (ceilMode && x.kind === 'padded') padNodeCeilMode(c, x, own, kernel, stride);
    const options = { kernel, stride, padding: sides(c, own, x), ceilMode };
    // A window on padding alone (onnxruntime's max there is float32's lowest, its mean 0 / 0) the layer refuses.
    if (!average) return { layer: { type: 'maxpool2d', options: { ...options, dilation } }, from: [x as NetworkValue] };
    return { layer: { type: 'avgpool2d', options: { ...options, countIncludePad: countsPadding(c, own, x) } }, from: [unpadded(x)] };
  };
}

/**
 * ceil_mode after a Pad node: a last window must start inside the input or its leading padding, and onnxruntime
 * counts the Pad node's trailing zeros as input, so it keeps a window the engine's rule drops where they are
 * passed: refused only where the output sizes differ.
 */
function padNodeCeilMode(c: OpContext, x: PaddedValue, own: number[], kernel: number[], stride: number[]): void {
  const [t, b, l, r] = x.pads;
  const axes = [[x.of.shape[2], t, b, own[0], own[2]], [x.of.shape[3], l, r, own[1], own[3]]];
  for (const [a, [n, before, after, ownBefore, ownAfter]] of axes.entries()) {
    const engine = pooledSize(n, kernel[a], stride[a], before + ownBefore, after + ownAfter, 1, true);
    const onnx = pooledSize(n + before + after, kernel[a], stride[a], ownBefore, ownAfter, 1, true);
    if (engine !== onnx) c.unsupported('ceil_mode', 1, '0 here, after a Pad node (onnxruntime keeps a last window that starts in its zeros)');
  }
}

/**
 * Whether the engine's mean counts its padding, from count_include_pad (ONNX's default 0): a Pad node's zeros are
 * input to ONNX, counted either way, so with the node's own pads 0 the engine counts all its padding, and a Pad
 * node's zeros counted next to own pads not counted cannot be written.
 */
function countsPadding(c: OpContext, own: number[], x: NetworkValue | PaddedValue): boolean {
  const counted = c.int('count_include_pad', 0) === 1;
  if (own.every(p => p === 0)) return true;
  if (!counted && x.kind === 'padded' && x.pads.some(p => p !== 0)) c.unsupported('count_include_pad', 0, '1 after a Pad node');
  return counted;
}

function activation(type: 'relu' | 'sigmoid' | 'tanh') {
  return (c: OpContext): OpResult => ({ layer: { type }, from: [c.network(0)] });
}

/** Clip: its bounds are inputs from opset 11 (attributes before); both must be given (ReLU6, Hardtanh). */
function clip(c: OpContext): OpResult {
  const bound = (k: number, name: string): number => {
    if (c.has(k)) {
      const t = c.constant(k);
      if (t.data.length !== 1) c.unsupported(name, [...t.shape], 'a single value');
      return t.data[0];
    }
    const v = c.float(name, NaN);
    return Number.isNaN(v) ? c.unsupported(name, 'none', 'a bound') : v;
  };
  return { layer: { type: 'clip', min: bound(1, 'min'), max: bound(2, 'max') }, from: [c.network(0)] };
}

/** Softmax over the channels (or features): axis 1. */
function softmax(c: OpContext): OpResult {
  const x = c.network(0);
  const axis = c.int('axis', -1);
  if ((axis + x.shape.length) % x.shape.length !== 1) c.unsupported('axis', axis, '1 (the channels or features)');
  return { layer: { type: 'softmax' }, from: [x] };
}

/**
 * ConvTranspose's pads [top, bottom, left, right]: its own, or those auto_pad SAME_* or output_shape ask for. The
 * total cropped from an axis is (in − 1)·s + op + (k − 1)·d + 1 less the output's size (output_shape, or in·s for
 * SAME_*), split as ONNX's text says and onnxruntime 1.30 does (checked on one-row models): an odd one at the end for
 * SAME_UPPER, at the start otherwise (SAME_LOWER, and NOTSET or VALID with an output_shape). A total below 0 (an
 * output past the windows' reach) is no crop for SAME_*, as onnxruntime's; an output_shape asking for it is refused.
 */
function transposePads(c: OpContext, x: NetworkValue, weight: Tensor, strides: number[], dilations: number[], outputPadding: number[]): Pads {
  const auto = autoPad(c);
  const outputShape = c.ints('output_shape', []);
  if (!outputShape.length && !auto.startsWith('SAME_')) return sides(c, explicitPads(c), x);
  if (outputShape.length && outputShape.length !== 2) c.unsupported('output_shape', outputShape, '2 values (H, W)');
  const [top, bottom, left, right] = [0, 1].flatMap(k => {
    const n = x.shape[2 + k];
    const reach = (n - 1) * strides[k] + outputPadding[k] + (weight.shape[2 + k] - 1) * dilations[k] + 1;
    const total = reach - (outputShape.length ? outputShape[k] : n * strides[k]);
    if (outputShape.length && total < 0) c.unsupported('output_shape', outputShape, `at most (${reach}): what the windows reach`);
    const [less, more] = [Math.floor(Math.max(total, 0) / 2), Math.ceil(Math.max(total, 0) / 2)];
    return auto === 'SAME_UPPER' ? [less, more] : [more, less];
  });
  return [top, bottom, left, right];
}

/** ConvTranspose: pads on each side, by auto_pad or output_shape. */
function convTranspose(c: OpContext): OpResult {
  const x = c.network(0);
  const weight = c.weight(1);
  const kernel = c.ints('kernel_shape', weight.shape.slice(2));
  if (!same(kernel, weight.shape.slice(2))) c.unsupported('kernel_shape', kernel, `the weight's (${weight.shape.slice(2).join(', ')})`);
  const pair = (name: string, fallback: number[]) => c.ints(name, fallback) as [number, number];
  const [stride, dilation, outputPadding] = [pair('strides', [1, 1]), pair('dilations', [1, 1]), pair('output_padding', [0, 0])];
  const layer: LayerSpec = {
    type: 'conv_transpose2d', weight, ...(c.has(2) ? { bias: c.weight(2) } : {}),
    options: { stride, padding: transposePads(c, x, weight, stride, dilation, outputPadding), output_padding: outputPadding, dilation, groups: c.int('group', 1) },
  };
  return { layer, from: [x] };
}

function batchNorm(c: OpContext): OpResult {
  only(c, 'training_mode', 0, 0);
  only(c, 'spatial', 1, 1);
  const [weight, bias, running_mean, running_var] = [1, 2, 3, 4].map(k => c.weight(k));
  return {
    layer: { type: 'batchnorm2d', weight, bias, running_mean, running_var, eps: c.float('epsilon', 1e-5), momentum: 0.1, training: false },
    from: [c.network(0)],
  };
}

function add(c: OpContext): OpResult {
  const [a, b] = [c.value(0), c.value(1)];
  if (a.kind === 'network' && b.kind === 'network') return { layer: { type: 'add' }, from: [a, b] };
  // A constant added to a MatMul's output is that linear layer's bias (model.ts checks the MatMul).
  const [x, k] = a.kind === 'constant' ? [1, 0] : [0, 1];
  return { bias: c.weight(k), of: c.network(x) };
}

function concat(c: OpContext): OpResult {
  const values = c.node.inputs.map((_, k) => c.value(k));
  const axis = c.int('axis', 0);
  if (values.every(v => v.kind === 'constant')) {
    // Shapes being joined (1-D constants).
    if (axis !== 0 && axis !== -1) c.unsupported('axis', axis, '0 for constants');
    const parts = values.map((_, k) => c.constant(k));
    if (parts.some(t => t.shape.length !== 1)) c.unsupported('axis', axis, '1-D constants');
    const joined = parts.flatMap(ints);
    return { constant: constant([joined.length], joined), integer: values.every((_, k) => c.integer(k)) };
  }
  const inputs = values.map((_, k) => c.network(k));
  const rank = inputs[0].shape.length;
  if (axis !== 1 && axis !== 1 - rank) c.unsupported('axis', axis, '1 (channels)');
  return { layer: { type: 'concat' }, from: inputs };
}

function flatten(c: OpContext): OpResult {
  const x = c.network(0);
  const axis = c.int('axis', 1);
  if (axis !== 1 && axis !== 1 - x.shape.length) c.unsupported('axis', axis, '1');
  return { layer: { type: 'flatten' }, from: [x] };
}

/** (rows, columns) → (columns, rows). */
function transposed(t: Tensor): Tensor {
  const [r, k] = t.shape;
  const data = t.data.slice();
  for (let i = 0; i < r; i++) for (let j = 0; j < k; j++) data[j * r + i] = t.data[i * k + j];
  return { shape: [k, r], dtype: t.dtype, data };
}

/** A bias of `out` values, as (out,), (1, out) or any shape of that size. */
function biasOf(c: OpContext, k: number, out: number): Tensor {
  const b = c.weight(k);
  if (sizeOf(b.shape) !== out) c.unsupported(c.node.inputs[k], `shape (${b.shape.join(', ')})`, `(${out},)`);
  return { ...b, shape: [out] };
}

function gemm(c: OpContext): OpResult {
  only(c, 'transA', 0, 0);
  for (const name of ['alpha', 'beta']) if (c.float(name, 1) !== 1) c.unsupported(name, c.float(name, 1), '1');
  const b = c.weight(1);
  if (b.shape.length !== 2) c.unsupported(c.node.inputs[1], `shape (${b.shape.join(', ')})`, 'a matrix');
  const transB = c.int('transB', 0);
  if (transB !== 0 && transB !== 1) c.unsupported('transB', transB, '0, 1');
  // linear's weight is (out, in), as transB = 1 writes it.
  const weight = transB ? b : transposed(b);
  return { layer: { type: 'linear', weight, ...(c.has(2) ? { bias: biasOf(c, 2, weight.shape[0]) } : {}) }, from: [c.network(0)] };
}

function matMul(c: OpContext): OpResult {
  const b = c.weight(1);
  if (b.shape.length !== 2) c.unsupported(c.node.inputs[1], `shape (${b.shape.join(', ')})`, 'a matrix');
  return { layer: { type: 'linear', weight: transposed(b) }, from: [c.network(0)] };
}

/** Shape (with opset 15's start and end): the input's shape, known before the run. */
function shape(c: OpContext): OpResult {
  const v = c.value(0);
  // A constant's shape too (torch's F.pad chains take the Shape of a pads list); a zero Pad's, padded.
  const dims = v.kind === 'constant' ? v.tensor.shape : v.kind === 'padded' ? v.of.shape.map((d, k) => (k < 2 ? d : d + v.pads[2 * k - 4] + v.pads[2 * k - 3])) : v.shape;
  const at = (k: number) => Math.min(Math.max(k < 0 ? k + dims.length : k, 0), dims.length);
  const picked = dims.slice(at(c.int('start', 0)), at(c.int('end', dims.length)));
  return { constant: constant([picked.length], picked), integer: true };
}

function gather(c: OpContext): OpResult {
  const data = c.constant(0);
  const indices = c.constant(1);
  if (data.shape.length !== 1 || c.int('axis', 0) !== 0) c.unsupported('axis', c.int('axis', 0), '0, of a 1-D constant');
  const n = data.shape[0];
  const picked = ints(indices).map(i => (Number.isInteger(i) && i >= -n && i < n ? data.data[i < 0 ? i + n : i] : c.unsupported(c.node.inputs[1], i, `an index below ${n}`)));
  return { constant: constant([...indices.shape], picked), integer: c.integer(0) };
}

/** Unsqueeze: of a constant (a shape chain's), or of a network tensor past its batch axis, a reshape ((B, C) → (B, C, 1, 1)). */
function unsqueeze(c: OpContext): OpResult {
  const v = c.value(0);
  const axes = c.has(1) ? ints(c.constant(1)) : c.ints('axes', []);
  const shape = v.kind === 'constant' ? v.tensor.shape : c.network(0).shape;
  const rank = shape.length + axes.length;
  const at = axes.map(a => (a < 0 ? a + rank : a));
  if (at.some(a => !Number.isInteger(a) || a < 0 || a >= rank) || new Set(at).size !== at.length) c.unsupported('axes', axes, `axes below ${rank}`);
  const dims = [...shape];
  for (const a of [...at].sort((p, q) => p - q)) dims.splice(a, 0, 1);
  if (v.kind === 'constant') return { constant: { ...v.tensor, shape: dims }, integer: c.integer(0) };
  if (at.includes(0)) c.unsupported('axes', axes, 'axes after the batch axis (0)');
  return { layer: { type: 'reshape', shape: dims.slice(1) }, from: [c.network(0)] };
}

/**
 * Reshape to (B, rest): a flatten (`x.view(x.size(0), -1)`); to its own shape: nothing; to another shape of the
 * batch item's values (`x.view(b, c, 1, 1)`): a reshape layer. One that moves values across the batch is refused.
 */
function reshape(c: OpContext): OpResult {
  const x = c.network(0);
  const wanted = ints(c.constant(1));
  const copy = c.int('allowzero', 0) === 0;
  const known = wanted.map((d, k) => (d === 0 && copy ? x.shape[k] : d));
  const rest = sizeOf(x.shape) / Math.max(1, sizeOf(known.filter(d => d !== -1)));
  const target = known.map(d => (d === -1 ? rest : d));
  if (same(target, x.shape)) return { same: x };
  if (x.shape.length >= 2 && same(target, [x.shape[0], sizeOf(x.shape.slice(1))])) return { layer: { type: 'flatten' }, from: [x] };
  const each = target.slice(1);
  if (target[0] === x.shape[0] && each.length && each.every(d => Number.isSafeInteger(d) && d >= 1) && sizeOf(each) === sizeOf(x.shape.slice(1))) {
    return { layer: { type: 'reshape', shape: each }, from: [x] };
  }
  return c.refuse({ code: 'onnx.reshape', args: { node: c.node.name, shape: wanted, input: x.shape } });
}

function constantOp(c: OpContext): OpResult {
  const t = c.tensorAttribute('value');
  if (t) return { constant: t, integer: c.integerAttribute('value') };
  const f = c.float('value_float', NaN);
  if (!Number.isNaN(f)) return { constant: constant([], [f]) };
  const i = c.int('value_int', NaN);
  if (!Number.isNaN(i)) return { constant: constant([], [i]), integer: true };
  const list = c.ints('value_ints', []);
  return { constant: constant([list.length], list), integer: true };
}

/** Pad: zeros around H and W for the conv or average pooling after it; any other Pad a pad2d layer. */
function pad(c: OpContext): OpResult {
  const x = c.network(0);
  const mode = c.string('mode', 'constant');
  const value = c.has(2) ? c.constant(2).data[0] : c.float('value', 0);
  const pads = c.has(1) ? ints(c.constant(1)) : c.ints('pads', []);
  if (c.has(3)) c.unsupported('axes', ints(c.constant(3)), 'none (pads for every axis)');
  // [x1_begin, x2_begin, x3_begin, x4_begin, x1_end, …]: only H and W's.
  if (pads.length !== 8 || pads[0] || pads[1] || pads[4] || pads[5]) c.unsupported('pads', pads, 'pads on H and W only (4-D, none on the batch or the channels)');
  if (mode !== 'constant' || value !== 0 || pads.some(p => p < 0)) return padLayer(c, x, pads, mode, value);
  return { padded: { kind: 'padded', of: x, pads: [pads[2], pads[6], pads[3], pads[7]], node: c.node.name } };
}

function dropout(c: OpContext): OpResult {
  // Inference: Dropout passes its input on (training_mode, when given, must be false).
  if (c.has(2) && c.constant(2).data[0] !== 0) c.unsupported('training_mode', 1, '0');
  return { same: c.network(0) };
}

// ---- Mul, Div, HardSigmoid, ReduceMean: a squeeze-and-excitation block, MobileNet-style heads ----

/**
 * Two constants combined cell by cell with numpy's broadcasting (a shape torch computes before the run, a weight
 * times a constant): shapes that do not broadcast are refused at the node, and the result is counted before it is made.
 */
function foldBroadcast(c: OpContext, a: Tensor, b: Tensor, f: (p: number, q: number) => number): Tensor {
  const out = broadcastShape(a.shape, b.shape) ?? c.unsupported(c.node.inputs[1], `shape (${b.shape.join(', ')})`, `a shape that broadcasts to (${a.shape.join(', ')})`);
  checkBudget(c.node.name, [{ name: c.node.outputs[0], shape: out }], c.maxElements);
  const data = new Float64Array(sizeOf(out));
  walkBroadcast(out, a.shape, b.shape, (k, i, j) => { data[k] = f(a.data[i], b.data[j]); });
  return { shape: out, dtype: 'float64', data };
}

/** Div by a constant: a mul by its reciprocal. A divisor holding 0 is refused at the node (no layer of infinities). */
function divide(c: OpContext): OpResult {
  // The divisor's values, decoded also where weights are read as zeros (the model editor's facts).
  const divisor = c.constant(1);
  const zero = divisor.data.findIndex(v => v === 0);
  if (zero >= 0) c.refuse({ code: 'onnx.divideByZero', args: { node: c.node.name, name: c.node.inputs[1], index: zero } });
  const by = c.weight(1);
  return { layer: { type: 'mul', by: { ...by, data: by.data.map((_, k) => 1 / divisor.data[k]) } }, from: [c.network(0)] };
}

/** Mul: of two network tensors (broadcast), or of one by a constant (either side); two constants are FOLDS's. */
function multiply(c: OpContext): OpResult {
  const [a, b] = [c.value(0), c.value(1)];
  if (a.kind !== 'constant' && b.kind !== 'constant') return { layer: { type: 'mul' }, from: [c.network(0), c.network(1)] };
  const [x, k] = a.kind === 'constant' ? [1, 0] : [0, 1];
  return { layer: { type: 'mul', by: c.weight(k) }, from: [c.network(x)] };
}

/** A float32 attribute that is 1/6 rounded (torch's Hardsigmoid exports alpha so) is read as 1/6. */
const sixth = (v: number) => (v === Math.fround(1 / 6) ? 1 / 6 : v);

/** HardSigmoid: min(max(alpha·x + beta, 0), 1), ONNX's defaults alpha 0.2, beta 0.5. */
function hardSigmoid(c: OpContext): OpResult {
  return { layer: { type: 'hardsigmoid', alpha: sixth(c.float('alpha', 0.2)), beta: c.float('beta', 0.5) }, from: [c.network(0)] };
}

/** ReduceMean over H and W of (B, C, H, W) only: global average pooling, (B, C, 1, 1) or (B, C) with keepdims 0. */
function reduceMean(c: OpContext): OpResult {
  const x = c.network(0);
  const rank = x.shape.length;
  // Opset 18 gives the axes as an input; before, an attribute. None: every axis.
  const axes = c.has(1) ? ints(c.constant(1)) : c.ints('axes', []);
  const at = axes.map(a => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
  if (rank !== 4 || !same(at, [2, 3])) c.unsupported('axes', axes.length ? axes : 'all', '[2, 3] (H and W of (B, C, H, W)): a global average pooling');
  const keep = c.int('keepdims', 1);
  if (keep !== 0 && keep !== 1) c.unsupported('keepdims', keep, '0, 1');
  return { layer: { type: 'global_avg_pool2d', ...(keep ? {} : { keepdim: false }) }, from: [x] };
}

// --- Resize, Pad as layers, and the constant folding torch's exports of them need (the `resize` block) ---

/**
 * Resize: nearest with any of ONNX's coordinate transforms and roundings (onnxruntime's arithmetic: torch exports
 * nn.Upsample as asymmetric, floor; ONNX's defaults are half_pixel, round_prefer_floor), linear with any but
 * tf_half_pixel_for_nn (nearest's) and tf_crop_and_resize: the upsample2d layer reads both as ONNX does.
 */
function resize(c: OpContext): OpResult {
  const x = c.network(0);
  const mode = c.string('mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear') c.unsupported('mode', mode, 'nearest, linear');
  if (c.int('antialias', 0) !== 0) c.unsupported('antialias', c.int('antialias', 0), '0');
  if (c.ints('axes', []).length) c.unsupported('axes', c.ints('axes', []), 'none (all axes)');
  // Opset 18: sizes read as a bound on the aspect ratio, not the output's size.
  if (c.string('keep_aspect_ratio_policy', 'stretch') !== 'stretch') c.unsupported('keep_aspect_ratio_policy', c.string('keep_aspect_ratio_policy', 'stretch'), 'stretch');
  // Opset 10: (X, scales); 11 on: (X, roi, scales, sizes), an empty or left-out scales meaning sizes.
  const opset10 = c.node.inputs.length === 2;
  const scalesAt = opset10 ? 1 : 2;
  const scales = c.has(scalesAt) ? ints(c.constant(scalesAt)) : [];
  const sizes = !opset10 && c.has(3) ? ints(c.constant(3)) : [];
  const given = scales.length ? scales : sizes;
  if (given.length !== 4) c.unsupported(scales.length ? 'scales' : 'sizes', given, '4 values (B, C, H, W)');
  const kept = scales.length ? given[0] === 1 && given[1] === 1 : given[0] === x.shape[0] && given[1] === x.shape[1];
  if (!kept) c.unsupported(scales.length ? 'scales' : 'sizes', given, 'the batch and channels unchanged');
  const how = scales.length ? { scale_factor: [given[2], given[3]] as [number, number] } : { size: [given[2], given[3]] as [number, number] };
  const [transform, rounding] = opset10 ? opset10Rule(c, given) : [c.string('coordinate_transformation_mode', 'half_pixel'), c.string('nearest_mode', 'round_prefer_floor')];
  const transforms: readonly string[] = mode === 'nearest' ? NEAREST_TRANSFORMS : LINEAR_TRANSFORMS;
  if (!transforms.includes(transform)) c.unsupported('coordinate_transformation_mode', transform, transforms.join(', '));
  if (mode === 'nearest' && !(NEAREST_ROUNDINGS as readonly string[]).includes(rounding)) c.unsupported('nearest_mode', rounding, NEAREST_ROUNDINGS.join(', '));
  const rule = { coordinate_transformation_mode: transform as OnnxRule['transform'], ...(mode === 'nearest' ? { nearest_mode: rounding as OnnxRule['rounding'] } : {}) };
  return { layer: { type: 'upsample2d', mode: mode === 'nearest' ? 'nearest' : 'bilinear', ...how, ...rule }, from: [x] };
}

/**
 * Opset 10's Resize has no transform or rounding: onnxruntime reads it asymmetric, nearest rounding a source down on
 * an axis it enlarges and up on one it shrinks (its SIMPLE mode). One rounding serves both axes: a nearest Resize
 * that enlarges one and shrinks the other is refused.
 */
function opset10Rule(c: OpContext, scales: number[]): [string, string] {
  const moved = [scales[2], scales[3]].filter(s => s !== 1);
  const down = moved.filter(s => s < 1).length;
  if (c.string('mode', 'nearest') === 'nearest' && down && down < moved.length) c.unsupported('scales', scales, 'both H and W enlarged or both shrunk (opset 10\'s nearest rounds the two ways)');
  return ['asymmetric', down ? 'ceil' : 'floor'];
}

/** Pad as a layer: a value other than 0, reflect or edge, or a crop (a zero Pad stays the conv's padding). */
function padLayer(c: OpContext, x: NetworkValue, pads: number[], mode: string, value: number): OpResult {
  const modes: Record<string, 'constant' | 'reflect' | 'replicate'> = { constant: 'constant', reflect: 'reflect', edge: 'replicate' };
  if (!Object.hasOwn(modes, mode)) c.unsupported('mode', mode, 'constant, reflect, edge');
  // ONNX crops, then pads from what is left (torch's F.pad, the pad2d layer, reads past a crop): where too little is
  // left to reflect or repeat, onnxruntime refuses the node, and so does the import rather than give torch's cells.
  if (mode !== 'constant') {
    [[x.shape[2], pads[2], pads[6]], [x.shape[3], pads[3], pads[7]]].forEach(([length, begin, end]) => {
      const left = length + Math.min(begin, 0) + Math.min(end, 0);
      const most = Math.max(begin, end, 0);
      if (most > 0 && (mode === 'edge' ? left < 1 : most >= left)) {
        c.unsupported('pads', pads, mode === 'edge' ? 'pads that leave each padded axis a cell after cropping' : 'pads shorter than what each axis keeps after cropping');
      }
    });
  }
  return { layer: { type: 'pad2d', padding: [pads[3], pads[7], pads[2], pads[6]], mode: modes[mode], value }, from: [x] };
}

/** The multi-index of flat offset `i` in a tensor of `shape`. */
function unravel(shape: readonly number[], i: number): number[] {
  const index = shape.map(() => 0);
  for (let k = shape.length - 1, rest = i; k >= 0; k--) { index[k] = rest % shape[k]; rest = Math.floor(rest / shape[k]); }
  return index;
}

/** An N-D constant's cell at `index` of a tensor of `shape`. */
const offset = (shape: readonly number[], index: readonly number[]) => index.reduce((o, i, k) => o * shape[k] + i, 0);

function sliceConstant(c: OpContext, t: Tensor, inputs: Tensor[]): Tensor {
  const starts = inputs[1] ? ints(inputs[1]) : c.ints('starts', []);
  const ends = inputs[2] ? ints(inputs[2]) : c.ints('ends', []);
  const axes = inputs[3] ? ints(inputs[3]) : c.ints('axes', starts.map((_, k) => k));
  const steps = inputs[4] ? ints(inputs[4]) : starts.map(() => 1);
  const ranges = t.shape.map(d => ({ start: 0, step: 1, count: d }));
  axes.forEach((a0, k) => {
    const a = a0 < 0 ? a0 + t.shape.length : a0;
    const d = t.shape[a];
    const step = steps[k];
    if (!step || d === undefined) c.unsupported('steps', steps, 'non-zero steps on the tensor\'s axes');
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
    const start = step > 0 ? clamp(starts[k], 0, d) : clamp(starts[k], -1, d - 1);
    const end = step > 0 ? clamp(ends[k], 0, d) : clamp(ends[k] < -d ? -d - 1 : ends[k], -1, d - 1);
    ranges[a] = { start, step, count: Math.max(0, Math.ceil((end - start) / step)) };
  });
  const shape = ranges.map(r => r.count);
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    const index = unravel(shape, i);
    data[i] = t.data[offset(t.shape, index.map((j, k) => ranges[k].start + j * ranges[k].step))];
  }
  return { shape, dtype: 'float64', data };
}

function transposeConstant(c: OpContext, t: Tensor): Tensor {
  const perm = c.ints('perm', t.shape.map((_, k) => t.shape.length - 1 - k));
  const shape = perm.map(p => t.shape[p]);
  const data = new Float64Array(t.data.length);
  for (let i = 0; i < data.length; i++) {
    const index = unravel(shape, i);
    const source = t.shape.map(() => 0);
    perm.forEach((p, k) => { source[p] = index[k]; });
    data[i] = t.data[offset(t.shape, source)];
  }
  return { shape, dtype: 'float64', data };
}

function reshapeConstant(t: Tensor, wanted: number[]): Tensor {
  const known = wanted.map((d, k) => (d === 0 ? t.shape[k] : d));
  const rest = t.data.length / Math.max(1, sizeOf(known.filter(d => d !== -1)));
  return { ...t, shape: known.map(d => (d === -1 ? rest : d)) };
}

/** ONNX's integer types (TensorProto.DataType), which Cast truncates to; 9 is BOOL. */
const INTEGER_TYPES = [2, 3, 4, 5, 6, 7, 12, 13];
const BOOL = 9;

/** Div of two constants: integer ones truncate toward zero (onnxruntime's integer Div); 0 as an integer divisor is refused. */
function foldDivide(c: OpContext, a: Tensor, b: Tensor, integer: boolean): Tensor {
  if (!integer) return foldBroadcast(c, a, b, (p, q) => p / q);
  const zero = b.data.findIndex(v => v === 0);
  if (zero >= 0) c.refuse({ code: 'onnx.divideByZero', args: { node: c.node.name, name: c.node.inputs[1], index: zero } });
  return foldBroadcast(c, a, b, (p, q) => Math.trunc(p / q));
}

/** Mod of two constants: the divisor's sign (Python's %), or with fmod = 1 the dividend's (C's fmod). */
function foldModulo(c: OpContext, a: Tensor, b: Tensor, integer: boolean): Tensor {
  const fmod = c.int('fmod', 0);
  if (fmod !== 0 && fmod !== 1) c.unsupported('fmod', fmod, '0, 1');
  if (!fmod && !integer) c.unsupported('fmod', fmod, '1 for floating-point inputs (as ONNX requires)');
  if (integer && b.data.some(v => v === 0)) c.refuse({ code: 'onnx.divideByZero', args: { node: c.node.name, name: c.node.inputs[1], index: b.data.findIndex(v => v === 0) } });
  return foldBroadcast(c, a, b, fmod ? (p, q) => p % q : (p, q) => p - Math.floor(p / q) * q);
}

/**
 * Whether a folded constant is of an integer element type: a Cast's `to`, ConstantOfShape's value's, a Shape's
 * always; the others keep their first input's (ONNX gives an op's inputs one type).
 */
export function foldedInteger(c: OpContext, op: string): boolean {
  if (op === 'Cast') return INTEGER_TYPES.includes(c.int('to', 1)) || c.int('to', 1) === BOOL;
  if (op === 'ConstantOfShape') return c.integerAttribute('value');
  return c.integer(0);
}

/** The largest constant folded: shapes and pads are a few values; anything bigger is not a chain torch writes for them. */
export const FOLD_LIMIT = 1 << 16;

/**
 * Ops folded when every input they are given is a constant (model.ts folds them before OPS reads the node): the
 * Shape → Gather → Sub → … → Pad and Resize chains torch writes. One of a network tensor is refused by its OPS entry,
 * or (none) as an op not read.
 */
export const FOLDS: Readonly<Record<string, (c: OpContext, inputs: Tensor[]) => Tensor>> = {
  Add: (c, [a, b]) => foldBroadcast(c, a, b, (p, q) => p + q),
  Sub: (c, [a, b]) => foldBroadcast(c, a, b, (p, q) => p - q),
  Mul: (c, [a, b]) => foldBroadcast(c, a, b, (p, q) => p * q),
  Div: (c, [a, b]) => foldDivide(c, a, b, c.integer(0) && c.integer(1)),
  Mod: (c, [a, b]) => foldModulo(c, a, b, c.integer(0) && c.integer(1)),
  Floor: (_c, [a]) => ({ ...a, data: a.data.map(Math.floor) }),
  Ceil: (_c, [a]) => ({ ...a, data: a.data.map(Math.ceil) }),
  Neg: (_c, [a]) => ({ ...a, data: a.data.map(v => -v) }),
  Cast: (c, [a]) => (INTEGER_TYPES.includes(c.int('to', 1)) ? { ...a, data: a.data.map(Math.trunc) } : c.int('to', 1) === BOOL ? { ...a, data: a.data.map(v => (v ? 1 : 0)) } : a),
  ConstantOfShape: (c, [shape]) => {
    const dims = ints(shape);
    const value = c.tensorAttribute('value')?.data[0] ?? 0;
    const n = sizeOf(dims);
    if (!dims.every(d => Number.isSafeInteger(d) && d >= 0) || n > FOLD_LIMIT) c.unsupported(c.node.inputs[0], dims, `a shape of at most ${FOLD_LIMIT} values`);
    return { shape: dims, dtype: 'float64', data: new Float64Array(n).fill(value) };
  },
  Slice: (c, inputs) => sliceConstant(c, inputs[0], inputs),
  Transpose: (c, [a]) => transposeConstant(c, a),
  Reshape: (_c, [a, shape]) => reshapeConstant(a, ints(shape)),
  Squeeze: (c, [a, axes]) => {
    const drop = (axes ? ints(axes) : c.ints('axes', a.shape.flatMap((d, k) => (d === 1 ? [k] : [])))).map(k => (k < 0 ? k + a.shape.length : k));
    return { ...a, shape: a.shape.filter((_, k) => !drop.includes(k)) };
  },
};
// --- end of the `resize` block ---

/** Every op read, and how: the one table of them. */
export const OPS: Readonly<Record<string, (c: OpContext) => OpResult>> = {
  Conv: conv,
  Relu: activation('relu'),
  LeakyRelu: c => ({ layer: { type: 'leaky_relu', slope: c.float('alpha', 0.01) }, from: [c.network(0)] }),
  Sigmoid: activation('sigmoid'),
  Tanh: activation('tanh'),
  Clip: clip,
  HardSwish: c => ({ layer: { type: 'hardswish' }, from: [c.network(0)] }),
  Softmax: softmax,
  GlobalAveragePool: c => ({ layer: { type: 'global_avg_pool2d' }, from: [c.network(0)] }),
  ConvTranspose: convTranspose,
  MaxPool: pool(false),
  AveragePool: pool(true),
  BatchNormalization: batchNorm,
  Add: add,
  Concat: concat,
  Flatten: flatten,
  Gemm: gemm,
  MatMul: matMul,
  Shape: shape,
  Gather: gather,
  Unsqueeze: unsqueeze,
  Reshape: reshape,
  Constant: constantOp,
  Pad: pad,
  Identity: c => ({ same: c.value(0) }),
  Dropout: dropout,
  Mul: multiply,
  Div: divide,
  HardSigmoid: hardSigmoid,
  ReduceMean: reduceMean,
  Resize: resize,
};
