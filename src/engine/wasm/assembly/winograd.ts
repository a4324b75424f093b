// Winograd's F(4×4, 3×3) for float32 (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2015):
// a 4 × 4 tile of a stride-1 3 × 3 convolution's output from the 6 × 6 patch of input under it, as
//   Y = Aᵀ [ Σ_c (G g G ᵀ) ⊙ (Bᵀ d B) ] A,
// 36 products of (Cout × Cin) by (Cin × tiles) instead of 9 taps' worth per output: 2.25 multiplies an output value
// where im2col takes 9. The host (wasm/winogradWasm.ts) runs the 36 products on the GEMM kernel; these are the
// transforms around them, over layouts the kernel reads through its tables:
//   U (ξ, o, c) at (c·36 + ξ)·Co4 + o  (Co4: Cout rounded up to 4)
//   V (ξ, c, t) at (c·36 + ξ)·T + t  (t = (b·tilesH + ty)·tilesW + tx, the tiles of a block of images)
//   M (ξ, o, t) at (t·36 + ξ)·Co4 + o
// each written close together (a channel's 36 planes of tiles, a tile's 36 rows of kernels) and read so.
// with ξ = 6·ξy + ξx. The points are 0, ±1, ±2 (the matrices below); the sums round differently from im2col's,
// within about 1e-6 relative of them on typical data (checked against direct loops in the tests).

// ---- Bᵀ: the input's transform, six values to six ----

@inline function bt0(d0: v128, d2: v128, d4: v128): v128 {
  return f32x4.add(f32x4.sub(f32x4.mul(d0, f32x4.splat(4)), f32x4.mul(d2, f32x4.splat(5))), d4);
}
@inline function bt1(d1: v128, d2: v128, d3: v128, d4: v128): v128 {
  return f32x4.sub(f32x4.add(d3, d4), f32x4.mul(f32x4.add(d1, d2), f32x4.splat(4)));
}
@inline function bt2(d1: v128, d2: v128, d3: v128, d4: v128): v128 {
  return f32x4.add(f32x4.sub(d4, d3), f32x4.mul(f32x4.sub(d1, d2), f32x4.splat(4)));
}
@inline function bt3(d1: v128, d2: v128, d3: v128, d4: v128): v128 {
  return f32x4.add(f32x4.sub(d4, d2), f32x4.mul(f32x4.sub(d3, d1), f32x4.splat(2)));
}
@inline function bt4(d1: v128, d2: v128, d3: v128, d4: v128): v128 {
  return f32x4.sub(f32x4.sub(d4, d2), f32x4.mul(f32x4.sub(d3, d1), f32x4.splat(2)));
}
@inline function bt5(d1: v128, d3: v128, d5: v128): v128 {
  return f32x4.add(f32x4.sub(f32x4.mul(d1, f32x4.splat(4)), f32x4.mul(d3, f32x4.splat(5))), d5);
}

/**
 * V = Bᵀ d B for every tile and channel of `images` images of C padded planes (Hq × Wq, at least 4·tiles + 2 each
 * way, zeros past the input) at x: first down the six rows under each row of tiles, four columns at a time (into
 * `tmp`: 6 rows of the tiles' width rounded up to 4), then across each tile's six columns. Reads up to 3 values past
 * the last plane. Channels c0 … c1 − 1 only: threads take ranges of them, each with a `tmp` of its own.
 */
