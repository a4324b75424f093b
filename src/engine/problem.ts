// Problems as data: a stable code and typed arguments, rendered by a table per
// language (src/engine/problemText.en.ts, src/specReader/problemText.en.ts and
// src/specReader/problemText.zh-cn.ts). Nothing parses a message back: faces render
// the problem in their language, code paths read its fields.

/** The engine's problems, by code, with the arguments each one's text needs. Shapes are number arrays. */
export interface EngineProblemArgs {
  'conv.notInteger': { key: string; value: number };
  'conv.belowOne': { key: string; value: number };
  'conv.notPair': { key: string };
  'conv.paddingForm': Record<string, never>;
  'conv.paddingNotInteger': { value: number };
  'conv.paddingNegative': { value: number };
  'conv.rank': { key: string; rank: number; axes: string; shape: number[] };
  'conv.emptyDimension': { key: string; shape: number[] };
  'conv.groupsInput': ConvShapes & { channels: number };
  'conv.groupsOutput': ConvShapes & { channels: number };
  'conv.channels': ConvShapes & { has: number; expects: number };
  'conv.bias': { channels: number; shape: number[] };
  'conv.sameStride': { stride: [number, number] };
  'conv.kernelTooLarge': {
    dilated: boolean; kernel: [number, number]; padded: [number, number];
    input: number[]; weight: number[]; padding: number[]; dilation: [number, number];
  };
  'conv1d.paddingForm': Record<string, never>;
  'conv1d.sameStride': { stride: number };
  'conv1d.kernelTooLarge': { extent: number; padded: number; input: number[]; weight: number[]; padding: [number, number]; dilation: number };
  'grad.shape': { expected: number[]; shape: number[]; axes?: string };
  'budget.limit': { value: string };
  'budget.tensor': { name: string; count: number; shape: number[]; limit: number };
  'budget.total': { tensors: number; count: number; factor: number; limit: number };
  'layer.inputRank': { rank: number; axes: string; shape: number[]; flattenHint?: boolean };
  'pool.notPositive': { key: string; value: number };
  'pool.avgDilation': Record<string, never>;
  'pool.paddingForm': Record<string, never>;
  'pool.paddingNegative': { padding: number[] };
  'pool.paddingHalf': { padding: [number, number]; kernel: [number, number] };
  'pool.paddingKernel': { padding: number[]; kernel: [number, number] };
  'pool.windowTooLarge': { kernel: [number, number]; dilation: [number, number]; input: [number, number]; padding: number[] };
  'pool.windowOnPadding': { axis: 'height' | 'width'; window: number; start: number; kernel: number; dilation: number; padding: [number, number]; input: number };
  'linear.weightRank': { shape: number[] };
  'linear.features': { has: number; expects: number; input: number[]; weight: number[] };
  'linear.bias': { channels: number; shape: number[] };
  'mse.target': { target: number[]; output: number[] };
  'crossEntropy.logits': { shape: number[] };
  'crossEntropy.batch': { count: number; batch: number };
  'crossEntropy.class': { index: number; value: number; last: number };
  'flatten.rank': { shape: number[] };
  'reshape.size': { shape: number[]; input: number[] };
  'batchnorm.channels': { key: string; channels: number; shape: number[] };
  'batchnorm.oneValue': { shape: number[] };
  'convT.negative': { key: string; value: number };
  'convT.outputPadding': { outputPadding: [number, number]; stride: [number, number]; dilation: [number, number] };
  'convT.paddingForm': Record<string, never>;
  'convT.outputEmpty': {
    output: [number, number]; full: [number, number]; padding: [number, number, number, number]; outputPadding: [number, number];
    input: number[]; weight: number[];
  };
  'clip.range': { min: number; max: number };
  'dropout.p': { p: number };
  'adaptivePool.size': { size: number[] };
  'upsample.which': Record<string, never>;
  'upsample.scale': { scale: number[] };
  'upsample.nearestRule': { key: string; value: string; values: string[] };
  'resample.output': { output: number[] };
  'pad2d.padding': { padding: string };
  'pad2d.reflect': { padding: number[]; input: number[] };
  'network.empty': Record<string, never>;
  'graph.inputSelf': { name: string };
  'graph.inputLater': { name: string; layer: string };
  'graph.inputMissing': { name: string; count: number };
  'graph.oneInput': { type: string; count: number };
  'graph.fewInputs': { type: string; count: number; min: number };
  'graph.unused': { name: string };
  'add.shapes': { names: string[]; shapes: number[][] };
  'concat.shapes': { names: string[]; shapes: number[][] };
  'mul.inputs': { count: number; by: boolean };
  'mul.shapes': { names: string[]; shapes: number[][] };
  'layerSpec.inputs': { count: number };
  'layerSpec.inputRank': { shape: number[]; rank: number; axes: string };
  'gradcheck.noTensor': { name: string };
  'gradcheck.notGradient': { name: string };
  'gradcheck.index': { name: string; index: number[]; shape: number[] };
  'gradcheck.shape': { name: string; shape: number[]; expected: number[] };
  'gradcheck.tooBig': { name: string; work: number; limit: number };
  'compare.shape': { name: string; yours: number[]; yoursCount: number; engine: number[]; engineCount: number };
  'compare.missing': { name: string };
  'tensor.shape': { key: string; shape: string };
  'tensor.dtype': { key: string; dtype: string };
  'tensor.data': { key: string; dtype: string; array: string };
  'tensor.size': { key: string; shape: number[]; needs: number; holds: number };
}

