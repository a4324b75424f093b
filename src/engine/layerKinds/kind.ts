// What a layer kind is to the engine: one module per kind (conv2d, activations,
// pooling, flatten, linear, batchnorm2d, and the losses that end a network)
// declares its title, its shape-only plan, its forward pass and what it records
// (tensors, stages, and its backward pass when there is a δ). The network
// (network.ts, networkPlan.ts) reads the registry (index.ts) and never switches
// on a layer's type.

import type { PlannedTensor } from '../budget';
import type { LayerCost } from './cost';
import type { LayerGeometry } from './view';
import type { ConvInfo } from '../convInfo';
import type { PoolInfo } from '../layers';
import type { Tensor } from '../tensor';
import type { ConvForwardMade, ConvTrace, DeltaSource, Rot180Check, StageId, TensorName, TraceOptions, TraceStage, TraceTensor } from '../trace';

/** A layer's shapes from its input's shape alone: no value is read. */
export interface KindPlan {
  output: number[];
  /** What the layer's trace allocates, forward (and backward when planned so). */
  tensors: PlannedTensor[];
  /** What its view reads: the same geometry `record` records, so hovers need no forward pass. */
  geometry: LayerGeometry;
  /** What running it forward costs and what it learns (cost.ts), from its shapes alone. */
  cost: LayerCost;
}

/** What a layer's backward pass needs from its forward pass. */
export type ForwardCache = Record<string, Tensor | PoolInfo | ConvInfo | ConvForwardMade | number | undefined>;

/** A layer after its forward pass. */
export interface LayerStep<S> {
  spec: S;
  input: Tensor;
  output: Tensor;
  cache: ForwardCache;
}

/**
 * A layer's backward pass alone, without stage tensors (the lean run's, networkRun.ts): the δ it hands to its
 * input, and the gradient of each tensor it learns, by the key its spec names it (`weight`, `bias`).
 */
export interface LayerGradients {
  /** Absent only when the run said it needs none (`backward`'s `needsDeltaIn` false) and the kind skipped it. */
  deltaIn?: Tensor;
  params: Record<string, Tensor>;
  /** What was made another way than the kind's trace makes it (conv2d's ∂C/∂input and ∂C/∂w by Winograd). */
  methods?: GradientMethods;
}

/** How a layer's backward pass made its δ-in and its parameters' gradients, where not as its trace does. */
export interface GradientMethods {
  deltaIn?: OutputMethod;
  params?: OutputMethod;
}

/** What a layer records in the trace, and the δ it hands to the layer below (with a δ of its own). */
export interface LayerRecord {
  tensors: Partial<Record<TensorName, TraceTensor>>;
  stages: TraceStage[];
  /** What its view (views.ts) needs to link, sum and explain its cells. */
  geometry: LayerGeometry;
  conv?: ConvTrace;
  /** The loss's value C, in float64 whatever the dtype. */
  value?: number;
  /** A kind's ROT180 view of a tensor against its im2col one (conv2d's is in `conv`). */
  rot180?: Rot180Check;
  deltaIn?: Tensor;
}

/**
 * How the spec reader reads one key of a layer: a tensor (of a rank), an integer or a pair [h, w], a boolean, a
 * number, class indices, or the value as written (padding, groups: their geometry check says what is wrong with them).
 * `required` keys must be there; the others may be left out.
 */
export type LayerParam = (
  /** `anyRank`: a tensor of any rank, the shape its module's plan checks. */
  | ({ read: 'tensor'; required?: true } & ({ rank: number; axes: string } | { anyRank: true }))
  /** `zero`: 0 is allowed (a padding); otherwise at least 1. */
  | { read: 'intOrPair'; required?: true; zero?: true }
  | { read: 'boolean' }
  | { read: 'number'; required?: true }
  /** Class indices, whole numbers from 0 (a cross-entropy's target). */
  | { read: 'classes'; required?: true }
  /** `schema`: the JSON schema of what may be written (the geometry check says the rest). */
  | { read: 'asWritten'; schema: Readonly<Record<string, unknown>> }
) & {
  /** What the key is, for the JSON schema (src/l10n/schema.zh-cn.json translates it); none when its schema says it. */
  doc?: string;
};

/** The values read for a layer's keys (those left out are absent). */
export type ParamValues = Record<string, unknown>;

/** How a lean run made a layer's output where it is not the trace's way: Winograd's F(4×4, 3×3) (wasm/winogradWasm.ts). */
export type OutputMethod = 'winograd';

/** How a layer runs: its title, its shape-only plan, its forward pass and what it records (the loss is one too, loss.ts). */
export interface LayerRun<S extends { type: string }> {
  /** e.g. `conv2d 6@5×5`, `maxpool2d 2×2`, `relu`. */
  title(spec: S): string;
  /** Throws an EngineError when the spec does not fit its input. */
  plan(spec: S, input: readonly number[], backward: boolean): KindPlan;
  /**
   * The forward pass, the geometry already planned and checked. `method`: the output was made another way than the
   * trace makes it (conv2d's Winograd), its last bits not the trace's.
   */
  forward(spec: S, input: Tensor, plan: KindPlan): { output: Tensor; cache: ForwardCache; method?: OutputMethod };
  /**
   * The forward pass of a trace (traceNetwork, traceRunLayer): the output `forward` gives, bit for bit, and a cache
   * that also holds what `record` would otherwise make again (conv2d's a, z_t, z). Without it, `forward`.
   */
  traceForward?(spec: S, input: Tensor, plan: KindPlan): { output: Tensor; cache: ForwardCache };
  /** The layer's tensors and stages; with the δ of its output, its backward pass too. */
  record(step: LayerStep<S>, delta: Tensor | undefined, deltaSource: DeltaSource, options: TraceOptions): LayerRecord;
}

