// The GEMM kernels, in AssemblyScript, compiled to WebAssembly SIMD at build time
// (esbuild.mjs runs asc): C += A @ B where every operand is read or written
// through a row table and a column table of element offsets,
//   A[i][k] = a[ra[i] + ca[k]],  B[k][j] = b[rb[k] + cb[j]],  C[i][j] at c[rc[i] + cc[j]].
// Plain and transposed matrices are tables of multiples of their strides; the
// same tables also express im2col (A[r][k] = padded input at window r, tap k),
// so a convolution runs without materializing a_t, and col2im (C scattered and
// added into the padded input gradient), so ∂C/∂a needs no ∂C/∂a_t either.
//
// The work is split the usual way (Goto/BLIS): N in blocks of NC (1024) columns, B in slices of KC (384) rows packed into
// NR-wide column panels, A in blocks of MC rows packed into 4-tall row panels, and
// a register-blocked micro-kernel that keeps a 4 × NR tile of C in SIMD registers
// for the whole KC-long inner loop. float32: 4 × 8 (eight f32x4 accumulators);
// float64: 4 × 4 (eight f64x2). The build compiles this file twice: with plain SIMD
// (every runtime with SIMD) and with relaxed SIMD, whose madd is a fused multiply-add
// where the CPU has one (Chromium and VS Code's Electron; Node 20 only behind a flag);
// the engine loads the second where it compiles. Zeros are multiplied like
// any number (0 · NaN = NaN). Pointers are byte offsets into this module's memory;
// the host lays out the operands, the tables and the scratch space.

const KC: i32 = 384;
const MC: i32 = 96;
const NC: i32 = 1024;

@inline function offset(table: usize, i: i32): usize {
  return <usize>load<i32>(table + (<usize>i << 2));
}

// One k of four rows `s` bytes apart, from `src`, side by side at `dst`.
@inline function packSpaced<T>(src: usize, s: usize, dst: usize): void {
  const E = sizeof<T>();
  store<T>(dst, load<T>(src));
  store<T>(dst + E, load<T>(src + s));
  store<T>(dst + 2 * E, load<T>(src + 2 * s));
  store<T>(dst + 3 * E, load<T>(src + 3 * s));
}

// Packs rows [i0, i0 + mc) × columns [k0, k0 + kc) of A into panels of 4 rows:
// panel p holds, for each k, A[i0 + 4p + 0..3, k0 + k]; rows past M are zeros.
function packA<T>(a: usize, ra: usize, ca: usize, M: i32, i0: i32, mc: i32, k0: i32, kc: i32, out: usize): void {
  const E = sizeof<T>();
  for (let p = 0; p < mc; p += 4) {
    // Four rows whose elements sit side by side (im2col windows along an output row with stride 1,
    // a transposed matrix): each k is one 4-wide load; evenly spaced rows: one lookup for the four.
    const i = i0 + p;
    if (p + 3 < mc && i + 3 < M) {
      const first = offset(ra, i);
      const step = offset(ra, i + 1) - first;
      if (offset(ra, i + 2) == first + 2 * step && offset(ra, i + 3) == first + 3 * step) {
        const base = a + first * E;
        let dst = out + <usize>p * kc * E;
        if (step == 1) {
          for (let k = 0; k < kc; k++) {
            const src = base + offset(ca, k0 + k) * E;
            v128.store(dst, v128.load(src));
            if (E == 8) v128.store(dst, v128.load(src, 16), 16);
            dst += 4 * E;
          }
        } else {
          // Evenly spaced rows (a strided convolution's windows, a weight matrix's rows): one table lookup per k for
          // all four; where four k sit side by side in each row (a matrix's rows as A, kernels as the rows, a run of
          // a wide kernel's taps), four k at a time: a vector from each row, transposed in registers (the same values).
          const s = step * E;
          let k = 0;
          if (E == 4) {
            for (; k + 3 < kc; k += 4) {
              const c0 = offset(ca, k0 + k);
              if (offset(ca, k0 + k + 1) != c0 + 1 || offset(ca, k0 + k + 2) != c0 + 2 || offset(ca, k0 + k + 3) != c0 + 3) {
                for (let u = 0; u < 4; u++) { packSpaced<T>(base + offset(ca, k0 + k + u) * E, s, dst); dst += 4 * E; }
                continue;
              }
              const src = base + c0 * E;
              const r0 = v128.load(src), r1 = v128.load(src + s), r2 = v128.load(src + 2 * s), r3 = v128.load(src + 3 * s);
              const t0 = f32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = f32x4.shuffle(r2, r3, 0, 4, 1, 5);
              const t2 = f32x4.shuffle(r0, r1, 2, 6, 3, 7), t3 = f32x4.shuffle(r2, r3, 2, 6, 3, 7);
              v128.store(dst, f32x4.shuffle(t0, t1, 0, 1, 4, 5));
              v128.store(dst, f32x4.shuffle(t0, t1, 2, 3, 6, 7), 16);
              v128.store(dst, f32x4.shuffle(t2, t3, 0, 1, 4, 5), 32);
              v128.store(dst, f32x4.shuffle(t2, t3, 2, 3, 6, 7), 48);
              dst += 16 * E;
            }
          }
          for (; k < kc; k++) { packSpaced<T>(base + offset(ca, k0 + k) * E, s, dst); dst += 4 * E; }
        }
        continue;
      }
    }
    for (let r = 0; r < 4; r++) {
      const i = i0 + p + r;
      let dst = out + (<usize>p * kc + r) * E;
      if (i < M && p + r < mc) {
        const row = a + offset(ra, i) * E;
        for (let k = 0; k < kc; k++) { store<T>(dst, load<T>(row + offset(ca, k0 + k) * E)); dst += 4 * E; }
      } else {
        for (let k = 0; k < kc; k++) { store<T>(dst, <T>0); dst += 4 * E; }
      }
    }
  }
}

