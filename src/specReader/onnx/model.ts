// An ONNX model as a network of the engine's layers: the graph's nodes in an order
// that runs (the file's, where it does), each turned into a layer by its op's entry
// (ops.ts), every layer's shape planned as it is made, so a problem names its node.
// Only the nodes the graph's outputs need are read. A graph of several outputs is read with its first output as
// the network's last layer (the one a loss reads), the others as layers marked `output` (shown, no δ), so the
// nodes only the others need run before the first output's. Problems are refused as
// TensorFileErrors (the file's), engine problems as EngineErrors at the layer.

import { checkBudget } from '../../engine/budget';
import { EngineError } from '../../engine/errors';
import { kindOf } from '../../engine/layerKinds';
import { KindPlan, isMergeKind } from '../../engine/layerKinds/kind';
import type { NetworkLayer } from '../../engine/network';
import { inputName } from '../../engine/graph';
import type { DType, Tensor, TensorData } from '../../engine/tensor';
import type { SpecProblem } from '../problemCodes';
import { OnnxGraph, OnnxNode, readGraph } from './graph';
import { FOLDS, foldedInteger, NetworkValue, OPS, OpContext, OpResult, PaddedValue, Value } from './ops';
import { decodeTensorProto, sharedZeros, zerosOfTensorProto } from './tensor';
import { fail } from './wire';

/** An ONNX element type's name (tensor.ts's) that holds integers: INT8 … UINT64, and BOOL. */
const isIntegerType = (name: string) => /INT|BOOL/.test(name);

const describe = (v: unknown) => (Array.isArray(v) ? `[${v.join(', ')}]` : String(v));

/** The graph's one input that is not an initializer, checked against the shape the spec gives it. */
function graphInput(g: OnnxGraph, shape: readonly number[]): string {
  const inputs = g.inputs.filter(i => !g.initializers.has(i.name));
  if (inputs.length !== 1) fail({ code: 'onnx.graphInputs', args: { names: inputs.map(i => i.name) } });
  const [input] = inputs;
  const declared = input.shape;
  if (declared && (declared.length !== shape.length || declared.some((d, k) => typeof d === 'number' && d !== shape[k]))) {
    fail({ code: 'onnx.inputShape', args: { name: input.name, declared: declared.map(String), shape: [...shape] } });
  }
  return input.name;
}

/** Which node makes each tensor. */
function producers(nodes: readonly OnnxNode[]): Map<string, number> {
  const made = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach(o => {
    if (!o) return;
    if (made.has(o)) fail({ code: 'onnx.twice', args: { name: o } });
    made.set(o, i);
  }));
  return made;
}

/** The nodes `outputs` need (the nodes that make them and every node before those); `input` undefined: nothing checked. */
function neededBy(g: OnnxGraph, made: ReadonlyMap<string, number>, outputs: readonly string[], input?: string): Set<number> {
  const needed = new Set<number>();
  const pending = [...outputs];
  while (pending.length) {
    const name = pending.pop()!;
    const i = made.get(name);
    if (i === undefined || needed.has(i)) continue;
    needed.add(i);
    for (const x of g.nodes[i].inputs) {
      if (input !== undefined && x && !made.has(x) && !g.initializers.has(x) && x !== input) fail({ code: 'onnx.missing', args: { node: g.nodes[i].name, name: x } });
      if (x) pending.push(x);
    }
  }
  return needed;
}

/** The nodes the graph's first output needs: they run as late as they can, so that its layer is the network's last. */
export function firstOutputNodes(g: OnnxGraph): Set<number> {
  return neededBy(g, producers(g.nodes), g.outputs.slice(0, 1).map(o => o.name));
}

/**
 * The nodes the outputs need, in an order that runs them: the file's where it can (ONNX's own rule), else the
 * first node of the file that can run next; the nodes the first output needs as late as they can run, so that
 * its node is the last. A node that waits on itself is in a cycle; an input nothing makes, missing.
 */
function runOrder(g: OnnxGraph, outputs: readonly string[], input: string): number[] {
  const made = producers(g.nodes);
  for (const output of outputs) if (!made.has(output) && output !== input) fail({ code: 'onnx.missing', args: { node: output, name: output } });
  const needed = neededBy(g, made, outputs, input);
  const { order, stuck } = executionOrder(g, needed, firstOutputNodes(g));
  if (stuck.length) fail({ code: 'onnx.cycle', args: { node: g.nodes[stuck[0]].name } });
  return order;
}

