// Nested JSON arrays → tensors, with a JSON path in every complaint. Non-finite
// values are allowed as the strings "NaN", "Infinity", "-Infinity" (JSON has no
// literals for them); they are reported later, never crashed on.

import { describeValue } from '../format/describe';
import { DType, Tensor, allocate } from '../engine/tensor';
import type { Problem } from './problemCodes';
import { english } from './problemText.en';
import { JSONPath, MAX_NESTING, TOO_DEEP, jsonPath } from './source';

export class NestedArrayError extends Error {
  constructor(readonly path: JSONPath, readonly problem: Problem) {
    super(english(problem));
  }
}

const NON_FINITE: Record<string, number> = {
  nan: NaN, infinity: Infinity, '+infinity': Infinity, '-infinity': -Infinity, inf: Infinity, '+inf': Infinity, '-inf': -Infinity,
};

export { describeValue };

/** A number, or one of the strings that name a non-finite value; undefined otherwise. */
export function numericValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return NON_FINITE[value.trim().toLowerCase()];
  return undefined;
}

/** Shape read down the first elements: [[1,2],[3,4]] → [2, 2]; it stops one level past MAX_NESTING (an array may hold itself). */
export function inferShape(value: unknown): number[] {
  const shape: number[] = [];
  let v = value;
  while (Array.isArray(v) && shape.length <= MAX_NESTING) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

export interface TensorExpectation {
  rank: number;
  /** e.g. '(B, Cin, H, W)', for messages. */
  axes: string;
}

/** Converts a nested array of the expected rank to a tensor, or throws NestedArrayError. */
export function nestedToTensor(value: unknown, path: JSONPath, dtype: DType, expect: TensorExpectation): Tensor {
  const { rank, axes } = expect;
  if (!Array.isArray(value)) throw new NestedArrayError(path, { code: 'nested.notArray', args: { rank, axes, found: describeValue(value) } });
  const shape = inferShape(value);
  // The walk below recurses once a level.
  if (shape.length > MAX_NESTING) throw new NestedArrayError(path, TOO_DEEP);
  const emptyAt = shape.indexOf(0);
  if (emptyAt >= 0) {
    const p = [...path];
    let v: unknown = value;
    for (let d = 0; d < emptyAt; d++) { v = (v as unknown[])[0]; p.push(0); }
    throw new NestedArrayError(p, { code: 'nested.empty', args: { axes } });
  }
  if (shape.length !== expect.rank) {
    throw new NestedArrayError(path, { code: 'nested.rank', args: { rank, axes, shape } });
  }
  let size = 1;
  for (const d of shape) size *= d;
  const data = allocate(dtype, size);
  let k = 0;
  // Indices along the current branch; copied into a path only when something is wrong.
  const at: number[] = [];
  const here = () => [...path, ...at];
  const first = (depth: number) => jsonPath([...path, ...new Array<number>(depth).fill(0)]);
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      const x = numericValue(v);
      if (x === undefined) {
        throw new NestedArrayError(here(), Array.isArray(v)
          ? { code: 'nested.deeper', args: { first: first(0), shape } }
          : { code: 'nested.notNumber', args: { found: describeValue(v) } });
      }
      data[k++] = x;
      return;
    }
    if (!Array.isArray(v)) {
      throw new NestedArrayError(here(), { code: 'ragged.notArray', args: { count: shape[depth], first: first(depth), found: describeValue(v) } });
    }
    if (v.length !== shape[depth]) {
      throw new NestedArrayError(here(), { code: 'ragged.length', args: { count: v.length, first: first(depth), expected: shape[depth] } });
    }
    for (let i = 0; i < v.length; i++) {
      at.push(i);
      walk(v[i], depth + 1);
      at.pop();
    }
  };
  walk(value, 0);
  return { shape, dtype, data };
}
