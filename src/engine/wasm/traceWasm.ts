// The conv trace on the WebAssembly kernels: every tensor trace.ts shows, a_t and ∂C/∂a_t materialised as the panel
// shows them, for the cost of the passes' three products plus the copies. The products read im2col's windows
// through the tables (as conv2d and the gradients do), im2col and col2im run in the module over one block of rows at
// a time (a_t and ∂C/∂a_t pass through it on their way out, so the module's memory stays near one activation), and
// each tensor's range is taken in the module where it is produced (tensorStats only when a value is not finite).

import { weightMatrix } from '../conv2d';
import type { ConvBackward, ConvForward } from '../conv2d';
import { ConvInfo, outputShape, paddedShape } from '../convInfo';
import { col2imCounts, unpadded } from '../im2col';
import { Tensor, TensorData, TensorStats, sameValues, statsOfRange, tensorStatsLoops, zeros } from '../tensor';
import { addBiasGrad, prepare, putPadded, table } from './convWasm';
import { Floats, WasmLayout, arithmetic } from './gemmWasm';

/** a_t and ∂C/∂a_t go through the module in blocks of rows of at most this many bytes. */
const BLOCK_BYTES = 8 << 20;
let blockBytes = BLOCK_BYTES;

/** Sets the bytes of a block of rows (tests run several blocks on small layers); no argument: the default. */
export function setTraceBlockBytes(bytes = BLOCK_BYTES): void {
  blockBytes = bytes;
}

export interface WasmConvTrace {
  forward: ConvForward;
  backward?: ConvBackward;
  /** The statistics of the tensors above, by their trace names, taken where they were made. */
  stats: Record<string, TensorStats>;
}

/** The product's part of a conv's trace (a, w_t, z_t, z), made before the rest: a_t is made with the backward pass. */
export interface WasmConvProduct {
  forward: Omit<ConvForward, 'a_t'>;
  stats: Record<string, TensorStats>;
}

/** min and max gathered over blocks in the module; the first NaN or ±Infinity sends the tensor to tensorStats. */
class Range {
  private lo = Infinity;
  private hi = -Infinity;
  private bad = false;

  constructor(private readonly L: WasmLayout, private readonly out: number, private readonly f64: Float64Array) {}

  /** Adds n values at byte offset p. */
  add(p: number, n: number): this {
    if (n === 0) return this;
    this.bad = this.L.stats(p, n, this.out) || this.bad;
    this.lo = Math.min(this.lo, this.f64[0]);
    this.hi = Math.max(this.hi, this.f64[1]);
    return this;
  }

  /** The statistics of `data`, the values added, exactly as tensorStats gives them. */
  of(data: TensorData): TensorStats {
    return this.bad ? tensorStatsLoops(data) : statsOfRange(data, this.lo, this.hi);
  }
}

/** A tensor of `shape` copied out of the module from byte offset `at`. */
function copyOut(floats: Floats, at: number, shape: readonly number[], like: Tensor): Tensor {
  const out = zeros(shape, like.dtype);
  const from = at / floats.BYTES_PER_ELEMENT;
  out.data.set(floats.subarray(from, from + out.data.length));
  return out;
}

/**
 * The forward tensors (and, given δ, the backward ones) of a conv's trace with their statistics, or undefined when
 * the kernels are off or the layer too big for the module (trace.ts then runs conv2dForward and conv2dBackward).
 * `made`: the product's part this module made already for the same input (convProductWasm, a network's forward
 * pass): the rest is made, the product not run again.
 */
export function convTraceWasm(input: Tensor, weight: Tensor, bias: Tensor | undefined, delta: Tensor | undefined, info: ConvInfo, made?: WasmConvProduct): WasmConvTrace | undefined {
  return convTraceParts(input, weight, bias, delta, info, made) as WasmConvTrace | undefined;
}