export function winogradInput32(x: usize, v: usize, images: i32, C: i32, Hq: i32, Wq: i32, tilesH: i32, tilesW: i32, tmp: usize, c0: i32, c1: i32): void {
  const T = images * tilesH * tilesW;
  const rowBytes = <usize>Wq << 2;
  const width = tilesW * 4 + 2;
  const tmpRow = <usize>((width + 3) & ~3) << 2;
  const xi = <usize>T << 2; // bytes between the planes of ξ and ξ + 1
  for (let b = 0; b < images; b++) {
    for (let c = c0; c < c1; c++) {
      const plane = x + ((<usize>b * C + c) * Hq * Wq << 2);
      for (let ty = 0; ty < tilesH; ty++) {
        const r = plane + <usize>ty * 4 * rowBytes;
        for (let j = 0; j < width; j += 4) {
          const o = <usize>j << 2;
          const d0 = v128.load(r + o), d1 = v128.load(r + rowBytes + o), d2 = v128.load(r + 2 * rowBytes + o);
          const d3 = v128.load(r + 3 * rowBytes + o), d4 = v128.load(r + 4 * rowBytes + o), d5 = v128.load(r + 5 * rowBytes + o);
          v128.store(tmp + o, bt0(d0, d2, d4));
          v128.store(tmp + tmpRow + o, bt1(d1, d2, d3, d4));
          v128.store(tmp + 2 * tmpRow + o, bt2(d1, d2, d3, d4));
          v128.store(tmp + 3 * tmpRow + o, bt3(d1, d2, d3, d4));
          v128.store(tmp + 4 * tmpRow + o, bt4(d1, d2, d3, d4));
          v128.store(tmp + 5 * tmpRow + o, bt5(d1, d3, d5));
        }
        const t0 = (b * tilesH + ty) * tilesW;
        for (let i = 0; i < 6; i++) {
          // Row ξy = i of every tile: V's planes 6i .. 6i + 5 at channel c, tiles t0 ...
          let out = v + ((<usize>c * 36 + 6 * i) * T + t0 << 2);
          let s = tmp + <usize>i * tmpRow;
          for (let tx = 0; tx < tilesW; tx++, out += 4, s += 16) {
            const s0 = load<f32>(s), s1 = load<f32>(s, 4), s2 = load<f32>(s, 8), s3 = load<f32>(s, 12), s4 = load<f32>(s, 16), s5 = load<f32>(s, 20);
            store<f32>(out, 4 * s0 - 5 * s2 + s4);
            store<f32>(out + xi, s3 + s4 - 4 * (s1 + s2));
            store<f32>(out + 2 * xi, s4 - s3 + 4 * (s1 - s2));
            store<f32>(out + 3 * xi, s4 - s2 + 2 * (s3 - s1));
            store<f32>(out + 4 * xi, s4 - s2 - 2 * (s3 - s1));
            store<f32>(out + 5 * xi, 4 * s1 - 5 * s3 + s5);
          }
        }
      }
    }
  }
}

// ---- G: the kernels' transform, three values to six ----

/** G·(a, b, c) stored at dst + k·stride, k = 0..5 (bytes). */
@inline function gApply(a: v128, b: v128, c: v128, dst: usize, stride: usize): void {
  const ac = f32x4.add(a, c);
  const a24c6 = f32x4.add(f32x4.mul(a, f32x4.splat(<f32>1 / 24)), f32x4.mul(c, f32x4.splat(<f32>1 / 6)));
  const b12 = f32x4.mul(b, f32x4.splat(<f32>1 / 12));
  v128.store(dst, f32x4.mul(a, f32x4.splat(0.25)));
  v128.store(dst + stride, f32x4.mul(f32x4.add(ac, b), f32x4.splat(<f32>-1 / 6)));
  v128.store(dst + 2 * stride, f32x4.mul(f32x4.sub(ac, b), f32x4.splat(<f32>-1 / 6)));
  v128.store(dst + 3 * stride, f32x4.add(a24c6, b12));
  v128.store(dst + 4 * stride, f32x4.sub(a24c6, b12));
  v128.store(dst + 5 * stride, c);
}

/** Tap k of kernels o .. o + 3 at channel c, from w (Cout × Cin × 9); a lane past the last kernel repeats it. */
@inline function taps(w: usize, o: i32, last: i32, Cin: i32, c: i32, k: i32): v128 {
  const row = <usize>Cin * 36; // bytes from kernel o's tap to kernel o + 1's
  const at = w + ((<usize>o * Cin + c) * 9 + k << 2);
  let v = f32x4.splat(load<f32>(at));
  v = f32x4.replace_lane(v, 1, load<f32>(at + <usize>(min(o + 1, last) - o) * row));
  v = f32x4.replace_lane(v, 2, load<f32>(at + <usize>(min(o + 2, last) - o) * row));
  return f32x4.replace_lane(v, 3, load<f32>(at + <usize>(min(o + 3, last) - o) * row));
}

/**
 * U = G g Gᵀ for the 3 × 3 kernel g of every pair (o, c) of w (Cout × Cin × 9), four kernels o at a time: U (ξ, o, c)
 * at (c·36 + ξ)·Co4 + o, Co4 = Cout rounded up to 4 (each channel's 36 planes of kernels side by side, in the order
 * they are written). `tmp`: 18 vectors of scratch (G g).
 */
