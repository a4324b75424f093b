// TensorFlow.js (tfjs-backend-cpu, or tfjs-backend-wasm = XNNPACK) as the benchmark's method workers run it.
// tfjs is NHWC with HWIO filters: inputs are transposed once at setup, results back to NCHW/OIHW after timing.

import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { ConvCase, Outputs, caseData, outputShape } from './convCases';
import { MethodRunner, PassRunner } from './engineMethod';

export type TfjsBackend = 'cpu' | 'wasm';

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

async function initBackend(backend: TfjsBackend): Promise<Record<string, string | number | boolean>> {
  // Production mode: no "install tfjs-node" banner, no per-op debug checks.
  tf.enableProdMode();
  if (backend === 'wasm') {
    tfwasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
    // One XNNPACK thread; Node has no threaded build anyway (no SharedArrayBuffer workers in tfjs there).
    tfwasm.setThreadsCount(1);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
  await tf.ready();
  const info: Record<string, string | number | boolean> = { tfjs: tf.version_core, backend: tf.getBackend() };
  if (backend === 'wasm') {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') === true;
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') === true;
    // The rule tfjs-backend-wasm uses to pick its binary (getPathToWasmBinary in backend_wasm.ts).
    info.binary = simd && threads ? 'tfjs-backend-wasm-threaded-simd.wasm' : simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
    info.simd = simd;
    info.multithreadSupported = threads;
    info.threads = tfwasm.getThreadsCount();
  }
  return info;
}

function toArray(t: tf.Tensor): Float32Array {
  const data = t.dataSync();
  if (!(data instanceof Float32Array)) throw new Error(`tfjs returned ${t.dtype}, expected float32`);
  return data.slice();
}

export async function tfjsMethod(c: ConvCase, backend: TfjsBackend): Promise<MethodRunner> {
  const info = await initBackend(backend);
  const d = caseData(c);
  const [B, Cin, H, W] = c.input;
  const [Cout, , kh, kw] = c.weight;
  const [, , Hout, Wout] = outputShape(c);
  const s = c.stride;
  const p = c.padding;
  const pad: Pad4 = [[0, 0], [p, p], [p, p], [0, 0]];

  const x = tf.tidy(() => tf.transpose(tf.tensor4d(Float32Array.from(d.x), c.input), [0, 2, 3, 1])) as tf.Tensor4D;
  const w = tf.tidy(() => tf.transpose(tf.tensor4d(Float32Array.from(d.w), c.weight), [2, 3, 1, 0])) as tf.Tensor4D;
  const b = tf.tensor1d(Float32Array.from(d.b));
  const dy = tf.tidy(() => tf.transpose(tf.tensor4d(Float32Array.from(d.grad), outputShape(c)), [0, 2, 3, 1])) as tf.Tensor4D;

  const forward = (): tf.Tensor => tf.add(tf.conv2d(x, w, s, pad), b);
  const inputGrad = (): tf.Tensor => tf.conv2dTranspose(dy, w, [B, H, W, Cin], s, pad);

  // tfjs-core 4.22 has no public conv2DBackpropFilter op (only its kernel); runKernel is what the op would call.
  const nativeFilterGrad = tf.getKernel(tf.Conv2DBackpropFilter, backend) !== undefined;
  const filterGrad = (): tf.Tensor => {
    if (nativeFilterGrad) {
      const attrs: tf.Conv2DBackpropFilterAttrs = { strides: s, pad, dataFormat: 'NHWC', filterShape: [kh, kw, Cin, Cout] };
      return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs as unknown as tf.NamedAttrMap);
    }
    // tfjs-backend-wasm registers no Conv2DBackpropFilter kernel. The filter gradient is itself a convolution
    // (XNNPACK's): images = input channels, channels = batch, filter = ∂C/∂z, the stride becoming its dilation.
    // The bottom/right padding is trimmed so the result is exactly kh × kw where possible.
    const padEnd = (n: number, k: number, outN: number) => Math.max(0, k + (outN - 1) * s - n - p);
    const xT = tf.transpose(x, [3, 1, 2, 0]);
    const dyT = tf.transpose(dy, [1, 2, 0, 3]);
    let g = tf.conv2d(xT, dyT as tf.Tensor4D, 1, [[0, 0], [p, padEnd(H, kh, Hout)], [p, padEnd(W, kw, Wout)], [0, 0]], 'NHWC', [s, s]);
    if (g.shape[1] !== kh || g.shape[2] !== kw) g = tf.slice(g, [0, 0, 0, 0], [Cin, kh, kw, Cout]);
    return tf.transpose(g, [1, 2, 0, 3]);
  };
  const biasGrad = (): tf.Tensor => tf.sum(dy, [0, 1, 2]);

  // Each pass's results come back in tfjs layouts; `collect` turns them into the engine's.
  const toEngine: Record<'z' | 'dInput' | 'dWeight' | 'dBias', (t: tf.Tensor) => tf.Tensor> = {
    z: t => tf.transpose(t, [0, 3, 1, 2]),
    dInput: t => tf.transpose(t, [0, 3, 1, 2]),
    dWeight: t => tf.transpose(t, [3, 2, 0, 1]),
    dBias: t => t,
  };
  const runner = (names: (keyof typeof toEngine)[], compute: () => tf.Tensor[]): PassRunner => {
    let last: tf.Tensor[] = [];
    return {
      run: () => {
        tf.dispose(last);
        last = tf.tidy(compute);
        // Backends may defer work; reading the values makes sure it is done (and costs a copy on wasm).
        for (const t of last) t.dataSync();
      },
      collect: () => {
        const out: Outputs = {};
        names.forEach((name, i) => { out[name] = tf.tidy(() => toArray(toEngine[name](last[i]))); });
        return out;
      },
    };
  };

  info.backwardWeight = nativeFilterGrad ? 'Conv2DBackpropFilter kernel' : 'conv2d with batch as channels (no Conv2DBackpropFilter kernel)';
  return {
    info,
    passes: {
      'forward': runner(['z'], () => [forward()]),
      'backward-input': runner(['dInput'], () => [inputGrad()]),
      'backward-weight': runner(['dWeight', 'dBias'], () => [filterGrad(), biasGrad()]),
      'forward+backward': runner(['z', 'dInput', 'dWeight', 'dBias'], () => [forward(), inputGrad(), filterGrad(), biasGrad()]),
    },
    dispose: () => tf.dispose([x, w, b, dy]),
  };
}
