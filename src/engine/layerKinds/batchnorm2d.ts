// batchnorm2d as a layer, as torch.nn.BatchNorm2d: z = γ·(x − mean)/√(var + eps) + β per
// channel. In eval mode mean and var are the running statistics; in train mode
// they are the batch's (var biased), and the running statistics are updated.
// Counted per value: 4 FLOPs to normalize, scale and shift ((x − mean)·1/√(var + eps)·γ + β),
// and in train mode 4 more for the batch statistics (an addition for the mean; a
// subtraction, a square and an addition for the variance); per-channel work is not
// counted. γ and β are learned (2·C parameters, as BatchNorm2d's affine default);
// the running statistics are buffers, not parameters.

import { EngineError } from '../errors';
import { Tensor, checkTensor, filled, zeros } from '../tensor';
import { TensorName, TraceTensor, recorded } from '../trace';
import { elementCost } from './cost';
import { fieldsAsKeys, ForwardCache, LayerKind, passes, planned, stage } from './kind';
import type { BatchNormInfo } from './batchnorm2dView';
import { type LayerGeometry, words } from './view';

export interface BatchNormLayer {
  type: 'batchnorm2d';
  /** γ, β and the running statistics, (C,) each; left out, they are PyTorch's initial ones (1, 0, 0, 1). */
  weight?: Tensor; bias?: Tensor; running_mean?: Tensor; running_var?: Tensor;
  eps: number; momentum: number; training: boolean;
}

const CHANNEL_KEYS = ['weight', 'bias', 'running_mean', 'running_var'] as const;
const AXES = ['B', 'C', 'H', 'W'];

function geometry(l: BatchNormLayer, [B, C, H, W]: readonly number[]): LayerGeometry<'batchnorm2d', BatchNormInfo> {
  return { kind: 'batchnorm2d', info: { training: l.training, eps: l.eps, momentum: l.momentum, batch: B, channels: C, height: H, width: W } };
}

