// A network run without the trace's stage tensors: every layer's output forward and, with the backward pass,
// every layer's δ, the input's gradient and the gradients of what the layers learn, each layer on its kind's
// fast kernels (`forward`, `backward`). A whole model's faces (every node's output, saliency, Grad-CAM) read
// this; a layer opened down to its stages is traced alone from what the run kept (traceRunLayer), the same
// record traceNetwork makes of it. The run keeps the outputs (the activations) and the δs; a layer's forward
// cache (its kind keeps there only what its backward pass reads: an argmax, batchnorm's x_hat) is let go once
// its backward pass ran, and is not kept at all without one.

import { RecycledBuffers, recycling, releaseSpent, wholeArrays } from './recycledBuffers';
import { PlannedTensor, checkBudget, elementLimit } from './budget';
import { layerName, layerSources } from './graph';
import { kindOf } from './layerKinds';
import { GradientMethods, OutputMethod, isMergeKind, planned } from './layerKinds/kind';
import { viewOf } from './layerKinds/views';
import { DeltaFrom, DeltaSums, ForwardStep, LayerTrace, NetworkProblem, RunMade, forwardLayer, forwardLayers, layerTrace, networkHead } from './network';
import { NetworkPlan, planNetwork } from './networkPlan';
import { DType, Tensor, TensorData, maxAbs, maxAbsDiff, zeros } from './tensor';
import type { TensorName, TraceOptions } from './trace';

export interface NetworkRun {
  problem: NetworkProblem;
  /** Every layer's shapes, geometry and cost (planned forward: what tracing one layer forward allocates). */
  plan: NetworkPlan;
  dtype: DType;
  /** Each layer's output, in the spec's order. */
  outputs: Tensor[];
  /** The loss's record, when the problem names a loss (its value, and with the backward pass the first δ). */
  loss?: LayerTrace;
  /** Present when the backward pass ran. */
  gradients?: RunGradients;
  /** Layer i's output made another way than its trace makes it (Winograd), if it was. */
  outputMethods: (OutputMethod | undefined)[];
}

export interface RunGradients {
  /** Each layer's δ = ∂C/∂(its output); none for a layer whose output nothing after it reads. */
  deltas: (Tensor | undefined)[];
  /** Where each layer's δ came from: the head, or the layers that take its output. */
  from: DeltaFrom[];
  /** ∂C/∂input (the saliency of an image); absent when the run was told `inputGradient: false`. */
  input?: Tensor;
  /** The gradient of each tensor a layer learns, by its spec's key (`weight`, `bias`); {} for a layer that learns nothing. */
  params: Record<string, Tensor>[];
  /** Layer i's δ-in (its ∂C/∂input) and parameters' gradients made another way than its trace makes them (Winograd), if they were. */
  methods?: (GradientMethods | undefined)[];
}

/**
 * What the run keeps (each output, and its δ with the backward pass), and what one layer's forward pass may
 * allocate (its trace's forward tensors, the im2col way). A layer's backward trace is checked when it is asked for.
 */
function checkRunBudget(plan: NetworkPlan, backward: boolean, limit: number): void {
  plan.layers.forEach((l, i) => checkBudget(l.op, l.tensors, limit, { index: i, type: l.op }));
  const kept: PlannedTensor[] = plan.layers.flatMap((l, i) => [planned(`${layerName(i)}.output`, l.output), ...(backward ? [planned(`${layerName(i)}.delta`, l.output)] : [])]);
  checkBudget('network', [...kept, ...plan.head], limit);
}

export interface RunOptions extends TraceOptions {
  /**
   * Compute ∂C/∂input, the network input's gradient (default true). False lets the layers that read the input skip
   * their δ-in (the first conv's ∂C/∂input is a whole backward-input pass): what training needs, not saliency.
   */
  inputGradient?: boolean;
  /**
   * Keep every layer's δ in `gradients.deltas` (default true). False lets each δ go once its layer's backward pass
   * ran (only the parameters' gradients and ∂C/∂input are kept): the peak memory of training.
   */
  keepDeltas?: boolean;
  /** Arrays an earlier run let go (releasedRun): the passes take their outputs and δs from them where they fit. */
  buffers?: RecycledBuffers;
}

