// Run alone in a fresh process by memoryBench.ts: one forward + backward trace of a big layer, then its
// peak resident memory against the bytes of the tensors the trace keeps (printed as one JSON line).

import { recordedTensors, traceConv } from '../../src/engine/trace';
import { Tensor, sizeOf } from '../../src/engine/tensor';
import { peakResident, resetPeak } from './peakMemory';

function random(shape: number[], seed: number): Tensor {
  const data = new Float32Array(sizeOf(shape));
  let s = seed;
  for (let i = 0; i < data.length; i++) { s = (s * 16807) % 2147483647; data[i] = s / 2147483647 - 0.5; }
  return { shape, dtype: 'float32', data };
}

const [B, C, H, W, Cout, k, pad] = (process.argv[2] ?? '8,64,56,56,64,3,1').split(',').map(Number);
const input = random([B, C, H, W], 1);
const weight = random([Cout, C, k, k], 2);
const rssBefore = resetPeak();
const t0 = performance.now();
const trace = traceConv({ input, weight, options: { padding: pad }, dtype: 'float32' });
const seconds = (performance.now() - t0) / 1000;
const keptBytes = recordedTensors(trace.tensors).reduce((s, t) => s + t.data.byteLength, 0);
console.log(JSON.stringify({ rssBefore, peakRss: peakResident(), keptBytes, seconds, tensors: Object.keys(trace.tensors).length }));
