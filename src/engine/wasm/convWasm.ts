// Convolutions on the GEMM kernel without materializing a_t or ∂C/∂a_t: the
// kernel reads A through im2col's offsets (row r = window r, column k = tap k:
// padded pixel window[r] + tap[k]) and adds the tiles of ∂C/∂a_t straight into
// the padded input gradient through the same offsets (col2im). z_t = a_t @ w_t is
// written through z's tables, so every thread leaves its windows in z's own
// layout (planes of windows), and δ goes in in its own. The trace, which shows a_t and ∂C/∂a_t,
// materializes them instead (conv2d.ts); these serve conv2d, conv2dInputGrad and
// conv2dWeightGrad, where only the results are wanted.

import type { ConvInfo } from '../convInfo';
import { Tensor, TensorData, copyRun, zeros } from '../tensor';
import { Floats, WasmLayout, arithmetic, wasmLayout } from './gemmWasm';
import { ANY_SPLIT, Split, canSplit } from './gemmThreads';

/** The tables every pass uses, reserved in a layout. */
export interface Tables {
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
    kernel: L.reserve(Cout, true), unit: L.reserve(Kg, true),
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
  arithmetic(ints, t.plane, Cout, HW);
  for (let b = 0; b < B; b++) arithmetic(ints, t.position + 4 * b * HW, HW, 1, b * Cout * HW);
}

/**
 * Copies the input into `at` with its zero padding: in one piece to the region's end, then row by row into place in the
 * module (a copy per row from here took 4.5 ms of the batch-8 ResNet block's 48 ms forward on the calling thread alone,
 * where the threads do not help; this takes under 1 ms).
 */
export function putPadded(L: WasmLayout, floats: Floats, at: number, input: Tensor, info: ConvInfo): void {
  const { batch, inChannels, inHeight: H, inWidth: W, paddedHeight: Hp, paddedWidth: Wp, padTop, padLeft } = info;
  const [planes, base] = [batch * inChannels, at / L.E];
  const dense = planes * H * W;
  floats.set(input.data.subarray(0, dense), base + planes * Hp * Wp - dense);
  if (Hp !== H || Wp !== W) L.pad(at, planes, H, W, Hp, Wp, padTop, padLeft);
}

/**
 * Copies `planes` planes of `rows` rows, `width` long, each side with its own row and plane strides (a padded
 * plane and a dense one), each row by copyRun (a deep layer's rows of 7 or 14 element by element).
 */
function copyRows(src: Floats, srcAt: number, srcStride: number, srcPlane: number, dst: Floats, dstAt: number, dstStride: number, dstPlane: number, planes: number, rows: number, width: number): void {
  if (srcStride === width && dstStride === width && srcPlane === rows * width && dstPlane === rows * width) {
    // Dense on both sides (no padding: the rot180 view's full convolution, a valid conv): one copy, no views per row.
    dst.set(src.subarray(srcAt, srcAt + planes * rows * width), dstAt);
    return;
  }
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < rows; y++) {
      const s = srcAt + p * srcPlane + y * srcStride;
      const d = dstAt + p * dstPlane + y * dstStride;
      copyRun(src, s, dst, d, width);
    }
  }
}

/**
 * ∂C/∂b added into `db`: each batch item's sum over the positions of channel o, then added to db[o] in batch order —
 * one order for every path (the lean run, the trace's kernels and its loops), so all give db the same bits. δ's
 * channel o at position q of item b is d[b·Cout·HW + o·channelStride + q·positionStride] (δ: HW, 1; δ_t: 1, Cout).
 */
export function addBiasGrad(d: TensorData, db: TensorData, B: number, Cout: number, HW: number, channelStride: number, positionStride: number): void {
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < Cout; o++) {
      let s = 0;
      const at = b * Cout * HW + o * channelStride;
      for (let q = 0; q < HW; q++) s += d[at + q * positionStride];
      db[o] += s;
    }
  }
}

export const table = (t: number, skip: number) => t + 4 * skip;

