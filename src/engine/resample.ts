// Resampling a (B, C, H, W) tensor one axis at a time: upsampling (nearest, bilinear)
// and padding (constant, reflect, replicate; a negative pad crops) both read each
// output row from at most two input rows and each column from at most two columns,
// with weights. An axis's taps say which and how much; a 2-D output cell is the
// weighted sum over its row taps × column taps, and the backward pass scatters δ
// back along the same taps (the adjoint). The views read the same taps, so the
// links and the sums a face shows are the arithmetic's own.

import { type Tensor, zeros } from './tensor';

/**
 * For each output position along an axis: the input positions `lo` and `hi` it reads, with weights 1 − `w` and
 * `w`; `lo` = −1 where it reads nothing (a constant pad's fill value).
 */
export interface AxisTaps {
  lo: Int32Array;
  hi: Int32Array;
  w: Float64Array;
}

function axis(length: number, at: (o: number) => [number, number, number]): AxisTaps {
  const t: AxisTaps = { lo: new Int32Array(length), hi: new Int32Array(length), w: new Float64Array(length) };
  for (let o = 0; o < length; o++) [t.lo[o], t.hi[o], t.w[o]] = at(o);
  return t;
}

/** Each of `n` positions read as it is. */
export const copyAxis = (n: number): AxisTaps => axis(n, o => [o, o, 0]);

export type UpsampleMode = 'nearest' | 'bilinear';

/** ONNX Resize's coordinate_transformation_mode values nearest reads: where output cell o's source is. */
export const NEAREST_TRANSFORMS = ['asymmetric', 'half_pixel', 'pytorch_half_pixel', 'align_corners', 'tf_half_pixel_for_nn'] as const;
/** Those linear reads (tf_half_pixel_for_nn is nearest's alone; tf_crop_and_resize is read by neither). */
export const LINEAR_TRANSFORMS = ['asymmetric', 'half_pixel', 'pytorch_half_pixel', 'align_corners'] as const;
/** ONNX Resize's nearest_mode values: how the source is rounded to a cell. */
export const NEAREST_ROUNDINGS = ['floor', 'ceil', 'round_prefer_floor', 'round_prefer_ceil'] as const;
export type Transform = typeof NEAREST_TRANSFORMS[number];
/**
 * A mode as ONNX's Resize reads it: where an output cell's source is (the transform) and, for nearest, how it is
 * rounded to a cell; without one, as torch's interpolate.
 */
export interface OnnxRule { transform: Transform; rounding: typeof NEAREST_ROUNDINGS[number] }

/**
 * Upsampling's taps from `n` input positions to `m`, `scale` the ratio the coordinates use (PyTorch's scale_factor,
 * or m / n for an explicit size, `sized`). Nearest, as torch's interpolate: floor(o · s) in float32 with
 * s = float32(n / m) for a size, float32(1 / scale) for a factor (its kernel for several planes; the one for a single
 * plane also copies at m = n and halves at m = 2n, which this does not follow). Bilinear's source is
 * (o + ½) / scale − ½ clamped at 0 (half_pixel; for a size (n / m) · (o + ½) − ½, as resizeAxis), or
 * o · (n − 1) / (m − 1) with align_corners. With an ONNX `rule`, onnxruntime's: the source by its transform, rounded
 * by its rounding (nearest) or clamped to the axis (linear).
 */
export function upsampleAxis(n: number, m: number, scale: number, mode: UpsampleMode, alignCorners: boolean, sized = false, rule?: OnnxRule): AxisTaps {
  if (rule) {
    const at = onnxSource(n, m, scale, rule.transform, sized, sized && mode === 'bilinear');
    if (mode === 'bilinear') return axis(m, o => bilinearTap(n, Math.min(Math.max(at(o), 0), n - 1)));
    const round = ROUNDINGS[rule.rounding];
    return axis(m, o => { const i = Math.min(Math.max(round(at(o)), 0), n - 1); return [i, i, 0]; });
  }
  if (mode === 'nearest') {
    const inverse = sized ? Math.fround(n / m) : Math.fround(1 / scale);
    return axis(m, o => { const i = Math.min(Math.floor(Math.fround(o * inverse)), n - 1); return [i, i, 0]; });
  }
  if (sized && !alignCorners) return resizeAxis(n, m);
  return axis(m, o => bilinearTap(n, alignCorners ? (m > 1 ? (o * (n - 1)) / (m - 1) : 0) : Math.max(0, (o + 0.5) / scale - 0.5)));
}

