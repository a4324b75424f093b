// Run by test/unit/relaxedSimd.test.ts in a Node started with --experimental-wasm-relaxed-simd (and by the
// bench): the same convolutions with the relaxed-SIMD kernel, the plain-SIMD kernel and the TypeScript loops,
// and one multiply-add whose fused result differs from the unfused one. Prints JSON.

import { conv2d, conv2dInputGrad, conv2dWeightGrad } from '../../src/engine/conv2d';
import { view } from '../../src/engine/gemm';
import { Tensor, sizeOf } from '../../src/engine/tensor';
import { gemmWasm, setRelaxedSimd, setWasmGemm, wasmKernel } from '../../src/engine/wasm/gemmWasm';

function random(shape: number[], seed: number, dtype: 'float32' | 'float64'): Tensor {
  const data = dtype === 'float32' ? new Float32Array(sizeOf(shape)) : new Float64Array(sizeOf(shape));
  let s = seed;
  for (let i = 0; i < data.length; i++) { s = (s * 16807) % 2147483647; data[i] = s / 2147483647 - 0.5; }
  return { shape, dtype, data };
}

/** The largest difference relative to the larger magnitude (at least 1). */
function maxRelDiff(a: Tensor, b: Tensor): number {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]) / Math.max(1, Math.abs(b.data[i])));
  return m;
}

/**
 * −(1 + 2⁻¹¹) · 1 + (1 + 2⁻¹²) · (1 + 2⁻¹²) along the inner dimension is 2⁻²⁴ exactly when the second step is
 * fused; unfused, the product rounds the 2⁻²⁴ away first.
 */
function fusedStep(): boolean {
  const e = 2 ** -12;
  const A = new Float32Array([1, 1 + e]);
  const B = new Float32Array([-(1 + 2 * e), 1 + e]);
  const C = new Float32Array(1);
  // The kernel itself, not gemmAccumulate: a product this small goes to the loops, which add in float64.
  if (!gemmWasm(1, 1, 2, view(A, 0, 2), view(B, 0, 1), view(C, 0, 1))) throw new Error('the kernel did not take the product');
  return C[0] === 2 ** -24;
}

function passes(dtype: 'float32' | 'float64'): Tensor[] {
  const x = random([2, 8, 13, 11], 1, dtype);
  const w = random([16, 4, 3, 3], 2, dtype);
  const options = { stride: 2, padding: 1, groups: 2 };
  const z = conv2d(x, w, undefined, options);
  const g = random([...z.shape], 3, dtype);
  return [z, conv2dInputGrad(x.shape, w, g, options), conv2dWeightGrad(x, w.shape, g, options).dWeight];
}

const result: Record<string, unknown> = {};
for (const dtype of ['float32', 'float64'] as const) {
  const relaxed = passes(dtype);
  result.relaxedKernel = wasmKernel();
  result.fusedRelaxed = fusedStep();
  setRelaxedSimd(false);
  const plain = passes(dtype);
  result.plainKernel = wasmKernel();
  result.fusedPlain = fusedStep();
  setWasmGemm(false);
  const loops = passes(dtype);
  setWasmGemm(true);
  setRelaxedSimd(true);
  result[dtype] = {
    relaxedVsPlain: Math.max(...relaxed.map((t, i) => maxRelDiff(t, plain[i]))),
    relaxedVsLoops: Math.max(...relaxed.map((t, i) => maxRelDiff(t, loops[i]))),
  };
}
process.stdout.write(JSON.stringify(result));
