// npm run bench, part 5: a whole model, side by side with onnxruntime-node in the same process. A ResNet-18-shaped
// model with random weights (test/support/resnet18.ts, 45 MB, written here), float32, batch 1, 224×224:
//  - its graph read and every layer's shape planned (goal under 1 s for a 50 MB model);
//  - forward, the lean run (runNetwork, backward: false; each run, here and below, on the arrays of the run before,
//    as the trace worker runs a model again) against onnxruntime's session.run, one thread each
//    (intraOpNumThreads 1, interOpNumThreads 1, graph optimizations as default), each engine run after one of
//    onnxruntime's so that both see the same load: goal within 3×;
//  - forward + backward (a cross-entropy loss; every parameter's gradient, without ∂C/∂input, as training: the
//    first conv skips its backward-input pass) against onnxruntime's forward ×1 (onnxruntime-node has no training
//    mode): goal within 5×; the default run (every δ and ∂C/∂input kept, as the model views read them) too;
//  - in a fresh process per case (modelProbe.ts), the peak memory (VmHWM) of reading the model and running it
//    forward and backward against its parameters plus its activations: goal at most 2×; as the model views run it
//    (every δ kept: at least 2× by itself, δs and gradients being as big as the activations and parameters) and
//    as training runs it (each δ let go after its layer). The file's bytes are freed once its layers are read (not
//    left to V8's next full collection, which would add up to 45 MB to the peak in some runs and not in others).
// The engine's output is checked against onnxruntime's first. Writes test-results/bench/model.json.
// Alone: `node out/test/bench/modelBench.js` (after `npm run bench` or `node esbuild.mjs --tests`).

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { InferenceSession } from 'onnxruntime-node';
import { DEFAULT_MAX_ELEMENTS } from '../../src/engine/budget';
import { NetworkProblem } from '../../src/engine/network';
import { NetworkRun, RunOptions, releasedRun, runNetwork } from '../../src/engine/networkRun';
import { planNetwork } from '../../src/engine/networkPlan';
import { Tensor, maxAbs, maxAbsDiff } from '../../src/engine/tensor';
import { readGraph } from '../../src/specReader/onnx/graph';
import { modelLayers } from '../../src/specReader/onnx/model';
import { resnet18Onnx, sinImage } from '../support/resnet18';
import { gitCommit } from './convBench';
import { wasmKernel } from '../../src/engine/wasm/gemmWasm';

const SIZE = 224;
const GOALS = { graphMs: 1000, forward: 3, forwardBackward: 5, memory: 2 };
const MB = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Each run's milliseconds after `warmUp` unmeasured ones. */
async function timed(runs: number, warmUp: number, f: () => unknown): Promise<number[]> {
  for (let i = 0; i < warmUp; i++) await f();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  return ms;
}

function memoryProbe(root: string, file: string, mode: 'keep' | 'train'): Record<string, number> {
  const out = execFileSync(process.execPath, [path.join(root, 'out/test/bench/modelProbe.js'), file, String(SIZE), mode], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
  const grown = r.peakRss - r.rssBefore;
  return { ...r, grown, ratio: grown / (r.paramBytes + r.activationBytes) };
}

/** onnxruntime's session on one thread (as the engine runs), and its feeds for `input`. */
async function onnxruntimeSession(bytes: Uint8Array, input: Tensor): Promise<{ session: InferenceSession; feeds: InferenceSession.FeedsType }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  return { session, feeds: { [session.inputNames[0]]: new ort.Tensor('float32', input.data as Float32Array, [...input.shape]) } };
}

/**
 * The lean run, run after run, each on the arrays of the one before (releasedRun), as the trace worker runs a model
 * again once the panel lets the last run go: onnxruntime, too, keeps its arena from run to run.
 */
function runsOnLast(problem: NetworkProblem, options: RunOptions = { backward: false }): () => NetworkRun {
  let last: NetworkRun | undefined;
  return () => (last = runNetwork(problem, { ...options, ...(last ? { buffers: releasedRun(last) } : {}) }));
}

/** The forward pass alone, interleaved with onnxruntime's (medians, ms), and the kernel build it ran on. */
async function forwardAgainstOnnxruntime(bytes: Uint8Array, rounds: number): Promise<{ engine: number[]; onnxruntime: number[]; kernel: string }> {
  const layers = modelLayers(bytes, [1, 3, SIZE, SIZE], 'float32', DEFAULT_MAX_ELEMENTS);
  const input = sinImage(SIZE);
  const { session, feeds } = await onnxruntimeSession(bytes, input);
  const forward = runsOnLast({ input, layers, dtype: 'float32' });
  await timed(0, 2, () => session.run(feeds));
  await timed(0, 1, forward);
  const [engine, onnxruntime]: number[][] = [[], []];
  for (let i = 0; i < rounds; i++) {
    onnxruntime.push(...await timed(1, 0, () => session.run(feeds)));
    engine.push(...await timed(1, 0, forward));
  }
  return { engine, onnxruntime, kernel: wasmKernel() };
}