// Packs rows [k0, k0 + kc) × all N columns of B into panels of NR columns:
// panel q holds, for each k, B[k0 + k, NR·q + 0..NR-1]; columns past N are zeros.
function packB<T>(NR: i32, b: usize, rb: usize, cb: usize, N: i32, k0: i32, kc: i32, out: usize): void {
  const E = sizeof<T>();
  for (let q = 0; q < N; q += NR) {
    // A panel whose NR columns sit side by side (δ's windows, a_tᵀ's along an output row with stride 1, a plain
    // matrix): each k is two 16-byte loads.
    const first = offset(cb, q);
    let contiguous = q + NR <= N;
    for (let c = 1; c < NR && contiguous; c++) contiguous = offset(cb, q + c) == first + c;
    if (contiguous) {
      let dst = out + <usize>q * kc * E;
      for (let k = 0; k < kc; k++) {
        const src = b + (offset(rb, k0 + k) + first) * E;
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        dst += <usize>NR * E;
      }
      continue;
    }
    if (q + NR <= N) {
      // A whole panel of columns anywhere (the windows of a map narrower than the panel, a transposed matrix's
      // columns): their offsets read once for all k, each k's values gathered into vectors.
      packScattered<T>(NR, b, rb, cb, q, k0, kc, out + <usize>q * kc * E);
      continue;
    }
    for (let k = 0; k < kc; k++) {
      const dst = out + (<usize>q * kc + <usize>k * NR) * E;
      const row = b + offset(rb, k0 + k) * E;
      for (let c = 0; c < NR; c++) {
        const j = q + c;
        store<T>(dst + <usize>c * E, j < N ? load<T>(row + offset(cb, j) * E) : <T>0);
      }
    }
  }
}

// Columns q .. q + NR - 1 of B, rows [k0, k0 + kc), at `dst` as packB lays out a panel.
function packScattered<T>(NR: i32, b: usize, rb: usize, cb: usize, q: i32, k0: i32, kc: i32, dst: usize): void {
  const E = sizeof<T>();
  const o0 = offset(cb, q) * E, o1 = offset(cb, q + 1) * E, o2 = offset(cb, q + 2) * E, o3 = offset(cb, q + 3) * E;
  if (E == 4) {
    const o4 = offset(cb, q + 4) * E, o5 = offset(cb, q + 5) * E, o6 = offset(cb, q + 6) * E, o7 = offset(cb, q + 7) * E;
    for (let k = 0; k < kc; k++) {
      const row = b + offset(rb, k0 + k) * E;
      let v = v128.load32_splat(row + o0);
      v = f32x4.replace_lane(v, 1, load<f32>(row + o1));
      v = f32x4.replace_lane(v, 2, load<f32>(row + o2));
      v = f32x4.replace_lane(v, 3, load<f32>(row + o3));
      let w = v128.load32_splat(row + o4);
      w = f32x4.replace_lane(w, 1, load<f32>(row + o5));
      w = f32x4.replace_lane(w, 2, load<f32>(row + o6));
      w = f32x4.replace_lane(w, 3, load<f32>(row + o7));
      v128.store(dst, v);
      v128.store(dst, w, 16);
      dst += 32;
    }
  } else {
    for (let k = 0; k < kc; k++) {
      const row = b + offset(rb, k0 + k) * E;
      v128.store(dst, f64x2.replace_lane(v128.load64_splat(row + o0), 1, load<f64>(row + o1)));
      v128.store(dst, f64x2.replace_lane(v128.load64_splat(row + o2), 1, load<f64>(row + o3)), 16);
      dst += 32;
    }
  }
}

