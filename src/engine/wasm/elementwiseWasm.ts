// ReLU forward and backward and a residual's sum in the module (assembly/elementwise.ts), for the lean run's big
// maps: the JS loops take 1–2.5 ns a value, a chunk copied in, passed over with SIMD and copied out about a tenth of
// that (a 64 × 112 × 112 ReLU: ~0.2 ms against ~2). Chunks are small enough that a chunk's copies and pass stay in the
// CPU's cache. False where the kernels are off or the arrays too short to gain: the callers' loops run then.

import { Floats, WasmLayout, wasmLayout } from './gemmWasm';

/** Shorter arrays stay in the loops (a copy in and out costs more than it saves there). */
const MIN_VALUES = 4096;
const CHUNK_VALUES = 1 << 15;

/**
 * `out` from `inputs` (each as long as it, of its type): each input's chunk copied into a region of its own, `pass`
 * run over the regions, the first region copied out into `out` (which may be one of the inputs).
 */
function chunked(inputs: readonly Floats[], out: Floats, pass: (L: WasmLayout, regions: readonly number[], n: number) => void): boolean {
  const n = out.length;
  if (n < MIN_VALUES || inputs.some(x => x.constructor !== out.constructor || x.length !== n)) return false;
  const L = wasmLayout(out, 0);
  if (!L) return false;
  const chunk = Math.min(n, CHUNK_VALUES);
  const regions = inputs.map(() => L.reserve(chunk));
  const mem = L.open();
  if (!mem) return false;
  const first = regions[0] / L.E;
  for (let i = 0; i < n; i += chunk) {
    const m = Math.min(chunk, n - i);
    inputs.forEach((x, j) => mem.floats.set(x.subarray(i, i + m), regions[j] / L.E));
    pass(L, regions, m);
    out.set(mem.floats.subarray(first, first + m), i);
  }
  return true;
}

/** h = max(z, 0). */
export const reluWasm = (z: Floats, h: Floats): boolean => chunked([z], h, (L, [p], n) => L.relu(p, n));

/** out = z ≤ 0 ? 0 · δ : δ (ReLU's ∂C/∂z; out may be δ). */
export const reluBackwardWasm = (delta: Floats, z: Floats, out: Floats): boolean =>
  chunked([delta, z], out, (L, [d, zz], n) => L.reluBackward(d, zz, n));

/** out = a + b. */
export const addWasm = (a: Floats, b: Floats, out: Floats): boolean => chunked([a, b], out, (L, [p, q], n) => L.add(p, q, n));
