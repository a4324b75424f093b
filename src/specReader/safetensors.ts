// Hugging Face's .safetensors (https://huggingface.co/docs/safetensors): an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}},
// then the tensors' bytes, little-endian, C order. The header's length and every
// offset are checked against the file before anything is read; the values become
// the spec's float dtype.

import { DType, Tensor, allocate, sizeOf } from '../engine/tensor';
import { LITTLE_ENDIAN_HOST, copyFloats } from './floatBytes';
import { TensorFileError } from './fileError';
import { halfToFloat } from './npy';
import type { SpecProblem } from './problemCodes';
import type { ListedTensor } from './tensorSource';

/** The safetensors library's own limit on the header (it refuses longer ones). */
const MAX_HEADER = 100_000_000;

function fail(problem: SpecProblem, at?: string): never {
  throw new TensorFileError(problem, at);
}
function badHeader(why: string): never {
  return fail({ code: 'safetensors.header', args: { why } });
}

/** bfloat16 is the top half of a float32. */
const scratch = new DataView(new ArrayBuffer(4));
export function bfloat16ToFloat(h: number): number {
  scratch.setUint32(0, h << 16);
  return scratch.getFloat32(0);
}

/** Each dtype's size and element reader (little-endian). */
const DTYPES: Record<string, { size: number; read: (dv: DataView, at: number) => number }> = {
  F64: { size: 8, read: (dv, at) => dv.getFloat64(at, true) },
  F32: { size: 4, read: (dv, at) => dv.getFloat32(at, true) },
  F16: { size: 2, read: (dv, at) => halfToFloat(dv.getUint16(at, true)) },
  BF16: { size: 2, read: (dv, at) => bfloat16ToFloat(dv.getUint16(at, true)) },
  I64: { size: 8, read: (dv, at) => Number(dv.getBigInt64(at, true)) },
  I32: { size: 4, read: (dv, at) => dv.getInt32(at, true) },
  I16: { size: 2, read: (dv, at) => dv.getInt16(at, true) },
  I8: { size: 1, read: (dv, at) => dv.getInt8(at) },
  U64: { size: 8, read: (dv, at) => Number(dv.getBigUint64(at, true)) },
  U32: { size: 4, read: (dv, at) => dv.getUint32(at, true) },
  U16: { size: 2, read: (dv, at) => dv.getUint16(at, true) },
  U8: { size: 1, read: (dv, at) => dv.getUint8(at) },
  BOOL: { size: 1, read: (dv, at) => (dv.getUint8(at) ? 1 : 0) },
};

interface Entry {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function isEntry(v: unknown): v is { dtype: string; shape: number[]; data_offsets: [number, number] } {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  const offsets = e.data_offsets;
  return typeof e.dtype === 'string' && Array.isArray(e.shape) && e.shape.every(d => Number.isSafeInteger(d) && d >= 0)
    && Array.isArray(offsets) && offsets.length === 2 && offsets.every(o => Number.isSafeInteger(o) && o >= 0);
}

/** The header's tensors by name, and where the data starts. */
function readHeader(bytes: Uint8Array): { tensors: Map<string, Entry>; dataStart: number } {
  if (bytes.length < 8) badHeader('the file is shorter than its 8-byte header length');
  const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) badHeader(`a header of ${length} bytes in a file of ${bytes.length}`);
  const dataStart = 8 + Number(length);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (e) {
    return badHeader(`the header is not JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) badHeader('the header is not a JSON object');
  const tensors = new Map<string, Entry>();
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    if (!isEntry(v)) badHeader(`"${name}" has no dtype, shape and data_offsets`);
    tensors.set(name, { dtype: v.dtype, shape: v.shape, begin: v.data_offsets[0], end: v.data_offsets[1] });
  }
  return { tensors, dataStart };
}

/** The tensors of a .safetensors file, from its header alone. */
export function listSafetensors(bytes: Uint8Array): ListedTensor[] {
  return [...readHeader(bytes).tensors].map(([key, e]) => ({ key, shape: [...e.shape], dtype: e.dtype }));
}

/** One tensor of a .safetensors file by name, as `dtype`; a missing name is refused with the names there are. */
export function decodeSafetensors(bytes: Uint8Array, key: string, dtype: DType, maxElements: number): { tensor: Tensor; dtype: string } {
  const { tensors, dataStart } = readHeader(bytes);
  const entry = tensors.get(key);
  if (!entry) return fail({ code: 'source.keyMissing', args: { key, keys: [...tensors.keys()] } }, 'key');
  // The header's own word: "constructor" or "toString" must not find Object's (its size would be undefined).
  const kind = Object.hasOwn(DTYPES, entry.dtype) ? DTYPES[entry.dtype] : undefined;
  if (!kind) fail({ code: 'safetensors.dtype', args: { key, dtype: entry.dtype, supported: Object.keys(DTYPES) } }, 'key');
  const count = sizeOf(entry.shape);
  if (count > maxElements) fail({ code: 'file.tooMany', args: { count, limit: maxElements } }, 'key');
  const needed = count * kind.size;
  if (entry.end - entry.begin !== needed || entry.begin > entry.end || dataStart + entry.end > bytes.length) {
    fail({ code: 'safetensors.offsets', args: { key, begin: entry.begin, end: entry.end, needed, has: bytes.length - dataStart } }, 'key');
  }
  const data = allocate(dtype, count, false); // every value written below
  const at = dataStart + entry.begin;
  if ((entry.dtype === 'F32' || entry.dtype === 'F64') && LITTLE_ENDIAN_HOST) {
    copyFloats(bytes.subarray(at, at + needed), kind.size as 4 | 8, data);
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset + at, needed);
    for (let i = 0; i < count; i++) data[i] = kind.read(dv, i * kind.size);
  }
  return { tensor: { shape: [...entry.shape], dtype, data }, dtype: entry.dtype };
}

/**
 * A .safetensors file of `tensors` in their order (F32 or F64, as each tensor's dtype): the header padded with spaces
 * so the data starts on an 8-byte boundary, as the safetensors library writes it.
 */
export function encodeSafetensors(tensors: readonly (readonly [string, Tensor])[]): Uint8Array {
  const header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = {};
  let offset = 0;
  for (const [key, t] of tensors) {
    const size = t.dtype === 'float32' ? 4 : 8;
    header[key] = { dtype: t.dtype === 'float32' ? 'F32' : 'F64', shape: [...t.shape], data_offsets: [offset, offset + t.data.length * size] };
    offset += t.data.length * size;
  }
  let json = JSON.stringify(header);
  json = json.padEnd(Math.ceil(json.length / 8) * 8, ' ');
  const text = new TextEncoder().encode(json);
  const bytes = new Uint8Array(8 + text.length + offset);
  const dv = new DataView(bytes.buffer);
  dv.setBigUint64(0, BigInt(text.length), true);
  bytes.set(text, 8);
  let at = 8 + text.length;
  for (const [, t] of tensors) {
    const f32 = t.dtype === 'float32';
    for (let i = 0; i < t.data.length; i++, at += f32 ? 4 : 8) {
      if (f32) dv.setFloat32(at, t.data[i], true);
      else dv.setFloat64(at, t.data[i], true);
    }
  }
  return bytes;
}
