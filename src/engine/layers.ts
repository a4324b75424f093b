// The other layers of a small CNN, each forward and backward, written the way
// the conv is: activations (relu, leaky_relu, sigmoid, tanh, relu6, clip, hardswish, hardsigmoid), max/avg pooling the
// im2col way (windows unfolded like a_t, an argmax map for max), flatten, linear,
// and the losses that produce the first δ (mse, cross-entropy with softmax).

import { Pair } from './convInfo';
import { EngineError } from './errors';
import { gemmAccumulate, transposed, view } from './gemm';
import { DType, Tensor, copyOf, copyRun, sameValues, sizeOf, zeros } from './tensor';
import { reluBackwardWasm, reluWasm } from './wasm/elementwiseWasm';
import { maxPoolInputGradWasm, maxPoolWasm } from './wasm/poolWasm';

// ---- activations -------------------------------------------------------------

export const ACTIVATION_KINDS = ['relu', 'leaky_relu', 'sigmoid', 'tanh', 'relu6', 'clip', 'hardswish', 'hardsigmoid'] as const;
export type ActivationKind = (typeof ACTIVATION_KINDS)[number];

export interface Activation {
  kind: ActivationKind;
  /** leaky_relu's negative slope (PyTorch default 0.01). */
  slope?: number;
  /** clip's bounds. */
  min?: number;
  max?: number;
  /** hardsigmoid's slope and offset: min(max(alpha·z + beta, 0), 1). */
  alpha?: number;
  beta?: number;
}

/** min(max(z, lo), hi); its slope is 1 strictly inside (lo, hi) and 0 at the bounds, as nn.Hardtanh and F.relu6 (and 1 at NaN, as theirs). */
function clipFns(lo: number, hi: number, formula: string) {
  return { h: (z: number) => (z < lo ? lo : z > hi ? hi : z), dh: (z: number) => (z <= lo || z >= hi ? 0 : 1), formula };
}

function activationFns(a: Activation): { h: (z: number) => number; dh: (z: number, h: number) => number; formula: string } {
  switch (a.kind) {
    // As torch: relu(NaN) is NaN (z > 0 ? z : 0 made it 0, a wrong number where a NaN should show), and its slope
    // there 1 (threshold_backward lets δ through wherever h <= 0 is false).
    case 'relu': return { h: z => Math.max(z, 0), dh: z => (z <= 0 ? 0 : 1), formula: 'h = max(z, 0)' };
    case 'leaky_relu': {
      const s = a.slope ?? 0.01;
      return { h: z => (z > 0 ? z : s * z), dh: z => (z > 0 ? 1 : s), formula: `h = z where z > 0, else ${s}·z` };
    }
    case 'sigmoid': return { h: z => 1 / (1 + Math.exp(-z)), dh: (_z, h) => h * (1 - h), formula: 'h = 1 / (1 + e^(−z))' };
    case 'tanh': return { h: z => Math.tanh(z), dh: (_z, h) => 1 - h * h, formula: 'h = tanh(z)' };
    case 'relu6': return clipFns(0, 6, 'h = min(max(z, 0), 6)');
    case 'clip': return clipFns(a.min!, a.max!, `h = min(max(z, ${a.min}), ${a.max})`);
    // As PyTorch's kernels: z·min(max(z + 3, 0), 6)/6, and the slope z/3 + 1/2 on the closed [−3, 3].
    case 'hardswish': return {
      h: z => (z * Math.min(Math.max(z + 3, 0), 6)) / 6,
      dh: z => (z < -3 ? 0 : z <= 3 ? z / 3 + 0.5 : 1),
      formula: 'h = z·relu6(z + 3)/6',
    };
    // As nn.Hardsigmoid (alpha 1/6, beta 1/2) and ONNX's HardSigmoid: the slope alpha strictly inside (0, 1), 0 at the ends.
    case 'hardsigmoid': {
      const [alpha, beta] = [a.alpha!, a.beta!];
      return {
        h: z => Math.min(Math.max(alpha * z + beta, 0), 1),
        dh: z => (alpha * z + beta > 0 && alpha * z + beta < 1 ? alpha : 0),
        formula: `h = min(max(${Number(alpha.toPrecision(6))}·z + ${beta}, 0), 1)`,
      };
    }
  }
}

