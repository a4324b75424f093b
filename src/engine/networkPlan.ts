// A network from its shapes alone: each layer's input and output shapes, its
// geometry, and every tensor its trace will allocate, with no arithmetic on
// values. Hovers, CodeLens and diagnostics read this (no forward pass runs for
// them), and traceNetwork checks the whole run against the size limit here,
// before it computes anything.

import { PlannedTensor, checkBudget, checkEach, checkTotal, qualified } from './budget';
import type { LayerCost } from './layerKinds/cost';
import { EngineError } from './errors';
import { GraphLayer, consumersOf, graphProblems, inputName, layerName, layerSources } from './graph';
import { kindOf, minInputs } from './layerKinds';
import { lossKind } from './layerKinds/loss';
import { NamedShape, isMergeKind, planned } from './layerKinds/kind';
import type { LayerGeometry } from './layerKinds/view';
import type { LayerSpec } from './layerKinds';
import type { NetworkProblem } from './network';
import { checkTensor } from './tensor';

/** A layer's place in the network, without its values: for hovers, CodeLens and diagnostics. */
export interface LayerShapes {
  op: LayerSpec['type'];
  title: string;
  /** Its first input's shape (a chain's layer has one). */
  input: number[];
  /** Every input, by its name in the network (`input`, `layers[2]`), in the spec's order. */
  inputs: LayerInputShape[];
  output: number[];
  /** What its kind's view reads (views.ts): the geometry its trace will record. */
  geometry: LayerGeometry;
  /** Its forward FLOPs and parameters, and the rule they were counted by. */
  cost: LayerCost;
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

/** An input of a layer: its name in the network and its shape. */
export interface LayerInputShape extends NamedShape { shape: number[] }

export { layerName };

export function layerTitle(l: LayerSpec): string {
  return kindOf(l).title(l);
}

const t = planned;

/** The tensors that make the first δ: the loss's, a given grad (checked against the output), or all ones. */
function planHead(problem: NetworkProblem, out: readonly number[]): PlannedTensor[] {
  if (problem.loss) return qualified('loss', lossKind.plan(problem.loss, out, true).tensors);
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

/** Refuses a graph whose layers name what they cannot take (a later layer, one that does not exist), at the first such layer. */
function checkGraph(layers: readonly GraphLayer[]): void {
  const [first] = graphProblems(layers, minInputs);
  if (first) throw new EngineError('network', first.problem, 'inputs', { index: first.layer, type: layers[first.layer].type });
}

/**
 * Every layer's shapes and tensors, then the head's; throws an EngineError at the
 * layer (`layers[3] (linear)`) where a shape does not fit, naming where its input came from.
 */
export function planNetwork(problem: NetworkProblem, backward = true): NetworkPlan {
  if (!problem.layers.length) throw new EngineError('network', { code: 'network.empty', args: {} });
  checkTensor(problem.input, 'input', 'network');
  checkGraph(problem.layers);
  const sources = layerSources(problem.layers);
  const consumers = consumersOf(sources);
  const outputs: number[][] = [];
  const layers = problem.layers.map((l, i): LayerPlan => {
    const inputs = sources[i].map(s => ({ name: inputName(s), shape: [...(s === 'input' ? problem.input.shape : outputs[s])] }));
    const kind = kindOf(l);
    try {
      const p = isMergeKind(kind) ? kind.plan(l, inputs, backward) : kind.plan(l, inputs[0].shape, backward);
      // A δ added up from several layers is a tensor of its own.
      if (backward && consumers[i].length > 1) p.tensors.push(t('delta', p.output));
      outputs.push(p.output);
      return { op: l.type, title: layerTitle(l), input: inputs[0].shape, inputs, ...p };
    } catch (e) {
      if (!(e instanceof EngineError)) throw e;
      // A merge's problem names each input and its shape itself.
      const at = { index: i, type: l.type, ...(l.name ? { name: l.name } : {}) };
      throw e.inLayer(isMergeKind(kind) ? at : { ...at, input: inputs[0].shape, ...(l.inputs ? { from: inputs[0].name } : {}) });
    }
  });
  return { layers, head: planHead(problem, outputs[outputs.length - 1]) };
}

/** Refuses a network whose layers' tensors, one by one or together, would not fit the limit. */
export function checkNetworkBudget(plan: NetworkPlan, limit: number): void {
  let [tensors, total] = [0, 0];
  plan.layers.forEach((l, i) => {
    total += checkBudget(l.op, l.tensors, limit, { index: i, type: l.op });
    tensors += l.tensors.length;
  });
  total += checkEach('network', plan.head, limit);
  // Every tensor passed one by one above: what is left to refuse is their total.
  checkTotal('network', tensors + plan.head.length, total, limit);
}
