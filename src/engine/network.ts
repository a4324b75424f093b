// A network of layers, forward then backward: the loss makes the first δ, and
// each layer turns the δ of its output into the δ of its input, as the
// derivation has it: δ^l = δ^{l+1} ⋆full ROT180(w^{l+1}) ⊙ h'(z^l). Every
// layer's intermediates are recorded, under `layers[i].<name>` in the trace.

import { ConvInfo, ConvOptions } from './convInfo';
import { convolve } from './conv2d';
import {
  Activation, PoolInfo, PoolOptions, activationForward, activationFormula, crossEntropyLoss, flatten, hadamard,
  linearBackward, linearForward, mseLoss, poolBackward, poolForward, unflatten,
} from './layers';
import { elementLimit } from './budget';
import { LayerPlan, LayerShapes, checkNetworkBudget, layerTitle, planNetwork } from './networkPlan';
import { DType, Tensor, TensorData, allocate, formatShape } from './tensor';
import {
  ConvTrace, DEFAULT_MAX_ELEMENTS, DeltaSource, NonFiniteReport, StageId, TensorName, TraceOptions, TraceStage, TraceTensor, nonFiniteReports, recorded, traceConv,
} from './trace';

export { layerTitle };
export type { LayerShapes };

export type LayerSpec =
  | { type: 'conv2d'; weight: Tensor; bias?: Tensor; options: ConvOptions }
  | { type: 'relu' | 'sigmoid' | 'tanh' }
  | { type: 'leaky_relu'; slope: number }
  | { type: 'maxpool2d' | 'avgpool2d'; options: PoolOptions }
  | { type: 'flatten' }
  | { type: 'linear'; weight: Tensor; bias?: Tensor };

export type LossSpec = { type: 'mse'; target: Tensor } | { type: 'cross_entropy'; target: number[] };

export interface NetworkProblem {
  input: Tensor;
  layers: LayerSpec[];
  /** The loss that makes the first δ; or `grad`, ∂C/∂output given; or neither (δ = ones). */
  loss?: LossSpec;
  grad?: Tensor;
  dtype: DType;
}

export const LAYER_OPS = ['conv2d', 'relu', 'leaky_relu', 'sigmoid', 'tanh', 'maxpool2d', 'avgpool2d', 'flatten', 'linear', 'loss'] as const;
export type LayerOp = (typeof LAYER_OPS)[number];

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
  /** conv2d layers: everything the single-conv trace has (geometry, rot180 check, links). */
  conv?: ConvTrace;
  pool?: PoolInfo;
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

const tt = recorded;

/** The name layer `index` has in the chain: `layers[2]`. */
export function layerName(index: number): string {
  return `layers[${index}]`;
}

/** A tensor's name in a network trace: `layers[2].dA`, `loss.delta`. */
export function qualifiedName(layer: Pick<LayerTrace, 'name'>, tensor: string): string {
  return `${layer.name}.${tensor}`;
}

function stage(id: StageId, pass: 'forward' | 'backward', title: string, formula: string, inputs: TensorName[], outputs: TensorName[]): TraceStage {
  return { id, pass, title, formula, inputs, outputs };
}

function shapeAxes(shape: readonly number[]): string[] {
  return shape.length === 4 ? ['B', 'C', 'H', 'W'] : shape.length === 2 ? ['B', 'features'] : shape.map((_, i) => `d${i}`);
}

interface Forwarded {
  spec: LayerSpec;
  input: Tensor;
  output: Tensor;
  /** What the backward pass needs from the forward pass. */
  cache: Record<string, Tensor | PoolInfo | ConvInfo | undefined>;
}

