// ONNX models against onnxruntime-node: a model spec traced on an input (the spec path), onnxruntime's value of
// every node output, and the check of every layer's output against its node's (onnxModel.test.ts, resnet18.test.ts).

import * as assert from 'assert';
import type { InferenceSession as Session } from 'onnxruntime-node';
import { viewOf } from '../../src/engine/layerKinds/views';
import { LayerTrace, NetworkProblem, NetworkTrace } from '../../src/engine/network';
import { DType, Tensor, toNested } from '../../src/engine/tensor';
import { readSpecProblem, traceAnySpecText } from '../../src/specReader/convSpec';
import { JsonSource } from '../../src/specReader/source';
import { readGraph } from '../../src/specReader/onnx/graph';
import { latin1, pbBytes } from '../support/onnxWriter';
import { assertClose } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');

/** A model spec's text: the model's bytes as m.onnx, run on `input`. */
export function modelSpec(input: Tensor, dtype: DType, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: { onnx: 'm.onnx' }, input: toNested(input), dtype, ...extra });
}

/** The problem of a model spec: the model's bytes as m.onnx, run on `input`, with a loss or not. */
export function modelProblem(model: Uint8Array, input: Tensor, dtype: 'float32' | 'float64', extra: Record<string, unknown> = {}): NetworkProblem {
  return readSpecProblem(JsonSource.parse('spec.json', modelSpec(input, dtype, extra)), { dtype }, new Map([['m.onnx', model]])) as NetworkProblem;
}

/** Traces a model spec on `input`, the model's bytes as m.onnx. */
export function traceModel(model: Uint8Array, input: Tensor, dtype: DType, extra: Record<string, unknown> = {}): NetworkTrace {
  return traceAnySpecText('spec.json', modelSpec(input, dtype, extra), { dtype }, new Map([['m.onnx', model]])) as NetworkTrace;
}

/** The model with every node's output also a graph output (a second graph message, which protobuf merges into the first). */
function everyOutput(model: Uint8Array): Uint8Array {
  const names = readGraph(model).nodes.flatMap(n => n.outputs.filter(Boolean));
  const outputs = names.map(name => pbBytes(12, pbBytes(1, latin1(name))));
  const merged = new Uint8Array(model.length + outputs.reduce((n, o) => n + o.length, 0) + 16);
  const extra = pbBytes(7, Uint8Array.from(outputs.flatMap(o => [...o])));
  merged.set(model);
  merged.set(extra, model.length);
  return merged.subarray(0, model.length + extra.length);
}

/** onnxruntime's value of every node output, by name, in float32. */
export async function reference(model: Uint8Array, input: Tensor): Promise<Record<string, Tensor>> {
  const session: Session = await ort.InferenceSession.create(everyOutput(model));
  const x = new ort.Tensor('float32', Float32Array.from(input.data), [...input.shape]);
  const out = await session.run({ [session.inputNames[0]]: x });
  return Object.fromEntries(Object.entries(out).filter(([, t]) => t.type === 'float32').map(([k, t]) => [k, { shape: [...t.dims], dtype: 'float64', data: Float64Array.from(t.data as Float32Array) } as Tensor]));
}

/** A layer's output, where its view says it is (an activation's h, softmax's p, the others' z). */
export const outputOf = (l: LayerTrace): Tensor => l.tensors[viewOf(l.geometry).ends?.output ?? 'z']!;

/** The ONNX tensor a layer's output is: its node's first output (a MatMul + Add's, the Add's). */
export function outputNames(model: Uint8Array): Map<string, string> {
  return new Map(readGraph(model).nodes.map(n => [n.name, n.outputs[0]]));
}

/** Checks every layer's output (float32 and float64 runs) against onnxruntime's value of its node's output; returns how many layers. */
export async function checkAgainstOnnxruntime(model: Uint8Array, input: Tensor): Promise<number> {
  const want = await reference(model, input);
  const names = outputNames(model);
  let checked = 0;
  for (const dtype of ['float32', 'float64'] as const) {
    const trace = traceModel(model, input, dtype);
    for (const l of trace.layers.filter(l => l.op !== 'loss')) {
      assert.ok(l.label, `${l.name} has no node name`);
      const name = names.get(l.label.split(' + ').pop()!)!;
      assert.ok(want[name], `no onnxruntime value of ${name}`);
      assertClose(outputOf(l), want[name], 1e-4, `${dtype} ${l.name} "${l.label}" (${name})`);
      checked++;
    }
  }
  return checked / 2;
}
