// A network of layers, forward then backward: the loss makes the first δ, and
// each layer turns the δ of its output into the δ of its input, as the
// derivation has it: δ^l = δ^{l+1} ⋆full ROT180(w^{l+1}) ⊙ h'(z^l). Every
// layer's intermediates are recorded, under `layers[i].<name>` in the trace.
// Layers may name their inputs (graph.ts): forward runs in the spec's order,
// backward in reverse, and where an output feeds several layers their δs add up.

import { elementLimit } from './budget';
import { LayerInput, inputName, layerSources } from './graph';
import { LayerSpec, kindOf } from './layerKinds';
import { type ForwardCache, type LayerRecord, type MergeRecord, type OutputMethod, isMergeKind } from './layerKinds/kind';
import type { LayerCost } from './layerKinds/cost';
import { LossSpec, lossKind } from './layerKinds/loss';
import type { LayerGeometry } from './layerKinds/view';
import { LayerInputShape, LayerPlan, LayerShapes, NetworkPlan, checkNetworkBudget, layerName, layerTitle, planNetwork } from './networkPlan';
import { recycledBuffers, releaseSpent } from './recycledBuffers';
import { DType, Tensor, TensorData, allocate, copyOf } from './tensor';
import { addWasm } from './wasm/elementwiseWasm';
import {
  ConvTrace, DEFAULT_MAX_ELEMENTS, DeltaSource, NonFiniteReport, Rot180Check, TensorName, TraceOptions, TraceStage, TraceTensor, nonFiniteReports, sharingStats,
} from './trace';

export { layerName, layerTitle };
export type { LayerInput, LayerInputShape, LayerShapes };

export type { LayerSpec };

/** A layer in a network: its kind's spec, and the inputs it names (without them, the layer before's output). */
export type NetworkLayer = LayerSpec & {
  inputs?: readonly LayerInput[];
  /** What people call it (an ONNX node's name, a spec's "name"): faces show it beside the layer's title. */
  name?: string;
  /** An output besides the last layer's (an ONNX graph's second and later outputs): no later layer takes it, no δ reaches it. */
  output?: boolean;
};

export type { LossSpec };

export interface NetworkProblem {
  input: Tensor;
  /** In the order they run; the last one's output is the network's. */
  layers: NetworkLayer[];
  /** The loss that makes the first δ; or `grad`, ∂C/∂output given; or neither (δ = ones). */
  loss?: LossSpec;
  grad?: Tensor;
  dtype: DType;
}

/** A layer's type in the spec, or `loss`. */
export type LayerOp = LayerSpec['type'] | 'loss';

/** One layer's record: the conv's full trace, or the tensors and stages of another layer. */
export interface LayerTrace {
  op: LayerOp;
  /** Its name in the network, `layers[2]` or `loss`: the prefix of its tensors' qualified names. */
  name: string;
  /** e.g. `conv2d 6@5×5`, `maxpool2d 2×2`, `relu`. */
  title: string;
  /** The name the spec or the model gives it (an ONNX node's). */
  label?: string;
  /** Its first input's shape (a chain's layer has one). */
  inputShape: number[];
  /** What it takes, by name (`input`, `layers[2]`; the loss takes the last layer's output), in the spec's order. */
  inputs: LayerInputShape[];
  outputShape: number[];
  tensors: Partial<Record<TensorName, TraceTensor>>;
  stages: TraceStage[];
  /** What the layer's view needs to link, sum and explain its cells. */
  geometry: LayerGeometry;
  /** Its forward FLOPs and parameters, as its plan states them. */
  cost: LayerCost;
  /** conv2d layers: everything the single-conv trace has (geometry, rot180 check, links). */
  conv?: ConvTrace;
  /** Another kind's ROT180 view against its im2col one (conv_transpose2d's z). */
  rot180?: Rot180Check;
  /** The loss value, for the loss "layer". */
  value?: number;
  /** Where the layer's δ came from, when the backward pass ran. */
  deltaSource?: DeltaSource;
  /** The layers that handed it their δ (`above`: one; `sum`: several, added up). */
  deltaFrom?: string[];
  /** Not traced yet (leanTrace.ts): only its output, its δ and the network's input it takes; no stages. */
  lean?: true;
  /**
   * Traced from a lean run that made some of its stages' tensors another way (traceRunLayer): its output (what the
   * layers after it took), its δ-in (handed to the layer below), its weights' gradient.
   */
  runMade?: RunMade[];
}

