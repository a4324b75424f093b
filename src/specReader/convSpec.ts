// The conv spec (v1): JSON → ConvProblem, every problem located by JSON path.
//   { "input": (B,Cin,H,W), "weight": (Cout,Cin/groups,kh,kw), "bias"?: (Cout),
//     "grad"?: (B,Cout,Hout,Wout), "stride"?, "padding"?, "dilation"?, "groups"?,
//     "dtype"?: "float64" | "float32" }
// A tensor is a nested array, or a file next to the spec (tensorSource.ts): {"npy": "file.npy"},
// {"image": "cat.png", ...}, {"npz": "batch.npz", "key": "x"}, {"safetensors": "model.safetensors", "key": "w"},
// {"torch": "model.pt", "key": "w"}, {"onnx": "model.onnx", "initializer": "w"}.
// The CLI, the trace worker and the editor's diagnostics all read specs here.

import { ConvInfo, ConvOptions, PaddingOption, Pair, checkGradShape, convInfo } from '../engine/convInfo';
import { EngineError } from '../engine/errors';
import { DType, Tensor } from '../engine/tensor';
import { ConvProblem, ConvTrace, DEFAULT_MAX_ELEMENTS, TraceOptions, checkSize, traceConv } from '../engine/trace';
import { NestedArrayError, TensorExpectation, describeValue, nestedToTensor } from './nested';
import { LayerShapes, NetworkProblem, NetworkTrace, isNetworkTrace, networkShapes, qualifiedName } from '../engine/network';
import { collectNetworkSpec, isNetworkSpec, networkErrorPath, readNetworkSpec, runNetworkSource } from './networkSpec';
import type { Problem } from './problemCodes';
import { JsonSource, SpecError, jsonPath } from './source';
import type { NpyFiles } from './specFiles';
import { SourceReading, readTensorSource, sourceFormat } from './tensorSource';

export const SPEC_KEYS = ['input', 'weight', 'bias', 'grad', 'stride', 'padding', 'dilation', 'groups', 'dtype'] as const;
/** Keys a spec may carry for people and tools; the engine ignores them. */
const DOC_KEYS = ['$schema', 'name', 'description', 'comment'];

export type TensorKey = 'input' | 'weight' | 'bias' | 'grad';

export const TENSOR_KEYS: Record<TensorKey, TensorExpectation> = {
  input: { rank: 4, axes: '(B, Cin, H, W)' },
  weight: { rank: 4, axes: '(Cout, Cin/groups, kh, kw)' },
  bias: { rank: 1, axes: '(Cout,)' },
  grad: { rank: 4, axes: '(B, Cout, Hout, Wout)' },
};

export type { NpyFiles };

/** Closest key by edit distance, for "did you mean" hints. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) { best = c; bestDistance = d; }
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

function isIntPair(v: unknown): v is Pair {
  return Array.isArray(v) && v.length === 2 && v.every(x => typeof x === 'number');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Does this JSON value look like a conv spec (an object with input and weight)? */
export function looksLikeSpec(value: unknown): boolean {
  return isObject(value) && 'input' in value && ('weight' in value || 'layers' in value || 'model' in value);
}

/**
 * Whether a JSON text can be a spec at all (its keys appear in it), checked before
 * parsing it: a big data file that is no spec costs a string search, not a parse.
 * Never false for a text whose value `looksLikeSpec`.
 */
export function mayBeSpecText(text: string): boolean {
  return (/"input"/.test(text) && /"(weight|layers|model)"/.test(text)) || /\\u/.test(text);
}

export interface SpecReading {
  /** Present when every tensor and option could be read. */
  problem?: ConvProblem;
  /** Every structural problem found, in reading order. */
  problems: SpecError[];
  /** The tensors read from files (hovers show what each holds). */
  sources?: SourceReading[];
}

