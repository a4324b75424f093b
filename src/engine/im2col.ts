// pad, im2col and their adjoints crop and col2im. Layout of a_t, per batch item:
// row r = i*Wout + j is the receptive field of output position (i, j); column
// (c*kh + ki)*kw + kj is input channel c at kernel offset (ki, kj). With groups > 1
// the columns still cover every input channel; group g owns the contiguous block
// of columns [g*groupPatchSize, (g+1)*groupPatchSize).

import { ConvInfo, paddedShape } from './convInfo';
import { DType, Tensor, TensorData, copyRun, sameValues, zeros } from './tensor';

/** Whether padding leaves (B, C, H, W) as it is: pad2d and crop2d then hand over the same values, not a copy. */
export const unpadded = (info: ConvInfo) => info.paddedHeight === info.inHeight && info.paddedWidth === info.inWidth;

/** Zero-pads (B, C, H, W) to (B, C, Hp, Wp); nothing to pad, the input's values (read, never written). */
export function pad2d(input: Tensor, info: ConvInfo): Tensor {
  if (unpadded(info)) return sameValues(input);
  const { batch, inChannels, inHeight: H, inWidth: W, paddedHeight: Hp, paddedWidth: Wp, padTop, padLeft } = info;
  const out = zeros(paddedShape(info), input.dtype);
  const src = input.data;
  const dst = out.data;
  for (let bc = 0; bc < batch * inChannels; bc++) {
    for (let y = 0; y < H; y++) {
      const s = (bc * H + y) * W;
      copyRun(src, s, dst, (bc * Hp + y + padTop) * Wp + padLeft, W);
    }
  }
  return out;
}

/** Drops the padding of (B, C, Hp, Wp), the adjoint of pad2d; nothing padded, the same values. */
export function crop2d(padded: Tensor, info: ConvInfo): Tensor {
  if (unpadded(info)) return sameValues(padded);
  const { batch, inChannels, inHeight: H, inWidth: W, paddedHeight: Hp, paddedWidth: Wp, padTop, padLeft } = info;
  const out = zeros([batch, inChannels, H, W], padded.dtype);
  for (let bc = 0; bc < batch * inChannels; bc++) {
    for (let y = 0; y < H; y++) {
      const s = (bc * Hp + y + padTop) * Wp + padLeft;
      copyRun(padded.data, s, out.data, (bc * H + y) * W, W);
    }
  }
  return out;
}

/**
 * Moves one batch item's patches between a (C, Hp, Wp) block and its a_t rows: entry
 * (r, k) of a_t, r = i*Wout + j, k = (c*kh + ki)*kw + kj, is padded pixel
 * (c, i*sh + ki*dh, j*sw + kj*dw). im2col gathers through these loops and col2im
 * (`add`) scatters back through the same loops, so the two are adjoint by construction.
 */
function movePatches(info: ConvInfo, block: TensorData, cols: TensorData, add: boolean): void {
  const { inChannels: C, paddedHeight: Hp, paddedWidth: Wp, kernelHeight: kh, kernelWidth: kw,
    outHeight: Ho, outWidth: Wo, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  let o = 0;
  for (let i = 0; i < Ho; i++) {
    for (let j = 0; j < Wo; j++) {
      for (let c = 0; c < C; c++) {
        for (let ki = 0; ki < kh; ki++) {
          const rowStart = (c * Hp + i * sh + ki * dh) * Wp + j * sw;
          if (add) for (let kj = 0; kj < kw; kj++) block[rowStart + kj * dw] += cols[o++];
          else for (let kj = 0; kj < kw; kj++) cols[o++] = block[rowStart + kj * dw];
        }
      }
    }
  }
}

/** a_t = im2col(a): (B, C, Hp, Wp) patches to (B, Hout*Wout, Cin*kh*kw). */
export function im2col(a: Tensor, info: ConvInfo): Tensor {
  const { batch: B, inChannels: C, paddedHeight: Hp, paddedWidth: Wp, outPositions, patchSize } = info;
  const out = zeros([B, outPositions, patchSize], a.dtype);
  const block = C * Hp * Wp;
  const n = outPositions * patchSize;
  for (let b = 0; b < B; b++) movePatches(info, a.data.subarray(b * block, (b + 1) * block), out.data.subarray(b * n, (b + 1) * n), false);
  return out;
}

export interface Col2ImResult {
  /** (B, C, Hp, Wp): every row of the columns added back onto its patch. */
  padded: Tensor;
  /** (Hp, Wp): how many a_t entries land on each padded pixel (the same for every channel and batch item). */
  counts: Tensor;
}

/** col2im, the adjoint of im2col: overlapping patches add up. */
export function col2im(cols: Tensor, info: ConvInfo): Col2ImResult {
  const { batch: B, inChannels: C, paddedHeight: Hp, paddedWidth: Wp, outPositions, patchSize } = info;
  const padded = zeros(paddedShape(info), cols.dtype);
  const block = C * Hp * Wp;
  const n = outPositions * patchSize;
  for (let b = 0; b < B; b++) movePatches(info, padded.data.subarray(b * block, (b + 1) * block), cols.data.subarray(b * n, (b + 1) * n), true);
  return { padded, counts: col2imCounts(info, cols.dtype) };
}

/** (Hp, Wp): how many a_t entries col2im adds into each padded pixel. */
export function col2imCounts(info: ConvInfo, dtype: DType): Tensor {
  const { paddedHeight: Hp, paddedWidth: Wp } = info;
  // Every channel sees the same windows, and the windows are rows × columns: the copies landing on pixel (y, x)
  // are those landing on row y times those landing on column x.
  const rows = windowCounts(info.outHeight, info.kernelHeight, info.strideHeight, info.dilationHeight, Hp);
  const columns = windowCounts(info.outWidth, info.kernelWidth, info.strideWidth, info.dilationWidth, Wp);
  const counts = zeros([Hp, Wp], dtype);
  for (let y = 0; y < Hp; y++) for (let x = 0; x < Wp; x++) counts.data[y * Wp + x] = rows[y] * columns[x];
  return counts;
}

/** How many (window, tap) pairs land on each of `size` places along one axis. */
function windowCounts(windows: number, taps: number, stride: number, dilation: number, size: number): Float64Array {
  const n = new Float64Array(size);
  for (let i = 0; i < windows; i++) for (let k = 0; k < taps; k++) n[i * stride + k * dilation]++;
  return n;
}
