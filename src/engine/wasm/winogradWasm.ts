// The lean run's stride-1 3 × 3 convolutions by Winograd's F(4×4, 3×3) (assembly/winograd.ts): each 4 × 4 tile of
// z from the 6 × 6 patch under it in 36 products of (Cout × Cin) by (Cin × tiles) on the GEMM kernel, 2.25
// multiplies an output value where im2col takes 9. Its sums round differently from z_t = a_t @ w_t's, so only the
// lean run (runNetwork: the model views, the CLI's model runs) takes it; a trace, which shows z_t and checks its cells'
// sums, keeps im2col, and an opened layer's z may differ from the run's in the last bits (as onnxruntime's does).

import { ConvInfo, convInfo } from '../convInfo';
import type { DType, Tensor, TensorData } from '../tensor';
import { zeros } from '../tensor';
import { addBiasGrad } from './convWasm';
import { type Floats, type WasmLayout, arithmetic, wasmLayout } from './gemmWasm';

/** V and M (36 · channels · tiles values each) hold at most this many values: a block of whole images at a time. */
const BLOCK_VALUES = 1 << 22;
/**
 * Inputs or weights past this magnitude take im2col: the transforms' intermediate values are up to ~100× an input's
 * and a product's sum runs over every channel, so float32 could overflow where im2col's sums do not.
 */
const LARGEST = 1e15;
/**
 * Fewer tiles an image than this take im2col: a deep layer's small maps (ResNet's 7 × 7: 4 tiles) leave the 36
 * products too thin to gain over one product, and each run transforms Cout·Cin kernels first.
 */
const MIN_TILES = 16;
/** Nor do products of fewer multiply-adds than this gain (a (1, 32, 16, 16) layer: 0.66× im2col's speed). */
const MIN_PRODUCT = 1 << 15;

/**
 * The transformed kernels (36 · Cin · Cout values, 4× the weights) go through the module in slices of kernels of at
 * most this many values: the module's memory, never shrunk, would otherwise hold a 256-channel layer's 9.4 MB for the
 * rest of the run (it took the training run's peak memory from 1.9× to 2.0× its parameters and activations).
 * 2^20 values, 4 MB.
 */
const SLICE_VALUES = 1 << 20;

/**
 * ∂C/∂w by Winograd needs this many tiles in a block (the inner size of its 36 products): fewer leave each sum too
 * short to gain over δ_tᵀ @ a_t's.
 */
const MIN_GRAD_TILES = 16;

/**
 * A transform's arithmetic per value it writes, as multiply-adds, for the threads' threshold: about a nanosecond a
 * value on one thread, as long as 16 multiply-adds of a product take.
 */
const TRANSFORM_WORK = 16;

const LIMITS = { minTiles: MIN_TILES, minProduct: MIN_PRODUCT, blockValues: BLOCK_VALUES, sliceValues: SLICE_VALUES, minGradTiles: MIN_GRAD_TILES };
let limits = LIMITS;

/** Sets the limits above (tests run small layers and blocks of one image); no argument: the defaults. */
export function setWinogradLimits(set: Partial<typeof LIMITS> = {}): void {
  limits = { ...LIMITS, ...set };
}

/** Whether a convolution of this geometry and type may take Winograd's way (finite values permitting). */
export function winogradApplies(info: ConvInfo, dtype: DType): boolean {
  const tiles = Math.ceil(info.outHeight / 4) * Math.ceil(info.outWidth / 4);
  return dtype === 'float32' && info.kernelHeight === 3 && info.kernelWidth === 3 && info.strideHeight === 1 && info.strideWidth === 1 &&
    info.dilationHeight === 1 && info.dilationWidth === 1 && info.groups === 1 &&
    tiles >= limits.minTiles && info.batch * tiles * info.inChannels * info.outChannels >= limits.minProduct;
}

/**
 * z = conv2d(input, weight) + bias by F(4×4, 3×3), or undefined where it does not apply (winogradApplies), the
 * kernels are off, or a value is NaN, ±Infinity or past LARGEST (a NaN would spread over its whole tile: im2col
 * keeps it to the outputs whose windows hold it).
 */
export function conv2dWinograd(input: Tensor, weight: Tensor, bias: Tensor | undefined, info: ConvInfo): Tensor | undefined {
  return winogradConv(input, weight, false, bias, info);
}

/**
 * ∂C/∂input of a stride-1 3 × 3 convolution (undilated, one group, float32, each side padded at most 2) as a
 * convolution F(4×4, 3×3) may take: δ's, padded 2 − p on each side, with the kernels turned 180° and their channel
 * axes swapped (the rot180 view's full convolution). Its geometry where it applies (winogradApplies), else undefined.
 */
