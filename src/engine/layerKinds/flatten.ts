// flatten as a layer: the same values, one row per batch item; δ reshaped back.
// It computes nothing: 0 FLOPs, nothing learned.

import { EngineError } from '../errors';
import { flatten, unflatten } from '../layers';
import { formatShape, sizeOf } from '../tensor';
import { TensorName, TraceTensor, recorded } from '../trace';
import { NO_COST } from './cost';
import { LayerKind, passes, planned, shapeAxes, stage } from './kind';

export interface FlattenLayer { type: 'flatten' }

export const flattenKind: LayerKind<FlattenLayer> = {
  summary: () => '(B, C, H, W) → (B, C·H·W)',
  params: () => ({}),
  build: type => ({ type }),
  title: () => 'flatten',
  plan(_l, x, backward) {
    if (x.length < 2) throw new EngineError('flatten', { code: 'flatten.rank', args: { shape: [...x] } });
    const z = [x[0], sizeOf(x.slice(1))];
    return { output: z, tensors: [planned('z', z), ...(backward ? [planned('dA', x)] : [])], geometry: { kind: 'flatten' }, cost: NO_COST };
  },
  forward: (_l, x) => ({ output: flatten(x), cache: {} }),
  backward: ({ input: x }, delta) => ({ deltaIn: unflatten(delta, x.shape), params: {} }),
  record({ input: x, output }, delta) {
    const tensors: Partial<Record<TensorName, TraceTensor>> = {
      input: recorded('input', x, shapeAxes(x.shape), { key: 'layer.input' }),
      z: recorded('z', output, ['B', 'features'], { key: 'flatten.z' }),
    };
    const dA = delta && unflatten(delta, x.shape);
    if (delta && dA) {
      tensors.delta = recorded('delta', delta, ['B', 'features'], { key: 'flatten.delta' });
      tensors.dA = recorded('dA', dA, shapeAxes(x.shape), { key: 'flatten.dA' });
    }
    const stages = [
      stage('flatten', 'forward', 'Flatten', `z = input.reshape(B, ${output.shape[1]})`, ['input'], ['z']),
      stage('unflatten', 'backward', 'Unflatten δ', `∂C/∂input = δ.reshape(${formatShape(x.shape)})`, ['delta'], ['dA']),
    ];
    return { tensors, stages: passes(stages, delta !== undefined), geometry: { kind: 'flatten' }, deltaIn: dA };
  },
};
