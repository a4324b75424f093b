// The GEMM kernels, in AssemblyScript, compiled to WebAssembly SIMD at build time
// (esbuild.mjs runs asc). C += A @ B, with A and B read through any (row, column)
// strides, so transposed operands need no copy. The work is split the usual way
// (Goto/BLIS): B in slices of KC rows packed into NR-wide column panels, A in
// blocks of MC rows packed into MR-tall row panels, and a register-blocked
// micro-kernel that keeps an MR × NR tile of C in SIMD registers for the whole
// KC-long inner loop. Pointers are byte offsets into this module's memory; the
// host lays out the operands and the scratch space and grows the memory.
//
// float32: MR × NR = 4 × 8 (eight f32x4 accumulators); float64: 4 × 4 (eight f64x2).
// No fused multiply-add: WebAssembly SIMD has none without relaxed SIMD, which
// Node 20 does not enable. Zeros are multiplied like any number (0 · NaN = NaN).

const KC: i32 = 256;
const MC: i32 = 96;

// ---- float32 ------------------------------------------------------------------

// Packs rows [i0, i0 + mc) × columns [k0, k0 + kc) of A into panels of 4 rows:
// panel p holds, for each k, A[i0 + 4p + 0..3, k0 + k]; rows past M are zeros.
function packA<T>(a: usize, rs: i32, cs: i32, M: i32, i0: i32, mc: i32, k0: i32, kc: i32, out: usize): void {
  const E = sizeof<T>();
  for (let p = 0; p < mc; p += 4) {
    for (let r = 0; r < 4; r++) {
      const i = i0 + p + r;
      let dst = out + (<usize>p * kc + r) * E;
      if (i < M && p + r < mc) {
        let src = a + (<usize>i * rs + <usize>k0 * cs) * E;
        const step = <usize>cs * E;
        for (let k = 0; k < kc; k++) { store<T>(dst, load<T>(src)); src += step; dst += 4 * E; }
      } else {
        for (let k = 0; k < kc; k++) { store<T>(dst, <T>0); dst += 4 * E; }
      }
    }
  }
}

// Packs rows [k0, k0 + kc) × all N columns of B into panels of NR columns:
// panel q holds, for each k, B[k0 + k, NR·q + 0..NR-1]; columns past N are zeros.
function packB<T>(NR: i32, b: usize, rs: i32, cs: i32, N: i32, k0: i32, kc: i32, out: usize): void {
  const E = sizeof<T>();
  for (let q = 0; q < N; q += NR) {
    for (let k = 0; k < kc; k++) {
      const dst = out + (<usize>q * kc + <usize>k * NR) * E;
      const row = b + <usize>(k0 + k) * rs * E;
      for (let c = 0; c < NR; c++) {
        const j = q + c;
        store<T>(dst + <usize>c * E, j < N ? load<T>(row + <usize>j * cs * E) : <T>0);
      }
    }
  }
}

// The 4 × 8 tile of C at c (row stride ldc bytes) += packed panels pa (kc × 4) · pb (kc × 8).
// A full tile is added in place; an edge tile (mr < 4 or nr < 8) goes through `edge`.
function kernel32(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, mr: i32, nr: i32, edge: usize): void {
  let c00 = f32x4.splat(0); let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0); let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0); let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0); let c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(a, b0)); c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0)); c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0)); c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0)); c31 = f32x4.add(c31, f32x4.mul(a, b1));
    pa += 16;
    pb += 32;
  }
  if (mr == 4 && nr == 8) {
    v128.store(c, f32x4.add(v128.load(c), c00)); v128.store(c, f32x4.add(v128.load(c, 16), c01), 16); c += ldc;
    v128.store(c, f32x4.add(v128.load(c), c10)); v128.store(c, f32x4.add(v128.load(c, 16), c11), 16); c += ldc;
    v128.store(c, f32x4.add(v128.load(c), c20)); v128.store(c, f32x4.add(v128.load(c, 16), c21), 16); c += ldc;
    v128.store(c, f32x4.add(v128.load(c), c30)); v128.store(c, f32x4.add(v128.load(c, 16), c31), 16);
    return;
  }
  v128.store(edge, c00); v128.store(edge, c01, 16); v128.store(edge, c10, 32); v128.store(edge, c11, 48);
  v128.store(edge, c20, 64); v128.store(edge, c21, 80); v128.store(edge, c30, 96); v128.store(edge, c31, 112);
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) {
      const at = c + <usize>i * ldc + (<usize>j << 2);
      store<f32>(at, load<f32>(at) + load<f32>(edge + ((<usize>i * 8 + j) << 2)));
    }
  }
}

// ---- float64 ------------------------------------------------------------------