export function turnedInfo(info: ConvInfo, dtype: DType): ConvInfo | undefined {
  const { padTop, padBottom, padLeft, padRight } = info;
  const pads = [padTop, padBottom, padLeft, padRight];
  if (info.kernelHeight !== 3 || info.kernelWidth !== 3 || info.strideHeight !== 1 || info.strideWidth !== 1 || info.dilationHeight !== 1 ||
    info.dilationWidth !== 1 || info.groups !== 1 || pads.some(p => p > 2) || dtype !== 'float32') return undefined;
  const turned = convInfo([info.batch, info.outChannels, info.outHeight, info.outWidth], [info.inChannels, info.outChannels, 3, 3],
    { padding: pads.map(p => 2 - p) as [number, number, number, number] });
  return turned.outHeight === info.inHeight && turned.outWidth === info.inWidth && winogradApplies(turned, dtype) ? turned : undefined;
}

/**
 * ∂C/∂input by F(4×4, 3×3), `turned` from turnedInfo; undefined where a value keeps it from it, as conv2dWinograd's z.
 * `into`: an array as long as ∂C/∂input that may be written over (δ's own, where the layer keeps its channels).
 */
export function inputGradWinograd(weight: Tensor, delta: Tensor, turned: ConvInfo, into?: TensorData): Tensor | undefined {
  return winogradConv(delta, weight, true, undefined, turned, into);
}

/** The convolution by F(4×4, 3×3); `turned`: the weights are a layer's, for ∂C/∂input (inputGradWinograd). */
function winogradConv(input: Tensor, weight: Tensor, turned: boolean, bias: Tensor | undefined, info: ConvInfo, into?: TensorData): Tensor | undefined {
  if (!winogradApplies(info, input.dtype)) return undefined;
  const { batch: B, inChannels: C, inHeight: H, inWidth: W, outChannels: Cout, outHeight: Ho, outWidth: Wo, padTop, padLeft } = info;
  const [tilesH, tilesW] = [Math.ceil(Ho / 4), Math.ceil(Wo / 4)];
  const perImage = tilesH * tilesW;
  // The padded planes cover every tile's patch: zeros past the input's own padding at the bottom and right.
  const [Hq, Wq] = [tilesH * 4 + 2, tilesW * 4 + 2];
  const images = Math.min(B, Math.floor(limits.blockValues / (36 * Math.max(C, Cout) * perImage)));
  if (images < 1) return undefined;
  const T = images * perImage;
  // Slices of kernels [o0, o0 + n), n a multiple of 4 (the output transform's lanes), as equal as they come.
  const count = Math.ceil((36 * C * Cout) / limits.sliceValues);
  const size = Math.min(Cout, Math.ceil(Cout / count / 4) * 4);
  const slices: { o0: number; n: number }[] = [];
  for (let o0 = 0; o0 < Cout; o0 += size) slices.push({ o0, n: Math.min(size, Cout - o0) });
  const n4 = Math.ceil(size / 4) * 4;
  // The work of a slice's 36 products, which run as one call's jobs (WasmLayout.gemms).
  const L = wasmLayout(input.data, 36 * size * C * T);
  if (!L || L.f64) return undefined;
  // Vector reads run up to 3 values past the padded planes: 4 more.
  const x = L.reserve(images * C * Hq * Wq + 4), w = L.reserve(Cout * C * 9), u = L.reserve(36 * C * n4);
  const v = L.reserve(36 * C * T), m = L.reserve(36 * n4 * T), z = L.reserve(images * Cout * Ho * Wo), b = L.reserve(Cout + 4);
  // A layer's own kernels, for ∂C/∂input, go in where U will be (transformed only after they are turned) if they fit:
  // a region of their own would grow the module's memory, never shrunk, for the rest of the run.
  const given = !turned ? w : 36 * C * n4 >= Cout * C * 9 ? u : L.reserve(Cout * C * 9);
  const tmp = L.perThread(Math.max(6 * Math.ceil((tilesW * 4 + 2) / 4) * 4, 160));
  const range = L.reserve(4);
  const [unit, cT, tM, cU] = [L.reserve(Math.max(T, C, Cout), true), L.reserve(C, true), L.reserve(T, true), L.reserve(C, true)];
  const scratch = L.scratch(size);
  const mem = L.open();
  if (!mem) return undefined;
  const { floats, ints } = mem;
  const usable = usableIn(L, floats, range);

  floats.set(weight.data, given / 4);
  if (turned) L.winograd.winogradFlip32(given, w, C, Cout);
  if (!usable(w, Cout * C * 9)) return undefined;
  if (bias) floats.set(bias.data, b / 4);
  arithmetic(ints, unit, Math.max(T, C, Cout), 1);

  // Written over `into` only in one block of images (its values checked before any output is written) and as many
  // channels out as in (each value written where it was read).
  const shape = [B, Cout, Ho, Wo];
  const overwrite = into && images >= B && C === Cout && into.length === B * Cout * Ho * Wo;
  const out: Tensor = overwrite ? { shape, dtype: 'float32', data: into } : zeros(shape, 'float32');
  let transformed = -1; // the slice whose kernels U holds
  for (let b0 = 0; b0 < B; b0 += images) {
    const nb = Math.min(images, B - b0);
    const Tn = nb * perImage;
    const planes = nb * C;
    floats.set(input.data.subarray(b0 * C * H * W, (b0 + nb) * C * H * W), x / 4 + planes * (Hq * Wq - H * W));
    L.pad(x, planes, H, W, Hq, Wq, padTop, padLeft);
    if (!usable(x, planes * Hq * Wq)) return undefined;
    arithmetic(ints, cT, C, 36 * Tn);
    // Each channel's tiles, and below each tile's kernels, on any thread (their values the same on all).
    L.transform('winogradInput32', C, 36 * C * Tn * TRANSFORM_WORK, tmp, (c0, c1) => [x, v, nb, C, Hq, Wq, tilesH, tilesW, tmp.at, c0, c1]);
    slices.forEach(({ o0, n }, k) => {
      if (transformed !== k) L.winograd.winogradWeights32(w + o0 * C * 9 * 4, u, n, C, tmp.at);
      transformed = k;
      // U and M lay a slice's kernels n4k apart (n rounded up to 4, the transforms' lanes): the last slice's may be fewer.
      const n4k = Math.ceil(n / 4) * 4;
      arithmetic(ints, cU, C, 36 * n4k);
      arithmetic(ints, tM, Tn, 36 * n4k);
      L.zero(m, 36 * n4k * Tn);
      // M[ξ] (tiles × n) += V[ξ] (tiles × Cin) @ U[ξ] (Cin × n), the tiles as the rows: with the kernels as the
      // rows instead (convWasm's kernelsAsRows where windows are few) ResNet's 14 × 14 layer took 7 % longer.
      L.gemms(Array.from({ length: 36 }, (_, xi) => [Tn, n, C, v + xi * Tn * 4, unit, cT, u + xi * n4k * 4, cU, unit, m + xi * n4k * 4, tM, unit, scratch]));
      L.transform('winogradOutput32', Tn, 36 * n4k * Tn * TRANSFORM_WORK, tmp,
        (t0, t1) => [m, z + o0 * Ho * Wo * 4, b + o0 * 4, bias ? 1 : 0, nb, n, Cout, tilesH, tilesW, Ho, Wo, tmp.at, t0, t1]);
    });
    out.data.set(floats.subarray(z / 4, z / 4 + nb * Cout * Ho * Wo), b0 * Cout * Ho * Wo);
  }
  return out;
}

