// The lean run's own backward paths against the separate passes and the direct loops: conv's fused backward
// (∂C/∂input and ∂C/∂w in one call on the kernels, or ∂C/∂w alone), pooling's ∂C/∂input routed by the saved argmax
// without window tensors, linear's forward and backward on the matrix kernels, and runNetwork's options that skip
// the input's gradient or let each δ go.

import * as assert from 'assert';
import { conv2dInputGrad, conv2dWeightGrad, convGradients } from '../../src/engine/conv2d';
import { ConvOptions, convInfo } from '../../src/engine/convInfo';
import { linearBackward, linearOutput, poolBackward, poolCol2im, poolForwardByWindows, poolInfo, poolInputGrad, poolOutput } from '../../src/engine/layers';
import type { PoolOptions } from '../../src/engine/layers';
import { NetworkProblem } from '../../src/engine/network';
import { runNetwork } from '../../src/engine/networkRun';
import { conv2dGradNaive } from '../../src/engine/reference';
import { DType, Tensor } from '../../src/engine/tensor';
import { setWasmGemm, wasmGemmAvailable } from '../../src/engine/wasm/gemmWasm';
import { assertClose, randomTensor, rng } from './helpers';

const tolerance = (dtype: DType) => (dtype === 'float32' ? 1e-4 : 1e-10);
const scaled = (t: Tensor, dtype: DType) => tolerance(dtype) * Math.max(1, ...Array.from(t.data, Math.abs));

const CONVS: { name: string; input: number[]; weight: number[]; options: ConvOptions }[] = [
  { name: '3×3 p1', input: [2, 4, 7, 6], weight: [5, 4, 3, 3], options: { padding: 1 } },
  { name: 'stride 2, dilation 2, padding [2, 1]', input: [1, 3, 11, 9], weight: [4, 3, 3, 2], options: { stride: 2, dilation: 2, padding: [2, 1] } },
  { name: 'groups 2, stride [2, 1]', input: [2, 6, 8, 8], weight: [4, 3, 3, 3], options: { groups: 2, stride: [2, 1], padding: 1 } },
  { name: 'depthwise', input: [1, 4, 6, 6], weight: [4, 1, 3, 3], options: { groups: 4, padding: 1 } },
  { name: 'fewer windows than kernels', input: [1, 8, 3, 3], weight: [40, 8, 3, 3], options: { padding: 1 } },
];