export function winogradWeights32(w: usize, u: usize, Cout: i32, Cin: i32, tmp: usize): void {
  const Co4 = (Cout + 3) & ~3;
  const plane = <usize>Co4 << 2;
  for (let c = 0; c < Cin; c++) {
    for (let o = 0; o < Cout; o += 4) {
      // G g, column by column: row r of it at tmp + 48r.
      for (let kj = 0; kj < 3; kj++) gApply(taps(w, o, Cout - 1, Cin, c, kj), taps(w, o, Cout - 1, Cin, c, 3 + kj), taps(w, o, Cout - 1, Cin, c, 6 + kj), tmp + 16 * kj, 48);
      // (G g) Gᵀ, row by row: U[6r + s] = G[s]·(row r of G g).
      const at = u + (<usize>c * 36 * plane) + (<usize>o << 2);
      for (let r = 0; r < 6; r++) {
        const h = tmp + 48 * r;
        gApply(v128.load(h), v128.load(h, 16), v128.load(h, 32), at + 6 * r * plane, plane);
      }
    }
  }
}

// ---- Aᵀ: the output's transform, six values to four ----

@inline function at0(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128): v128 {
  return f32x4.add(f32x4.add(f32x4.add(m0, m1), f32x4.add(m2, m3)), m4);
}
@inline function at1(m1: v128, m2: v128, m3: v128, m4: v128): v128 {
  return f32x4.add(f32x4.sub(m1, m2), f32x4.mul(f32x4.sub(m3, m4), f32x4.splat(2)));
}
@inline function at2(m1: v128, m2: v128, m3: v128, m4: v128): v128 {
  return f32x4.add(f32x4.add(m1, m2), f32x4.mul(f32x4.add(m3, m4), f32x4.splat(4)));
}
@inline function at3(m1: v128, m2: v128, m3: v128, m4: v128, m5: v128): v128 {
  return f32x4.add(f32x4.add(f32x4.sub(m1, m2), f32x4.mul(f32x4.sub(m3, m4), f32x4.splat(8))), m5);
}

/**
 * Y = Aᵀ M A (+ bias) for every tile, four kernels o at a time, into z (images × zChannels × Ho × Wo: M's Cout
 * kernels are a slice of z's channels, z pointing at the first one's plane) at the tiles' places, cut at the output's
 * edges. `tmp`: 40 vectors of scratch. Tiles t0 … t1 − 1 only (of images × tilesH × tilesW): threads take ranges.
 */
export function winogradOutput32(m: usize, z: usize, bias: usize, hasBias: i32, images: i32, Cout: i32, zChannels: i32, tilesH: i32, tilesW: i32, Ho: i32, Wo: i32, tmp: usize, t0: i32, t1: i32): void {
  const perImage = tilesH * tilesW;
  const T = images * perImage;
  const Co4 = (Cout + 3) & ~3;
  const xi = <usize>Co4 << 2; // bytes between the rows of ξ and ξ + 1
  const plane = <usize>Ho * Wo << 2;
  const rows = tmp; // Aᵀ M: 4 rows ηy × 6 columns ξx
  const out = tmp + 24 * 16; // Aᵀ M A: 4 × 4
  for (let t = t0; t < t1; t++) {
    const b = t / perImage, rest = t - b * perImage;
    const ty = rest / tilesW, tx = rest - ty * tilesW;
    const y0 = ty * 4, x0 = tx * 4;
    const hi = min(4, Ho - y0), wi = min(4, Wo - x0);
    const corner = z + ((<usize>b * zChannels * Ho + y0) * Wo + x0 << 2);
    for (let o = 0; o < Cout; o += 4) {
      const p = m + ((<usize>t * 36 * Co4 + o) << 2);
      for (let j = 0; j < 6; j++) {
        // Column ξx = j: rows j, 6 + j, ..., 30 + j.
        const q = p + <usize>j * xi;
        const m0 = v128.load(q), m1 = v128.load(q + 6 * xi), m2 = v128.load(q + 12 * xi);
        const m3 = v128.load(q + 18 * xi), m4 = v128.load(q + 24 * xi), m5 = v128.load(q + 30 * xi);
        v128.store(rows + 16 * j, at0(m0, m1, m2, m3, m4));
        v128.store(rows + 16 * (6 + j), at1(m1, m2, m3, m4));
        v128.store(rows + 16 * (12 + j), at2(m1, m2, m3, m4));
        v128.store(rows + 16 * (18 + j), at3(m1, m2, m3, m4, m5));
      }
      const bv = hasBias ? v128.load(bias + (<usize>o << 2)) : f32x4.splat(0);
      for (let i = 0; i < 4; i++) {
        const r = rows + 96 * i;
        const m0 = v128.load(r), m1 = v128.load(r, 16), m2 = v128.load(r, 32), m3 = v128.load(r, 48), m4 = v128.load(r, 64), m5 = v128.load(r, 80);
        v128.store(out + 64 * i, f32x4.add(at0(m0, m1, m2, m3, m4), bv));
        v128.store(out + 64 * i + 16, f32x4.add(at1(m1, m2, m3, m4), bv));
        v128.store(out + 64 * i + 32, f32x4.add(at2(m1, m2, m3, m4), bv));
        v128.store(out + 64 * i + 48, f32x4.add(at3(m1, m2, m3, m4, m5), bv));
      }
      // Kernel o + l's tile to its plane: value (i, j) of lane l at out + 64i + 16j + 4l.
      const lanes = min(4, Cout - o);
      for (let l = 0; l < lanes; l++) {
        const dst = corner + <usize>(o + l) * plane;
        for (let i = 0; i < hi; i++) {
          for (let jj = 0; jj < wi; jj++) store<f32>(dst + ((<usize>i * Wo + jj) << 2), load<f32>(out + 64 * i + 16 * jj + 4 * l));
        }
      }
    }
  }
}

