// What the model editor shows of an ONNX file, from its graph alone: every node (op, attributes, inputs and
// outputs with their shapes), each node's FLOPs and parameters, the totals, the initializers (dtype, shape,
// size) and the problems, each at its node, so one node the engine cannot read leaves the rest of the graph
// shown. Shapes, FLOPs and parameters are the engine's: model.ts's ModelReader makes the layers and the
// engine's kinds plan them, with the weights as zeros of their shape (checked, never decoded), on the graph
// input's declared shape with dynamic dimensions as 1. Pure: no vscode, no DOM.

import { EngineError } from '../../engine/errors';
import { type CostCount, totalCost } from '../../engine/layerKinds/cost';
import { sizeOf } from '../../engine/tensor';
import { ValueStatistics, valueStatistics } from '../../format/valueText';
import { TensorFileError } from '../fileError';
import type { Problem } from '../problemCodes';
import { OnnxAttribute, OnnxGraph, OnnxNode, OnnxValue, readGraph, readModelInfo } from './graph';
import { ModelReader, executionOrder, firstOutputNodes, readers } from './model';
import { OPS, Value } from './ops';
import { decodeTensorProto, tensorProtoInfo } from './tensor';

/** A tensor a node takes or makes: its name, its shape when known, and whether it is an initializer. */
export interface TensorFacts {
  name: string;
  shape?: number[];
  initializer?: boolean;
}

export interface NodeFacts {
  name: string;
  op: string;
  domain: string;
  /** Each attribute as written, readable: `[3, 3]`, `0.1`, `"NOTSET"`, `tensor (4) INT64 = [1, 2, 3, 4]`. */
  attributes: { name: string; value: string }[];
  inputs: TensorFacts[];
  outputs: TensorFacts[];
  /** The engine layer it became (its index in the network, as the trace panel numbers them), or gave its bias to. */
  layer?: number;
  /** Its layer's FLOPs and parameters, on the node that made the layer. */
  cost?: CostCount;
  /** Why the engine cannot read it; the nodes after it have no shapes. */
  problem?: Problem;
}

export interface InitializerFacts {
  name: string;
  dtype: string;
  shape: number[];
  /** The bytes its data takes. */
  bytes: number;
  /** Its data is in another file (not read). */
  external: boolean;
}

export interface ModelFacts {
  producer: string;
  producerVersion: string;
  /** The default domain's opset, if imported. */
  opset?: number;
  irVersion?: number;
  /** The graph's inputs besides its initializers, and its outputs, as declared. */
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  /** The shape the nodes were planned on: the one input's declared shape, dynamic dimensions as 1. */
  plannedInput?: number[];
  nodes: NodeFacts[];
  initializers: InitializerFacts[];
  totals: CostCount & { nodes: number; initializerBytes: number };
  /** The graph's own problems (its input), then every node's, in file order. */
  problems: Problem[];
  /** The nodes whose op the engine does not read, with their op. */
  unsupported: { node: string; op: string }[];
}

/** A model whose graph cannot be read at all: the problem, and nothing else. */
export type ModelFactsResult = { facts: ModelFacts } | { problem: Problem };

const number = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6))));
const list = (values: readonly number[]) => `[${values.map(number).join(', ')}]`;
/** Constant values shown in full up to this many. */
const SHOWN_VALUES = 16;

function attributeText(a: OnnxAttribute, maxElements: number): string {
  if (a.t) {
    const info = tensorProtoInfo(a.t);
    const head = `tensor (${info.shape.join(', ')}) ${info.dtype}`;
    if (sizeOf(info.shape) > SHOWN_VALUES) return head;
    try {
      return `${head} = ${list(Array.from(decodeTensorProto(a.t, '', 'float64', maxElements).tensor.data))}`;
    } catch {
      return head;
    }
  }
  if (a.s !== undefined) return JSON.stringify(a.s);
  if (a.ints.length) return list(a.ints);
  if (a.floats.length) return list(a.floats);
  if (a.i !== undefined) return String(a.i);
  return a.f !== undefined ? number(a.f) : '[]';
}

