// The trace: one run of a spec, as ordered stages holding named tensors. Every
// face (CLI, panel, hovers, debugger) reads this; none recomputes it.

import type { About } from './about';
import { DEFAULT_MAX_ELEMENTS, checkBudget, elementLimit } from './budget';
import { ConvInfo, ConvOptions, checkGradShape, convInfo, outputShape } from './convInfo';
import { ConvForward, checkConvTensors, conv2dBackward, conv2dForward, convTraceTensors, inputGradRot180 } from './conv2d';
import type { Comparison } from './compare';
import type { LayerGeometry } from './layerKinds/view';
import { DType, Tensor, TensorData, TensorStats, filled, indexOf, maxAbs, maxAbsDiff, tensorStats } from './tensor';
import { wasmGemmAvailable } from './wasm/gemmWasm';
import { WasmConvProduct, convProductWasm, convTraceWasm } from './wasm/traceWasm';

/** A conv2d problem with its tensors already parsed (the spec layer turns JSON into this). */
export interface ConvProblem {
  input: Tensor;
  weight: Tensor;
  bias?: Tensor;
  /** Upstream ∂C/∂z; all ones when absent. */
  grad?: Tensor;
  /** Where `grad` came from, when not from the spec (a network hands its layers δ from above or the loss). */
  deltaSource?: DeltaSource;
  options: ConvOptions;
  dtype: DType;
}

export interface TraceOptions {
  /** Run the backward pass too (default true). */
  backward?: boolean;
  /** Refuse runs whose largest intermediate would hold more elements than this. */
  maxElements?: number;
  /** The dtype of specs that do not name one (default float64). */
  dtype?: DType;
}

export { DEFAULT_MAX_ELEMENTS };

/** A tensor's name within its layer (`a_t`, `dA`, `pool_t`): each kind names its own. */
export type TensorName = string;

/** The conv's tensors in reading order: the CLI names them, and lists a trace's in this order. */
export const CONV_TENSOR_NAMES: readonly TensorName[] = [
  'input', 'weight', 'bias',
  'a', 'a_t', 'w_t', 'z_t', 'z',
  'delta', 'delta_t', 'dA_t', 'dA_padded', 'col2im_counts', 'dA', 'dW_t', 'dW', 'db',
  'delta_full', 'w_rot180', 'dA_rot180',
  // Comparisons with someone's own tensor (compare.ts).
  'yours', 'difference',
];

export interface TraceTensor extends Tensor {
  name: TensorName;
  /** What each axis indexes, e.g. ['B', 'Hout·Wout', 'Cin·kh·kw']. */
  axes: readonly string[];
  /** What this tensor is, as data: each face renders it in its language (about.ts). */
  about: About;
  /** Its range and non-finite values, computed here once for every face. */
  stats: TensorStats;
}

/** Where a layer's δ = ∂C/∂z came from: the spec's grad, all ones (C = Σ z), the loss, or the layer above. */
export type DeltaSource = 'spec' | 'ones' | 'loss' | 'above' | 'sum';

/** A stage's id: each kind's view declares its own (layerKinds/*View.ts). */
export type StageId = string;

export interface TraceStage {
  id: StageId;
  pass: 'forward' | 'backward';
  title: string;
  formula: string;
  inputs: readonly TensorName[];
  outputs: readonly TensorName[];
}

export interface NonFiniteReport {
  tensor: TensorName;
  count: number;
  firstIndex: number[];
  firstValue: number;
}

export interface ConvTrace {
  op: 'conv2d';
  dtype: DType;
  info: ConvInfo;
  /** The conv's geometry as its view reads it (layerKinds/conv2dView.ts). */
  geometry: LayerGeometry<'conv2d', ConvInfo>;
  tensors: Partial<Record<TensorName, TraceTensor>>;
  stages: TraceStage[];
  /** How far the rot180 view's ∂C/∂a is from col2im's, when the backward pass ran. */
  rot180?: Rot180Check;
  nonFinite: NonFiniteReport[];
  /** Where δ came from, when the backward pass ran. */
  deltaSource?: DeltaSource;
  /** Present when someone's own tensor was compared with the engine's (compare.ts). */
  comparison?: Comparison;
}

