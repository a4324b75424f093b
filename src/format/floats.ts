// Rounding to the narrow float formats a program's tensors may hold (float16,
// bfloat16), so their values print as briefly as the format allows.

/** The float formats a value may be printed in. */
export type FloatFormat = 'float64' | 'float32' | 'float16' | 'bfloat16';

/** The nearest IEEE half-precision value (ties to even; 65520 and beyond overflow, as numpy). */
export function roundToFloat16(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  if (a >= 65520) return x > 0 ? Infinity : -Infinity;
  // The binade of a (log2 may be off by one next to a power of two), no lower than the subnormals'.
  let e = Math.floor(Math.log2(a));
  while (2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  const ulp = 2 ** (Math.max(e, -14) - 10);
  const q = a / ulp;
  const f = Math.floor(q);
  const r = q - f > 0.5 || (q - f === 0.5 && f % 2 === 1) ? f + 1 : f;
  return Math.sign(x) * r * ulp;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The nearest bfloat16 value (float32's top 16 bits, ties to even). */
export function roundToBfloat16(x: number): number {
  if (!Number.isFinite(x)) return x;
  f32[0] = x;
  const bits = u32[0];
  u32[0] = ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 0) & 0xffff0000;
  return f32[0];
}

/** The nearest value of a format (float64 is every number). */
export function roundTo(format: FloatFormat, x: number): number {
  return format === 'float32' ? Math.fround(x) : format === 'float16' ? roundToFloat16(x) : format === 'bfloat16' ? roundToBfloat16(x) : x;
}

/** The format a program's dtype name stores (numpy's, torch's, …); float64 when it is none of the narrow ones. */
export function floatFormatOf(dtypeName: string): FloatFormat {
  return /bfloat16/i.test(dtypeName) ? 'bfloat16' : /float16|half/i.test(dtypeName) ? 'float16' : /float32|single/i.test(dtypeName) ? 'float32' : 'float64';
}