/**
 * The forward again in a child process with relaxed SIMD turned on (Node 20 has it behind a flag; VS Code's Electron
 * and browsers have it, so this is the kernel the panel's runs use there); undefined where the flag does not give it.
 */
function relaxedForward(root: string, file: string): { engine: number[]; onnxruntime: number[]; kernel: string } | undefined {
  if (wasmKernel() === 'relaxed-simd') return undefined; // the main run already used it
  try {
    const out = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', path.join(root, 'out/test/bench/modelBench.js'), '--forward-only', file],
      { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { engine: number[]; onnxruntime: number[]; kernel: string };
    return r.kernel === 'relaxed-simd' ? r : undefined;
  } catch {
    return undefined;
  }
}

export async function modelBench(root: string): Promise<boolean> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const load = os.loadavg()[0];
  const bytes = resnet18Onnx({ size: SIZE });
  console.log(`\nA ResNet-18-shaped model (torchvision's graph as torch.onnx.export writes it, BatchNorm folded; random weights, ${MB(bytes.length)}), ` +
    `float32, batch 1, ${SIZE}×${SIZE}; onnxruntime-node ${ort.env.versions.common}, one thread each; load average ${load.toFixed(2)}` +
    (load > 0.5 ? ' (other processes are running: timings are inflated and noisy)' : ''));

  const graphMs = await timed(3, 1, () => readGraph(bytes));
  let layers = modelLayers(bytes, [1, 3, SIZE, SIZE], 'float32', DEFAULT_MAX_ELEMENTS);
  const input = sinImage(SIZE);
  const readMs = await timed(3, 0, () => {
    layers = modelLayers(bytes, [1, 3, SIZE, SIZE], 'float32', DEFAULT_MAX_ELEMENTS);
    planNetwork({ input, layers, dtype: 'float32' }, false);
  });
  const problem: NetworkProblem = { input, layers, dtype: 'float32' };
  const trained: NetworkProblem = { ...problem, loss: { type: 'cross_entropy', target: [1] } };

  const { session, feeds } = await onnxruntimeSession(bytes, input);
  const reference = (await session.run(feeds))[session.outputNames[0]].data as Float32Array;
  const ours = runNetwork(problem, { backward: false }).outputs.at(-1)!;
  const disagreement = maxAbsDiff(ours, { shape: ours.shape, dtype: 'float32', data: reference }) / Math.max(1, maxAbs(reference));
  const agrees = disagreement <= 1e-4;

  // Interleaved, onnxruntime's runs between the engine's: on a loaded machine both sides see the same load.
  const [ortMs, forwardMs, backwardMs, keptMs]: number[][] = [[], [], [], []];
  const cases: [number[], () => unknown][] = [[forwardMs, runsOnLast(problem)], [backwardMs, runsOnLast(trained, { inputGradient: false })], [keptMs, runsOnLast(trained, {})]];
  await timed(0, 2, () => session.run(feeds));
  for (const [, f] of cases) await timed(0, 1, f);
  for (let i = 0; i < 5; i++) {
    for (const [ms, f] of cases) {
      if (i >= 3 && ms !== forwardMs) continue;
      ortMs.push(...await timed(1, 0, () => session.run(feeds)));
      ms.push(...await timed(1, 0, f));
    }
  }
  const [ortMedian, forward, forwardBackward, forwardBackwardKept] = [median(ortMs), median(forwardMs), median(backwardMs), median(keptMs)];

  const file = path.join(os.tmpdir(), `cvd-resnet18-${process.pid}.onnx`);
  fs.writeFileSync(file, bytes);
  let memory: Record<string, number>, training: Record<string, number>;
  let relaxed: ReturnType<typeof relaxedForward>;
  try {
    [memory, training] = [memoryProbe(root, file, 'keep'), memoryProbe(root, file, 'train')];
    relaxed = relaxedForward(root, file);
  } finally {
    fs.rmSync(file, { force: true });
  }
  const memoryText = (m: Record<string, number>, what: string) => `${MB(m.grown)} grown reading the model and running it forward + backward${what}, against parameters ${MB(m.paramBytes)} + ` +
    `activations ${MB(m.activationBytes)}: ${m.ratio.toFixed(2)}× (goal ≤ ${GOALS.memory}×; the run keeps ${MB(m.keptBytes)})`;

  const lines = [
    { what: 'graph read and shapes planned', met: median(readMs) < GOALS.graphMs, text: `${median(readMs).toFixed(0)} ms (readGraph alone ${median(graphMs).toFixed(0)} ms; the weights decoded too), goal < ${GOALS.graphMs} ms` },
    { what: `forward (${wasmKernel()} kernel)`, met: forward <= GOALS.forward * ortMedian, text: `engine ${forward.toFixed(0)} ms, onnxruntime ${ortMedian.toFixed(1)} ms: ${(forward / ortMedian).toFixed(1)}× (goal ≤ ${GOALS.forward}×)` },
    ...(relaxed ? [{
      what: 'forward (relaxed-simd kernel, fused multiply-add, as in VS Code)', met: median(relaxed.engine) <= GOALS.forward * median(relaxed.onnxruntime),
      text: `engine ${median(relaxed.engine).toFixed(0)} ms, onnxruntime ${median(relaxed.onnxruntime).toFixed(1)} ms: ${(median(relaxed.engine) / median(relaxed.onnxruntime)).toFixed(1)}× ` +
        `(goal ≤ ${GOALS.forward}×; node --experimental-wasm-relaxed-simd, in turns with onnxruntime in a process of its own)`,
    }] : []),
    {
      what: 'forward + backward', met: forwardBackward <= GOALS.forwardBackward * ortMedian,
      text: `engine ${forwardBackward.toFixed(0)} ms (every parameter's gradient, no ∂C/∂input) against onnxruntime's forward ${ortMedian.toFixed(1)} ms ×1 ` +
        `(onnxruntime-node has no training mode): ${(forwardBackward / ortMedian).toFixed(1)}× (goal ≤ ${GOALS.forwardBackward}×)`,
    },
    {
      what: 'forward + backward, every δ and ∂C/∂input', met: forwardBackwardKept <= GOALS.forwardBackward * ortMedian,
      text: `engine ${forwardBackwardKept.toFixed(0)} ms: ${(forwardBackwardKept / ortMedian).toFixed(1)}× onnxruntime's forward (goal ≤ ${GOALS.forwardBackward}×)`,
    },
    { what: 'peak memory, training (each δ let go)', met: training.ratio <= GOALS.memory, text: memoryText(training, ', each δ let go after its layer, no ∂C/∂input') },
    { what: 'peak memory, every δ kept', met: memory.ratio <= GOALS.memory, text: memoryText(memory, ' keeping every δ and ∂C/∂input') },
  ];
  console.log(`engine output against onnxruntime's: max |diff| ${disagreement.toExponential(1)} relative (${agrees ? 'agree' : 'DISAGREE'}, tolerance 1e-4)`);
  for (const l of lines) console.log(`ResNet-18 ${l.what}: ${l.met ? 'met' : 'not met'}: ${l.text}`);

  const json = {
    date: new Date().toISOString(), commit: gitCommit(root),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, loadAverageAtStart: load, loadAverageAtEnd: os.loadavg()[0] },
    model: { name: 'ResNet-18-shaped, random weights', bytes: bytes.length, input: [1, 3, SIZE, SIZE], onnxruntime: ort.env.versions.common },
    agreement: { maxRelativeDiff: disagreement, agrees },
    ms: { readGraph: graphMs, readAndPlan: readMs, onnxruntimeForward: ortMs, engineForward: forwardMs, engineForwardBackward: backwardMs, engineForwardBackwardKept: keptMs,
      ...(relaxed ? { relaxedEngineForward: relaxed.engine, relaxedOnnxruntimeForward: relaxed.onnxruntime } : {}) },
    kernel: wasmKernel(),
    memory: { kept: memory, training },
    goals: GOALS,
    rows: lines.map(l => ({ what: l.what, met: l.met, text: l.text })),
  };
  const outDir = path.join(root, 'test-results/bench');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'model.json'), JSON.stringify(json, null, 2) + '\n');
  console.log(`wrote ${path.relative(root, path.join(outDir, 'model.json'))}`);
  return agrees;
}

if (require.main === module && process.argv[2] === '--forward-only') {
  forwardAgainstOnnxruntime(fs.readFileSync(process.argv[3]), 5).then(r => console.log(JSON.stringify(r)), e => { console.error((e as Error).message); process.exit(1); });
} else if (require.main === module) {
  modelBench(path.resolve(__dirname, '../../..')).then(ok => { process.exitCode = ok ? 0 : 1; }, e => { console.error(`model bench failed: ${(e as Error).message}`); process.exit(1); });
}