/**
 * ∂C/∂w and ∂C/∂b of a convolution F(4×4, 3×3) applies to (winogradApplies), or undefined where it does not, the
 * kernels are off, or a value of the input or δ keeps it from it (as conv2dWinograd's). ∂C/∂w[o, c] = Gᵀ M G with
 * M[ξ] (Cout × Cin) = Σ_tiles (A δ Aᵀ)[ξ] ⊙ (Bᵀ d B)[ξ] (assembly/winograd.ts): 36 products whose inner size is the
 * tiles of a block of images, 4× fewer multiply-adds than δ_tᵀ @ a_t. Its sums round differently from it.
 */
export function weightGradWinograd(input: Tensor, delta: Tensor, info: ConvInfo): { dWeight: Tensor; dBias: Tensor } | undefined {
  if (!winogradApplies(info, input.dtype) || delta.dtype !== 'float32') return undefined;
  const { batch: B, inChannels: C, inHeight: H, inWidth: W, outChannels: Cout, outHeight: Ho, outWidth: Wo, padTop, padLeft } = info;
  const [tilesH, tilesW] = [Math.ceil(Ho / 4), Math.ceil(Wo / 4)];
  const perImage = tilesH * tilesW;
  if (B * perImage < limits.minGradTiles) return undefined;
  const [Hq, Wq, Hd, Wd] = [tilesH * 4 + 2, tilesW * 4 + 2, tilesH * 4, tilesW * 4];
  const images = Math.min(B, Math.floor(limits.blockValues / (36 * Math.max(C, Cout) * perImage)));
  if (images < 1) return undefined;
  const T = images * perImage;
  // M for slices of kernels [o0, o0 + n): at most sliceValues values (a region of the module's memory, never shrunk).
  const size = Math.ceil(Cout / Math.ceil((36 * C * Cout) / limits.sliceValues));
  // The work of a block's 36 products, which run as one call's jobs (WasmLayout.gemms).
  const L = wasmLayout(input.data, 36 * size * C * T);
  if (!L || L.f64) return undefined;
  // Vector reads run up to 3 values past the padded planes and M's last row: 4 more.
  const x = L.reserve(images * C * Hq * Wq + 4), d = L.reserve(images * Cout * Hd * Wd);
  const v = L.reserve(36 * C * T), dt = L.reserve(36 * Cout * T), m = L.reserve(36 * size * C + 4), dw = L.reserve(Cout * C * 9);
  const tmp = L.perThread(Math.max(6 * Math.max(Wq + 2, Wd), 18 * 4 + 9 * 4));
  const range = L.reserve(4);
  const [unit, cT, rD, rM] = [L.reserve(Math.max(T, C), true), L.reserve(C, true), L.reserve(size, true), L.reserve(size, true)];
  const scratch = L.scratch(C);
  const mem = L.open();
  if (!mem) return undefined;
  const { floats, ints } = mem;
  const usable = usableIn(L, floats, range);
  arithmetic(ints, unit, Math.max(T, C), 1);
  arithmetic(ints, rM, size, C);

  const blocks = Math.ceil(B / images);
  /** Transforms block k's input and δ into V and D (the planes padded first); false when a value keeps it from it. */
  const transform = (k: number): boolean => {
    const b0 = k * images, nb = Math.min(images, B - b0);
    floats.set(input.data.subarray(b0 * C * H * W, (b0 + nb) * C * H * W), x / 4 + nb * C * (Hq * Wq - H * W));
    L.pad(x, nb * C, H, W, Hq, Wq, padTop, padLeft);
    floats.set(delta.data.subarray(b0 * Cout * Ho * Wo, (b0 + nb) * Cout * Ho * Wo), d / 4 + nb * Cout * (Hd * Wd - Ho * Wo));
    L.pad(d, nb * Cout, Ho, Wo, Hd, Wd, 0, 0);
    if (!usable(x, nb * C * Hq * Wq) || !usable(d, nb * Cout * Hd * Wd)) return false;
    const tiles = nb * perImage;
    L.transform('winogradInput32', C, 36 * C * tiles * TRANSFORM_WORK, tmp, (c0, c1) => [x, v, nb, C, Hq, Wq, tilesH, tilesW, tmp.at, c0, c1]);
    L.transform('winogradDelta32', Cout, 36 * Cout * tiles * TRANSFORM_WORK, tmp, (c0, c1) => [d, dt, nb, Cout, tilesH, tilesW, tmp.at, c0, c1]);
    arithmetic(ints, cT, C, 36 * nb * perImage);
    arithmetic(ints, rD, size, 36 * nb * perImage);
    return true;
  };
  if (blocks === 1 && !transform(0)) return undefined;
  for (let o0 = 0; o0 < Cout; o0 += size) {
    const n = Math.min(size, Cout - o0);
    L.zero(m, 36 * n * C);
    for (let k = 0; k < blocks; k++) {
      // One block's transforms serve every slice; more are made again for each.
      if (blocks > 1 && !transform(k)) return undefined;
      const Tn = Math.min(images, B - k * images) * perImage;
      // M[ξ] (n × Cin) += D[ξ] (n × tiles) @ V[ξ] (tiles × Cin): D's rows are kernels o0 …, 36 planes of tiles apart.
      L.gemms(Array.from({ length: 36 }, (_, xi) => [n, C, Tn, dt + (o0 * 36 + xi) * Tn * 4, rD, unit, v + xi * Tn * 4, unit, cT, m + xi * n * C * 4, rM, unit, scratch]));
    }
    L.winograd.winogradWeightGrad32(m, dw, o0, n, C, tmp.at);
  }
  const dWeight = zeros([Cout, C, 3, 3], 'float32');
  dWeight.data.set(floats.subarray(dw / 4, dw / 4 + Cout * C * 9));
  const dBias = zeros([Cout], 'float32');
  addBiasGrad(delta.data, dBias.data, B, Cout, Ho * Wo, Ho * Wo, 1);
  return { dWeight, dBias };
}

/** Whether `count` values at byte offset p are finite and at most LARGEST in magnitude (their range goes to `range`). */
function usableIn(L: WasmLayout, floats: Floats, range: number): (p: number, count: number) => boolean {
  const extremes = new Float64Array(floats.buffer, range, 2);
  return (p, count) => !L.stats(p, count, range) && Math.max(-extremes[0], extremes[1]) <= LARGEST;
}