/** A tensor of a layer's stages that the lean run made another way, and how far the run's values are from the stages'. */
export interface RunMade {
  /** The stages' tensor: the output (z), dA, dW. */
  tensor: TensorName;
  method: OutputMethod;
  /** The largest difference, absolute and against the stages' largest |value|. */
  maxAbsDiff: number;
  relative: number;
}

export interface NetworkTrace {
  kind: 'network';
  dtype: DType;
  layers: LayerTrace[];
  /** The loss value when a loss is given. */
  loss?: { type: LossSpec['type']; value: number };
  nonFinite: (NonFiniteReport & { layer: number })[];
}

/** A tensor's name in a network trace: `layers[2].dA`, `loss.delta`. */
export function qualifiedName(layer: Pick<LayerTrace, 'name'>, tensor: string): string {
  return `${layer.name}.${tensor}`;
}

/** A layer after its forward pass: its inputs in the spec's order. */
export interface ForwardStep {
  spec: NetworkLayer;
  inputs: Tensor[];
  names: string[];
  output: Tensor;
  cache: ForwardCache;
  /** How the lean run made the output, where not as the trace makes it. */
  method?: OutputMethod;
}

/** How a gradient check reaches into a forward pass: a layer's inputs replaced before it runs, its output after. */
export interface ForwardTap {
  inputs?(layer: number, inputs: Tensor[]): Tensor[];
  output?(layer: number, output: Tensor): Tensor;
}

/**
 * One layer's forward pass, its inputs in the spec's order; `traced`: as its trace makes it (the kind's
 * traceForward, the same output), so that its record does not make its forward tensors again.
 */
export function forwardLayer(spec: NetworkLayer, inputs: Tensor[], plan: LayerPlan, traced = false): { output: Tensor; cache: ForwardCache; method?: OutputMethod } {
  const kind = kindOf(spec);
  if (isMergeKind(kind)) return kind.forward(spec, inputs, plan);
  return traced && kind.traceForward ? kind.traceForward(spec, inputs[0], plan) : kind.forward(spec, inputs[0], plan);
}

/**
 * Every layer's forward pass in the spec's order, the plan already checked; without `keepCaches`, what no backward
 * pass will read is let go; `traced`, each layer as its trace makes it (forwardLayer).
 */
export function forwardLayers(problem: NetworkProblem, plan: NetworkPlan, tap: ForwardTap = {}, keepCaches = true, traced = false): ForwardStep[] {
  const sources = layerSources(problem.layers);
  const forwarded: ForwardStep[] = [];
  problem.layers.forEach((spec, i) => {
    const given = sources[i].map(s => (s === 'input' ? problem.input : forwarded[s].output));
    const inputs = tap.inputs?.(i, given) ?? given;
    const { output, cache, method } = forwardLayer(spec, inputs, plan.layers[i], traced);
    // A run recycling arrays hands the cache's on to the layers after (a max pool's argmax: a conv's output next).
    const pool = keepCaches ? undefined : recycledBuffers();
    if (pool) releaseSpent(pool, Object.values(cache), [output, ...inputs, ...Object.values(spec), problem.input, problem.grad]);
    forwarded.push({ spec, inputs, names: sources[i].map(inputName), output: tap.output?.(i, output) ?? output, cache: keepCaches ? cache : {}, ...(method ? { method } : {}) });
  });
  return forwarded;
}

/** What a layer's kind records, with the δ it hands to each of its inputs. */
function recordOf(step: ForwardStep, delta: Tensor | undefined, deltaSource: DeltaSource, options: TraceOptions): { record: LayerRecord | MergeRecord; deltaIns?: Tensor[] } {
  const kind = kindOf(step.spec);
  if (isMergeKind(kind)) {
    const record = kind.record(step, delta, deltaSource, options) satisfies MergeRecord;
    return { record, deltaIns: record.deltaIns };
  }
  const record = kind.record({ spec: step.spec, input: step.inputs[0], output: step.output, cache: step.cache }, delta, deltaSource, options);
  return { record, deltaIns: record.deltaIn && [record.deltaIn] };
}

