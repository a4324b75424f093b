// The spec reader's problems, by code: the JSON text, the spec's structure, the
// nested arrays, the files a spec names (.npy, images, .npz, .safetensors, .pt, .onnx). With the engine's (src/engine/problem.ts) they
// make every problem a face may show; the English texts are in problemText.en.ts,
// the Chinese in src/specReader/problemText.zh-cn.ts.

import type { EngineProblemArgs, ProblemContext, ProblemOf } from '../engine/problem';
import type { ValueDescription } from '../format/describe';
import type { ImageFormat } from './image';
import type { SpecFileType } from './specFiles';
import type { SourceFormat } from './tensorSource';

/** jsonc-parser's syntax errors, and the two ways a comma can be missing. */
export type JsonSyntax =
  | 'InvalidSymbol' | 'InvalidNumberFormat' | 'PropertyNameExpected' | 'ValueExpected' | 'ColonExpected' | 'CommaExpected'
  | 'CommaOrBracketExpected' | 'CommaOrBraceExpected' | 'CloseBraceExpected' | 'CloseBracketExpected' | 'EndOfFileExpected'
  | 'InvalidCommentToken' | 'UnexpectedEndOfComment' | 'UnexpectedEndOfString' | 'UnexpectedEndOfNumber' | 'InvalidUnicode'
  | 'InvalidEscapeCharacter' | 'InvalidCharacter';

