// conv2d forward and backward the im2col way (docs/derivation.md, the original's errata fixed):
//   a_t = im2col(pad(a)), w_t = w.reshape(Cout, -1).T, z_t = a_t @ w_t,
//   z = z_t.transpose(0, 2, 1).reshape(B, Cout, Hout, Wout) + b
//   δ_t = δ.transpose(0, 2, 3, 1).reshape(B, Hout*Wout, Cout), ∂C/∂a_t = δ_t @ w_tᵀ,
//   ∂C/∂a = crop(col2im(∂C/∂a_t)), ∂C/∂w_t = Σ_b a_t[b]ᵀ @ δ_t[b], ∂C/∂b = Σ δ_t.
//
// Groups: w_t is block-diagonal, (Cin*kh*kw, Cout), group g's kernels filling rows
// [g*Kg, (g+1)*Kg) and columns [g*Cog, (g+1)*Cog). z_t = a_t @ w_t then holds
// literally; the products are computed block by block, never over the zeros.
// ∂C/∂w_t keeps the same block pattern: off-block entries are structural zeros,
// not parameters, and their gradient is not formed.

import { DEFAULT_MAX_ELEMENTS, PlannedTensor, checkBudget } from './budget';
import { ConvInfo, ConvOptions, checkGradShape, convInfo, outputShape, paddedShape } from './convInfo';
import { gemmAccumulate, transposed, view } from './gemm';
import { col2im, crop2d, im2col, pad2d } from './im2col';
import { Tensor, checkTensor, copyRun, filled, zeros } from './tensor';
import { addBiasGrad, conv2dWasm, gradientsWasm, inputGradWasm, weightGradWasm } from './wasm/convWasm';

export interface ConvForward {
  /** The padded input, (B, Cin, Hp, Wp). */
  a: Tensor;
  /** (B, Hout*Wout, Cin*kh*kw). */
  a_t: Tensor;
  /** (Cin*kh*kw, Cout), block-diagonal when groups > 1. */
  w_t: Tensor;
  /** (B, Hout*Wout, Cout). */
  z_t: Tensor;
  /** (B, Cout, Hout, Wout). */
  z: Tensor;
}

export interface ConvBackward {
  /** ∂C/∂z, (B, Cout, Hout, Wout). */
  delta: Tensor;
  /** (B, Hout*Wout, Cout). */
  delta_t: Tensor;
  /** ∂C/∂a_t = δ_t @ w_tᵀ, (B, Hout*Wout, Cin*kh*kw). */
  dA_t: Tensor;
  /** col2im(∂C/∂a_t) before cropping, (B, Cin, Hp, Wp). */
  dA_padded: Tensor;
  /** (Hp, Wp): how many entries of ∂C/∂a_t col2im adds into each padded pixel. */
  col2im_counts: Tensor;
  /** ∂C/∂a, (B, Cin, H, W). */
  dA: Tensor;
  /** (Cin*kh*kw, Cout), block-diagonal like w_t. */
  dW_t: Tensor;
  /** (Cout, Cin/groups, kh, kw). */
  dW: Tensor;
  /** (Cout,). */
  db: Tensor;
}

export interface Rot180View {
  /** δ with (stride-1) zeros inserted between entries, then padded by dilation*(k-1) (and up to the padded size). */
  delta_full: Tensor;
  /** Kernels rotated by 180° with in/out channels swapped per group: (Cin, Cout/groups, kh, kw). */
  w_rot180: Tensor;
  /** crop(delta_full ⋆ w_rot180): must equal ∂C/∂a. */
  dA_rot180: Tensor;
}

/** Every tensor a conv's forward pass allocates (the im2col path; the WebAssembly one needs less). */
export function convForwardTensors(info: ConvInfo): PlannedTensor[] {
  const { batch: B, outChannels: Cout, outPositions: HW, patchSize: K } = info;
  return [
    { name: 'a', shape: paddedShape(info) },
    { name: 'a_t', shape: [B, HW, K] },
    { name: 'w_t', shape: [K, Cout] },
    { name: 'z_t', shape: [B, HW, Cout] },
    { name: 'z', shape: outputShape(info) },
  ];
}

