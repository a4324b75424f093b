// Runs test/bench/numpy_conv.py (im2col + a float32 BLAS matmul) on the benchmark's inputs: they go out as
// .npy files, the timings come back as JSON and the results as .npy files. BLAS is pinned to one thread.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeNpy, encodeNpy } from '../../src/specReader/npy';
import { CaseData, ConvCase, Measurement, OutputName, Outputs, Pass, TimingConfig, outputShape } from './convCases';

const PYTHON = '/usr/bin/python3';

const ENV = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', BLIS_NUM_THREADS: '1' };

export type NumpyStatus = { available: true } | { available: false; reason: string };

export function numpyStatus(): NumpyStatus {
  const r = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8', env: ENV, timeout: 60_000 });
  if (r.error) return { available: false, reason: `${PYTHON}: ${r.error.message}` };
  if (r.status !== 0) return { available: false, reason: `${PYTHON} -c "import numpy" failed: ${r.stderr.trim().split('\n').pop() ?? ''}` };
  return { available: true };
}

function python(script: string, args: string[], timeoutMs: number): unknown {
  const r = spawnSync(PYTHON, [script, ...args], { encoding: 'utf8', env: ENV, timeout: timeoutMs, maxBuffer: 16 << 20 });
  if (r.error) throw new Error(`numpy_conv.py: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`numpy_conv.py exited with ${r.status}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as unknown;
}

interface RawMeasurement { firstRunMs: number; inner: number; samplesMs: number[]; medianMs: number | null }

const measurementOf = (m: RawMeasurement): Measurement => ({ ...m, medianMs: m.medianMs ?? NaN });

export interface NumpyConvResult {
  passes: Partial<Record<Pass, { measurement: Measurement; outputs: Outputs }>>;
  numpy: string;
  blas: string;
}

export function runNumpyConv(script: string, c: ConvCase, data: CaseData, passes: readonly Pass[], timing: TimingConfig): NumpyConvResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conv-bench-'));
  try {
    const write = (name: string, shape: readonly number[], values: Float64Array) =>
      fs.writeFileSync(path.join(dir, `${name}.npy`), encodeNpy({ shape, dtype: 'float32', data: Float32Array.from(values) }));
    write('x', c.input, data.x);
    write('w', c.weight, data.w);
    write('b', [c.weight[0]], data.b);
    write('grad', outputShape(c), data.grad);
    const config = { stride: c.stride, padding: c.padding, passes, timing };
    const raw = python(script, ['conv', dir, JSON.stringify(config)], 30 * 60_000) as
      { passes: Record<string, RawMeasurement & { outputs: OutputName[] }>; numpy: string; blas: string };
    const result: NumpyConvResult = { passes: {}, numpy: raw.numpy, blas: raw.blas };
    for (const pass of passes) {
      const m = raw.passes[pass];
      const outputs: Outputs = {};
      for (const name of m.outputs) outputs[name] = decodeNpy(fs.readFileSync(path.join(dir, `${pass}.${name}.npy`)), 'float32').data;
      result.passes[pass] = { measurement: measurementOf(m), outputs };
    }
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface SgemmResult { n: number; measurement: Measurement; gflops: number; numpy: string; blas: string }

export function runNumpySgemm(script: string, timing: TimingConfig): SgemmResult {
  const raw = python(script, ['sgemm', JSON.stringify(timing)], 10 * 60_000) as RawMeasurement & { n: number; gflops: number | null; numpy: string; blas: string };
  return { n: raw.n, measurement: measurementOf(raw), gflops: raw.gflops ?? NaN, numpy: raw.numpy, blas: raw.blas };
}