/**
 * A call's memory: its own regions (byte offsets), the tables filled, scratch for products `cols` wide. Its products
 * (one group's windows × kernels × taps at most) too small to split, on a memory of the call's own (wasmLayout).
 */
export function prepare<R>(info: ConvInfo, tensors: Tensor[], cols: number, regions: (L: WasmLayout) => R,
  work = info.batch * info.outPositions * info.outChannelsPerGroup * info.groupPatchSize) {
  const L = wasmLayout(tensors[0].data, work);
  if (!L || tensors.some(t => t.dtype !== tensors[0].dtype)) return undefined;
  const r = regions(L);
  const t = reserveTables(L, info);
  const scratch = L.scratch(cols);
  const mem = L.open();
  if (!mem) return undefined;
  fillTables(mem.ints, t, info);
  return { L, E: L.E, floats: mem.floats, ints: mem.ints, t, r, scratch };
}

/**
 * Whether the product runs as z = w @ a_tᵀ (kernels as the rows) rather than z_t = a_t @ w_t: when there are fewer
 * windows than kernels (a deep layer's small maps), packing the many kernels as the kernel's left operand
 * reads them row by row, where packing them as its right one gathers them column by column. Also when the kernels
 * fill the kernel's 4-tall tiles better than its 8-wide ones (a few kernels: the rot180 view of a 1-channel input
 * has one, which would leave 7 of 8 columns of every tile empty).
 */
const kernelsAsRows = (info: ConvInfo) => {
  const Cog = info.outChannelsPerGroup;
  return info.batch * info.outPositions < Cog || Math.ceil(Cog / 4) * 4 < Math.ceil(Cog / 8) * 8;
};

/**
 * The module holds at most this many weights at a time: a deep layer's 2.4M go through in slices of kernels (its
 * memory, never shrunk, stays near the biggest activation instead of the biggest weight).
 */
const WEIGHT_SLICE = 1 << 19;
let weightSlice = WEIGHT_SLICE;

/** Sets the most weights the module holds at a time (tests run the sliced path on small layers); no argument: the default. */
export function setWeightSlice(weights = WEIGHT_SLICE): void {
  weightSlice = weights;
}

/**
 * The slices of a group's Cog kernels [o0, o0 + n) that the module takes in turn: all at once when they fit in
 * `limit` weights, else in equal slices, a multiple of 8 kernels each (the kernel's tile is 8 wide).
 */
export function kernelSlices(Cog: number, Kg: number, limit = weightSlice): { o0: number; n: number }[] {
  const count = Math.ceil((Cog * Kg) / limit);
  const size = count <= 1 ? Cog : Math.min(Cog, Math.ceil(Math.ceil(Cog / count) / 8) * 8);
  const slices: { o0: number; n: number }[] = [];
  for (let o0 = 0; o0 < Cog; o0 += size) slices.push({ o0, n: Math.min(size, Cog - o0) });
  return slices;
}

/**
 * A (windows × Cout) matrix, z_t forward or δ backward, goes through the module at most this many values at a time: a
 * block of windows, so that the module (a memory never shrunk) holds neither the whole z_t and z nor the whole δ
 * (ResNet's first conv: 12544 windows × 64 kernels, 3.2 MB each). 2^18 values (1 MB in float32): with 2^17 the batch-8
 * ResNet block's forward on 2 threads gained 1.34–1.52× over one thread, with 2^18 1.56× as unblocked (1.57×), the
 * training run's peak the same (1.87–1.96× either way): each block's product is split across the threads, and the
 * smaller they are, the more the serial copies and the threads' waking weigh.
 */
const BLOCK_VALUES = 1 << 18;
let blockValues = BLOCK_VALUES;

/** Sets the most values of z_t or δ the module holds at a time (tests run the blocked paths on small layers); no argument: the default. */
export function setBlockValues(values = BLOCK_VALUES): void {
  blockValues = values;
}

/**
 * Windows per block: all of them when they fit in `limit` values, else a multiple of `multiple` (at least one). The
 * backward's blocks are a multiple of 3072 windows, the kernel's KC (384) and NC (1024) both dividing it: its products
 * then add their terms in the same order as over all windows at once, and give the same gradients to the bit.
 */
