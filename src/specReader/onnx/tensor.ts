// ONNX tensors (TensorProto): the initializers of a model's graph are its weights,
// and a Constant node's value is one too. Only the fields needed are read
// (ModelProto.graph = 7, GraphProto.initializer = 5, TensorProto's dims, data_type,
// name and data, wire.ts); the data stays a view into the file until the tensor's
// size is checked.

import { DType, Tensor, TensorData, allocate, sizeOf } from '../../engine/tensor';
import { LITTLE_ENDIAN_HOST, copyFloats } from '../floatBytes';
import { halfToFloat } from '../npy';
import type { ListedTensor } from '../tensorSource';
import { bfloat16ToFloat } from '../safetensors';
import { broken, fail, fields, packedVarints, utf8 } from './wire';

/** TensorProto.DataType: the readable ones, with their size in raw_data and their reader. */
const DATA_TYPES: Record<number, { name: string; size: number; read: (dv: DataView, at: number) => number; typed: number }> = {
  1: { name: 'FLOAT', size: 4, read: (dv, at) => dv.getFloat32(at, true), typed: 4 },
  2: { name: 'UINT8', size: 1, read: (dv, at) => dv.getUint8(at), typed: 5 },
  3: { name: 'INT8', size: 1, read: (dv, at) => dv.getInt8(at), typed: 5 },
  4: { name: 'UINT16', size: 2, read: (dv, at) => dv.getUint16(at, true), typed: 5 },
  5: { name: 'INT16', size: 2, read: (dv, at) => dv.getInt16(at, true), typed: 5 },
  6: { name: 'INT32', size: 4, read: (dv, at) => dv.getInt32(at, true), typed: 5 },
  7: { name: 'INT64', size: 8, read: (dv, at) => Number(dv.getBigInt64(at, true)), typed: 7 },
  9: { name: 'BOOL', size: 1, read: (dv, at) => (dv.getUint8(at) ? 1 : 0), typed: 5 },
  10: { name: 'FLOAT16', size: 2, read: (dv, at) => halfToFloat(dv.getUint16(at, true)), typed: 5 },
  11: { name: 'DOUBLE', size: 8, read: (dv, at) => dv.getFloat64(at, true), typed: 10 },
  12: { name: 'UINT32', size: 4, read: (dv, at) => dv.getUint32(at, true), typed: 11 },
  13: { name: 'UINT64', size: 8, read: (dv, at) => Number(dv.getBigUint64(at, true)), typed: 11 },
  16: { name: 'BFLOAT16', size: 2, read: (dv, at) => bfloat16ToFloat(dv.getUint16(at, true)), typed: 5 },
};

/** A TensorProto's name. */
export function tensorName(proto: Uint8Array): string {
  let name = '';
  for (const f of fields(proto)) if (f.number === 8 && f.wire === 2) name = utf8(f.bytes);
  return name;
}

/** The initializers of a model, by name (each still its TensorProto's bytes). */
function initializers(bytes: Uint8Array): Map<string, Uint8Array> {
  const found = new Map<string, Uint8Array>();
  for (const model of fields(bytes)) {
    if (model.number !== 7 || model.wire !== 2) continue;
    for (const graph of fields(model.bytes)) {
      if (graph.number !== 5 || graph.wire !== 2) continue;
      found.set(tensorName(graph.bytes), graph.bytes);
    }
  }
  return found;
}

interface TensorProto { dims: number[]; dataType: number; raw?: Uint8Array; typed: Map<number, Uint8Array[]>; external: boolean }

function tensorProto(b: Uint8Array): TensorProto {
  const t: TensorProto = { dims: [], dataType: 0, typed: new Map(), external: false };
  for (const f of fields(b)) {
    if (f.number === 1) {
      // dims: repeated int64, unpacked (proto2) or packed
      const values = f.wire === 0 ? [f.varint] : f.wire === 2 ? packedVarints(f.bytes) : broken('dims of another wire type');
      for (const d of values) t.dims.push(d <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(d) : broken(`a dimension of ${BigInt.asIntN(64, d)}`));
    } else if (f.number === 2 && f.wire === 0) t.dataType = Number(f.varint);
    else if (f.number === 9 && f.wire === 2) t.raw = f.bytes;
    else if (f.number === 14 && f.wire === 0) t.external = f.varint === 1n;
    else if (f.number === 3) broken('a segmented tensor');
    else if ([4, 5, 7, 10, 11].includes(f.number)) {
      const parts = t.typed.get(f.number) ?? [];
      parts.push(f.wire === 0 ? varintBytes(f.varint) : f.bytes);
      t.typed.set(f.number, parts);
    }
  }
  return t;
}

/** An unpacked varint element, re-encoded so every element list is read one way (as a packed field). */
function varintBytes(v: bigint): Uint8Array {
  const out: number[] = [];
  do { out.push(Number(v & 0x7fn) | (v > 0x7fn ? 0x80 : 0)); v >>= 7n; } while (v > 0n);
  return Uint8Array.from(out);
}