/** Every tensor traceConv allocates, transient ones included (im2col of delta_full when the loops run the rot180 view). */
export function convTraceTensors(info: ConvInfo, backward: boolean): PlannedTensor[] {
  const planned = convForwardTensors(info);
  if (!backward) return planned;
  const { batch: B, inChannels: Cin, inHeight: H, inWidth: W, outChannels: Cout, outPositions: HW, patchSize: K,
    paddedHeight: Hp, paddedWidth: Wp, kernelHeight: kh, kernelWidth: kw, outChannelsPerGroup: Cog, groupPatchSize: Kg } = info;
  const Hf = Hp + info.dilationHeight * (kh - 1);
  const Wf = Wp + info.dilationWidth * (kw - 1);
  planned.push(
    { name: 'delta', shape: outputShape(info) },
    { name: 'delta_t', shape: [B, HW, Cout] },
    { name: 'dA_t', shape: [B, HW, K] },
    { name: 'dA_padded', shape: paddedShape(info) },
    { name: 'col2im_counts', shape: [Hp, Wp] },
    { name: 'dA', shape: [B, Cin, H, W] },
    { name: 'dW_t', shape: [K, Cout] },
    { name: 'dW', shape: [Cout, Kg] },
    { name: 'db', shape: [Cout] },
    { name: 'delta_full', shape: [B, Cout, Hf, Wf] },
    { name: 'w_rot180', shape: [Cin, Cog, kh, kw] },
    { name: 'im2col(delta_full)', shape: [B, Hp * Wp, Cout * kh * kw] },
    { name: 'dA_rot180', shape: [B, Cin, H, W] },
  );
  return planned;
}

// What each library pass allocates on the loops' path, by the trace's names.
const ROT180_VIEW = ['delta_full', 'w_rot180', 'im2col(delta_full)', 'dA_rot180'];
const INPUT_GRAD = ['delta_t', 'dA_t', 'dA_padded', 'col2im_counts', 'dA'];
const WEIGHT_GRAD = ['a', 'a_t', 'delta_t', 'dW_t', 'dW', 'db'];

/** Checks the tensors a library caller hands to a conv (shapes, dtypes, lengths). */
export function checkConvTensors(input: Tensor | undefined, weight: Tensor, bias?: Tensor, grad?: Tensor): void {
  if (input) checkTensor(input, 'input');
  checkTensor(weight, 'weight');
  if (bias) checkTensor(bias, 'bias');
  if (grad) checkTensor(grad, 'grad');
}

/** w_t = w.reshape(Cout, -1).T, spread into diagonal blocks when groups > 1. */
export function weightMatrix(weight: Tensor, info: ConvInfo): Tensor {
  const { outChannels: Cout, outChannelsPerGroup: Cog, groupPatchSize: Kg, patchSize: K } = info;
  const w_t = zeros([K, Cout], weight.dtype);
  for (let o = 0; o < Cout; o++) {
    const g = Math.floor(o / Cog);
    for (let q = 0; q < Kg; q++) w_t.data[(g * Kg + q) * Cout + o] = weight.data[o * Kg + q];
  }
  return w_t;
}

export function conv2dForward(input: Tensor, weight: Tensor, bias: Tensor | undefined, info: ConvInfo): ConvForward {
  const { batch: B, outChannels: Cout, outPositions: HW, patchSize: K, groupPatchSize: Kg, outChannelsPerGroup: Cog, groups } = info;
  const a = pad2d(input, info);
  const a_t = im2col(a, info);
  const w_t = weightMatrix(weight, info);
  const z_t = zeros([B, HW, Cout], input.dtype);
  // The batch items' rows follow each other in a_t and z_t: one product per group covers them all.
  for (let g = 0; g < groups; g++) {
    gemmAccumulate(B * HW, Cog, Kg,
      view(a_t.data, g * Kg, K),
      view(w_t.data, g * Kg * Cout + g * Cog, Cout),
      view(z_t.data, g * Cog, Cout));
  }
  const z = zeros(outputShape(info), input.dtype);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < Cout; o++) {
      const bo = bias ? bias.data[o] : 0;
      const base = (b * Cout + o) * HW;
      for (let r = 0; r < HW; r++) z.data[base + r] = z_t.data[(b * HW + r) * Cout + o] + bo;
    }
  }
  return { a, a_t, w_t, z_t, z };
}

