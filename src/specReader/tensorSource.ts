// Tensor sources: a tensor key of a spec (v1 or a network) may name a file instead
// of holding the numbers:
//   {"npy": "x.npy"}
//   {"image": "cat.png", "mode"?: "rgb" | "gray", "size"?: [H, W], "scale"?: 255, "normalize"?: {"mean": [...], "std": [...]}}
//   {"npz": "batch.npz", "key": "x"}
//   {"safetensors": "model.safetensors", "key": "conv1.weight"}
//   {"torch": "model.pt", "key": "conv1.weight"}
//   {"onnx": "model.onnx", "initializer": "conv1.weight"}
// The files are read beforehand (specFiles.ts, with their size checks); this decodes
// them, each problem at the source object's key it is about ($.input.image, $.input.key).
// It also lists what a file holds (listSourceTensors), from headers alone, for picking a tensor.

import type { DType, Tensor } from '../engine/tensor';
import { TensorFileError } from './fileError';
import { ImageOptions, decodeImage, imageMode, readImageHeader } from './image';
import { describeValue } from './nested';
import type { TensorExpectation } from './nested';
import { decodeNpy, describeNpyDtype, readNpyHeader } from './npy';
import { decodeNpz, listNpz } from './npz';
import { decodeOnnx, listOnnx } from './onnx/tensor';
import type { Problem, SpecProblem } from './problemCodes';
import { decodeSafetensors, listSafetensors } from './safetensors';
import { JSONPath, MAX_NESTING } from './source';
import { decodeTorch, listTorch } from './torch';
import { NpyFiles, maxNpyBytes, npyBytes } from './specFiles';