export const batchnorm2dKind: LayerKind<BatchNormLayer> = {
  summary: () => 'per channel, z = γ·(x − mean)/√(var + eps) + β, as torch.nn.BatchNorm2d',
  params: () => ({
    weight: { read: 'tensor', rank: 1, axes: '(C,)', doc: 'γ, shape (C,): each channel\'s scale. Default all ones.' },
    bias: { read: 'tensor', rank: 1, axes: '(C,)', doc: 'β, shape (C,): each channel\'s shift. Default all zeros.' },
    running_mean: { read: 'tensor', rank: 1, axes: '(C,)', doc: 'The running mean, shape (C,): what eval mode normalizes with. Default all zeros.' },
    running_var: { read: 'tensor', rank: 1, axes: '(C,)', doc: 'The running variance, shape (C,): what eval mode normalizes with. Default all ones.' },
    eps: { read: 'number', doc: 'Added to the variance before the square root. Default 1e-5.' },
    momentum: {
      read: 'number',
      doc: 'How far train mode moves the running statistics towards the batch\'s: running = (1 − momentum)·running + momentum·batch. Default 0.1.',
    },
    training: {
      read: 'boolean',
      doc: 'Train mode: normalize with the batch\'s statistics (and update the running ones), as module.train(). Default false: eval mode, the running statistics.',
    },
  }),
  // eps, momentum and the mode default to PyTorch's (a module in eval mode, as a trained network runs).
  build: (_type, v) => ({
    type: 'batchnorm2d', weight: v.weight as Tensor | undefined, bias: v.bias as Tensor | undefined,
    running_mean: v.running_mean as Tensor | undefined, running_var: v.running_var as Tensor | undefined,
    eps: (v.eps as number | undefined) ?? 1e-5, momentum: (v.momentum as number | undefined) ?? 0.1, training: v.training === true,
  }),
  specKeys: l => fieldsAsKeys(l, Object.keys(batchnorm2dKind.params(l.type))),
  title: l => `batchnorm2d ${l.training ? 'train' : 'eval'}`,
  plan(l, x, backward) {
    if (x.length !== 4) throw new EngineError('batchnorm2d', { code: 'layer.inputRank', args: { rank: 4, axes: '(B, C, H, W)', shape: [...x] } }, 'input');
    const [B, C, H, W] = x;
    for (const key of CHANNEL_KEYS) {
      const t = l[key];
      if (!t) continue;
      checkTensor(t, key, 'batchnorm2d');
      if (t.shape.length !== 1 || t.shape[0] !== C) throw new EngineError('batchnorm2d', { code: 'batchnorm.channels', args: { key, channels: C, shape: [...t.shape] } }, key);
    }
    // As PyTorch: the unbiased variance of the running update needs two values per channel.
    if (l.training && B * H * W < 2) throw new EngineError('batchnorm2d', { code: 'batchnorm.oneValue', args: { shape: [...x] } }, 'input');
    const c = [C];
    const tensors = [planned('mean', c), planned('var', c), planned('weight', c), planned('bias', c), planned('x_hat', x), planned('z', x),
      ...(l.training ? [planned('running_mean', c), planned('running_var', c)] : [])];
    if (backward) tensors.push(planned('dA', x), planned('dgamma', c), planned('dbeta', c));
    const cost = { ...elementCost(B * C * H * W, l.training ? 8 : 4, words(l.training ? 'costBatchnormTrain' : 'costBatchnormEval')), params: 2 * C };
    return { output: [...x], tensors, geometry: geometry(l, x), cost };
  },
  forward(l, x) {
    const [B, C, H, W] = x.shape;
    const weight = l.weight ?? filled([C], 1, x.dtype);
    const bias = l.bias ?? filled([C], 0, x.dtype);
    const stats = l.training ? batchStats(x) : { mean: l.running_mean ?? filled([C], 0, x.dtype), var: l.running_var ?? filled([C], 1, x.dtype) };
    const xHat = zeros(x.shape, x.dtype);
    const z = zeros(x.shape, x.dtype);
    const plane = H * W;
    for (let b = 0; b < B; b++) for (let ch = 0; ch < C; ch++) {
      const inv = 1 / Math.sqrt(stats.var.data[ch] + l.eps);
      for (let p = 0, at = (b * C + ch) * plane; p < plane; p++, at++) {
        xHat.data[at] = (x.data[at] - stats.mean.data[ch]) * inv;
        z.data[at] = weight.data[ch] * xHat.data[at] + bias.data[ch];
      }
    }
    const cache: ForwardCache = { weight, bias, mean: stats.mean, var: stats.var, x_hat: xHat };
    if (l.training) Object.assign(cache, runningUpdate(l, stats, B * plane, x.dtype));
    return { output: z, cache };
  },
  backward({ spec: l, cache }, delta) {
    const g = batchNormBackward(delta, cache.x_hat as Tensor, cache.weight as Tensor, cache.var as Tensor, l);
    return { deltaIn: g.dA, params: { weight: g.dgamma, bias: g.dbeta } };
  },
  record({ spec: l, input: x, output, cache }, delta) {
    const [weight, bias, mean, variance, xHat] = ['weight', 'bias', 'mean', 'var', 'x_hat'].map(k => cache[k] as Tensor);
    const mode = l.training ? 'train' : 'eval';
    const tensors: Partial<Record<TensorName, TraceTensor>> = {
      input: recorded('input', x, AXES, { key: 'layer.input' }),
      mean: recorded('mean', mean, ['C'], { key: `batchnorm.mean.${mode}` }),
      var: recorded('var', variance, ['C'], { key: `batchnorm.var.${mode}` }),
      x_hat: recorded('x_hat', xHat, AXES, { key: 'batchnorm.x_hat', args: { eps: l.eps } }),
      weight: recorded('weight', weight, ['C'], { key: 'batchnorm.weight' }),
      bias: recorded('bias', bias, ['C'], { key: 'batchnorm.bias' }),
      z: recorded('z', output, AXES, { key: 'batchnorm.z' }),
    };
    if (l.training) {
      tensors.running_mean = recorded('running_mean', cache.running_mean as Tensor, ['C'], { key: 'batchnorm.running_mean', args: { momentum: l.momentum } });
      tensors.running_var = recorded('running_var', cache.running_var as Tensor, ['C'], { key: 'batchnorm.running_var', args: { momentum: l.momentum } });
    }
    const g = delta && batchNormBackward(delta, xHat, weight, variance, l);
    if (delta && g) {
      tensors.delta = recorded('delta', delta, AXES, { key: 'batchnorm.delta' });
      tensors.dgamma = recorded('dgamma', g.dgamma, ['C'], { key: 'batchnorm.dgamma' });
      tensors.dbeta = recorded('dbeta', g.dbeta, ['C'], { key: 'batchnorm.dbeta' });
      tensors.dA = recorded('dA', g.dA, AXES, { key: `batchnorm.dA.${mode}` });
    }
    const stats = l.training
      ? stage('bn_stats', 'forward', 'Batch statistics', 'mean, var = input.mean/var(axis=(B, H, W)); running stats updated with momentum', ['input'], ['mean', 'var', 'running_mean', 'running_var'])
      : stage('bn_stats', 'forward', 'Running statistics', 'mean, var = running_mean, running_var', [], ['mean', 'var']);
    const stages = [
      stats,
      stage('bn_normalize', 'forward', 'Normalize', 'x_hat = (input − mean[c]) / √(var[c] + eps)', ['input', 'mean', 'var'], ['x_hat']),
      stage('bn_affine', 'forward', 'Scale and shift', 'z = γ[c]·x_hat + β[c]', ['x_hat', 'weight', 'bias'], ['z']),
      stage('bn_grad_params', 'backward', 'Gradients of γ and β', '∂C/∂γ = Σ δ·x_hat;  ∂C/∂β = Σ δ  (over B, H, W)', ['delta', 'x_hat'], ['dgamma', 'dbeta']),
      l.training
        ? stage('bn_grad_input', 'backward', 'Gradient of the input', '∂C/∂input = γ/(N·√(var + eps))·(N·δ − ∂C/∂β − x_hat·∂C/∂γ)', ['delta', 'x_hat', 'weight', 'var', 'dgamma', 'dbeta'], ['dA'])
        : stage('bn_grad_input', 'backward', 'Gradient of the input', '∂C/∂input = γ/√(var + eps)·δ', ['delta', 'weight', 'var'], ['dA']),
    ];
    return { tensors, stages: passes(stages, delta !== undefined), geometry: geometry(l, x.shape), deltaIn: g?.dA };
  },
};

