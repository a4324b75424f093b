// The elementwise product as a layer, with broadcasting (broadcast.ts): z = input_0 ⊙ input_1 of the two layers
// its "inputs" names (a squeeze-and-excitation block's (B, C, H, W) ⊙ (B, C, 1, 1) gate), or z = input ⊙ by with
// `by` a constant tensor broadcast to the input's shape (an ONNX Mul by an initializer; a Div by a constant is
// a Mul by its reciprocal). Backward, each factor gets δ ⊙ the other factor, added up over the axes it was
// broadcast along. `by` is a constant: it learns nothing and gets no gradient. One multiply per output value.

import { broadcastShape, walkBroadcast } from '../broadcast';
import { EngineError } from '../errors';
import { Tensor, sizeOf, zeros } from '../tensor';
import { TensorName, TraceTensor, recorded } from '../trace';
import { elementCost } from './cost';
import { LayerParam, MergeKind, NamedShape, passes, planned, shapeAxes, stage } from './kind';
import { mergeGrad, mergeInput } from './merge';
import type { MulInfo } from './mulView';
import { type LayerGeometry, words } from './view';

export type MulLayer = { type: 'mul'; by?: Tensor };

const PARAMS: Record<string, LayerParam> = {
  by: {
    read: 'tensor', anyRank: true,
    doc: 'A constant factor broadcast to the input\'s shape (numpy\'s rules, aligned at the last axis), e.g. one value per channel as [[[2]], [[0.5]]] for (B, 2, H, W); the layer then takes one input. A constant: it gets no gradient. Divide by c with by = 1/c.',
  },
};

/** The second factor's tensor name: the second input's, or `by`. */
const secondFactor = (l: MulLayer): TensorName => (l.by ? 'by' : mergeInput(1));

/** The output's shape, or an EngineError naming the factors and their shapes. */
function outputShape(l: MulLayer, inputs: readonly NamedShape[]): number[] {
  const wanted = l.by ? 1 : 2;
  if (inputs.length !== wanted) throw new EngineError('mul', { code: 'mul.inputs', args: { count: inputs.length, by: l.by !== undefined } }, 'inputs');
  const factors = l.by ? [inputs[0], { name: 'by', shape: l.by.shape }] : inputs;
  const out = broadcastShape(factors[0].shape, factors[1].shape);
  // With `by`, the output keeps the input's shape: `by` is broadcast to it, never the other way.
  if (!out || (l.by && out.length !== inputs[0].shape.length) || (l.by && out.some((d, k) => d !== inputs[0].shape[k]))) {
    throw new EngineError('mul', { code: 'mul.shapes', args: { names: factors.map(f => f.name), shapes: factors.map(f => [...f.shape]) } }, l.by ? 'by' : 'inputs');
  }
  return out;
}

const factorsOf = (l: MulLayer, inputs: readonly Tensor[]): [Tensor, Tensor] => [inputs[0], l.by ?? inputs[1]];

function multiply(a: Tensor, b: Tensor, out: readonly number[]): Tensor {
  const z = zeros(out, a.dtype);
  const [zd, ad, bd] = [z.data, a.data, b.data];
  walkBroadcast(out, a.shape, b.shape, (k, i, j) => { zd[k] = ad[i] * bd[j]; });
  return z;
}

/** ∂C/∂a = Σ δ ⊙ b and ∂C/∂b = Σ δ ⊙ a, each added up over the axes it is broadcast along; `b`'s only when asked. */
function gradients(a: Tensor, b: Tensor, delta: Tensor, both: boolean): Tensor[] {
  const da = zeros(a.shape, delta.dtype);
  const [d, ad, bd, dad] = [delta.data, a.data, b.data, da.data];
  if (!both) {
    walkBroadcast(delta.shape, a.shape, b.shape, (k, i, j) => { dad[i] += d[k] * bd[j]; });
    return [da];
  }
  const db = zeros(b.shape, delta.dtype);
  const dbd = db.data;
  walkBroadcast(delta.shape, a.shape, b.shape, (k, i, j) => { dad[i] += d[k] * bd[j]; dbd[j] += d[k] * ad[i]; });
  return [da, db];
}

/** What the view reads (the plan's and the record's): the inputs' names, and whether the second factor is `by`. */
function geometry(l: MulLayer, names: readonly string[]): LayerGeometry<'mul', MulInfo> {
  return { kind: 'mul', info: { inputs: [...names], by: l.by !== undefined } };
}

export const mulKind: MergeKind<MulLayer> = {
  // One input with `by`; two without (the plan says which is wrong).
  minInputs: 1,
  summary: () => 'the elementwise product of the two layers its "inputs" names, broadcast as numpy (a squeeze-and-excitation gate), or of its input and a constant "by"',
  params: () => PARAMS,
  build: (type, { by }) => (by ? { type, by: by as Tensor } : { type }),
  // A constant factor `by` makes it a layer of one input; two layers' outputs cannot be one spec's input.
  specKeys: l => (l.by ? { by: l.by } : undefined),
  title: l => (l.by ? `mul by (${l.by.shape.join(', ')})` : 'mul'),
  plan(l, inputs, backward) {
    const out = outputShape(l, inputs);
    const grads = backward ? inputs.map((x, j) => planned(mergeGrad(j), x.shape)) : [];
    return { output: out, tensors: [planned('z', out), ...grads], geometry: geometry(l, inputs.map(x => x.name)), cost: elementCost(sizeOf(out), 1, words('costMul')) };
  },
  forward: (l, inputs, plan) => ({ output: multiply(...factorsOf(l, inputs), plan.output), cache: {} }),
  backward: ({ spec: l, inputs }, delta) => ({ deltaIns: gradients(...factorsOf(l, inputs), delta, !l.by), params: {} }),
  record({ spec: l, inputs, names, output }, delta) {
    const [a, b] = factorsOf(l, inputs);
    const second = secondFactor(l);
    const tensors: Partial<Record<TensorName, TraceTensor>> = {
      [mergeInput(0)]: recorded(mergeInput(0), a, shapeAxes(a.shape), { key: 'merge.input', args: { from: names[0] } }),
      [second]: recorded(second, b, shapeAxes(b.shape), l.by ? { key: 'mul.by' } : { key: 'merge.input', args: { from: names[1] } }),
      z: recorded('z', output, shapeAxes(output.shape), { key: 'mul.z' }),
    };
    const handed = delta && gradients(a, b, delta, !l.by);
    if (delta && handed) {
      tensors.delta = recorded('delta', delta, shapeAxes(delta.shape), { key: 'merge.delta' });
      handed.forEach((d, j) => {
        tensors[mergeGrad(j)] = recorded(mergeGrad(j), d, shapeAxes(d.shape), { key: 'mul.dA', args: { from: names[j], other: j ? mergeInput(0) : second } });
      });
    }
    const factors = [mergeInput(0), second];
    const grads = handed ? handed.map((_, j) => mergeGrad(j)) : [];
    const stages = [
      stage('mul', 'forward', 'Multiply the factors', `z = ${factors.join(' ⊙ ')} (broadcast)`, factors, ['z']),
      stage('mul_grad', 'backward', 'δ times the other factor', '∂C/∂input_j = Σ over its broadcast axes of δ ⊙ (the other factor)', ['delta', ...factors], grads),
    ];
    return { tensors, stages: passes(stages, delta !== undefined), geometry: geometry(l, names), deltaIns: handed };
  },
};
