// npm run bench, part 6: what a trace costs beyond the arithmetic (issue #20). A conv trace (every tensor the panel
// shows: a_t, w_t, z_t, δ_t, dA_t, dW_t, the rot180 way…) against the engine's three passes alone (conv2d,
// conv2dInputGrad, conv2dWeightGrad) on the ResNet shapes; a network trace (traceNetwork) against the same network
// run lean (runNetwork: every layer's forward and backward passes, no stages; ∂C/∂input too, its default, since the
// trace shows the first layer's dA) on the example networks. The network trace runs each layer forward once (a conv's
// product made by its traceForward, its record making the rest); what it shows beyond the passes (the rot180 view, a
// pool's windows, h', every tensor's range) is the rest of the gap.
// Goal: each trace within 2× its passes. Both sides run in this process, one after the other, in float32. A conv's
// figures are of a re-run, as the product re-runs a spec: the panel lets the trace on show go as the next run
// begins and the worker makes the new one in its arrays (TraceJob.reuse); the passes likewise reuse their outputs.
// Its first run, in memory new to the process (a page fault per 4 KB: most of the batch-8 trace on a slow-fault
// VM), is printed beside it.

import * as fs from 'fs';
import * as path from 'path';
import { conv2d, conv2dInputGrad, conv2dWeightGrad } from '../../src/engine/conv2d';
import { traceNetwork } from '../../src/engine/network';
import { runNetwork } from '../../src/engine/networkRun';
import { reusing, wholeArrays } from '../../src/engine/recycledBuffers';
import { Tensor } from '../../src/engine/tensor';
import { recordedTensors, traceConv } from '../../src/engine/trace';
import { readNetworkSpec } from '../../src/specReader/networkSpec';
import { JsonSource } from '../../src/specReader/source';
import { CASES, ConvCase, caseData, caseLabel, outputShape } from './convCases';

const GOAL = 2;

export interface TraceRatio {
  what: string; traceMs: number; passesMs: number; ratio: number; met: boolean;
  /** The byte lengths of the new arrays each side makes (a conv's): page faults make them costly on some machines. */
  fresh?: { trace: number[]; passes: number[] };
  /** A conv's first run, each side in memory new to it (the goal's figures are of a re-run). */
  firstRun?: { traceMs: number; passesMs: number; ratio: number };
}

/**
 * Median milliseconds of `trace` and of `passes`, run in turns (a change in the machine's load falls on both)
 * after a warm-up, for at least `minRuns` turns or about `targetMs` of work.
 */