/**
 * The `needed` nodes in an order that runs them: the file's where it can (ONNX's own rule), else the first node
 * of the file that can run next, a node of `late` only when no other can; `stuck`: those that wait, through other
 * nodes, on their own output (in file order).
 */
export function executionOrder(g: OnnxGraph, needed: Iterable<number>, late: ReadonlySet<number> = new Set()): { order: number[]; stuck: number[] } {
  const made = producers(g.nodes);
  const waiting = new Map<number, number>();
  const after = new Map<number, number[]>();
  for (const i of needed) {
    if (waiting.has(i)) continue;
    const before = new Set(g.nodes[i].inputs.map(x => made.get(x)).filter((j): j is number => j !== undefined));
    waiting.set(i, before.size);
    for (const j of before) after.set(j, [...(after.get(j) ?? []), i]);
  }
  // Ready nodes, last to run first: `late` ones before the others, each in reverse file order.
  const after_ = (a: number, b: number) => Number(late.has(b)) - Number(late.has(a)) || b - a;
  const ready = [...waiting.keys()].filter(i => waiting.get(i) === 0).sort(after_);
  const order: number[] = [];
  while (ready.length) {
    const i = ready.pop()!;
    order.push(i);
    for (const j of after.get(i) ?? []) {
      const left = waiting.get(j)! - 1;
      waiting.set(j, left);
      if (left === 0) { ready.push(j); ready.sort(after_); }
    }
  }
  const ran = new Set(order);
  return { order, stuck: [...waiting.keys()].filter(i => !ran.has(i)).sort((a, b) => a - b) };
}

/** How many nodes (and the graph's outputs) read each tensor. */
export function readers(g: OnnxGraph, order: readonly number[], outputs: readonly string[]): Map<string, number> {
  const count = new Map<string, number>(outputs.map(o => [o, 1]));
  for (const i of order) for (const x of g.nodes[i].inputs) if (x) count.set(x, (count.get(x) ?? 0) + 1);
  return count;
}

/** Where a layer's learned tensor (its spec key) was read from: an ONNX value, as written or transposed (a Gemm's B, a MatMul's). */
export interface ParamSource { name: string; transposed: boolean }

/** An ONNX model read as a network, with where each of its ONNX values is in it. */
export interface ModelNetwork {
  graph: OnnxGraph;
  /** The graph's input and output names. */
  input: string;
  output: string;
  /** The nodes read, in the order they run (indices into graph.nodes). */
  order: number[];
  layers: NetworkLayer[];
  /** Every value the nodes read make (and the graph input): a layer's output, the input, a constant, a padded tensor. */
  values: ReadonlyMap<string, Value>;
  /** Each layer's learned tensors' sources, by spec key. */
  params: Readonly<Record<string, ParamSource>>[];
  /** A MatMul's output whose Add became its layer's bias: that layer's output less the bias. */
  preBias: ReadonlyMap<string, number>;
  /** A zero Pad read by an op that takes no padding: its pad2d layer, by the Pad node's name. */
  padLayers: ReadonlyMap<string, number>;
}

/**
 * The network an ONNX model is, run on an input of `inputShape`: its layers, each named by its node, weights in
 * `dtype`, no tensor above `maxElements`, and where each ONNX value is. Throws TensorFileError for what the file
 * holds, EngineError for a layer that does not fit its input.
 */
export function readModelNetwork(bytes: Uint8Array, inputShape: readonly number[], dtype: DType, maxElements: number): ModelNetwork {
  const g = readGraph(bytes);
  if (!g.outputs.length) fail({ code: 'onnx.graphOutputs', args: { names: [] } });
  const input = graphInput(g, inputShape);
  const outputs = g.outputs.map(o => o.name);
  const order = runOrder(g, outputs, input);
  const net = new ModelReader(g, readers(g, order, outputs), dtype, maxElements, 'values');
  net.values.set(input, { kind: 'network', ref: 'input', shape: [...inputShape] });
  for (const i of order) net.read(g.nodes[i]);
  // A zero Pad no conv took (the graph's output): a pad2d layer of its own, as before any op that takes no padding.
  const refs = outputs.map(o => { const v = net.values.get(o); return v?.kind === 'padded' ? net.padded(v) : v; });
  const [first] = refs;
  if (first?.kind !== 'network' || first.ref === 'input') fail({ code: 'onnx.empty', args: {} });
  const lastLayer = net.layers.length - 1;
  if (first.ref !== lastLayer) {
    const later = outputs.find((_, k) => refs[k]?.kind === 'network' && (refs[k] as NetworkValue).ref === lastLayer) ?? outputs[0];
    fail({ code: 'onnx.outputFirst', args: { output: outputs[0], later } });
  }
  // The other outputs: each a layer's (shown, no δ); the input's or a constant's needs no layer.
  for (const v of refs.slice(1)) if (v?.kind === 'network' && typeof v.ref === 'number' && v.ref !== lastLayer) net.layers[v.ref] = { ...net.layers[v.ref], output: true };
  return { graph: g, input, output: outputs[0], order, layers: net.layers, values: net.values, params: net.params, preBias: net.preBias, padLayers: net.padNodeLayers };
}