/** δ laid out like z_t: (B, Hout·Wout, Cout). */
export function deltaMatrix(d: Tensor, info: ConvInfo): Tensor {
  const { batch: B, outChannels: Cout, outPositions: HW } = info;
  const delta_t = zeros([B, HW, Cout], d.dtype);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < Cout; o++) {
      const base = (b * Cout + o) * HW;
      for (let r = 0; r < HW; r++) delta_t.data[(b * HW + r) * Cout + o] = d.data[base + r];
    }
  }
  return delta_t;
}

/** ∂C/∂a_t = δ_t @ w_tᵀ (a block of w_tᵀ is the weight itself, (Cog, Kg) row-major): (B, Hout·Wout, Cin·kh·kw). */
export function inputGradColumns(delta_t: Tensor, weight: Tensor, info: ConvInfo): Tensor {
  const { batch: B, outChannels: Cout, outPositions: HW, patchSize: K, groupPatchSize: Kg, outChannelsPerGroup: Cog, groups } = info;
  const dA_t = zeros([B, HW, K], weight.dtype);
  for (let g = 0; g < groups; g++) {
    gemmAccumulate(B * HW, Kg, Cog,
      view(delta_t.data, g * Cog, Cout),
      view(weight.data, g * Cog * Kg, Kg),
      view(dA_t.data, g * Kg, K));
  }
  return dA_t;
}

/** ∂C/∂a_t, then col2im and the crop. */
function inputGrad(delta_t: Tensor, weight: Tensor, info: ConvInfo): Pick<ConvBackward, 'dA_t' | 'dA_padded' | 'col2im_counts' | 'dA'> {
  const dA_t = inputGradColumns(delta_t, weight, info);
  const { padded: dA_padded, counts: col2im_counts } = col2im(dA_t, info);
  return { dA_t, dA_padded, col2im_counts, dA: crop2d(dA_padded, info) };
}

/** ∂C/∂w_t = Σ_b a_t[b]ᵀ @ δ_t[b], reshaped like w; ∂C/∂b = δ summed over positions and batch. */
function weightGrad(a_t: Tensor, delta_t: Tensor, weightShape: readonly number[], info: ConvInfo): Pick<ConvBackward, 'dW_t' | 'dW' | 'db'> {
  const { batch: B, outChannels: Cout, outPositions: HW, patchSize: K, groupPatchSize: Kg, outChannelsPerGroup: Cog, groups } = info;
  const dtype = delta_t.dtype;
  const dW_t = zeros([K, Cout], dtype);
  // Σ over the batch is the inner dimension of one product: a_t's rows are every item's windows.
  for (let g = 0; g < groups; g++) {
    gemmAccumulate(Kg, Cog, B * HW,
      transposed(view(a_t.data, g * Kg, K)),
      view(delta_t.data, g * Cog, Cout),
      view(dW_t.data, g * Kg * Cout + g * Cog, Cout));
  }
  const dW = zeros(weightShape, dtype);
  for (let o = 0; o < Cout; o++) {
    const g = Math.floor(o / Cog);
    for (let q = 0; q < Kg; q++) dW.data[o * Kg + q] = dW_t.data[(g * Kg + q) * Cout + o];
  }
  const db = zeros([Cout], dtype);
  addBiasGrad(delta_t.data, db.data, B, Cout, HW, 1, Cout);
  return { dW_t, dW, db };
}

/** Backward from an upstream δ = ∂C/∂z (all ones when omitted: C = Σ z). */
export function conv2dBackward(forward: ConvForward, weight: Tensor, delta: Tensor | undefined, info: ConvInfo): ConvBackward {
  if (delta) checkGradShape(info, delta.shape);
  const d = delta ?? filled(outputShape(info), 1, weight.dtype);
  const delta_t = deltaMatrix(d, info);
  return { delta: d, delta_t, ...inputGrad(delta_t, weight, info), ...weightGrad(forward.a_t, delta_t, weight.shape, info) };
}

