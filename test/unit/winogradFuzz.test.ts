// Winograd's F(4×4, 3×3) (src/engine/wasm/winogradWasm.ts) on random geometries, random limits (kernel slices,
// image blocks) and now and then a NaN, an infinity or a huge value: within 2e-5 of the direct loops in float64,
// or left to im2col when a value would spread over its tile. FUZZ_SEED=n replays a run.

import * as assert from 'assert';
import * as fc from 'fast-check';
import { conv2dInputGrad, conv2dWeightGrad } from '../../src/engine/conv2d';
import { convInfo } from '../../src/engine/convInfo';
import { conv2dNaive } from '../../src/engine/reference';
import { Tensor, maxAbs, maxAbsDiff } from '../../src/engine/tensor';
import { conv2dWinograd, inputGradWinograd, setWinogradLimits, turnedInfo, weightGradWinograd } from '../../src/engine/wasm/winogradWasm';
import { randomTensor, rng } from './helpers';

const RUNS = { numRuns: 80, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) };

const asFloat64 = (t: Tensor): Tensor => ({ shape: t.shape, dtype: 'float64', data: Float64Array.from(t.data) });

const caseArb = fc.record({
  batch: fc.integer({ min: 1, max: 3 }), inChannels: fc.integer({ min: 1, max: 9 }), outChannels: fc.integer({ min: 1, max: 13 }),
  height: fc.integer({ min: 1, max: 19 }), width: fc.integer({ min: 1, max: 19 }),
  padding: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
  withBias: fc.boolean(), sliceValues: fc.integer({ min: 1, max: 5000 }), blockValues: fc.integer({ min: 1, max: 20000 }),
  special: fc.option(fc.record({ where: fc.constantFrom('input', 'weight'), at: fc.nat(), value: fc.constantFrom(NaN, Infinity, -Infinity, 5e15) }), { freq: 4 }),
  seed: fc.nat(),
}).filter(c => c.height + c.padding[0] + c.padding[1] >= 3 && c.width + c.padding[2] + c.padding[3] >= 3);

describe(`Winograd F(4×4, 3×3) on random geometries (seed ${RUNS.seed})`, () => {
  afterEach(() => setWinogradLimits());

  it('the direct loops\' z within 2e-5 of its largest value, or undefined for a NaN, an infinity or a value past 1e15', () => {
    fc.assert(fc.property(caseArb, c => {
      setWinogradLimits({ minTiles: 1, minProduct: 1, sliceValues: c.sliceValues, blockValues: c.blockValues });
      const random = rng(c.seed);
      const x = randomTensor([c.batch, c.inChannels, c.height, c.width], random, 'float32');
      const w = randomTensor([c.outChannels, c.inChannels, 3, 3], random, 'float32');
      const b = c.withBias ? randomTensor([c.outChannels], random, 'float32') : undefined;
      if (c.special) {
        const t = c.special.where === 'input' ? x : w;
        t.data[c.special.at % t.data.length] = c.special.value;
      }
      const info = convInfo(x.shape, w.shape, { padding: c.padding }, b?.shape);
      const z = conv2dWinograd(x, w, b, info);
      // A block too small for one image is im2col's too: nothing else may give undefined.
      const oneImage = 36 * Math.max(c.inChannels, c.outChannels) * Math.ceil(info.outHeight / 4) * Math.ceil(info.outWidth / 4);
      if (c.special || c.blockValues < oneImage) {
        assert.strictEqual(z, undefined);
        return;
      }
      assert.ok(z, 'Winograd did not run');
      const want = conv2dNaive(asFloat64(x), asFloat64(w), b && asFloat64(b), info);
      const error = maxAbsDiff(asFloat64(z), want) / Math.max(maxAbs(want.data), 1e-30);
      assert.ok(error <= 2e-5, `relative error ${error}`);
    }), RUNS);
  });

  it('∂C/∂input (δ convolved with the turned kernels) the loops\' within 2e-5 of its largest value, written over δ where asked', () => {
    fc.assert(fc.property(caseArb, fc.boolean(), (c, overwrite) => {
      setWinogradLimits({ minTiles: 1, minProduct: 1, sliceValues: c.sliceValues, blockValues: c.blockValues });
      const random = rng(c.seed);
      const w = randomTensor([c.outChannels, c.inChannels, 3, 3], random, 'float32');
      const info = convInfo([c.batch, c.inChannels, c.height, c.width], w.shape, { padding: c.padding });
      const delta = randomTensor([c.batch, c.outChannels, info.outHeight, info.outWidth], random, 'float32');
      if (c.special) {
        const t = c.special.where === 'input' ? delta : w;
        t.data[c.special.at % t.data.length] = c.special.value;
      }
      const want = conv2dInputGrad([c.batch, c.inChannels, c.height, c.width], asFloat64(w), asFloat64(delta), { padding: c.padding });
      const original = Float32Array.from(delta.data);
      const turned = turnedInfo(info, 'float32');
      assert.ok(turned, 'each side padded at most 2: it applies');
      const dx = inputGradWinograd(w, delta, turned, overwrite ? delta.data : undefined);
      const oneImage = 36 * Math.max(c.inChannels, c.outChannels) * Math.ceil(c.height / 4) * Math.ceil(c.width / 4);
      if (c.special || c.blockValues < oneImage) {
        assert.strictEqual(dx, undefined);
        assert.deepStrictEqual(delta.data, original, 'δ written over, then left to col2im');
        return;
      }
      assert.ok(dx, 'Winograd did not run');
      if (dx.data !== delta.data) assert.deepStrictEqual(delta.data, original, 'δ written over in a new array\'s stead');
      const error = maxAbsDiff(asFloat64(dx), want) / Math.max(maxAbs(want.data), 1e-30);
      assert.ok(error <= 2e-5, `relative error ${error}`);
    }), RUNS);
  });

  it('∂C/∂w and ∂C/∂b (δ\'s tiles against the input\'s patches) the loops\' within 2e-5 of their largest value', () => {
    fc.assert(fc.property(caseArb, c => {
      setWinogradLimits({ minTiles: 1, minProduct: 1, minGradTiles: 1, sliceValues: c.sliceValues, blockValues: c.blockValues });
      const random = rng(c.seed);
      const x = randomTensor([c.batch, c.inChannels, c.height, c.width], random, 'float32');
      const shape = [c.outChannels, c.inChannels, 3, 3];
      const info = convInfo(x.shape, shape, { padding: c.padding });
      const delta = randomTensor([c.batch, c.outChannels, info.outHeight, info.outWidth], random, 'float32');
      if (c.special) {
        const t = c.special.where === 'input' ? x : delta;
        t.data[c.special.at % t.data.length] = c.special.value;
      }
      const got = weightGradWinograd(x, delta, info);
      const oneImage = 36 * Math.max(c.inChannels, c.outChannels) * Math.ceil(info.outHeight / 4) * Math.ceil(info.outWidth / 4);
      if (c.special || c.blockValues < oneImage) {
        assert.strictEqual(got, undefined);
        return;
      }
      assert.ok(got, 'Winograd did not run');
      const want = conv2dWeightGrad(asFloat64(x), shape, asFloat64(delta), { padding: c.padding });
      for (const [name, value, expected] of [['∂C/∂w', got.dWeight, want.dWeight], ['∂C/∂b', got.dBias, want.dBias]] as const) {
        assert.deepStrictEqual(value.shape, expected.shape, name);
        const error = maxAbsDiff(asFloat64(value), expected) / Math.max(maxAbs(expected.data), 1e-30);
        assert.ok(error <= 2e-5, `${name}: relative error ${error}`);
      }
    }), RUNS);
  });
});
