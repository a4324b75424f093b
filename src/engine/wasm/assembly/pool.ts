// Max pooling forward with its argmax (the tap of each window that won: the first maximum, a NaN over any number),
// as layers.ts's poolOutput computes it, so the same values: per plane and output row, the windows inside the input
// a SIMD vector of output columns at a time (4 float32 or 2 float64; taps in the window's order, each lane keeping
// its best value and tap), the windows over the padding one by one with the padding as −Infinity. Windows whose
// taps all miss the input never reach here (the layer refuses them).

// The input values of V output columns `step` bytes apart from p: one load where they are adjacent, two and a
// shuffle for stride 2, else lane by lane. Stride 2 reads one value past the last column it uses.
@inline function loadColumns<T>(p: usize, step: usize): v128 {
  if (sizeof<T>() == 4) {
    if (step == 4) return v128.load(p);
    if (step == 8) return v128.shuffle<i32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
    let v = f32x4.splat(load<f32>(p));
    v = f32x4.replace_lane(v, 1, load<f32>(p + step));
    v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * step));
    return f32x4.replace_lane(v, 3, load<f32>(p + 3 * step));
  }
  if (step == 8) return v128.load(p);
  if (step == 16) return v128.shuffle<i64>(v128.load(p), v128.load(p, 16), 0, 2);
  return f64x2.replace_lane(f64x2.splat(load<f64>(p)), 1, load<f64>(p + step));
}

// The lanes where v replaces best: v > best, or v is NaN and best is not.
@inline function wins<T>(v: v128, best: v128): v128 {
  return sizeof<T>() == 4
    ? v128.or(f32x4.gt(v, best), v128.and(f32x4.ne(v, v), f32x4.eq(best, best)))
    : v128.or(f64x2.gt(v, best), v128.and(f64x2.ne(v, v), f64x2.eq(best, best)));
}

function maxPool<T>(x: usize, z: usize, arg: usize, planes: i32, H: i32, W: i32, Ho: i32, Wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, ph: i32, pw: i32): void {
  const E = <usize>sizeof<T>();
  const V = 16 / <i32>E;
  // Output columns whose windows lie inside the input's width: [jLo, jHi].
  const jLo = (pw + sw - 1) / sw;
  const right = W - 1 - (kw - 1) * dw + pw;
  const jHi = right < 0 ? -1 : min(right / sw, Wo - 1);
  const step = <usize>sw * E;
  for (let p = 0; p < planes; p++) {
    const plane = x + <usize>p * H * W * E;
    for (let i = 0; i < Ho; i++) {
      const y0 = i * sh - ph;
      const out = <usize>(p * Ho + i) * Wo;
      const rowInside = y0 >= 0 && y0 + (kh - 1) * dh < H;
      let j = 0;
      if (rowInside && jLo <= jHi) {
        for (; j < jLo; j++) windowAt<T>(plane, z, arg, out + j, H, W, y0, j * sw - pw, kh, kw, dh, dw);
        for (; j + V - 1 <= jHi; j += V) {
          let best = sizeof<T>() == 4 ? f32x4.splat(-Infinity) : f64x2.splat(-Infinity);
          let bestK = sizeof<T>() == 4 ? f32x4.splat(0) : f64x2.splat(0);
          const first = plane + (<usize>y0 * W + (j * sw - pw)) * E;
          let k = 0;
          for (let ki = 0; ki < kh; ki++) {
            const row = first + <usize>(ki * dh * W) * E;
            for (let kj = 0; kj < kw; kj++) {
              const v = loadColumns<T>(row + <usize>(kj * dw) * E, step);
              const m = wins<T>(v, best);
              best = v128.bitselect(v, best, m);
              bestK = v128.bitselect(sizeof<T>() == 4 ? f32x4.splat(<f32>k) : f64x2.splat(<f64>k), bestK, m);
              k++;
            }
          }
          v128.store(z + (out + j) * E, best);
          v128.store(arg + (out + j) * E, bestK);
        }
      }
      for (; j < Wo; j++) windowAt<T>(plane, z, arg, out + j, H, W, y0, j * sw - pw, kh, kw, dh, dw);
    }
  }
}