/** How the spec reader reads a layer (or the loss) of a type: its keys, then the layer from their values. */
export interface LayerReading<S extends { type: string }> {
  /** The keys a layer of this type takes besides "type", and how each is read (the schema lists the same keys). */
  params(type: S['type']): Readonly<Record<string, LayerParam>>;
  /** The layer from its values, once every required key was read. */
  build(type: S['type'], values: ParamValues): S;
}

/** A kind of layer a network spec's "layers" may list: how it runs, and how the spec reader reads it. */
export interface LayerKind<S extends { type: string }> extends LayerRun<S>, LayerReading<S> {
  /**
   * The backward pass from the δ of its output, on its fast kernels and without stage tensors; `record` hands
   * back the same δ (the conv kinds' record shows the im2col way to it, stage by stage). `needsDeltaIn` false
   * (the layer reads the network's input and nobody asks for its gradient) lets a kind skip its δ-in.
   * `overwrite` true: nothing reads δ after this pass (a training run that keeps no δ, and δ is this layer's alone),
   * so a kind may write its δ-in into δ's own array rather than allocate one.
   */
  backward(step: LayerStep<S>, delta: Tensor, needsDeltaIn?: boolean, overwrite?: boolean): LayerGradients;
  /** What a layer of this type does, in a line: the schema's description of the type. */
  summary(type: S['type']): string;
  /**
   * The layer back as its spec's keys, what `build` reads (tensors as Tensors, the rest as JSON values; a key left
   * out takes its default): *Save as Spec…* writes one layer of a run so. Undefined when the layer cannot be a spec
   * of its own (it takes several inputs).
   */
  specKeys(spec: S): ParamValues | undefined;
  /** The input a network that starts with this layer reads; (B, C, H, W) when not said. */
  networkInput?: { rank: number; axes: string };
}

/**
 * A kind that takes several inputs (add, concat): the same as LayerKind but for its plan, forward pass and
 * record, which take the list of its inputs in the order the spec names them (with their names: `input`,
 * `layers[2]`), and its record hands a δ to each input.
 */
export interface MergeKind<S extends { type: string }> extends Omit<LayerKind<S>, 'plan' | 'forward' | 'record' | 'backward'> {
  /** The fewest inputs it takes. */
  minInputs: number;
  plan(spec: S, inputs: readonly NamedShape[], backward: boolean): KindPlan;
  forward(spec: S, inputs: readonly Tensor[], plan: KindPlan): { output: Tensor; cache: ForwardCache };
  /** As LayerKind's: the δ handed to each input, in the spec's order. */
  backward(step: MergeStep<S>, delta: Tensor): { deltaIns: Tensor[]; params: Record<string, Tensor> };
  record(step: MergeStep<S>, delta: Tensor | undefined, deltaSource: DeltaSource, options: TraceOptions): MergeRecord;
}

/** An input of a layer, by the name it has in the network (`input`, `layers[2]`), with its shape. */
export interface NamedShape {
  name: string;
  shape: readonly number[];
}

/** A merge layer after its forward pass: its inputs in the spec's order, and their names. */
export interface MergeStep<S> {
  spec: S;
  inputs: readonly Tensor[];
  names: readonly string[];
  output: Tensor;
  cache: ForwardCache;
}

/** What a merge layer records, and the δ it hands to each of its inputs. */
export interface MergeRecord extends Omit<LayerRecord, 'deltaIn'> {
  deltaIns?: Tensor[];
}

export function isMergeKind<S extends { type: string }>(kind: LayerKind<S> | MergeKind<S>): kind is MergeKind<S> {
  return 'minInputs' in kind;
}

/** The layer's fields that its keys name alike (`build` keeps them as written), those that are set. */
export function fieldsAsKeys(spec: object, keys: readonly string[]): ParamValues {
  const fields = spec as Record<string, unknown>;
  return Object.fromEntries(keys.filter(k => fields[k] !== undefined).map(k => [k, fields[k]]));
}

export const planned = (name: string, shape: readonly number[]): PlannedTensor => ({ name, shape });

export function stage(id: StageId, pass: 'forward' | 'backward', title: string, formula: string, inputs: TensorName[], outputs: TensorName[]): TraceStage {
  return { id, pass, title, formula, inputs, outputs };
}

/** Only the forward stages, when the backward pass is skipped. */
export function passes(stages: TraceStage[], backward: boolean): TraceStage[] {
  return backward ? stages : stages.filter(s => s.pass === 'forward');
}

/** Axis names of a tensor that is not a conv's: (B, C, H, W), (B, C, L), (B, features), or d0, d1, … */
export function shapeAxes(shape: readonly number[]): string[] {
  const named: Record<number, string[]> = { 4: ['B', 'C', 'H', 'W'], 3: ['B', 'C', 'L'], 2: ['B', 'features'] };
  return named[shape.length] ?? shape.map((_, i) => `d${i}`);
}