/**
 * dst (cols × rows kernels of 3 × 3) from src (rows × cols of them): each kernel turned 180° and the two channel axes
 * swapped, the kernels of ∂C/∂input as a convolution of δ (δ's channels, a layer's outputs, become its inputs).
 */
export function winogradFlip32(src: usize, dst: usize, rows: i32, cols: i32): void {
  for (let o = 0; o < rows; o++) {
    for (let c = 0; c < cols; c++) {
      const s = src + <usize>(o * cols + c) * 36;
      const d = dst + <usize>(c * rows + o) * 36;
      for (let t = 0; t < 9; t++) store<f32>(d + <usize>(8 - t) * 4, load<f32>(s + <usize>t * 4));
    }
  }
}

// ---- ∂C/∂w: dW = Gᵀ [ Σ_tiles (A δ Aᵀ) ⊙ (Bᵀ d B) ] G ----
// Σ_i δ_i y_i = Σ_ξ (A δ)_ξ (G g)_ξ (Bᵀ d)_ξ for a tile, so ∂/∂g = Gᵀ [(A δ) ⊙ (Bᵀ d)]: the same points, the 4 × 4 tile
// of δ where z's was and the input's 6 × 6 patch under it (V, as the forward's). Summed over the tiles first (the
// transforms are linear): 36 products of (Cout × tiles) by (tiles × Cin), then one Gᵀ · G per kernel.

/** A·(d0, d1, d2, d3): four values of δ to six. */
@inline function aApply(d0: v128, d1: v128, d2: v128, d3: v128, dst: usize, stride: usize): void {
  const e = f32x4.add(d0, d2), f = f32x4.add(d1, d3);
  const g = f32x4.add(d0, f32x4.mul(d2, f32x4.splat(4)));
  const h = f32x4.add(f32x4.mul(d1, f32x4.splat(2)), f32x4.mul(d3, f32x4.splat(8)));
  v128.store(dst, d0);
  v128.store(dst + stride, f32x4.add(e, f));
  v128.store(dst + 2 * stride, f32x4.sub(e, f));
  v128.store(dst + 3 * stride, f32x4.add(g, h));
  v128.store(dst + 4 * stride, f32x4.sub(g, h));
  v128.store(dst + 5 * stride, d3);
}

/**
 * D = A δ Aᵀ for every 4 × 4 tile of δ and channel of `images` images of C planes (4·tilesH × 4·tilesW each, zeros
 * past δ) at d: D (ξ, c, t) at (c·36 + ξ)·T + t, as V. Down the four rows of each row of tiles, four columns at a
 * time (into `tmp`: 6 rows of 4·tilesW), then across each tile's four columns. Channels c0 … c1 − 1 only, as V's.
 */