/** How far a kind's ROT180 view of a tensor is from its im2col one: conv2d's ∂C/∂a, or `tensor` when it names another. */
export interface Rot180Check {
  maxAbsDiff: number;
  agrees: boolean;
  /** The tensor both views compute, when it is not ∂C/∂a (conv_transpose2d: z). */
  tensor?: TensorName;
}

/** Two ways to one tensor, summed in different orders: they agree up to rounding, relative to the values' size. */
export function rot180Check(im2colWay: Tensor, rot180Way: Tensor, dtype: DType, stats?: TensorStats): Rot180Check {
  const diff = maxAbsDiff(im2colWay, rot180Way);
  // The largest finite |x| is at an end of the range, when the statistics are at hand.
  const scale = Math.max(1, stats ? Math.max(-stats.min, stats.max) : maxAbs(im2colWay.data));
  return { maxAbsDiff: diff, agrees: diff <= (dtype === 'float32' ? 1e-4 : 1e-9) * scale };
}

/** What each axis of a conv's tensor indexes; its description is `conv.<name>` (about.ts). */
const CONV_AXES = {
  input: ['B', 'Cin', 'H', 'W'],
  weight: ['Cout', 'Cin/groups', 'kh', 'kw'],
  bias: ['Cout'],
  a: ['B', 'Cin', 'Hp', 'Wp'],
  a_t: ['B', 'Hout·Wout', 'Cin·kh·kw'],
  w_t: ['Cin·kh·kw', 'Cout'],
  z_t: ['B', 'Hout·Wout', 'Cout'],
  z: ['B', 'Cout', 'Hout', 'Wout'],
  delta: ['B', 'Cout', 'Hout', 'Wout'],
  delta_t: ['B', 'Hout·Wout', 'Cout'],
  dA_t: ['B', 'Hout·Wout', 'Cin·kh·kw'],
  dA_padded: ['B', 'Cin', 'Hp', 'Wp'],
  col2im_counts: ['Hp', 'Wp'],
  dA: ['B', 'Cin', 'H', 'W'],
  dW_t: ['Cin·kh·kw', 'Cout'],
  dW: ['Cout', 'Cin/groups', 'kh', 'kw'],
  db: ['Cout'],
  delta_full: ['B', 'Cout', 'Hf', 'Wf'],
  w_rot180: ['Cin', 'Cout/groups', 'kh', 'kw'],
  dA_rot180: ['B', 'Cin', 'H', 'W'],
} satisfies Partial<Record<TensorName, string[]>>;
type ConvTensorName = keyof typeof CONV_AXES;

const FORWARD_STAGES: TraceStage[] = [
  { id: 'pad', pass: 'forward', title: 'Pad', formula: 'a = pad(input)', inputs: ['input'], outputs: ['a'] },
  { id: 'im2col', pass: 'forward', title: 'im2col', formula: 'a_t = im2col(a)', inputs: ['a'], outputs: ['a_t'] },
  { id: 'weight_matrix', pass: 'forward', title: 'Kernels as a matrix', formula: 'w_t = w.reshape(Cout, -1).T', inputs: ['weight'], outputs: ['w_t'] },
  { id: 'matmul', pass: 'forward', title: 'Matrix product', formula: 'z_t = a_t @ w_t', inputs: ['a_t', 'w_t'], outputs: ['z_t'] },
  { id: 'reshape_bias', pass: 'forward', title: 'Reshape and add bias', formula: 'z = z_t.transpose(0, 2, 1).reshape(B, Cout, Hout, Wout) + b', inputs: ['z_t', 'bias'], outputs: ['z'] },
];

/** The forward stages of a conv without a bias: the bias is not an input of its reshape. */
const FORWARD_STAGES_NO_BIAS: TraceStage[] = FORWARD_STAGES.map(s => ({ ...s, inputs: s.inputs.filter(n => n !== 'bias') }));

/** Each conv tensor's description, made once (a network trace records some twenty per conv). */
const CONV_ABOUT = Object.fromEntries(Object.keys(CONV_AXES).map(name => [name, { key: `conv.${name}` }])) as Record<ConvTensorName, About>;