/**
 * The same ∂C/∂a as a full convolution: insert (stride-1) zeros between the
 * entries of δ, pad by dilation*(k-1), and cross-correlate with the kernels
 * rotated by 180° (dilated like the forward kernels).
 */
export function inputGradRot180(delta: Tensor, weight: Tensor, info: ConvInfo): Rot180View {
  const { dilationHeight: dh, dilationWidth: dw, kernelHeight: kh, kernelWidth: kw, paddedHeight: Hp, paddedWidth: Wp, groups } = info;
  const edgeH = dh * (kh - 1);
  const edgeW = dw * (kw - 1);
  // Sized so the full convolution comes out exactly (Hp, Wp); rows no window reached stay zero.
  const delta_full = insertZeros(delta, [info.strideHeight, info.strideWidth], [Hp + edgeH, Wp + edgeW], [edgeH, edgeW]);
  const w_rot180 = rot180Kernels(weight, info);
  const fullInfo = convInfo(delta_full.shape, w_rot180.shape, { dilation: [dh, dw], groups });
  // Only the result is kept: the implicit-im2col kernels spare the big transient a_t of this view.
  const dA_full = convolve(delta_full, w_rot180, undefined, fullInfo);
  return { delta_full, w_rot180, dA_rot180: crop2d(dA_full, info) };
}

/**
 * (B, C, H, W) spread into a (B, C, frameH, frameW) frame of zeros: entry (i, j) lands at
 * (top + i·sh, left + j·sw), so stride − 1 zeros separate neighbours; entries outside the frame are dropped.
 */
export function insertZeros(t: Tensor, [sh, sw]: readonly [number, number], [Hf, Wf]: readonly [number, number], [top, left]: readonly [number, number]): Tensor {
  const [B, C, H, W] = t.shape;
  const out = zeros([B, C, Hf, Wf], t.dtype);
  // The columns j that land inside the frame: left + j·sw in [0, Wf).
  const j0 = Math.max(0, Math.ceil(-left / sw));
  const j1 = Math.min(W, Math.floor((Wf - 1 - left) / sw) + 1);
  const [src, dst] = [t.data, out.data];
  for (let bc = 0; bc < B * C; bc++) {
    for (let i = 0; i < H; i++) {
      const y = top + i * sh;
      if (y < 0 || y >= Hf || j1 <= j0) continue;
      const s = (bc * H + i) * W;
      const d = (bc * Hf + y) * Wf + left;
      // Stride 1: the row is one run.
      if (sw === 1) copyRun(src, s + j0, dst, d + j0, j1 - j0);
      else for (let j = j0; j < j1; j++) dst[d + j * sw] = src[s + j];
    }
  }
  return out;
}

/** The kernels rotated by 180° with in/out channels swapped per group: (Cin, Cout/groups, kh, kw), the kernels of the adjoint conv. */
export function rot180Kernels(weight: Tensor, info: ConvInfo): Tensor {
  const { inChannels: Cin, kernelHeight: kh, kernelWidth: kw, inChannelsPerGroup: Cig, outChannelsPerGroup: Cog } = info;
  const w_rot180 = zeros([Cin, Cog, kh, kw], weight.dtype);
  for (let c = 0; c < Cin; c++) {
    const g = Math.floor(c / Cig);
    const cl = c - g * Cig;
    for (let ol = 0; ol < Cog; ol++) {
      const o = g * Cog + ol;
      for (let ki = 0; ki < kh; ki++) {
        for (let kj = 0; kj < kw; kj++) {
          w_rot180.data[((c * Cog + ol) * kh + ki) * kw + kj] =
            weight.data[((o * Cig + cl) * kh + (kh - 1 - ki)) * kw + (kw - 1 - kj)];
        }
      }
    }
  }
  return w_rot180;
}

/** z = conv2d(input, weight) + bias, for library users who want just the result. */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor, options: ConvOptions = {}): Tensor {
  checkConvTensors(input, weight, bias);
  const info = convInfo(input.shape, weight.shape, options, bias?.shape);
  checkBudget('conv2d', convForwardTensors(info), DEFAULT_MAX_ELEMENTS);
  return convolve(input, weight, bias, info);
}

