// Run alone in a fresh process by modelBench.ts: reads a model file, runs it forward and backward (the lean run,
// float32, a cross-entropy loss), and prints one JSON line: the process's resident memory before the model was
// read and at its peak, against the bytes of the model's parameters and of its activations (every layer's output).
// The third argument is the run's mode: `keep` (the default run: every δ and ∂C/∂input kept, as the model views
// read them) or `train` (inputGradient and keepDeltas false: only the parameters' gradients kept, as training).

import * as fs from 'fs';
import { runNetwork } from '../../src/engine/networkRun';
import { DEFAULT_MAX_ELEMENTS } from '../../src/engine/budget';
import { NetworkLayer } from '../../src/engine/network';
import { Tensor } from '../../src/engine/tensor';
import { modelLayers } from '../../src/specReader/onnx/model';
import { resnet18Onnx, sinImage } from '../support/resnet18';
import { peakResident, resetPeak } from './peakMemory';

const [file, size, mode] = [process.argv[2], Number(process.argv[3] ?? 224), process.argv[4] ?? 'keep'];
const bytesOf = (ts: readonly Tensor[]) => ts.reduce((n, t) => n + t.data.byteLength, 0);
// The kernels instantiated and the engine's code loaded and compiled first (the same graph, tiny: 32×32, widths 4–32,
// about 0.1 MB of weights): the baseline is the process, not the model.
const tiny = 32;
const warm = modelLayers(resnet18Onnx({ size: tiny, widths: [4, 8, 16, 32], classes: 10 }), [1, 3, tiny, tiny], 'float32', DEFAULT_MAX_ELEMENTS);
runNetwork({ input: { shape: [1, 3, tiny, tiny], dtype: 'float32', data: new Float32Array(3 * tiny * tiny).fill(0.5) }, layers: warm, dtype: 'float32', loss: { type: 'cross_entropy', target: [1] } });
const rssBefore = resetPeak();
// The file's bytes are let go once its layers are read (a function's local).
const read = (): NetworkLayer[] => modelLayers(fs.readFileSync(file), [1, 3, size, size], 'float32', DEFAULT_MAX_ELEMENTS);
const layers = read();
const params = layers.flatMap(l => Object.values(l).filter((v): v is Tensor => typeof v === 'object' && v !== null && 'data' in v && v.data instanceof Float32Array));
const input = sinImage(size);
const t0 = performance.now();
const train = mode === 'train';
const run = runNetwork({ input, layers, dtype: 'float32', loss: { type: 'cross_entropy', target: [1] } }, { inputGradient: !train, keepDeltas: !train });
const seconds = (performance.now() - t0) / 1000;
const g = run.gradients!;
const kept = bytesOf(run.outputs) + bytesOf(g.deltas.filter((d): d is Tensor => d !== undefined)) + bytesOf(g.params.flatMap(p => Object.values(p))) + (g.input ? g.input.data.byteLength : 0);
console.log(JSON.stringify({ mode, rssBefore, peakRss: peakResident(), paramBytes: bytesOf(params), activationBytes: bytesOf([input, ...run.outputs]), keptBytes: kept, seconds }));