// Adds the tile kept at `tile` (4 rows × NR, row-major) into C rows i.., columns j.. (mr × nr of it).
// Where the tile's columns are contiguous in C (a plain matrix, z_t, dW_t) its rows go in with SIMD; where its
// four rows are and its columns far apart (float32: z's planes written from z_t's product), its columns, transposed
// in registers; otherwise (col2im's scatter) element by element. Each element is C + tile either way, the same add.
function addTile<T>(NR: i32, tile: usize, c: usize, rc: usize, cc: usize, i: i32, j: i32, mr: i32, nr: i32): void {
  const E = sizeof<T>();
  const first = offset(cc, j);
  let contiguous = nr == NR;
  for (let t = 1; t < nr && contiguous; t++) contiguous = offset(cc, j + t) == first + t;
  if (contiguous) {
    for (let r = 0; r < mr; r++) {
      const at = c + (offset(rc, i + r) + first) * E;
      const from = tile + <usize>r * NR * E;
      v128.store(at, isFloat<T>() && E == 4 ? f32x4.add(v128.load(at), v128.load(from)) : f64x2.add(v128.load(at), v128.load(from)));
      v128.store(at, isFloat<T>() && E == 4 ? f32x4.add(v128.load(at, 16), v128.load(from, 16)) : f64x2.add(v128.load(at, 16), v128.load(from, 16)), 16);
    }
    return;
  }
  if (E == 4 && mr == 4) {
    // Only where the columns are evenly spaced at least 4 apart, so that no two of the tile's elements share an address
    // and the order of the adds cannot matter: col2im's scatter (neighbouring windows) keeps its element order.
    const r0 = offset(rc, i);
    const step: i32 = nr > 1 ? <i32>offset(cc, j + 1) - <i32>first : 4;
    let spaced = step >= 4 || step <= -4;
    for (let t = 2; t < nr && spaced; t++) spaced = <i32>offset(cc, j + t) == <i32>first + t * step;
    if (spaced && offset(rc, i + 1) == r0 + 1 && offset(rc, i + 2) == r0 + 2 && offset(rc, i + 3) == r0 + 3) {
      for (let h = 0; h < nr; h += 4) {
        // Columns h..h + 3 of the four rows, transposed: column u's four values in one vector.
        const a0 = v128.load(tile + <usize>h * 4), a1 = v128.load(tile + <usize>h * 4, 32);
        const a2 = v128.load(tile + <usize>h * 4, 64), a3 = v128.load(tile + <usize>h * 4, 96);
        const t0 = f32x4.shuffle(a0, a1, 0, 4, 1, 5), t1 = f32x4.shuffle(a2, a3, 0, 4, 1, 5);
        const t2 = f32x4.shuffle(a0, a1, 2, 6, 3, 7), t3 = f32x4.shuffle(a2, a3, 2, 6, 3, 7);
        const n = min(4, nr - h);
        addColumn(c + (<usize>r0 + offset(cc, j + h)) * 4, f32x4.shuffle(t0, t1, 0, 1, 4, 5));
        if (n > 1) addColumn(c + (<usize>r0 + offset(cc, j + h + 1)) * 4, f32x4.shuffle(t0, t1, 2, 3, 6, 7));
        if (n > 2) addColumn(c + (<usize>r0 + offset(cc, j + h + 2)) * 4, f32x4.shuffle(t2, t3, 0, 1, 4, 5));
        if (n > 3) addColumn(c + (<usize>r0 + offset(cc, j + h + 3)) * 4, f32x4.shuffle(t2, t3, 2, 3, 6, 7));
      }
      return;
    }
  }
  for (let r = 0; r < mr; r++) {
    const row = c + offset(rc, i + r) * E;
    for (let t = 0; t < nr; t++) {
      const at = row + offset(cc, j + t) * E;
      store<T>(at, load<T>(at) + load<T>(tile + (<usize>r * NR + t) * E));
    }
  }
}

@inline function addColumn(at: usize, v: v128): void {
  v128.store(at, f32x4.add(v128.load(at), v));
}

// c + a · b: fused in the relaxed build (one rounding), a multiply and an add in the plain one.
@inline function madd32(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}
@inline function madd64(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(c, f64x2.mul(a, b));
}

