// A network from its shapes alone: each layer's input and output shapes, its
// geometry, and every tensor its trace will allocate, with no arithmetic on
// values. Hovers, CodeLens and diagnostics read this (no forward pass runs for
// them), and traceNetwork checks the whole run against the size limit here,
// before it computes anything.

import { PlannedTensor, checkBudget, qualified } from './budget';
import { ConvInfo, convInfo, outputShape } from './convInfo';
import { EngineError } from './errors';
import { PoolInfo, checkLinear, poolInfo } from './layers';
import type { LayerSpec, NetworkProblem } from './network';
import { checkTensor, sizeOf } from './tensor';
import { convTraceTensors } from './conv2d';

/** A layer's place in the chain, without its values: for hovers, CodeLens and diagnostics. */
export interface LayerShapes {
  op: LayerSpec['type'];
  title: string;
  input: number[];
  output: number[];
  conv?: ConvInfo;
  pool?: PoolInfo;
}

export interface LayerPlan extends LayerShapes {
  /** What the layer's trace allocates, forward (and backward when planned so). */
  tensors: PlannedTensor[];
}

export interface NetworkPlan {
  layers: LayerPlan[];
  /** The loss (or the first δ's) tensors. */
  head: PlannedTensor[];
}

export function layerTitle(l: LayerSpec): string {
  switch (l.type) {
    case 'conv2d': return `conv2d ${l.weight.shape[0]}@${l.weight.shape[2]}×${l.weight.shape[3]}`;
    case 'linear': return `linear ${l.weight.shape[1]}→${l.weight.shape[0]}`;
    case 'maxpool2d': case 'avgpool2d': {
      const k = typeof l.options.kernel === 'number' ? [l.options.kernel, l.options.kernel] : l.options.kernel;
      return `${l.type} ${k[0]}×${k[1]}`;
    }
    case 'leaky_relu': return `leaky_relu (${l.slope})`;
    default: return l.type;
  }
}

const t = (name: string, shape: readonly number[]): PlannedTensor => ({ name, shape });

/** One layer's shapes and tensors, given its input shape. */
function planLayer(l: LayerSpec, x: readonly number[], backward: boolean): Omit<LayerPlan, 'op' | 'title' | 'input'> {
  switch (l.type) {
    case 'conv2d': {
      checkTensor(l.weight, 'weight');
      if (l.bias) checkTensor(l.bias, 'bias');
      const info = convInfo(x, l.weight.shape, l.options, l.bias?.shape);
      return { output: outputShape(info), conv: info, tensors: convTraceTensors(info, backward) };
    }
    case 'relu': case 'leaky_relu': case 'sigmoid': case 'tanh':
      return { output: [...x], tensors: [t('h', x), t('h_prime', x), ...(backward ? [t('dZ', x)] : [])] };
    case 'maxpool2d': case 'avgpool2d': {
      const p = poolInfo(l.type === 'maxpool2d' ? 'max' : 'avg', x, l.options);
      const { batch: B, channels: C, paddedHeight: Hp, paddedWidth: Wp, outHeight: Ho, outWidth: Wo, kernelHeight: kh, kernelWidth: kw } = p;
      const z = [B, C, Ho, Wo];
      const tensors = [t('a', [B, C, Hp, Wp]), t('pool_t', [B, C, Ho * Wo, kh * kw]), t('window_index', [Ho * Wo, kh * kw]), t('z', z),
        p.kind === 'max' ? t('argmax', z) : t('divisor', [Ho, Wo])];
      if (backward) tensors.push(t('dpool_t', [B, C, Ho * Wo, kh * kw]), t('col2im_plane', [Hp, Wp]), t('dA', x));
      return { output: z, pool: p, tensors };
    }
    case 'flatten': {
      if (x.length < 2) throw new EngineError('flatten', { code: 'flatten.rank', args: { shape: [...x] } });
      const z = [x[0], sizeOf(x.slice(1))];
      return { output: z, tensors: [t('z', z), ...(backward ? [t('dA', x)] : [])] };
    }
    case 'linear': {
      checkTensor(l.weight, 'weight', 'linear');
      if (l.bias) checkTensor(l.bias, 'bias', 'linear');
      checkLinear(x, l.weight, l.bias);
      const [B, In] = x;
      const Out = l.weight.shape[0];
      const tensors = [t('w_t', [In, Out]), t('z', [B, Out])];
      if (backward) tensors.push(t('dA', [B, In]), t('dW', [Out, In]), t('db', [Out]));
      return { output: [B, Out], tensors };
    }
  }
}

/** The tensors that make the first δ: the loss's, a given grad (checked against the output), or all ones. */
function planHead(problem: NetworkProblem, out: readonly number[]): PlannedTensor[] {
  const l = problem.loss;
  if (l?.type === 'mse') {
    checkTensor(l.target, 'target', 'mse');
    if (sizeOf(l.target.shape) !== sizeOf(out)) throw new EngineError('mse', { code: 'mse.target', args: { target: [...l.target.shape], output: [...out] } }, 'target');
    return [t('loss.delta', out)];
  }
  if (l?.type === 'cross_entropy') {
    if (out.length !== 2) throw new EngineError('cross_entropy', { code: 'crossEntropy.logits', args: { shape: [...out] } }, 'input');
    if (l.target.length !== out[0]) throw new EngineError('cross_entropy', { code: 'crossEntropy.batch', args: { count: l.target.length, batch: out[0] } }, 'target');
    l.target.forEach((c, b) => {
      if (!Number.isInteger(c) || c < 0 || c >= out[1]) throw new EngineError('cross_entropy', { code: 'crossEntropy.class', args: { index: b, value: c, last: out[1] - 1 } }, 'target');
    });
    return [t('loss.probs', out), t('loss.delta', out)];
  }
  if (problem.grad) {
    checkTensor(problem.grad, 'grad', 'network');
    const g = problem.grad.shape;
    if (g.length !== out.length || g.some((d, i) => d !== out[i])) {
      throw new EngineError('network', { code: 'grad.shape', args: { expected: [...out], shape: [...g] } }, 'grad');
    }
    return [];
  }
  return [t('delta', out)];
}

/**
 * Every layer's shapes and tensors, then the head's; throws an EngineError at the
 * layer (`layers[3] (linear)`) where a shape does not fit, naming where its input came from.
 */
export function planNetwork(problem: NetworkProblem, backward = true): NetworkPlan {
  if (!problem.layers.length) throw new EngineError('network', { code: 'network.empty', args: {} });
  checkTensor(problem.input, 'input', 'network');
  let x: readonly number[] = problem.input.shape;
  const layers = problem.layers.map((l, i): LayerPlan => {
    try {
      const p = planLayer(l, x, backward);
      const plan = { op: l.type, title: layerTitle(l), input: [...x], ...p };
      x = p.output;
      return plan;
    } catch (e) {
      if (!(e instanceof EngineError)) throw e;
      throw e.inLayer({ index: i, type: l.type, input: [...x] });
    }
  });
  return { layers, head: planHead(problem, x) };
}

/** Refuses a network whose layers' tensors, one by one or together, would not fit the limit. */
export function checkNetworkBudget(plan: NetworkPlan, limit: number): void {
  plan.layers.forEach((l, i) => checkBudget(l.op, l.tensors, limit, { index: i, type: l.op }));
  checkBudget('network', [...plan.layers.flatMap((l, i) => qualified(`layers[${i}]`, l.tensors)), ...plan.head], limit);
}