export function winogradDelta32(d: usize, D: usize, images: i32, C: i32, tilesH: i32, tilesW: i32, tmp: usize, c0: i32, c1: i32): void {
  const T = images * tilesH * tilesW;
  const width = tilesW * 4;
  const rowBytes = <usize>width << 2;
  const xi = <usize>T << 2;
  for (let b = 0; b < images; b++) {
    for (let c = c0; c < c1; c++) {
      const plane = d + ((<usize>b * C + c) * tilesH * 4 * width << 2);
      for (let ty = 0; ty < tilesH; ty++) {
        const r = plane + <usize>ty * 4 * rowBytes;
        for (let j = 0; j < width; j += 4) {
          const o = <usize>j << 2;
          aApply(v128.load(r + o), v128.load(r + rowBytes + o), v128.load(r + 2 * rowBytes + o), v128.load(r + 3 * rowBytes + o), tmp + o, rowBytes);
        }
        const t0 = (b * tilesH + ty) * tilesW;
        for (let i = 0; i < 6; i++) {
          let out = D + ((<usize>c * 36 + 6 * i) * T + t0 << 2);
          let s = tmp + <usize>i * rowBytes;
          for (let tx = 0; tx < tilesW; tx++, out += 4, s += 16) {
            const s0 = load<f32>(s), s1 = load<f32>(s, 4), s2 = load<f32>(s, 8), s3 = load<f32>(s, 12);
            const e = s0 + s2, f = s1 + s3, g = s0 + 4 * s2, h = s1 * 2 + s3 * 8;
            store<f32>(out, s0);
            store<f32>(out + xi, e + f);
            store<f32>(out + 2 * xi, e - f);
            store<f32>(out + 3 * xi, g + h);
            store<f32>(out + 4 * xi, g - h);
            store<f32>(out + 5 * xi, s3);
          }
        }
      }
    }
  }
}

/** Gᵀ·(m0 … m5): six values to the three of a kernel's row or column, into out, out + 16, out + 32. */
@inline function gtApply(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, out: usize): void {
  const p12 = f32x4.add(m1, m2), p34 = f32x4.add(m3, m4);
  const sixth = f32x4.splat(<f32>1 / 6);
  v128.store(out, f32x4.add(f32x4.sub(f32x4.mul(m0, f32x4.splat(0.25)), f32x4.mul(p12, sixth)), f32x4.mul(p34, f32x4.splat(<f32>1 / 24))));
  v128.store(out + 16, f32x4.add(f32x4.mul(f32x4.sub(m2, m1), sixth), f32x4.mul(f32x4.sub(m3, m4), f32x4.splat(<f32>1 / 12))));
  v128.store(out + 32, f32x4.add(f32x4.mul(f32x4.sub(p34, p12), sixth), m5));
}

/**
 * dW = Gᵀ M G for kernels o0 … o0 + n − 1 (all Cin channels), M (ξ, o, c) at (ξ·n + o)·Cin + c (o within the slice),
 * four channels c at a time (reads up to 3 values past M's last row), into dw (Cout × Cin × 9). `tmp`: 27 vectors.
 */
export function winogradWeightGrad32(m: usize, dw: usize, o0: i32, n: i32, Cin: i32, tmp: usize): void {
  const xi = <usize>n * Cin << 2; // bytes between the planes of ξ and ξ + 1
  const cols = tmp; // M G: 6 rows ξy × 3 columns
  const out = tmp + 18 * 16; // Gᵀ M G: 3 × 3
  for (let o = 0; o < n; o++) {
    for (let c = 0; c < Cin; c += 4) {
      const p = m + ((<usize>o * Cin + c) << 2);
      for (let r = 0; r < 6; r++) {
        const q = p + <usize>6 * r * xi;
        gtApply(v128.load(q), v128.load(q + xi), v128.load(q + 2 * xi), v128.load(q + 3 * xi), v128.load(q + 4 * xi), v128.load(q + 5 * xi), cols + 48 * r);
      }
      for (let k = 0; k < 3; k++) {
        const q = cols + 16 * k;
        gtApply(v128.load(q), v128.load(q, 48), v128.load(q, 96), v128.load(q, 144), v128.load(q, 192), v128.load(q, 240), out + 48 * k);
      }
      // Tap (a, b) of channel c + l at out + 48b + 16a + 4l (the second pass ran down column b).
      const lanes = min(4, Cin - c);
      for (let l = 0; l < lanes; l++) {
        const dst = dw + ((<usize>(o0 + o) * Cin + c + l) * 9 << 2);
        for (let a = 0; a < 3; a++) {
          for (let bb = 0; bb < 3; bb++) store<f32>(dst + <usize>(3 * a + bb) * 4, load<f32>(out + 48 * bb + 16 * a + 4 * l));
        }
      }
    }
  }
}