/** z for a geometry already checked (and sized by the caller's own limit). */
export function convolve(input: Tensor, weight: Tensor, bias: Tensor | undefined, info: ConvInfo): Tensor {
  return conv2dWasm(input, weight, bias, info) ?? conv2dForward(input, weight, bias, info).z;
}

export interface ConvGradients {
  dInput: Tensor;
  dWeight: Tensor;
  dBias: Tensor;
}

/** Gradients of C with ∂C/∂z = grad (all ones when omitted). */
export function conv2dGradients(input: Tensor, weight: Tensor, grad?: Tensor, options: ConvOptions = {}): ConvGradients {
  checkConvTensors(input, weight, undefined, grad);
  const info = convInfo(input.shape, weight.shape, options);
  if (grad) checkGradShape(info, grad.shape);
  checkBudget('conv2d', convTraceTensors(info, true).filter(t => !ROT180_VIEW.includes(t.name)), DEFAULT_MAX_ELEMENTS);
  const g = convGradients(input, weight, grad ?? filled(outputShape(info), 1, weight.dtype), info);
  return { ...g, dInput: g.dInput! };
}

/**
 * The gradients for ∂C/∂z = delta, the geometry already checked (and sized): on the kernels where they run (both in
 * one call, sharing δ_t and the tables), else the loops. `want.input: false` skips ∂C/∂input (a network's first
 * layer, when nobody asks for the image's saliency); `want.overwrite`: delta's array may be written over, and the
 * kernels put ∂C/∂input in it when it is as big (a training run's δ, read by this layer alone).
 */
export function convGradients(input: Tensor, weight: Tensor, delta: Tensor, info: ConvInfo, want: { input: boolean; overwrite?: boolean } = { input: true }): Omit<ConvGradients, 'dInput'> & { dInput?: Tensor } {
  const fast = gradientsWasm(input, want.input ? weight : undefined, weight.shape, delta, info, want.overwrite ? delta.data : undefined);
  if (fast) return { ...(fast.dInput ? { dInput: fast.dInput } : {}), dWeight: fast.dWeight!, dBias: fast.dBias! };
  if (!want.input) {
    const { dW, db } = weightGrad(im2col(pad2d(input, info), info), deltaMatrix(delta, info), weight.shape, info);
    return { dWeight: dW, dBias: db };
  }
  const bwd = conv2dBackward(conv2dForward(input, weight, undefined, info), weight, delta, info);
  return { dInput: bwd.dA, dWeight: bwd.dW, dBias: bwd.db };
}

/** ∂C/∂input alone (the backward-input pass of a framework), given ∂C/∂z = grad. */
export function conv2dInputGrad(inputShape: readonly number[], weight: Tensor, grad: Tensor, options: ConvOptions = {}): Tensor {
  checkConvTensors(undefined, weight, undefined, grad);
  const info = convInfo(inputShape, weight.shape, options);
  checkGradShape(info, grad.shape);
  checkBudget('conv2d', convTraceTensors(info, true).filter(t => INPUT_GRAD.includes(t.name)), DEFAULT_MAX_ELEMENTS);
  return inputGradWasm(weight, grad, info) ?? inputGrad(deltaMatrix(grad, info), weight, info).dA;
}

/** ∂C/∂w and ∂C/∂b alone (the backward-weight pass), given the input and ∂C/∂z = grad. */
export function conv2dWeightGrad(input: Tensor, weightShape: readonly number[], grad: Tensor, options: ConvOptions = {}): { dWeight: Tensor; dBias: Tensor } {
  checkTensor(input, 'input');
  checkTensor(grad, 'grad');
  const info = convInfo(input.shape, weightShape, options);
  checkGradShape(info, grad.shape);
  checkBudget('conv2d', convTraceTensors(info, true).filter(t => WEIGHT_GRAD.includes(t.name)), DEFAULT_MAX_ELEMENTS);
  const fast = weightGradWasm(input, weightShape, grad, info);
  if (fast) return fast;
  const { dW, db } = weightGrad(im2col(pad2d(input, info), info), deltaMatrix(grad, info), weightShape, info);
  return { dWeight: dW, dBias: db };
}