function medians(trace: () => void, passes: () => void, targetMs = 3000, minRuns = 5): { traceMs: number; passesMs: number } {
  trace();
  passes();
  const t: number[] = [];
  const p: number[] = [];
  const start = performance.now();
  const time = (run: () => void, into: number[]) => { const t0 = performance.now(); run(); into.push(performance.now() - t0); };
  while (t.length < minRuns || (performance.now() - start < targetMs && t.length < 5000)) {
    time(trace, t);
    time(passes, p);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { traceMs: median(t), passesMs: median(p) };
}

const f32 = (shape: readonly number[], values: Float64Array): Tensor => ({ shape: [...shape], dtype: 'float32', data: Float32Array.from(values) });

function convRatio(c: ConvCase): TraceRatio {
  const d = caseData(c);
  const input = f32(c.input, d.x), weight = f32(c.weight, d.w), bias = f32([c.weight[0]], d.b), grad = f32(outputShape(c), d.grad);
  const options = { stride: c.stride, padding: c.padding };
  const passes = () => {
    const { dWeight, dBias } = conv2dWeightGrad(input, c.weight, grad, options);
    return [conv2d(input, weight, bias, options), conv2dInputGrad(c.input, weight, grad, options), dWeight, dBias];
  };
  const trace = () => traceConv({ input, weight, bias, grad, options, dtype: 'float32' });
  const given = new Set([input, weight, bias, grad].map(t => t.data.buffer));
  // A re-run, as the product's (the panel hands the trace it lets go to the worker: TraceJob.reuse): each side makes
  // its tensors in the arrays of its own run before, but the inputs it is given.
  const rerunOf = <T>(run: () => T, tensorsOf: (value: T) => Tensor[]) => {
    let before: T | undefined;
    return () => { before = reusing(before && wholeArrays(tensorsOf(before)).filter(a => !given.has(a.buffer)), run).value; };
  };
  const rerun = medians(rerunOf(trace, t => recordedTensors(t.tensors)), rerunOf(passes, outputs => outputs));
  const first = medians(trace, passes);
  const fresh = { trace: newArrays(trace().tensors, given), passes: newArrays(passes(), given) };
  const firstRun = { ...first, ratio: first.traceMs / first.passesMs };
  return { ...ratio(`conv ${c.id} ${caseLabel(c)} (${c.title})`, rerun.traceMs, rerun.passesMs), fresh, firstRun };
}

/** The byte lengths of the typed arrays' buffers reachable from `values`, each once, but those in `given`. */
function newArrays(values: unknown, given: Set<ArrayBufferLike>): number[] {
  const seen = new Set<ArrayBufferLike>(given);
  const lengths: number[] = [];
  const walk = (v: unknown): void => {
    if (!v || typeof v !== 'object') return;
    if (ArrayBuffer.isView(v)) {
      if (!seen.has(v.buffer)) lengths.push(v.buffer.byteLength);
      seen.add(v.buffer);
      return;
    }
    for (const x of Object.values(v)) walk(x);
  };
  walk(values);
  return lengths;
}

/**
 * Milliseconds to make arrays of these byte lengths and write them once, as a run does, in steady state (the median
 * of 5 rounds after one): memory the allocator hands back from an earlier round is cheap, memory new to the process
 * costs a page fault per 4 KB (glibc maps arrays over 32 MB afresh every time).
 */
function newArraysMs(lengths: number[]): number {
  const times: number[] = [];
  for (let round = 0; round < 6; round++) {
    const t0 = performance.now();
    for (const bytes of lengths) new Uint8Array(bytes).fill(1);
    times.push(performance.now() - t0);
  }
  return [...times.slice(1)].sort((a, b) => a - b)[2];
}

function networkRatio(root: string, file: string): TraceRatio {
  const text = fs.readFileSync(path.join(root, 'examples', file), 'utf8');
  // float32 where the spec names no dtype (these examples don't), as the other benchmarks run.
  const problem = readNetworkSpec(JsonSource.parse(file, text), { dtype: 'float32' });
  const { traceMs, passesMs } = medians(() => { traceNetwork(problem); }, () => { runNetwork(problem); });
  return ratio(`network examples/${file} (${problem.layers.length} layers)`, traceMs, passesMs);
}

function ratio(what: string, traceMs: number, passesMs: number): TraceRatio {
  const r = traceMs / passesMs;
  return { what, traceMs, passesMs, ratio: r, met: r <= GOAL };
}

// Every network example whose tensors are in its JSON (digits.conv.json reads .npz files beside it).
const NETWORKS = ['lenet.conv.json', 'resnet-block.conv.json', 'unet-up.conv.json', 'bn.conv.json', 'conv1d.conv.json', 'upsample.conv.json', 'two-layer.conv.json'];

export function traceBench(root: string, quick = false): TraceRatio[] {
  // Not the stem (case 5): its rot180 way (im2col of the dilated δ, 1.3 G elements) is over the trace's budget.
  const cases = CASES.filter(c => c.id >= 2 && c.id <= (quick ? 3 : 4));
  const rows = [...cases.map(convRatio), ...NETWORKS.map(f => networkRatio(root, f))];
  console.log('\nA trace against its passes (float32, one thread): the conv trace against conv2d + conv2dInputGrad + conv2dWeightGrad, re-run as the product re-runs a spec'
    + ' (each side in the arrays of its run before), its first run after; a network trace against runNetwork (the same passes, no stages; ∂C/∂input included, as the trace shows the first layer\'s dA)');
  const time = (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(1)} ms`);
  for (const r of rows) {
    const first = r.firstRun ? `; the first run (memory new to the process): trace ${time(r.firstRun.traceMs)}, passes ${time(r.firstRun.passesMs)}: ${r.firstRun.ratio.toFixed(2)}×` : '';
    console.log(`${r.met ? 'target met' : 'TARGET MISSED'}: trace within ${GOAL}× its passes: ${r.what}: trace ${time(r.traceMs)}, passes ${time(r.passesMs)}: ${r.ratio.toFixed(2)}×${first}`);
  }
  // A trace keeps every tensor it shows (the batch-8 block: a_t and ∂C/∂a_t are 58 MB each); writing memory new to
  // the process costs a page fault per 4 KB: a little on most machines, most of such a trace on some VMs.
  const mb = (lengths: number[]) => `${(lengths.reduce((a, b) => a + b, 0) / 1e6).toFixed(1)} MB`;
  console.log('  new arrays per run, and what making them alone takes on this machine: ' + rows.filter(r => r.fresh).map(r =>
    `${r.what.split(' (')[0]}: trace ${mb(r.fresh!.trace)} ${newArraysMs(r.fresh!.trace).toFixed(1)} ms, passes ${mb(r.fresh!.passes)} ${newArraysMs(r.fresh!.passes).toFixed(1)} ms`).join('; '));
  return rows;
}

if (require.main === module) traceBench(path.resolve(__dirname, '../../..'), process.argv.includes('--quick'));
