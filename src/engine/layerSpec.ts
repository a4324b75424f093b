// One layer of a network run as a spec of its own (*Save as Spec…*): its type and keys as its kind's module gives
// them back (`specKeys`), the input that entered it in the run, and the δ that reached it as the spec's "grad". A
// network of that one layer, traced, is that layer of the run: the same z and, with the δ, the same ∂C/∂input and
// ∂C/∂w. What is written where (files, JSON) is the spec reader's part (specReader/layerSpecFile.ts).

import { EngineError } from './errors';
import { layerSources } from './graph';
import { kindOf, networkInputOf } from './layerKinds';
import type { ParamValues } from './layerKinds/kind';
import type { LayerSpec } from './network';
import type { NetworkRun } from './networkRun';
import type { DType, Tensor } from './tensor';

export interface LayerAsSpec {
  /** The layer's type and its keys (tensors as Tensors: weights, bias, batchnorm's statistics). */
  layer: { type: LayerSpec['type'] } & ParamValues;
  /** What entered the layer in the run. */
  input: Tensor;
  /** The δ that reached its output in the run; absent when the run had no backward pass or no δ reached it. */
  grad?: Tensor;
  dtype: DType;
}

/** The layer `index` of `run` as a spec of its own; an EngineError for a layer that cannot be one (several inputs). */
export function layerAsSpec(run: NetworkRun, index: number): LayerAsSpec {
  const { problem } = run;
  if (!Number.isSafeInteger(index) || index < 0 || index >= problem.layers.length) throw new RangeError(`no layer ${index}: the network has ${problem.layers.length}`);
  const spec = problem.layers[index];
  const sources = layerSources(problem.layers)[index];
  const at = { index, type: spec.type, ...(spec.name ? { name: spec.name } : {}) };
  const keys = sources.length === 1 ? kindOf(spec).specKeys(spec) : undefined;
  if (!keys) throw new EngineError(spec.type, { code: 'layerSpec.inputs', args: { count: sources.length } }, 'inputs', at);
  const input = sources[0] === 'input' ? problem.input : run.outputs[sources[0]];
  // The spec reader reads the input at the rank its first layer's kind declares.
  const expected = networkInputOf(spec.type);
  if (input.shape.length !== expected.rank) {
    throw new EngineError(spec.type, { code: 'layerSpec.inputRank', args: { shape: [...input.shape], rank: expected.rank, axes: expected.axes } }, 'input', at);
  }
  const grad = run.gradients?.deltas[index];
  return { layer: { type: spec.type, ...keys }, input, ...(grad ? { grad } : {}), dtype: run.dtype };
}
