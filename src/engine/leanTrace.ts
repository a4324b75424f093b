// A network run (networkRun.ts) as a network trace whose layers are not traced yet: each layer keeps its
// place (title, shapes, geometry, cost, where its δ came from) and only the values the run kept of it (its
// inputs and output, its δ), with no stage. What the panel's first screen
// reads (the chain, the gallery); a layer opened is traced alone (traceRunLayer) and replaces its shell.
// The tensors are copies, the loss's too: the run keeps its own, to trace layers from.

import type { About } from './about';
import { layerSources } from './graph';
import { viewOf } from './layerKinds/views';
import { LayerTrace, NetworkTrace } from './network';
import { layerTitle } from './networkPlan';
import type { NetworkRun } from './networkRun';
import { type Tensor, type TensorData, copyOf } from './tensor';
import { TensorName, TraceTensor, nonFiniteReports, recorded } from './trace';

/**
 * A copy of a run's tensor (the run keeps its own), recorded as a layer names it; in an array of the lean trace a
 * re-run replaces, where one is given (recycledBuffers).
 */
function copied(name: TensorName, t: Tensor, about: About): TraceTensor {
  return recorded(name, { ...t, data: copyOf(t.data) }, axesOf(t), about);
}

const axesOf = (t: Tensor) => (t.shape.length === 4 ? ['B', 'C', 'H', 'W'] : t.shape.map((_, k) => (k === 0 ? 'B' : `d${k}`)));

/** The same values under another layer's name for them (no copy). */
const renamed = (name: TensorName, t: TraceTensor): TraceTensor => ({ ...t, name });

/**
 * Layer `index` of a run, untraced: its inputs and output (`values`: the network's input, then each layer's output,
 * copied once) and its δ when the backward pass made one.
 */
function leanLayer(run: NetworkRun, index: number, values: { input: TraceTensor; outputs: TraceTensor[] }): LayerTrace {
  const { problem, plan } = run;
  const spec = problem.layers[index];
  const p = plan.layers[index];
  const view = viewOf(p.geometry);
  const tensors: Partial<Record<TensorName, TraceTensor>> = {};
  layerSources(problem.layers)[index].forEach((source, j) => {
    const name = view?.ends?.input(j) ?? 'input';
    tensors[name] = renamed(name, source === 'input' ? values.input : values.outputs[source]);
  });
  const output = view?.ends?.output ?? 'z';
  tensors[output] = renamed(output, values.outputs[index]);
  const delta = run.gradients?.deltas[index];
  if (delta) tensors.delta = copied('delta', delta, { key: 'run.delta' });
  const from = run.gradients?.from[index];
  return {
    op: spec.type, name: `layers[${index}]`, title: layerTitle(spec), ...(spec.name ? { label: spec.name } : {}), inputShape: [...p.input],
    inputs: p.inputs.map(x => ({ name: x.name, shape: [...x.shape] })), outputShape: [...p.output], tensors, stages: [], geometry: p.geometry, cost: p.cost,
    ...(delta && from ? { deltaSource: from.source, ...(from.layers ? { deltaFrom: from.layers } : {}) } : {}), lean: true,
  };
}

/** The loss's record as the run made it, its tensors copied (each array once): the lean trace shares no memory with the run. */
function copiedLoss(loss: LayerTrace): LayerTrace {
  const copies = new Map<TensorData, TensorData>();
  const copy = (data: TensorData) => copies.get(data) ?? copies.set(data, copyOf(data)).get(data)!;
  const tensors = Object.fromEntries(Object.entries(loss.tensors).map(([name, t]) => [name, t && { ...t, data: copy(t.data) }]));
  return { ...loss, tensors };
}

/**
 * The run as the panel's first screen reads it: every layer untraced, the loss as the run recorded it. Every array
 * is a copy, so the run's may be written again once it is let go (RunKeeper.drop) whoever holds the lean trace.
 */
export function leanTrace(run: NetworkRun): NetworkTrace {
  const values = { input: copied('input', run.problem.input, { key: 'run.input' }), outputs: run.outputs.map(o => copied('z', o, { key: 'run.output' })) };
  const layers = run.problem.layers.map((_, i) => leanLayer(run, i, values));
  if (run.loss) layers.push(copiedLoss(run.loss));
  const loss: NetworkTrace['loss'] = run.loss && run.problem.loss && { type: run.problem.loss.type, value: run.loss.value! };
  const nonFinite = layers.flatMap((l, layer) => nonFiniteReports(l.tensors).map(r => ({ ...r, layer })));
  return { kind: 'network', dtype: run.dtype, layers, ...(loss ? { loss } : {}), nonFinite };
}
