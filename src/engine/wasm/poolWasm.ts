// Max pooling forward and its ∂C/∂input in the module (assembly/pool.ts): a ResNet stem's 3 × 3 stride-2 pool over
// 64 × 112 × 112 took ~6 ms forward in the loop (a NaN test and the argmax on every tap) and ~4 backward; a few planes
// at a time copied in, pooled (forward: a vector of output columns at a time) and copied out, a fraction of that.
// Same values: the first maximum wins, a NaN over any number, the padding as −Infinity; backward, δ summed into each
// winning tap in float64 in output order. False where the kernels are off: the caller's loop runs then.

import type { PoolInfo } from '../layers';
import { Floats, wasmLayout } from './gemmWasm';

/** Input values a chunk of planes holds at most (a chunk's planes, output and argmax stay in the CPU's cache). */
const CHUNK_VALUES = 1 << 16;
/** The vector loads of stride 2 read one value past the last column they use. */
const SLACK = 4;

/** ∂C/∂input (B·C planes of H × W) of the max pooling `p`, from δ and the argmax (each B·C planes of Ho × Wo). */
export function maxPoolInputGradWasm(delta: Floats, argmax: Floats, dA: Floats, p: PoolInfo): boolean {
  const { inHeight: H, inWidth: W, outHeight: Ho, outWidth: Wo, paddedHeight: Hp, paddedWidth: Wp } = p;
  const planes = p.batch * p.channels;
  const L = wasmLayout(delta, 0);
  if (!L || planes === 0 || argmax.constructor !== delta.constructor || dA.constructor !== delta.constructor) return false;
  const chunk = Math.max(1, Math.min(planes, Math.floor(CHUNK_VALUES / (H * W))));
  const out = Ho * Wo;
  const [dAt, argAt, dxAt, tmp] = [L.reserve(chunk * out), L.reserve(chunk * out), L.reserve(chunk * H * W), L.reserve(Math.ceil((Hp * Wp * 8) / L.E))];
  const mem = L.open();
  if (!mem) return false;
  for (let c = 0; c < planes; c += chunk) {
    const n = Math.min(chunk, planes - c);
    mem.floats.set(delta.subarray(c * out, (c + n) * out), dAt / L.E);
    mem.floats.set(argmax.subarray(c * out, (c + n) * out), argAt / L.E);
    L.maxPoolBackward(dAt, argAt, dxAt, tmp, n, H, W, Ho, Wo, p.kernelWidth, p.strideHeight, p.strideWidth, p.dilationHeight, p.dilationWidth, p.padTop, p.padLeft, Hp, Wp);
    dA.set(mem.floats.subarray(dxAt / L.E, dxAt / L.E + n * H * W), c * H * W);
  }
  return true;
}

/** z and argmax (each B·C planes of Ho × Wo) of the max pooling `p` of x. */
export function maxPoolWasm(x: Floats, z: Floats, argmax: Floats, p: PoolInfo): boolean {
  const { inHeight: H, inWidth: W, outHeight: Ho, outWidth: Wo } = p;
  const planes = p.batch * p.channels;
  const L = wasmLayout(x, 0);
  if (!L || planes === 0 || z.constructor !== x.constructor || argmax.constructor !== x.constructor) return false;
  const chunk = Math.max(1, Math.min(planes, Math.floor(CHUNK_VALUES / (H * W))));
  const [xAt, zAt, argAt] = [L.reserve(chunk * H * W + SLACK), L.reserve(chunk * Ho * Wo), L.reserve(chunk * Ho * Wo)];
  const mem = L.open();
  if (!mem) return false;
  const out = Ho * Wo;
  for (let c = 0; c < planes; c += chunk) {
    const n = Math.min(chunk, planes - c);
    mem.floats.set(x.subarray(c * H * W, (c + n) * H * W), xAt / L.E);
    L.maxPool(xAt, zAt, argAt, n, H, W, Ho, Wo, p.kernelHeight, p.kernelWidth, p.strideHeight, p.strideWidth, p.dilationHeight, p.dilationWidth, p.padTop, p.padLeft);
    z.set(mem.floats.subarray(zAt / L.E, zAt / L.E + n * out), c * out);
    argmax.set(mem.floats.subarray(argAt / L.E, argAt / L.E + n * out), c * out);
  }
  return true;
}