// Two kernels, not one generic over T: the generic form (v128.splat<T>(load<T>(...))) is not turned into
// load32_splat by the compiler and measured about 30 % slower.
// The 4 × 8 float32 tile: packed panels pa (kc × 4) · pb (kc × 8), left in `tile`.
function kernel32(kc: i32, pa: usize, pb: usize, tile: usize): void {
  let c00 = f32x4.splat(0); let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0); let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0); let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0); let c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd32(a, b0, c00); c01 = madd32(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd32(a, b0, c10); c11 = madd32(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd32(a, b0, c20); c21 = madd32(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd32(a, b0, c30); c31 = madd32(a, b1, c31);
    pa += 16;
    pb += 32;
  }
  v128.store(tile, c00); v128.store(tile, c01, 16); v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80); v128.store(tile, c30, 96); v128.store(tile, c31, 112);
}

// The 4 × 4 float64 tile.
function kernel64(kc: i32, pa: usize, pb: usize, tile: usize): void {
  let c00 = f64x2.splat(0); let c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0); let c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0); let c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0); let c31 = f64x2.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load64_splat(pa);
    c00 = madd64(a, b0, c00); c01 = madd64(a, b1, c01);
    a = v128.load64_splat(pa, 8);
    c10 = madd64(a, b0, c10); c11 = madd64(a, b1, c11);
    a = v128.load64_splat(pa, 16);
    c20 = madd64(a, b0, c20); c21 = madd64(a, b1, c21);
    a = v128.load64_splat(pa, 24);
    c30 = madd64(a, b0, c30); c31 = madd64(a, b1, c31);
    pa += 32;
    pb += 32;
  }
  v128.store(tile, c00); v128.store(tile, c01, 16); v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80); v128.store(tile, c30, 96); v128.store(tile, c31, 112);
}

// ---- One row of C (M = 1) or one column (N = 1, the same product transposed): no packing of B ----
// The blocked kernel packs all of B for the one row, then fills 1 of its 4 tile rows: the rot180 view of a one-channel
// input (a single kernel) spent more time there than in its three passes. Here each k reads x's entry and a run of B's
// row through the tables once and goes straight into SIMD accumulators:
//   c[cc[j]] += Σ_k x[rx[k]] · b[rb[k] + cb[j]]   for j < N (c and x already at their row's start).
// Each element is summed as the blocked kernel sums it (from zero over a KC slice of k in order, the same madd, then
// added into C), so the result is the same bit for bit: a product cut across threads may leave a job one row.

@inline function splatAt<T>(p: usize): v128 {
  return sizeof<T>() == 4 ? v128.load32_splat(p) : v128.load64_splat(p);
}
@inline function maddT<T>(a: v128, b: v128, c: v128): v128 {
  return sizeof<T>() == 4 ? madd32(a, b, c) : madd64(a, b, c);
}

// `lanes` (1 to 4) vectors of columns side by side in B, from element `first` of each row, x packed: left in `tile`.
@inline function vecRun<T>(lanes: i32, K: i32, xs: usize, rb: usize, b: usize, first: i32, tile: usize): void {
  const E = sizeof<T>();
  let s0 = v128.splat<i32>(0); let s1 = s0; let s2 = s0; let s3 = s0;
  const base = b + <usize>first * E;
  for (const end = rb + (<usize>K << 2); rb < end; rb += 4, xs += E) {
    const xk = splatAt<T>(xs);
    const src = base + <usize>load<i32>(rb) * E;
    s0 = maddT<T>(xk, v128.load(src), s0);
    if (lanes > 1) s1 = maddT<T>(xk, v128.load(src, 16), s1);
    if (lanes > 2) s2 = maddT<T>(xk, v128.load(src, 32), s2);
    if (lanes > 3) s3 = maddT<T>(xk, v128.load(src, 48), s3);
  }
  v128.store(tile, s0); v128.store(tile, s1, 16); v128.store(tile, s2, 32); v128.store(tile, s3, 48);
}

// Four columns anywhere in B (strided windows, a row-major matrix's columns): each k's four values gathered into lanes.
function vecScattered<T>(K: i32, xs: usize, b: usize, rb: usize, cb: usize, j: i32, n: i32, tile: usize): void {
  const E = sizeof<T>();
  const o0 = offset(cb, j) * E;
  const o1 = n > 1 ? offset(cb, j + 1) * E : o0; const o2 = n > 2 ? offset(cb, j + 2) * E : o0; const o3 = n > 3 ? offset(cb, j + 3) * E : o0;
  let s0 = v128.splat<i32>(0); let s1 = s0;
  for (let k = 0; k < K; k++) {
    const row = b + offset(rb, k) * E;
    const xk = splatAt<T>(xs + <usize>k * E);
    if (E == 4) {
      let v = v128.load32_splat(row + o0);
      v = f32x4.replace_lane(v, 1, load<f32>(row + o1));
      v = f32x4.replace_lane(v, 2, load<f32>(row + o2));
      v = f32x4.replace_lane(v, 3, load<f32>(row + o3));
      s0 = madd32(xk, v, s0);
    } else {
      const v = f64x2.replace_lane(v128.load64_splat(row + o0), 1, load<f64>(row + o1));
      const w = f64x2.replace_lane(v128.load64_splat(row + o2), 1, load<f64>(row + o3));
      s0 = madd64(xk, v, s0);
      s1 = madd64(xk, w, s1);
    }
  }
  v128.store(tile, s0); v128.store(tile, s1, 16);
}

