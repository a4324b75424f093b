// The spec, version 2: a network of layers ending in a loss.
//   { "input": (B, C, H, W), "layers": [ {"type": "conv2d", "weight": ..., ...}, {"type": "relu"},
//     {"type": "maxpool2d", "kernel": 2}, {"type": "flatten"}, {"type": "linear", "weight": ...} ],
//   A layer takes the layer before's output, or what its "inputs" names: "input" or an earlier layer
//   ("inputs": ["input", "layers[4]"]), so that add and concat join branches. The last layer is the output.
//     "loss": {"type": "cross_entropy", "target": [3]} | {"type": "mse", "target": [...]},
//     "grad"?: ∂C/∂output instead of a loss, "dtype"? }
// Instead of "layers", "model": {"onnx": "model.onnx"} runs an ONNX model's graph as the layers (onnx/model.ts).
// Every problem is located at its JSON path, e.g. $.layers[3].kernel.

import type { Pair } from '../engine/convInfo';
import { EngineError } from '../engine/errors';
import { GraphLayer, LayerInput, graphProblems } from '../engine/graph';
import { LayerSpec, LossSpec, NetworkLayer, NetworkProblem, NetworkTrace, traceNetwork } from '../engine/network';
import { NetworkRun, RunOptions, runNetwork } from '../engine/networkRun';
import { LAYER_TYPES, LayerParam, ParamValues, buildLayer, isLayerType, layerKeys, layerParams, minInputs, networkInputOf } from '../engine/layerKinds';
import type { LayerReading } from '../engine/layerKinds/kind';
import { isLossType, lossKind } from '../engine/layerKinds/loss';
import { DType, Tensor } from '../engine/tensor';
import { DEFAULT_MAX_ELEMENTS, type TraceOptions } from '../engine/trace';
import { NestedArrayError, TensorExpectation, describeValue, inferShape, nestedToTensor } from './nested';
import type { Problem } from './problemCodes';
import { JSONPath, JsonSource, SpecError } from './source';
import { SourceReading, readTensorSource, sourceFormat } from './tensorSource';
import { TensorFileError } from './fileError';
import { modelLayers } from './onnx/model';
import { NpyFiles, npyBytes } from './specFiles';

const NETWORK_KEYS = ['input', 'layers', 'model', 'loss', 'grad', 'dtype', '$schema', 'name', 'description', 'comment'];
const DOC_KEYS = ['name', 'description', 'comment'];

/** How the spec reader reads a layer of the registry's types. */
const LAYER_READING: LayerReading<LayerSpec> = { params: layerParams, build: buildLayer };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isNetworkSpec(value: unknown): boolean {
  return isObject(value) && ('layers' in value || 'model' in value);
}

/** The layers of the ONNX model a spec's "model" names, run on `input`; or a problem at $.model. */
function readModel(model: unknown, input: Tensor, npy: NpyFiles, dtype: DType, maxElements: number): NetworkLayer[] | { path: JSONPath; problem: Problem } {
  const file = isObject(model) && Object.keys(model).length === 1 ? model.onnx : undefined;
  if (typeof file !== 'string') return { path: ['model'], problem: { code: 'network.model', args: { found: describeValue(model) } } };
  const at: JSONPath = ['model', 'onnx'];
  const bytes = npyBytes(npy, file);
  if (!(bytes instanceof Uint8Array)) return { path: at, problem: bytes };
  try {
    return modelLayers(bytes, input.shape, dtype, maxElements);
  } catch (e) {
    if (e instanceof TensorFileError || e instanceof EngineError) return { path: at, problem: { ...e.problem, file } };
    throw e;
  }
}

export interface NetworkReading {
  problem?: NetworkProblem;
  problems: SpecError[];
  /** The tensors read from files (hovers show what each holds). */
  sources: SourceReading[];
}