/** The arrays of a problem's own tensors: its input, δ, every layer's tensors and the loss's. */
export function problemArrays(problem: NetworkProblem): TensorData[] {
  const arrays: TensorData[] = [];
  const add = (v: unknown) => {
    const data = (v as { data?: unknown } | undefined)?.data;
    if (data instanceof Float32Array || data instanceof Float64Array) arrays.push(data);
  };
  add(problem.input);
  add(problem.grad);
  for (const l of problem.layers) Object.values(l).forEach(add);
  if (problem.loss) Object.values(problem.loss).forEach(add);
  return arrays;
}

/** The arrays a run made: every output, δ, gradient and the loss's tensors (some may be its problem's, passed on). */
export function runArrays(run: NetworkRun): TensorData[] {
  const arrays = [...run.outputs, ...(run.gradients?.deltas ?? []), run.gradients?.input, ...(run.gradients?.params ?? []).flatMap(p => Object.values(p)),
    ...Object.values(run.loss?.tensors ?? {})].map(t => t?.data);
  return arrays.filter((d): d is TensorData => d instanceof Float32Array || d instanceof Float64Array);
}

/**
 * Arrays a backward run was handed or let go of and nobody took again (its transient δs: a conv's ∂C/∂input added
 * into a sum; as training, every δ), by run: releasedRun hands them on with the run's own, so the next run finds as
 * many as it needs at once.
 */
const spareArrays = new WeakMap<NetworkRun, TensorData[]>();

/** `run`, its spare arrays (those of `pools` nobody took) noted for releasedRun. */
function withSpare(run: NetworkRun, pools: (RecycledBuffers | undefined)[]): NetworkRun {
  const spare = [...new Set(pools)].flatMap(p => p?.arrays() ?? []);
  if (spare.length) spareArrays.set(run, spare);
  return run;
}

/** A run's arrays are kept for the next one only up to this many bytes (a bigger run's are left to the collector). */
const RELEASE_BYTES = 256 << 20;

/**
 * The arrays of a run no one will read again, for the next run's passes (RunOptions.buffers) to take instead
 * of new ones: where the first write to new memory costs a page fault per 4 KB (a virtual machine's), ResNet-18's
 * forward took 150–195 ms on new arrays and 90–97 on these. Not its problem's own tensors, nor its loss's record,
 * which the caller may hold, unless `withProblem` (the caller made the problem and hands out copies: a trace
 * worker's, whose lean trace copies every array); undefined when they come to more than `maxBytes`.
 */
export function releasedRun(run: NetworkRun, maxBytes = RELEASE_BYTES, withProblem = false): RecycledBuffers | undefined {
  const lossArrays = Object.values(run.loss?.tensors ?? {}).map(t => t?.data);
  const own = new Set<unknown>(withProblem ? [] : [...problemArrays(run.problem), ...lossArrays]);
  const kept = [...runArrays(run), ...(withProblem ? problemArrays(run.problem) : [])];
  // Spare arrays of a length the run's own have: what a run of the same network takes (another's are let go).
  const lengths = new Set(kept.map(d => d.length));
  // Each memory once, whole: a view (a reader's shared zeros, a record's slice of another tensor) handed out beside
  // the array it views would be two tensors in one memory.
  const arrays = wholeArrays([...kept, ...(spareArrays.get(run) ?? []).filter(d => lengths.has(d.length))].filter(d => !own.has(d)).map(data => ({ data })));
  if (arrays.reduce((n, d) => n + d.byteLength, 0) > maxBytes) return undefined;
  const buffers = new RecycledBuffers();
  for (const d of arrays) buffers.release(d);
  return buffers;
}

/** One layer's backward pass on its kind's kernels: the δ handed to each of its inputs, and its parameters' gradients. */
function backwardOf(step: ForwardStep, delta: Tensor, needsDeltaIn: boolean, overwrite: boolean): { deltaIns: (Tensor | undefined)[]; params: Record<string, Tensor>; methods?: GradientMethods } {
  const kind = kindOf(step.spec);
  if (isMergeKind(kind)) return kind.backward(step, delta);
  const { deltaIn, params, methods } = kind.backward({ ...step, input: step.inputs[0] }, delta, needsDeltaIn, overwrite);
  return { deltaIns: [deltaIn], params, ...(methods ? { methods } : {}) };
}

