// Every layer of the lean run timed alone, forward and backward, with its GFLOP/s (conv layers: 2·M·N·K per
// product), beside the bare kernel on the same product (sgemm on operands already in the module's memory,
// no tables, copies or layouts): what the plumbing around the kernel costs, shape by shape.
//   node out/test/bench/modelLayerProfile.js [--size 224] [--runs 3]

import { DEFAULT_MAX_ELEMENTS } from '../../src/engine/budget';
import type { ConvInfo } from '../../src/engine/convInfo';
import { layerSources } from '../../src/engine/graph';
import { kindOf } from '../../src/engine/layerKinds';
import { ForwardCache, isMergeKind } from '../../src/engine/layerKinds/kind';
import { runNetwork } from '../../src/engine/networkRun';
import { arithmetic, wasmLayout } from '../../src/engine/wasm/gemmWasm';
import { modelLayers } from '../../src/specReader/onnx/model';
import { resnet18Onnx, sinImage } from '../support/resnet18';

const arg = (name: string, fallback: number) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : fallback; };
const size = arg('--size', 224);
const runs = arg('--runs', 3);
const layers = modelLayers(resnet18Onnx({ size }), [1, 3, size, size], 'float32', DEFAULT_MAX_ELEMENTS);
const input = sinImage(size);
const problem = { input, layers, dtype: 'float32' as const, loss: { type: 'cross_entropy' as const, target: [1] } };
const run = runNetwork(problem);
const sources = layerSources(layers);

function best(f: () => unknown): number {
  f();
  let m = Infinity;
  for (let r = 0; r < runs; r++) { const t = performance.now(); f(); m = Math.min(m, performance.now() - t); }
  return m;
}

/** The bare kernel: C (M × N) += A (M × K) @ B (K × N), dense row-major, already in the module. */
function kernelMs(M: number, N: number, K: number): number {
  const L = wasmLayout(new Float32Array(1))!;
  const [a, b, c] = [L.reserve(M * K), L.reserve(K * N), L.reserve(M * N)];
  const [ra, ca, rb, cb, rc, cc] = [L.reserve(M, true), L.reserve(K, true), L.reserve(K, true), L.reserve(N, true), L.reserve(M, true), L.reserve(N, true)];
  const scratch = L.scratch(N);
  const { ints, floats } = L.open()!;
  floats.fill(0.5, a / 4, (c / 4) + M * N);
  arithmetic(ints, ra, M, K); arithmetic(ints, ca, K, 1); arithmetic(ints, rb, K, N); arithmetic(ints, cb, N, 1); arithmetic(ints, rc, M, N); arithmetic(ints, cc, N, 1);
  return best(() => L.gemm(M, N, K, a, ra, ca, b, rb, cb, c, rc, cc, scratch));
}

const gf = (flop: number, ms: number) => (flop / ms / 1e6).toFixed(1).padStart(5);
let [fwdTotal, bwdTotal, fwdKernel, bwdKernel] = [0, 0, 0, 0];
console.log('layer  kind            shape                          fwd ms  GF/s  kernel GF/s | bwd ms  GF/s  kernels GF/s');
layers.forEach((l, i) => {
  const kind = kindOf(l);
  const ins = sources[i].map(s => (s === 'input' ? input : run.outputs[s]));
  const plan = run.plan.layers[i];
  let cache: ForwardCache = {};
  const fwd = best(() => { cache = (isMergeKind(kind) ? kind.forward(l, ins, plan) : kind.forward(l, ins[0], plan)).cache; });
  const delta = run.gradients!.deltas[i];
  const needs = sources[i].some(s => s !== 'input');
  const step = { spec: l, inputs: ins, input: ins[0], names: [], output: run.outputs[i], cache };
  const bwd = delta ? best(() => (isMergeKind(kind) ? kind.backward(step, delta) : kind.backward(step as never, delta, needs))) : 0;
  fwdTotal += fwd; bwdTotal += bwd;
  let shape = ins[0].shape.join('×');
  let line = '';
  if (l.type === 'conv2d') {
    const info = plan.geometry.info as ConvInfo;
    const [HW, Cout, K] = [info.batch * info.outPositions, info.outChannels, info.patchSize];
    const flop = 2 * HW * Cout * K;
    shape = `${info.inChannels}→${Cout} ${info.kernelHeight}×${info.kernelWidth} s${info.strideHeight} ${info.inHeight}² M=${HW} N=${Cout} K=${K}`;
    const kf = HW < Cout ? kernelMs(Cout, HW, K) : kernelMs(HW, Cout, K);
    const kb = kernelMs(HW, K, Cout) * (needs ? 1 : 0) + kernelMs(K, Cout, HW);
    fwdKernel += kf; bwdKernel += kb;
    line = `${fwd.toFixed(2).padStart(7)} ${gf(flop, fwd)} ${gf(flop, kf)} (${kf.toFixed(2)}) | ${bwd.toFixed(2).padStart(6)} ${gf(flop * (needs ? 2 : 1), bwd)} ${gf(flop * (needs ? 2 : 1), kb)} (${kb.toFixed(2)})`;
  } else line = `${fwd.toFixed(2).padStart(7)}                    | ${bwd.toFixed(2).padStart(6)}`;
  console.log(`${String(i).padStart(5)}  ${l.type.padEnd(14)}  ${shape.padEnd(44)} ${line}`);
});
console.log(`sum: forward ${fwdTotal.toFixed(1)} ms (bare kernels ${fwdKernel.toFixed(1)}), backward ${bwdTotal.toFixed(1)} ms (bare kernels ${bwdKernel.toFixed(1)})`);
