// The layers that take several inputs, named by the spec's "inputs": add (a
// residual connection: the elementwise sum, δ handed unchanged to every input)
// and concat (along channels, axis 1: δ split back by each input's channels).
// add of n inputs costs n − 1 additions per output value; concat only copies (0).

import { EngineError } from '../errors';
import { Tensor, sizeOf, zeros } from '../tensor';
import { TensorName, TraceTensor, recorded } from '../trace';
import { addWasm } from '../wasm/elementwiseWasm';
import { LayerCost, NO_COST, elementCost } from './cost';
import { MergeKind, NamedShape, passes, planned, shapeAxes, stage } from './kind';
import type { MergeInfo } from './mergeView';
import { type LayerGeometry, words } from './view';

export type MergeLayer = { type: 'add' } | { type: 'concat' };

/** `input_0`, `input_1`…: the inputs in the spec's order; `dA_0`… the δ handed to each. */
export const mergeInput = (j: number): TensorName => `input_${j}`;
export const mergeGrad = (j: number): TensorName => `dA_${j}`;

const SUMMARY: Record<MergeLayer['type'], string> = {
  add: 'the elementwise sum of the layers its "inputs" names, all of one shape (a residual connection)',
  concat: 'the layers its "inputs" names joined along channels (axis 1); every other axis must match',
};

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** Whether the inputs join along axis 1: one rank of at least 2, every axis but 1 the same. */
function concatenates(inputs: readonly NamedShape[]): boolean {
  const first = inputs[0].shape;
  return first.length >= 2 && inputs.every(({ shape }) => shape.length === first.length && shape.every((d, k) => k === 1 || d === first[k]));
}

/** Where each input's channels start in the output, and the output's channel count last. */
function channelStarts(shapes: readonly (readonly number[])[]): number[] {
  const starts = [0];
  for (const s of shapes) starts.push(starts[starts.length - 1] + s[1]);
  return starts;
}

/** The output's shape, or an EngineError naming every input and its shape. */
function outputShape(l: MergeLayer, inputs: readonly NamedShape[]): number[] {
  const args = { names: inputs.map(i => i.name), shapes: inputs.map(i => [...i.shape]) };
  if (l.type === 'add') {
    if (!inputs.every(i => sameShape(i.shape, inputs[0].shape))) throw new EngineError('add', { code: 'add.shapes', args }, 'inputs');
    return [...inputs[0].shape];
  }
  if (!concatenates(inputs)) throw new EngineError('concat', { code: 'concat.shapes', args }, 'inputs');
  const out = [...inputs[0].shape];
  out[1] = channelStarts(inputs.map(i => i.shape)).pop()!;
  return out;
}

/** The inputs side by side along axis 1. */
function concat(inputs: readonly Tensor[], out: readonly number[]): Tensor {
  const z = zeros(out, inputs[0].dtype);
  const outer = out[0];
  const inner = sizeOf(out.slice(2));
  const starts = channelStarts(inputs.map(x => x.shape));
  inputs.forEach((x, j) => {
    const block = x.shape[1] * inner;
    for (let b = 0; b < outer; b++) z.data.set(x.data.subarray(b * block, (b + 1) * block), (b * out[1] + starts[j]) * inner);
  });
  return z;
}

/** δ's channels of input j: δ[:, start_j : start_j + C_j]. */
function channelSlice(delta: Tensor, start: number, shape: readonly number[]): Tensor {
  const d = zeros(shape, delta.dtype);
  const inner = sizeOf(shape.slice(2));
  const block = shape[1] * inner;
  for (let b = 0; b < shape[0]; b++) d.data.set(delta.data.subarray((b * delta.shape[1] + start) * inner, (b * delta.shape[1] + start) * inner + block), b * block);
  return d;
}

/** The δ handed to each input: δ itself (add), or its channels of δ (concat). */
function deltaIns(l: MergeLayer, inputs: readonly Tensor[], delta: Tensor): Tensor[] {
  const starts = channelStarts(inputs.map(x => x.shape));
  return inputs.map((x, j) => (l.type === 'add' ? delta : channelSlice(delta, starts[j], x.shape)));
}