export function collectNetworkSpec(source: JsonSource, npy: NpyFiles = new Map(), defaultDType: DType = 'float64', maxElements = DEFAULT_MAX_ELEMENTS): NetworkReading {
  const problems: SpecError[] = [];
  const sources: SourceReading[] = [];
  const spec = source.value as Record<string, unknown>;
  const error = (path: JSONPath, problem: Problem) => problems.push(source.error(path, problem));
  for (const key of Object.keys(spec)) {
    if (!NETWORK_KEYS.includes(key)) problems.push(new SpecError(source.file, [key], { code: 'spec.unknownKey', args: { key, kind: 'network', keys: NETWORK_KEYS.filter(k => !k.startsWith('$') && !DOC_KEYS.includes(k)) } }, source.locateKey([key])));
  }
  let dtype = defaultDType;
  if (spec.dtype !== undefined) {
    if (spec.dtype === 'float64' || spec.dtype === 'float32') dtype = spec.dtype;
    else error(['dtype'], { code: 'spec.dtype', args: { found: describeValue(spec.dtype) } });
  }

  /** A tensor of a given rank (or any rank), from nested arrays or a file (tensorSource.ts). */
  const tensor = (path: JSONPath, v: unknown, expect?: TensorExpectation): Tensor | undefined => {
    if (sourceFormat(v)) {
      const { reading, problem } = readTensorSource(path, v as Record<string, unknown>, npy, dtype, maxElements, expect);
      if (reading) sources.push(reading);
      if (problem) error(problem.path, problem.problem);
      return problem ? undefined : reading?.tensor;
    }
    try {
      const rank = expect?.rank ?? Math.max(1, inferShape(v).length);
      return nestedToTensor(v, path, dtype, expect ?? { rank, axes: `(${rank}-D)` });
    } catch (e) {
      if (e instanceof NestedArrayError) { error(e.path, e.problem); return undefined; }
      throw e;
    }
  };
  const intOrPair = (path: JSONPath, v: unknown, what: string): number | Pair | undefined => {
    if (v === undefined) return undefined;
    if (typeof v === 'number' || (Array.isArray(v) && v.length === 2 && v.every(x => typeof x === 'number'))) return v as number | Pair;
    error(path, { code: 'spec.pair', args: { key: what, found: describeValue(v) } });
    return undefined;
  };

  /** One key's value as its layer kind declares it, or undefined (and a problem at the key). */
  const readParam = (param: LayerParam, path: JSONPath, key: string, v: unknown): unknown => {
    switch (param.read) {
      case 'tensor': return tensor(path, v, 'anyRank' in param ? undefined : { rank: param.rank, axes: param.axes });
      case 'intOrPair': return intOrPair(path, v, key);
      case 'boolean':
        if (typeof v === 'boolean') return v;
        error(path, { code: 'network.boolean', args: { key, found: describeValue(v) } });
        return undefined;
      case 'number':
        if (typeof v === 'number') return v;
        error(path, { code: 'network.number', args: { key, found: describeValue(v) } });
        return undefined;
      case 'classes':
        if (Array.isArray(v) && v.every(c => Number.isInteger(c) && (c as number) >= 0)) return v as number[];
        error(path, { code: 'network.classes', args: { found: describeValue(v) } });
        return undefined;
      case 'asWritten': return v;
    }
  };
  /**
   * A layer (or the loss) of a type: each key its kind declares, read the way it says, and the layer built once
   * its required keys are. `unknownKey` is the problem of a key the type does not take; the caller reads `own`.
   */
  const readLayer = <S extends { type: string }>(
    at: JSONPath, raw: Record<string, unknown>, type: S['type'], kind: LayerReading<S>, unknownKey: (key: string, keys: string[]) => Problem, own: readonly string[] = [],
  ): S | undefined => {
    const params = kind.params(type);
    const keys = Object.keys(params);
    for (const key of Object.keys(raw)) {
      if (key !== 'type' && !own.includes(key) && !keys.includes(key) && !DOC_KEYS.includes(key)) problems.push(new SpecError(source.file, [...at, key], unknownKey(key, keys), source.locateKey([...at, key])));
    }
    const values: ParamValues = {};
    let complete = true;
    for (const [key, param] of Object.entries(params)) {
      const v = raw[key];
      const required = 'required' in param && param.required === true;
      // A missing tensor or class list says so itself, at its key.
      if (v === undefined && !(required && (param.read === 'tensor' || param.read === 'classes'))) {
        if (required) { error(at, { code: 'network.required', args: { type, key } }); complete = false; }
        continue;
      }
      const read = readParam(param, [...at, key], key, v);
      if (read === undefined) complete &&= !required;
      else values[key] = read;
    }
    return complete ? kind.build(type, values) : undefined;
  };
  // The input's rank is what the first layer reads: (B, C, H, W), or (B, C, L) for a conv1d.
  const first = Array.isArray(spec.layers) && isObject(spec.layers[0]) && isLayerType(spec.layers[0].type) ? spec.layers[0].type : undefined;
  const inputAxes = networkInputOf(first);
  const input = 'input' in spec ? tensor(['input'], spec.input, inputAxes) : (error([], { code: 'spec.missingKey', args: { key: 'input', axes: inputAxes.axes } }), undefined);
  /** A layer's "inputs": each name as an index (or the network's input), or undefined (and a problem at the name). */
  const readInputs = (at: JSONPath, v: unknown): LayerInput[] | undefined => {
    if (!Array.isArray(v)) { error(at, { code: 'network.inputs', args: { found: describeValue(v) } }); return undefined; }
    const inputs = v.map((name, j): LayerInput | undefined => {
      const m = typeof name === 'string' ? /^layers\[(\d+)\]$/.exec(name) : null;
      if (name === 'input' || m) return m ? Number(m[1]) : 'input';
      error([...at, j], { code: 'network.inputName', args: { found: describeValue(name) } });
      return undefined;
    });
    return inputs.every(i => i !== undefined) ? inputs as LayerInput[] : undefined;
  };
  let layers: NetworkLayer[] = [];
  /** Every layer's type and inputs, for the graph's check: undefined once one of them could not be read. */
  let graph: GraphLayer[] | undefined = [];
  if ('model' in spec) {
    graph = undefined;
    if ('layers' in spec) error(['model'], { code: 'network.modelAndLayers', args: {} });
    else if (input) {
      const read = readModel(spec.model, input, npy, dtype, maxElements);
      if (Array.isArray(read)) layers = read;
      else error(read.path, read.problem);
    }
  } else if (!Array.isArray(spec.layers) || spec.layers.length === 0) {
    error(['layers'], { code: 'network.layers', args: { found: describeValue(spec.layers) } });
  } else {
    spec.layers.forEach((raw, i) => {
      const at = ['layers', i];
      if (!isObject(raw)) { error(at, { code: 'network.layer', args: { found: describeValue(raw) } }); graph = undefined; return; }
      const type = raw.type;
      if (!isLayerType(type)) {
        error([...at, 'type'], { code: 'network.type', args: { types: [...LAYER_TYPES], found: describeValue(type) } });
        graph = undefined;
        return;
      }
      const inputs = raw.inputs === undefined ? undefined : readInputs([...at, 'inputs'], raw.inputs);
      if (raw.inputs !== undefined && !inputs) graph = undefined;
      graph?.push({ type, ...(inputs ? { inputs } : {}) });
      const layer = readLayer(at, raw, type, LAYER_READING, (key, keys) => ({ code: 'network.layerKey', args: { type, key, keys } }), ['inputs']);
      const name = typeof raw.name === 'string' ? { name: raw.name } : {};
      if (layer) layers.push({ ...layer, ...(inputs ? { inputs } : {}), ...name });
    });
  }
  // What each layer takes: the input or earlier layers, as many as its kind takes, and every output but the last used.
  for (const p of graph ? graphProblems(graph, minInputs) : []) {
    const at: JSONPath = ['layers', p.layer];
    const named = graph?.[p.layer].inputs !== undefined;
    error(p.position !== undefined ? [...at, 'inputs', p.position] : p.problem.code === 'graph.unused' || !named ? at : [...at, 'inputs'], p.problem);
  }
  let loss: LossSpec | undefined;
  if (spec.loss !== undefined) {
    const l = spec.loss;
    const type = isObject(l) ? l.type : undefined;
    if (!isObject(l) || !isLossType(type)) error(['loss'], { code: 'network.loss', args: { found: describeValue(l) } });
    else loss = readLayer(['loss'], l, type, lossKind, (key, keys) => ({ code: 'network.lossKey', args: { type, key, keys } }));
  }
  if (loss && spec.grad !== undefined) error(['grad'], { code: 'network.lossAndGrad', args: {} });
  const grad = spec.grad === undefined || loss ? undefined : tensor(['grad'], spec.grad);
  if (problems.length || !input) return { problems, sources };
  return { problem: { input, layers, loss, grad, dtype }, problems, sources };
}