function vecmat<T>(N: i32, K: i32, x: usize, rx: usize, b: usize, rb: usize, cb: usize, c: usize, cc: usize, scratch: usize): void {
  const E = sizeof<T>();
  const V = 16 / E;
  const tile = scratch;
  const xs = scratch + 128;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    for (let k = 0; k < kc; k++) store<T>(xs + <usize>k * E, load<T>(x + offset(rx, k0 + k) * E));
    const rows = rb + (<usize>k0 << 2);
    let j = 0;
    while (j < N) {
      // The widest run of columns side by side in B from j, up to four vectors.
      const first = offset(cb, j);
      let w = 1;
      while (w < 4 * V && j + w < N && offset(cb, j + w) == first + w) w++;
      let n = 4;
      if (w >= 4 * V) { n = 4 * V; vecRun<T>(4, kc, xs, rows, b, first, tile); }
      else if (w >= 3 * V) { n = 3 * V; vecRun<T>(3, kc, xs, rows, b, first, tile); }
      else if (w >= 2 * V) { n = 2 * V; vecRun<T>(2, kc, xs, rows, b, first, tile); }
      else if (w >= V) { n = V; vecRun<T>(1, kc, xs, rows, b, first, tile); }
      else { n = min(4, N - j); vecScattered<T>(kc, xs, b, rows, cb, j, n, tile); }
      // Into C element by element, in column order (col2im's targets may repeat).
      for (let t = 0; t < n; t++) {
        const at = c + offset(cc, j + t) * E;
        store<T>(at, load<T>(at) + load<T>(tile + <usize>t * E));
      }
      j += n;
    }
  }
}

// The loops around the micro-kernel: N in blocks of NC columns (a conv's ∂C/∂a_t has up to 4608: the packed
// slice of B, KC × NC, then stays in L2 and the scratch stays small), B packed one KC slice at a time, A one
// MC × KC block at a time.
function gemm<T>(M: i32, N: i32, K: i32, a: usize, ra: usize, ca: usize, b: usize, rb: usize, cb: usize, c: usize, rc: usize, cc: usize, scratch: usize, mc: i32): void {
  const E = sizeof<T>();
  if (M == 1) {
    vecmat<T>(N, K, a + offset(ra, 0) * E, ca, b, rb, cb, c + offset(rc, 0) * E, cc, scratch);
    return;
  }
  if (N == 1) {
    // C's column as a row: Cᵀ += Bᵀ Aᵀ, B's column the vector, A's rows B's columns.
    vecmat<T>(M, K, b + offset(cb, 0) * E, rb, a, ca, ra, c + offset(cc, 0) * E, rc, scratch);
    return;
  }
  // A's blocks: MC rows, or fewer (a multiple of 4) where the host asks (col2im's blocks of whole channels).
  const rowBlock = mc >= 4 && mc <= MC ? mc & ~3 : MC;
  for (let j0 = 0; j0 < N; j0 += NC) {
    const shift = <usize>j0 << 2;
    gemmBlock<T>(M, min(NC, N - j0), K, a, ra, ca, b, rb, cb + shift, c, rc, cc + shift, scratch, rowBlock);
  }
}

function gemmBlock<T>(M: i32, N: i32, K: i32, a: usize, ra: usize, ca: usize, b: usize, rb: usize, cb: usize, c: usize, rc: usize, cc: usize, scratch: usize, rowBlock: i32): void {
  const E = sizeof<T>();
  const NR: i32 = E == 4 ? 8 : 4;
  const nPanels = (N + NR - 1) / NR;
  const tile = scratch;
  const packedA = tile + 128;
  const packedB = packedA + <usize>MC * KC * E;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    packB<T>(NR, b, rb, cb, N, k0, kc, packedB);
    for (let i0 = 0; i0 < M; i0 += rowBlock) {
      const mc = min(rowBlock, M - i0);
      packA<T>(a, ra, ca, M, i0, mc, k0, kc, packedA);
      for (let q = 0; q < nPanels; q++) {
        const nr = min(NR, N - q * NR);
        const pb = packedB + <usize>q * NR * kc * E;
        for (let p = 0; p < mc; p += 4) {
          const pa = packedA + <usize>p * kc * E;
          if (E == 4) kernel32(kc, pa, pb, tile);
          else kernel64(kc, pa, pb, tile);
          addTile<T>(NR, tile, c, rc, cc, i0 + p, q * NR, min(4, mc - p), nr);
        }
      }
    }
  }
}