/** The layers of the network an ONNX model is (readModelNetwork's). */
export function modelLayers(bytes: Uint8Array, inputShape: readonly number[], dtype: DType, maxElements: number): NetworkLayer[] {
  return readModelNetwork(bytes, inputShape, dtype, maxElements).layers;
}

/**
 * How weights are read: their `values` (a run), or as `zeros` of their shape, checked as for a run but not decoded
 * (the model editor's facts: plans read shapes only, and a big model's graph shows without decoding its weights).
 */
export type WeightReading = 'values' | 'zeros';

/** The network as its nodes are read: each tensor's value, and the layers so far with their plans. */
export class ModelReader {
  readonly values = new Map<string, Value>();
  readonly layers: NetworkLayer[] = [];
  /** Each layer's plan (its output shape, FLOPs and parameters), as the engine plans it. */
  readonly plans: KindPlan[] = [];
  /** What each layer takes. */
  private readonly inputs: NetworkValue[][] = [];
  /** The layers a MatMul made (the Add after one may give it its bias). */
  private readonly products = new Set<number>();
  private readonly decoded = new Map<string, Tensor>();
  /** The initializers decoded so far whose element type is an integer one. */
  private readonly integers = new Set<string>();
  private readonly padLayers = new Map<PaddedValue, NetworkValue>();
  /** The layers a zero Pad made when a later node read it (that node's read returns its own layer): Pad node name → layer. */
  readonly padNodeLayers = new Map<string, number>();
  /** The layer the node being read made or gave its bias to. */
  private touched: number | undefined;
  /** Each layer's learned tensors' sources, by spec key. */
  readonly params: Record<string, ParamSource>[] = [];
  /** A MatMul's output whose Add became its layer's bias. */
  readonly preBias = new Map<string, number>();
  /** The weights the node being read took, by the ONNX value they were read from. */
  private weightsRead: { name: string; tensor: Tensor }[] = [];
  /** The zeros that stand for the weights when they are not decoded (`weights: 'zeros'`), one buffer for all. */
  private readonly zeros: (count: number) => TensorData;

  constructor(
    private readonly g: OnnxGraph,
    private readonly readCount: ReadonlyMap<string, number>,
    private readonly dtype: DType,
    private readonly maxElements: number,
    private readonly weights: WeightReading,
  ) {
    this.zeros = sharedZeros(dtype);
  }

  /** Reads a node; returns the layer it made, or gave its bias to (none: it made a constant or passed a value on). */
  read(node: OnnxNode): number | undefined {
    this.touched = undefined;
    this.weightsRead = [];
    const entry = node.domain === '' || node.domain === 'ai.onnx' ? Object.hasOwn(OPS, node.op) && OPS[node.op] : undefined;
    if (!entry && !Object.hasOwn(FOLDS, node.op)) fail({ code: 'onnx.op', args: { node: node.name, op: node.domain ? `${node.domain}.${node.op}` : node.op, ops: Object.keys(OPS) } });
    for (const o of node.outputs.slice(1)) if (o && this.readCount.has(o)) fail({ code: 'onnx.output', args: { node: node.name, op: node.op, output: o } });
    const c = this.context(node);
    // An initializer is a constant, but decoded only when a fold or the op reads it: a weight is read by the op
    // as the layer's dtype (or as zeros of its shape for the editor), never decoded here as float64 beside it.
    const given = node.inputs.map((x, k) => (x ? this.values.get(x) ?? (this.g.initializers.has(x) ? 'initializer' : c.value(k)) : undefined));
    const fold = Object.hasOwn(FOLDS, node.op) && given.some(v => v) && given.every(v => !v || v === 'initializer' || v.kind === 'constant') ? FOLDS[node.op] : undefined;
    const result: OpResult = fold ? { constant: fold(c, node.inputs.map((x, k) => (x ? c.constant(k) : undefined) as Tensor)), integer: foldedInteger(c, node.op) } : entry ? entry(c) : c.refuse({ code: 'onnx.weight', args: { node: node.name, op: node.op, name: node.inputs.find(x => x && this.values.get(x)?.kind !== 'constant' && !this.g.initializers.has(x)) ?? '' } });
    this.values.set(node.outputs[0], this.valueOf(node, result));
    return this.touched;
  }

