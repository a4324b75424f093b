// Where the lean run's time goes, by layer kind: a ResNet-18-shaped model at 224×224 (or `--size N`) run
// forward and backward, each kind's forward and backward timed (conv's backward also split into ∂C/∂input and
// ∂C/∂w, each run alone once more). Each run takes the arrays of the run before (releasedRun), as the product's
// runs do, so page faults on fresh memory stay out of it. For `node --cpu-prof` too: the same run, nothing else in
// the process.
//   node out/test/bench/modelProfile.js [--size 224] [--runs 2] [--forward] [--layers]
// `--layers`: each conv's backward halves, one line a layer.

import { DEFAULT_MAX_ELEMENTS } from '../../src/engine/budget';
import { conv2dInputGrad, conv2dWeightGrad } from '../../src/engine/conv2d';
import { layerSources } from '../../src/engine/graph';
import { kindOf } from '../../src/engine/layerKinds';
import { NetworkRun, releasedRun, runNetwork } from '../../src/engine/networkRun';
import { Tensor, sizeOf } from '../../src/engine/tensor';
import { modelLayers } from '../../src/specReader/onnx/model';
import { resnet18Onnx } from '../support/resnet18';

const arg = (name: string, fallback: number) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : fallback; };
const size = arg('--size', 224);
const runs = arg('--runs', 2);
const backward = !process.argv.includes('--forward');
const perLayer = process.argv.includes('--layers');
const bytes = resnet18Onnx({ size });
const layers = modelLayers(bytes, [1, 3, size, size], 'float32', DEFAULT_MAX_ELEMENTS);
const input: Tensor = { shape: [1, 3, size, size], dtype: 'float32', data: new Float32Array(sizeOf([1, 3, size, size])).map((_, i) => Math.sin(i)) };
const problem = { input, layers, dtype: 'float32' as const, loss: { type: 'cross_entropy' as const, target: [1] } };

const ms: Record<string, number> = {};
const add = (key: string, t: number) => { ms[key] = (ms[key] ?? 0) + t; };
// Each kind's forward and backward wrapped once (the registry hands out the same objects).
const wrapped = new Set<object>();
for (const l of layers) {
  const kind = kindOf(l) as unknown as Record<string, (...a: unknown[]) => unknown>;
  if (wrapped.has(kind)) continue;
  wrapped.add(kind);
  for (const pass of ['forward', 'backward'] as const) {
    const f = kind[pass];
    kind[pass] = (...a: unknown[]) => {
      const t = performance.now();
      const r = f.apply(kind, a);
      const type = pass === 'forward' ? (a[0] as { type: string }).type : (a[0] as { spec: { type: string } }).spec.type;
      const dt = performance.now() - t;
      add(`${type} ${pass}`, dt);
      // With --layers, a conv's passes by their geometry too (the layers of one shape together).
      if (perLayer && type === 'conv2d') add(`  ${pass} ${convShapes(a[0], a[1])}`, dt);
      return r;
    };
  }
}
/** A conv's weights on its input, from forward's (spec, input) or backward's ({ spec, input }, δ). */
function convShapes(first: unknown, second: unknown): string {
  const { spec, input } = 'spec' in (first as object) ? first as { spec: { weight: Tensor }; input: Tensor } : { spec: first as { weight: Tensor }, input: second as Tensor };
  return `${spec.weight.shape.join('×')} on ${input.shape.join('×')}`;
}

let last: NetworkRun | undefined;
const runOnLast = () => (last = runNetwork(problem, { backward, ...(last ? { buffers: releasedRun(last) } : {}) }));
runOnLast();
for (const k of Object.keys(ms)) delete ms[k];
const t0 = performance.now();
for (let r = 0; r < runs; r++) runOnLast();
const total = (performance.now() - t0) / runs;
const rows = Object.entries(ms).map(([k, v]) => [k, v / runs] as const).sort((a, b) => b[1] - a[1]);
console.log(`ResNet-18-shaped ${size}×${size}, ${backward ? 'forward + backward' : 'forward'}, ${runs} runs: ${total.toFixed(0)} ms a run`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(22)} ${v.toFixed(1).padStart(8)} ms  ${(100 * v / total).toFixed(1).padStart(5)} %`);
if (backward) {
  // conv's backward halves, each alone (the same operands as the run's).
  const run = runNetwork(problem);
  const sources = layerSources(layers);
  let inputGrad = 0, weightGrad = 0, firstInputGrad = 0;
  layers.forEach((l, i) => {
    if (l.type !== 'conv2d' || !run.gradients?.deltas[i]) return;
    const source = sources[i][0];
    const x = source === 'input' ? input : run.outputs[source];
    const delta = run.gradients.deltas[i]!;
    let t = performance.now();
    conv2dInputGrad(x.shape, l.weight, delta, l.options);
    const dt = performance.now() - t;
    inputGrad += dt;
    if (i === 0) firstInputGrad = dt;
    t = performance.now();
    conv2dWeightGrad(x, l.weight.shape, delta, l.options);
    const dw = performance.now() - t;
    weightGrad += dw;
    if (perLayer) console.log(`    ${i} ${kindOf(l).title(l)} on ${x.shape.join('×')}: ∂C/∂input ${dt.toFixed(1)} ms, ∂C/∂w ${dw.toFixed(1)} ms`);
  });
  console.log(`  conv backward alone:  ∂C/∂input ${inputGrad.toFixed(0)} ms (the first layer's ${firstInputGrad.toFixed(0)} ms), ∂C/∂w ${weightGrad.toFixed(0)} ms`);
}
