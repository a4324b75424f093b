// Max and average pooling as layers, the im2col way: windows unfolded into
// pool_t, reduced (with an argmax for max), δ routed back and added up by col2im.
// A window of kh·kw taps (padding included) costs kh·kw − 1 comparisons (max) or
// kh·kw − 1 additions and a division (average); nothing is learned.

import { PoolForward, PoolInfo, PoolOptions, poolBackward, poolForward, poolForwardByWindows, poolInfo, poolInputGrad, poolOutput } from '../layers';
import { Tensor } from '../tensor';
import { TensorName, TraceTensor, recorded } from '../trace';
import { elementCost } from './cost';
import { fieldsAsKeys, LayerKind, passes, planned, stage } from './kind';
import { words } from './view';

export interface PoolLayer { type: 'maxpool2d' | 'avgpool2d'; options: PoolOptions }

export const poolKind: LayerKind<PoolLayer> = {
  summary: type => (type === 'maxpool2d' ? 'the maximum of each window (argmax kept; on ties the first)' : 'the mean of each window'),
  params: type => ({
    kernel: { read: 'intOrPair', required: true, doc: 'The pooling window: an integer, or [kh, kw].' },
    stride: { read: 'intOrPair', doc: 'Step of the window: an integer, or [sh, sw]. Default: the kernel.' },
    padding: {
      read: 'asWritten', schema: { anyOf: [{ $ref: '#/definitions/pair0' }, { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 4, maxItems: 4 }] },
      doc: 'Padding: an integer or [ph, pw] on each side, at most half the kernel (PyTorch\'s rule), or [top, bottom, left, right], '
        + 'each under the kernel (ONNX\'s pads, which may differ; an average that counts its padding takes any). Max pooling pads with −∞, average pooling with 0.',
    },
    ceil_mode: { read: 'boolean', doc: 'Round the output size up, as PyTorch\'s ceil_mode (a last window must start inside the input or its top or left padding).' },
    ...(type === 'avgpool2d' ? {
      count_include_pad: {
        read: 'boolean',
        doc: 'Whether the mean counts the padding\'s zeros, as PyTorch\'s count_include_pad: true (the default) divides by the window\'s taps inside the padded input, '
          + 'false by those inside the input alone (ONNX\'s default).',
      },
    } : {}),
    // As PyTorch: average pooling has no dilation.
    ...(type === 'maxpool2d' ? { dilation: { read: 'intOrPair', doc: 'Spacing of the window\'s taps: an integer, or [dh, dw]. Default 1. A window whose taps all miss the input (a dilation wider than it) is refused.' } } : {}),
  }),
  build: (type, { kernel, stride, padding, dilation, ceil_mode, count_include_pad }) => ({
    type, options: { kernel, stride, padding, dilation, ceilMode: ceil_mode === true, ...(count_include_pad === false ? { countIncludePad: false } : {}) } as PoolOptions,
  }),
  specKeys: l => fieldsAsKeys({ ...l.options, ceil_mode: l.options.ceilMode, count_include_pad: l.options.countIncludePad }, Object.keys(poolKind.params(l.type))),
  title(l) {
    const k = typeof l.options.kernel === 'number' ? [l.options.kernel, l.options.kernel] : l.options.kernel;
    return `${l.type} ${k[0]}×${k[1]}`;
  },
  plan(l, x, backward) {
    const p = poolInfo(l.type === 'maxpool2d' ? 'max' : 'avg', x, l.options);
    const { batch: B, channels: C, paddedHeight: Hp, paddedWidth: Wp, outHeight: Ho, outWidth: Wo, kernelHeight: kh, kernelWidth: kw } = p;
    const z = [B, C, Ho, Wo];
    const tensors = [planned('a', [B, C, Hp, Wp]), planned('pool_t', [B, C, Ho * Wo, kh * kw]), planned('window_index', [Ho * Wo, kh * kw]), planned('z', z),
      p.kind === 'max' ? planned('argmax', z) : planned('divisor', [Ho, Wo])];
    if (backward) tensors.push(planned('dpool_t', [B, C, Ho * Wo, kh * kw]), planned('col2im_plane', [Hp, Wp]), planned('dA', x));
    const window = kh * kw;
    const outputs = B * C * Ho * Wo;
    const cost = p.kind === 'max' ? elementCost(outputs, window - 1, words('costMaxPool', window - 1)) : elementCost(outputs, window, words('costAvgPool', window - 1));
    return { output: z, tensors, geometry: { kind: 'pool', info: p }, cost };
  },
  // The backward pass needs the argmax (max) or the divisors (average) alone.
  forward(_l, x, plan) {
    const p = plan.geometry.info as PoolInfo;
    const f = poolOutput(x, p);
    return { output: f.z, cache: { info: p, argmax: f.argmax, divisor: f.divisor } };
  },
  // A trace shows a and pool_t: z is reduced from pool_t (poolOutput's bits), and record takes them all.
  traceForward(_l, x, plan) {
    const p = plan.geometry.info as PoolInfo;
    const f = poolForwardByWindows(x, p);
    return { output: f.z, cache: { info: p, argmax: f.argmax, divisor: f.divisor, a: f.a, pool_t: f.pool_t } };
  },
  backward({ cache }, delta) {
    return { deltaIn: poolInputGrad(delta, routesOf(cache), cache.info as PoolInfo), params: {} };
  },
  record({ input: x, output, cache }, delta) {
    const p = cache.info as PoolInfo;
    // What the forward pass made (a network's trace: all of it; a run: the output and routes) is not made again.
    const routes = routesOf(cache);
    const [a, pool_t] = [cache.a as Tensor | undefined, cache.pool_t as Tensor | undefined];
    const fwd: PoolForward = a && pool_t ? { a, pool_t, z: output, ...routes } : poolForward(x, p, routes.argmax || routes.divisor ? { z: output, ...routes } : undefined);
    const isMax = p.kind === 'max';
    const tensors: Partial<Record<TensorName, TraceTensor>> = {
      input: recorded('input', x, ['B', 'C', 'H', 'W'], { key: 'layer.input' }),
      a: recorded('a', fwd.a, ['B', 'C', 'Hp', 'Wp'], { key: `pool.a.${p.kind}` }),
      pool_t: recorded('pool_t', fwd.pool_t, ['B', 'C', 'Hout·Wout', 'kh·kw'], { key: 'pool.pool_t' }),
      z: recorded('z', output, ['B', 'C', 'Hout', 'Wout'], { key: `pool.z.${p.kind}` }),
    };
    if (fwd.argmax) tensors.argmax = recorded('argmax', fwd.argmax, ['B', 'C', 'Hout', 'Wout'], { key: 'pool.argmax' });
    const bwd = delta && poolBackward(delta, fwd, p);
    if (delta && bwd) {
      tensors.delta = recorded('delta', delta, ['B', 'C', 'Hout', 'Wout'], { key: 'pool.delta' });
      tensors.dpool_t = recorded('dpool_t', bwd.dpool_t, ['B', 'C', 'Hout·Wout', 'kh·kw'], { key: `pool.dpool_t.${p.kind}` });
      tensors.dA = recorded('dA', bwd.dA, ['B', 'C', 'H', 'W'], { key: 'pool.dA' });
    }
    const divisor = p.countIncludePad ? 'window size' : 'taps inside the input';
    const reduce = isMax ? 'z = pool_t.max(axis=-1); argmax = its first index' : `z = pool_t.sum(axis=-1) / ${divisor}`;
    const stages = [
      stage('pool_pad', 'forward', 'Pad', isMax ? 'a = pad(input, −∞)' : 'a = pad(input, 0)', ['input'], ['a']),
      stage('pool_unfold', 'forward', 'Unfold the windows', 'pool_t = im2col(a), one channel at a time', ['a'], ['pool_t']),
      stage('pool_reduce', 'forward', isMax ? 'Max of each window' : 'Mean of each window', reduce, ['pool_t'], isMax ? ['z', 'argmax'] : ['z']),
      stage('pool_route', 'backward', isMax ? 'Route δ to the argmax' : 'Spread δ over the window', isMax ? 'dpool_t[r, argmax[r]] = δ[r], 0 elsewhere' : `dpool_t[r, :] = δ[r] / ${divisor}`, isMax ? ['delta', 'argmax'] : ['delta'], ['dpool_t']),
      stage('pool_col2im', 'backward', 'col2im', '∂C/∂input = crop(col2im(dpool_t))', ['dpool_t'], ['dA']),
    ];
    return { tensors, stages: passes(stages, delta !== undefined), geometry: { kind: 'pool', info: p }, deltaIn: bwd?.dA };
  },
};

/** What the forward pass kept for the backward one: the argmax (max) or the divisors (average). */
function routesOf(cache: Record<string, unknown>): { argmax?: Tensor; divisor?: Tensor } {
  return { argmax: cache.argmax as Tensor | undefined, divisor: cache.divisor as Tensor | undefined };
}
