// conv_transpose2d the im2col way: conv2d's backward-input pass run forward (convTransposeInfo.ts has the geometry).
//   x_t = x.transpose(0, 2, 3, 1).reshape(B, H·W, Cin)        one row per input pixel
//   z_t = x_t @ w_mat, w_mat = w.reshape(Cin, −1)              (block-diagonal with groups)
//   z_full = col2im(z_t)                                       each row scattered onto its window, overlaps added
//   z = z_full cropped by padding, output_padding added, + b
// The same z directly: zeros inserted between the inputs, padded by d·(k − 1) − p, a stride-1 conv with ROT180(w).
// Backward: ∂C/∂z_full = δ padded back, ∂C/∂z_t = im2col(∂C/∂z_full), ∂C/∂x_t = ∂C/∂z_t @ w_matᵀ (a conv2d of δ
// with w), ∂C/∂w_mat = Σ_b x_t[b]ᵀ @ ∂C/∂z_t[b], ∂C/∂b = Σ δ.

import type { PlannedTensor } from './budget';
import { convInfo } from './convInfo';
import { convolve, deltaMatrix, inputGradColumns, insertZeros, rot180Kernels } from './conv2d';
import { ConvTransposeInfo, convTransposeOutputShape, dualConvInfo, insertedFrame, insertedOffset } from './convTransposeInfo';
import { gemmAccumulate, transposed, view } from './gemm';
import { col2im, im2col } from './im2col';
import { Tensor, zeros } from './tensor';

export interface ConvTransposeForward {
  /** (B, H·W, Cin). */
  x_t: Tensor;
  /** (Cin, Cout·kh·kw), block-diagonal when groups > 1. */
  w_mat: Tensor;
  /** (B, H·W, Cout·kh·kw): row r is what input pixel r adds to its window of the output. */
  z_t: Tensor;
  /** (B, Cout, Hs, Ws). */
  z_full: Tensor;
  /** (Hs, Ws): how many entries of z_t col2im adds into each pixel. */
  col2im_counts: Tensor;
  /** (B, Cout, Hout, Wout). */
  z: Tensor;
}

export interface ConvTransposeDirect {
  /** The input with stride − 1 zeros between its entries, padded by d·(k − 1) − p (and output_padding). */
  x_full: Tensor;
  /** (Cout, Cin/groups, kh, kw): the kernels rotated by 180°, in/out channels swapped. */
  w_rot180: Tensor;
  /** x_full ⋆ ROT180(w) + b: must equal z. */
  z_rot180: Tensor;
}

export interface ConvTransposeBackward {
  /** δ placed back into the (B, Cout, Hs, Ws) map: ∂C/∂z_full. */
  dZ_full: Tensor;
  /** im2col(∂C/∂z_full), (B, H·W, Cout·kh·kw). */
  dZ_t: Tensor;
  /** ∂C/∂z_t @ w_matᵀ, (B, H·W, Cin). */
  dX_t: Tensor;
  /** (B, Cin, H, W). */
  dA: Tensor;
  /** (Cin, Cout·kh·kw), block-diagonal like w_mat. */
  dW_mat: Tensor;
  /** (Cin, Cout/groups, kh, kw). */
  dW: Tensor;
  /** (Cout,). */
  db: Tensor;
}

/** Every tensor the layer's trace allocates; the direct view's transient im2col included (as conv2d's rot180 view). */
export function convTransposeTensors(t: ConvTransposeInfo, backward: boolean): PlannedTensor[] {
  const { batch: B, inChannels: Cin, inHeight: H, inWidth: W, outChannels: Cout, kernelHeight: kh, kernelWidth: kw,
    inPositions: HW, patchSize: K, fullHeight: Hs, fullWidth: Ws, inChannelsPerGroup: Cig } = t;
  const z = convTransposeOutputShape(t);
  const planned: PlannedTensor[] = [
    { name: 'x_t', shape: [B, HW, Cin] },
    { name: 'w_mat', shape: [Cin, K] },
    { name: 'z_t', shape: [B, HW, K] },
    { name: 'z_full', shape: [B, Cout, Hs, Ws] },
    { name: 'col2im_counts', shape: [Hs, Ws] },
    { name: 'z', shape: z },
    { name: 'x_full', shape: [B, Cin, ...insertedFrame(t)] },
    { name: 'w_rot180', shape: [Cout, Cig, kh, kw] },
    { name: 'im2col(x_full)', shape: [B, t.outHeight * t.outWidth, Cig * t.groups * kh * kw] },
    { name: 'z_rot180', shape: z },
  ];
  if (backward) {
    planned.push(
      { name: 'dZ_full', shape: [B, Cout, Hs, Ws] },
      { name: 'dZ_t', shape: [B, HW, K] },
      { name: 'dX_t', shape: [B, HW, Cin] },
      { name: 'dA', shape: [B, Cin, H, W] },
      { name: 'dW_mat', shape: [Cin, K] },
      { name: 'dW', shape: [Cin, t.outChannelsPerGroup, kh, kw] },
      { name: 'db', shape: [Cout] },
    );
  }
  return planned;
}

/**
 * (B, C, h, w) moved into a zero (B, C, H, W) frame, entry (y, x) landing at (y − top, x − left): with
 * top = p it crops the padding (and adds output_padding's zeros past the end), with top = −p it puts δ back.
 */