/** The values of a typed data field (float_data 4, int32_data 5, int64_data 7, double_data 10, uint64_data 11), `count` of them. */
function typedValues(field: number, parts: Uint8Array[], count: number, dataType: number, name: string, at: string | undefined): (i: number) => number {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => { joined.set(p, at); return at + p.length; }, 0);
  const dv = new DataView(joined.buffer);
  if (field === 4 || field === 10) {
    const size = field === 4 ? 4 : 8;
    if (joined.length !== count * size) fail({ code: 'onnx.data', args: { name, needed: count * size, has: joined.length } }, at);
    return i => (size === 4 ? dv.getFloat32(i * 4, true) : dv.getFloat64(i * 8, true));
  }
  // Counted before they are decoded: each varint ends in the one byte of it below 0x80.
  const has = joined.reduce((n, b) => n + (b < 0x80 ? 1 : 0), 0);
  if (has !== count || (joined.length && joined[joined.length - 1] >= 0x80)) fail({ code: 'onnx.data', args: { name, needed: count, has } }, at);
  const values = packedVarints(joined);
  // int32_data holds the narrow types' bit patterns (FLOAT16 and BFLOAT16 as uint16).
  const narrow = dataType === 10 ? halfToFloat : dataType === 16 ? bfloat16ToFloat : undefined;
  return i => {
    const v = field === 11 ? values[i] : BigInt.asIntN(64, values[i]);
    return narrow ? narrow(Number(v & 0xffffn)) : Number(field === 5 ? BigInt.asIntN(32, v) : v);
  };
}

/** What a TensorProto declares, its data not read: dims, data type, the bytes its data takes, whether they are in another file. */
export interface TensorProtoInfo { shape: number[]; dtype: string; bytes: number; external: boolean }

export function tensorProtoInfo(proto: Uint8Array): TensorProtoInfo {
  const t = tensorProto(proto);
  const kind = DATA_TYPES[t.dataType];
  const bytes = kind ? sizeOf(t.dims) * kind.size : t.raw?.length ?? 0;
  return { shape: t.dims, dtype: kind?.name ?? `data_type ${t.dataType}`, bytes, external: t.external };
}

/** The initializers of an ONNX model: names, dims and data types (their data is not read). */
export function listOnnx(bytes: Uint8Array): ListedTensor[] {
  return [...initializers(bytes)].map(([key, proto]) => {
    const { shape, dtype } = tensorProtoInfo(proto);
    return { key, shape, dtype };
  });
}

/** One initializer of an ONNX model by name, as `dtype`; a missing one is refused with the names there are. */
export function decodeOnnx(bytes: Uint8Array, name: string, dtype: DType, maxElements: number): { tensor: Tensor; dtype: string } {
  const all = initializers(bytes);
  const proto = all.get(name);
  if (!proto) return fail({ code: 'source.keyMissing', args: { key: name, keys: [...all.keys()] } }, 'initializer');
  return decodeTensorProto(proto, name, dtype, maxElements, 'initializer');
}

/**
 * A TensorProto's values as `dtype`, its size checked against `maxElements` before anything is allocated;
 * its problems are at the source object's key `at` (none: the file's own key).
 */
export function decodeTensorProto(proto: Uint8Array, name: string, dtype: DType, maxElements: number, at?: string): { tensor: Tensor; dtype: string } {
  return readTensorProto(proto, name, dtype, maxElements, at);
}

/**
 * A TensorProto checked as decodeTensorProto checks it, its data not read: a tensor of zeros of its shape, for
 * plans, which read shapes only (the model editor's facts: a model's graph shows without decoding its weights).
 * `zeros(count)` gives the zeros: a reader shares one buffer among all its weights (a 45 MB model's graph would
 * otherwise allocate and clear 45 MB of zeros only to read their shapes).
 */
export function zerosOfTensorProto(proto: Uint8Array, name: string, dtype: DType, maxElements: number, zeros: (count: number) => TensorData): Tensor {
  return readTensorProto(proto, name, dtype, maxElements, undefined, zeros).tensor;
}

/** Zeros of any length up to the largest asked for, views of one buffer: for tensors nothing writes into. */
export function sharedZeros(dtype: DType): (count: number) => TensorData {
  let pool = allocate(dtype, 0);
  return count => {
    if (pool.length < count) pool = allocate(dtype, count);
    return pool.subarray(0, count);
  };
}

function readTensorProto(proto: Uint8Array, name: string, dtype: DType, maxElements: number, at: string | undefined, zeros?: (count: number) => TensorData): { tensor: Tensor; dtype: string } {
  const t = tensorProto(proto);
  if (t.external) fail({ code: 'onnx.external', args: { name } }, at);
  const kind = DATA_TYPES[t.dataType];
  if (!kind) fail({ code: 'onnx.dtype', args: { name, dataType: t.dataType, supported: Object.values(DATA_TYPES).map(k => k.name) } }, at);
  const count = sizeOf(t.dims);
  if (count > maxElements) fail({ code: 'file.tooMany', args: { count, limit: maxElements } }, at);
  let read: (i: number) => number;
  if (t.raw) {
    if (t.raw.length !== count * kind.size) fail({ code: 'onnx.data', args: { name, needed: count * kind.size, has: t.raw.length } }, at);
    const dv = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
    read = i => kind.read(dv, i * kind.size);
  } else {
    read = typedValues(kind.typed, t.typed.get(kind.typed) ?? [], count, t.dataType, name, at);
  }
  if (zeros) return { tensor: { shape: [...t.dims], dtype, data: zeros(count) }, dtype: kind.name };
  const data = allocate(dtype, count, false); // every value written below
  // FLOAT and DOUBLE raw_data, little-endian as ONNX stores it: a block (a 45 MB model's weights on every run).
  if (t.raw && (t.dataType === 1 || t.dataType === 11) && LITTLE_ENDIAN_HOST) copyFloats(t.raw, kind.size as 4 | 8, data);
  else for (let i = 0; i < count; i++) data[i] = read(i);
  return { tensor: { shape: [...t.dims], dtype, data }, dtype: kind.name };
}
