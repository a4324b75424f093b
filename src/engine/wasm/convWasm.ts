// Convolutions on the GEMM kernel without materializing a_t or ∂C/∂a_t: the
// kernel reads A through im2col's offsets (row r = window r, column k = tap k:
// padded pixel window[r] + tap[k]) and adds the tiles of ∂C/∂a_t straight into
// the padded input gradient through the same offsets (col2im). δ goes in as δ_t
// and z comes out of z_t (transposed in the module): channel-minor rows keep the
// kernel's reads and writes contiguous. The trace, which shows a_t and ∂C/∂a_t,
// materializes them instead (conv2d.ts); these serve conv2d, conv2dInputGrad and
// conv2dWeightGrad, where only the results are wanted.

import type { ConvInfo } from '../convInfo';
import { Tensor, zeros } from '../tensor';
import { Floats, WasmLayout, arithmetic, wasmLayout } from './gemmWasm';

/** The tables every pass uses, reserved in a layout. */
interface Tables {
  /** B·HW: the first padded pixel of window r = b·HW + i·Wout + j. */
  window: number;
  /** K: the offset of tap k = (c·kh + ki)·kw + kj from its window's first pixel. */
  tap: number;
  /** B·HW: row r of a (B·HW, Cout) matrix (z_t, δ_t): r·Cout. */
  row: number;
  /** Cout: 0, 1, 2, ... (channel o of such a row). */
  channel: number;
  /** Cout: kernel o's offset in the weight (o·Kg). */
  kernel: number;
  /** Kg: 0, 1, 2, ... */
  unit: number;
  /** Kg: row k of ∂C/∂w_t (Kg, Cout): k·Cout. */
  tapRow: number;
  /** Cout: channel o's plane in z (B, Cout, HW): o·HW. */
  plane: number;
  /** B·HW: window r = b·HW + q's place in z's planes: b·Cout·HW + q. */
  position: number;
}

function reserveTables(L: WasmLayout, info: ConvInfo): Tables {
  const rows = info.batch * info.outPositions;
  const { outChannels: Cout, patchSize: K, groupPatchSize: Kg } = info;
  return {
    window: L.reserve(rows, true), tap: L.reserve(K, true), row: L.reserve(rows, true), channel: L.reserve(Cout, true),
    kernel: L.reserve(Cout, true), unit: L.reserve(Kg, true), tapRow: L.reserve(Kg, true),
    plane: L.reserve(Cout, true), position: L.reserve(rows, true),
  };
}

function fillTables(ints: Int32Array, t: Tables, info: ConvInfo): void {
  const { batch: B, inChannels: C, paddedHeight: Hp, paddedWidth: Wp, outHeight: Ho, outWidth: Wo, outChannels: Cout, outPositions: HW,
    kernelHeight: kh, kernelWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, groupPatchSize: Kg } = info;
  let r = t.window >> 2;
  for (let b = 0; b < B; b++) for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) ints[r++] = b * C * Hp * Wp + i * sh * Wp + j * sw;
  let k = t.tap >> 2;
  for (let c = 0; c < C; c++) for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) ints[k++] = c * Hp * Wp + ki * dh * Wp + kj * dw;
  arithmetic(ints, t.row, B * HW, Cout);
  arithmetic(ints, t.channel, Cout, 1);
  arithmetic(ints, t.kernel, Cout, Kg);
  arithmetic(ints, t.unit, Kg, 1);
  arithmetic(ints, t.tapRow, Kg, Cout);
  arithmetic(ints, t.plane, Cout, HW);
  for (let b = 0; b < B; b++) arithmetic(ints, t.position + 4 * b * HW, HW, 1, b * Cout * HW);
}

/** Copies the input into `at` with its zero padding (the region is zeroed first: the memory is reused). */
function putPadded(floats: Floats, at: number, input: Tensor, info: ConvInfo): void {
  const { batch, inChannels, inHeight: H, inWidth: W, paddedHeight: Hp, paddedWidth: Wp, padTop, padLeft } = info;
  const base = at / (floats.BYTES_PER_ELEMENT);
  floats.fill(0, base, base + batch * inChannels * Hp * Wp);
  for (let bc = 0; bc < batch * inChannels; bc++) {
    for (let y = 0; y < H; y++) {
      const s = (bc * H + y) * W;
      floats.set(input.data.subarray(s, s + W), base + (bc * Hp + y + padTop) * Wp + padLeft);
    }
  }
}

