// Global average pooling as a layer: (B, C, H, W) → (B, C, 1, 1), each channel's
// plane averaged, as F.adaptive_avg_pool2d(x, 1); δ spread back evenly over the plane.
// adaptive_avg_pool2d takes output_size 1 only: the models this product imports use
// it as global pooling, and other sizes are refused, naming the size. A plane of
// H·W values costs H·W − 1 additions and a division, as average pooling counts. global_avg_pool2d with
// `keepdim: false` drops the two unit axes, (B, C), as x.mean((2, 3)) (ONNX's ReduceMean with keepdims 0).

import type { Pair } from '../convInfo';
import { EngineError } from '../errors';
import { Tensor, zeros } from '../tensor';
import { TensorName, TraceTensor, recorded } from '../trace';
import { elementCost } from './cost';
import { fieldsAsKeys, LayerKind, LayerParam, passes, planned, stage } from './kind';
import type { GlobalPoolInfo } from './globalPoolView';
import { type LayerGeometry, words } from './view';

export type GlobalPoolLayer = { type: 'global_avg_pool2d'; keepdim?: boolean } | { type: 'adaptive_avg_pool2d'; output_size: number | Pair };

const AXES = ['B', 'C', 'H', 'W'];

const ADAPTIVE_PARAMS: Record<string, LayerParam> = {
  output_size: {
    read: 'intOrPair', required: true,
    doc: 'The output\'s (H, W): 1 or [1, 1], global average pooling (the only size the models this product imports use; others are refused).',
  },
};

const GLOBAL_PARAMS: Record<string, LayerParam> = {
  keepdim: { read: 'boolean', doc: 'Keep the unit H and W axes: (B, C, 1, 1), the default; false gives (B, C), as x.mean((2, 3)).' },
};

/** The output's shape: (B, C, 1, 1), or (B, C) without keepdim. */
const pooledShape = (l: GlobalPoolLayer, [b, c]: readonly number[]) => (l.type === 'global_avg_pool2d' && l.keepdim === false ? [b, c] : [b, c, 1, 1]);

const isOne = (size: number | Pair) => (typeof size === 'number' ? size === 1 : size[0] === 1 && size[1] === 1);

/** Each (b, c) plane's mean. */
function planeMeans(x: Tensor, out: readonly number[]): Tensor {
  const [B, C, H, W] = x.shape;
  const n = H * W;
  const z = zeros(out, x.dtype);
  for (let bc = 0; bc < B * C; bc++) {
    let s = 0;
    for (let at = bc * n; at < (bc + 1) * n; at++) s += x.data[at];
    z.data[bc] = s / n;
  }
  return z;
}

/** ∂C/∂input = δ[b, c] / (H·W) on every pixel of plane (b, c). */
function spread(delta: Tensor, shape: readonly number[]): Tensor {
  const [B, C, H, W] = shape;
  const n = H * W;
  const dA = zeros(shape, delta.dtype);
  for (let bc = 0; bc < B * C; bc++) dA.data.fill(delta.data[bc] / n, bc * n, (bc + 1) * n);
  return dA;
}

/** What the view reads (the plan's and the record's): the planes averaged. */
function geometry(l: GlobalPoolLayer, [batch, channels, height, width]: readonly number[]): LayerGeometry<'globalPool', GlobalPoolInfo> {
  const flat = l.type === 'global_avg_pool2d' && l.keepdim === false ? { keepdim: false as const } : {};
  return { kind: 'globalPool', info: { batch, channels, height, width, adaptive: l.type === 'adaptive_avg_pool2d', ...flat } };
}

export const globalPoolKind: LayerKind<GlobalPoolLayer> = {
  summary: type => (type === 'global_avg_pool2d'
    ? 'each channel\'s mean over (H, W): (B, C, H, W) → (B, C, 1, 1)'
    : 'as F.adaptive_avg_pool2d with output_size 1: each channel\'s mean, (B, C, H, W) → (B, C, 1, 1)'),
  params: type => (type === 'adaptive_avg_pool2d' ? ADAPTIVE_PARAMS : GLOBAL_PARAMS),
  build: (type, { output_size, keepdim }) => (type === 'adaptive_avg_pool2d'
    ? { type, output_size: output_size as number | Pair }
    : { type, ...(keepdim === false ? { keepdim } : {}) }),
  specKeys: l => fieldsAsKeys(l, Object.keys(globalPoolKind.params(l.type))),
  title: l => (l.type === 'adaptive_avg_pool2d' ? 'adaptive_avg_pool2d 1×1' : l.keepdim === false ? 'global_avg_pool2d (B, C)' : 'global_avg_pool2d'),
  plan(l, x, backward) {
    if (l.type === 'adaptive_avg_pool2d' && !isOne(l.output_size)) {
      const size = typeof l.output_size === 'number' ? [l.output_size] : [...l.output_size];
      throw new EngineError(l.type, { code: 'adaptivePool.size', args: { size } }, 'output_size');
    }
    if (x.length !== 4) throw new EngineError(l.type, { code: 'layer.inputRank', args: { rank: 4, axes: '(B, C, H, W)', shape: [...x] } }, 'input');
    const z = pooledShape(l, x);
    const plane = x[2] * x[3];
    const cost = elementCost(x[0] * x[1], plane, words('costAvgPool', plane - 1));
    return { output: z, tensors: [planned('z', z), ...(backward ? [planned('dA', x)] : [])], geometry: geometry(l, x), cost };
  },
  forward: (l, x) => ({ output: planeMeans(x, pooledShape(l, x.shape)), cache: {} }),
  backward: ({ input: x }, delta) => ({ deltaIn: spread(delta, x.shape), params: {} }),
  record({ spec: l, input: x, output }, delta) {
    const [, , H, W] = x.shape;
    const tensors: Partial<Record<TensorName, TraceTensor>> = {
      input: recorded('input', x, AXES, { key: 'layer.input' }),
      z: recorded('z', output, AXES.slice(0, output.shape.length), { key: 'globalPool.z' }),
    };
    const dA = delta && spread(delta, x.shape);
    if (delta && dA) {
      tensors.delta = recorded('delta', delta, AXES.slice(0, delta.shape.length), { key: 'globalPool.delta' });
      tensors.dA = recorded('dA', dA, AXES, { key: 'globalPool.dA' });
    }
    const stages = [
      stage('gap_mean', 'forward', 'Mean of each plane', `z[b, c] = Σ_(y, x) input[b, c, y, x] / ${H * W}`, ['input'], ['z']),
      stage('gap_spread', 'backward', 'Spread δ over the plane', `∂C/∂input[b, c, y, x] = δ[b, c] / ${H * W}`, ['delta'], ['dA']),
    ];
    return { tensors, stages: passes(stages, delta !== undefined), geometry: geometry(l, x.shape), deltaIn: dA };
  },
};