export function windowBlock(windows: number, Cout: number, multiple: number, limit = blockValues): number {
  return windows * Cout <= limit ? windows : Math.min(windows, Math.max(multiple, Math.floor(limit / Cout / multiple) * multiple));
}
const FORWARD_MULTIPLE = 32;
const BACKWARD_MULTIPLE = 3072;

/**
 * The forward's windows per block (its sums are over taps, so any cut gives the same z): all when they fit in `limit`
 * values, else blocks of equal size, whole images where one fits (the batch-8 ResNet block: 8 of 3136 windows, where
 * a multiple of 32 as large as fits gave 6 of 4096 and one of 512, a last product too small to share well), else a
 * multiple of 32.
 */
export function forwardBlock(batch: number, HW: number, Cout: number, limit = blockValues): number {
  const windows = batch * HW;
  if (windows * Cout <= limit) return windows;
  const images = Math.floor(limit / (HW * Cout));
  if (images >= 1) return Math.ceil(batch / Math.ceil(batch / images)) * HW;
  const count = Math.ceil((windows * Cout) / limit);
  return Math.min(windows, Math.ceil(windows / count / FORWARD_MULTIPLE) * FORWARD_MULTIPLE);
}

/**
 * The distance between the planes of z's block in the module: the block, or 16 more when that is a multiple of 2 KiB. The
 * kernel writes each tile into 8 planes, and planes a multiple of 2 KiB apart fall on one or two cache sets (the
 * transpose this replaced, into planes 4096 windows apart, took 14 ms of a 60 ms forward; 3136 apart, 1.4 ms).
 */
export const planeStride = (block: number, E: number) => ((block * E) % 2048 === 0 ? block + 16 : block);