/** The shapes conv2d's channel problems name: `(input (1, 3, 4, 4), weight (2, 3, 2, 2), groups 1)`. */
export interface ConvShapes { input: number[]; weight: number[]; groups: number }

/** One problem of a map of codes: its code and that code's arguments. */
export type ProblemOf<M> = { [C in Extract<keyof M, string>]: { code: C; args: M[C] } }[Extract<keyof M, string>];

/** A text per code, for one language: the compiler checks that every code has one. */
export type ProblemTable<M> = { [C in Extract<keyof M, string>]: (args: M[C]) => string };

/** A network layer a problem arose in: `layers[2] (maxpool2d)`, and, when its input did not fit, that input's shape. */
export interface LayerAt {
  index: number;
  type: string;
  /** The name the spec or the model gives the layer (an ONNX node's). */
  name?: string;
  /** The shape the layer was given (it comes from the layer before, or the network's input). */
  input?: number[];
  /** Where that input came from when the layer names it (`input`, `layers[2]`); else the layer before. */
  from?: string;
}

/** Where a problem arose, rendered around its text: `x.npy: …`, `conv2d: …`, `layers[2] (maxpool2d): … — its input …`. */
export interface ProblemContext {
  /** The .npy file a reader's problem is about. */
  file?: string;
  /** The engine op that refused its arguments. */
  op?: string;
  layer?: LayerAt;
}

/** How one language puts a problem's context around its text. */
export interface ProblemFrame {
  file(file: string, text: string): string;
  op(op: string, text: string): string;
  layer(layer: LayerAt, text: string): string;
}

export type EngineProblem = ProblemOf<EngineProblemArgs>;

/** Renders a problem with a table and a frame (one language's). */
export function renderWith<M>(table: ProblemTable<M>, frame: ProblemFrame, problem: ProblemOf<M> & ProblemContext): string {
  // The one place a code meets its arguments' type: ProblemOf pairs them, TypeScript cannot follow the pair through an index.
  const text = (table[problem.code] as (args: unknown) => string)(problem.args);
  const framed = problem.layer ? frame.layer(problem.layer, text) : problem.op ? frame.op(problem.op, text) : text;
  return problem.file === undefined ? framed : frame.file(problem.file, framed);
}

/** A count as the problems print it, with thousands separators in every language: `160,801`. */
export function thousands(n: number): string {
  return n.toLocaleString('en-US');
}