const table = (t: number, skip: number) => t + 4 * skip;

/** A call's memory: its own regions (byte offsets), the tables filled, scratch for products `cols` wide. */
function prepare<R>(info: ConvInfo, tensors: Tensor[], cols: number, regions: (L: WasmLayout) => R) {
  const L = wasmLayout(tensors[0].data);
  if (!L || tensors.some(t => t.dtype !== tensors[0].dtype)) return undefined;
  const r = regions(L);
  const t = reserveTables(L, info);
  const scratch = L.scratch(cols);
  const mem = L.open();
  if (!mem) return undefined;
  fillTables(mem.ints, t, info);
  return { L, E: L.E, floats: mem.floats, t, r, scratch };
}

/**
 * Whether the product runs as z = w @ a_tᵀ (kernels as the rows) rather than z_t = a_t @ w_t: when there are fewer
 * windows than kernels (a deep layer's small maps), packing the many kernels as the kernel's left operand
 * reads them row by row, where packing them as its right one gathers them column by column.
 */
const kernelsAsRows = (info: ConvInfo) => info.batch * info.outPositions < info.outChannelsPerGroup;

/** z = conv2d(input, weight) + bias, or undefined when the kernels are off or the layer too big for them. */
export function conv2dWasm(input: Tensor, weight: Tensor, bias: Tensor | undefined, info: ConvInfo): Tensor | undefined {
  const { batch: B, inChannels: C, paddedHeight: Hp, paddedWidth: Wp, outChannels: Cout, outPositions: HW, groupPatchSize: Kg, outChannelsPerGroup: Cog, groups } = info;
  const rowsFirst = kernelsAsRows(info);
  const p = prepare(info, [input, weight], rowsFirst ? B * HW : Cog, L => ({ padded: L.reserve(B * C * Hp * Wp), w: L.reserve(Cout * Kg), zt: L.reserve(B * HW * Cout), z: L.reserve(B * Cout * HW) }));
  if (!p) return undefined;
  const { L, E, floats, t, r: { padded, w, zt, z }, scratch } = p;
  putPadded(floats, padded, input, info);
  floats.set(weight.data, w / E);
  if (rowsFirst) {
    // z[b, o, q] starts as the bias; z += w @ a_tᵀ, group by group, straight into z's planes.
    for (let bo = 0; bo < B * Cout; bo++) floats.fill(bias ? bias.data[bo % Cout] : 0, z / E + bo * HW, z / E + (bo + 1) * HW);
    for (let g = 0; g < groups; g++) {
      L.gemm(Cog, B * HW, Kg, w, table(t.kernel, g * Cog), t.unit, padded, table(t.tap, g * Kg), t.window, z, table(t.plane, g * Cog), t.position, scratch);
    }
    return outputOf(floats, z / E, input, info);
  }
  // z_t starts as the bias in every row; the products are added onto it.
  if (bias) for (let r = 0; r < B * HW; r++) floats.set(bias.data, zt / E + r * Cout);
  else floats.fill(0, zt / E, zt / E + B * HW * Cout);
  for (let g = 0; g < groups; g++) {
    // z_t[r, o] += Σ_k padded[window[r] + tap[g·Kg + k]] · weight[o, k], for the group's kernels o.
    L.gemm(B * HW, Cog, Kg, padded, t.window, table(t.tap, g * Kg), w, t.unit, table(t.kernel, g * Cog), zt, t.row, table(t.channel, g * Cog), scratch);
  }
  L.transpose(zt, z, HW, Cout, B);
  return outputOf(floats, z / E, input, info);
}

/** z (B, Cout, Hout, Wout) copied out of the module's memory from element `at`. */
function outputOf(floats: Floats, at: number, input: Tensor, info: ConvInfo): Tensor {
  const out = zeros([info.batch, info.outChannels, info.outHeight, info.outWidth], input.dtype);
  out.data.set(floats.subarray(at, at + out.data.length));
  return out;
}

/** ∂C/∂input for ∂C/∂z = grad, or undefined (see conv2dWasm). */
export function inputGradWasm(weight: Tensor, grad: Tensor, info: ConvInfo): Tensor | undefined {
  return gradientsWasm(undefined, weight, weight.shape, grad, info)?.dInput;
}