export function activationFormula(a: Activation): string {
  return activationFns(a).formula;
}

/** h = act(z), and h'(z) for the backward pass (ReLU at 0: derivative 0, as PyTorch). */
export function activationForward(z: Tensor, a: Activation): { h: Tensor; hPrime: Tensor } {
  const h = activationOutput(z, a);
  return { h, hPrime: activationSlope(z, h, a) };
}

/** h = act(z) alone (ReLU, the most common, without a call per value). */
export function activationOutput(z: Tensor, a: Activation): Tensor {
  const h = zeros(z.shape, z.dtype);
  const [zd, hd] = [z.data, h.data];
  if (a.kind === 'relu') {
    if (!reluWasm(zd, hd)) for (let i = 0; i < zd.length; i++) hd[i] = Math.max(zd[i], 0);
    return h;
  }
  const f = activationFns(a);
  for (let i = 0; i < zd.length; i++) hd[i] = f.h(zd[i]);
  return h;
}

/** h'(z), from z and h = act(z). */
export function activationSlope(z: Tensor, h: Tensor, a: Activation): Tensor {
  const hPrime = zeros(z.shape, z.dtype);
  const [zd, hd, out] = [z.data, h.data, hPrime.data];
  // relu's slope inline (its dh), as activationBackward has it: the call per value costs more than the test.
  if (a.kind === 'relu') {
    for (let i = 0; i < out.length; i++) out[i] = zd[i] <= 0 ? 0 : 1;
    return hPrime;
  }
  const f = activationFns(a);
  for (let i = 0; i < out.length; i++) out[i] = f.dh(zd[i], hd[i]);
  return hPrime;
}

/** ∂C/∂z = δ ⊙ h'(z), from z and h = act(z): the activation's backward pass, into `into` when given (δ itself: element by element, each read before it is written). */
export function activationBackward(delta: Tensor, z: Tensor, h: Tensor, a: Activation, into?: Tensor): Tensor {
  const out = into ?? zeros(delta.shape, delta.dtype);
  const [d, zd, od] = [delta.data, z.data, out.data];
  if (a.kind === 'relu') {
    if (!reluBackwardWasm(d, zd, od)) for (let i = 0; i < od.length; i++) od[i] = zd[i] <= 0 ? 0 * d[i] : d[i];
    return out;
  }
  const f = activationFns(a);
  for (let i = 0; i < od.length; i++) od[i] = d[i] * f.dh(zd[i], h.data[i]);
  return out;
}

// ---- pooling -------------------------------------------------------------------

export type PoolKind = 'max' | 'avg';

export interface PoolOptions {
  kernel: number | Pair;
  stride?: number | Pair;
  /** An integer, [ph, pw], or [top, bottom, left, right] (ONNX's uneven pads, as conv2d's four values). */
  padding?: number | Pair | PoolPads;
  /** Max pooling only (as PyTorch). */
  dilation?: number | Pair;
  ceilMode?: boolean;
  /** Average pooling only: whether the mean counts the padding's zeros (PyTorch's count_include_pad; default true). */
  countIncludePad?: boolean;
}

/** [top, bottom, left, right]. */
export type PoolPads = readonly [number, number, number, number];

export interface PoolInfo {
  kind: PoolKind;
  batch: number;
  channels: number;
  inHeight: number;
  inWidth: number;
  kernelHeight: number;
  kernelWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
  dilationHeight: number;
  dilationWidth: number;
  ceilMode: boolean;
  /** Average pooling: the mean divides by the taps inside the padded input (true) or inside the input alone. */
  countIncludePad: boolean;
  outHeight: number;
  outWidth: number;
  /** The padded input block read by the windows (may extend past the padding with ceil_mode). */
  paddedHeight: number;
  paddedWidth: number;
}

