// The spec reader's problems in English, the language they are written in (the
// CLI prints them; a SpecError's message holds them), and `english` for a
// problem of either layer.

import { ProblemTable, renderWith } from '../engine/problem';
import { ENGINE_EN, FRAME_EN } from '../engine/problemText.en';
import { formatShape } from '../engine/tensor';
import { describedInEnglish as v } from '../format/describe';
import type { JsonSyntax, Problem, ProblemArgs, SpecProblemArgs } from './problemCodes';

const SYNTAX: Record<JsonSyntax, string> = {
  InvalidSymbol: 'unexpected symbol',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected a colon',
  CommaExpected: 'expected a comma',
  CommaOrBracketExpected: 'expected a comma or a closing bracket ]',
  CommaOrBraceExpected: 'expected a comma or a closing brace }',
  CloseBraceExpected: 'expected a closing brace }',
  CloseBracketExpected: 'expected a closing bracket ]',
  EndOfFileExpected: 'unexpected content after the end of the JSON value',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character',
};

/** .npy dtype kinds by their letter. */
const NPY_KINDS: Record<string, string> = {
  f: 'float', i: 'signed integer', u: 'unsigned integer', b: 'bool', c: 'complex', O: 'Python object', U: 'unicode string', S: 'byte string', M: 'datetime', m: 'timedelta', V: 'void/raw',
};

const FILE_TYPES: Record<SpecProblemArgs['file.notRegular']['type'], string> = {
  directory: 'a directory', fifo: 'a FIFO', device: 'a device', socket: 'a socket', other: 'a FIFO, device or socket',
};

/** Names in a message: the first 20, and how many more. */
export function listed(names: readonly string[]): string {
  const shown = names.slice(0, 20).map(n => `"${n}"`).join(', ');
  return names.length > 20 ? `${shown} and ${names.length - 20} more` : shown;
}