/** ∂C/∂w (and ∂C/∂b) for ∂C/∂z = grad, or undefined (see conv2dWasm). */
export function weightGradWasm(input: Tensor, weightShape: readonly number[], grad: Tensor, info: ConvInfo): { dWeight: Tensor; dBias: Tensor } | undefined {
  const g = gradientsWasm(input, undefined, weightShape, grad, info);
  return g && { dWeight: g.dWeight!, dBias: g.dBias! };
}

/**
 * ∂C/∂input (given the weights) and ∂C/∂w with ∂C/∂b (given the input), in one call: δ goes into the module and
 * is transposed to δ_t once, the tables are filled once, and both products read them. Or undefined (see conv2dWasm).
 */
export function gradientsWasm(input: Tensor | undefined, weight: Tensor | undefined, weightShape: readonly number[], grad: Tensor, info: ConvInfo):
  { dInput?: Tensor; dWeight?: Tensor; dBias?: Tensor } | undefined {
  const { batch: B, inChannels: C, inHeight: H, inWidth: W, paddedHeight: Hp, paddedWidth: Wp, padTop, padLeft,
    outChannels: Cout, outPositions: HW, groupPatchSize: Kg, outChannelsPerGroup: Cog, groups } = info;
  const padSize = B * C * Hp * Wp;
  const p = prepare(info, [grad, ...(input ? [input] : []), ...(weight ? [weight] : [])], Math.max(Kg, Cog), L => ({
    d: L.reserve(B * Cout * HW), dt: L.reserve(B * HW * Cout),
    w: weight ? L.reserve(Cout * Kg) : 0, dPadded: weight ? L.reserve(padSize) : 0,
    padded: input ? L.reserve(padSize) : 0, dwt: input ? L.reserve(Kg * Cout) : 0, dw: input ? L.reserve(Cout * Kg) : 0,
  }));
  if (!p) return undefined;
  const { L, E, floats, t, r: { d, dt, w, dPadded, padded, dwt, dw }, scratch } = p;
  floats.set(grad.data, d / E);
  L.transpose(d, dt, Cout, HW, B);
  const out: { dInput?: Tensor; dWeight?: Tensor; dBias?: Tensor } = {};
  if (weight) {
    floats.fill(0, dPadded / E, dPadded / E + padSize);
    floats.set(weight.data, w / E);
    for (let g = 0; g < groups; g++) {
      // ∂C/∂a_t[r, k] = Σ_o δ_t[r, o] · weight[o, k], added at padded pixel window[r] + tap[k] (col2im).
      L.gemm(B * HW, Kg, Cog, dt, t.row, table(t.channel, g * Cog), w, table(t.kernel, g * Cog), t.unit, dPadded, t.window, table(t.tap, g * Kg), scratch);
    }
    const dA = zeros([B, C, H, W], grad.dtype);
    const base = dPadded / E;
    for (let bc = 0; bc < B * C; bc++) {
      for (let y = 0; y < H; y++) {
        const s = base + (bc * Hp + y + padTop) * Wp + padLeft;
        dA.data.set(floats.subarray(s, s + W), (bc * H + y) * W);
      }
    }
    out.dInput = dA;
  }
  if (!input) return out;
  putPadded(floats, padded, input, info);
  floats.fill(0, dwt / E, dwt / E + Kg * Cout);
  for (let g = 0; g < groups; g++) {
    // ∂C/∂w_t[k, o] = Σ_r padded[window[r] + tap[k]] · δ_t[r, o]: a_tᵀ @ δ_t, summed over the batch.
    L.gemm(Kg, Cog, B * HW, padded, table(t.tap, g * Kg), t.window, dt, t.row, table(t.channel, g * Cog), dwt, t.tapRow, table(t.channel, g * Cog), scratch);
  }
  L.transpose(dwt, dw, Kg, Cout);
  out.dWeight = zeros(weightShape, grad.dtype);
  out.dWeight.data.set(floats.subarray(dw / E, dw / E + Cout * Kg));
  out.dBias = zeros([Cout], grad.dtype);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < Cout; o++) {
      let s = 0;
      const at = (b * Cout + o) * HW;
      for (let q = 0; q < HW; q++) s += grad.data[at + q];
      out.dBias.data[o] += s;
    }
  }
  return out;
}
