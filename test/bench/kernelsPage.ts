// The engine's kernels in a browser page (headless Chromium, run by runBench.ts): the WebAssembly SIMD GEMM as
// a web extension or the panel would load it, checked against the TypeScript loops and the direct loops, and
// the ResNet block's forward pass timed, with the relaxed-SIMD kernel (fused multiply-add; Chromium and VS Code's
// Electron have it) and the plain-SIMD one. Results go to window.kernelResult.

import { conv2d, conv2dInputGrad, conv2dWeightGrad } from '../../src/engine/conv2d';
import { convInfo } from '../../src/engine/convInfo';
import { conv2dNaive } from '../../src/engine/reference';
import { Tensor, sizeOf } from '../../src/engine/tensor';
import { setRelaxedSimd, setWasmGemm, wasmGemmAvailable, wasmKernel } from '../../src/engine/wasm/gemmWasm';

function random(shape: number[], seed: number): Tensor {
  const data = new Float32Array(sizeOf(shape));
  let s = seed;
  for (let i = 0; i < data.length; i++) { s = (s * 16807) % 2147483647; data[i] = s / 2147483647 - 0.5; }
  return { shape, dtype: 'float32', data };
}

const maxDiff = (a: Tensor, b: Tensor) => a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i])), 0);

function main(): Record<string, number | boolean | string> {
  const available = wasmGemmAvailable();
  // Agreement on a small layer with stride, padding and groups.
  const x = random([2, 4, 11, 9], 1);
  const w = random([6, 2, 3, 3], 2);
  const options = { stride: 2, padding: 1, groups: 2 };
  const info = convInfo(x.shape, w.shape, options);
  const g = random([2, 6, info.outHeight, info.outWidth], 3);
  const kernels = { z: conv2d(x, w, undefined, options), dx: conv2dInputGrad(x.shape, w, g, options), dw: conv2dWeightGrad(x, w.shape, g, options).dWeight };
  setWasmGemm(false);
  const loops = { z: conv2d(x, w, undefined, options), dx: conv2dInputGrad(x.shape, w, g, options), dw: conv2dWeightGrad(x, w.shape, g, options).dWeight };
  setWasmGemm(true);
  const vsLoops = Math.max(maxDiff(kernels.z, loops.z), maxDiff(kernels.dx, loops.dx), maxDiff(kernels.dw, loops.dw));
  const vsNaive = maxDiff(kernels.z, conv2dNaive(x, w, undefined, info));
  const kernel = wasmKernel();
  const vsPlain = (() => {
    setRelaxedSimd(false);
    const d = Math.max(maxDiff(conv2d(x, w, undefined, options), kernels.z), maxDiff(conv2dInputGrad(x.shape, w, g, options), kernels.dx));
    setRelaxedSimd(true);
    return d;
  })();
  const [fused, plain] = forwardTimes();
  return { available, kernel, vsLoops, vsNaive, vsPlain, forwardMs: fused.ms, gflops: fused.gflops, plainForwardMs: plain.ms, plainGflops: plain.gflops, userAgent: navigator.userAgent };
}

/**
 * The ResNet block forward, float32, one thread: the kernel the runtime chose, then the plain one, in turns (so
 * that a busy machine slows both alike), each warmed up after the switch; the median of 9 of each.
 */
function forwardTimes(): { ms: number; gflops: number }[] {
  const bx = random([1, 64, 56, 56], 4);
  const bw = random([64, 64, 3, 3], 5);
  const times: number[][] = [[], []];
  for (let round = 0; round < 9; round++) {
    for (const [k, relaxed] of [[0, true], [1, false]] as const) {
      setRelaxedSimd(relaxed);
      conv2d(bx, bw, undefined, { padding: 1 });
      const t0 = performance.now();
      conv2d(bx, bw, undefined, { padding: 1 });
      times[k].push(performance.now() - t0);
    }
  }
  setRelaxedSimd(true);
  const flops = 2 * 64 * 56 * 56 * 64 * 9;
  return times.map(t => {
    const ms = [...t].sort((a, b) => a - b)[4];
    return { ms, gflops: flops / ms / 1e6 };
  });
}

try {
  (window as unknown as { kernelResult: unknown }).kernelResult = main();
} catch (e) {
  (window as unknown as { kernelResult: unknown }).kernelResult = { error: String(e) };
}