/**
 * float32 C += A @ B through offset tables (see the top); scratch needs scratchBytes(4, N) bytes. A is taken in
 * blocks of `mc` rows (a multiple of 4, at most MC; 0: MC).
 */
export function sgemm(M: i32, N: i32, K: i32, a: usize, ra: usize, ca: usize, b: usize, rb: usize, cb: usize, c: usize, rc: usize, cc: usize, scratch: usize, mc: i32): void {
  gemm<f32>(M, N, K, a, ra, ca, b, rb, cb, c, rc, cc, scratch, mc);
}

/** float64 C += A @ B through offset tables, as sgemm. */
export function dgemm(M: i32, N: i32, K: i32, a: usize, ra: usize, ca: usize, b: usize, rb: usize, cb: usize, c: usize, rc: usize, cc: usize, scratch: usize, mc: i32): void {
  gemm<f64>(M, N, K, a, ra, ca, b, rb, cb, c, rc, cc, scratch, mc);
}

/** Bytes of scratch for N columns of E-byte elements. */
export function scratchBytes(E: i32, N: i32): i32 {
  const NR = E == 4 ? 8 : 4;
  return 128 + (MC * KC + ((min(N, NC) + NR - 1) / NR) * NR * KC) * E;
}

// dst (cols × rows) = srcᵀ, src (rows × cols) row-major; blocks of 32 × 32 keep both sides in cache.
function transpose<T>(src: usize, dst: usize, rows: i32, cols: i32): void {
  const E = sizeof<T>();
  for (let r0 = 0; r0 < rows; r0 += 32) {
    const r1 = min(rows, r0 + 32);
    for (let c0 = 0; c0 < cols; c0 += 32) {
      const c1 = min(cols, c0 + 32);
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) store<T>(dst + (<usize>c * rows + r) * E, load<T>(src + (<usize>r * cols + c) * E));
      }
    }
  }
}

/** dst = srcᵀ for `count` consecutive (rows × cols) float32 matrices (NCHW ⇄ (B, HW, C) layouts). */
export function transpose32(src: usize, dst: usize, rows: i32, cols: i32, count: i32): void {
  const n = <usize>rows * cols * 4;
  for (let m = 0; m < count; m++) transpose<f32>(src + n * m, dst + n * m, rows, cols);
}

/** As transpose32, float64. */
export function transpose64(src: usize, dst: usize, rows: i32, cols: i32, count: i32): void {
  const n = <usize>rows * cols * 8;
  for (let m = 0; m < count; m++) transpose<f64>(src + n * m, dst + n * m, rows, cols);
}

// ---- A bias after the product ----

// Row r of `rows` rows of `len` values at `p`, `stride` values apart, gets values[r] added: the bias on z's planes once
// the product is summed (z = Σ + b, as the trace adds it).
function addRows<T>(p: usize, values: usize, rows: i32, len: i32, stride: i32): void {
  const E = <usize>sizeof<T>(), lanes = 16 / sizeof<T>();
  for (let r = 0; r < rows; r++) {
    const v = load<T>(values + <usize>r * E);
    const splat = sizeof<T>() == 4 ? f32x4.splat(<f32>v) : f64x2.splat(<f64>v);
    const row = p + <usize>r * stride * E;
    let i = 0;
    for (; i + lanes <= len; i += lanes) {
      const at = row + <usize>i * E;
      v128.store(at, sizeof<T>() == 4 ? f32x4.add(v128.load(at), splat) : f64x2.add(v128.load(at), splat));
    }
    for (; i < len; i++) store<T>(row + <usize>i * E, load<T>(row + <usize>i * E) + v);
  }
}

export function addRows32(p: usize, values: usize, rows: i32, len: i32, stride: i32): void {
  addRows<f32>(p, values, rows, len, stride);
}

export function addRows64(p: usize, values: usize, rows: i32, len: i32, stride: i32): void {
  addRows<f64>(p, values, rows, len, stride);
}

// ---- The padded input ----

