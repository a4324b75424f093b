// Winograd's F(4×4, 3×3) (src/engine/wasm/winogradWasm.ts): the lean run's stride-1 3 × 3 convolutions against the
// direct loops in float64, the geometries and values it leaves to im2col, and a ResNet-18-shaped model's lean run
// with it on every such layer, node by node against onnxruntime-node.

import * as assert from 'assert';
import { conv2d, conv2dInputGrad, conv2dWeightGrad } from '../../src/engine/conv2d';
import { ConvInfo, ConvOptions, convInfo } from '../../src/engine/convInfo';
import { runNetwork, traceRunLayer } from '../../src/engine/networkRun';
import { parseHostMessage } from '../../src/protocol/validate';
import { layerToWire } from '../../src/protocol/wire';
import { conv2dNaive } from '../../src/engine/reference';
import { Tensor, maxAbs, maxAbsDiff } from '../../src/engine/tensor';
import { conv2dWinograd, inputGradWinograd, setWinogradLimits, turnedInfo, weightGradWinograd, winogradApplies } from '../../src/engine/wasm/winogradWasm';
import { readSpecProblem } from '../../src/specReader/convSpec';
import { JsonSource } from '../../src/specReader/source';
import type { NetworkProblem } from '../../src/engine/network';
import { resnet18Onnx } from '../support/resnet18';
import { randomTensor, rng } from './helpers';
import { modelProblem, modelSpec, outputNames, reference, traceModel } from './onnxReference';

const asFloat64 = (t: Tensor): Tensor => ({ shape: t.shape, dtype: 'float64', data: Float64Array.from(t.data) });

/** max |z - reference| / max |reference|, the reference from the direct loops in float64 on the same float32 values. */
function relativeError(x: Tensor, w: Tensor, b: Tensor | undefined, options: ConvOptions, z: Tensor): number {
  const info = convInfo(x.shape, w.shape, options, b?.shape);
  const want = conv2dNaive(asFloat64(x), asFloat64(w), b && asFloat64(b), info);
  return maxAbsDiff(asFloat64(z), want) / maxAbs(want.data);
}