  /** The value a node's result gives its output; a layer is planned as it is added, so a misfit names its node. */
  private valueOf(node: OnnxNode, result: OpResult): Value {
    if ('same' in result) return result.same;
    if ('constant' in result) return { kind: 'constant', tensor: result.constant, ...(result.integer ? { integer: true } : {}) };
    if ('padded' in result) return result.padded;
    if ('bias' in result) return this.withBias(node, result.of, result.bias);
    const index = this.layers.length;
    const layer: NetworkLayer = { ...result.layer, name: node.name };
    const chain = [index === 0 ? 'input' : index - 1];
    const refs = result.from.map(v => v.ref);
    if (refs.length !== 1 || refs[0] !== chain[0]) layer.inputs = refs;
    const { output: shape } = this.plan(layer, result.from, index);
    this.layers.push(layer);
    this.params.push(this.sources(layer));
    this.touched = index;
    this.inputs.push(result.from);
    if (node.op === 'MatMul') this.products.add(index);
    return { kind: 'network', ref: index, shape };
  }

  /** A zero Pad read by an op that takes no padding (or a graph output): a pad2d layer of its own, made once. */
  padded(v: PaddedValue): NetworkValue {
    const made = this.padLayers.get(v);
    if (made) return made;
    const [top, bottom, left, right] = v.pads;
    const index = this.layers.length;
    const layer: NetworkLayer = { type: 'pad2d', padding: [left, right, top, bottom], mode: 'constant', name: v.node };
    if (v.of.ref !== (index === 0 ? 'input' : index - 1)) layer.inputs = [v.of.ref];
    const { output: shape } = this.plan(layer, [v.of], index);
    this.layers.push(layer);
    // Kept in step with the layers: the parameters of the layers after it are found by index.
    this.params.push({});
    this.inputs.push([v.of]);
    const value: NetworkValue = { kind: 'network', ref: index, shape };
    this.padLayers.set(v, value);
    this.padNodeLayers.set(v.node, index);
    return value;
  }

  /** A constant added to a MatMul's output, read by nothing else: the bias of the linear layer it made. */
  private withBias(node: OnnxNode, of: NetworkValue, bias: Tensor): Value {
    const index = of.ref;
    const product = node.inputs.find(x => this.values.get(x) === of);
    // A MatMul's layer is a linear one, made without a bias.
    const layer = typeof index === 'number' && this.products.has(index) ? this.layers[index] : undefined;
    if (typeof index !== 'number' || !layer || ('bias' in layer && layer.bias) || this.readCount.get(product ?? '') !== 1) {
      return fail({ code: 'onnx.bias', args: { node: node.name } });
    }
    const vector = { ...bias, shape: [bias.data.length] };
    const fused = { ...layer, bias: vector, name: `${layer.name} + ${node.name}` } as NetworkLayer;
    this.plans[index] = this.plan(fused, this.inputs[index], index);
    this.layers[index] = fused;
    this.params[index] = { ...this.params[index], ...this.sources({ bias: vector }) };
    if (product) this.preBias.set(product, index);
    this.touched = index;
    return of;
  }

  /** Which weight the node took each of the layer's tensors from: the same data, or (a matrix) its transpose. */
  private sources(layer: object): Record<string, ParamSource> {
    const found: Record<string, ParamSource> = {};
    for (const [key, v] of Object.entries(layer)) {
      if (typeof v !== 'object' || v === null || !('data' in v) || !('shape' in v)) continue;
      const t = v as Tensor;
      const same = this.weightsRead.find(r => r.tensor.data === t.data);
      const flipped = this.weightsRead.find(r => r.tensor.shape.length === 2 && t.shape.length === 2 && r.tensor.shape[0] === t.shape[1] && r.tensor.shape[1] === t.shape[0]);
      const from = same ?? flipped;
      if (from) found[key] = { name: from.name, transposed: !same };
    }
    return found;
  }