// The padded planes (planes × Hp × Wp) at `dst`, from the dense ones (planes × H × W) the host copied to the region's
// end in one piece: rows move forward in order into place, `left` and `top` in, and the padding around them is zeroed.
// No row's place or zeroed gap reaches past the start of a row still to move (rows move as far as the padding before
// them, which only grows), and memory.copy moves a row over its own old place as memmove does.
function pad<T>(dst: usize, planes: i32, H: i32, W: i32, Hp: i32, Wp: i32, top: i32, left: i32): void {
  const E = <usize>sizeof<T>();
  const plane = <usize>Hp * Wp * E, rowBytes = <usize>W * E;
  let src = dst + <usize>planes * plane - <usize>planes * H * rowBytes;
  for (let p = 0; p < planes; p++) {
    const at = dst + <usize>p * plane;
    let row = at + (<usize>top * Wp + left) * E;
    memory.fill(at, 0, row - at);
    for (let y = 0; y < H; y++) {
      memory.copy(row, src, rowBytes);
      src += rowBytes;
      // The right padding, then the next row's left padding, or the bottom rows after the last.
      const next = y + 1 < H ? row + <usize>Wp * E : at + plane;
      memory.fill(row + rowBytes, 0, next - row - rowBytes);
      row = next;
    }
  }
}

export function pad32(dst: usize, planes: i32, H: i32, W: i32, Hp: i32, Wp: i32, top: i32, left: i32): void {
  pad<f32>(dst, planes, H, W, Hp, Wp, top, left);
}

export function pad64(dst: usize, planes: i32, H: i32, W: i32, Hp: i32, Wp: i32, top: i32, left: i32): void {
  pad<f64>(dst, planes, H, W, Hp, Wp, top, left);
}

// The inverse: the dense planes (planes × H × W) at `dst`, cut out of the padded ones there (∂C/∂input out of the
// padded input gradient col2im added into). Every row moves back in order (its place is never past its old one), so
// no row is overwritten before it moves; the host then copies one piece.
function crop<T>(dst: usize, planes: i32, H: i32, W: i32, Hp: i32, Wp: i32, top: i32, left: i32): void {
  const E = <usize>sizeof<T>();
  const rowBytes = <usize>W * E;
  let to = dst;
  for (let p = 0; p < planes; p++) {
    let row = dst + (<usize>p * Hp * Wp + <usize>top * Wp + left) * E;
    for (let y = 0; y < H; y++, row += <usize>Wp * E, to += rowBytes) memory.copy(to, row, rowBytes);
  }
}

export function crop32(dst: usize, planes: i32, H: i32, W: i32, Hp: i32, Wp: i32, top: i32, left: i32): void {
  crop<f32>(dst, planes, H, W, Hp, Wp, top, left);
}

export function crop64(dst: usize, planes: i32, H: i32, W: i32, Hp: i32, Wp: i32, top: i32, left: i32): void {
  crop<f64>(dst, planes, H, W, Hp, Wp, top, left);
}

/** `bytes` zero bytes from byte offset p (a typed array's fill on a shared memory is several times slower). */
export function zero(p: usize, bytes: usize): void {
  memory.fill(p, 0, bytes);
}

// ---- The trace's gathers and statistics (trace.ts shows a_t and ∂C/∂a_t: wasm/traceWasm.ts builds them here) ----

// im2col into a dense block: dst[i·K + k] = src[rows[r0 + i] + cols[k]] for i < n (element offsets, as the GEMM's tables).
function gatherRows<T>(src: usize, rows: usize, r0: i32, n: i32, cols: usize, K: i32, dst: usize): void {
  const E = sizeof<T>();
  for (let i = 0; i < n; i++) {
    const row = src + offset(rows, r0 + i) * E;
    for (let k = 0; k < K; k++) { store<T>(dst, load<T>(row + offset(cols, k) * E)); dst += E; }
  }
}

export function gather32(src: usize, rows: usize, r0: i32, n: i32, cols: usize, K: i32, dst: usize): void {
  gatherRows<f32>(src, rows, r0, n, cols, K, dst);
}

export function gather64(src: usize, rows: usize, r0: i32, n: i32, cols: usize, K: i32, dst: usize): void {
  gatherRows<f64>(src, rows, r0, n, cols, K, dst);
}

// col2im from a dense block, its adjoint: dst[rows[r0 + i] + cols[k]] += src[i·K + k], row by row, each row's columns
// in order (the order of the TypeScript col2im, so the sums round the same).
function scatterAddRows<T>(src: usize, dst: usize, rows: usize, r0: i32, n: i32, cols: usize, K: i32): void {
  const E = sizeof<T>();
  for (let i = 0; i < n; i++) {
    const row = dst + offset(rows, r0 + i) * E;
    for (let k = 0; k < K; k++) {
      const at = row + offset(cols, k) * E;
      store<T>(at, load<T>(at) + load<T>(src));
      src += E;
    }
  }
}

