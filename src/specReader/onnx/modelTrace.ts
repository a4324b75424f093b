// Every value of an ONNX model under its ONNX name, from one lean run (runNetwork): the graph input, each node's
// output (a layer's output; an Identity's, Dropout's or Flatten's the value it passes on; a constant; a Pad's
// zero-padded tensor), each initializer the nodes read, and with a target class the gradient of a cross-entropy
// on the graph's output with respect to each of them, as `grad:NAME`. The CLI's model form prints these; the
// library exports it as traceOnnxModel.

import { DEFAULT_MAX_ELEMENTS } from '../../engine/budget';
import { NetworkRun, runNetwork } from '../../engine/networkRun';
import { DType, Tensor, allocate, zeros } from '../../engine/tensor';
import { TensorFileError } from '../fileError';
import type { OnnxNode } from './graph';
import { ModelNetwork, readModelNetwork } from './model';
import type { PaddedValue, Value } from './ops';
import { kindOf } from '../../engine/layerKinds';
import { type LayerKind, isMergeKind } from '../../engine/layerKinds/kind';
import type { NetworkLayer } from '../../engine/network';
import { decodeTensorProto } from './tensor';

/** What a value is: the graph's input, a node's output (`output`: the graph's), an initializer, or a gradient of one. */
export type ModelValueRole = 'input' | 'node' | 'output' | 'initializer' | 'gradient';

export interface ModelValue {
  /** The ONNX name; `grad:NAME` for a gradient. */
  name: string;
  role: ModelValueRole;
  /** The node that makes it (a node's output), and its op. */
  node?: string;
  op?: string;
  tensor: Tensor;
}

export interface ModelTraceOptions {
  /** A class index: the gradients of a cross-entropy against it (every image of the batch) on the graph's output. */
  target?: number;
  /** The names to keep (`grad:NAME` too), in this order; unknown names are refused before the run. */
  only?: readonly string[];
  /** The run's dtype (default float32, ONNX's). */
  dtype?: DType;
  maxElements?: number;
}

export interface ModelTrace {
  values: ModelValue[];
  /** Every name there is, in order (the values are those `only` kept). */
  names: string[];
  /** The cross-entropy, with a target. */
  loss?: number;
}

/** A value of the graph before the run: how to get its tensor from the run, and its gradient if it has one. */
interface Slot {
  name: string;
  role: ModelValueRole;
  node?: OnnxNode;
  value(run: NetworkRun): Tensor;
  grad?(run: NetworkRun): Tensor;
}

/** Zero padding of (N, C, H, W): [top, bottom, left, right]. */
function padded(x: Tensor, [top, bottom, left, right]: readonly number[]): Tensor {
  const [n, c, h, w] = x.shape;
  const H = h + top + bottom;
  const W = w + left + right;
  const out = zeros([n, c, H, W], x.dtype);
  for (let p = 0; p < n * c; p++) for (let y = 0; y < h; y++) out.data.set(x.data.subarray((p * h + y) * w, (p * h + y + 1) * w), (p * H + y + top) * W + left);
  return out;
}

/** A MatMul's output under its Add's bias: the layer's output less the bias (along the last axis). */
function lessBias(out: Tensor, bias: Tensor): Tensor {
  const data = allocate(out.dtype, out.data.length);
  for (let i = 0; i < data.length; i++) data[i] = out.data[i] - bias.data[i % bias.data.length];
  return { shape: [...out.shape], dtype: out.dtype, data };
}

const reshaped = (t: Tensor, shape: readonly number[]): Tensor => ({ shape: [...shape], dtype: t.dtype, data: t.data });

function transposed(t: Tensor): Tensor {
  const [r, k] = t.shape;
  const data = allocate(t.dtype, t.data.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < k; j++) data[j * r + i] = t.data[i * k + j];
  return { shape: [k, r], dtype: t.dtype, data };
}

const inDtype = (t: Tensor, dtype: DType): Tensor => (t.dtype === dtype ? t : { shape: [...t.shape], dtype, data: allocate(dtype, t.data.length).map((_, i) => t.data[i]) });

/** A node's output in the run (a network value, a constant, a padded tensor) and its gradient where it has one. */
function nodeSlot(net: ModelNetwork, node: OnnxNode, name: string, v: Value, dtype: DType): Slot {
  const role = name === net.output ? 'output' : 'node';
  const layerOut = (run: NetworkRun, ref: 'input' | number) => (ref === 'input' ? run.problem.input : run.outputs[ref]);
  const delta = (run: NetworkRun, ref: 'input' | number) => (ref === 'input' ? run.gradients!.input! : run.gradients!.deltas[ref] ?? zeros(run.outputs[ref].shape, dtype));
  if (v.kind === 'constant') return { name, role, node, value: () => inDtype(v.tensor, dtype) };
  if (v.kind === 'padded') {
    const grad = paddedGradient(net, name, v);
    return { name, role, node, value: run => padded(layerOut(run, v.of.ref), v.pads), ...(grad ? { grad } : {}) };
  }
  const fused = net.preBias.get(name);
  if (fused !== undefined) {
    const bias = (net.layers[fused] as { bias: Tensor }).bias;
    return { name, role, node, value: run => lessBias(run.outputs[fused], bias), grad: run => delta(run, fused) };
  }
  return { name, role, node, value: run => layerOut(run, v.ref), grad: run => delta(run, v.ref) };
}