/** z = conv2d(input, weight) + bias, or undefined when the kernels are off or the layer too big for them. */
export function conv2dWasm(input: Tensor, weight: Tensor, bias: Tensor | undefined, info: ConvInfo): Tensor | undefined {
  const { batch: B, inChannels: C, paddedHeight: Hp, paddedWidth: Wp, outChannels: Cout, outPositions: HW, groupPatchSize: Kg, outChannelsPerGroup: Cog, groups } = info;
  const rowsFirst = kernelsAsRows(info);
  const slices = kernelSlices(Cog, Kg);
  const block = rowsFirst ? 0 : forwardBlock(B, HW, Cout);
  const blocks = rowsFirst ? 0 : Math.ceil((B * HW) / block);
  const stride = rowsFirst ? 0 : planeStride(block, input.data.BYTES_PER_ELEMENT);
  const p = prepare(info, [input, weight], rowsFirst ? B * HW : slices[0].n, L => ({
    // z's blocks (Cout, block), planes `stride` apart (window r0 + i at i, kernel o's plane at o·stride), in two
    // regions when there are several: one is copied out while the threads fill the other.
    padded: L.reserve(B * C * Hp * Wp), w: L.reserve(slices[0].n * Kg), z: L.reserve(rowsFirst ? B * Cout * HW : Cout * stride * Math.min(blocks, 2)),
    zRow: rowsFirst ? 0 : L.reserve(block, true), zPlane: rowsFirst ? 0 : L.reserve(Cout, true), b: bias ? L.reserve(Cout) : 0,
  }));
  if (!p) return undefined;
  const { L, E, floats, ints, t, r: { padded, w, z, zRow, zPlane, b }, scratch } = p;
  putPadded(L, floats, padded, input, info);
  // The bias is added once the product is summed (z = Σ + b, as the trace adds it: a z started at b would sum
  // (b + Σ₁) + Σ₂ over the kernel's runs of k, where the trace's z_t has Σ₁ + Σ₂).
  if (bias) floats.set(bias.data, b / E);
  const loadSlice = (o: number, n: number) => floats.set(weight.data.subarray(o * Kg, (o + n) * Kg), w / E);
  if (rowsFirst) {
    // z[b, o, q] starts at 0; z += w @ a_tᵀ, group by group, straight into z's planes; then the bias.
    L.zero(z, B * Cout * HW);
    for (let g = 0; g < groups; g++) {
      for (const { o0, n } of slices) {
        const o = g * Cog + o0;
        loadSlice(o, n);
        L.gemm(n, B * HW, Kg, w, t.kernel, t.unit, padded, table(t.tap, g * Kg), t.window, z, table(t.plane, o), t.position, scratch);
      }
    }
    if (bias) L.addBias(z, b, B, Cout, HW);
    return outputOf(floats, z / E, input, info);
  }
  const out = zeros([B, Cout, info.outHeight, info.outWidth], input.dtype);
  arithmetic(ints, zRow, block, 1);
  arithmetic(ints, zPlane, Cout, stride);
  const zOf = (k: number) => z + (k % 2) * Cout * stride * E;
  const rowsOf = (k: number) => Math.min(block, B * HW - k * block);
  // Block k of z starts at 0; the products are added onto it, then the bias, and it is copied out.
  const start = (k: number) => {
    if (k >= blocks) return;
    for (let o = 0; o < Cout; o++) L.zero(zOf(k) + o * stride * E, rowsOf(k));
  };
  const finish = (k: number) => {
    if (bias) L.addRows(zOf(k), b, Cout, rowsOf(k), stride);
    blockInto(floats, zOf(k) / E, stride, k * block, rowsOf(k), out.data, Cout, HW);
  };
  start(0);
  for (let k = 0; k < blocks; k++) {
    // While the helpers multiply block k, this thread copies block k - 1 out (the first write of each page of a new
    // output is the kernel's to fault in: it cost the batch-8 ResNet block up to 10 ms on this thread alone) and
    // starts block k + 1 on the bias in its region.
    let during: (() => void) | undefined = () => { if (k > 0) finish(k - 1); start(k + 1); };
    for (let g = 0; g < groups; g++) {
      for (const { o0, n } of slices) {
        const o = g * Cog + o0;
        if (k === 0 || groups > 1 || slices.length > 1) loadSlice(o, n); // one slice of one group: loaded once
        // z[o, r] += Σ_k padded[window[r] + tap[g·Kg + k]] · weight[o, k], for the block's windows and the slice's kernels o:
        // z_t's product written through z's tables, so each thread puts its own windows in z's layout (no transpose after).
        L.gemm(rowsOf(k), n, Kg, padded, table(t.window, k * block), table(t.tap, g * Kg), w, t.unit, t.kernel, zOf(k), zRow, table(zPlane, o), scratch,
          ANY_SPLIT, during);
        during = undefined;
      }
    }
  }
  finish(blocks - 1);
  return out;
}

/** Windows [r0, r0 + rows) in runs that stay in one image: `run(b, r, n)`, image b's windows r .. r + n. */
function imageRuns(r0: number, rows: number, HW: number, run: (b: number, r: number, n: number) => void): void {
  for (let r = r0; r < r0 + rows;) {
    const b = Math.floor(r / HW);
    const n = Math.min(r0 + rows, (b + 1) * HW) - r;
    run(b, r, n);
    r += n;
  }
}

/** Windows [r0, r0 + rows) of z, in the module as (Cout, rows) at element `at` with planes `stride` apart, into z (B, Cout, HW), image by image. */
function blockInto(floats: Floats, at: number, stride: number, r0: number, rows: number, z: Floats, Cout: number, HW: number): void {
  imageRuns(r0, rows, HW, (b, r, n) => copyRows(floats, at + r - r0, 0, stride, z, b * Cout * HW + r - b * HW, 0, HW, Cout, 1, n));
}