const BACKWARD_STAGES: TraceStage[] = [
  { id: 'delta_t', pass: 'backward', title: 'δ as a matrix', formula: 'δ_t = δ.transpose(0, 2, 3, 1).reshape(B, Hout·Wout, Cout)', inputs: ['delta'], outputs: ['delta_t'] },
  { id: 'dA_t', pass: 'backward', title: 'Gradient of a_t', formula: '∂C/∂a_t = δ_t @ w_tᵀ', inputs: ['delta_t', 'w_t'], outputs: ['dA_t'] },
  { id: 'col2im', pass: 'backward', title: 'col2im', formula: '∂C/∂a = crop(col2im(∂C/∂a_t))', inputs: ['dA_t'], outputs: ['dA_padded', 'col2im_counts', 'dA'] },
  { id: 'dW', pass: 'backward', title: 'Gradient of w', formula: '∂C/∂w_t = Σ_b a_t[b]ᵀ @ δ_t[b];  ∂C/∂w = ∂C/∂w_t.T.reshape(w.shape)', inputs: ['a_t', 'delta_t'], outputs: ['dW_t', 'dW'] },
  { id: 'db', pass: 'backward', title: 'Gradient of b', formula: '∂C/∂b = δ_t.sum(axis=(0, 1))', inputs: ['delta_t'], outputs: ['db'] },
  { id: 'rot180', pass: 'backward', title: 'Full convolution with ROT180(w)', formula: '∂C/∂a = δ ⋆full ROT180(w)', inputs: ['delta', 'weight'], outputs: ['delta_full', 'w_rot180', 'dA_rot180'] },
];

/** Refuses a conv trace whose tensors would not fit the limit, before any is allocated. */
export function checkSize(info: ConvInfo, backward: boolean, limit: number): void {
  checkBudget('conv2d', convTraceTensors(info, backward), limit);
}

/**
 * A conv trace's forward product, made before its δ is known (a network's forward pass): on the kernels a, w_t, z_t
 * and z with their statistics (a_t is made with the rest), on the loops every forward tensor.
 * `sameAsConvolve`: z has the bits convolve gives for the same layer.
 */
export type ConvForwardMade = ({ kernels: WasmConvProduct } | { loops: ConvForward }) & { z: Tensor; sameAsConvolve: boolean };

/** The product of traceConv, the geometry already checked and sized: traceConv's `made` for the rest. */
export function convTraceForward(input: Tensor, weight: Tensor, bias: Tensor | undefined, info: ConvInfo): ConvForwardMade {
  const fast = convProductWasm(input, weight, bias, info);
  // conv2dWasm sums as the kernels do here and adds the bias after, as z_t + b: the same bits.
  if (fast) return { kernels: fast, z: fast.forward.z, sameAsConvolve: true };
  // Without the kernels, convolve is conv2dForward's z too; with them, the loops' z may differ in its last bits.
  const loops = conv2dForward(input, weight, bias, info);
  return { loops, z: loops.z, sameAsConvolve: !wasmGemmAvailable() };
}

/**
 * The single conv's trace. `made`: its forward tensors made already for the same input, weight and bias
 * (convTraceForward), which the trace takes as they are, making only the backward ones.
 */
