// Run alone in a fresh process by modelBench.ts: reads a model file, runs it forward and backward (the lean run,
// float32, a cross-entropy loss), and prints one JSON line: the process's resident memory before the model was
// read and at its peak, against the bytes of the model's parameters and of its activations (every layer's output).

import * as fs from 'fs';
import { runNetwork } from '../../src/engine/networkRun';
import { conv2d } from '../../src/engine/conv2d';
import { DEFAULT_MAX_ELEMENTS } from '../../src/engine/budget';
import { Tensor, sizeOf } from '../../src/engine/tensor';
import { modelLayers } from '../../src/specReader/onnx/model';

const [file, size] = [process.argv[2], Number(process.argv[3] ?? 224)];
const bytesOf = (ts: readonly Tensor[]) => ts.reduce((n, t) => n + t.data.byteLength, 0);
// The kernels instantiated and the engine's code loaded first: the baseline is the process, not the model.
conv2d({ shape: [1, 1, 3, 3], dtype: 'float32', data: new Float32Array(9) }, { shape: [1, 1, 1, 1], dtype: 'float32', data: new Float32Array(1) });
const rssBefore = process.memoryUsage().rss;
const layers = modelLayers(fs.readFileSync(file), [1, 3, size, size], 'float32', DEFAULT_MAX_ELEMENTS);
const params = layers.flatMap(l => Object.values(l).filter((v): v is Tensor => typeof v === 'object' && v !== null && 'data' in v && v.data instanceof Float32Array));
const input: Tensor = { shape: [1, 3, size, size], dtype: 'float32', data: new Float32Array(sizeOf([1, 3, size, size])).map((_, i) => Math.sin(i)) };
const t0 = performance.now();
const run = runNetwork({ input, layers, dtype: 'float32', loss: { type: 'cross_entropy', target: [1] } });
const seconds = (performance.now() - t0) / 1000;
const kept = bytesOf(run.outputs) + bytesOf(run.gradients!.deltas.filter((d): d is Tensor => d !== undefined)) + bytesOf(run.gradients!.params.flatMap(p => Object.values(p)));
// maxRSS is in kilobytes.
console.log(JSON.stringify({ rssBefore, peakRss: process.resourceUsage().maxRSS * 1024, paramBytes: bytesOf(params), activationBytes: bytesOf([input, ...run.outputs]), keptBytes: kept, seconds }));