function kernel64(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, mr: i32, nr: i32, edge: usize): void {
  let c00 = f64x2.splat(0); let c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0); let c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0); let c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0); let c31 = f64x2.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load64_splat(pa);
    c00 = f64x2.add(c00, f64x2.mul(a, b0)); c01 = f64x2.add(c01, f64x2.mul(a, b1));
    a = v128.load64_splat(pa, 8);
    c10 = f64x2.add(c10, f64x2.mul(a, b0)); c11 = f64x2.add(c11, f64x2.mul(a, b1));
    a = v128.load64_splat(pa, 16);
    c20 = f64x2.add(c20, f64x2.mul(a, b0)); c21 = f64x2.add(c21, f64x2.mul(a, b1));
    a = v128.load64_splat(pa, 24);
    c30 = f64x2.add(c30, f64x2.mul(a, b0)); c31 = f64x2.add(c31, f64x2.mul(a, b1));
    pa += 32;
    pb += 32;
  }
  if (mr == 4 && nr == 4) {
    v128.store(c, f64x2.add(v128.load(c), c00)); v128.store(c, f64x2.add(v128.load(c, 16), c01), 16); c += ldc;
    v128.store(c, f64x2.add(v128.load(c), c10)); v128.store(c, f64x2.add(v128.load(c, 16), c11), 16); c += ldc;
    v128.store(c, f64x2.add(v128.load(c), c20)); v128.store(c, f64x2.add(v128.load(c, 16), c21), 16); c += ldc;
    v128.store(c, f64x2.add(v128.load(c), c30)); v128.store(c, f64x2.add(v128.load(c, 16), c31), 16);
    return;
  }
  v128.store(edge, c00); v128.store(edge, c01, 16); v128.store(edge, c10, 32); v128.store(edge, c11, 48);
  v128.store(edge, c20, 64); v128.store(edge, c21, 80); v128.store(edge, c30, 96); v128.store(edge, c31, 112);
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) {
      const at = c + <usize>i * ldc + (<usize>j << 3);
      store<f64>(at, load<f64>(at) + load<f64>(edge + ((<usize>i * 4 + j) << 3)));
    }
  }
}

// ---- both ----------------------------------------------------------------------

// The loops around the micro-kernel: B packed one KC slice at a time, A one MC × KC block at a time.
function gemm<T>(M: i32, N: i32, K: i32, a: usize, ars: i32, acs: i32, b: usize, brs: i32, bcs: i32, c: usize, ldc: i32, scratch: usize): void {
  const E = sizeof<T>();
  const NR: i32 = E == 4 ? 8 : 4;
  const nPanels = (N + NR - 1) / NR;
  const packedB = scratch;
  const packedA = packedB + <usize>nPanels * NR * KC * E;
  const edge = packedA + <usize>MC * KC * E;
  const ldcBytes = <usize>ldc * E;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    packB<T>(NR, b, brs, bcs, N, k0, kc, packedB);
    for (let i0 = 0; i0 < M; i0 += MC) {
      const mc = min(MC, M - i0);
      packA<T>(a, ars, acs, M, i0, mc, k0, kc, packedA);
      for (let q = 0; q < nPanels; q++) {
        const nr = min(NR, N - q * NR);
        const pb = packedB + <usize>q * NR * kc * E;
        for (let p = 0; p < mc; p += 4) {
          const pa = packedA + <usize>p * kc * E;
          const at = c + <usize>(i0 + p) * ldcBytes + <usize>(q * NR) * E;
          if (E == 4) kernel32(kc, pa, pb, at, ldcBytes, min(4, mc - p), nr, edge);
          else kernel64(kc, pa, pb, at, ldcBytes, min(4, mc - p), nr, edge);
        }
      }
    }
  }
}

/**
 * C (M × N, row stride ldc, column stride 1) += A (M × K, strides ars, acs) @ B (K × N, strides brs, bcs),
 * float32. Scratch needs scratchBytes32(N) bytes.
 */
export function sgemm(M: i32, N: i32, K: i32, a: usize, ars: i32, acs: i32, b: usize, brs: i32, bcs: i32, c: usize, ldc: i32, scratch: usize): void {
  gemm<f32>(M, N, K, a, ars, acs, b, brs, bcs, c, ldc, scratch);
}

/** Bytes of scratch sgemm needs for N columns. */
export function scratchBytes32(N: i32): i32 {
  return (((N + 7) >> 3) * 8 * KC + MC * KC + 32) << 2;
}

/** As sgemm, float64 (4 × 4 tiles). */
export function dgemm(M: i32, N: i32, K: i32, a: usize, ars: i32, acs: i32, b: usize, brs: i32, bcs: i32, c: usize, ldc: i32, scratch: usize): void {
  gemm<f64>(M, N, K, a, ars, acs, b, brs, bcs, c, ldc, scratch);
}

/** Bytes of scratch dgemm needs for N columns. */
export function scratchBytes64(N: i32): i32 {
  return (((N + 3) >> 2) * 4 * KC + MC * KC + 16) << 3;
}