const pair = (v: number | Pair | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** The padding as [top, bottom, left, right], from an integer, [ph, pw] or four values; undefined for another form. */
function poolPads(v: unknown): number[] | undefined {
  if (v === undefined) return [0, 0, 0, 0];
  if (typeof v === 'number') return [v, v, v, v];
  if (!Array.isArray(v) || !v.every(p => typeof p === 'number')) return undefined;
  if (v.length === 2) return [v[0], v[0], v[1], v[1]];
  return v.length === 4 ? [...v] : undefined;
}

/**
 * The pooled size: floor or ceil, and a last window must start inside the input or its leading padding (PyTorch's
 * rule, which onnxruntime applies to uneven pads too).
 */
export function pooledSize(n: number, k: number, s: number, before: number, after: number, d: number, ceil: boolean): number {
  const span = n + before + after - d * (k - 1) - 1;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= n + before) out--;
  return out;
}

/**
 * The first of `out` windows along an axis of n cells (`before` cells of padding ahead of it) whose taps, from
 * i·s − before every d cells, all miss the input, or −1. The taps before 0 are passed by whole steps: the first at or
 * after 0 must come before the window's last tap and inside the input. Besides a window past either edge (which
 * pads under the kernel never make), a dilated one can straddle an input narrower than its dilation (n = 1, taps −1
 * and 1). Checks at most a kernel's worth of windows at each edge, no allocation.
 */
function windowOnPadding(n: number, k: number, s: number, before: number, d: number, out: number): number {
  // Only a window that starts before the input or past its end can miss it (one starting inside reads its first
  // cell): the few at each edge are checked, never every window (a planned output may be astronomically long).
  const lead = Math.min(out, Math.ceil(before / s));
  const trail = Math.max(lead, Math.min(out, Math.ceil((n + before) / s)));
  for (const [from, to] of [[0, lead], [trail, out]]) {
    for (let i = from; i < to; i++) {
      const start = i * s - before;
      const first = start >= 0 ? start : start + Math.ceil(-start / d) * d;
      if (first >= n || first > start + (k - 1) * d) return i;
    }
  }
  return -1;
}