export const SOURCE_FORMATS = ['npy', 'image', 'npz', 'safetensors', 'torch', 'onnx'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/** The file name endings each format is looked for under (lower case). */
export const SOURCE_EXTENSIONS: Record<SourceFormat, readonly string[]> = {
  npy: ['npy'], image: ['png', 'jpg', 'jpeg'], npz: ['npz'], safetensors: ['safetensors'], torch: ['pt', 'pth'], onnx: ['onnx'],
};

/** The format a file is read in, by its name's ending; undefined for other files. */
export function formatOfFile(name: string): SourceFormat | undefined {
  const ending = /\.([^./]+)$/.exec(name)?.[1].toLowerCase();
  return ending === undefined ? undefined : SOURCE_FORMATS.find(f => SOURCE_EXTENSIONS[f].includes(ending));
}

/** A file a spec names, and how it is to be read. */
export interface SpecFileReference {
  file: string;
  format: SourceFormat;
}

/** The keys a source object may have besides its format's. */
const OPTION_KEYS: Record<SourceFormat, readonly string[]> = { npy: [], image: ['mode', 'size', 'scale', 'normalize'], npz: ['key'], safetensors: ['key'], torch: ['key'], onnx: ['initializer'] };

/** The key naming the tensor in a file of several, by format. */
function tensorNameKey(format: SourceFormat): 'key' | 'initializer' | undefined {
  return format === 'onnx' ? 'initializer' : OPTION_KEYS[format].includes('key') ? 'key' : undefined;
}

/** The source object naming a file's tensor: {"npy": file}, {"safetensors": file, "key": key}, {"onnx": file, "initializer": key}. */
export function sourceObject(format: SourceFormat, file: string, key?: string): Record<string, string> {
  const nameKey = tensorNameKey(format);
  return nameKey && key !== undefined ? { [format]: file, [nameKey]: key } : { [format]: file };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A source object's format (the first format key it has), or undefined for anything else. */
export function sourceFormat(v: unknown): SourceFormat | undefined {
  return isObject(v) ? SOURCE_FORMATS.find(f => f in v) : undefined;
}

/** Where tensors may be in a spec of either version. */
const TENSOR_ROOTS = ['input', 'weight', 'bias', 'grad', 'layers', 'model', 'loss'];

/** Every file a spec names for a tensor, with its format, in the order written. */
export function specFileReferences(spec: unknown): SpecFileReference[] {
  const found: SpecFileReference[] = [];
  // Recursive, so no deeper than JSON may nest (a value from a library caller may even hold itself).
  const visit = (v: unknown, depth: number) => {
    if (depth > MAX_NESTING || (!isObject(v) && !Array.isArray(v))) return;
    const format = sourceFormat(v);
    if (format) {
      const file = (v as Record<string, unknown>)[format];
      if (typeof file === 'string') found.push({ file, format });
      return;
    }
    for (const x of Object.values(v)) visit(x, depth + 1);
  };
  if (isObject(spec)) for (const k of TENSOR_ROOTS) visit(spec[k], 1);
  return found;
}

/** A tensor the spec reader read from a file: where it was named, what the file holds (hovers show it). */
export interface SourceReading {
  /** The source object's path in the spec, e.g. ['layers', 0, 'weight']. */
  path: JSONPath;
  format: SourceFormat;
  file: string;
  /** The array in the file (.npz, .safetensors, .pt; an .onnx initializer). */
  key?: string;
  /** How the file stores it: "float32", "BF16", "PNG 8-bit RGB". */
  stored: string;
  tensor: Tensor;
}

export interface SourceRead {
  /** Present when the file was decoded (also when its rank is not the one expected). */
  reading?: SourceReading;
  /** What is wrong, at the key of the source object it is about. */
  problem?: { path: JSONPath; problem: Problem };
}

/** The file, with the array in it: "batch.npz[x]". */
export function sourceLabel(r: Pick<SourceReading, 'file' | 'key'>): string {
  return r.key === undefined ? r.file : `${r.file}[${r.key}]`;
}

/** A tensor a file holds, as listed for picking it: its key (none in a file of one), shape and dtype as stored. */
export interface ListedTensor {
  key?: string;
  shape: number[];
  dtype: string;
}

/** The tensors of a file of one: an .npy file's, or an image's read with the default options. */
function listSingle(format: 'npy' | 'image', bytes: Uint8Array): ListedTensor[] {
  if (format === 'npy') {
    const header = readNpyHeader(bytes);
    return [{ shape: header.shape, dtype: describeNpyDtype(header.descr) }];
  }
  const header = readImageHeader(bytes);
  return [{ shape: [1, imageMode(header) === 'rgb' ? 3 : 1, header.height, header.width], dtype: header.description }];
}

/** The tensors a file holds, from its headers alone (no tensor is decoded); or why the file cannot be read. */
export function listSourceTensors(format: SourceFormat, bytes: Uint8Array): ListedTensor[] | SpecProblem {
  try {
    switch (format) {
      case 'npy': case 'image': return listSingle(format, bytes);
      case 'npz': return listNpz(bytes);
      case 'safetensors': return listSafetensors(bytes);
      case 'torch': return listTorch(bytes);
      case 'onnx': return listOnnx(bytes);
    }
  } catch (e) {
    if (e instanceof TensorFileError) return e.problem;
    throw e;
  }
}

function isNumberList(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every(x => typeof x === 'number' && Number.isFinite(x));
}

/** An image source's options, or the key that is wrong. */
function imageOptions(v: Record<string, unknown>): ImageOptions | { at: string; problem: Problem } {
  const options: ImageOptions = {};
  if (v.mode !== undefined) {
    if (v.mode !== 'rgb' && v.mode !== 'gray') return { at: 'mode', problem: { code: 'image.mode', args: { found: describeValue(v.mode) } } };
    options.mode = v.mode;
  }
  if (v.size !== undefined) {
    const ok = Array.isArray(v.size) && v.size.length === 2 && v.size.every(d => Number.isSafeInteger(d) && (d as number) > 0);
    if (!ok) return { at: 'size', problem: { code: 'image.size', args: { found: describeValue(v.size) } } };
    options.size = v.size as [number, number];
  }
  if (v.scale !== undefined) {
    if (typeof v.scale !== 'number' || !Number.isFinite(v.scale) || v.scale <= 0) return { at: 'scale', problem: { code: 'image.scale', args: { found: describeValue(v.scale) } } };
    options.scale = v.scale;
  }
  if (v.normalize !== undefined) {
    const n = v.normalize;
    const ok = isObject(n) && Object.keys(n).every(k => k === 'mean' || k === 'std') && isNumberList(n.mean) && isNumberList(n.std) && n.std.every(s => s !== 0);
    if (!ok) return { at: 'normalize', problem: { code: 'image.normalize', args: { found: describeValue(n) } } };
    options.normalize = { mean: n.mean as number[], std: n.std as number[] };
  }
  return options;
}

/** Decodes a file by its format; throws TensorFileError. */
function decodeSource(format: SourceFormat, bytes: Uint8Array, v: Record<string, unknown>, options: ImageOptions, dtype: DType, maxElements: number): { tensor: Tensor; stored: string } {
  switch (format) {
    case 'npy': return { tensor: decodeNpy(bytes, dtype), stored: describeNpyDtype(readNpyHeader(bytes).descr) };
    case 'image': {
      const { tensor, header } = decodeImage(bytes, options, dtype, maxElements);
      return { tensor, stored: header.description };
    }
    case 'npz': {
      const { tensor, dtype: stored } = decodeNpz(bytes, v.key as string, dtype, maxElements, maxNpyBytes(maxElements));
      return { tensor, stored };
    }
    case 'safetensors': {
      const { tensor, dtype: stored } = decodeSafetensors(bytes, v.key as string, dtype, maxElements);
      return { tensor, stored };
    }
    case 'torch': {
      const { tensor, dtype: stored } = decodeTorch(bytes, v.key as string, dtype, maxElements, maxNpyBytes(maxElements));
      return { tensor, stored };
    }
    case 'onnx': {
      const { tensor, dtype: stored } = decodeOnnx(bytes, v.initializer as string, dtype, maxElements);
      return { tensor, stored };
    }
  }
}

/**
 * Reads the tensor a source object at `path` names, from the files read beforehand, in `dtype`;
 * a tensor of another rank than `expect` is read and refused.
 */
export function readTensorSource(path: JSONPath, v: Record<string, unknown>, files: NpyFiles, dtype: DType, maxElements: number, expect?: TensorExpectation): SourceRead {
  const format = sourceFormat(v)!;
  const at = (key: string | undefined, problem: Problem): SourceRead => ({ problem: { path: [...path, key ?? format], problem } });
  const keys = [format, ...OPTION_KEYS[format]];
  const unknown = Object.keys(v).find(k => !keys.includes(k));
  if (unknown !== undefined) return at(unknown, { code: 'source.unknownKey', args: { format, key: unknown, keys } });
  const file = v[format];
  if (typeof file !== 'string') return at(format, { code: 'spec.npyPath', args: { format, found: describeValue(file) } });
  const nameKey = tensorNameKey(format);
  if (nameKey && typeof v[nameKey] !== 'string') return at(nameKey, { code: 'source.key', args: { format, key: nameKey, found: describeValue(v[nameKey]) } });
  let options: ImageOptions = {};
  if (format === 'image') {
    const read = imageOptions(v);
    if ('problem' in read) return at(read.at, read.problem);
    options = read;
  }
  const bytes = npyBytes(files, file);
  if (!(bytes instanceof Uint8Array)) return at(format, bytes);
  const key = nameKey ? (v[nameKey] as string) : undefined;
  let decoded;
  try {
    decoded = decodeSource(format, bytes, v, options, dtype, maxElements);
  } catch (e) {
    if (e instanceof TensorFileError) return at(e.at, { ...e.problem, file });
    throw e;
  }
  const reading: SourceReading = { path, format, file, ...(key !== undefined ? { key } : {}), ...decoded };
  const shape = decoded.tensor.shape;
  if (expect && shape.length !== expect.rank) {
    return { reading, ...at(format, { code: 'spec.npyRank', args: { file: sourceLabel(reading), rank: shape.length, shape: [...shape], expected: expect.rank, axes: expect.axes } }) };
  }
  return { reading };
}