/**
 * The gradient of a zero Pad's output: the δ of the pad2d layer it became where an op without padding read it,
 * plus, for each layer that took it as its four-sided padding (a conv), that layer's gradient with respect to the
 * padded tensor (its backward pass run again on the padded input with the Pad's share of the padding taken off).
 * None where a reader is neither (average pooling folds it into its mean).
 */
function paddedGradient(net: ModelNetwork, name: string, v: PaddedValue): ((run: NetworkRun) => Tensor) | undefined {
  const own = net.padLayers.get(v.node);
  const convs = net.order.map(i => net.graph.nodes[i]).filter(n => n.inputs[0] === name).map(n => net.values.get(n.outputs[0]))
    .flatMap(o => (o?.kind === 'network' && typeof o.ref === 'number' && sidesOf(net.layers[o.ref]) ? [o.ref] : []));
  const readers = net.order.map(i => net.graph.nodes[i]).filter(n => n.inputs.includes(name));
  // Every reader must be accounted for, or the sum would leave one out: an average pooling's is not.
  if (readers.some(n => n.op === 'AveragePool') || (own === undefined && convs.length !== readers.length) || !readers.length) return undefined;
  return run => {
    const x = own !== undefined ? run.outputs[own] : padded(layerInput(run, v.of.ref), v.pads);
    const sum = own !== undefined ? { ...run.gradients!.deltas[own]!, data: run.gradients!.deltas[own]!.data.slice() } : zeros(x.shape, x.dtype);
    for (const r of convs) {
      const layer = net.layers[r] as PaddedLayer;
      const spec = { ...layer, options: { ...layer.options, padding: sidesOf(layer)!.map((p, k) => p - v.pads[k]) } } as unknown as NetworkLayer;
      const kind = kindOf(spec) as LayerKind<NetworkLayer>;
      const plan = kind.plan(spec, x.shape, false);
      const step = { spec, input: x, output: run.outputs[r], cache: kind.forward(spec, x, plan).cache };
      const d = kind.backward(step, run.gradients!.deltas[r] ?? zeros(run.outputs[r].shape, x.dtype)).deltaIn!;
      for (let k = 0; k < d.data.length; k++) sum.data[k] += d.data[k];
    }
    return sum;
  };
}

/** A layer with padding options, as ops.ts writes a conv's: [top, bottom, left, right]. */
type PaddedLayer = NetworkLayer & { options: { padding: readonly number[] } };

/** A layer's four-sided padding (a conv's, which a zero Pad before it joins), or none. */
function sidesOf(layer: NetworkLayer): readonly number[] | undefined {
  const padding = (layer as { options?: { padding?: unknown } }).options?.padding;
  return Array.isArray(padding) && padding.length === 4 && !isMergeKind(kindOf(layer)) ? padding as number[] : undefined;
}

/** The graph input's or a layer's output, as the run holds it. */
const layerInput = (run: NetworkRun, ref: 'input' | number) => (ref === 'input' ? run.problem.input : run.outputs[ref]);

/** The gradient of each learned tensor by the ONNX value it was read from, in that value's shape (summed where shared). */
function paramGradients(net: ModelNetwork, run: NetworkRun, shapes: ReadonlyMap<string, readonly number[]>): Map<string, Tensor> {
  const grads = new Map<string, Tensor>();
  net.params.forEach((sources, i) => {
    for (const [key, { name, transposed: flipped }] of Object.entries(sources)) {
      const g = run.gradients?.params[i]?.[key];
      if (!g) continue;
      const own = reshaped(flipped ? transposed(g) : g, shapes.get(name) ?? g.shape);
      const before = grads.get(name);
      if (before) for (let k = 0; k < own.data.length; k++) before.data[k] += own.data[k];
      else grads.set(name, { ...own, data: own.data.slice() });
    }
  });
  return grads;
}

/** The spec keys of the tensors the layers learn: every kind's backward pass gives these, and only these. */
const LEARNED_KEYS = ['weight', 'bias'];

