// What the debugger walks: a list of steps in execution order. A single conv's
// steps are its stages; a network's are every layer's forward stages in order,
// the loss, then every layer's backward stages from the top down, so δ is seen
// flowing back the way the derivation writes it. Each tensor knows the step
// that makes it, so the debugger can say what exists at any point.

import type { LayerGeometry } from '../engine/layerKinds/view';
import { type NetworkTrace, isNetworkTrace, qualifiedName } from '../engine/network';
import type { Tensor } from '../engine/tensor';
import type { ConvTrace, DeltaSource, TensorName, TraceStage } from '../engine/trace';

export interface DebugStep {
  stage: TraceStage;
  /** The layer's index in a network (the loss is the last); undefined for a single conv. */
  layer?: number;
  /** The layer's name in the chain (`layers[2]`, `loss`), which is also its spec key. */
  layerName?: string;
  /** `layers[2] maxpool2d 2×2`, `loss mse`, or `conv2d`. */
  where: string;
  /** The tensors of the step's layer. */
  tensors: Partial<Record<TensorName, Tensor>>;
  geometry: LayerGeometry;
  /** Where the step's layer got its δ (recorded by the trace). */
  deltaSource?: DeltaSource;
}

export interface ProgramTensor {
  /** As expressions and the CLI name it: `z_t`, or `layers[2].dA`, `loss.probs`. */
  name: string;
  short: TensorName;
  layer?: number;
  tensor: Tensor;
  /** The step after which it exists; -1: given (input, weights). */
  producer: number;
}

export interface DebugProgram {
  steps: DebugStep[];
  tensors: ProgramTensor[];
  /** Network layers: the index of each layer's first forward and first backward step. */
  entries?: { forward: number; backward: number }[];
}

const GIVEN: readonly TensorName[] = ['weight', 'bias', 'target'];

export function programOf(trace: ConvTrace | NetworkTrace): DebugProgram {
  return isNetworkTrace(trace) ? networkProgram(trace) : convProgram(trace);
}

function convProgram(trace: ConvTrace): DebugProgram {
  const steps = trace.stages.map(stage => ({ stage, where: 'conv2d', tensors: trace.tensors, geometry: trace.geometry, deltaSource: trace.deltaSource }));
  const producer = (name: TensorName) => {
    if (name === 'input' || name === 'weight' || name === 'bias') return -1;
    // δ is given; it shows up where backward starts.
    if (name === 'delta') return trace.stages.findIndex(s => s.pass === 'backward');
    return trace.stages.findIndex(s => s.outputs.includes(name));
  };
  const tensors = (Object.entries(trace.tensors) as [TensorName, Tensor][]).map(([name, tensor]) => ({ name, short: name, tensor, producer: producer(name) }));
  return { steps, tensors };
}

function networkProgram(trace: NetworkTrace): DebugProgram {
  const steps: DebugStep[] = [];
  const entries = trace.layers.map(() => ({ forward: -1, backward: -1 }));
  const push = (i: number, pass: 'forward' | 'backward') => {
    const l = trace.layers[i];
    const where = `${l.name} ${l.title}`;
    for (const stage of l.stages.filter(s => s.pass === pass)) {
      if (pass === 'forward' && entries[i].forward < 0) entries[i].forward = steps.length;
      if (pass === 'backward' && entries[i].backward < 0) entries[i].backward = steps.length;
      steps.push({ stage, layer: i, layerName: l.name, where, tensors: l.tensors, geometry: l.geometry, deltaSource: l.deltaSource });
    }
  };
  trace.layers.forEach((_, i) => push(i, 'forward'));
  // The loss is the last layer: backward starts there.
  for (let i = trace.layers.length - 1; i >= 0; i--) push(i, 'backward');
  const tensors: ProgramTensor[] = [];
  trace.layers.forEach((l, i) => {
    for (const [short, tensor] of Object.entries(l.tensors) as [TensorName, Tensor][]) {
      const own = steps.findIndex(s => s.layer === i && s.stage.outputs.includes(short));
      // Not made here: given, handed down as δ by the layer above, or handed up as the input by the layer below.
      const producer = own >= 0 ? own : GIVEN.includes(short) ? -1 : short === 'delta' ? entries[i].backward - 1 : entries[i].forward - 1;
      tensors.push({ name: qualifiedName(l, short), short, layer: i, tensor, producer });
    }
  });
  return { steps, tensors, entries };
}