/** A layer's forward pass, its geometry already planned and checked. */
function forwardLayer(l: LayerSpec, x: Tensor, plan: LayerPlan): Forwarded {
  switch (l.type) {
    case 'conv2d':
      return { spec: l, input: x, output: convolve(x, l.weight, l.bias, plan.conv!), cache: { info: plan.conv } };
    case 'relu': case 'leaky_relu': case 'sigmoid': case 'tanh': {
      const act: Activation = { kind: l.type, slope: l.type === 'leaky_relu' ? l.slope : undefined };
      const { h, hPrime } = activationForward(x, act);
      return { spec: l, input: x, output: h, cache: { hPrime } };
    }
    case 'maxpool2d': case 'avgpool2d': {
      const p = plan.pool!;
      const f = poolForward(x, p);
      return { spec: l, input: x, output: f.z, cache: { info: p, a: f.a, pool_t: f.pool_t, argmax: f.argmax, divisor: f.divisor } };
    }
    case 'flatten':
      return { spec: l, input: x, output: flatten(x), cache: {} };
    case 'linear': {
      const f = linearForward(x, l.weight, l.bias);
      return { spec: l, input: x, output: f.z, cache: { w_t: f.w_t } };
    }
  }
}

/** Only the forward stages, when the backward pass is skipped. */
function passes(stages: TraceStage[], backward: boolean): TraceStage[] {
  return backward ? stages : stages.filter(s => s.pass === 'forward');
}

/**
 * The layer's trace, given the δ of its output; returns it and the δ of its input.
 * Without a δ (--forward-only) it records the forward tensors and stages alone.
 */
