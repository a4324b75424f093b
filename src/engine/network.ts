// A network of layers, forward then backward: the loss makes the first δ, and
// each layer turns the δ of its output into the δ of its input, as the
// derivation has it: δ^l = δ^{l+1} ⋆full ROT180(w^{l+1}) ⊙ h'(z^l). Every
// layer's intermediates are recorded, under `layers[i].<name>` in the trace.

import { crossEntropyLoss, mseLoss } from './layers';
import { elementLimit } from './budget';
import { LayerSpec, kindOf } from './layerKinds';
import { LayerStep, passes, shapeAxes, stage } from './layerKinds/kind';
import type { LayerGeometry } from './layerKinds/view';
import { LayerShapes, checkNetworkBudget, layerName, layerTitle, planNetwork } from './networkPlan';
import { DType, Tensor, TensorData, allocate } from './tensor';
import {
  ConvTrace, DEFAULT_MAX_ELEMENTS, DeltaSource, NonFiniteReport, Rot180Check, TensorName, TraceOptions, TraceStage, TraceTensor, nonFiniteReports, recorded,
} from './trace';

export { layerName, layerTitle };
export type { LayerShapes };

export type { LayerSpec };

export type LossSpec = { type: 'mse'; target: Tensor } | { type: 'cross_entropy'; target: number[] };

export interface NetworkProblem {
  input: Tensor;
  layers: LayerSpec[];
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
  /** Its name in the chain, `layers[2]` or `loss`: the prefix of its tensors' qualified names. */
  name: string;
  /** e.g. `conv2d 6@5×5`, `maxpool2d 2×2`, `relu`. */
  title: string;
  inputShape: number[];
  outputShape: number[];
  tensors: Partial<Record<TensorName, TraceTensor>>;
  stages: TraceStage[];
  /** What the layer's view needs to link, sum and explain its cells. */
  geometry: LayerGeometry;
  /** conv2d layers: everything the single-conv trace has (geometry, rot180 check, links). */
  conv?: ConvTrace;
  /** Another kind's ROT180 view against its im2col one (conv_transpose2d's z). */
  rot180?: Rot180Check;
  /** The loss value, for the loss "layer". */
  value?: number;
  /** Where the layer's δ came from, when the backward pass ran. */
  deltaSource?: DeltaSource;
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

/** A layer's record in the trace: what its kind records, under its name in the chain. */
function layerTrace(step: LayerStep<LayerSpec>, index: number, delta: Tensor | undefined, deltaSource: DeltaSource, options: TraceOptions): { trace: LayerTrace; deltaIn?: Tensor } {
  const { deltaIn, ...record } = kindOf(step.spec).record(step, delta, deltaSource, options);
  const trace: LayerTrace = {
    op: step.spec.type, name: layerName(index), title: layerTitle(step.spec), inputShape: [...step.input.shape], outputShape: [...step.output.shape],
    ...record, ...(delta ? { deltaSource } : {}),
  };
  return { trace, deltaIn };
}

/** Each layer's input and output shapes and geometry, from shapes alone (no forward pass); throws where a layer does not fit or a run would be too big. */
export function networkShapes(problem: NetworkProblem, maxElements = DEFAULT_MAX_ELEMENTS): LayerShapes[] {
  const plan = planNetwork(problem);
  checkNetworkBudget(plan, maxElements);
  return plan.layers.map(({ tensors: _, ...shapes }) => shapes);
}

/** Values in a dtype's array: the wire reads a tensor's buffer as its dtype says. */
function filled(dtype: DType, values: readonly number[]): TensorData {
  const data = allocate(dtype, values.length);
  data.set(values);
  return data;
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
  const forwarded: LayerStep<LayerSpec>[] = [];
  let x = problem.input;
  problem.layers.forEach((spec, i) => {
    const { output, cache } = kindOf(spec).forward(spec, x, plan.layers[i]);
    forwarded.push({ spec, input: x, output, cache });
    x = output;
  });
  const out = x;
  let delta: Tensor | undefined;
  let lossTrace: LayerTrace | undefined;
  let loss: NetworkTrace['loss'];
  if (problem.loss) {
    const l = problem.loss;
    const r = l.type === 'mse' ? mseLoss(out, l.target) : crossEntropyLoss(out, l.target);
    loss = { type: l.type, value: r.value };
    const axes = shapeAxes(out.shape);
    const target = l.type === 'mse' ? l.target : { shape: [l.target.length], dtype: out.dtype, data: filled(out.dtype, l.target) } as Tensor;
    const tensors: Partial<Record<TensorName, TraceTensor>> = {
      z: recorded('z', out, axes, { key: `loss.z.${l.type}` }),
      target: recorded('target', target, l.type === 'mse' ? axes : ['B'], { key: `loss.target.${l.type}` }),
      loss: recorded('loss', { shape: [1], dtype: out.dtype, data: filled(out.dtype, [r.value]) }, ['C'], { key: `loss.value.${l.type}` }),
    };
    if (r.probs) tensors.probs = recorded('probs', r.probs, axes, { key: 'loss.probs' });
    if (backward) {
      delta = r.delta;
      tensors.delta = recorded('delta', r.delta, axes, { key: 'loss.delta' });
    }
    const stages = l.type === 'mse'
      ? [stage('loss', 'forward', 'Mean squared error', 'C = mean((z − target)²)', ['z', 'target'], ['loss']), stage('loss_grad', 'backward', 'The first δ', 'δ = 2·(z − target) / N', ['z', 'target'], ['delta'])]
      : [stage('loss', 'forward', 'Softmax and cross-entropy', 'p = softmax(z);  C = −mean_b log p[b, target[b]]', ['z', 'target'], ['probs', 'loss']), stage('loss_grad', 'backward', 'The first δ', 'δ = (p − onehot(target)) / B', ['probs', 'target'], ['delta'])];
    lossTrace = {
      op: 'loss', name: 'loss', geometry: { kind: 'loss', info: { type: l.type } }, title: l.type === 'mse' ? 'mse loss' : 'cross-entropy loss', inputShape: [...out.shape], outputShape: [1], value: r.value, tensors,
      stages: passes(stages, backward),
    };
  } else if (backward) {
    delta = problem.grad ?? { shape: [...out.shape], dtype: out.dtype, data: allocate(out.dtype, out.data.length).fill(1) };
  }
  const layers: LayerTrace[] = new Array(forwarded.length);
  const firstDelta: DeltaSource = problem.loss ? 'loss' : problem.grad ? 'spec' : 'ones';
  for (let i = forwarded.length - 1; i >= 0; i--) {
    const { trace, deltaIn } = layerTrace(forwarded[i], i, delta, i === forwarded.length - 1 ? firstDelta : 'above', options);
    layers[i] = trace;
    delta = deltaIn;
  }
  if (lossTrace) layers.push(lossTrace);
  const nonFinite = layers.flatMap((l, layer) => nonFiniteReports(l.tensors).map(r => ({ ...r, layer })));
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
