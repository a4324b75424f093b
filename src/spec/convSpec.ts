// The conv spec (v1): JSON → ConvProblem, every problem located by JSON path.
//   { "input": (B,Cin,H,W), "weight": (Cout,Cin/groups,kh,kw), "bias"?: (Cout),
//     "grad"?: (B,Cout,Hout,Wout), "stride"?, "padding"?, "dilation"?, "groups"?,
//     "dtype"?: "float64" | "float32" }

import { ConvOptions, PaddingOption, Pair } from '../engine/convInfo';
import { EngineError } from '../engine/errors';
import { DType } from '../engine/tensor';
import { ConvProblem, ConvTrace, TraceOptions, traceConv } from '../engine/trace';
import { NestedArrayError, TensorExpectation, describeJson, nestedToTensor } from './nested';
import { JsonSource, SpecError, jsonPath } from './source';

export const SPEC_KEYS = ['input', 'weight', 'bias', 'grad', 'stride', 'padding', 'dilation', 'groups', 'dtype'] as const;
/** Keys a spec may carry for people and tools; the engine ignores them. */
const DOC_KEYS = ['$schema', 'name', 'description', 'comment'];

export const TENSOR_KEYS: Record<'input' | 'weight' | 'bias' | 'grad', TensorExpectation> = {
  input: { rank: 4, axes: '(B, Cin, H, W)' },
  weight: { rank: 4, axes: '(Cout, Cin/groups, kh, kw)' },
  bias: { rank: 1, axes: '(Cout,)' },
  grad: { rank: 4, axes: '(B, Cout, Hout, Wout)' },
};

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

/** Reads a parsed spec; structural problems throw SpecError (geometry is checked by the engine). */
export function readConvSpec(source: JsonSource): ConvProblem {
  const spec = source.value;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw source.error([], `expected a conv spec: an object with "input" and "weight", found ${describeJson(spec)}`);
  }
  const obj = spec as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if ((SPEC_KEYS as readonly string[]).includes(key) || DOC_KEYS.includes(key)) continue;
    const hint = closest(key, SPEC_KEYS);
    throw new SpecError(source.file, [key], `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; a conv spec has ${SPEC_KEYS.join(', ')}`, source.locateKey([key]));
  }
  for (const key of ['input', 'weight'] as const) {
    if (!(key in obj)) throw source.error([], `missing key "${key}" ${TENSOR_KEYS[key].axes}`);
  }

  let dtype: DType = 'float64';
  if (obj.dtype !== undefined) {
    if (obj.dtype !== 'float64' && obj.dtype !== 'float32') {
      throw source.error(['dtype'], `dtype must be "float64" or "float32", found ${describeJson(obj.dtype)}`);
    }
    dtype = obj.dtype;
  }
  const tensor = (key: keyof typeof TENSOR_KEYS) => {
    try {
      return nestedToTensor(obj[key], [key], dtype, TENSOR_KEYS[key]);
    } catch (e) {
      if (e instanceof NestedArrayError) throw source.error(e.path, e.problem);
      throw e;
    }
  };

  const options: ConvOptions = {};
  const pairOption = (key: 'stride' | 'dilation'): number | Pair | undefined => {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (typeof v === 'number' || isIntPair(v)) return v;
    throw source.error([key], `${key} must be an integer or a pair [h, w], found ${describeJson(v)}`);
  };
  options.stride = pairOption('stride');
  options.dilation = pairOption('dilation');
  if (obj.padding !== undefined) {
    const p = obj.padding;
    const ok = typeof p === 'number' || p === 'valid' || p === 'same'
      || (Array.isArray(p) && (p.length === 2 || p.length === 4) && p.every(x => typeof x === 'number'));
    if (!ok) {
      throw source.error(['padding'], `padding must be an integer, [ph, pw], [top, bottom, left, right], "valid" or "same", found ${describeJson(p)}`);
    }
    options.padding = p as PaddingOption;
  }
  if (obj.groups !== undefined) {
    if (typeof obj.groups !== 'number') throw source.error(['groups'], `groups must be an integer, found ${describeJson(obj.groups)}`);
    options.groups = obj.groups;
  }

  const problem: ConvProblem = { input: tensor('input'), weight: tensor('weight'), options, dtype };
  if (obj.bias !== undefined && obj.bias !== null) problem.bias = tensor('bias');
  if (obj.grad !== undefined && obj.grad !== null) problem.grad = tensor('grad');
  return problem;
}

/** Parses and traces a spec file's text. Every failure is a SpecError naming the file and the JSON path. */
export function traceSpecText(file: string, text: string, options: TraceOptions = {}): ConvTrace {
  return traceSpecSource(JsonSource.parse(file, text), options);
}

/** Traces a parsed spec; engine errors come back as SpecErrors at the argument's key. */
export function traceSpecSource(source: JsonSource, options: TraceOptions = {}): ConvTrace {
  const problem = readConvSpec(source);
  try {
    return traceConv(problem, options);
  } catch (e) {
    if (e instanceof EngineError) throw source.error(e.argument ? [e.argument] : undefined, e.message);
    throw e;
  }
}

/** Human-readable warnings for non-finite values: input tensors by JSON path, results by index. */
export function nonFiniteWarnings(trace: ConvTrace): string[] {
  const specKey: Partial<Record<string, string>> = { input: 'input', weight: 'weight', bias: 'bias', delta: 'grad' };
  return trace.nonFinite.map(r => {
    const key = specKey[r.tensor];
    const where = key ? jsonPath([key, ...r.firstIndex]) : `${r.tensor}[${r.firstIndex.join(', ')}]`;
    const plural = r.count === 1 ? 'value' : 'values';
    return `${r.tensor} has ${r.count} non-finite ${plural} (first: ${where} = ${r.firstValue})`;
  });
}