function layerTrace(f: Forwarded, index: number, delta: Tensor | undefined, deltaSource: DeltaSource, options: TraceOptions): { trace: LayerTrace; deltaIn?: Tensor } {
  const l = f.spec;
  const base = {
    op: l.type, name: layerName(index), title: layerTitle(l), inputShape: [...f.input.shape], outputShape: [...f.output.shape],
    ...(delta ? { deltaSource } : {}),
  };
  const x = f.input;
  switch (l.type) {
    case 'conv2d': {
      const conv = traceConv({ input: x, weight: l.weight, bias: l.bias, grad: delta, deltaSource, options: l.options, dtype: x.dtype }, { ...options, backward: delta !== undefined });
      return { trace: { ...base, tensors: conv.tensors, stages: conv.stages, conv }, deltaIn: conv.tensors.dA };
    }
    case 'relu': case 'leaky_relu': case 'sigmoid': case 'tanh': {
      const formula = activationFormula({ kind: l.type, slope: l.type === 'leaky_relu' ? l.slope : undefined });
      const hPrime = f.cache.hPrime as Tensor;
      const axes = shapeAxes(x.shape);
      const tensors: Partial<Record<TensorName, TraceTensor>> = {
        z: tt('z', x, axes, { key: 'activation.z' }),
        h: tt('h', f.output, axes, { key: 'activation.h', args: { activation: l.type } }),
        h_prime: tt('h_prime', hPrime, axes, l.type === 'leaky_relu' ? { key: 'activation.h_prime.leaky_relu', args: { slope: l.slope } } : { key: `activation.h_prime.${l.type}` }),
      };
      const dZ = delta && hadamard(delta, hPrime);
      if (delta && dZ) {
        tensors.delta = tt('delta', delta, axes, { key: 'activation.delta' });
        tensors.dZ = tt('dZ', dZ, axes, { key: 'activation.dZ' });
      }
      const stages = [
        stage('activate', 'forward', `Activation: ${l.type}`, formula, ['z'], ['h', 'h_prime']),
        stage('activation_grad', 'backward', 'Through the activation', "∂C/∂z = δ ⊙ h'(z)", ['delta', 'h_prime'], ['dZ']),
      ];
      return { trace: { ...base, tensors, stages: passes(stages, delta !== undefined) }, deltaIn: dZ };
    }
    case 'maxpool2d': case 'avgpool2d': {
      const p = f.cache.info as PoolInfo;
      const fwd = { a: f.cache.a as Tensor, pool_t: f.cache.pool_t as Tensor, z: f.output, argmax: f.cache.argmax as Tensor | undefined, divisor: f.cache.divisor as Tensor | undefined };
      const isMax = p.kind === 'max';
      const tensors: Partial<Record<TensorName, TraceTensor>> = {
        input: tt('input', x, ['B', 'C', 'H', 'W'], { key: 'layer.input' }),
        a: tt('a', fwd.a, ['B', 'C', 'Hp', 'Wp'], { key: `pool.a.${p.kind}` }),
        pool_t: tt('pool_t', fwd.pool_t, ['B', 'C', 'Hout·Wout', 'kh·kw'], { key: 'pool.pool_t' }),
        z: tt('z', f.output, ['B', 'C', 'Hout', 'Wout'], { key: `pool.z.${p.kind}` }),
      };
      if (fwd.argmax) tensors.argmax = tt('argmax', fwd.argmax, ['B', 'C', 'Hout', 'Wout'], { key: 'pool.argmax' });
      const bwd = delta && poolBackward(delta, fwd, p);
      if (delta && bwd) {
        tensors.delta = tt('delta', delta, ['B', 'C', 'Hout', 'Wout'], { key: 'pool.delta' });
        tensors.dpool_t = tt('dpool_t', bwd.dpool_t, ['B', 'C', 'Hout·Wout', 'kh·kw'], { key: `pool.dpool_t.${p.kind}` });
        tensors.dA = tt('dA', bwd.dA, ['B', 'C', 'H', 'W'], { key: 'pool.dA' });
      }
      const reduce = isMax ? 'z = pool_t.max(axis=-1); argmax = its first index' : 'z = pool_t.sum(axis=-1) / window size';
      const stages = [
        stage('pool_pad', 'forward', 'Pad', isMax ? 'a = pad(input, −∞)' : 'a = pad(input, 0)', ['input'], ['a']),
        stage('pool_unfold', 'forward', 'Unfold the windows', 'pool_t = im2col(a), one channel at a time', ['a'], ['pool_t']),
        stage('pool_reduce', 'forward', isMax ? 'Max of each window' : 'Mean of each window', reduce, ['pool_t'], isMax ? ['z', 'argmax'] : ['z']),
        stage('pool_route', 'backward', isMax ? 'Route δ to the argmax' : 'Spread δ over the window', isMax ? 'dpool_t[r, argmax[r]] = δ[r], 0 elsewhere' : 'dpool_t[r, :] = δ[r] / window size', isMax ? ['delta', 'argmax'] : ['delta'], ['dpool_t']),
        stage('pool_col2im', 'backward', 'col2im', '∂C/∂input = crop(col2im(dpool_t))', ['dpool_t'], ['dA']),
      ];
      return { trace: { ...base, pool: p, tensors, stages: passes(stages, delta !== undefined) }, deltaIn: bwd?.dA };
    }
    case 'flatten': {
      const tensors: Partial<Record<TensorName, TraceTensor>> = {
        input: tt('input', x, shapeAxes(x.shape), { key: 'layer.input' }),
        z: tt('z', f.output, ['B', 'features'], { key: 'flatten.z' }),
      };
      const dA = delta && unflatten(delta, x.shape);
      if (delta && dA) {
        tensors.delta = tt('delta', delta, ['B', 'features'], { key: 'flatten.delta' });
        tensors.dA = tt('dA', dA, shapeAxes(x.shape), { key: 'flatten.dA' });
      }
      const stages = [
        stage('flatten', 'forward', 'Flatten', `z = input.reshape(B, ${f.output.shape[1]})`, ['input'], ['z']),
        stage('unflatten', 'backward', 'Unflatten δ', `∂C/∂input = δ.reshape(${formatShape(x.shape)})`, ['delta'], ['dA']),
      ];
      return { trace: { ...base, tensors, stages: passes(stages, delta !== undefined) }, deltaIn: dA };
    }
    case 'linear': {
      const w_t = f.cache.w_t as Tensor;
      const tensors: Partial<Record<TensorName, TraceTensor>> = {
        input: tt('input', x, ['B', 'in'], { key: 'layer.input' }),
        weight: tt('weight', l.weight, ['out', 'in'], { key: 'linear.weight' }),
        w_t: tt('w_t', w_t, ['in', 'out'], { key: 'linear.w_t' }),
        z: tt('z', f.output, ['B', 'out'], { key: 'linear.z', args: { bias: l.bias !== undefined } }),
      };
      if (l.bias) tensors.bias = tt('bias', l.bias, ['out'], { key: 'linear.bias' });
      const g = delta && linearBackward(x, l.weight, delta);
      if (delta && g) {
        tensors.delta = tt('delta', delta, ['B', 'out'], { key: 'linear.delta' });
        tensors.dA = tt('dA', g.dA, ['B', 'in'], { key: 'linear.dA' });
        tensors.dW = tt('dW', g.dW, ['out', 'in'], { key: 'linear.dW' });
        tensors.db = tt('db', g.db, ['out'], { key: 'linear.db' });
      }
      const stages = [
        stage('linear', 'forward', 'Matrix product', `z = input @ w_t${l.bias ? ' + b' : ''}`, ['input', 'w_t', ...(l.bias ? ['bias' as const] : [])], ['z']),
        stage('linear_dx', 'backward', 'Gradient of the input', '∂C/∂input = δ @ w_tᵀ', ['delta', 'w_t'], ['dA']),
        stage('linear_dw', 'backward', 'Gradient of the weights', '∂C/∂W = δᵀ @ input;  ∂C/∂b = Σ_b δ', ['delta', 'input'], ['dW', 'db']),
      ];
      return { trace: { ...base, tensors, stages: passes(stages, delta !== undefined) }, deltaIn: g?.dA };
    }
  }
}