function shifted(t: Tensor, [H, W]: readonly [number, number], [top, left]: readonly [number, number]): Tensor {
  const [B, C, h, w] = t.shape;
  const out = zeros([B, C, H, W], t.dtype);
  const x0 = Math.max(0, -left);
  const x1 = Math.min(W, w - left);
  if (x1 <= x0) return out;
  for (let bc = 0; bc < B * C; bc++) {
    for (let y = Math.max(0, -top); y < Math.min(H, h - top); y++) {
      const from = (bc * h + y + top) * w + left;
      out.data.set(t.data.subarray(from + x0, from + x1), (bc * H + y) * W + x0);
    }
  }
  return out;
}

/** w.reshape(Cin, Cout/groups·kh·kw), each group's rows moved to its block of columns. */
function weightRows(weight: Tensor, t: ConvTransposeInfo): Tensor {
  const { inChannels: Cin, patchSize: K, groupPatchSize: Kg, inChannelsPerGroup: Cig } = t;
  const w_mat = zeros([Cin, K], weight.dtype);
  for (let c = 0; c < Cin; c++) {
    const g = Math.floor(c / Cig);
    w_mat.data.set(weight.data.subarray(c * Kg, (c + 1) * Kg), c * K + g * Kg);
  }
  return w_mat;
}

/** (B, R, C) rows back to (B, C, h, w) maps, the inverse of deltaMatrix. */
function mapsOf(rows: Tensor, [B, C, h, w]: readonly number[]): Tensor {
  const out = zeros([B, C, h, w], rows.dtype);
  const R = h * w;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const base = (b * C + c) * R;
      for (let r = 0; r < R; r++) out.data[base + r] = rows.data[(b * R + r) * C + c];
    }
  }
  return out;
}

function addBias(z: Tensor, bias: Tensor): void {
  const [B, C, h, w] = z.shape;
  const plane = h * w;
  for (let bc = 0; bc < B * C; bc++) {
    const v = bias.data[bc % C];
    for (let p = bc * plane; p < (bc + 1) * plane; p++) z.data[p] += v;
  }
}

export function convTransposeForward(x: Tensor, weight: Tensor, bias: Tensor | undefined, t: ConvTransposeInfo): ConvTransposeForward {
  const dual = dualConvInfo(t);
  const x_t = deltaMatrix(x, dual);
  // x_t @ w_mat is the dual conv's δ_t @ w_tᵀ: the same product, the same kernels.
  const z_t = inputGradColumns(x_t, weight, dual);
  const { padded: z_full, counts: col2im_counts } = col2im(z_t, dual);
  const z = shifted(z_full, [t.outHeight, t.outWidth], [t.padTop, t.padLeft]);
  if (bias) addBias(z, bias);
  return { x_t, w_mat: weightRows(weight, t), z_t, z_full, col2im_counts, z };
}

/** The same z as a direct convolution: zeros inserted, padded by d·(k − 1) − p, ⋆ ROT180(w), + b. */
export function convTransposeDirect(x: Tensor, weight: Tensor, bias: Tensor | undefined, t: ConvTransposeInfo): ConvTransposeDirect {
  const x_full = insertZeros(x, [t.strideHeight, t.strideWidth], insertedFrame(t), insertedOffset(t));
  const w_rot180 = rot180Kernels(weight, dualConvInfo(t));
  const info = convInfo(x_full.shape, w_rot180.shape, { dilation: [t.dilationHeight, t.dilationWidth], groups: t.groups }, bias?.shape);
  return { x_full, w_rot180, z_rot180: convolve(x_full, w_rot180, bias, info) };
}

export function convTransposeBackward(forward: ConvTransposeForward, weight: Tensor, delta: Tensor, t: ConvTransposeInfo): ConvTransposeBackward {
  const { batch: B, inChannels: Cin, inPositions: HW, patchSize: K, groupPatchSize: Kg, inChannelsPerGroup: Cig, groups } = t;
  const dual = dualConvInfo(t);
  const dZ_full = shifted(delta, [t.fullHeight, t.fullWidth], [-t.padTop, -t.padLeft]);
  const dZ_t = im2col(dZ_full, dual);
  const dX_t = zeros([B, HW, Cin], delta.dtype);
  const dW_mat = zeros([Cin, K], delta.dtype);
  for (let b = 0; b < B; b++) {
    for (let g = 0; g < groups; g++) {
      const dZ = view(dZ_t.data, b * HW * K + g * Kg, K);
      const x = view(forward.x_t.data, b * HW * Cin + g * Cig, Cin);
      // A block of w_matᵀ is the weight's rows of group g, (Cig, Kg) row-major, read transposed.
      gemmAccumulate(HW, Cig, Kg, dZ, transposed(view(weight.data, g * Cig * Kg, Kg)), view(dX_t.data, b * HW * Cin + g * Cig, Cin));
      gemmAccumulate(Cig, Kg, HW, transposed(x), dZ, view(dW_mat.data, g * Cig * K + g * Kg, K));
    }
  }
  const dW = zeros(weight.shape, delta.dtype);
  for (let c = 0; c < Cin; c++) {
    const g = Math.floor(c / Cig);
    dW.data.set(dW_mat.data.subarray(c * K + g * Kg, c * K + (g + 1) * Kg), c * Kg);
  }
  const db = zeros([t.outChannels], delta.dtype);
  const plane = t.outHeight * t.outWidth;
  for (let bc = 0; bc < B * t.outChannels; bc++) {
    let s = 0;
    for (let p = bc * plane; p < (bc + 1) * plane; p++) s += delta.data[p];
    db.data[bc % t.outChannels] += s;
  }
  return { dZ_full, dZ_t, dX_t, dA: mapsOf(dX_t, [B, Cin, t.inHeight, t.inWidth]), dW_mat, dW, db };
}