  /** The layer's plan, kept as its; a shape that does not fit is an EngineError at the layer, naming its node. */
  private plan(layer: NetworkLayer, from: readonly NetworkValue[], index: number): KindPlan {
    const kind = kindOf(layer);
    try {
      const plan = isMergeKind(kind) ? kind.plan(layer, from.map(v => ({ name: inputName(v.ref), shape: v.shape })), false) : kind.plan(layer, from[0].shape, false);
      // A huge scale or pad is refused here, at its node, before a run allocates it.
      checkBudget(layer.type, plan.tensors, this.maxElements);
      this.plans[index] = plan;
      return plan;
    } catch (e) {
      if (!(e instanceof EngineError)) throw e;
      const input = isMergeKind(kind) ? {} : { input: from[0].shape, from: inputName(from[0].ref) };
      throw e.inLayer({ index, type: layer.type, name: layer.name, ...input });
    }
  }

  private initializer(name: string, as: DType): Tensor {
    const key = `${as}:${name}`;
    let t = this.decoded.get(key);
    if (!t) {
      const read = decodeTensorProto(this.g.initializers.get(name)!, name, as, this.maxElements);
      t = read.tensor;
      if (isIntegerType(read.dtype)) this.integers.add(name);
    }
    this.decoded.set(key, t);
    return t;
  }

  private weight(k: number, name: string, constant: (k: number) => Tensor): Tensor {
    if (this.g.initializers.has(name) && !this.values.has(name)) {
      return this.weights === 'zeros' ? zerosOfTensorProto(this.g.initializers.get(name)!, name, this.dtype, this.maxElements, this.zeros) : this.initializer(name, this.dtype);
    }
    const t = constant(k);
    return this.dtype === 'float64' ? t : { ...t, dtype: this.dtype, data: Float32Array.from(t.data) };
  }

  private context(node: OnnxNode): OpContext {
    const refuse = (problem: SpecProblem): never => fail(problem);
    const has = (k: number) => (node.inputs[k] ?? '') !== '';
    const value = (k: number): Value => {
      const name = node.inputs[k] ?? '';
      const v = this.values.get(name);
      if (v) return v;
      if (this.g.initializers.has(name)) {
        const tensor = this.initializer(name, 'float64');
        return { kind: 'constant', tensor, ...(this.integers.has(name) ? { integer: true } : {}) };
      }
      return refuse({ code: 'onnx.missing', args: { node: node.name, name } });
    };
    const networkOrPadded = (k: number) => {
      const v = value(k);
      return v.kind !== 'constant' ? v : refuse({ code: 'onnx.tensor', args: { node: node.name, op: node.op, name: node.inputs[k] } });
    };
    const constant = (k: number): Tensor => {
      const v = value(k);
      return v.kind === 'constant' ? v.tensor : refuse({ code: 'onnx.weight', args: { node: node.name, op: node.op, name: node.inputs[k] } });
    };
    const attribute = (name: string) => node.attributes.get(name);
    return {
      node, has, value, networkOrPadded, constant, refuse, maxElements: this.maxElements,
      network: k => {
        const v = networkOrPadded(k);
        return v.kind === 'network' ? v : this.padded(v);
      },
      weight: k => {
        const name = node.inputs[k] ?? '';
        const tensor = this.weight(k, name, constant);
        this.weightsRead.push({ name, tensor });
        return tensor;
      },
      int: (name, fallback) => attribute(name)?.i ?? fallback,
      float: (name, fallback) => attribute(name)?.f ?? fallback,
      ints: (name, fallback) => (attribute(name) ? attribute(name)!.ints : fallback),
      string: (name, fallback) => attribute(name)?.s ?? fallback,
      unsupported: (name, found, expected) => refuse({ code: 'onnx.attribute', args: { node: node.name, op: node.op, attribute: name, found: describe(found), expected } }),
      tensorAttribute: name => {
        const t = attribute(name)?.t;
        return t && decodeTensorProto(t, `${node.name}.${name}`, 'float64', this.maxElements).tensor;
      },
      integerAttribute: name => {
        const t = attribute(name)?.t;
        return !!t && isIntegerType(decodeTensorProto(t, `${node.name}.${name}`, 'float64', this.maxElements).dtype);
      },
      integer: k => {
        const v = has(k) ? value(k) : undefined;
        return v?.kind === 'constant' && !!v.integer;
      },
    };
  }
}
