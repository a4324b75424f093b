// Element-by-element passes of the layers between the convolutions, on values the host copies in a chunk at a time
// (wasm/elementwiseWasm.ts): ReLU forward and backward and a residual's sum, in place, one SIMD vector at a time
// (4 float32 or 2 float64), the rest one by one. Each value is what the engine's loops compute (layers.ts): the same
// single operation per element, so the same bits, NaN, ±0 and ±Infinity included.

// max(v, 0): NaN stays NaN, −0 becomes +0 (wasm's max, as Math.max).
@inline function reluV<T>(v: v128): v128 {
  return sizeof<T>() == 4 ? f32x4.max(v, f32x4.splat(0)) : f64x2.max(v, f64x2.splat(0));
}

// z ≤ 0 ? 0 · δ : δ (0 · NaN and 0 · ±Infinity are NaN, as the loop's; a NaN z passes δ on).
@inline function reluBackV<T>(d: v128, z: v128): v128 {
  const off = sizeof<T>() == 4 ? f32x4.le(z, f32x4.splat(0)) : f64x2.le(z, f64x2.splat(0));
  const zeroed = sizeof<T>() == 4 ? f32x4.mul(d, f32x4.splat(0)) : f64x2.mul(d, f64x2.splat(0));
  return v128.bitselect(zeroed, d, off);
}

@inline function addV<T>(a: v128, b: v128): v128 {
  return sizeof<T>() == 4 ? f32x4.add(a, b) : f64x2.add(a, b);
}

function relu<T>(p: usize, n: i32): void {
  const E = <usize>sizeof<T>();
  const V = 16 / <i32>E;
  let i = 0;
  for (; i + V <= n; i += V) v128.store(p + <usize>i * E, reluV<T>(v128.load(p + <usize>i * E)));
  for (; i < n; i++) store<T>(p + <usize>i * E, max<T>(load<T>(p + <usize>i * E), <T>0));
}

function reluBackward<T>(d: usize, z: usize, n: i32): void {
  const E = <usize>sizeof<T>();
  const V = 16 / <i32>E;
  let i = 0;
  for (; i + V <= n; i += V) {
    const at = <usize>i * E;
    v128.store(d + at, reluBackV<T>(v128.load(d + at), v128.load(z + at)));
  }
  for (; i < n; i++) {
    const at = <usize>i * E;
    const v = load<T>(d + at);
    store<T>(d + at, load<T>(z + at) <= <T>0 ? <T>0 * v : v);
  }
}

function add<T>(a: usize, b: usize, n: i32): void {
  const E = <usize>sizeof<T>();
  const V = 16 / <i32>E;
  let i = 0;
  for (; i + V <= n; i += V) {
    const at = <usize>i * E;
    v128.store(a + at, addV<T>(v128.load(a + at), v128.load(b + at)));
  }
  for (; i < n; i++) store<T>(a + <usize>i * E, load<T>(a + <usize>i * E) + load<T>(b + <usize>i * E));
}

/** p[i] = max(p[i], 0) for n float32 values at byte offset p. */
export function relu32(p: usize, n: i32): void {
  relu<f32>(p, n);
}

export function relu64(p: usize, n: i32): void {
  relu<f64>(p, n);
}

/** d[i] = z[i] ≤ 0 ? 0 · d[i] : d[i]: ReLU's ∂C/∂z from δ (at d) and z, n float32 values. */
export function reluBackward32(d: usize, z: usize, n: i32): void {
  reluBackward<f32>(d, z, n);
}

export function reluBackward64(d: usize, z: usize, n: i32): void {
  reluBackward<f64>(d, z, n);
}

/** a[i] += b[i] for n float32 values. */
export function add32(a: usize, b: usize, n: i32): void {
  add<f32>(a, b, n);
}

export function add64(a: usize, b: usize, n: i32): void {
  add<f64>(a, b, n);
}