/**
 * Runs a network forward and (unless `backward: false`) backward, keeping each layer's output and δ but no stage
 * tensor. Shapes and sizes are checked for the whole network before any layer runs, as traceNetwork does.
 */
export function runNetwork(problem: NetworkProblem, options: RunOptions = {}): NetworkRun {
  const backward = options.backward ?? true;
  const plan = planNetwork(problem, false);
  checkRunBudget(plan, backward, elementLimit(options.maxElements));
  const given = options.buffers;
  // The new problem's own arrays are never handed out, even where a caller released them with an earlier run.
  if (given) for (const d of problemArrays(problem)) given.withhold(d);
  /** `make` with allocate taking the earlier run's arrays first (when given). */
  const inGiven = <T>(make: () => T): T => (given ? recycling(given, make) : make());
  const steps = inGiven(() => forwardLayers(problem, plan, {}, backward));
  const outputs = steps.map(s => s.output);
  // The head's arrays (the loss's record, its δ, δ = ones) in the earlier run's too: made anew every run, the pool
  // would keep the old ones beside them, run after run.
  const { lossTrace, delta, head } = inGiven(() => networkHead(problem, outputs[outputs.length - 1], options));
  const run: NetworkRun = { problem, plan, dtype: problem.dtype, outputs, outputMethods: steps.map(s => s.method), ...(lossTrace ? { loss: lossTrace } : {}) };
  // A forward pass alone keeps no spare: it needs none again, and an earlier backward pass's δs would stay alive.
  if (!backward || !delta) return run;
  const sources = layerSources(problem.layers);
  const last = steps.length - 1;
  const sums = new DeltaSums();
  const inputGradient = options.inputGradient ?? true;
  const keepDeltas = options.keepDeltas ?? true;
  const gradients: RunGradients = { deltas: new Array(steps.length), from: new Array(steps.length), params: new Array(steps.length), methods: new Array(steps.length) };
  // How many layers still to run were handed each δ's array (add hands its δ to every input): one left with a single
  // reader, or a sum made for a layer, is that layer's alone, and without keepDeltas nothing reads it after its pass.
  const handed = new Map<TensorData, number>();
  // Without keepDeltas a δ nobody reads any more is handed out again for the next layer's (the peak of training),
  // as are an earlier run's arrays (options.buffers) with or without it.
  const pool = keepDeltas ? undefined : given ?? new RecycledBuffers();
  // Where what a layer lets go goes: with δs kept, only its spent cache and the δs added into a sum.
  const handing = pool ?? given;
  // The memory of the δs the run keeps (with keepDeltas) and the head's, which may be the caller's: never written over.
  const keptMemory = new Set<ArrayBufferLike>([delta.data.buffer]);
  /**
   * This array may be written over: kept by nobody, and the layer now running is its only reader left (with
   * keepDeltas, a δ-in no layer keeps as its δ: a conv's ∂C/∂input a residual sum begins with is made the sum).
   */
  const ownedByOne = (data: TensorData): boolean => (handed.get(data) ?? 0) <= 1 && !keptMemory.has(data.buffer);
  const backwardLayer = (i: number): void => {
    const own = i === last ? { delta, from: head } : sums.take(i, !keepDeltas);
    if (keepDeltas) gradients.deltas[i] = own.delta;
    if (keepDeltas && own.delta) keptMemory.add(own.delta.data.buffer);
    gradients.from[i] = own.from;
    gradients.params[i] = {};
    if (!own.delta) return;
    // The head's δ may be the caller's (the problem's grad): never overwritten.
    const overwrite = i !== last && ownedByOne(own.delta.data);
    const g = backwardOf(steps[i], own.delta, inputGradient || sources[i].some(s => s !== 'input'), overwrite);
    if (handing) releaseSpent(handing, Object.values(steps[i].cache), [steps[i].output, ...steps[i].inputs, ...Object.values(steps[i].spec), own.delta, delta, ...g.deltaIns, ...Object.values(g.params)]);
    steps[i].cache = {};
    gradients.params[i] = g.params;
    gradients.methods![i] = g.methods;
    const readers = (handed.get(own.delta.data) ?? 1) - 1; // this layer is done reading it
    handed.set(own.delta.data, readers);
    // A δ handed to a layer whose sum was begun is added into that sum: its own array is read by nobody then.
    const added: TensorData[] = [];
    g.deltaIns.forEach((d, j) => {
      if (!d || (!inputGradient && sources[i][j] === 'input')) return;
      if (sums.add(sources[i][j], d, layerName(i), ownedByOne)) handed.set(d.data, (handed.get(d.data) ?? 0) + 1);
      else added.push(d.data);
    });
    if (!handing) return;
    // Let go: read by no layer still to run, not handed on (relu's backward may return its δ overwritten), not kept
    // as a parameter's gradient, not the head's; the layer's own δ only when δs are not kept.
    const keptDelta = (data: TensorData) => !pool && data.buffer === own.delta!.data.buffer;
    for (const data of new Set([...(pool && i !== last ? [own.delta.data] : []), ...added])) {
      if (data !== delta.data && !keptDelta(data) && !handed.get(data) && !Object.values(g.params).some(p => p.data === data)) handing.release(data);
    }
  };
  const backwardAll = () => { for (let i = last; i >= 0; i--) backwardLayer(i); };
  if (handing) recycling(handing, backwardAll);
  else backwardAll();
  if (inputGradient) gradients.input = sums.take('input').delta ?? inGiven(() => zeros(problem.input.shape, problem.input.dtype));
  return withSpare({ ...run, gradients }, [given, pool]);
}