/** Reads a parsed spec, collecting every structural problem (geometry is checked by analyzeSpec / the engine). */
export function collectSpec(source: JsonSource, npy: NpyFiles = new Map(), defaultDType: DType = 'float64', maxElements = DEFAULT_MAX_ELEMENTS): SpecReading {
  const problems: SpecError[] = [];
  const sources: SourceReading[] = [];
  const spec = source.value;
  if (!isObject(spec)) {
    return { problems: [source.error([], { code: 'spec.notConv', args: { found: describeValue(spec) } })] };
  }
  for (const key of Object.keys(spec)) {
    if ((SPEC_KEYS as readonly string[]).includes(key) || DOC_KEYS.includes(key)) continue;
    const hint = closest(key, SPEC_KEYS);
    problems.push(new SpecError(source.file, [key], { code: 'spec.unknownKey', args: { key, ...(hint ? { hint } : {}), kind: 'conv', keys: [...SPEC_KEYS] } }, source.locateKey([key])));
  }
  for (const key of ['input', 'weight'] as const) {
    if (!(key in spec)) problems.push(source.error([], { code: 'spec.missingKey', args: { key, axes: TENSOR_KEYS[key].axes } }));
  }

  let dtype = defaultDType;
  if (spec.dtype !== undefined) {
    if (spec.dtype !== 'float64' && spec.dtype !== 'float32') problems.push(source.error(['dtype'], { code: 'spec.dtype', args: { found: describeValue(spec.dtype) } }));
    else dtype = spec.dtype;
  }

  const tensor = (key: TensorKey): Tensor | undefined => {
    const v = spec[key];
    if (v === undefined || (v === null && key !== 'input' && key !== 'weight')) return undefined;
    const expect = TENSOR_KEYS[key];
    if (sourceFormat(v)) {
      const { reading, problem } = readTensorSource([key], v as Record<string, unknown>, npy, dtype, maxElements, expect);
      if (reading) sources.push(reading);
      if (problem) problems.push(source.error(problem.path, problem.problem));
      return problem ? undefined : reading?.tensor;
    }
    try {
      return nestedToTensor(v, [key], dtype, expect);
    } catch (e) {
      if (e instanceof NestedArrayError) { problems.push(source.error(e.path, e.problem)); return undefined; }
      throw e;
    }
  };

  const options: ConvOptions = {};
  const pairOption = (key: 'stride' | 'dilation'): number | Pair | undefined => {
    const v = spec[key];
    if (v === undefined || typeof v === 'number' || isIntPair(v)) return v;
    problems.push(source.error([key], { code: 'spec.pair', args: { key, found: describeValue(v) } }));
    return undefined;
  };
  options.stride = pairOption('stride');
  options.dilation = pairOption('dilation');
  if (spec.padding !== undefined) {
    const p = spec.padding;
    const ok = typeof p === 'number' || p === 'valid' || p === 'same'
      || (Array.isArray(p) && (p.length === 2 || p.length === 4) && p.every(x => typeof x === 'number'));
    if (ok) options.padding = p as PaddingOption;
    else problems.push(source.error(['padding'], { code: 'spec.padding', args: { found: describeValue(p) } }));
  }
  if (spec.groups !== undefined) {
    if (typeof spec.groups === 'number') options.groups = spec.groups;
    else problems.push(source.error(['groups'], { code: 'spec.groups', args: { found: describeValue(spec.groups) } }));
  }

  const input = 'input' in spec ? tensor('input') : undefined;
  const weight = 'weight' in spec ? tensor('weight') : undefined;
  const bias = tensor('bias');
  const grad = tensor('grad');
  if (problems.length || !input || !weight) return { problems, sources };
  const problem: ConvProblem = { input, weight, options, dtype };
  if (bias) problem.bias = bias;
  if (grad) problem.grad = grad;
  return { problem, problems, sources };
}

/** Reads a parsed spec; the first problem is thrown as a SpecError. */
export function readConvSpec(source: JsonSource, npy?: NpyFiles, defaultDType?: DType, maxElements?: number): ConvProblem {
  const r = collectSpec(source, npy, defaultDType, maxElements);
  if (r.problems.length || !r.problem) throw r.problems[0];
  return r.problem;
}

/** An engine error at the spec key it is about. */
function atKey(source: JsonSource, e: EngineError): SpecError {
  return source.error(e.argument ? [e.argument] : undefined, e.problem);
}

export interface SpecAnalysis extends SpecReading {
  /** The geometry, when the shapes and options work together. */
  info?: ConvInfo;
  /** Network specs: each layer's shapes, when the chain fits. */
  layers?: LayerShapes[];
}