export function poolInfo(kind: PoolKind, shape: readonly number[], o: PoolOptions): PoolInfo {
  const op = `${kind}pool2d`;
  if (shape.length !== 4) throw new EngineError(op, { code: 'layer.inputRank', args: { rank: 4, axes: '(B, C, H, W)', shape: [...shape] } }, 'input');
  const [kh, kw] = pair(o.kernel, 1);
  const [sh, sw] = pair(o.stride ?? o.kernel, 1);
  const [dh, dw] = pair(o.dilation, 1);
  for (const [v, what] of [[kh, 'kernel'], [kw, 'kernel'], [sh, 'stride'], [sw, 'stride'], [dh, 'dilation'], [dw, 'dilation']] as const) {
    if (!Number.isInteger(v) || v < 1) throw new EngineError(op, { code: 'pool.notPositive', args: { key: what, value: v } });
  }
  if (kind === 'avg' && (dh !== 1 || dw !== 1)) throw new EngineError(op, { code: 'pool.avgDilation', args: {} });
  const pads = poolPads(o.padding);
  if (!pads) throw new EngineError(op, { code: 'pool.paddingForm', args: {} }, 'padding');
  if (pads.some(p => !Number.isInteger(p) || p < 0)) throw new EngineError(op, { code: 'pool.paddingNegative', args: { padding: pads } }, 'padding');
  const [pt, pb, pl, pr] = pads;
  const countIncludePad = kind === 'avg' && o.countIncludePad !== false;
  // PyTorch's forms (an integer, a pair) keep its rule, at most half the kernel; four sides ONNX's, under the kernel, so
  // that every undilated window reads the input (a mean that counts its padding may take any: zeros a Pad node added);
  // a dilated one is checked below.
  if (!Array.isArray(o.padding) || o.padding.length !== 4) {
    if (pt > kh / 2 || pl > kw / 2) throw new EngineError(op, { code: 'pool.paddingHalf', args: { padding: [pt, pl], kernel: [kh, kw] } }, 'padding');
  } else if (!countIncludePad && (pt >= kh || pb >= kh || pl >= kw || pr >= kw)) throw new EngineError(op, { code: 'pool.paddingKernel', args: { padding: pads, kernel: [kh, kw] } }, 'padding');
  const [, , H, W] = shape;
  const Ho = pooledSize(H, kh, sh, pt, pb, dh, !!o.ceilMode);
  const Wo = pooledSize(W, kw, sw, pl, pr, dw, !!o.ceilMode);
  if (Ho < 1 || Wo < 1) throw new EngineError(op, { code: 'pool.windowTooLarge', args: { kernel: [kh, kw], dilation: [dh, dw], input: [H, W], padding: pads } });
  // A window on padding alone has no value of the input: its max would be −∞, a mean of no input 0 / 0 (PyTorch
  // gives −∞ too, onnxruntime float32's lowest). A mean that counts its padding is 0 there, as in both.
  if (!countIncludePad) {
    for (const [axis, n, k, s, before, after, d, out] of [['height', H, kh, sh, pt, pb, dh, Ho], ['width', W, kw, sw, pl, pr, dw, Wo]] as const) {
      const window = windowOnPadding(n, k, s, before, d, out);
      if (window >= 0) throw new EngineError(op, { code: 'pool.windowOnPadding', args: { axis, window, start: window * s - before, kernel: k, dilation: d, padding: [before, after], input: n } }, 'padding');
    }
  }
  const paddedHeight = Math.max(H + pt + pb, (Ho - 1) * sh + dh * (kh - 1) + 1);
  const paddedWidth = Math.max(W + pl + pr, (Wo - 1) * sw + dw * (kw - 1) + 1);
  return {
    kind, batch: shape[0], channels: shape[1], inHeight: H, inWidth: W, kernelHeight: kh, kernelWidth: kw, strideHeight: sh, strideWidth: sw,
    padTop: pt, padBottom: pb, padLeft: pl, padRight: pr, dilationHeight: dh, dilationWidth: dw, ceilMode: !!o.ceilMode,
    countIncludePad, outHeight: Ho, outWidth: Wo, paddedHeight, paddedWidth,
  };
}

export interface PoolForward {
  /** The input padded: −∞ around it for max, 0 for avg; (B, C, Hp, Wp). */
  a: Tensor;
  /** Windows unfolded like a_t, per channel: (B, C, Hout·Wout, kh·kw). */
  pool_t: Tensor;
  /** (B, C, Hout, Wout). */
  z: Tensor;
  /** Max: the window tap (0..kh·kw-1) each output took, first on ties; (B, C, Hout, Wout). */
  argmax?: Tensor;
  /** Avg: how many taps each window averages (window cells inside the padded input). */
  divisor?: Tensor;
}

/** Flat offsets into one (Hp, Wp) plane of each window tap: (Hout·Wout, kh·kw). */
function windowIndex(p: PoolInfo): Int32Array {
  const { outHeight: Ho, outWidth: Wo, kernelHeight: kh, kernelWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, paddedWidth: Wp } = p;
  const idx = new Int32Array(Ho * Wo * kh * kw);
  let o = 0;
  for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) idx[o++] = (i * sh + ki * dh) * Wp + j * sw + kj * dw;
  return idx;
}

/**
 * How many taps the average of window (i, j) divides by: those inside the padded input (count_include_pad), or
 * inside the input alone.
 */
export function poolDivisor(p: PoolInfo, i: number, j: number): number {
  const [y0, x0] = [i * p.strideHeight, j * p.strideWidth];
  const [top, bottom] = p.countIncludePad ? [0, p.inHeight + p.padTop + p.padBottom] : [p.padTop, p.padTop + p.inHeight];
  const [left, right] = p.countIncludePad ? [0, p.inWidth + p.padLeft + p.padRight] : [p.padLeft, p.padLeft + p.inWidth];
  const rows = Math.min(y0 + p.kernelHeight, bottom) - Math.max(y0, top);
  const cols = Math.min(x0 + p.kernelWidth, right) - Math.max(x0, left);
  return rows * cols;
}