/** Rows [r0, r0 + rows) of δ_t, from δ (B, Cout, HW), into the module as (Cout, rows) at element `at`, kernel o's row `stride` long. */
function blockFrom(delta: Floats, r0: number, rows: number, floats: Floats, at: number, stride: number, Cout: number, HW: number): void {
  imageRuns(r0, rows, HW, (b, r, n) => copyRows(delta, b * Cout * HW + r - b * HW, 0, HW, floats, at + r - r0, 0, stride, Cout, 1, n));
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

/** How col2im's product may be cut across threads: at channels, or at images where δ's blocks are whole images. */
function col2imSplit(info: ConvInfo, block: number): Split {
  return { rowUnit: info.kernelHeight * info.kernelWidth, colUnit: block % info.outPositions === 0 ? info.outPositions : 0, scatter: true };
}

/**
 * Whether ∂C/∂input alone runs on a memory of its own with helpers installed, as a product too small to split: where
 * col2im cannot be cut across threads (the stem's 3 channels, in blocks of δ that are not whole images), the helpers'
 * shared memory would only slow this thread's copies (0.93–0.95× one thread's time).
 */
export function inputGradOwnMemory(info: ConvInfo): boolean {
  const block = windowBlock(info.batch * info.outPositions, info.outChannels, BACKWARD_MULTIPLE);
  return !canSplit(info.groupPatchSize, block, col2imSplit(info, block));
}

/**
 * ∂C/∂input (given the weights) and ∂C/∂w with ∂C/∂b (given the input), in one call: δ goes into the module as
 * (Cout, windows), a block of windows at a time when it is big (windowBlock), and both products read it there, with
 * the tables filled once. ∂C/∂a_tᵀ = w_t @ δ adds its tiles into the padded input gradient (col2im: a tile's 8
 * windows are contiguous there for stride 1), and ∂C/∂w = δ @ a_t lands as the weight's own layout, summed over the
 * blocks in place. The weights go through in slices (kernelSlices), each slice's region then holding its ∂C/∂w.
 * Or undefined (see conv2dWasm).
 */
export function gradientsWasm(input: Tensor | undefined, weight: Tensor | undefined, weightShape: readonly number[], grad: Tensor, info: ConvInfo, into?: TensorData):
  { dInput?: Tensor; dWeight?: Tensor; dBias?: Tensor } | undefined {
  const { batch: B, inChannels: C, inHeight: H, inWidth: W, paddedHeight: Hp, paddedWidth: Wp, padTop, padLeft,
    outChannels: Cout, outPositions: HW, groupPatchSize: Kg, outChannelsPerGroup: Cog, groups } = info;
  const padSize = B * C * Hp * Wp;
  const slices = kernelSlices(Cog, Kg);
  const windows = B * HW;
  const block = windowBlock(windows, Cout, BACKWARD_MULTIPLE);
  const split = col2imSplit(info, block);
  const work = !input && inputGradOwnMemory(info) ? 0 : undefined;
  // ∂C/∂input over several blocks reads δ's next block into a second region while the helpers multiply this one.
  const twoRegions = !!weight && windows > block;
  const p = prepare(info, [grad, ...(input ? [input] : []), ...(weight ? [weight] : [])], Math.max(block, Kg), L => ({
    d: L.reserve(Cout * block), d2: twoRegions ? L.reserve(Cout * block) : 0, w: L.reserve(slices[0].n * Kg),
    dPadded: weight ? L.reserve(padSize) : 0, padded: input ? L.reserve(padSize) : 0,
    // δ's block (Cout, block): kernel o's row at o·block, window r0 + i at i.
    dRow: L.reserve(Cout, true), dWindow: L.reserve(block, true),
  }), work);
  if (!p) return undefined;
  const { L, E, floats, ints, t, r: { d, d2, w, dPadded, padded, dRow, dWindow }, scratch } = p;
  arithmetic(ints, dRow, Cout, block);
  arithmetic(ints, dWindow, block, 1);
  if (weight) L.zero(dPadded, padSize);
  if (input) putPadded(L, floats, padded, input, info);
  // The block of δ each region holds (-1: none). `load` reads block r0 in unless a region holds it, into the region
  // other than `busy`'s (the one the helpers are reading) when given, else the first; returns its region's index.
  const held = [-1, -1];
  const regions = [d, d2];
  const load = (r0: number, rows: number, busy?: number): number => {
    const at = held.indexOf(r0);
    if (at >= 0) return at;
    const into = busy === undefined ? 0 : 1 - busy;
    blockFrom(grad.data, r0, rows, floats, regions[into] / E, block, Cout, HW);
    held[into] = r0;
    return into;
  };
  const blocks: [number, number][] = [];
  for (let r0 = 0; r0 < windows; r0 += block) blocks.push([r0, Math.min(block, windows - r0)]);
  const dWeight = input ? zeros(weightShape, grad.dtype) : undefined;
  // δ is read no more once the products are done: ∂C/∂input may then take its array (every value is written).
  const dA: Tensor | undefined = !weight ? undefined : into && into.length === B * C * H * W && into.constructor === grad.data.constructor
    ? { shape: [B, C, H, W], dtype: grad.dtype, data: into } : zeros([B, C, H, W], grad.dtype);
  // A new array's pages are the kernel's to fault in at their first write (the batch-8 ResNet block's 6.4 MB: 17 ms
  // on this thread alone, a third of the pass on two threads): this thread writes one value a page, a share with
  // each of the first slice's products, while the helpers multiply. Never `into`, δ's own array still being read.
  const fresh = dA && dA.data !== into ? dA.data : undefined;
  const pageValues = 4096 / grad.data.BYTES_PER_ELEMENT;
  const faultIn = (part: number) => () => {
    if (!fresh) return;
    const pages = Math.ceil(fresh.length / pageValues);
    for (let q = Math.floor((part * pages) / blocks.length), end = Math.floor(((part + 1) * pages) / blocks.length); q < end; q++) fresh[q * pageValues] = 0;
  };
  for (let g = 0; g < groups; g++) {
    for (const { o0, n } of slices) {
      const o = g * Cog + o0;
      if (weight) {
        floats.set(weight.data.subarray(o * Kg, (o + n) * Kg), w / E);
        blocks.forEach(([r0, rows], k) => {
          const from = load(r0, rows);
          const next = twoRegions ? blocks[k + 1] : undefined;
          // While the helpers multiply this block: the next block of δ into the other region, and the new array's pages.
          const during = () => {
            if (g === 0 && o0 === 0) faultIn(k)();
            if (next) load(next[0], next[1], from);
          };
          // ∂C/∂a_t[r, k] = Σ_o weight[o, k] · δ[o, r], added at padded pixel window[r] + tap[k] (col2im).
          // Across threads, cut at channels (rows) or images (columns): neighbouring taps and windows add into the same pixels.
          L.gemm(Kg, rows, n, w, t.unit, t.kernel, regions[from], table(dRow, o), dWindow, dPadded, table(t.tap, g * Kg), table(t.window, r0), scratch, split, during);
        });
      }
      if (!dWeight) continue;
      // ∂C/∂w[o, k] = Σ_r δ[o, r] · padded[window[r] + tap[k]]: δ @ a_t, summed over the batch and the blocks.
      L.zero(w, n * Kg);
      for (const [r0, rows] of blocks) {
        L.gemm(n, Kg, rows, regions[load(r0, rows)], table(dRow, o), dWindow, padded, table(t.window, r0), table(t.tap, g * Kg), w, t.kernel, t.unit, scratch);
      }
      dWeight.data.set(floats.subarray(w / E, w / E + n * Kg), o * Kg);
    }
  }
  const out: { dInput?: Tensor; dWeight?: Tensor; dBias?: Tensor } = {};
  if (dWeight) {
    out.dWeight = dWeight;
    out.dBias = zeros([Cout], grad.dtype);
    addBiasGrad(grad.data, out.dBias.data, B, Cout, HW, HW, 1);
  }
  if (dA) {
    L.crop(dPadded, B * C, H, W, Hp, Wp, padTop, padLeft);
    dA.data.set(floats.subarray(dPadded / E, dPadded / E + B * C * H * W));
    out.dInput = dA;
  }
  return out;
}