/** Each channel's mean and biased variance over (B, H, W): what train mode normalizes with. */
function batchStats(x: Tensor): { mean: Tensor; var: Tensor } {
  const [B, C, H, W] = x.shape;
  const plane = H * W;
  const n = B * plane;
  const mean = zeros([C], x.dtype);
  const variance = zeros([C], x.dtype);
  for (let ch = 0; ch < C; ch++) {
    let s = 0;
    for (let b = 0; b < B; b++) for (let p = 0, at = (b * C + ch) * plane; p < plane; p++, at++) s += x.data[at];
    const m = s / n;
    // Two passes: the squared deviations, not E[x²] − m², which cancels badly.
    let q = 0;
    for (let b = 0; b < B; b++) for (let p = 0, at = (b * C + ch) * plane; p < plane; p++, at++) q += (x.data[at] - m) ** 2;
    mean.data[ch] = m;
    variance.data[ch] = q / n;
  }
  return { mean, var: variance };
}

/** PyTorch's update: running = (1 − momentum)·running + momentum·batch, the variance unbiased (n / (n − 1)). */
function runningUpdate(l: BatchNormLayer, stats: { mean: Tensor; var: Tensor }, n: number, dtype: Tensor['dtype']): { running_mean: Tensor; running_var: Tensor } {
  const C = stats.mean.shape[0];
  const runningMean = zeros([C], dtype);
  const runningVar = zeros([C], dtype);
  for (let ch = 0; ch < C; ch++) {
    const oldMean = l.running_mean ? l.running_mean.data[ch] : 0;
    const oldVar = l.running_var ? l.running_var.data[ch] : 1;
    runningMean.data[ch] = (1 - l.momentum) * oldMean + l.momentum * stats.mean.data[ch];
    runningVar.data[ch] = (1 - l.momentum) * oldVar + l.momentum * stats.var.data[ch] * n / (n - 1);
  }
  return { running_mean: runningMean, running_var: runningVar };
}

/**
 * ∂C/∂γ, ∂C/∂β and ∂C/∂input. In eval mode the statistics are constants: ∂C/∂input = γ/√(var + eps)·δ.
 * In train mode they depend on the input, which adds the two terms through the mean and the variance.
 */
export function batchNormBackward(delta: Tensor, xHat: Tensor, weight: Tensor, variance: Tensor, l: Pick<BatchNormLayer, 'eps' | 'training'>): { dA: Tensor; dgamma: Tensor; dbeta: Tensor } {
  const [B, C, H, W] = delta.shape;
  const plane = H * W;
  const n = B * plane;
  const dgamma = zeros([C], delta.dtype);
  const dbeta = zeros([C], delta.dtype);
  const dA = zeros(delta.shape, delta.dtype);
  for (let ch = 0; ch < C; ch++) {
    let sg = 0;
    let sb = 0;
    for (let b = 0; b < B; b++) for (let p = 0, at = (b * C + ch) * plane; p < plane; p++, at++) {
      sg += delta.data[at] * xHat.data[at];
      sb += delta.data[at];
    }
    dgamma.data[ch] = sg;
    dbeta.data[ch] = sb;
    const scale = weight.data[ch] / Math.sqrt(variance.data[ch] + l.eps);
    for (let b = 0; b < B; b++) for (let p = 0, at = (b * C + ch) * plane; p < plane; p++, at++) {
      dA.data[at] = l.training ? scale * (delta.data[at] - (sb + xHat.data[at] * sg) / n) : scale * delta.data[at];
    }
  }
  return { dA, dgamma, dbeta };
}
