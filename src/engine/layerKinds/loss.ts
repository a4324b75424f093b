// The losses as the layer that ends a network: mean squared error and softmax
// cross-entropy. It declares its keys as a layer kind does (the spec reader
// and the schema read them); its plan checks the target against the output;
// its forward pass makes C and the first δ; it records z, the target, C (p
// for cross-entropy) and δ, with the stages its view (lossView.ts) shows.
// Its forward cost: mse 3 FLOPs per value (a subtraction, a square, an addition
// into the sum); cross-entropy its softmax's 5 per logit (the log and the mean
// per batch item not counted). It learns nothing.

import { EngineError } from '../errors';
import { Tensor, checkTensor, sizeOf, tensor, zeros } from '../tensor';
import { TensorName, TraceTensor, recorded } from '../trace';
import { elementCost } from './cost';
import { LayerReading, LayerRun, passes, planned, shapeAxes, stage } from './kind';
import { softmaxCost } from './softmax';
import { type LayerGeometry, words } from './view';
import type { LossInfo } from './lossView';

export type LossSpec = { type: 'mse'; target: Tensor } | { type: 'cross_entropy'; target: number[] };

/** Every loss a network spec may name. */
export const LOSS_TYPES: readonly LossSpec['type'][] = ['mse', 'cross_entropy'];

export function isLossType(type: unknown): type is LossSpec['type'] {
  return (LOSS_TYPES as readonly unknown[]).includes(type);
}

export interface LossResult {
  value: number;
  /** ∂C/∂output, the first δ. */
  delta: Tensor;
  /** cross-entropy: softmax of the logits. */
  probs?: Tensor;
}

/** C = mean((y − t)²) over every element (PyTorch's reduction="mean"); δ = 2(y − t)/N. */
export function mseLoss(y: Tensor, target: Tensor): LossResult {
  if (target.data.length !== y.data.length) throw new EngineError('mse', { code: 'mse.target', args: { target: [...target.shape], output: [...y.shape] } }, 'target');
  const n = y.data.length;
  const delta = zeros(y.shape, y.dtype);
  // The arrays read once, not on every value: V8 may keep a property read in a loop that writes a typed array.
  const [yd, td, dd] = [y.data, target.data, delta.data];
  let c = 0;
  for (let i = 0; i < n; i++) {
    const d = yd[i] - td[i];
    c += d * d;
    dd[i] = (2 * d) / n;
  }
  return { value: c / n, delta };
}

/** Softmax then negative log-likelihood of the class indices, averaged over the batch; δ = (p − onehot)/B. */
export function crossEntropyLoss(logits: Tensor, classes: readonly number[]): LossResult {
  checkClasses(logits.shape, classes);
  const [B, K] = logits.shape;
  const probs = zeros([B, K], logits.dtype);
  const delta = zeros([B, K], logits.dtype);
  let c = 0;
  for (let b = 0; b < B; b++) {
    const t = classes[b];
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, logits.data[b * K + k]);
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(logits.data[b * K + k] - m);
    for (let k = 0; k < K; k++) {
      const p = Math.exp(logits.data[b * K + k] - m) / s;
      probs.data[b * K + k] = p;
      delta.data[b * K + k] = (p - (k === t ? 1 : 0)) / B;
    }
    c += -(logits.data[b * K + t] - m - Math.log(s));
  }
  return { value: c / B, delta, probs };
}

/** Logits (B, K) and one class index in [0, K) per batch item. */
function checkClasses(out: readonly number[], classes: readonly number[]): void {
  if (out.length !== 2) throw new EngineError('cross_entropy', { code: 'crossEntropy.logits', args: { shape: [...out] } }, 'input');
  if (classes.length !== out[0]) throw new EngineError('cross_entropy', { code: 'crossEntropy.batch', args: { count: classes.length, batch: out[0] } }, 'target');
  classes.forEach((c, b) => {
    if (!Number.isInteger(c) || c < 0 || c >= out[1]) throw new EngineError('cross_entropy', { code: 'crossEntropy.class', args: { index: b, value: c, last: out[1] - 1 } }, 'target');
  });
}

const geometry = (l: LossSpec): LayerGeometry<'loss', LossInfo> => ({ kind: 'loss', info: { type: l.type } });

export const lossKind: LayerRun<LossSpec> & LayerReading<LossSpec> = {
  params: type => ({
    target: type === 'mse'
      ? { read: 'tensor', anyRank: true, required: true, doc: 'What the output should be: a tensor of the output\'s size.' }
      : { read: 'classes', required: true, doc: 'The class index of each batch item, from 0.' },
  }),
  build: (type, { target }) => (type === 'mse' ? { type, target: target as Tensor } : { type, target: target as number[] }),
  title: l => (l.type === 'mse' ? 'mse' : 'cross-entropy'),
  plan(l, out) {
    if (l.type === 'mse') {
      checkTensor(l.target, 'target', 'mse');
      if (sizeOf(l.target.shape) !== sizeOf(out)) throw new EngineError('mse', { code: 'mse.target', args: { target: [...l.target.shape], output: [...out] } }, 'target');
    } else {
      checkClasses(out, l.target);
    }
    const cost = l.type === 'mse' ? elementCost(sizeOf(out), 3, words('costMse')) : softmaxCost(out);
    return { output: [1], tensors: [...(l.type === 'cross_entropy' ? [planned('probs', out)] : []), planned('delta', out)], geometry: geometry(l), cost };
  },
  forward(l, z) {
    const r = l.type === 'mse' ? mseLoss(z, l.target) : crossEntropyLoss(z, l.target);
    return { output: tensor([1], [r.value], z.dtype), cache: { value: r.value, delta: r.delta, probs: r.probs } };
  },
  record({ spec: l, input: z, output, cache }, _delta, _deltaSource, options) {
    const backward = options.backward ?? true;
    const axes = shapeAxes(z.shape);
    const target = l.type === 'mse' ? l.target : tensor([l.target.length], l.target, z.dtype);
    const tensors: Partial<Record<TensorName, TraceTensor>> = {
      z: recorded('z', z, axes, { key: `loss.z.${l.type}` }),
      target: recorded('target', target, l.type === 'mse' ? axes : ['B'], { key: `loss.target.${l.type}` }),
      loss: recorded('loss', output, ['C'], { key: `loss.value.${l.type}` }),
    };
    const probs = cache.probs as Tensor | undefined;
    const delta = cache.delta as Tensor;
    if (probs) tensors.probs = recorded('probs', probs, axes, { key: 'loss.probs' });
    if (backward) tensors.delta = recorded('delta', delta, axes, { key: 'loss.delta' });
    const stages = l.type === 'mse'
      ? [stage('loss', 'forward', 'Mean squared error', 'C = mean((z − target)²)', ['z', 'target'], ['loss']), stage('loss_grad', 'backward', 'The first δ', 'δ = 2·(z − target) / N', ['z', 'target'], ['delta'])]
      : [stage('loss', 'forward', 'Softmax and cross-entropy', 'p = softmax(z);  C = −mean_b log p[b, target[b]]', ['z', 'target'], ['probs', 'loss']),
        stage('loss_grad', 'backward', 'The first δ', 'δ = (p − onehot(target)) / B', ['probs', 'target'], ['delta'])];
    return { tensors, stages: passes(stages, backward), geometry: geometry(l), value: cache.value as number, ...(backward ? { deltaIn: delta } : {}) };
  },
};