/** A value's shape: a network tensor's or a constant's; a Pad's output, its input with the pads added. */
function shapeOf(v: Value | undefined): number[] | undefined {
  if (!v) return undefined;
  if (v.kind === 'network') return [...v.shape];
  if (v.kind === 'constant') return [...v.tensor.shape];
  const [top, bottom, left, right] = v.pads;
  const [b, c, h, w] = v.of.shape;
  return [b, c, h + top + bottom, w + left + right];
}

function problemOf(e: unknown): Problem {
  if (e instanceof TensorFileError || e instanceof EngineError) return e.problem;
  throw e;
}

/** The graph's one input besides its initializers, planned with its dynamic dimensions as 1; or why it cannot be. */
function plannedInput(inputs: readonly OnnxValue[]): { name: string; shape: number[] } | { problem: Problem } {
  if (inputs.length !== 1) return { problem: { code: 'onnx.graphInputs', args: { names: inputs.map(i => i.name) } } };
  const [{ name, shape }] = inputs;
  if (!shape) return { problem: { code: 'onnx.inputUnknown', args: { name } } };
  return { name, shape: shape.map(d => (typeof d === 'number' && d > 0 ? d : 1)) };
}

/** Every node read in an order that runs, each on its own: a node whose input is not known is left unread. */
function readNodes(g: OnnxGraph, input: { name: string; shape: number[] } | undefined, maxElements: number,
  initializerShapes: ReadonlyMap<string, number[]>): { reader: ModelReader; nodes: NodeFacts[] } {
  const all = g.nodes.map((_, i) => i);
  // In the order a run reads them, so a node's layer is the run's (its first output's nodes last).
  const { order, stuck } = executionOrder(g, all, firstOutputNodes(g));
  const reader = new ModelReader(g, readers(g, order, g.outputs.map(o => o.name)), 'float32', maxElements, 'zeros');
  if (input) reader.values.set(input.name, { kind: 'network', ref: 'input', shape: input.shape });
  const made = new Set(g.nodes.flatMap(n => n.outputs));
  const nodes: NodeFacts[] = g.nodes.map(n => nodeFacts(n, maxElements));
  for (const i of order) {
    const n = g.nodes[i];
    // An input a node makes but no node could read: its producer's problem says why.
    if (!input || n.inputs.some(x => x && made.has(x) && !reader.values.has(x))) continue;
    try {
      nodes[i].layer = reader.read(n);
    } catch (e) {
      nodes[i].problem = problemOf(e);
    }
  }
  nodes.forEach(f => { f.layer ??= reader.padNodeLayers.get(f.name); });
  for (const i of stuck) nodes[i].problem = { code: 'onnx.cycle', args: { node: g.nodes[i].name } };
  const shaped = (name: string, initializer: boolean): TensorFacts => {
    // An initializer's shape from its header (none where the header is broken: its problem is listed).
    if (initializer && !reader.values.has(name) && g.initializers.has(name)) return { name, shape: initializerShapes.get(name), initializer: true };
    return { name, shape: shapeOf(reader.values.get(name)) };
  };
  for (const f of nodes) {
    f.inputs = f.inputs.map(t => shaped(t.name, true));
    f.outputs = f.outputs.map(t => shaped(t.name, false));
  }
  return { reader, nodes };
}

function nodeFacts(n: OnnxNode, maxElements: number): NodeFacts {
  // A tensor attribute is parsed only here: a broken one is the node's problem (shown as ?), not a throw.
  let problem: Problem | undefined;
  const attributes = [...n.attributes].map(([name, a]) => {
    try {
      return { name, value: attributeText(a, maxElements) };
    } catch (e) {
      problem ??= problemOf(e);
      return { name, value: '?' };
    }
  });
  return {
    name: n.name, op: n.op, domain: n.domain, attributes,
    inputs: n.inputs.filter(Boolean).map(name => ({ name })),
    outputs: n.outputs.filter(Boolean).map(name => ({ name })),
    ...(problem ? { problem } : {}),
  };
}