/** The padded pixel tap (ki, kj) of window (i, j) reads. */
export function poolTap(p: PoolInfo, i: number, j: number, ki: number, kj: number): { y: number; x: number } {
  return { y: i * p.strideHeight + ki * p.dilationHeight, x: j * p.strideWidth + kj * p.dilationWidth };
}

/** Whether a padded pixel is padding (or past it, with ceil_mode). */
export function isPoolPadding(p: PoolInfo, y: number, x: number): boolean {
  return y < p.padTop || y >= p.padTop + p.inHeight || x < p.padLeft || x >= p.padLeft + p.inWidth;
}

/** z to fill, with the argmax (max) or the divisors (average), which are known from the geometry alone. */
function poolResults(p: PoolInfo, dtype: DType): Pick<PoolForward, 'z' | 'argmax' | 'divisor'> {
  const { batch: B, channels: C, outHeight: Ho, outWidth: Wo } = p;
  const isMax = p.kind === 'max';
  // Avg divides by the taps inside the padded input (count_include_pad: fewer only past the padding, with ceil_mode) or the input.
  const divisor = isMax ? undefined : zeros([Ho, Wo], dtype);
  if (divisor) for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) divisor.data[i * Wo + j] = poolDivisor(p, i, j);
  return { z: zeros([B, C, Ho, Wo], dtype), argmax: isMax ? zeros([B, C, Ho, Wo], dtype) : undefined, divisor };
}

/** The pooling's trace: the padded input, its windows unfolded (pool_t), and the output (poolOutput, unless `known`). */
export function poolForward(input: Tensor, p: PoolInfo, known?: Pick<PoolForward, 'z' | 'argmax' | 'divisor'>): PoolForward {
  return { ...poolWindows(input, p), ...(known ?? poolOutput(input, p)) };
}

/** The padded input and its windows unfolded (pool_t), by the window table. */
function poolWindows(input: Tensor, p: PoolInfo): Pick<PoolForward, 'a' | 'pool_t'> {
  const { batch: B, channels: C, inHeight: H, inWidth: W, padTop: ph, padLeft: pw, paddedHeight: Hp, paddedWidth: Wp, outHeight: Ho, outWidth: Wo, kernelHeight: kh, kernelWidth: kw } = p;
  // Nothing padded: a is the input's values (read, never written), not a copy.
  const a = Hp === H && Wp === W ? sameValues(input) : zeros([B, C, Hp, Wp], input.dtype);
  if (a.data !== input.data) {
    if (p.kind === 'max') a.data.fill(-Infinity);
    for (let bc = 0; bc < B * C; bc++) for (let y = 0; y < H; y++) copyRun(input.data, (bc * H + y) * W, a.data, (bc * Hp + y + ph) * Wp + pw, W);
  }
  const idx = windowIndex(p);
  const K = kh * kw;
  const R = Ho * Wo;
  const pool_t = zeros([B, C, R, K], input.dtype);
  const [ad, td] = [a.data, pool_t.data];
  for (let bc = 0, o = 0; bc < B * C; bc++) {
    const plane = bc * Hp * Wp;
    for (let rk = 0; rk < R * K; rk++) td[o++] = ad[plane + idx[rk]];
  }
  return { a, pool_t };
}

/**
 * The pooling's trace made from its windows (a network's trace, its forward pass): pool_t reduced row by row, the
 * taps in poolOutput's order (a padding tap holds the −∞ or 0 poolOutput reads there), so z has poolOutput's bits.
 * Max pooling takes z and the argmax from the module where it runs (poolOutput's, ~5× the loop's speed).
 */