/**
 * onnxruntime's source of output cell o, unrounded and unclamped, in float32 as onnxruntime-node computes it
 * (upsamplebase.h's GetOriginalCoordinateFromResizedCoordinate, every step a float): x / scale, for a size the scale
 * float32(out / in) (ParseScalesDataAndAdjustOutputSize). 11.5 / 2.3 − ½ is the tie 4.5 in float32; 19.5 / 2.6 − ½
 * is just past 7, where 19.5 · float32(1 / 2.6) − ½ is 7 and ceil reads a cell short; half_pixel 7 → 1 is 2.9999998,
 * floor's cell 2 (exactly 3). `exact`: x · in / out unrounded, as the bilinear layer reads a size (its weights
 * within a float32 step of onnxruntime's).
 */
function onnxSource(n: number, m: number, scale: number, transform: Transform, sized: boolean, exact = false): (o: number) => number {
  // An axis of scale 1 is copied whatever the transform (tf_half_pixel_for_nn's o + ½ would round a cell on).
  if (sized ? m === n : Math.fround(scale) === 1) return o => o;
  const f = exact ? (v: number) => v : Math.fround;
  const over = exact ? (x: number) => (x * n) / m : (x: number) => f(x / f(sized ? m / n : scale));
  const source: Record<Transform, (o: number) => number> = {
    asymmetric: o => over(o),
    half_pixel: o => f(over(o + 0.5) - 0.5),
    pytorch_half_pixel: o => (m > 1 ? f(over(o + 0.5) - 0.5) : 0),
    align_corners: o => (m > 1 ? f(f(o * (n - 1)) / (m - 1)) : 0),
    tf_half_pixel_for_nn: o => over(o + 0.5),
  };
  return source[transform];
}

/**
 * Whether float32 `x` is a tie as onnxruntime-node 1.30 rounds it: its round_prefer_floor and round_prefer_ceil
 * (GetNearestPixelFromOriginal as its libonnxruntime's machine code reads; older sources compared exactly) take
 * |x − ⌊x⌋ − ½| ≤ float32(1e-6), in float32, for one: a source a float32 step off a tie is the tie (asymmetric 7 → 2:
 * 1 / float32(2 / 7) is 3.4999998, read as 3.5). floor and ceil have no such margin (2.9999998 is floor's 2).
 */
function onTie(x: number): boolean {
  return Math.abs(Math.fround(Math.fround(x - Math.floor(x)) - 0.5)) <= TIE;
}
const TIE = Math.fround(1e-6);

const ROUNDINGS: Record<OnnxRule['rounding'], (x: number) => number> = {
  floor: Math.floor,
  ceil: Math.ceil,
  // A tie goes down (up), else to the nearest (a tie never reaches Math.round, which would take −2.5 up).
  round_prefer_floor: x => (onTie(x) ? Math.floor(x) : Math.round(x)),
  round_prefer_ceil: x => (onTie(x) ? Math.ceil(x) : Math.round(x)),
};

/** The two cells around `source` (the last one twice past the end) and the weight of the second. */
function bilinearTap(n: number, source: number): [number, number, number] {
  const lo = Math.min(Math.floor(source), n - 1);
  // A source on a cell reads that cell alone (0 · a NaN neighbour would still be NaN).
  return source === lo ? [lo, lo, 0] : [lo, Math.min(lo + 1, n - 1), source - lo];
}

/**
 * Bilinear taps from `n` positions to an explicit size `m`, as torch's interpolate(size=m, align_corners=False)
 * computes them: the scale is n / m, the source (o + ½) · scale − ½ clamped at 0.
 */
export function resizeAxis(n: number, m: number): AxisTaps {
  const scale = n / m;
  return axis(m, o => bilinearTap(n, Math.max(0, scale * (o + 0.5) - 0.5)));
}

/**
 * Bilinear resize of `channels` row-major `height × width` maps to `outHeight × outWidth`, as
 * F.interpolate(mode='bilinear', align_corners=False) with an output size, no antialiasing: an image's
 * preprocessing and Grad-CAM's upsampling.
 */