/** An engine error inside a network, at its layer (and key): $.layers[3].weight, $.grad, $.loss.target; a model's layer at $.model.onnx. */
export function networkErrorPath(e: EngineError, spec?: unknown): JSONPath | undefined {
  if (e.layer && isObject(spec) && 'model' in spec) return ['model', 'onnx'];
  if (!e.layer) return e.argument === 'grad' ? ['grad'] : e.argument === 'target' ? ['loss', 'target'] : isLossType(e.op) ? ['loss'] : undefined;
  const path: JSONPath = ['layers', e.layer.index];
  // A key of the layer (weight, bias, running_var…): the kind's module declares which; or what it names as its inputs.
  if (e.argument === 'inputs' || (e.argument && isLayerType(e.layer.type) && layerKeys(e.layer.type).includes(e.argument))) path.push(e.argument);
  return path;
}

export function traceNetworkSource(source: JsonSource, options: TraceOptions = {}, npy?: NpyFiles): NetworkTrace {
  return runNetworkSource(source, options, npy).trace;
}

/** Reads a parsed network spec; the first problem is thrown as a SpecError. */
export function readNetworkSpec(source: JsonSource, options: TraceOptions = {}, npy?: NpyFiles): NetworkProblem {
  const r = collectNetworkSpec(source, npy, options.dtype, options.maxElements);
  if (r.problems.length || !r.problem) throw r.problems[0];
  return r.problem;
}

/** Reads and traces a network spec, keeping the problem it read (the gradient check runs it again). */
export function runNetworkSource(source: JsonSource, options: TraceOptions = {}, npy?: NpyFiles, ready?: (problem: NetworkProblem) => void): { problem: NetworkProblem; trace: NetworkTrace } {
  const problem = readNetworkSpec(source, options, npy);
  try {
    ready?.(problem);
    return { problem, trace: traceNetwork(problem, options) };
  } catch (e) {
    if (e instanceof EngineError) throw source.error(networkErrorPath(e, source.value), e.problem);
    throw e;
  }
}

/** Reads a network spec and runs it lean (networkRun.ts: outputs and δs, no stage); engine errors at their key. */
export function runLeanNetworkSource(source: JsonSource, options: RunOptions = {}, npy?: NpyFiles): NetworkRun {
  const problem = readNetworkSpec(source, options, npy);
  try {
    return runNetwork(problem, options);
  } catch (e) {
    if (e instanceof EngineError) throw source.error(networkErrorPath(e, source.value), e.problem);
    throw e;
  }
}