export function poolForwardByWindows(input: Tensor, p: PoolInfo): PoolForward {
  const { a, pool_t } = poolWindows(input, p);
  const { z, argmax, divisor } = poolResults(p, input.dtype);
  if (argmax && maxPoolWasm(input.data, z.data, argmax.data, p)) return { a, pool_t, z, argmax, divisor };
  const { batch: B, channels: C, outHeight: Ho, outWidth: Wo, kernelHeight: kh, kernelWidth: kw } = p;
  const K = kh * kw;
  const R = Ho * Wo;
  const [td, zd] = [pool_t.data, z.data];
  for (let row = 0; row < B * C * R; row++) {
    const first = row * K;
    if (argmax) {
      let best = -Infinity;
      let bestK = 0;
      for (let k = 0; k < K; k++) {
        const v = td[first + k];
        if (v > best || (v !== v && best === best)) { best = v; bestK = k; } // as poolOutput: the first maximum; NaN propagates
      }
      zd[row] = best;
      argmax.data[row] = bestK;
    } else {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += td[first + k];
      zd[row] = sum / divisor!.data[row % R];
    }
  }
  return { a, pool_t, z, argmax, divisor };
}

/**
 * z with the argmax (max) or the divisors (average), read from the input window by window without the padded
 * copy or pool_t: a tap on the padding reads −∞ (max) or 0 (average), in pool_t's order, so z is the same.
 */
export function poolOutput(input: Tensor, p: PoolInfo): Pick<PoolForward, 'z' | 'argmax' | 'divisor'> {
  const { batch: B, channels: C, inHeight: H, inWidth: W, padTop: ph, padLeft: pw, outHeight: Ho, outWidth: Wo, kernelHeight: kh, kernelWidth: kw,
    strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = p;
  const isMax = p.kind === 'max';
  const pad = isMax ? -Infinity : 0;
  const { z, argmax, divisor } = poolResults(p, input.dtype);
  if (argmax && maxPoolWasm(input.data, z.data, argmax.data, p)) return { z, argmax, divisor };
  const [x, zd] = [input.data, z.data];
  // Each tap's offset from its window's first pixel, for the windows inside the input (most of them).
  const taps = new Int32Array(kh * kw);
  for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) taps[ki * kw + kj] = ki * dh * W + kj * dw;
  for (let bc = 0; bc < B * C; bc++) {
    const base = bc * H * W;
    for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) {
      let best = -Infinity;
      let bestK = 0;
      let sum = 0;
      const y0 = i * sh - ph;
      const x0 = j * sw - pw;
      // The taps in the same order either way: a window inside reads them through the table, without bounds checks.
      if (y0 >= 0 && y0 + (kh - 1) * dh < H && x0 >= 0 && x0 + (kw - 1) * dw < W) {
        const first = base + y0 * W + x0;
        for (let k = 0; k < taps.length; k++) {
          const v = x[first + taps[k]];
          if (!isMax) sum += v;
          else if (v > best || (v !== v && best === best)) { best = v; bestK = k; } // first maximum wins; NaN propagates
        }
      } else {
        for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) {
          const [y, xx] = [y0 + ki * dh, x0 + kj * dw];
          const v = y >= 0 && y < H && xx >= 0 && xx < W ? x[base + y * W + xx] : pad;
          if (!isMax) sum += v;
          else if (v > best || (v !== v && best === best)) { best = v; bestK = ki * kw + kj; }
        }
      }
      const at = (bc * Ho + i) * Wo + j;
      if (argmax) { zd[at] = best; argmax.data[at] = bestK; } else zd[at] = sum / divisor!.data[i * Wo + j];
    }
  }
  return { z, argmax, divisor };
}

export interface PoolBackward {
  /** δ routed into the windows: to the argmax (max) or spread evenly (avg); (B, C, Hout·Wout, kh·kw). */
  dpool_t: Tensor;
  /** ∂C/∂input. */
  dA: Tensor;
}