/** Everything wrong with a spec, geometry and size included, without running it (for diagnostics and hovers). */
export function analyzeSpec(source: JsonSource, npy?: NpyFiles, maxElements = DEFAULT_MAX_ELEMENTS): SpecAnalysis {
  if (isNetworkSpec(source.value)) {
    const net = collectNetworkSpec(source, npy, undefined, maxElements);
    const { sources } = net;
    if (!net.problem) return { problems: net.problems, sources };
    try {
      return { problems: net.problems, sources, layers: networkShapes(net.problem, maxElements) };
    } catch (e) {
      if (e instanceof EngineError) return { problems: [...net.problems, source.error(networkErrorPath(e, source.value), e.problem)], sources };
      throw e;
    }
  }
  const reading = collectSpec(source, npy, undefined, maxElements);
  const p = reading.problem;
  if (!p) return reading;
  try {
    const info = convInfo(p.input.shape, p.weight.shape, p.options, p.bias?.shape);
    if (p.grad) checkGradShape(info, p.grad.shape);
    checkSize(info, true, maxElements);
    return { ...reading, info };
  } catch (e) {
    if (e instanceof EngineError) return { ...reading, problems: [...reading.problems, atKey(source, e)] };
    throw e;
  }
}

export type AnyTrace = ConvTrace | NetworkTrace;

export { isNetworkTrace };

/** Parses and traces a single-conv spec's text. Every failure is a SpecError naming the file and the JSON path. */
export function traceSpecText(file: string, text: string, options: TraceOptions = {}, npy?: NpyFiles): ConvTrace {
  return traceConvSource(JsonSource.parse(file, text), options, npy);
}

/** Parses and traces any spec: a single conv (v1) or a network (v2). */
export function traceAnySpecText(file: string, text: string, options: TraceOptions = {}, npy?: NpyFiles): AnyTrace {
  return traceSpecSource(JsonSource.parse(file, text), options, npy);
}

/**
 * Traces a parsed spec of either kind; engine errors come back as SpecErrors at their key. `ready` sees the problem
 * read, before it runs (the CLI decides there whether its products are worth helper threads).
 */
export function traceSpecSource(source: JsonSource, options: TraceOptions = {}, npy?: NpyFiles, ready?: ProblemRead): AnyTrace {
  return runSpecSource(source, options, npy, ready).trace;
}

/** Called with a spec's problem once it is read, before it runs. */
export type ProblemRead = (problem: ConvProblem | NetworkProblem) => void;

/** What a parsed spec of either kind says, read as a trace reads it (the first problem thrown as a SpecError). */
export function readSpecProblem(source: JsonSource, options: TraceOptions = {}, npy?: NpyFiles): ConvProblem | NetworkProblem {
  return isNetworkSpec(source.value) ? readNetworkSpec(source, options, npy) : readConvSpec(source, npy, options.dtype, options.maxElements);
}

/** A spec's run: the problem read from it, and its trace. */
export type SpecRun = { problem: ConvProblem; trace: ConvTrace } | { problem: NetworkProblem; trace: NetworkTrace };

/** Reads and traces a parsed spec of either kind, keeping the problem it read (the gradient check runs it again). */
export function runSpecSource(source: JsonSource, options: TraceOptions = {}, npy?: NpyFiles, ready?: ProblemRead): SpecRun {
  return isNetworkSpec(source.value) ? runNetworkSource(source, options, npy, ready) : runConvSource(source, options, npy, ready);
}

/** Traces a parsed single-conv spec. */
export function traceConvSource(source: JsonSource, options: TraceOptions = {}, npy?: NpyFiles): ConvTrace {
  return runConvSource(source, options, npy).trace;
}

function runConvSource(source: JsonSource, options: TraceOptions, npy?: NpyFiles, ready?: ProblemRead): { problem: ConvProblem; trace: ConvTrace } {
  const problem = readConvSpec(source, npy, options.dtype, options.maxElements);
  try {
    ready?.(problem);
    return { problem, trace: traceConv(problem, options) };
  } catch (e) {
    if (e instanceof EngineError) throw atKey(source, e);
    throw e;
  }
}

/** Warnings for non-finite values: input tensors by JSON path, results by index. */
export function nonFiniteWarnings(trace: AnyTrace): Problem[] {
  const warning = (name: string, count: number, at: string, value: number): Problem => ({ code: 'values.nonFinite', args: { name, count, at, value: String(value) } });
  if (isNetworkTrace(trace)) {
    return trace.nonFinite.map(r => {
      const name = qualifiedName(trace.layers[r.layer], r.tensor);
      return warning(name, r.count, `${name}[${r.firstIndex.join(', ')}]`, r.firstValue);
    });
  }
  const specKey: Partial<Record<string, string>> = { input: 'input', weight: 'weight', bias: 'bias', delta: 'grad' };
  return trace.nonFinite.map(r => {
    const key = specKey[r.tensor];
    return warning(r.tensor, r.count, key ? jsonPath([key, ...r.firstIndex]) : `${r.tensor}[${r.firstIndex.join(', ')}]`, r.firstValue);
  });
}