/** The product's part of a conv's trace alone (convTraceWasm then makes the rest), or undefined (see convTraceWasm). */
export function convProductWasm(input: Tensor, weight: Tensor, bias: Tensor | undefined, info: ConvInfo): WasmConvProduct | undefined {
  return convTraceParts(input, weight, bias, undefined, info, undefined, true) as WasmConvProduct | undefined;
}

function convTraceParts(input: Tensor, weight: Tensor, bias: Tensor | undefined, delta: Tensor | undefined, info: ConvInfo, made?: WasmConvProduct, productOnly = false): WasmConvTrace | WasmConvProduct | undefined {
  const { batch: B, inChannels: C, inHeight: H, inWidth: W, paddedHeight: Hp, paddedWidth: Wp, padTop, padLeft, outChannels: Cout, outPositions: HW,
    patchSize: K, groupPatchSize: Kg, outChannelsPerGroup: Cog, groups } = info;
  const rows = B * HW;
  const padSize = B * C * Hp * Wp;
  const E = input.data.BYTES_PER_ELEMENT;
  const block = Math.max(1, Math.min(rows, Math.floor(blockBytes / (E * K))));
  // The same memory whether the product was made or not: where one way fits the module, so does the other.
  const p = prepare(info, [input, weight, ...(bias ? [bias] : []), ...(delta ? [delta] : [])], Math.max(Cog, Kg), L => ({
    padded: L.reserve(padSize), w: L.reserve(Cout * Kg), zt: L.reserve(rows * Cout), z: L.reserve(rows * Cout),
    block: productOnly ? 0 : L.reserve(block * K), blockRow: L.reserve(block, true), column: L.reserve(K, true), range: L.reserve(16 / E),
    bias: bias ? L.reserve(Cout) : 0,
    d: delta ? L.reserve(rows * Cout) : 0, dt: delta ? L.reserve(rows * Cout) : 0,
    dPadded: delta ? L.reserve(padSize) : 0, dW: delta ? L.reserve(Cout * Kg) : 0,
  }));
  if (!p) return undefined;
  const { L, floats, t, r, scratch } = p;
  const ints = new Int32Array(floats.buffer);
  arithmetic(ints, r.blockRow, block, K);
  arithmetic(ints, r.column, K, 1);
  const f64 = new Float64Array(floats.buffer, r.range, 2);
  const range = () => new Range(L, r.range, f64);
  const stats: Record<string, TensorStats> = {};
  /** The tensor at byte offset `at`, copied out, with its statistics taken there. */
  const out = (name: string, at: number, shape: readonly number[]) => {
    const tensor = copyOut(floats, at, shape, input);
    stats[name] = range().add(at, tensor.data.length).of(tensor.data);
    return tensor;
  };
  /** a, then z_t = a_t @ w_t (group by group) and z, copied out with their statistics. */
  const forwardProduct = () => {
    // Nothing padded, a is the input's values (its statistics the input's, recorded before it).
    const a = unpadded(info) ? sameValues(input) : out('a', r.padded, paddedShape(info));
    L.zero(r.zt, rows * Cout);
    for (let g = 0; g < groups; g++) {
      // z_t[r, o] = Σ_k padded[window[r] + tap[g·Kg + k]] · weight[o, k]: a_t @ w_t, group by group.
      L.gemm(rows, Cog, Kg, r.padded, t.window, table(t.tap, g * Kg), r.w, t.unit, table(t.kernel, g * Cog), r.zt, t.row, table(t.channel, g * Cog), scratch);
    }
    const z_t = out('z_t', r.zt, [B, HW, Cout]);
    L.transpose(r.zt, r.z, HW, Cout, B);
    if (bias) {
      // z += b, plane by plane, while z is still in the module for its range: one rounding, as the lean forward adds it.
      floats.set(bias.data, r.bias / E);
      L.addBias(r.z, r.bias, B, Cout, HW);
    }
    const z = out('z', r.z, outputShape(info));
    return { a, z_t, z };
  };

  putPadded(L, floats, r.padded, input, info);
  floats.set(weight.data, r.w / E);
  if (made) Object.assign(stats, made.stats);
  const { a, z_t, z } = made ? made.forward : forwardProduct();
  if (productOnly) return { forward: { a, w_t: weightMatrix(weight, info), z_t, z }, stats };

  if (delta) {
    floats.set(delta.data, r.d / E);
    stats.delta = range().add(r.d, rows * Cout).of(delta.data);
    L.transpose(r.d, r.dt, Cout, HW, B);
    L.zero(r.dPadded, padSize);
    L.zero(r.dW, Cout * Kg);
  }
  const delta_t = delta ? out('delta_t', r.dt, [B, HW, Cout]) : undefined;
  const a_t = zeros([B, HW, K], input.dtype);
  const dA_t = delta ? zeros([B, HW, K], input.dtype) : undefined;
  const [aRange, dRange] = [range(), range()];
  for (let r0 = 0; r0 < rows; r0 += block) {
    const n = Math.min(block, rows - r0);
    const [from, to] = [r.block / E, r.block / E + n * K];
    L.gather(r.padded, t.window, r0, n, t.tap, K, r.block);
    aRange.add(r.block, n * K);
    a_t.data.set(floats.subarray(from, to), r0 * K);
    if (!dA_t) continue;
    for (let g = 0; g < groups; g++) {
      // ∂C/∂w[o, k] += Σ_r δ[o, r] · a_t[r, g·Kg + k] over these rows: δ @ a_t, read from the block, whose columns lie
      // side by side (the kernel packs them 8 at a time, where the windows' taps through the tables go one by one).
      L.gemm(Cog, Kg, n, r.d, table(t.plane, g * Cog), table(t.position, r0), r.block, r.blockRow, table(r.column, g * Kg), r.dW, table(t.kernel, g * Cog), t.unit, scratch);
    }
    L.zero(r.block, n * K);
    for (let g = 0; g < groups; g++) {
      // ∂C/∂a_t[r, g·Kg + k] = Σ_o δ_t[r, g·Cog + o] · weight[g·Cog + o, k]: δ_t @ w_tᵀ, these rows.
      L.gemm(n, Kg, Cog, r.dt, table(t.row, r0), table(t.channel, g * Cog), r.w, table(t.kernel, g * Cog), t.unit, r.block, r.blockRow, table(r.column, g * Kg), scratch);
    }
    dRange.add(r.block, n * K);
    dA_t.data.set(floats.subarray(from, to), r0 * K);
    L.scatterAdd(r.block, r.dPadded, t.window, r0, n, t.tap, K);
  }
  stats.a_t = aRange.of(a_t.data);
  const forward: ConvForward = { a, a_t, w_t: made?.forward.w_t ?? weightMatrix(weight, info), z_t, z };
  if (!delta || !delta_t || !dA_t) return { forward, stats };

  stats.dA_t = dRange.of(dA_t.data);
  const dA_padded = out('dA_padded', r.dPadded, paddedShape(info));
  // ∂C/∂input: the padding cut off in the module, once dA_padded is out (a row at a time in JS is slower).
  const dA = unpadded(info) ? sameValues(dA_padded) : (L.crop(r.dPadded, B * C, H, W, Hp, Wp, padTop, padLeft), copyOut(floats, r.dPadded, [B, C, H, W], input));
  const dW = out('dW', r.dW, weight.shape);
  const db = zeros([Cout], input.dtype);
  addBiasGrad(delta.data, db.data, B, Cout, HW, HW, 1);
  const backward: ConvBackward = {
    delta, delta_t, dA_t, dA_padded, col2im_counts: col2imCounts(info, input.dtype), dA,
    dW_t: weightMatrix(dW, info), dW, db,
  };
  return { forward, backward, stats };
}
