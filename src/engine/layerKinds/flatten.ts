// flatten as a layer: the same values, one row per batch item; δ reshaped back. Its sibling
// reshape keeps the batch axis and gives the rest a shape of the same size, as
// x.view(b, c, 1, 1) does after a squeeze-and-excitation block's linear layers.
// Both compute nothing: 0 FLOPs, nothing learned.

import { EngineError } from '../errors';
import { unflatten } from '../layers';
import { formatShape, sizeOf } from '../tensor';
import { TensorName, TraceTensor, recorded } from '../trace';
import { NO_COST } from './cost';
import type { FlattenInfo } from './flattenView';
import { fieldsAsKeys, LayerKind, LayerParam, passes, planned, shapeAxes, stage } from './kind';
import type { LayerGeometry } from './view';

export type FlattenLayer = { type: 'flatten' } | { type: 'reshape'; shape: readonly number[] };

const RESHAPE_PARAMS: Record<string, LayerParam> = {
  shape: {
    read: 'asWritten', schema: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1 },
    doc: 'The shape after the batch axis, of as many values as the input has per batch item: [C, 1, 1] makes (B, C) a (B, C, 1, 1), as x.view(b, c, 1, 1).',
  },
};

/** The output's shape: (B, features), or (B, ...shape) with its size checked. */
function outputShape(l: FlattenLayer, x: readonly number[]): number[] {
  if (x.length < (l.type === 'flatten' ? 2 : 1)) throw new EngineError(l.type, { code: 'flatten.rank', args: { shape: [...x] } });
  if (l.type === 'flatten') return [x[0], sizeOf(x.slice(1))];
  const valid = Array.isArray(l.shape) && l.shape.length >= 1 && l.shape.every(d => Number.isSafeInteger(d) && d >= 1);
  if (!valid || sizeOf(l.shape) !== sizeOf(x.slice(1))) throw new EngineError(l.type, { code: 'reshape.size', args: { shape: valid ? [...l.shape] : [], input: [...x] } }, 'shape');
  return [x[0], ...l.shape];
}

const geometry = (l: FlattenLayer): LayerGeometry<'flatten', FlattenInfo> => ({ kind: 'flatten', info: l.type === 'reshape' ? { reshape: true } : {} });

export const flattenKind: LayerKind<FlattenLayer> = {
  summary: type => (type === 'reshape' ? '(B, ...) → (B, ...shape), the same values: x.view(b, c, 1, 1)' : '(B, C, H, W) → (B, C·H·W)'),
  params: type => (type === 'reshape' ? RESHAPE_PARAMS : {}),
  build: (type, v) => (type === 'reshape' ? { type, shape: v.shape as number[] } : { type: 'flatten' }),
  specKeys: l => fieldsAsKeys(l, Object.keys(flattenKind.params(l.type))),
  title: l => (l.type === 'reshape' ? `reshape to (B, ${l.shape.join(', ')})` : 'flatten'),
  plan(l, x, backward) {
    const z = outputShape(l, x);
    return { output: z, tensors: [planned('z', z), ...(backward ? [planned('dA', x)] : [])], geometry: geometry(l), cost: NO_COST };
  },
  forward: (l, x) => ({ output: unflatten(x, outputShape(l, x.shape)), cache: {} }),
  backward: ({ input: x }, delta) => ({ deltaIn: unflatten(delta, x.shape), params: {} }),
  record({ spec: l, input: x, output }, delta) {
    const zAxes = l.type === 'flatten' ? ['B', 'features'] : shapeAxes(output.shape);
    const tensors: Partial<Record<TensorName, TraceTensor>> = {
      input: recorded('input', x, shapeAxes(x.shape), { key: 'layer.input' }),
      z: recorded('z', output, zAxes, { key: 'flatten.z' }),
    };
    const dA = delta && unflatten(delta, x.shape);
    if (delta && dA) {
      tensors.delta = recorded('delta', delta, zAxes, { key: 'flatten.delta' });
      tensors.dA = recorded('dA', dA, shapeAxes(x.shape), { key: 'flatten.dA' });
    }
    const stages = [
      stage('flatten', 'forward', l.type === 'flatten' ? 'Flatten' : 'Reshape', `z = input.reshape(B, ${output.shape.slice(1).join(', ')})`, ['input'], ['z']),
      stage('unflatten', 'backward', 'Unflatten δ', `∂C/∂input = δ.reshape(${formatShape(x.shape)})`, ['delta'], ['dA']),
    ];
    return { tensors, stages: passes(stages, delta !== undefined), geometry: geometry(l), deltaIn: dA };
  },
};