/** Each layer's input and output shapes and geometry, from shapes alone (no forward pass); throws where a layer does not fit or a run would be too big. */
export function networkShapes(problem: NetworkProblem, maxElements = DEFAULT_MAX_ELEMENTS, backward = true): LayerShapes[] {
  const plan = planNetwork(problem, backward);
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
  const forwarded: Forwarded[] = [];
  let x = problem.input;
  problem.layers.forEach((l, i) => {
    const f = forwardLayer(l, x, plan.layers[i]);
    forwarded.push(f);
    x = f.output;
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
      z: tt('z', out, axes, { key: `loss.z.${l.type}` }),
      target: tt('target', target, l.type === 'mse' ? axes : ['B'], { key: `loss.target.${l.type}` }),
      loss: tt('loss', { shape: [1], dtype: out.dtype, data: filled(out.dtype, [r.value]) }, ['C'], { key: `loss.value.${l.type}` }),
    };
    if (r.probs) tensors.probs = tt('probs', r.probs, axes, { key: 'loss.probs' });
    if (backward) {
      delta = r.delta;
      tensors.delta = tt('delta', r.delta, axes, { key: 'loss.delta' });
    }
    const stages = l.type === 'mse'
      ? [stage('loss', 'forward', 'Mean squared error', 'C = mean((z − target)²)', ['z', 'target'], ['loss']), stage('loss_grad', 'backward', 'The first δ', 'δ = 2·(z − target) / N', ['z', 'target'], ['delta'])]
      : [stage('loss', 'forward', 'Softmax and cross-entropy', 'p = softmax(z);  C = −mean_b log p[b, target[b]]', ['z', 'target'], ['probs', 'loss']), stage('loss_grad', 'backward', 'The first δ', 'δ = (p − onehot(target)) / B', ['probs', 'target'], ['delta'])];
    lossTrace = {
      op: 'loss', name: 'loss', title: l.type === 'mse' ? 'mse loss' : 'cross-entropy loss', inputShape: [...out.shape], outputShape: [1], value: r.value, tensors,
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