// One window, its taps checked against the input's edges (the padding reads as −Infinity).
@inline function windowAt<T>(plane: usize, z: usize, arg: usize, at: usize, H: i32, W: i32, y0: i32, x0: i32, kh: i32, kw: i32, dh: i32, dw: i32): void {
  const E = <usize>sizeof<T>();
  let best = <T>-Infinity;
  let bestK = 0;
  for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) {
    const y = y0 + ki * dh, xx = x0 + kj * dw;
    const v = y >= 0 && y < H && xx >= 0 && xx < W ? load<T>(plane + (<usize>y * W + xx) * E) : <T>-Infinity;
    if (v > best || (v != v && best == best)) { best = v; bestK = ki * kw + kj; }
  }
  store<T>(z + at * E, best);
  store<T>(arg + at * E, <T>bestK);
}

/**
 * Max pooling of `planes` (H × W) float32 planes at x into z (Ho × Wo each) and each output's argmax (the tap
 * ki·kw + kj, as a float) at arg. Reads one value past the last plane.
 */
export function maxPool32(x: usize, z: usize, arg: usize, planes: i32, H: i32, W: i32, Ho: i32, Wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, ph: i32, pw: i32): void {
  maxPool<f32>(x, z, arg, planes, H, W, Ho, Wo, kh, kw, sh, sw, dh, dw, ph, pw);
}

export function maxPool64(x: usize, z: usize, arg: usize, planes: i32, H: i32, W: i32, Ho: i32, Wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, ph: i32, pw: i32): void {
  maxPool<f64>(x, z, arg, planes, H, W, Ho, Wo, kh, kw, sh, sw, dh, dw, ph, pw);
}

// Max pooling's ∂C/∂input from δ and the argmax: each output's δ added into its window's winning tap of a padded
// plane in float64, in output order, then the input's part of the plane written out in the input's type: what
// layers.ts's poolInputGrad does, so the same bits.
function maxPoolBackward<T>(d: usize, arg: usize, dx: usize, tmp: usize, planes: i32, H: i32, W: i32, Ho: i32, Wo: i32,
  kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, ph: i32, pw: i32, Hp: i32, Wp: i32): void {
  const E = <usize>sizeof<T>();
  for (let p = 0; p < planes; p++) {
    memory.fill(tmp, 0, <usize>Hp * Wp * 8);
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        const r = <usize>(p * Ho + i) * Wo + j;
        const k = <i32>load<T>(arg + r * E);
        const ki = k / kw;
        const at = tmp + <usize>(i * sh * Wp + j * sw + ki * dh * Wp + (k - ki * kw) * dw) * 8;
        store<f64>(at, load<f64>(at) + <f64>load<T>(d + r * E));
      }
    }
    for (let y = 0; y < H; y++) {
      const src = tmp + <usize>((y + ph) * Wp + pw) * 8;
      const dst = dx + <usize>(p * H + y) * W * E;
      for (let x = 0; x < W; x++) store<T>(dst + <usize>x * E, <T>load<f64>(src + <usize>x * 8));
    }
  }
}

/**
 * ∂C/∂input of max pooling for `planes` planes: δ (Ho × Wo each) at d, the argmax at arg, into dx (H × W each);
 * tmp holds one padded plane (Hp × Wp) of float64.
 */
export function maxPoolBackward32(d: usize, arg: usize, dx: usize, tmp: usize, planes: i32, H: i32, W: i32, Ho: i32, Wo: i32,
  kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, ph: i32, pw: i32, Hp: i32, Wp: i32): void {
  maxPoolBackward<f32>(d, arg, dx, tmp, planes, H, W, Ho, Wo, kw, sh, sw, dh, dw, ph, pw, Hp, Wp);
}

export function maxPoolBackward64(d: usize, arg: usize, dx: usize, tmp: usize, planes: i32, H: i32, W: i32, Ho: i32, Wo: i32,
  kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, ph: i32, pw: i32, Hp: i32, Wp: i32): void {
  maxPoolBackward<f64>(d, arg, dx, tmp, planes, H, W, Ho, Wo, kw, sh, sw, dh, dw, ph, pw, Hp, Wp);
}