/** Every value of the model, in order: the input, the nodes' outputs as they run, the initializers they read. */
function slots(net: ModelNetwork, dtype: DType, maxElements: number, learned: (run: NetworkRun) => Map<string, Tensor>, shapes: Map<string, readonly number[]>): Slot[] {
  const g = net.graph;
  // Constants the layers do not learn from (a shape, a Clip's bounds) have no gradient.
  // A layer's tensors that are no weight or bias (BatchNorm's running statistics, a Mul's constant) learn nothing.
  const learnedNames = new Set(net.params.flatMap(p => Object.entries(p).filter(([key]) => LEARNED_KEYS.includes(key)).map(([, q]) => q.name)));
  const gradOf = (name: string) => (learnedNames.has(name) ? { grad: (run: NetworkRun) => learned(run).get(name)! } : {});
  const list: Slot[] = [{ name: net.input, role: 'input', value: run => run.problem.input, grad: run => run.gradients!.input! }];
  const read = new Set<string>();
  for (const i of net.order) {
    const node = g.nodes[i];
    node.inputs.forEach(x => { if (x && g.initializers.has(x) && !net.values.has(x)) read.add(x); });
    const name = node.outputs[0];
    const v = net.values.get(name);
    if (!v) continue;
    list.push({ ...nodeSlot(net, node, name, v, dtype), ...(v.kind === 'constant' ? gradOf(name) : {}) });
  }
  for (const name of g.initializers.keys()) {
    if (!read.has(name)) continue;
    const { tensor } = decodeTensorProto(g.initializers.get(name)!, name, dtype, maxElements);
    shapes.set(name, tensor.shape);
    list.push({ name, role: 'initializer', value: () => tensor, ...gradOf(name) });
  }
  return list;
}

/**
 * Runs an ONNX model on `input` (its declared shape) and returns every value under its ONNX name; with a target
 * class, also each one's gradient (`grad:NAME`) of the cross-entropy against it on the graph's output. Throws
 * TensorFileError for what the file holds or a name `only` asks for that the model has not, EngineError for a
 * layer that does not fit its input.
 */
export function traceOnnxModel(bytes: Uint8Array, input: Tensor, options: ModelTraceOptions = {}): ModelTrace {
  const dtype = options.dtype ?? 'float32';
  const maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  const net = readModelNetwork(bytes, input.shape, dtype, maxElements);
  const shapes = new Map<string, readonly number[]>();
  let memo: { run: NetworkRun; grads: Map<string, Tensor> } | undefined;
  const learned = (run: NetworkRun) => {
    if (memo?.run !== run) memo = { run, grads: paramGradients(net, run, shapes) };
    return memo.grads;
  };
  const all = slots(net, dtype, maxElements, learned, shapes);
  const withTarget = options.target !== undefined;
  const names = [...all.map(s => s.name), ...(withTarget ? all.filter(s => s.grad).map(s => `grad:${s.name}`) : [])];
  const wanted = options.only ?? names;
  const unknown = wanted.filter(n => !names.includes(n));
  if (unknown.length) {
    throw new TensorFileError({ code: 'onnx.valueName', args: { names: unknown, known: names.slice(0, 8), more: Math.max(0, names.length - 8), target: withTarget } });
  }
  const batch = input.shape[0];
  const loss = withTarget ? { type: 'cross_entropy' as const, target: new Array<number>(batch).fill(options.target!) } : undefined;
  const backward = wanted.some(n => n.startsWith('grad:'));
  const run = runNetwork({ input: inDtype(input, dtype), layers: net.layers, dtype, ...(loss ? { loss } : {}) }, { backward, maxElements });
  const byName = new Map(all.map(s => [s.name, s]));
  const values = wanted.map((name): ModelValue => {
    const grad = name.startsWith('grad:') && !byName.has(name);
    const s = byName.get(grad ? name.slice(5) : name)!;
    const own: ModelValue = { name, role: grad ? 'gradient' : s.role, tensor: inDtype(grad ? s.grad!(run) : s.value(run), dtype) };
    return s.node ? { ...own, node: s.node.name, op: s.node.op } : own;
  });
  return { values, names, ...(run.loss?.value !== undefined ? { loss: run.loss.value } : {}) };
}

/**
 * The layer each ONNX node and value of a model comes to in its network (for a debugger's function breakpoints):
 * a node's name and its output's name give the layer that makes that output (an Identity's, the layer before it; a
 * Pad's, the layer it pads; a MatMul's under a fused Add, the linear layer); the graph input gives -1; constants none.
 */
export function modelLayerNames(bytes: Uint8Array, inputShape: readonly number[], dtype: DType, maxElements: number): Map<string, number> {
  const net = readModelNetwork(bytes, inputShape, dtype, maxElements);
  const layerOf = (v: Value | undefined) => (v?.kind === 'network' ? v.ref : v?.kind === 'padded' ? v.of.ref : undefined);
  const names = new Map<string, number>([[net.input, -1]]);
  for (const i of net.order) {
    const node = net.graph.nodes[i];
    const ref = net.preBias.get(node.outputs[0]) ?? layerOf(net.values.get(node.outputs[0]));
    if (ref === undefined) continue;
    for (const name of [node.name, node.outputs[0]]) names.set(name, ref === 'input' ? -1 : ref);
  }
  return names;
}