export function resizeBilinear(planes: Float64Array, channels: number, height: number, width: number, outHeight: number, outWidth: number): Float64Array {
  if (planes.length !== channels * height * width) throw new RangeError(`resizeBilinear: ${planes.length} values for a ${height}×${width} map${channels === 1 ? '' : ` × ${channels} channels`}`);
  return gather2d({ shape: [1, channels, height, width], dtype: 'float64', data: planes }, resizeAxis(height, outHeight), resizeAxis(width, outWidth), 0).data as Float64Array;
}

export type PadMode = 'constant' | 'reflect' | 'replicate';

/** Padding's taps: `before` and `after` positions around `n` (negative: that many cropped), as F.pad's modes. */
export function padAxis(n: number, before: number, after: number, mode: PadMode): AxisTaps {
  return axis(n + before + after, o => {
    let i = o - before;
    if (i < 0 || i >= n) {
      if (mode === 'constant') return [-1, -1, 0];
      i = mode === 'replicate' ? Math.min(Math.max(i, 0), n - 1) : i < 0 ? -i : 2 * (n - 1) - i;
    }
    return [i, i, 0];
  });
}

/** The input positions output `o` reads, with their weights (a position read twice counted once; none: the fill). */
export function tapsAt(t: AxisTaps, o: number): [number, number][] {
  const lo = t.lo[o];
  if (lo < 0) return [];
  const w = t.w[o];
  if (t.hi[o] === lo || w === 0) return [[lo, 1]];
  return w === 1 ? [[t.hi[o], 1]] : [[lo, 1 - w], [t.hi[o], w]];
}

/** The output positions that read input `i`, with the weight each gives it. */
export function readersOf(t: AxisTaps, i: number): [number, number][] {
  const found: [number, number][] = [];
  for (let o = 0; o < t.lo.length; o++) for (const [at, w] of tapsAt(t, o)) if (at === i) found.push([o, w]);
  return found;
}

/** z[b, c, oy, ox] = Σ wy · wx · x[b, c, iy, ix] over the row and column taps; `fill` where an axis reads nothing. */
export function gather2d(x: Tensor, rows: AxisTaps, cols: AxisTaps, fill: number): Tensor {
  const [B, C, H, W] = x.shape;
  const [M, N] = [rows.lo.length, cols.lo.length];
  const z = zeros([B, C, M, N], x.dtype);
  const { data } = x;
  for (let p = 0; p < B * C; p++) {
    const from = p * H * W;
    let at = p * M * N;
    for (let oy = 0; oy < M; oy++) {
      const [ly, hy, wy] = [rows.lo[oy], rows.hi[oy], rows.w[oy]];
      for (let ox = 0; ox < N; ox++, at++) {
        const [lx, hx, wx] = [cols.lo[ox], cols.hi[ox], cols.w[ox]];
        if (ly < 0 || lx < 0) { z.data[at] = fill; continue; }
        const top = (1 - wx) * data[from + ly * W + lx] + wx * data[from + ly * W + hx];
        const bottom = (1 - wx) * data[from + hy * W + lx] + wx * data[from + hy * W + hx];
        z.data[at] = (1 - wy) * top + wy * bottom;
      }
    }
  }
  return z;
}

/** gather2d's adjoint: ∂C/∂x[b, c, iy, ix] = Σ over the outputs that read it of wy · wx · δ; the fill gets nothing. */
export function scatter2d(delta: Tensor, rows: AxisTaps, cols: AxisTaps, inShape: readonly number[]): Tensor {
  const [B, C, H, W] = inShape;
  const [M, N] = [rows.lo.length, cols.lo.length];
  const dA = zeros(inShape, delta.dtype);
  const d = dA.data;
  for (let p = 0; p < B * C; p++) {
    const to = p * H * W;
    let at = p * M * N;
    for (let oy = 0; oy < M; oy++) {
      const [ly, hy, wy] = [rows.lo[oy], rows.hi[oy], rows.w[oy]];
      for (let ox = 0; ox < N; ox++, at++) {
        const [lx, hx, wx] = [cols.lo[ox], cols.hi[ox], cols.w[ox]];
        if (ly < 0 || lx < 0) continue;
        const g = delta.data[at];
        d[to + ly * W + lx] += (1 - wy) * (1 - wx) * g;
        d[to + ly * W + hx] += (1 - wy) * wx * g;
        d[to + hy * W + lx] += wy * (1 - wx) * g;
        d[to + hy * W + hx] += wy * wx * g;
      }
    }
  }
  return dA;
}
