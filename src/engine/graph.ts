// A network as a graph: a layer takes the outputs it names ("inputs") or, naming
// none, the layer before's (the network's input for the first), so a chain names
// nothing. The spec's order is the order layers run: a layer names only the input
// and earlier layers, so there is no cycle, and the last layer is the output. A layer marked `output` is an
// output besides it (an ONNX graph's later outputs): no later layer needs to take it, and no δ reaches it.

import type { EngineProblem } from './problem';

/** What a layer takes: the network's input, or an earlier layer's output by its index. */
export type LayerInput = 'input' | number;

/** A layer's place in the network, as the graph sees it. */
export interface GraphLayer {
  type: string;
  inputs?: readonly LayerInput[];
  /** An output of the network besides the last layer's: shown, taken by no later layer, reached by no δ. */
  output?: boolean;
}

/** The name layer `index` has in the network: `layers[2]`. */
export function layerName(index: number): string {
  return `layers[${index}]`;
}

/** `input`, or `layers[2]`. */
export function inputName(input: LayerInput): string {
  return input === 'input' ? 'input' : layerName(input);
}

/** What a name in the network (`input`, `layers[2]`) names, the inverse of inputName; undefined for any other name. */
export function inputOfName(name: string): LayerInput | undefined {
  if (name === 'input') return 'input';
  const m = /^layers\[(\d+)\]$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Whether layer `index` takes only the layer before's output (the network's input for the first): a chain's step. */
export function isChained(index: number, names: readonly string[]): boolean {
  return names.length === 1 && names[0] === (index === 0 ? 'input' : layerName(index - 1));
}

/** Each layer's inputs: those it names, or the layer before. */
export function layerSources(layers: readonly GraphLayer[]): LayerInput[][] {
  return layers.map((l, i) => (l.inputs ? [...l.inputs] : [i === 0 ? 'input' : i - 1]));
}

/** The layers that take each layer's output (a layer that takes it twice is listed twice). */
export function consumersOf(sources: readonly (readonly LayerInput[])[]): number[][] {
  const consumers = sources.map((): number[] => []);
  sources.forEach((inputs, i) => inputs.forEach(s => { if (s !== 'input') consumers[s]?.push(i); }));
  return consumers;
}

/** A problem of the graph: at a layer, and at one of its inputs when it is that input's. */
export interface GraphProblem {
  layer: number;
  position?: number;
  problem: EngineProblem;
}

/** What one named input is wrong with, for layer `index` of `count`: itself, a later layer, or none. */
function inputProblem(index: number, input: LayerInput, count: number): EngineProblem | undefined {
  if (input === 'input') return undefined;
  const name = layerName(input);
  if (input >= count) return { code: 'graph.inputMissing', args: { name, count } };
  if (input === index) return { code: 'graph.inputSelf', args: { name } };
  if (input > index) return { code: 'graph.inputLater', args: { name, layer: layerName(index) } };
  return undefined;
}

/**
 * Everything wrong with the graph: inputs that are not the input or an earlier layer, a count of inputs its
 * kind does not take (`minInputs`: undefined for a kind of one input), and outputs no later layer takes.
 */
export function graphProblems(layers: readonly GraphLayer[], minInputs: (type: string) => number | undefined): GraphProblem[] {
  const problems: GraphProblem[] = [];
  layers.forEach((l, i) => {
    l.inputs?.forEach((input, position) => {
      const problem = inputProblem(i, input, layers.length);
      if (problem) problems.push({ layer: i, position, problem });
    });
    const count = l.inputs?.length ?? 1;
    const min = minInputs(l.type);
    if (min === undefined && count !== 1) problems.push({ layer: i, problem: { code: 'graph.oneInput', args: { type: l.type, count } } });
    if (min !== undefined && count < min) problems.push({ layer: i, problem: { code: 'graph.fewInputs', args: { type: l.type, count, min } } });
  });
  if (problems.length) return problems;
  consumersOf(layerSources(layers)).forEach((c, i) => {
    if (!c.length && i < layers.length - 1 && !layers[i].output) problems.push({ layer: i, problem: { code: 'graph.unused', args: { name: layerName(i) } } });
  });
  return problems;
}