export const SPEC_EN: ProblemTable<SpecProblemArgs> = {
  'json.empty': () => 'the file is empty',
  'json.syntax': a => `malformed JSON: ${SYNTAX[a.error]}${
    a.nonFinite ? ' (JSON has no NaN or Infinity; write them as strings: "NaN", "Infinity", "-Infinity")' : a.near !== undefined ? ` at '${a.near}'` : ''}`,
  'json.tooDeep': a => `nested more than ${a.limit} levels deep, too deep for a spec`,
  'spec.unreadable': a => `cannot read the spec: ${a.why}`,
  'spec.notConv': a => `expected a conv spec: an object with "input" and "weight", found ${v(a.found)}`,
  'spec.unknownKey': a => `unknown key "${a.key}"${a.hint ? ` (did you mean "${a.hint}"?)` : ''}; a ${a.kind} spec has ${a.keys.join(', ')}`,
  'spec.missingKey': a => `missing key "${a.key}" ${a.axes}`,
  'spec.dtype': a => `dtype must be "float64" or "float32", found ${v(a.found)}`,
  'spec.npyPath': a => `"${a.format}" must be a file path, found ${v(a.found)}`,
  'spec.npyMissing': a => `missing file "${a.file}" (paths are relative to the spec)`,
  'spec.npyRank': a => `${a.file} holds a ${a.shape.length}-D array ${formatShape(a.shape)}, expected ${a.expected}-D ${a.axes}`,
  'spec.pair': a => `${a.key} must be an integer or a pair [h, w], found ${v(a.found)}`,
  'spec.padding': a => `padding must be an integer, [ph, pw], [top, bottom, left, right], "valid" or "same", found ${v(a.found)}`,
  'spec.groups': a => `groups must be an integer, found ${v(a.found)}`,
  'network.layers': a => `"layers" must be a non-empty list of layers, found ${v(a.found)}`,
  'network.layer': a => `a layer is an object with a "type", found ${v(a.found)}`,
  'network.type': a => `"type" must be one of ${a.types.join(', ')}, found ${v(a.found)}`,
  'network.layerKey': a => `a ${a.type} layer has no "${a.key}"${a.keys.length ? `; its keys: ${a.keys.join(', ')}` : ''}`,
  'network.required': a => `a ${a.type} layer needs a "${a.key}"`,
  'network.boolean': a => `${a.key} must be true or false, found ${v(a.found)}`,
  'network.number': a => `${a.key} must be a number, found ${v(a.found)}`,
  'network.loss': a => `"loss" is {"type": "mse", "target": [...]} or {"type": "cross_entropy", "target": [class, ...]}, found ${v(a.found)}`,
  'network.lossKey': a => `the ${a.type} loss has no "${a.key}"; its keys: ${a.keys.join(', ')}`,
  'network.classes': a => `cross_entropy's target is a list of class indices, one per batch item, found ${v(a.found)}`,
  'network.lossAndGrad': () => 'give a loss or a grad, not both',
  'network.inputs': a => `"inputs" is a list of what the layer takes, e.g. ["input", "layers[2]"], found ${v(a.found)}`,
  'network.model': a => `"model" names an ONNX file: {"onnx": "model.onnx"}, found ${v(a.found)}`,
  'network.modelAndLayers': () => 'a spec has "model" or "layers", not both',
  'network.inputName': a => `an input is "input" (the network's input) or an earlier layer, "layers[2]", found ${v(a.found)}`,
  'nested.notArray': a => `expected a ${a.rank}-D array ${a.axes}, found ${v(a.found)}`,
  'nested.rank': a => `expected a ${a.rank}-D array ${a.axes}, found a ${a.shape.length}-D array of shape ${formatShape(a.shape)}`,
  'nested.empty': a => `empty array: ${a.axes} has no empty dimensions`,
  'nested.deeper': a => `expected a number, found an array: the array is deeper here than at ${a.first} ${formatShape(a.shape)}`,
  'nested.notNumber': a => `expected a number, found ${v(a.found)}`,
  'ragged.notArray': a => `ragged array: expected an array of ${a.count} like ${a.first}, found ${v(a.found)}`,
  'ragged.length': a => `ragged array: ${a.count} elements where ${a.first} has ${a.expected}`,
  'ragged.mixed': () => 'ragged array: numbers and arrays mixed at the same depth',
  'ragged.shape': a => `ragged array: shape ${formatShape(a.shape)} where ${a.first} has ${formatShape(a.expected)}`,
  'npy.magic': () => 'not a .npy file (no \\x93NUMPY magic)',
  'npy.version': a => `unsupported .npy version ${a.major}.${a.minor}`,
  'npy.headerShort': () => 'the .npy header is cut short',
  'npy.headerLong': a => `the .npy header is ${a.length} bytes, more than numpy's limit of ${a.limit}`,
  'npy.structured': () => 'structured arrays (record dtypes) are not supported: save a plain numeric array',
  'npy.noDtype': a => `the .npy header has no dtype: ${a.header}`,
  'npy.header': a => `malformed .npy header: ${a.header}`,
  'npy.shape': a => `malformed shape (${a.shape}) in the .npy header`,
  'npy.byteOrder': a => `unknown byte order in dtype '${a.dtype}'`,
  'npy.dtype': a => `dtype '${a.dtype}' (${NPY_KINDS[a.kind] ?? 'unknown kind'}${a.size ? `, ${a.size} bytes` : ''}) is not supported: use float16/32/64, integers or bool`,
  'npy.dataShort': a => `the .npy data is cut short: shape (${a.shape.join(', ')}) needs ${a.needed} bytes, the file has ${a.has}`,
  'source.unknownKey': a => `{"${a.format}": …} has no "${a.key}"; its keys: ${a.keys.join(', ')}`,
  'source.key': a => `${a.format === 'npz' || a.format === 'onnx' ? 'an' : 'a'} ${a.format} file holds several arrays: name one with "${a.key}": "…", found ${v(a.found)}`,
  'source.keyMissing': a => `no array "${a.key}" in the file; it has ${a.keys.length ? listed(a.keys) : 'none'}`,
  'image.format': () => 'not a PNG or JPEG image (its first bytes are neither signature)',
  'image.truncated': a => `the ${a.format} file is cut short`,
  'image.corrupt': a => `the ${a.format} file is corrupt: ${a.why}`,
  'image.jpegProcess': a => `JPEG coding ${a.marker} (lossless, hierarchical or arithmetic) is not supported: save as baseline or progressive JPEG, or PNG`,
  'image.pngLowBitInterlaced': a => `interlaced PNGs of ${a.depth}-bit samples are not supported: save it without interlacing, or with 8-bit samples`,
  'image.tooMany': a => `the image is ${a.width} × ${a.height} with ${a.channels} channel${a.channels === 1 ? '' : 's'}: ${a.width * a.height * a.channels} values, more than the element limit of ${a.limit}`,
  'image.inflated': a => `the PNG image data inflates to more than the ${a.expected} bytes its size needs (corrupt, or a zip bomb)`,
  'image.mode': a => `"mode" must be "rgb" or "gray", found ${v(a.found)}`,
  'image.size': a => `"size" must be [H, W], two positive integers, found ${v(a.found)}`,
  'image.scale': a => `"scale" must be a positive number (255 maps 8-bit pixels to [0, 1]), found ${v(a.found)}`,
  'image.normalize': a => `"normalize" must be {"mean": [...], "std": [...]}, numbers, no std 0, found ${v(a.found)}`,
  'image.normalizeLength': a => `"normalize" has ${a.length} ${a.key} value${a.length === 1 ? '' : 's'}, the image has ${a.channels} channel${a.channels === 1 ? '' : 's'}`,
  'npz.zip': a => `not a readable .npz (zip) file: ${a.why}`,
  'npz.entryTooBig': a => `array "${a.key}" is ${a.size} bytes uncompressed, more than the element limit allows (${a.limit} bytes)`,
  'npz.short': a => `array "${a.key}" is cut short: its data needs ${a.needed} bytes, the file has ${a.has}`,
  'npz.method': a => `array "${a.key}" is compressed with zip method ${a.method}: only stored (0) and deflated (8) entries are read`,
  'npz.size': a => `array "${a.key}" inflates to ${a.over ? 'more' : 'less'} than the ${a.size} bytes its zip entry declares (corrupt${a.over ? ', or a zip bomb' : ''})`,
  'safetensors.header': a => `not a readable .safetensors file: ${a.why}`,
  'safetensors.dtype': a => `tensor "${a.key}" has dtype ${a.dtype}: only ${a.supported.join(', ')} are read`,
  'safetensors.offsets': a => `tensor "${a.key}" has data_offsets [${a.begin}, ${a.end}]: its shape and dtype need ${a.needed} bytes, within the ${a.has} bytes of data`,
  'torch.archive': a => `not a readable PyTorch checkpoint (zip): ${a.why}`,
  'torch.pickle': a => `the checkpoint's data.pkl cannot be read: ${a.why}`,
  'torch.opcode': a => `the checkpoint's pickle uses opcode ${a.opcode} (at byte ${a.at}), which a state_dict does not: refused, nothing was executed`,
  'torch.global': a => `the checkpoint's pickle names ${a.global}, which does not rebuild a tensor: refused, nothing was imported or executed`,
  'torch.view': a => `tensor "${a.key}" (offset ${a.offset}, size [${a.size.join(', ')}], stride [${a.stride.join(', ')}]) reads past the end of its storage of ${a.length} elements`,
  'onnx.proto': a => `not a readable ONNX model: ${a.why}`,
  'onnx.external': a => `initializer "${a.name}" keeps its data in an external file: only data inside the .onnx file is read`,
  'onnx.dtype': a => `initializer "${a.name}" has data_type ${a.dataType}: only ${a.supported.join(', ')} are read`,
  'onnx.data': a => `initializer "${a.name}" has ${a.has} units of data where its dims and data_type need ${a.needed}`,
  'onnx.noGraph': () => 'not an ONNX model: it has no graph',
  'onnx.graphInputs': a => `the graph must have one input besides its initializers; it has ${a.names.length ? listed(a.names) : 'none'}`,
  'onnx.graphOutputs': a => `the graph must have an output; it has ${a.names.length ? listed(a.names) : 'none'}`,
  'onnx.inputUnknown': a => `the input "${a.name}" of the model declares no shape: its nodes' shapes cannot be planned`,
  'onnx.inputShape': a => `the input "${a.name}" of the model is declared (${a.declared.join(', ')}), the input of the spec is ${formatShape(a.shape)}`,
  'onnx.twice': a => `tensor "${a.name}" is the output of two nodes`,
  'onnx.missing': a => `node "${a.node}" takes "${a.name}", which no node, initializer or graph input makes`,
  'onnx.cycle': a => `node "${a.node}" is in a cycle: it waits, through other nodes, on its own output`,
  'onnx.op': a => `node "${a.node}" is a ${a.op}, which is not read; the ops read are ${a.ops.join(', ')}`,
  'onnx.attribute': a => `node "${a.node}" (${a.op}): ${a.attribute} = ${a.found} is not read; only ${a.expected}`,
  'onnx.output': a => `node "${a.node}" (${a.op}): its output "${a.output}" is used, and only the first output of a ${a.op} is read`,
  'onnx.tensor': a => `node "${a.node}" (${a.op}): "${a.name}" must be a tensor the network computes from its input, not a constant`,
  'onnx.weight': a => `node "${a.node}" (${a.op}): "${a.name}" must be an initializer or a constant, not a tensor the network computes`,
  'onnx.bias': a => `node "${a.node}" adds a constant: that is read only as the bias of the MatMul before it, whose output nothing else takes`,
  'onnx.reshape': a => `node "${a.node}" reshapes ${formatShape(a.input)} to [${a.shape.join(', ')}]: only a flatten to (batch, the rest) is read`,
  'onnx.valueName': a => `the model has no value ${a.names.map(n => `"${n}"`).join(', ')}${!a.target && a.names.some(n => n.startsWith('grad:')) ? ' (gradients, grad:NAME, need a target class)' : ''}; it has ${a.known.join(', ')}${a.more ? ` and ${a.more} more` : ''}`,
  'onnx.empty': () => 'the output of the model is not computed from its input by any layer',
  'onnx.divideByZero': a => `node "${a.node}" (Div) divides by "${a.name}", whose value ${a.index} is 0: a division by zero is refused, not run as infinities`,
  'onnx.outputFirst': a => `the first output of the graph, "${a.output}", is the one the loss reads and must be computed last, but the output "${a.later}" is computed after it, from it`,
  'file.notRegular': a => `not a regular file (${FILE_TYPES[a.type]})`,
  'file.outside': a => `the file is outside the workspace folder "${a.folder}"; a spec reads files from its own workspace folder only`,
  'file.tooBig': a => `the file is ${a.size} bytes, more than the element limit of ${a.limit} allows`,
  'file.noRoom': a => `the file is ${a.size} bytes, more than the ${a.room} bytes left for the spec's files together (${a.factor} × what the element limit of ${a.limit} allows one file)`,
  'file.tooMany': a => `the array has ${a.count} elements, more than the element limit of ${a.limit}`,
  'file.unreadable': a => `cannot be read: ${a.why}`,
  'values.nonFinite': a => `${a.name} has ${a.count} non-finite value${a.count === 1 ? '' : 's'} (first: ${a.at} = ${a.value})`,
};

const ENGLISH: ProblemTable<ProblemArgs> = { ...ENGINE_EN, ...SPEC_EN };

/** A problem of either layer in English, with its file, op or layer. */
export function english(problem: Problem): string {
  return renderWith(ENGLISH, FRAME_EN, problem);
}