export function poolBackward(delta: Tensor, fwd: Pick<PoolForward, 'argmax' | 'divisor'>, p: PoolInfo): PoolBackward {
  const { batch: B, channels: C, outHeight: Ho, outWidth: Wo, kernelHeight: kh, kernelWidth: kw } = p;
  const K = kh * kw;
  const R = Ho * Wo;
  const dpool_t = zeros([B, C, R, K], delta.dtype);
  const [d, dp] = [delta.data, dpool_t.data];
  const argmax = fwd.argmax?.data;
  if (argmax) for (let bcr = 0; bcr < B * C * R; bcr++) dp[bcr * K + argmax[bcr]] = d[bcr];
  else {
    const divisor = fwd.divisor!.data;
    for (let bcr = 0; bcr < B * C * R; bcr++) {
      const share = d[bcr] / divisor[bcr % R];
      for (let k = 0; k < K; k++) dp[bcr * K + k] = share;
    }
  }
  // Max pooling's col2im of dpool_t is the module's ∂C/∂input from δ and the argmax where it runs: the same sums in
  // the same order (each δ added at its window's argmax, in float64), ~4× the loop's speed.
  const dA = zeros([B, C, p.inHeight, p.inWidth], delta.dtype);
  if (!argmax || !maxPoolInputGradWasm(d, argmax, dA.data, p)) poolCol2im(dpool_t, p, dA);
  return { dpool_t, dA };
}

/** ∂C/∂input = crop(col2im(dpool_t)): each window's gradients added back onto its pixels (in float64), the padding cut off. */
export function poolCol2im(dpool_t: Tensor, p: PoolInfo, into?: Tensor): Tensor {
  const { batch: B, channels: C, inHeight: H, inWidth: W, padTop: ph, padLeft: pw, paddedHeight: Hp, paddedWidth: Wp, outHeight: Ho, outWidth: Wo, kernelHeight: kh, kernelWidth: kw } = p;
  const RK = Ho * Wo * kh * kw;
  const idx = windowIndex(p);
  const padded = new Float64Array(Hp * Wp);
  const dA = into ?? zeros([B, C, H, W], dpool_t.dtype);
  for (let bc = 0; bc < B * C; bc++) {
    padded.fill(0);
    for (let o = 0; o < RK; o++) padded[idx[o]] += dpool_t.data[bc * RK + o];
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) dA.data[(bc * H + y) * W + x] = padded[(y + ph) * Wp + x + pw];
  }
  return dA;
}

/**
 * ∂C/∂input alone, as poolBackward's dA (the same sums in the same order, in float64), without dpool_t or the window
 * table: max pooling adds each δ at its window's argmax, average pooling spreads δ / divisor over the window's taps.
 */
export function poolInputGrad(delta: Tensor, fwd: Pick<PoolForward, 'argmax' | 'divisor'>, p: PoolInfo): Tensor {
  const { batch: B, channels: C, inHeight: H, inWidth: W, padTop: ph, padLeft: pw, paddedWidth: Wp, outHeight: Ho, outWidth: Wo,
    kernelHeight: kh, kernelWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = p;
  const R = Ho * Wo;
  const dA = zeros([B, C, H, W], delta.dtype);
  const argmax = fwd.argmax?.data;
  if (argmax && maxPoolInputGradWasm(delta.data, argmax, dA.data, p)) return dA;
  const padded = new Float64Array(p.paddedHeight * Wp);
  // dpool_t holds the share in δ's dtype: rounded the same way here.
  const round = delta.data instanceof Float32Array ? Math.fround : (v: number) => v;
  for (let bc = 0; bc < B * C; bc++) {
    padded.fill(0);
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        const r = bc * R + i * Wo + j;
        const first = i * sh * Wp + j * sw;
        if (argmax) {
          const k = argmax[r];
          const ki = Math.floor(k / kw);
          padded[first + ki * dh * Wp + (k - ki * kw) * dw] += delta.data[r];
          continue;
        }
        const share = round(delta.data[r] / fwd.divisor!.data[i * Wo + j]);
        for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) padded[first + ki * dh * Wp + kj * dw] += share;
      }
    }
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) dA.data[(bc * H + y) * W + x] = padded[(y + ph) * Wp + x + pw];
  }
  return dA;
}

