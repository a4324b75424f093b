// The lean run's stride-1 3 × 3 convolutions by Winograd's F(4×4, 3×3) (assembly/winograd.ts): each 4 × 4 tile of
// z from the 6 × 6 patch under it in 36 products of (Cout × Cin) by (Cin × tiles) on the GEMM kernel, 2.25
// multiplies an output value where im2col takes 9. Its sums round differently from z_t = a_t @ w_t's, so only the
// lean run (runNetwork: the model views, the CLI's model runs) takes it; a trace, which shows z_t and checks its cells'
// sums, keeps im2col, and an opened layer's z may differ from the run's in the last bits (as onnxruntime's does).

import type { ConvInfo } from '../convInfo';
import type { DType, Tensor } from '../tensor';
import { zeros } from '../tensor';
import { arithmetic, wasmLayout } from './gemmWasm';

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
 * Nor layers whose transformed kernels (36 · Cin · Cout values, 4× the weights) would be more than this: the module's
 * memory, never shrunk, would hold them for the rest of the run (ResNet's 256-channel layers: 9.4 MB, which took the
 * training run's peak memory from 1.9× to 2.0× its parameters and activations). 2^20 values, 4 MB.
 */
const MAX_TRANSFORMED = 1 << 20;

const LIMITS = { minTiles: MIN_TILES, minProduct: MIN_PRODUCT, blockValues: BLOCK_VALUES, maxTransformed: MAX_TRANSFORMED };
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
    tiles >= limits.minTiles && info.batch * tiles * info.inChannels * info.outChannels >= limits.minProduct &&
    36 * info.inChannels * Math.ceil(info.outChannels / 4) * 4 <= limits.maxTransformed;
}

/**
 * z = conv2d(input, weight) + bias by F(4×4, 3×3), or undefined where it does not apply (winogradApplies), the
 * kernels are off, or a value is NaN, ±Infinity or past LARGEST (a NaN would spread over its whole tile: im2col
 * keeps it to the outputs whose windows hold it).
 */
export function conv2dWinograd(input: Tensor, weight: Tensor, bias: Tensor | undefined, info: ConvInfo): Tensor | undefined {
  if (!winogradApplies(info, input.dtype)) return undefined;
  const { batch: B, inChannels: C, inHeight: H, inWidth: W, outChannels: Cout, outHeight: Ho, outWidth: Wo, padTop, padLeft } = info;
  const [tilesH, tilesW] = [Math.ceil(Ho / 4), Math.ceil(Wo / 4)];
  const perImage = tilesH * tilesW;
  // The padded planes cover every tile's patch: zeros past the input's own padding at the bottom and right.
  const [Hq, Wq] = [tilesH * 4 + 2, tilesW * 4 + 2];
  const images = Math.min(B, Math.floor(limits.blockValues / (36 * Math.max(C, Cout) * perImage)));
  if (images < 1) return undefined;
  const T = images * perImage;
  const pairs = Cout * C;
  const Co4 = Math.ceil(Cout / 4) * 4;
  const L = wasmLayout(input.data, Cout * C * T);
  if (!L || L.f64) return undefined;
  // Vector reads run up to 3 values past the padded planes: 4 more.
  const x = L.reserve(images * C * Hq * Wq + 4), w = L.reserve(pairs * 9), u = L.reserve(36 * C * Co4);
  const v = L.reserve(36 * C * T), m = L.reserve(36 * Co4 * T), z = L.reserve(images * Cout * Ho * Wo), b = L.reserve(Co4);
  const tmp = L.reserve(Math.max(6 * Math.ceil((tilesW * 4 + 2) / 4) * 4, 160));
  const range = L.reserve(4);
  const [unit, cT, tM, cU] = [L.reserve(Math.max(T, C, Cout), true), L.reserve(C, true), L.reserve(T, true), L.reserve(C, true)];
  const scratch = L.scratch(Cout);
  const mem = L.open();
  if (!mem) return undefined;
  const { floats, ints } = mem;
  const extremes = new Float64Array(floats.buffer, range, 2);
  const usable = (p: number, n: number) => !L.stats(p, n, range) && Math.max(-extremes[0], extremes[1]) <= LARGEST;

  floats.set(weight.data, w / 4);
  if (!usable(w, pairs * 9)) return undefined;
  L.winograd.winogradWeights32(w, u, Cout, C, tmp);
  if (bias) floats.set(bias.data, b / 4);
  arithmetic(ints, unit, Math.max(T, C, Cout), 1);
  arithmetic(ints, cU, C, 36 * Co4);
  arithmetic(ints, tM, T, 36 * Co4);

  const out = zeros([B, Cout, Ho, Wo], 'float32');
  for (let b0 = 0; b0 < B; b0 += images) {
    const n = Math.min(images, B - b0);
    const Tn = n * perImage;
    const planes = n * C;
    floats.set(input.data.subarray(b0 * C * H * W, (b0 + n) * C * H * W), x / 4 + planes * (Hq * Wq - H * W));
    L.pad(x, planes, H, W, Hq, Wq, padTop, padLeft);
    if (!usable(x, planes * Hq * Wq)) return undefined;
    arithmetic(ints, cT, C, 36 * Tn);
    L.zero(m, 36 * Co4 * Tn);
    L.winograd.winogradInput32(x, v, n, C, Hq, Wq, tilesH, tilesW, tmp);
    for (let xi = 0; xi < 36; xi++) {
      const [U, V, M] = [u + xi * Co4 * 4, v + xi * Tn * 4, m + xi * Co4 * 4];
      // M[ξ] (tiles × Cout) += V[ξ] (tiles × Cin) @ U[ξ] (Cin × Cout), the tiles as the rows: with the kernels as
      // the rows instead (convWasm's kernelsAsRows where windows are few) ResNet's 14 × 14 layer took 7 % longer.
      L.gemm(Tn, Cout, C, V, unit, cT, U, cU, unit, M, tM, unit, scratch);
    }
    L.winograd.winogradOutput32(m, z, b, bias ? 1 : 0, n, Cout, tilesH, tilesW, Ho, Wo, tmp);
    out.data.set(floats.subarray(z / 4, z / 4 + n * Cout * Ho * Wo), b0 * Cout * Ho * Wo);
  }
  return out;
}
