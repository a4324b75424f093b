// The engine's public conv2d API, in float32 or float64, as the benchmark's method workers run it.
// Always through conv2d / conv2dInputGrad / conv2dWeightGrad, so whatever those names do today is measured.

import { conv2d, conv2dInputGrad, conv2dWeightGrad } from '../../src/engine/conv2d';
import { ConvOptions } from '../../src/engine/convInfo';
import { DType, Tensor, TensorData } from '../../src/engine/tensor';
import { gemmThreadsReady } from '../../src/engine/wasm/gemmWasm';
import { setMinThreadWork } from '../../src/engine/wasm/gemmThreads';
import { installNodeGemmThreads } from '../../src/specReader/nodeGemmThreads';
import { ConvCase, Outputs, Pass, caseData, outputShape } from './convCases';

export interface PassRunner {
  /** One run of the pass; keeps its results for `collect`. */
  run(): void | Promise<void>;
  /** The last run's results in the engine's layouts. */
  collect(): Outputs;
  /** The same pass on one thread, timed in turns with `run` (the all-cores method's own comparison). */
  baseline?: () => void;
}

export interface MethodRunner {
  info: Record<string, string | number | boolean>;
  passes: Partial<Record<Pass, PassRunner>>;
  dispose(): void;
}

const asTensor = (shape: readonly number[], values: Float64Array, dtype: DType): Tensor =>
  ({ shape: [...shape], dtype, data: dtype === 'float32' ? Float32Array.from(values) : values.slice() });

export function convOptions(c: ConvCase): ConvOptions {
  return { stride: c.stride, padding: c.padding };
}

export function engineMethod(c: ConvCase, dtype: DType): MethodRunner {
  const d = caseData(c);
  const x = asTensor(c.input, d.x, dtype);
  const w = asTensor(c.weight, d.w, dtype);
  const b = asTensor([c.weight[0]], d.b, dtype);
  const grad = asTensor(outputShape(c), d.grad, dtype);
  const options = convOptions(c);

  const runner = (compute: () => Outputs): PassRunner => {
    let last: Outputs = {};
    return { run: () => { last = compute(); }, collect: () => last };
  };
  const forward = (): TensorData => conv2d(x, w, b, options).data;
  const inputGrad = (): TensorData => conv2dInputGrad(c.input, w, grad, options).data;
  const weightGrad = (): Outputs => {
    const { dWeight, dBias } = conv2dWeightGrad(x, c.weight, grad, options);
    return { dWeight: dWeight.data, dBias: dBias.data };
  };
  return {
    info: { dtype, wasmGemmDisabled: process.env.CVD_NO_WASM === '1' },
    passes: {
      'forward': runner(() => ({ z: forward() })),
      'backward-input': runner(() => ({ dInput: inputGrad() })),
      'backward-weight': runner(weightGrad),
      'forward+backward': runner(() => ({ z: forward(), dInput: inputGrad(), ...weightGrad() })),
    },
    dispose: () => undefined,
  };
}

/**
 * The same passes on every core the way the product runs them: the engine with its helper threads installed as the
 * CLI and the trace worker install them (src/specReader/nodeGemmThreads.ts), started before the timing.
 */
export function engineThreadsMethod(c: ConvCase): MethodRunner {
  const installed = installNodeGemmThreads();
  const method = engineMethod(c, 'float32');
  const helpers = gemmThreadsReady(10_000);
  const oneThread = (run: () => void | Promise<void>) => () => {
    setMinThreadWork(Number.MAX_SAFE_INTEGER);
    try { void run(); } finally { setMinThreadWork(); }
  };
  const passes = Object.fromEntries(Object.entries(method.passes).map(([pass, runner]) => [pass, { ...runner, baseline: oneThread(runner.run) }]));
  return { ...method, passes, info: { ...method.info, installed, threads: 1 + helpers } };
}
