// A tensor is a shape plus a flat row-major typed array. Float64 is the default so
// learners can compare exact integers with the worked example; float32 matches
// what frameworks run.

import { ConvArgument, EngineError } from './errors';
import { recycledBuffers } from './recycledBuffers';
import { wasmRange } from './wasm/gemmWasm';

export type DType = 'float64' | 'float32';
export type TensorData = Float64Array | Float32Array;

export interface Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly data: TensorData;
  /** Read from an image: how its values map back to pixels, so the faces can show it as one. */
  readonly picture?: PixelMapping;
}

/**
 * An image tensor (B, C, H, W) with C = 3 (RGB) or 1 (gray): a value v of channel c was the pixel
 * p ∈ [0, 255] as v = (p / scale − mean[c]) / std[c].
 */
export interface PixelMapping {
  readonly scale: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/**
 * Checks a tensor handed to the engine by a library caller: a shape of whole
 * numbers, data of the dtype's array type and exactly as long as the shape says
 * (a shorter array would read as zeros past its end, a wrong number).
 */
export function checkTensor(t: Tensor, argument: ConvArgument, op = 'conv2d'): void {
  const shape: unknown = t?.shape;
  if (!Array.isArray(shape) || !shape.every(d => Number.isSafeInteger(d) && d >= 0)) {
    throw new EngineError(op, { code: 'tensor.shape', args: { key: argument, shape: String(shape) } }, argument);
  }
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new EngineError(op, { code: 'tensor.dtype', args: { key: argument, dtype: String(t.dtype) } }, argument);
  const want = t.dtype === 'float32' ? Float32Array : Float64Array;
  if (!(t.data instanceof want)) throw new EngineError(op, { code: 'tensor.data', args: { key: argument, dtype: t.dtype, array: want.name } }, argument);
  if (t.data.length !== sizeOf(shape)) {
    throw new EngineError(op, { code: 'tensor.size', args: { key: argument, shape: [...shape], needs: sizeOf(shape), holds: t.data.length } }, argument);
  }
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/**
 * A new array of `length` values, zeros; inside a recycling run, a released one of that type and length first, zeroed
 * unless `zeroed` is false (the caller writes every value: a file's 47 MB of weights decoded into it).
 */
export function allocate(dtype: DType, length: number, zeroed = true): TensorData {
  const reused = recycledBuffers()?.take(dtype === 'float32', length, zeroed);
  if (reused) return reused;
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

/** A copy of `data`, in a released array when one fits (recycledBuffers), else in new memory. */
export function copyOf(data: TensorData): TensorData {
  const out = allocate(dtypeOfData(data), data.length, false);
  out.set(data);
  return out;
}

/** n values from src[s] to dst[d]: element by element when short, as a subarray per row costs more than its copy. */
export function copyRun(src: TensorData, s: number, dst: TensorData, d: number, n: number): void {
  if (n >= 32) dst.set(src.subarray(s, s + n), d);
  else for (let k = 0; k < n; k++) dst[d + k] = src[s + k];
}

/** The same values under a shape of their own: a view's tensor that shares its array (read, never written). */
export const sameValues = (t: Tensor): Tensor => ({ shape: [...t.shape], dtype: t.dtype, data: t.data });

export function zeros(shape: readonly number[], dtype: DType = 'float64'): Tensor {
  return { shape: [...shape], dtype, data: allocate(dtype, sizeOf(shape)) };
}

export function filled(shape: readonly number[], value: number, dtype: DType = 'float64'): Tensor {
  const t = zeros(shape, dtype);
  t.data.fill(value);
  return t;
}

/** Wraps existing data; the length must match the shape. */
export function tensor(shape: readonly number[], data: TensorData | readonly number[], dtype?: DType): Tensor {
  const kind: DType = dtype ?? (data instanceof Float32Array ? 'float32' : 'float64');
  const typed = data instanceof Float64Array || data instanceof Float32Array
    ? (dtypeOfData(data) === kind ? data : allocateFrom(kind, data))
    : allocateFrom(kind, data);
  if (typed.length !== sizeOf(shape)) {
    throw new RangeError(`tensor: shape ${formatShape(shape)} needs ${sizeOf(shape)} values, got ${typed.length}`);
  }
  return { shape: [...shape], dtype: kind, data: typed };
}

export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  if (sizeOf(shape) !== t.data.length) {
    throw new RangeError(`reshape: cannot view ${formatShape(t.shape)} as ${formatShape(shape)}`);
  }
  return { shape: [...shape], dtype: t.dtype, data: t.data };
}

export function dtypeOfData(data: TensorData): DType {
  return data instanceof Float32Array ? 'float32' : 'float64';
}

/** `values` in an array of `dtype`: a released one when one fits (recycledBuffers), as `allocate`, else a new one. */
function allocateFrom(dtype: DType, values: ArrayLike<number>): TensorData {
  const data = allocate(dtype, values.length, false);
  data.set(values);
  return data;
}

/** Row-major flat offset of a multi-index. */
export function offsetOf(shape: readonly number[], index: readonly number[]): number {
  let off = 0;
  for (let i = 0; i < shape.length; i++) off = off * shape[i] + index[i];
  return off;
}

/** Multi-index of a row-major flat offset. */
export function indexOf(shape: readonly number[], offset: number): number[] {
  const index = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    index[i] = offset % shape[i];
    offset = Math.floor(offset / shape[i]);
  }
  return index;
}

export function at(t: Tensor, ...index: number[]): number {
  return t.data[offsetOf(t.shape, index)];
}

/** `(1, 3, 4, 4)`, the way numpy and PyTorch print shapes. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** The first `rows` rows of a tensor (its last axis is a row), the rest filled with `rest`: a tensor part way through. */
export function firstRows(t: Tensor, rows: number, rest: number): Tensor {
  const data = t.data.slice();
  data.fill(rest, rows * t.shape[t.shape.length - 1]);
  return { shape: t.shape, dtype: t.dtype, data };
}

/** Nested arrays (for printing and tests). */
export function toNested(t: Tensor): unknown {
  const build = (dim: number, off: number): unknown => {
    if (dim === t.shape.length) return t.data[off];
    const stride = sizeOf(t.shape.slice(dim + 1));
    const out: unknown[] = [];
    for (let i = 0; i < t.shape[dim]; i++) out.push(build(dim + 1, off + i * stride));
    return out;
  };
  return t.shape.length === 0 ? t.data[0] : build(0, 0);
}

/** A tensor's finite range and its non-finite values: recorded once, when a trace records the tensor. */
export interface TensorStats {
  /** Of the finite values (0 when there are none). */
  min: number;
  max: number;
  /** NaN and ±Infinity. */
  nonFinite: number;
  /** Flat offset of the first non-finite value, or -1. */
  firstNonFinite: number;
}

/**
 * From this many values on, the range is taken in the WebAssembly module: a copy and one SIMD pass beat the loop's
 * 1.5–2 ns a value from a few hundred values (864: 1.5 µs by the loop, 0.4 µs in the module; 256: even), and a
 * network trace takes the range of every small tensor it records.
 */
export const MODULE_STATS_MIN = 1 << 9;

export function tensorStats(data: TensorData): TensorStats {
  const range = data.length >= MODULE_STATS_MIN ? wasmRange(data) : undefined;
  return range && !range.bad ? statsOfRange(data, range.min, range.max) : tensorStatsLoops(data);
}

/**
 * The statistics of `data`, every value finite, from its range taken elsewhere (the module): as tensorStats gives
 * them, which keeps the first of equal values, so a zero at an end has the sign of the first zero.
 */
export function statsOfRange(data: TensorData, min: number, max: number): TensorStats {
  if (min === Infinity) return { min: 0, max: 0, nonFinite: 0, firstNonFinite: -1 };
  const zero = (v: number) => (v === 0 ? firstZero(data) : v);
  return { min: zero(min), max: zero(max), nonFinite: 0, firstNonFinite: -1 };
}

function firstZero(data: TensorData): number {
  for (let i = 0; i < data.length; i++) if (data[i] === 0) return data[i];
  return 0;
}

/** tensorStats in TypeScript alone (also where the module's memory is in use). */
export function tensorStatsLoops(data: TensorData): TensorStats {
  let min = Infinity;
  let max = -Infinity;
  let nonFinite = 0;
  let firstNonFinite = -1;
  for (let i = 0, n = data.length; i < n; i++) {
    const v = data[i];
    // Most values lie inside the range seen so far: one test, no dependence on the last value (2× faster).
    if (v >= min && v <= max) continue;
    if (v !== v || v === Infinity || v === -Infinity) {
      if (nonFinite++ === 0) firstNonFinite = i;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min === Infinity ? { min: 0, max: 0, nonFinite, firstNonFinite } : { min, max, nonFinite, firstNonFinite };
}

export function maxAbsDiff(a: Tensor, b: Tensor): number {
  const [x, y] = [a.data, b.data];
  if (x.length !== y.length) return Infinity;
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i] - y[i]);
    if (d > m) m = d;
    // NaN: a NaN on one side (one NaN does not agree), on both (two NaNs in the same place agree), or equal infinities.
    else if (d !== d && (x[i] !== x[i]) !== (y[i] !== y[i])) return Infinity;
  }
  return m;
}

/** Largest finite |x|; 0 for an empty or all-non-finite tensor. */
export function maxAbs(data: TensorData): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) {
    const v = Math.abs(data[i]);
    if (v > m && v !== Infinity) m = v;
  }
  return m;
}