/** The facts of an ONNX model's bytes; a file whose graph cannot be read gives its problem. */
export function modelFacts(bytes: Uint8Array, maxElements: number): ModelFactsResult {
  let g: OnnxGraph;
  let info: ReturnType<typeof readModelInfo>;
  try {
    info = readModelInfo(bytes);
    g = readGraph(bytes);
  } catch (e) {
    return { problem: problemOf(e) };
  }
  const inputs = g.inputs.filter(i => !g.initializers.has(i.name));
  const planned = plannedInput(inputs);
  // Each initializer's header read once; one that cannot be read is left out, its problem listed with the nodes'.
  const initializers: InitializerFacts[] = [];
  const initializerProblems: Problem[] = [];
  for (const [name, proto] of g.initializers) {
    try {
      initializers.push({ name, ...tensorProtoInfo(proto) });
    } catch (e) {
      initializerProblems.push(problemOf(e));
    }
  }
  let read: ReturnType<typeof readNodes>;
  try {
    read = readNodes(g, 'problem' in planned ? undefined : planned, maxElements, new Map(initializers.map(i => [i.name, i.shape])));
  } catch (e) {
    return { problem: problemOf(e) }; // the graph as a whole (a tensor two nodes make) has no order to show
  }
  const { reader, nodes } = read;
  // Each layer's cost on the node that made it (a MatMul's, its bias's Add included).
  const costed = new Set<number>();
  for (const n of nodes) {
    if (n.layer === undefined || costed.has(n.layer)) continue;
    costed.add(n.layer);
    const { flops, params } = reader.plans[n.layer].cost;
    n.cost = { flops, params };
  }
  const nodeProblems = nodes.flatMap(n => (n.problem ? [n.problem] : []));
  return {
    facts: {
      producer: info.producer, producerVersion: info.producerVersion, irVersion: info.irVersion,
      opset: info.opsets.find(o => o.domain === '' || o.domain === 'ai.onnx')?.version,
      inputs, outputs: g.outputs,
      ...('problem' in planned ? {} : { plannedInput: planned.shape }),
      nodes, initializers,
      totals: { nodes: nodes.length, ...totalCost(reader.plans.map(p => p.cost)), initializerBytes: initializers.reduce((s, i) => s + i.bytes, 0) },
      problems: [...('problem' in planned ? [planned.problem] : []), ...nodeProblems, ...initializerProblems],
      unsupported: g.nodes.filter(n => !isRead(n)).map(n => ({ node: n.name, op: n.domain ? `${n.domain}.${n.op}` : n.op })),
    },
  };
}

const isRead = (n: OnnxNode) => (n.domain === '' || n.domain === 'ai.onnx') && Object.hasOwn(OPS, n.op);

/** An initializer's statistics, for the editor's hover: of its finite values, and how many are zero or not finite. */
export type InitializerStatistics = ValueStatistics;

/**
 * One initializer's values, decoded on demand (at most `maxElements` of them, checked before allocating), and their
 * statistics; a problem when it cannot be read.
 */
export function initializerValues(bytes: Uint8Array, name: string, maxElements: number): { shape: number[]; data: Float64Array; statistics: InitializerStatistics } | { problem: Problem } {
  try {
    const all = readGraph(bytes).initializers;
    const proto = all.get(name);
    if (!proto) return { problem: { code: 'source.keyMissing', args: { key: name, keys: [...all.keys()] } } };
    const { tensor } = decodeTensorProto(proto, name, 'float64', maxElements);
    return { shape: [...tensor.shape], data: tensor.data as Float64Array, statistics: valueStatistics(tensor.data) };
  } catch (e) {
    return { problem: problemOf(e) };
  }
}