/**
 * The fields a layer's trace takes from its kind's record (every field of LayerRecord but the δ it hands down), those
 * it has: copied one by one, as an object spread of records of many shapes is a slow path, taken once per layer.
 */
function copyRecord(into: Partial<LayerTrace>, record: LayerRecord | MergeRecord): void {
  into.tensors = record.tensors;
  into.stages = record.stages;
  into.geometry = record.geometry;
  if (record.conv) into.conv = record.conv;
  if (record.value !== undefined) into.value = record.value;
  if (record.rot180) into.rot180 = record.rot180;
}

/** A layer's record in the trace: what its kind records, under its name in the network. */
export function layerTrace(step: ForwardStep, index: number, cost: LayerCost, delta: Tensor | undefined, from: DeltaFrom, options: TraceOptions): { trace: LayerTrace; deltaIns?: Tensor[] } {
  const { record, deltaIns } = recordOf(step, delta, from.source, options);
  const trace: Partial<LayerTrace> = { op: step.spec.type, name: layerName(index), title: layerTitle(step.spec) };
  if (step.spec.name) trace.label = step.spec.name;
  trace.inputShape = [...step.inputs[0].shape];
  trace.cost = cost;
  trace.inputs = step.inputs.map((x, j) => ({ name: step.names[j], shape: [...x.shape] }));
  trace.outputShape = [...step.output.shape];
  copyRecord(trace, record);
  if (delta) {
    trace.deltaSource = from.source;
    if (from.layers) trace.deltaFrom = from.layers;
  }
  return { trace: trace as LayerTrace, deltaIns };
}

/** Where a layer's δ comes from: the head, or the layers that take its output. */
export interface DeltaFrom { source: DeltaSource; layers?: string[] }

/**
 * The δs handed back to each layer's output, added up as they arrive: in a fresh array, unless `add` is told only the
 * sum reads the first δ's (a training run), where it is made in place.
 */
export class DeltaSums {
  private readonly sums = new Map<LayerInput, { delta: Tensor; from: string[] }>();

  /**
   * `owned(data)`: nothing but this sum reads that array any more, so the sum may be made in it (a training run).
   * Returns whether the sums hold `delta`'s array now (the first δ to arrive), rather than having added it into another.
   */
  add(to: LayerInput, delta: Tensor, from: string, owned: (data: TensorData) => boolean = () => false): boolean {
    const had = this.sums.get(to);
    if (!had) { this.sums.set(to, { delta, from: [from] }); return true; }
    const sum = had.from.length === 1 && !owned(had.delta.data) ? { ...had.delta, data: copyOf(had.delta.data) } : had.delta;
    const [sd, dd] = [sum.data, delta.data];
    if (!addWasm(sd, dd, sd)) for (let k = 0; k < sd.length; k++) sd[k] += dd[k];
    this.sums.set(to, { delta: sum, from: [...had.from, from] });
    return false;
  }

  /** Layer `index`'s δ (or the network input's) and where it came from; `forget` lets the sums drop it. */
  take(index: LayerInput, forget = false): { delta?: Tensor; from: DeltaFrom } {
    const s = this.sums.get(index);
    if (forget) this.sums.delete(index);
    return { delta: s?.delta, from: { source: s && s.from.length > 1 ? 'sum' : 'above', layers: s?.from } };
  }
}

/** The loss's record, the last layer: C, and the first δ it hands to the output `from` (with the backward pass). */
function lossLayerTrace(l: LossSpec, out: Tensor, from: string, options: TraceOptions): { trace: LayerTrace; deltaIn?: Tensor } {
  const plan = lossKind.plan(l, out.shape, options.backward ?? true);
  const { output, cache } = lossKind.forward(l, out, plan);
  const record = lossKind.record({ spec: l, input: out, output, cache }, undefined, 'loss', options);
  const inputShape = [...out.shape];
  const trace: Partial<LayerTrace> = { op: 'loss', name: 'loss', title: lossKind.title(l), inputShape, inputs: [{ name: from, shape: inputShape }], outputShape: plan.output, cost: plan.cost };
  copyRecord(trace, record);
  return { trace: trace as LayerTrace, deltaIn: record.deltaIn };
}

