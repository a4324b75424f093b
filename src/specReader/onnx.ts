// ONNX models (.onnx): a protobuf ModelProto whose graph's initializers are the
// weights. Only the few fields needed are read (ModelProto.graph = 7,
// GraphProto.initializer = 5, TensorProto's dims, data_type, name and data), by a
// small protobuf wire reader that checks every length against the bytes left and
// keeps the data as views into the file until the tensor's size is checked.

import { DType, Tensor, allocate, sizeOf } from '../engine/tensor';
import { TensorFileError } from './fileError';
import { halfToFloat } from './npy';
import type { SpecProblem } from './problemCodes';
import type { ListedTensor } from './tensorSource';
import { bfloat16ToFloat } from './safetensors';

function fail(problem: SpecProblem, at?: string): never {
  throw new TensorFileError(problem, at);
}
function broken(why: string): never {
  return fail({ code: 'onnx.proto', args: { why } });
}

/** A protobuf field: its number and wire type, and its value (a varint, or the bytes of a length-delimited or fixed field). */
interface Field { number: number; wire: number; varint: bigint; bytes: Uint8Array }

/** A varint at `at` in `b`, and where the next field starts. */
function varint(b: Uint8Array, at: number): [bigint, number] {
  let n = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (at >= b.length) broken('a varint runs past the end of its message');
    const byte = b[at++];
    n |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return [BigInt.asUintN(64, n), at];
  }
  return broken('a varint longer than 10 bytes');
}

/** A message's fields, in order. */
function* fields(b: Uint8Array): Generator<Field> {
  let at = 0;
  while (at < b.length) {
    const [tag, next] = varint(b, at);
    at = next;
    const number = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const [value, after] = varint(b, at);
      at = after;
      yield { number, wire, varint: value, bytes: new Uint8Array(0) };
      continue;
    }
    const length = wire === 1 ? 8 : wire === 5 ? 4 : wire === 2 ? Number(varint(b, at)[0]) : broken(`wire type ${wire} (groups are not read)`);
    if (wire === 2) at = varint(b, at)[1];
    if (length > b.length - at) broken(`field ${number} declares ${length} bytes, ${b.length - at} are left`);
    yield { number, wire, varint: 0n, bytes: b.subarray(at, at + length) };
    at += length;
  }
}

const utf8 = (b: Uint8Array) => new TextDecoder().decode(b);

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

/** The initializers of a model, by name (each still its TensorProto's bytes). */
function initializers(bytes: Uint8Array): Map<string, Uint8Array> {
  const found = new Map<string, Uint8Array>();
  for (const model of fields(bytes)) {
    if (model.number !== 7 || model.wire !== 2) continue;
    for (const graph of fields(model.bytes)) {
      if (graph.number !== 5 || graph.wire !== 2) continue;
      let name = '';
      for (const f of fields(graph.bytes)) if (f.number === 8 && f.wire === 2) name = utf8(f.bytes);
      found.set(name, graph.bytes);
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

/** The varints of a packed field. */
function packedVarints(b: Uint8Array): bigint[] {
  const out: bigint[] = [];
  for (let at = 0; at < b.length;) {
    const [v, next] = varint(b, at);
    out.push(v);
    at = next;
  }
  return out;
}

/** An unpacked varint element, re-encoded so every element list is read one way (as a packed field). */
function varintBytes(v: bigint): Uint8Array {
  const out: number[] = [];
  do { out.push(Number(v & 0x7fn) | (v > 0x7fn ? 0x80 : 0)); v >>= 7n; } while (v > 0n);
  return Uint8Array.from(out);
}

/** The values of a typed data field (float_data 4, int32_data 5, int64_data 7, double_data 10, uint64_data 11), `count` of them. */
function typedValues(field: number, parts: Uint8Array[], count: number, dataType: number, name: string): (i: number) => number {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => { joined.set(p, at); return at + p.length; }, 0);
  const dv = new DataView(joined.buffer);
  if (field === 4 || field === 10) {
    const size = field === 4 ? 4 : 8;
    if (joined.length !== count * size) fail({ code: 'onnx.data', args: { name, needed: count * size, has: joined.length } }, 'initializer');
    return i => (size === 4 ? dv.getFloat32(i * 4, true) : dv.getFloat64(i * 8, true));
  }
  // Counted before they are decoded: each varint ends in the one byte of it below 0x80.
  const has = joined.reduce((n, b) => n + (b < 0x80 ? 1 : 0), 0);
  if (has !== count || (joined.length && joined[joined.length - 1] >= 0x80)) fail({ code: 'onnx.data', args: { name, needed: count, has } }, 'initializer');
  const values = packedVarints(joined);
  // int32_data holds the narrow types' bit patterns (FLOAT16 and BFLOAT16 as uint16).
  const narrow = dataType === 10 ? halfToFloat : dataType === 16 ? bfloat16ToFloat : undefined;
  return i => {
    const v = field === 11 ? values[i] : BigInt.asIntN(64, values[i]);
    return narrow ? narrow(Number(v & 0xffffn)) : Number(field === 5 ? BigInt.asIntN(32, v) : v);
  };
}

/** The initializers of an ONNX model: names, dims and data types (their data is not read). */
export function listOnnx(bytes: Uint8Array): ListedTensor[] {
  return [...initializers(bytes)].map(([key, proto]) => {
    const t = tensorProto(proto);
    return { key, shape: t.dims, dtype: DATA_TYPES[t.dataType]?.name ?? `data_type ${t.dataType}` };
  });
}

/** One initializer of an ONNX model by name, as `dtype`; a missing one is refused with the names there are. */
export function decodeOnnx(bytes: Uint8Array, name: string, dtype: DType, maxElements: number): { tensor: Tensor; dtype: string } {
  const all = initializers(bytes);
  const proto = all.get(name);
  if (!proto) return fail({ code: 'source.keyMissing', args: { key: name, keys: [...all.keys()] } }, 'initializer');
  const t = tensorProto(proto);
  if (t.external) fail({ code: 'onnx.external', args: { name } }, 'initializer');
  const kind = DATA_TYPES[t.dataType];
  if (!kind) fail({ code: 'onnx.dtype', args: { name, dataType: t.dataType, supported: Object.values(DATA_TYPES).map(k => k.name) } }, 'initializer');
  const count = sizeOf(t.dims);
  if (count > maxElements) fail({ code: 'file.tooMany', args: { count, limit: maxElements } }, 'initializer');
  let read: (i: number) => number;
  if (t.raw) {
    if (t.raw.length !== count * kind.size) fail({ code: 'onnx.data', args: { name, needed: count * kind.size, has: t.raw.length } }, 'initializer');
    const dv = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
    read = i => kind.read(dv, i * kind.size);
  } else {
    read = typedValues(kind.typed, t.typed.get(kind.typed) ?? [], count, t.dataType, name);
  }
  const data = allocate(dtype, count);
  for (let i = 0; i < count; i++) data[i] = read(i);
  return { tensor: { shape: [...t.dims], dtype, data }, dtype: kind.name };
}