/**
 * One layer's full record (every stage tensor, as traceNetwork records it), from the run's inputs, weights and δ
 * of that layer alone: its forward pass runs again, as its trace makes it (traceForward: its forward tensors made
 * once); the other layers are not touched.
 */
export function traceRunLayer(run: NetworkRun, index: number, options: TraceOptions = {}): LayerTrace {
  const { problem, plan } = run;
  if (!Number.isSafeInteger(index) || index < 0 || index >= problem.layers.length) throw new RangeError(`no layer ${index}: the network has ${problem.layers.length}`);
  const spec = problem.layers[index];
  const layerPlan = plan.layers[index];
  const g = run.gradients;
  const backward = (options.backward ?? true) && g?.deltas[index] !== undefined;
  const sources = layerSources(problem.layers)[index];
  const inputs = sources.map(s => (s === 'input' ? problem.input : run.outputs[s]));
  const kind = kindOf(spec);
  const traced = isMergeKind(kind) ? kind.plan(spec, layerPlan.inputs, backward) : kind.plan(spec, layerPlan.input, backward);
  checkBudget(layerPlan.op, traced.tensors, elementLimit(options.maxElements), { index, type: layerPlan.op });
  const { cache } = forwardLayer(spec, inputs, layerPlan, true);
  const step: ForwardStep = { spec, inputs, names: layerPlan.inputs.map(x => x.name), output: run.outputs[index], cache };
  const from = g?.from[index] ?? { source: 'ones' };
  const trace = layerTrace(step, index, layerPlan.cost, backward ? g?.deltas[index] : undefined, from, { ...options, backward }).trace;
  const made: RunMade[] = [];
  /** The run's `value` made by `method` against the stages' tensor `name`. */
  const against = (name: TensorName, method: OutputMethod | undefined, value: () => Tensor | undefined) => {
    const stages = method && trace.tensors[name];
    const ran = stages && value();
    if (!ran) return;
    const diff = maxAbsDiff(ran, stages);
    made.push({ tensor: name, method, maxAbsDiff: diff, relative: diff / Math.max(maxAbs(stages.data), Number.MIN_VALUE) });
  };
  against(viewOf(trace.geometry)?.ends?.output ?? 'z', run.outputMethods[index], () => run.outputs[index]);
  const methods = backward ? g?.methods?.[index] : undefined;
  // The δ-in the run handed down, made again (the same bits: the same kernels on the same δ) against the stages' dA.
  against('dA', methods?.deltaIn, () => backwardOf(step, g!.deltas[index]!, true, false).deltaIns[0]);
  // The weights' gradient the run kept (what the CLI and the model editor show) against the stages' dW.
  against('dW', methods?.params, () => g?.params[index]?.weight);
  if (made.length) trace.runMade = made;
  return trace;
}