export function traceConv(problem: ConvProblem, options: TraceOptions = {}, made?: ConvForwardMade, planned?: ConvInfo): ConvTrace {
  const backward = options.backward ?? true;
  const info = planned ?? checkedInfo(problem, backward, options);

  const tensors: Partial<Record<TensorName, TraceTensor>> = {};
  // The kernels' way hands over each tensor's statistics, taken where it was made; the loops' way takes them here.
  const delta = backward ? problem.grad ?? filled(outputShape(info), 1, problem.weight.dtype) : undefined;
  // Where the kernels made the product, they make the rest (or, out of memory now, the loops make it all, as without `made`).
  const fast = made && 'loops' in made ? undefined : convTraceWasm(problem.input, problem.weight, problem.bias, delta, info, made?.kernels);
  const put = (name: ConvTensorName, t: Tensor) => {
    tensors[name] = recorded(name, t, CONV_AXES[name], CONV_ABOUT[name], fast?.stats[name]);
  };
  put('input', problem.input);
  put('weight', problem.weight);
  if (problem.bias) put('bias', problem.bias);

  const fwd = fast?.forward ?? (made && 'loops' in made ? made.loops : conv2dForward(problem.input, problem.weight, problem.bias, info));
  put('a', fwd.a);
  put('a_t', fwd.a_t);
  put('w_t', fwd.w_t);
  put('z_t', fwd.z_t);
  put('z', fwd.z);
  const stages: TraceStage[] = [...(problem.bias ? FORWARD_STAGES : FORWARD_STAGES_NO_BIAS)];
  let rot180: ConvTrace['rot180'];
  if (backward) {
    const bwd = fast?.backward ?? conv2dBackward(fwd, problem.weight, delta, info);
    for (const name of ['delta', 'delta_t', 'dA_t', 'dA_padded', 'col2im_counts', 'dA', 'dW_t', 'dW', 'db'] as const) put(name, bwd[name]);
    const rot = inputGradRot180(bwd.delta, problem.weight, info);
    put('delta_full', rot.delta_full);
    put('w_rot180', rot.w_rot180);
    put('dA_rot180', rot.dA_rot180);
    rot180 = rot180Check(bwd.dA, rot.dA_rot180, problem.dtype, tensors.dA!.stats);
    stages.push(...BACKWARD_STAGES);
  }

  const deltaSource = backward ? problem.deltaSource ?? (problem.grad ? 'spec' : 'ones') : undefined;
  return { op: 'conv2d', dtype: problem.dtype, info, geometry: { kind: 'conv2d', info }, tensors, stages, rot180, nonFinite: nonFiniteReports(tensors), deltaSource };
}

/** The conv's geometry, its tensors and δ checked against it and its trace sized against the limit. */
function checkedInfo(problem: ConvProblem, backward: boolean, options: TraceOptions): ConvInfo {
  checkConvTensors(problem.input, problem.weight, problem.bias, problem.grad);
  const info = convInfo(problem.input.shape, problem.weight.shape, problem.options, problem.bias?.shape);
  if (problem.grad) checkGradShape(info, problem.grad.shape);
  checkSize(info, backward, elementLimit(options.maxElements));
  return info;
}

/**
 * While a network is traced (sharingStats), each array's statistics by the array: a layer's output is recorded again
 * as the next layer's input, a δ-in again as the layer below's δ, and the values are read once.
 */
let shared: Map<TensorData, TensorStats> | undefined;

/** Runs `f` with the statistics of the arrays it records taken once each (f changes no array it recorded). */
export function sharingStats<T>(f: () => T): T {
  const before = shared;
  // A Map, not a WeakMap: the trace keeps every array it records, and the collector walks a WeakMap's entries.
  shared = new Map();
  try {
    return f();
  } finally {
    shared = before;
  }
}

/** A tensor as the trace records it: named, described, its statistics taken once. */
export function recorded(name: TensorName, t: Tensor, axes: readonly string[], about: About, given?: TensorStats): TraceTensor {
  const stats = given ?? shared?.get(t.data) ?? tensorStats(t.data);
  shared?.set(t.data, stats);
  // Two literals, not a spread: a network trace records every tensor here.
  const { shape, dtype, data, picture } = t;
  return picture ? { name, axes, about, shape, dtype, data, stats, picture } : { name, axes, about, shape, dtype, data, stats };
}

/** A layer's tensors in the order it recorded them. */
export function recordedTensors(tensors: Partial<Record<TensorName, TraceTensor>>): TraceTensor[] {
  return Object.values(tensors).filter((t): t is TraceTensor => t !== undefined);
}

/** The tensors holding NaN or ±Infinity, read from their recorded statistics. */
export function nonFiniteReports(tensors: Partial<Record<TensorName, TraceTensor>>): NonFiniteReport[] {
  // A loop, not recordedTensors' arrays: a network trace asks this of every layer, and most find nothing.
  const reports: NonFiniteReport[] = [];
  for (const name in tensors) {
    const t = tensors[name];
    if (!t || t.stats.nonFinite === 0) continue;
    reports.push({ tensor: t.name, count: t.stats.nonFinite, firstIndex: indexOf(t.shape, t.stats.firstNonFinite), firstValue: t.data[t.stats.firstNonFinite] });
  }
  return reports;
}

/** Stage-ordered tensor names present in a trace. */
export function tensorNames(trace: ConvTrace): TensorName[] {
  return CONV_TENSOR_NAMES.filter(n => trace.tensors[n] !== undefined);
}