/** The loss's record when there is a loss, and the first δ (with the backward pass) and where it came from: the loss, the spec's grad, or ones. */
export function networkHead(problem: NetworkProblem, out: Tensor, options: TraceOptions): { lossTrace?: LayerTrace; delta?: Tensor; head: DeltaFrom } {
  const head: DeltaFrom = { source: problem.loss ? 'loss' : problem.grad ? 'spec' : 'ones' };
  if (problem.loss) {
    const { trace, deltaIn } = lossLayerTrace(problem.loss, out, layerName(problem.layers.length - 1), options);
    return { lossTrace: trace, delta: deltaIn, head };
  }
  if (!(options.backward ?? true)) return { head };
  return { delta: problem.grad ?? { shape: [...out.shape], dtype: out.dtype, data: allocate(out.dtype, out.data.length).fill(1) }, head };
}

/** Each layer's input and output shapes and geometry, from shapes alone (no forward pass); throws where a layer does not fit or a run would be too big. */
export function networkShapes(problem: NetworkProblem, maxElements = DEFAULT_MAX_ELEMENTS): LayerShapes[] {
  const plan = planNetwork(problem);
  checkNetworkBudget(plan, maxElements);
  return plan.layers.map(({ tensors: _, ...shapes }) => shapes);
}

/**
 * Runs a network forward, makes the first δ, and records every layer backward
 * (forward alone with `backward: false`). Shapes and sizes are checked for the
 * whole network before any layer runs.
 */
export function traceNetwork(problem: NetworkProblem, options: TraceOptions = {}): NetworkTrace {
  const backward = options.backward ?? true;
  const plan = planNetwork(problem, backward);
  checkNetworkBudget(plan, elementLimit(options.maxElements));
  // Each layer forward as its trace makes it: a conv's product (a, z_t, z) is made here once, not again by its record.
  return sharingStats(() => recordNetwork(problem, plan, forwardLayers(problem, plan, {}, true, true), options));
}

/** The trace from the layers' forward passes (forwardLayers): the head, then every layer's record, backward. */
export function recordNetwork(problem: NetworkProblem, plan: NetworkPlan, forwarded: ForwardStep[], options: TraceOptions): NetworkTrace {
  const sources = layerSources(problem.layers);
  const { lossTrace, delta, head } = networkHead(problem, forwarded[forwarded.length - 1].output, options);
  const loss: NetworkTrace['loss'] = lossTrace && problem.loss && { type: problem.loss.type, value: lossTrace.value! };
  const layers: LayerTrace[] = new Array(forwarded.length);
  const last = forwarded.length - 1;
  const sums = new DeltaSums();
  for (let i = last; i >= 0; i--) {
    // The last layer's δ is the head's; any other's, the sum of what the layers that take its output handed back.
    const own = i === last ? { delta, from: head } : sums.take(i);
    const { trace, deltaIns } = layerTrace(forwarded[i], i, plan.layers[i].cost, own.delta, own.from, options);
    layers[i] = trace;
    deltaIns?.forEach((d, j) => sums.add(sources[i][j], d, layerName(i)));
  }
  if (lossTrace) layers.push(lossTrace);
  const nonFinite = layers.flatMap((l, layer) => (l.conv?.nonFinite ?? nonFiniteReports(l.tensors)).map(r => ({ ...r, layer })));
  return { kind: 'network', dtype: problem.dtype, layers, loss, nonFinite };
}

/** The trace's tensors as flat names: `layers[2].dA`, `loss.delta`. */
export function networkTensorNames(trace: NetworkTrace): string[] {
  return trace.layers.flatMap(l => Object.keys(l.tensors).map(n => qualifiedName(l, n)));
}

export function networkTensor(trace: NetworkTrace, name: string): TraceTensor | undefined {
  const m = /^(?:layers\[(\d+)\]|loss)\.(\w+)$/.exec(name);
  if (!m) return undefined;
  const layer = m[1] !== undefined ? trace.layers[Number(m[1])] : trace.layers.find(l => l.op === 'loss');
  const wanted = m[1] === undefined ? layer?.op === 'loss' : layer?.op !== 'loss';
  return layer && wanted ? layer.tensors[m[2] as TensorName] : undefined;
}

export function isNetworkTrace(t: ConvTrace | NetworkTrace): t is NetworkTrace {
  return (t as NetworkTrace).kind === 'network';
}