/** The first two inputs added in one pass (a residual's usual two; −0 + −0 stays −0, as torch), then the rest. */
function sum(inputs: readonly Tensor[]): Tensor {
  const z = zeros(inputs[0].shape, inputs[0].dtype);
  const [zd, a, b] = [z.data, inputs[0].data, inputs[1].data];
  if (!addWasm(a, b, zd)) for (let k = 0; k < zd.length; k++) zd[k] = a[k] + b[k];
  for (const { data } of inputs.slice(2)) if (!addWasm(zd, data, zd)) for (let k = 0; k < zd.length; k++) zd[k] += data[k];
  return z;
}

/** What the view reads (the plan's and the record's): the op and the names of its inputs. */
function geometry(l: MergeLayer, names: readonly string[]): LayerGeometry<'merge', MergeInfo> {
  return { kind: 'merge', info: { op: l.type, inputs: [...names] } };
}

export const mergeKind: MergeKind<MergeLayer> = {
  minInputs: 2,
  summary: type => SUMMARY[type],
  params: () => ({}),
  build: type => ({ type }),
  // Its inputs are several layers' outputs, and a spec has one input.
  specKeys: () => undefined,
  title: l => l.type,
  plan(l, inputs, backward) {
    const out = outputShape(l, inputs);
    // add hands δ itself to every input; concat allocates each input's slice.
    const grads = backward && l.type === 'concat' ? inputs.map((x, j) => planned(mergeGrad(j), x.shape)) : [];
    const cost: LayerCost = l.type === 'add' ? elementCost(sizeOf(out), inputs.length - 1, words('costAdd', inputs.length - 1)) : NO_COST;
    return { output: out, tensors: [planned('z', out), ...grads], geometry: geometry(l, inputs.map(x => x.name)), cost };
  },
  forward: (l, inputs, plan) => ({ output: l.type === 'add' ? sum(inputs) : concat(inputs, plan.output), cache: {} }),
  backward: ({ spec: l, inputs }, delta) => ({ deltaIns: deltaIns(l, inputs, delta), params: {} }),
  record({ spec: l, inputs, names, output }, delta) {
    const axes = shapeAxes(output.shape);
    const starts = channelStarts(inputs.map(x => x.shape));
    const tensors: Partial<Record<TensorName, TraceTensor>> = {};
    inputs.forEach((x, j) => { tensors[mergeInput(j)] = recorded(mergeInput(j), x, shapeAxes(x.shape), { key: 'merge.input', args: { from: names[j] } }); });
    tensors.z = recorded('z', output, axes, { key: `${l.type}.z` });
    const handed = delta && deltaIns(l, inputs, delta);
    if (delta && handed) {
      tensors.delta = recorded('delta', delta, axes, { key: 'merge.delta' });
      handed.forEach((d, j) => {
        tensors[mergeGrad(j)] = recorded(mergeGrad(j), d, shapeAxes(d.shape), l.type === 'add'
          ? { key: 'add.dA', args: { from: names[j] } }
          : { key: 'concat.dA', args: { from: names[j], start: starts[j], end: starts[j + 1] } });
      });
    }
    const xs = inputs.map((_, j) => mergeInput(j));
    const grads = inputs.map((_, j) => mergeGrad(j));
    const stages = l.type === 'add'
      ? [stage('add', 'forward', 'Add the inputs', `z = ${xs.join(' + ')}`, xs, ['z']),
        stage('add_grad', 'backward', 'δ to every input', '∂C/∂input_j = δ, for every input j', ['delta'], grads)]
      : [stage('concat', 'forward', 'Concatenate along channels', `z = concat([${xs.join(', ')}], axis=1)`, xs, ['z']),
        stage('concat_grad', 'backward', 'Split δ by channels', `∂C/∂input_j = δ[:, start_j : start_j + C_j]`, ['delta'], grads)];
    return { tensors, stages: passes(stages, delta !== undefined), geometry: geometry(l, names), deltaIns: handed };
  },
};