// ---- flatten and linear --------------------------------------------------------

// A copy, not a view: each tensor of a run owns its array. In a released one where one fits (copyOf), as any other
// output: a re-run of a network with a flatten made two new arrays a run, and its worker's pool kept the old ones.
export function flatten(t: Tensor): Tensor {
  return { shape: [t.shape[0], sizeOf(t.shape.slice(1))], dtype: t.dtype, data: copyOf(t.data) };
}

export function unflatten(t: Tensor, shape: readonly number[]): Tensor {
  return { shape: [...shape], dtype: t.dtype, data: copyOf(t.data) };
}

export interface LinearForward {
  /** weight.T: (in, out), as w_t is for the conv. */
  w_t: Tensor;
  /** (B, out). */
  z: Tensor;
}

export function checkLinear(inputShape: readonly number[], weight: Tensor, bias?: Tensor): void {
  if (inputShape.length !== 2) throw new EngineError('linear', { code: 'layer.inputRank', args: { rank: 2, axes: '(B, in)', shape: [...inputShape], flattenHint: true } }, 'input');
  if (weight.shape.length !== 2) throw new EngineError('linear', { code: 'linear.weightRank', args: { shape: [...weight.shape] } }, 'weight');
  if (weight.shape[1] !== inputShape[1]) throw new EngineError('linear', { code: 'linear.features', args: { has: inputShape[1], expects: weight.shape[1], input: [...inputShape], weight: [...weight.shape] } }, 'weight');
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== weight.shape[0])) throw new EngineError('linear', { code: 'linear.bias', args: { channels: weight.shape[0], shape: [...bias.shape] } }, 'bias');
}

export function linearForward(x: Tensor, weight: Tensor, bias?: Tensor): LinearForward {
  const [In, Out] = [weight.shape[1], weight.shape[0]];
  const w_t = zeros([In, Out], weight.dtype);
  for (let o = 0; o < Out; o++) for (let i = 0; i < In; i++) w_t.data[i * Out + o] = weight.data[o * In + i];
  return { w_t, z: linearOutput(x, weight, bias) };
}

/**
 * z = input @ w_t + b alone, on the matrix kernels (the loops for small products): z starts at b and the product is
 * added. One input (a single image) runs as zᵀ = W @ inputᵀ, W's rows read in order, where input @ w_t would
 * gather w_t's columns out of W's rows.
 */
export function linearOutput(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const [B, In] = x.shape;
  const Out = weight.shape[0];
  const z = zeros([B, Out], x.dtype);
  if (bias) for (let b = 0; b < B; b++) for (let o = 0; o < Out; o++) z.data[b * Out + o] = bias.data[o];
  const w = view(weight.data, 0, In);
  if (B === 1) gemmAccumulate(Out, 1, In, w, view(x.data, 0, 1, 1), view(z.data, 0, 1, 1));
  else gemmAccumulate(B, Out, In, view(x.data, 0, In), transposed(w), view(z.data, 0, Out));
  return z;
}

export function linearBackward(x: Tensor, weight: Tensor, delta: Tensor): { dA: Tensor; dW: Tensor; db: Tensor } {
  const [B, In] = x.shape;
  const Out = weight.shape[0];
  const dA = zeros([B, In], x.dtype);
  const dW = zeros([Out, In], weight.dtype);
  const db = zeros([Out], weight.dtype);
  for (let b = 0; b < B; b++) for (let o = 0; o < Out; o++) db.data[o] += delta.data[b * Out + o];
  const d = view(delta.data, 0, Out);
  // ∂C/∂input = δ @ W (W's rows in order); ∂C/∂W = δᵀ @ input.
  gemmAccumulate(B, In, Out, d, view(weight.data, 0, In), view(dA.data, 0, In));
  gemmAccumulate(Out, In, B, transposed(d), view(x.data, 0, In), view(dW.data, 0, In));
  return { dA, dW, db };
}
