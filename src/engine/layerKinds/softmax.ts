// softmax as a layer, over the channel (feature) axis, as F.softmax(x, dim=1) for
// (B, C) and (B, C, H, W): shifted by the column's max so exp cannot overflow,
// normalized; backward δ_in = p ⊙ (δ − Σ_c δ·p). Counted 5 FLOPs per value: a
// comparison for the max, the shift, exp, an addition into the sum, the division.

import { EngineError } from '../errors';
import { Tensor, sizeOf, zeros } from '../tensor';
import { TensorName, TraceTensor, recorded } from '../trace';
import { elementCost } from './cost';
import { LayerKind, passes, planned, shapeAxes, stage } from './kind';
import type { SoftmaxInfo } from './softmaxView';
import { type LayerGeometry, words } from './view';

export interface SoftmaxLayer { type: 'softmax' }

/** The input seen as (B, C, rest): softmax runs along C for each (b, rest). */
const columns = (shape: readonly number[]) => ({ batch: shape[0], channels: shape[1], inner: sizeOf(shape.slice(2)) });
/** The shape of a per-column value: the channel axis kept with size 1, as keepdim=True. */
const reduced = (shape: readonly number[]) => [shape[0], 1, ...shape.slice(2)];

/** Visits each column (b, ·, rest): its offset of channel 0 and the step between channels. */
function eachColumn(shape: readonly number[], visit: (first: number, step: number, column: number) => void): void {
  const { batch: B, channels: C, inner: N } = columns(shape);
  for (let b = 0; b < B; b++) for (let i = 0; i < N; i++) visit(b * C * N + i, N, b * N + i);
}

function softmaxForward(z: Tensor): { zMax: Tensor; e: Tensor; eSum: Tensor; p: Tensor } {
  const { channels: C } = columns(z.shape);
  const zMax = zeros(reduced(z.shape), z.dtype);
  const eSum = zeros(reduced(z.shape), z.dtype);
  const e = zeros(z.shape, z.dtype);
  const p = zeros(z.shape, z.dtype);
  eachColumn(z.shape, (first, step, column) => {
    let m = -Infinity;
    for (let c = 0, at = first; c < C; c++, at += step) m = Math.max(m, z.data[at]);
    let s = 0;
    for (let c = 0, at = first; c < C; c++, at += step) s += (e.data[at] = Math.exp(z.data[at] - m));
    for (let c = 0, at = first; c < C; c++, at += step) p.data[at] = e.data[at] / s;
    zMax.data[column] = m;
    eSum.data[column] = s;
  });
  return { zMax, e, eSum, p };
}

/** s = Σ_c δ·p per column, and ∂C/∂z = p ⊙ (δ − s). */
export function softmaxBackward(delta: Tensor, p: Tensor): { dot: Tensor; dZ: Tensor } {
  const { channels: C } = columns(p.shape);
  const dot = zeros(reduced(p.shape), p.dtype);
  const dZ = zeros(p.shape, p.dtype);
  eachColumn(p.shape, (first, step, column) => {
    let s = 0;
    for (let c = 0, at = first; c < C; c++, at += step) s += delta.data[at] * p.data[at];
    for (let c = 0, at = first; c < C; c++, at += step) dZ.data[at] = p.data[at] * (delta.data[at] - s);
    dot.data[column] = s;
  });
  return { dot, dZ };
}

/** What the view reads (the plan's and the record's): the columns the softmax runs over. */
function geometry(shape: readonly number[]): LayerGeometry<'softmax', SoftmaxInfo> {
  const { batch, channels, inner } = columns(shape);
  return { kind: 'softmax', info: { batch, channels, inner } };
}

/** 5 FLOPs per value: the max's comparison, the shift, exp, the sum's addition and the division (cross-entropy's softmax too). */
export const softmaxCost = (shape: readonly number[]) => elementCost(sizeOf(shape), 5, words('costSoftmax'));

export const softmaxKind: LayerKind<SoftmaxLayer> = {
  summary: () => 'exp(z) / Σ_c exp(z) over the channels (dim 1), as F.softmax(x, dim=1): probabilities per batch item and position',
  params: () => ({}),
  build: () => ({ type: 'softmax' }),
  specKeys: () => ({}),
  title: () => 'softmax',
  plan(_l, x, backward) {
    if (x.length < 2) throw new EngineError('softmax', { code: 'flatten.rank', args: { shape: [...x] } }, 'input');
    const r = reduced(x);
    const tensors = [planned('z_max', r), planned('e', x), planned('e_sum', r), planned('p', x), ...(backward ? [planned('dot', r), planned('dZ', x)] : [])];
    return { output: [...x], tensors, geometry: geometry(x), cost: softmaxCost(x) };
  },
  forward(_l, x) {
    const { zMax, e, eSum, p } = softmaxForward(x);
    return { output: p, cache: { z_max: zMax, e, e_sum: eSum } };
  },
  backward: ({ output: p }, delta) => ({ deltaIn: softmaxBackward(delta, p).dZ, params: {} }),
  record({ input: x, output: p, cache }, delta) {
    const axes = shapeAxes(x.shape);
    const columnAxes = axes.map((a, d) => (d === 1 ? '1' : a));
    const tensors: Partial<Record<TensorName, TraceTensor>> = {
      z: recorded('z', x, axes, { key: 'softmax.z' }),
      z_max: recorded('z_max', cache.z_max as Tensor, columnAxes, { key: 'softmax.z_max' }),
      e: recorded('e', cache.e as Tensor, axes, { key: 'softmax.e' }),
      e_sum: recorded('e_sum', cache.e_sum as Tensor, columnAxes, { key: 'softmax.e_sum' }),
      p: recorded('p', p, axes, { key: 'softmax.p' }),
    };
    const bwd = delta && softmaxBackward(delta, p);
    if (delta && bwd) {
      tensors.delta = recorded('delta', delta, axes, { key: 'softmax.delta' });
      tensors.dot = recorded('dot', bwd.dot, columnAxes, { key: 'softmax.dot' });
      tensors.dZ = recorded('dZ', bwd.dZ, axes, { key: 'softmax.dZ' });
    }
    const stages = [
      stage('softmax_exp', 'forward', 'Shift by the max, exponentiate', 'z_max = max_c z;  e = exp(z − z_max)', ['z'], ['z_max', 'e']),
      stage('softmax_normalize', 'forward', 'Normalize', 'e_sum = Σ_c e;  p = e / e_sum', ['e'], ['e_sum', 'p']),
      stage('softmax_dot', 'backward', 'δ weighted by p', 'dot = Σ_c δ·p', ['delta', 'p'], ['dot']),
      stage('softmax_grad', 'backward', 'Through the softmax', '∂C/∂z = p ⊙ (δ − dot)', ['delta', 'p', 'dot'], ['dZ']),
    ];
    return { tensors, stages: passes(stages, delta !== undefined), geometry: geometry(x.shape), deltaIn: bwd?.dZ };
  },
};