describe('Winograd F(4×4, 3×3): the lean run\'s stride-1 3×3 convolutions', () => {
  afterEach(() => setWinogradLimits());

  const CASES: [string, number[], number[], ConvOptions, boolean][] = [
    ['ResNet\'s 28 × 28 layer, 64 channels, padding 1, with a bias', [1, 64, 28, 28], [64, 64, 3, 3], { padding: 1 }, true],
    ['maps that are no multiple of 4 (17 × 13), 7 kernels, 5 channels, two images', [2, 5, 17, 13], [7, 5, 3, 3], { padding: 1 }, true],
    ['no padding: 21 × 18 → 19 × 16, one channel', [3, 1, 21, 18], [6, 1, 3, 3], {}, false],
    ['padding 2 down the rows, 0 and 1 across (top, bottom, left, right): the output taller than the input', [1, 3, 9, 11], [5, 3, 3, 3], { padding: [2, 2, 0, 1] }, true],
  ];
  for (const [what, xShape, wShape, options, withBias] of CASES) {
    it(`${what}: the direct loops' z within 2e-5 of its largest value`, () => {
      setWinogradLimits({ minTiles: 1, minProduct: 1 });
      const [x, w] = [randomTensor(xShape, rng(1), 'float32'), randomTensor(wShape, rng(2), 'float32')];
      const b = withBias ? randomTensor([wShape[0]], rng(3), 'float32') : undefined;
      const z = conv2dWinograd(x, w, b, convInfo(x.shape, w.shape, options, b?.shape));
      assert.ok(z, 'Winograd did not run');
      assert.deepStrictEqual(z.shape, conv2d(x, w, b, options).shape);
      const error = relativeError(x, w, b, options, z);
      assert.ok(error <= 2e-5, `relative error ${error}`);
      // Not the im2col kernel's sums: the test would pass without Winograd otherwise.
      assert.notDeepStrictEqual(z.data, conv2d(x, w, b, options).data);
    });
  }

  for (const [what, xShape, wShape, options] of CASES) {
    it(`${what}: ∂C/∂input (δ's convolution with the turned kernels) the direct loops' within 2e-5 of its largest value`, () => {
      setWinogradLimits({ minTiles: 1, minProduct: 1 });
      const [x, w] = [randomTensor(xShape, rng(21), 'float32'), randomTensor(wShape, rng(22), 'float32')];
      const info = convInfo(x.shape, w.shape, options);
      const delta = randomTensor([x.shape[0], w.shape[0], info.outHeight, info.outWidth], rng(23), 'float32');
      const turned = turnedInfo(info, 'float32');
      assert.ok(turned, 'applies');
      const dx = inputGradWinograd(w, delta, turned)!;
      const want = conv2dInputGrad(x.shape, asFloat64(w), asFloat64(delta), options);
      assert.deepStrictEqual(dx.shape, want.shape);
      const error = maxAbsDiff(asFloat64(dx), want) / maxAbs(want.data);
      assert.ok(error <= 2e-5, `relative error ${error}`);
      assert.notDeepStrictEqual(dx.data, conv2dInputGrad(x.shape, w, delta, options).data, 'col2im\'s bits');
    });
  }

  it('∂C/∂input written over δ\'s own array where asked (as many channels in as out, one block): the same values', () => {
    setWinogradLimits({ minTiles: 1, minProduct: 1 });
    const [w, delta] = [randomTensor([5, 5, 3, 3], rng(24), 'float32'), randomTensor([2, 5, 9, 10], rng(25), 'float32')];
    const info = convInfo([2, 5, 9, 10], w.shape, { padding: 1 });
    const turned = turnedInfo(info, 'float32')!;
    const original = Float32Array.from(delta.data);
    const fresh = inputGradWinograd(w, delta, turned)!;
    const over = inputGradWinograd(w, delta, turned, delta.data)!;
    assert.strictEqual(over.data, delta.data);
    assert.deepStrictEqual(over.data, fresh.data);
    // In blocks of one image, the second block's δ would be read after the first's output was written: a new array.
    setWinogradLimits({ minTiles: 1, minProduct: 1, blockValues: 36 * 5 * 9 });
    const copy = Float32Array.from(original);
    const blocked = inputGradWinograd(w, { ...delta, data: copy }, turned, copy)!;
    assert.notStrictEqual(blocked.data, copy);
    assert.deepStrictEqual(blocked.data, fresh.data);
    // Where the second image's δ holds a NaN, found once the first's output would have been written: δ left whole.
    copy[copy.length - 3] = NaN;
    const kept = Float32Array.from(copy);
    assert.strictEqual(inputGradWinograd(w, { ...delta, data: copy }, turned, copy), undefined);
    assert.deepStrictEqual(copy, kept);
  });

  it('∂C/∂input applies where z would and each side pads at most 2 (the turned padding is 2 − p)', () => {
    const turned = (x: number[], w: number[], options: ConvOptions = { padding: 1 }, dtype: 'float32' | 'float64' = 'float32') =>
      turnedInfo(convInfo(x, w, options), dtype) !== undefined;
    assert.strictEqual(turned([1, 64, 56, 56], [64, 64, 3, 3]), true);
    assert.strictEqual(turned([1, 128, 28, 28], [128, 128, 3, 3]), true);
    assert.strictEqual(turned([1, 256, 14, 14], [256, 256, 3, 3]), true);
    assert.strictEqual(turned([1, 512, 7, 7], [512, 512, 3, 3]), false, '4 tiles: too few');
    assert.strictEqual(turned([1, 64, 56, 56], [64, 64, 3, 3], { padding: 3 }), false, 'padding 3');
    assert.strictEqual(turned([1, 64, 56, 56], [64, 64, 3, 3], { padding: 1, stride: 2 }), false, 'stride 2');
    assert.strictEqual(turned([1, 64, 56, 56], [64, 64, 3, 3], { padding: 1 }, 'float64'), false, 'float64');
    assert.strictEqual(turned([1, 64, 56, 56], [64, 32, 3, 3], { padding: 1, groups: 2 }), false, 'groups');
  });

  it('a NaN in δ: ∂C/∂input left to col2im, whose bits the run\'s δ-in then has', () => {
    setWinogradLimits({ minTiles: 1, minProduct: 1 });
    const [x, w] = [randomTensor([1, 4, 12, 12], rng(26), 'float32'), randomTensor([4, 4, 3, 3], rng(27), 'float32')];
    const grad = randomTensor([1, 4, 12, 12], rng(28), 'float32');
    grad.data[50] = NaN;
    const info = convInfo(x.shape, w.shape, { padding: 1 });
    assert.strictEqual(inputGradWinograd(w, grad, turnedInfo(info, 'float32')!), undefined);
    const run = runNetwork({ input: x, grad, dtype: 'float32', layers: [{ type: 'conv2d', weight: w, options: { padding: 1 } }] } as NetworkProblem);
    assert.deepStrictEqual(run.gradients!.input!.data, conv2dInputGrad(x.shape, w, grad, { padding: 1 }).data);
    // Recorded as col2im's (an opened layer compares nothing), and ∂C/∂w too (a NaN in δ).
    assert.strictEqual(run.gradients!.methods![0], undefined);
  });

  for (const [what, xShape, wShape, options] of CASES) {
    it(`${what}: ∂C/∂w and ∂C/∂b (δ's tiles against the input's patches) the direct loops' within 2e-5 of their largest value`, () => {
      setWinogradLimits({ minTiles: 1, minProduct: 1, minGradTiles: 1 });
      const x = randomTensor(xShape, rng(31), 'float32');
      const info = convInfo(x.shape, wShape, options);
      const delta = randomTensor([x.shape[0], wShape[0], info.outHeight, info.outWidth], rng(33), 'float32');
      const got = weightGradWinograd(x, delta, info);
      assert.ok(got, 'Winograd did not run');
      const want = conv2dWeightGrad(asFloat64(x), wShape, asFloat64(delta), options);
      for (const [name, value, expected] of [['∂C/∂w', got.dWeight, want.dWeight], ['∂C/∂b', got.dBias, want.dBias]] as const) {
        assert.deepStrictEqual(value.shape, expected.shape, name);
        const error = maxAbsDiff(asFloat64(value), expected) / maxAbs(expected.data);
        assert.ok(error <= 2e-5, `${name}: relative error ${error}`);
      }
      const im2col = conv2dWeightGrad(x, wShape, delta, options);
      assert.notDeepStrictEqual(got.dWeight.data, im2col.dWeight.data, 'δ_tᵀ @ a_t\'s bits');
      // ∂C/∂b sums δ in the one order every path takes (addBiasGrad): the same bits.
      assert.deepStrictEqual(got.dBias.data, im2col.dBias.data);
    });
  }

  it('∂C/∂w in blocks of images and slices of kernels: the loops\' within 2e-5; a NaN or a huge value in the input or δ leaves it to im2col', () => {
    const x = randomTensor([3, 5, 11, 9], rng(34), 'float32');
    const shape = [30, 5, 3, 3];
    const info = convInfo(x.shape, shape, { padding: 1 });
    const delta = randomTensor([3, 30, info.outHeight, info.outWidth], rng(35), 'float32');
    const want = conv2dWeightGrad(asFloat64(x), shape, asFloat64(delta), { padding: 1 }).dWeight;
    // Blocks of one image (M summed over three blocks) and slices of ceil(30 / ceil(36·5·30 / 2500)) = 10 kernels.
    setWinogradLimits({ minTiles: 1, minProduct: 1, minGradTiles: 1, sliceValues: 2500, blockValues: 36 * 30 * 9 });
    const got = weightGradWinograd(x, delta, info)!.dWeight;
    assert.ok(maxAbsDiff(asFloat64(got), want) / maxAbs(want.data) <= 2e-5);
    for (const [t, value] of [[x, NaN], [delta, 1e16], [delta, -Infinity]] as const) {
      const saved = t.data[40];
      t.data[40] = value;
      assert.strictEqual(weightGradWinograd(x, delta, info), undefined, `${value}`);
      t.data[40] = saved;
    }
    setWinogradLimits({ minTiles: 1, minProduct: 1, minGradTiles: 3 * 12 + 1 });
    assert.strictEqual(weightGradWinograd(x, delta, info), undefined, 'fewer tiles than minGradTiles');
  });

  it('a ResNet-18-shaped model\'s run with Winograd forward and backward: every δ and gradient im2col\'s within 1e-4', () => {
    const problem = modelProblem(resnet18Onnx({ size: 64, widths: [16, 16, 24, 32], classes: 10 }), randomTensor([1, 3, 64, 64], rng(29)), 'float32', { loss: { type: 'cross_entropy', target: [3] } });
    setWinogradLimits({ minTiles: 1e9 });
    const im2col = runNetwork(problem);
    setWinogradLimits({ minTiles: 1, minProduct: 1, minGradTiles: 1 });
    const winograd = runNetwork(problem);
    const close = (got: Tensor, want: Tensor, what: string) => {
      const error = maxAbsDiff(got, want) / Math.max(1, maxAbs(want.data));
      assert.ok(error <= 1e-4, `${what}: ${error} relative`);
    };
    let differ = 0;
    winograd.gradients!.deltas.forEach((d, i) => {
      close(d!, im2col.gradients!.deltas[i]!, `layers[${i}]: δ`);
      for (const [k, g] of Object.entries(winograd.gradients!.params[i])) close(g, im2col.gradients!.params[i][k], `layers[${i}]: ∂C/∂${k}`);
      if (problem.layers[i].type === 'conv2d' && winograd.outputMethods[i] && maxAbsDiff(d!, im2col.gradients!.deltas[i]!) > 0) differ++;
    });
    close(winograd.gradients!.input!, im2col.gradients!.input!, 'input gradient');
    assert.notDeepStrictEqual(winograd.gradients!.input!.data, im2col.gradients!.input!.data, 'the first conv\'s ∂C/∂input by Winograd');
    assert.ok(differ > 0, 'no δ changed');
    // As training (each δ let go, ∂C/∂input written over δ's array where it may be): the same gradients, bit for bit.
    const trained = runNetwork(problem, { keepDeltas: false });
    trained.gradients!.params.forEach((p, i) => { for (const [k, g] of Object.entries(p)) assert.deepStrictEqual(g.data, winograd.gradients!.params[i][k].data, `training layers[${i}].${k}`); });
  });

  it('in blocks of images (one image a block): each block the same as alone', () => {
    const [x, w, b] = [randomTensor([3, 4, 10, 10], rng(4), 'float32'), randomTensor([6, 4, 3, 3], rng(5), 'float32'), randomTensor([6], rng(6), 'float32')];
    const info = convInfo(x.shape, w.shape, { padding: 1 }, b.shape);
    setWinogradLimits({ minTiles: 1, minProduct: 1 });
    const whole = conv2dWinograd(x, w, b, info)!;
    setWinogradLimits({ minTiles: 1, minProduct: 1, blockValues: 36 * 6 * 9 });
    const blocked = conv2dWinograd(x, w, b, info)!;
    assert.deepStrictEqual(blocked.data, whole.data);
    assert.ok(relativeError(x, w, b, { padding: 1 }, blocked) <= 2e-5);
  });

  it('the kernels in slices (36·Cin·Cout values over the limit): slices of 12, 12 and 6 kernels, the same as in one', () => {
    const [x, w, b] = [randomTensor([2, 5, 11, 9], rng(15), 'float32'), randomTensor([30, 5, 3, 3], rng(16), 'float32'), randomTensor([30], rng(17), 'float32')];
    const info = convInfo(x.shape, w.shape, { padding: 1 }, b.shape);
    setWinogradLimits({ minTiles: 1, minProduct: 1 });
    const whole = conv2dWinograd(x, w, b, info)!;
    // ceil(36·5·30 / 2500) = 3 slices of ceil(30 / 3 / 4)·4 = 12 kernels (the last 6, laid out 8 apart); with blocks of one image too.
    setWinogradLimits({ minTiles: 1, minProduct: 1, sliceValues: 2500, blockValues: 36 * 30 * 9 });
    const sliced = conv2dWinograd(x, w, b, info)!;
    assert.deepStrictEqual(sliced.data, whole.data);
    assert.ok(relativeError(x, w, b, { padding: 1 }, sliced) <= 2e-5);
  });

  it('applies to float32 3×3 stride-1 undilated ungrouped convs with enough tiles and work, no other', () => {
    const applies = (x: number[], w: number[], options: ConvOptions = { padding: 1 }, dtype: 'float32' | 'float64' = 'float32') =>
      winogradApplies(convInfo(x, w, options), dtype);
    assert.strictEqual(applies([1, 64, 56, 56], [64, 64, 3, 3]), true);
    assert.strictEqual(applies([1, 128, 28, 28], [128, 128, 3, 3]), true, '49 tiles, 128 channels');
    assert.strictEqual(applies([1, 256, 14, 14], [256, 256, 3, 3]), true, '16 tiles, kernels of 9.4 MB transformed (in slices)');
    assert.strictEqual(applies([1, 32, 16, 16], [64, 32, 3, 3]), true, '16 tiles');
    assert.strictEqual(applies([1, 512, 7, 7], [512, 512, 3, 3]), false, '4 tiles: too few');
    assert.strictEqual(applies([1, 32, 16, 16], [32, 32, 3, 3]), false, 'products too small to gain');
    assert.strictEqual(applies([1, 64, 56, 56], [64, 64, 3, 3], { padding: 1 }, 'float64'), false, 'float64');
    assert.strictEqual(applies([1, 64, 56, 56], [64, 64, 3, 3], { padding: 1, stride: 2 }), false, 'stride 2');
    assert.strictEqual(applies([1, 64, 56, 56], [64, 64, 3, 3], { padding: 2, dilation: 2 }), false, 'dilation 2');
    assert.strictEqual(applies([1, 64, 56, 56], [64, 32, 3, 3], { padding: 1, groups: 2 }), false, 'groups');
    assert.strictEqual(applies([1, 64, 56, 56], [64, 64, 5, 5], { padding: 2 }), false, '5×5');
  });

  for (const [what, where, value] of [['a NaN in the input', 'x', NaN], ['an Infinity in a weight', 'w', Infinity], ['an input past 1e15', 'x', 3e15]] as const) {
    it(`${what}: left to im2col (a NaN would spread over its whole 4×4 tile), the layer's z im2col's`, () => {
      setWinogradLimits({ minTiles: 1, minProduct: 1 });
      const [x, w] = [randomTensor([1, 4, 12, 12], rng(7), 'float32'), randomTensor([4, 4, 3, 3], rng(8), 'float32')];
      (where === 'x' ? x : w).data[37] = value;
      assert.strictEqual(conv2dWinograd(x, w, undefined, convInfo(x.shape, w.shape, { padding: 1 })), undefined);
      const run = runNetwork({ input: x, dtype: 'float32', layers: [{ type: 'conv2d', weight: w, options: { padding: 1 } }] }, { backward: false });
      assert.deepStrictEqual(run.outputs[0].data, conv2d(x, w, undefined, { padding: 1 }).data);
    });
  }

  it('float64 and geometries it does not apply to: undefined', () => {
    setWinogradLimits({ minTiles: 1, minProduct: 1 });
    const [x, w] = [randomTensor([1, 4, 12, 12], rng(9), 'float64'), randomTensor([4, 4, 3, 3], rng(10), 'float64')];
    assert.strictEqual(conv2dWinograd(x, w, undefined, convInfo(x.shape, w.shape, { padding: 1 })), undefined);
    const [x32, w32] = [randomTensor([1, 4, 12, 12], rng(9), 'float32'), randomTensor([4, 4, 3, 3], rng(10), 'float32')];
    assert.strictEqual(conv2dWinograd(x32, w32, undefined, convInfo(x32.shape, w32.shape, { padding: 1, stride: 2 })), undefined);
  });

  it('a ResNet-18-shaped model\'s lean run with Winograd on every 3×3 stride-1 conv: every node against onnxruntime-node within 1e-4', async () => {
    setWinogradLimits({ minTiles: 1, minProduct: 1 });
    const model = resnet18Onnx({ size: 64, widths: [16, 16, 24, 32], classes: 10 });
    const input = randomTensor([1, 3, 64, 64], rng(11), 'float32');
    const problem = readSpecProblem(JsonSource.parse('spec.json', modelSpec(input, 'float32')), { dtype: 'float32' }, new Map([['m.onnx', model]])) as NetworkProblem;
    const run = runNetwork(problem, { backward: false });
    // The trace (im2col, checked against onnxruntime in networkRun.test.ts) names each layer's node.
    const layers = traceModel(model, input, 'float32', {}).layers.filter(l => l.op !== 'loss');
    const [want, names] = [await reference(model, input), outputNames(model)];
    let winograd = 0;
    layers.forEach((l, i) => {
      const name = names.get(l.label!.split(' + ').pop()!)!;
      const got = run.outputs[i];
      const error = maxAbsDiff(asFloat64(got), want[name]) / Math.max(1, maxAbs(want[name].data));
      assert.ok(error <= 1e-4, `${l.name} (${name}): ${error} relative`);
      const info = l.geometry.kind === 'conv2d' ? l.geometry.info as ConvInfo : undefined;
      if (info && winogradApplies(info, 'float32')) {
        // Winograd's sums, not the trace's im2col ones.
        assert.notDeepStrictEqual(got.data, l.tensors.z!.data, `${l.name}: im2col's bits`);
        winograd++;
      }
    });
    assert.strictEqual(winograd, 13, 'the 3×3 stride-1 convs');
  });

  it('the run records which layers\' outputs, ∂C/∂input and ∂C/∂w it made by Winograd; such a layer opened says so, with how far its z, dA and dW are from the run\'s', () => {
    setWinogradLimits({ minTiles: 1, minProduct: 1, minGradTiles: 1 });
    const [x, w] = [randomTensor([1, 4, 12, 12], rng(12), 'float32'), randomTensor([6, 4, 3, 3], rng(13), 'float32')];
    const problem: NetworkProblem = {
      input: x, dtype: 'float32', loss: { type: 'cross_entropy', target: [1] },
      layers: [{ type: 'conv2d', weight: w, options: { padding: 1 } }, { type: 'relu' }, { type: 'conv2d', weight: randomTensor([2, 6, 3, 3], rng(14), 'float32'), options: { stride: 2 } }, { type: 'global_avg_pool2d' }, { type: 'flatten' }],
    } as NetworkProblem;
    const run = runNetwork(problem);
    assert.deepStrictEqual(run.outputMethods, ['winograd', undefined, undefined, undefined, undefined]);
    // ∂C/∂input (the network's input gradient here) and ∂C/∂w of the first conv; the stride-2 conv's by im2col.
    assert.deepStrictEqual(run.gradients!.methods, [{ deltaIn: 'winograd', params: 'winograd' }, undefined, undefined, undefined, undefined]);
    const opened = traceRunLayer(run, 0);
    const { z, dA, dW } = opened.tensors;
    const ran = { z: run.outputs[0], dA: run.gradients!.input!, dW: run.gradients!.params[0].weight };
    assert.deepStrictEqual(opened.runMade?.map(m => [m.tensor, m.method]), [['z', 'winograd'], ['dA', 'winograd'], ['dW', 'winograd']]);
    for (const [made, stages, bound] of [[opened.runMade[0], z!, 1e-5], [opened.runMade[1], dA!, 2e-5], [opened.runMade[2], dW!, 2e-5]] as const) {
      const value = ran[made.tensor as keyof typeof ran];
      assert.strictEqual(made.maxAbsDiff, maxAbsDiff(value, stages), made.tensor);
      assert.strictEqual(made.relative, made.maxAbsDiff / maxAbs(stages.data), made.tensor);
      assert.ok(made.relative > 0 && made.relative <= bound, `${made.tensor}: ${made.relative}`);
    }
    assert.strictEqual(traceRunLayer(run, 2).runMade, undefined, 'a stride-2 conv: im2col, as its trace');
    // It travels to the panel, which shows it beside the layer's facts.
    const wire = layerToWire(opened, 7, 'spec.json', 'float32', { bytes: 1 << 20 });
    assert.deepStrictEqual(wire.trace.runMade, opened.runMade);
    assert.doesNotThrow(() => parseHostMessage({ type: 'layer', requestId: 1, layer: wire }));
    assert.throws(() => parseHostMessage({ type: 'layer', requestId: 1, layer: { ...wire, trace: { ...wire.trace, runMade: [{ tensor: 'z', method: 'winograd' }] } } }));
    assert.throws(() => parseHostMessage({ type: 'layer', requestId: 1, layer: { ...wire, trace: { ...wire.trace, runMade: [{ tensor: 'z', method: 'fft', maxAbsDiff: 0, relative: 0 }] } } }));
    assert.throws(() => parseHostMessage({ type: 'layer', requestId: 1, layer: { ...wire, trace: { ...wire.trace, runMade: [{ tensor: 3, method: 'winograd', maxAbsDiff: 0, relative: 0 }] } } }));
  });
});