describe('the lean backward passes', () => {
  it('the kernels are on (these tests check their fused call)', () => assert.ok(wasmGemmAvailable()));

  for (const dtype of ['float32', 'float64'] as const) {
    it(`linear (${dtype}): z, ∂C/∂input, ∂C/∂W and ∂C/∂b on the kernels against the direct loops, one input and three`, () => {
      for (const B of [1, 3]) {
        const [In, Out] = [300, 70];
        const [x, w, b, d] = [randomTensor([B, In], rng(40 + B), dtype), randomTensor([Out, In], rng(41), dtype), randomTensor([Out], rng(42), dtype), randomTensor([B, Out], rng(43), dtype)];
        const want = { z: new Float64Array(B * Out).fill(0), dA: new Float64Array(B * In), dW: new Float64Array(Out * In), db: new Float64Array(Out) };
        for (let n = 0; n < B; n++) for (let o = 0; o < Out; o++) {
          let s = b.data[o];
          for (let i = 0; i < In; i++) {
            s += x.data[n * In + i] * w.data[o * In + i];
            want.dA[n * In + i] += d.data[n * Out + o] * w.data[o * In + i];
            want.dW[o * In + i] += d.data[n * Out + o] * x.data[n * In + i];
          }
          want.z[n * Out + o] = s;
          want.db[o] += d.data[n * Out + o];
        }
        const asTensor = (data: Float64Array, shape: number[]): Tensor => ({ shape, dtype: 'float64', data });
        const z = linearOutput(x, w, b);
        assertClose(z, asTensor(want.z, [B, Out]), scaled(z, dtype), `z, batch ${B}`);
        const g = linearBackward(x, w, d);
        assertClose(g.dA, asTensor(want.dA, [B, In]), scaled(g.dA, dtype), `∂C/∂input, batch ${B}`);
        assertClose(g.dW, asTensor(want.dW, [Out, In]), scaled(g.dW, dtype), `∂C/∂W, batch ${B}`);
        assertClose(g.db, asTensor(want.db, [Out]), scaled(g.db, dtype), `∂C/∂b, batch ${B}`);
      }
    });
  }

  for (const dtype of ['float32', 'float64'] as const) {
    for (const c of CONVS) {
      it(`conv ${c.name} (${dtype}): the fused backward equals the separate passes and the direct loops; ∂C/∂w alone too`, () => {
        const random = rng(c.input.length * 31 + c.weight[0]);
        const input = randomTensor(c.input, random, dtype);
        const weight = randomTensor(c.weight, random, dtype);
        const info = convInfo(input.shape, weight.shape, c.options);
        const delta = randomTensor([info.batch, info.outChannels, info.outHeight, info.outWidth], random, dtype);
        const fused = convGradients(input, weight, delta, info);
        const dInput = conv2dInputGrad(input.shape, weight, delta, c.options);
        const { dWeight, dBias } = conv2dWeightGrad(input, weight.shape, delta, c.options);
        // The same products in the same order: equal to the last bit.
        assert.deepStrictEqual(fused.dInput!.data, dInput.data);
        assert.deepStrictEqual(fused.dWeight.data, dWeight.data);
        assert.deepStrictEqual(fused.dBias.data, dBias.data);
        const naive = conv2dGradNaive(input, weight, delta, info);
        assertClose(fused.dInput!, naive.dInput, scaled(naive.dInput, dtype), 'dInput');
        assertClose(fused.dWeight, naive.dWeight, scaled(naive.dWeight, dtype), 'dWeight');
        const weightsOnly = convGradients(input, weight, delta, info, { input: false });
        assert.strictEqual(weightsOnly.dInput, undefined);
        assert.deepStrictEqual(weightsOnly.dWeight.data, dWeight.data);
        assert.deepStrictEqual(weightsOnly.dBias.data, dBias.data);
      });
    }
  }

  const POOLS: { name: string; kind: 'max' | 'avg'; input: number[]; options: PoolOptions }[] = [
    { name: 'max 3×3 s2 p1 (ResNet\'s)', kind: 'max', input: [2, 3, 9, 8], options: { kernel: 3, stride: 2, padding: 1 } },
    { name: 'max 2×3, dilation 2, ceil_mode', kind: 'max', input: [1, 2, 9, 10], options: { kernel: [2, 3], stride: 2, dilation: 2, ceilMode: true } },
    { name: 'max 2×2 with ties', kind: 'max', input: [1, 1, 4, 4], options: { kernel: 2, stride: 1 } },
    { name: 'avg 3×3 s2 p1, ceil_mode', kind: 'avg', input: [2, 2, 8, 7], options: { kernel: 3, stride: 2, padding: 1, ceilMode: true } },
  ];
  for (const dtype of ['float32', 'float64'] as const) {
    for (const c of POOLS) {
      it(`pool ${c.name} (${dtype}): ∂C/∂input by the saved argmax or divisors equals the col2im of the trace's dpool_t; its z, the reduce of pool_t`, () => {
        const random = rng(7);
        const x = randomTensor(c.input, random, dtype, c.name.includes('ties'));
        const p = poolInfo(c.kind, x.shape, c.options);
        const fwd = poolOutput(x, p);
        const delta = randomTensor([p.batch, p.channels, p.outHeight, p.outWidth], random, dtype);
        // The trace's dA (max pooling: the module's, from δ and the argmax) and the col2im its stage names, with the
        // kernels on and off (the loops).
        for (const kernels of [true, false]) {
          setWasmGemm(kernels);
          try {
            const traced = poolBackward(delta, fwd, p);
            const col2im = poolCol2im(traced.dpool_t, p).data;
            assert.deepStrictEqual(poolInputGrad(delta, fwd, p).data, col2im);
            assert.deepStrictEqual(traced.dA.data, col2im);
            const windows = poolForwardByWindows(x, p);
            assert.deepStrictEqual([windows.z.data, windows.argmax?.data], [fwd.z.data, fwd.argmax?.data]);
          } finally {
            setWasmGemm(true);
          }
        }
      });
    }
  }

  const network = (dtype: DType): NetworkProblem => {
    const random = rng(3);
    return {
      input: randomTensor([2, 3, 8, 8], random, dtype), dtype, loss: { type: 'cross_entropy', target: [1, 0] },
      layers: [
        { type: 'conv2d', weight: randomTensor([4, 3, 3, 3], random, dtype), bias: randomTensor([4], random, dtype), options: { padding: 1 } },
        { type: 'relu' },
        { type: 'maxpool2d', options: { kernel: 2 } },
        { type: 'conv2d', weight: randomTensor([4, 4, 3, 3], random, dtype), options: { padding: 1 } },
        { type: 'add', inputs: [2, 3] },
        { type: 'flatten' },
        { type: 'linear', weight: randomTensor([3, 64], random, dtype) },
      ],
    } as NetworkProblem;
  };
  // Without keepDeltas a relu writes its δ-in into its own δ: not where add handed the same δ to a layer still to run.
  const shared = (dtype: 'float32' | 'float64'): NetworkProblem => {
    const p = network(dtype);
    const random = rng(7);
    const conv = (inputs: number[]) => ({ type: 'conv2d', weight: randomTensor([4, 4, 3, 3], random, dtype), options: { padding: 1 }, inputs });
    return { ...p, layers: [p.layers[0], { type: 'relu' }, conv([1]), conv([1]), { type: 'relu', inputs: [2] }, { type: 'add', inputs: [3, 4] }, { type: 'relu' }, { type: 'maxpool2d', options: { kernel: 2 } }, { type: 'flatten' }, p.layers[6]] } as NetworkProblem;
  };
  for (const [dtype, make] of [['float32', network], ['float64', network], ['float32', shared]] as const) {
    it(`runNetwork (${dtype}${make === shared ? ', a relu beside an add' : ''}): inputGradient false skips ∂C/∂input, keepDeltas false lets each δ go; the parameters' gradients are the same`, () => {
      const problem = make(dtype);
      const full = runNetwork(problem).gradients!;
      assert.ok(full.input && full.input.data.some(v => v !== 0));
      for (const options of [{ inputGradient: false }, { keepDeltas: false }, { inputGradient: false, keepDeltas: false }]) {
        const lean = runNetwork(problem, options).gradients!;
        assert.strictEqual(lean.input === undefined, options.inputGradient === false, JSON.stringify(options));
        if (lean.input) assert.deepStrictEqual(lean.input.data, full.input.data);
        assert.strictEqual(lean.deltas.every(d => d === undefined), options.keepDeltas === false);
        if (options.keepDeltas !== false) lean.deltas.forEach((d, i) => assert.deepStrictEqual(d!.data, full.deltas[i]!.data));
        lean.params.forEach((p, i) => {
          assert.deepStrictEqual(Object.keys(p), Object.keys(full.params[i]));
          for (const [key, g] of Object.entries(p)) assert.deepStrictEqual(g.data, full.params[i][key].data, `layers[${i}].${key} ${JSON.stringify(options)}`);
        });
        assert.deepStrictEqual(lean.from, full.from);
      }
    });
  }
});
