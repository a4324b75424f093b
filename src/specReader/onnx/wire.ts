// The protobuf wire format, as much of it as ONNX files need: a message is a
// list of fields, each a varint, a fixed 4 or 8 bytes, or a length-delimited
// run of bytes (a string, a packed list, a nested message). Every length is
// checked against the bytes left, and nested messages stay views into the file.

import { TensorFileError } from '../fileError';
import type { SpecProblem } from '../problemCodes';

export function fail(problem: SpecProblem, at?: string): never {
  throw new TensorFileError(problem, at);
}
export function broken(why: string): never {
  return fail({ code: 'onnx.proto', args: { why } });
}

/** A protobuf field: its number and wire type, and its value (a varint, or the bytes of a length-delimited or fixed field). */
export interface Field { number: number; wire: number; varint: bigint; bytes: Uint8Array }

/** A varint at `at` in `b`, and where the next field starts. */
export function varint(b: Uint8Array, at: number): [bigint, number] {
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
export function* fields(b: Uint8Array): Generator<Field> {
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

export const utf8 = (b: Uint8Array) => new TextDecoder().decode(b);

/** The varints of a packed field. */
export function packedVarints(b: Uint8Array): bigint[] {
  const out: bigint[] = [];
  for (let at = 0; at < b.length;) {
    const [v, next] = varint(b, at);
    out.push(v);
    at = next;
  }
  return out;
}

/** An int64 field's value as a number, refused beyond what a number holds exactly. */
export function int64(v: bigint, what: string): number {
  const n = BigInt.asIntN(64, v);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : broken(`${what} of ${n}`);
}

/** A repeated int64 field's values, packed or not. */
export function int64s(f: Field, what: string): number[] {
  const values = f.wire === 0 ? [f.varint] : f.wire === 2 ? packedVarints(f.bytes) : broken(`${what} of another wire type`);
  return values.map(v => int64(v, what));
}