export interface SpecProblemArgs {
  'json.empty': Record<string, never>;
  'json.syntax': { error: JsonSyntax; near?: string; nonFinite?: boolean };
  'json.tooDeep': { limit: number };
  'spec.unreadable': { why: string };
  'spec.notConv': { found: ValueDescription };
  'spec.unknownKey': { key: string; hint?: string; kind: 'conv' | 'network'; keys: string[] };
  'spec.missingKey': { key: string; axes: string };
  'spec.dtype': { found: ValueDescription };
  /** format: the source object's file key ("npy", "image", "npz", "safetensors"). */
  'spec.npyPath': { format: SourceFormat; found: ValueDescription };
  'spec.npyMissing': { file: string };
  'spec.npyRank': { file: string; rank: number; shape: number[]; expected: number; axes: string };
  'spec.pair': { key: string; found: ValueDescription };
  'spec.padding': { found: ValueDescription };
  'spec.groups': { found: ValueDescription };
  'network.layers': { found: ValueDescription };
  'network.layer': { found: ValueDescription };
  'network.type': { types: string[]; found: ValueDescription };
  'network.layerKey': { type: string; key: string; keys: string[] };
  'network.required': { type: string; key: string };
  'network.boolean': { key: string; found: ValueDescription };
  'network.number': { key: string; found: ValueDescription };
  'network.loss': { found: ValueDescription };
  'network.lossKey': { type: string; key: string; keys: string[] };
  'network.classes': { found: ValueDescription };
  'network.lossAndGrad': Record<string, never>;
  'network.inputs': { found: ValueDescription };
  'network.inputName': { found: ValueDescription };
  'network.model': { found: ValueDescription };
  'network.modelAndLayers': Record<string, never>;
  'nested.notArray': { rank: number; axes: string; found: ValueDescription };
  'nested.rank': { rank: number; axes: string; shape: number[] };
  'nested.empty': { axes: string };
  'nested.deeper': { first: string; shape: number[] };
  'nested.notNumber': { found: ValueDescription };
  'ragged.notArray': { count: number; first: string; found: ValueDescription };
  'ragged.length': { count: number; first: string; expected: number };
  'ragged.mixed': Record<string, never>;
  'ragged.shape': { shape: number[]; first: string; expected: number[] };
  'npy.magic': Record<string, never>;
  'npy.version': { major: number; minor: number };
  'npy.headerShort': Record<string, never>;
  'npy.headerLong': { length: number; limit: number };
  'npy.structured': Record<string, never>;
  'npy.noDtype': { header: string };
  'npy.header': { header: string };
  'npy.shape': { shape: string };
  'npy.byteOrder': { dtype: string };
  /** kind: the dtype's kind letter (f, i, c, O, …). */
  'npy.dtype': { dtype: string; kind: string; size?: number };
  'npy.dataShort': { shape: number[]; needed: number; has: number };
  'source.unknownKey': { format: SourceFormat; key: string; keys: string[] };
  'source.key': { format: SourceFormat; key: 'key' | 'initializer'; found: ValueDescription };
  'source.keyMissing': { key: string; keys: string[] };
  'image.format': Record<string, never>;
  'image.truncated': { format: ImageFormat };
  /** why: the decoder's own words (English), or ours. */
  'image.corrupt': { format: ImageFormat; why: string };
  'image.jpegProcess': { marker: string };
  'image.pngLowBitInterlaced': { depth: number };
  'image.tooMany': { width: number; height: number; channels: number; limit: number };
  'image.inflated': { expected: number };
  'image.mode': { found: ValueDescription };
  'image.size': { found: ValueDescription };
  'image.scale': { found: ValueDescription };
  'image.normalize': { found: ValueDescription };
  'image.normalizeLength': { key: 'mean' | 'std'; length: number; channels: number };
  'npz.zip': { why: string };
  'npz.entryTooBig': { key: string; size: number; limit: number };
  'npz.short': { key: string; needed: number; has: number };
  'npz.method': { key: string; method: number };
  /** over: it inflates past its declared size (else it ends before). */
  'npz.size': { key: string; size: number; over: boolean };
  'safetensors.header': { why: string };
  'safetensors.dtype': { key: string; dtype: string; supported: string[] };
  'safetensors.offsets': { key: string; begin: number; end: number; needed: number; has: number };
  'torch.archive': { why: string };
  'torch.pickle': { why: string };
  /** opcode: pickletools' name, or the byte in hex; at: its offset in data.pkl. */
  'torch.opcode': { opcode: string; at: number };
  /** global: "module name", as the pickle's GLOBAL writes it. */
  'torch.global': { global: string };
  'torch.view': { key: string; offset: number; size: number[]; stride: number[]; length: number };
  'onnx.proto': { why: string };
  'onnx.external': { name: string };
  'onnx.dtype': { name: string; dataType: number; supported: string[] };
  'onnx.data': { name: string; needed: number; has: number };
  'onnx.noGraph': Record<string, never>;
  'onnx.graphInputs': { names: string[] };
  'onnx.graphOutputs': { names: string[] };
  /** The model editor plans shapes on the graph input's declared shape: this one declares none. */
  'onnx.inputUnknown': { name: string };
  /** declared: each dimension as the model writes it (a number, or a symbolic name). */
  'onnx.inputShape': { name: string; declared: string[]; shape: number[] };
  'onnx.twice': { name: string };
  'onnx.missing': { node: string; name: string };
  'onnx.cycle': { node: string };
  'onnx.op': { node: string; op: string; ops: string[] };
  /** found: the attribute's value as written; expected: the values read. */
  'onnx.attribute': { node: string; op: string; attribute: string; found: string; expected: string };
  'onnx.output': { node: string; op: string; output: string };
  'onnx.tensor': { node: string; op: string; name: string };
  'onnx.weight': { node: string; op: string; name: string };
  'onnx.bias': { node: string };
  'onnx.reshape': { node: string; shape: number[]; input: number[] };
  /** A name asked for (conv-trace --only) that is not one of the model's values; known: the first few there are. */
  'onnx.valueName': { names: string[]; known: string[]; more: number; target: boolean };
  'onnx.empty': Record<string, never>;
  'onnx.divideByZero': { node: string; name: string; index: number };
  'onnx.outputFirst': { output: string; later: string };
  'file.notRegular': { type: Exclude<SpecFileType, 'file'> };
  'file.outside': { folder: string };
  'file.tooBig': { size: number; limit: number };
  'file.noRoom': { size: number; room: number; factor: number; limit: number };
  'file.tooMany': { count: number; limit: number };
  'file.unreadable': { why: string };
  'values.nonFinite': { name: string; count: number; at: string; value: string };
}

export type SpecProblem = ProblemOf<SpecProblemArgs>;

/** Every code a face may render: the engine's and the spec reader's. */
export type ProblemArgs = EngineProblemArgs & SpecProblemArgs;
export type ProblemCode = Extract<keyof ProblemArgs, string>;

/** A problem of either layer, with where it arose. */
export type Problem = ProblemOf<ProblemArgs> & ProblemContext;