export function scatterAdd32(src: usize, dst: usize, rows: usize, r0: i32, n: i32, cols: usize, K: i32): void {
  scatterAddRows<f32>(src, dst, rows, r0, n, cols, K);
}

export function scatterAdd64(src: usize, dst: usize, rows: usize, r0: i32, n: i32, cols: usize, K: i32): void {
  scatterAddRows<f64>(src, dst, rows, r0, n, cols, K);
}

// The range of n values at p: out[0] = min, out[1] = max (float64); returns 1 when a value is NaN or ±Infinity
// (the host then counts them itself). x - x is 0 for a finite x and NaN otherwise. pmin and pmax are one instruction
// each; the sign of a zero at an end and a NaN's effect are the host's to settle.
@inline function pminT<T>(a: v128, b: v128): v128 {
  return sizeof<T>() == 4 ? f32x4.pmin(a, b) : f64x2.pmin(a, b);
}
@inline function pmaxT<T>(a: v128, b: v128): v128 {
  return sizeof<T>() == 4 ? f32x4.pmax(a, b) : f64x2.pmax(a, b);
}
/** The lanes of v that are NaN or ±Infinity (v - v is not 0), all ones. */
@inline function notFinite<T>(v: v128): v128 {
  return sizeof<T>() == 4 ? f32x4.ne(f32x4.sub(v, v), f32x4.splat(0)) : f64x2.ne(f64x2.sub(v, v), f64x2.splat(0));
}

function stats<T>(p: usize, n: i32, out: usize): i32 {
  const E = sizeof<T>();
  const V = 16 / E;
  let lo = sizeof<T>() == 4 ? f32x4.splat(Infinity) : f64x2.splat(Infinity);
  let hi = sizeof<T>() == 4 ? f32x4.splat(-Infinity) : f64x2.splat(-Infinity);
  let bad = i32x4.splat(0);
  let i = 0;
  // Two vectors a turn into two sets of accumulators: each pmin waits on the last one, so one chain leaves the CPU idle.
  let lo2 = lo; let hi2 = hi; let bad2 = bad;
  for (; i + 2 * V <= n; i += 2 * V) {
    const v = v128.load(p + <usize>i * E);
    const u = v128.load(p + <usize>i * E, 16);
    lo = pminT<T>(lo, v); lo2 = pminT<T>(lo2, u);
    hi = pmaxT<T>(hi, v); hi2 = pmaxT<T>(hi2, u);
    bad = v128.or(bad, notFinite<T>(v)); bad2 = v128.or(bad2, notFinite<T>(u));
  }
  lo = pminT<T>(lo, lo2); hi = pmaxT<T>(hi, hi2); bad = v128.or(bad, bad2);
  for (; i + V <= n; i += V) {
    const v = v128.load(p + <usize>i * E);
    lo = pminT<T>(lo, v);
    hi = pmaxT<T>(hi, v);
    bad = v128.or(bad, notFinite<T>(v));
  }
  let mn: f64; let mx: f64;
  if (sizeof<T>() == 4) {
    mn = <f64>min(min(f32x4.extract_lane(lo, 0), f32x4.extract_lane(lo, 1)), min(f32x4.extract_lane(lo, 2), f32x4.extract_lane(lo, 3)));
    mx = <f64>max(max(f32x4.extract_lane(hi, 0), f32x4.extract_lane(hi, 1)), max(f32x4.extract_lane(hi, 2), f32x4.extract_lane(hi, 3)));
  } else {
    mn = min(f64x2.extract_lane(lo, 0), f64x2.extract_lane(lo, 1));
    mx = max(f64x2.extract_lane(hi, 0), f64x2.extract_lane(hi, 1));
  }
  let tailBad = false;
  for (; i < n; i++) {
    const v = <f64>load<T>(p + <usize>i * E);
    if (v - v != 0) tailBad = true;
    mn = min(mn, v);
    mx = max(mx, v);
  }
  store<f64>(out, mn);
  store<f64>(out, mx, 8);
  return tailBad || v128.any_true(bad) ? 1 : 0;
}

export function stats32(p: usize, n: i32, out: usize): i32 {
  return stats<f32>(p, n, out);
}

export function stats64(p: usize, n: i32, out: usize): i32 {
  return stats<f64>(p, n, out);
}

// ---- Winograd's F(4×4, 3×3) transforms (the lean run's stride-1 3 × 3 convolutions) ----
export * from './winograd';

// ---- ReLU and a residual's sum (the layers between the convolutions) ----
export * from './elementwise';

// ---- Max pooling forward, with its argmax ----
export * from './pool';
