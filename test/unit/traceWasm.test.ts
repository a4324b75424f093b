// The conv trace on the WebAssembly kernels (wasm/traceWasm.ts) against the loops' way (conv2dForward and
// conv2dBackward with the kernels off) on random geometries: every tensor the trace shows, in float64 and float32,
// over several blocks of rows, and the statistics it hands over against tensorStats, NaN and signed zeros included.

import * as assert from 'assert';
import * as fc from 'fast-check';
import { ConvBackward, ConvForward, conv2dBackward, conv2dForward, conv2dWeightGrad } from '../../src/engine/conv2d';
import { convInfo, outputShape } from '../../src/engine/convInfo';
import { col2im, im2col } from '../../src/engine/im2col';
import { DType, MODULE_STATS_MIN, Tensor, TensorStats, maxAbsDiff, tensorStats, tensorStatsLoops } from '../../src/engine/tensor';
import { setWasmGemm, wasmGemmAvailable } from '../../src/engine/wasm/gemmWasm';
import { convTraceWasm, setTraceBlockBytes } from '../../src/engine/wasm/traceWasm';
import { Geometry, assertClose, describeGeometry, geometryArb, randomTensor, rng } from './helpers';

const NAMES = ['a', 'a_t', 'w_t', 'z_t', 'z', 'delta', 'delta_t', 'dA_t', 'dA_padded', 'col2im_counts', 'dA', 'dW_t', 'dW', 'db'] as const;
/** Copied or gathered, never summed, or (db) summed in one order on every path: the same values to the bit. */
const EXACT = new Set(['a', 'a_t', 'w_t', 'delta', 'delta_t', 'col2im_counts', 'db']);

function tensors(g: Geometry, dtype: DType, poke?: (t: Tensor, random: () => number) => void) {
  const random = rng(g.seed);
  const input = randomTensor([g.batch, g.inChannels, g.height, g.width], random, dtype);
  const weight = randomTensor([g.outChannels, g.inChannels / g.groups, g.kernelHeight, g.kernelWidth], random, dtype);
  const bias = randomTensor([g.outChannels], random, dtype);
  const info = convInfo(input.shape, weight.shape, g.options, bias.shape);
  const delta = randomTensor(outputShape(info), random, dtype);
  if (poke) for (const t of [input, delta]) poke(t, random);
  return { input, weight, bias, delta, info };
}

function loopsWay(c: ReturnType<typeof tensors>): ConvForward & ConvBackward {
  setWasmGemm(false);
  try {
    const fwd = conv2dForward(c.input, c.weight, c.bias, c.info);
    return { ...fwd, ...conv2dBackward(fwd, c.weight, c.delta, c.info) };
  } finally {
    setWasmGemm(true);
  }
}

function checkAgainstLoops(g: Geometry, dtype: DType, tol: number, poke?: (t: Tensor, random: () => number) => void): void {
  const c = tensors(g, dtype, poke);
  const fast = convTraceWasm(c.input, c.weight, c.bias, c.delta, c.info);
  assert.ok(fast?.backward, 'the kernels ran');
  const got: Record<string, Tensor> = { ...fast.forward, ...fast.backward };
  const want: Record<string, Tensor> = { ...loopsWay(c) };
  for (const name of NAMES) {
    const what = `${name} ${describeGeometry(g)}`;
    assert.deepStrictEqual(got[name].shape, want[name].shape, what);
    assert.strictEqual(got[name].dtype, dtype, what);
    if (EXACT.has(name)) assert.deepStrictEqual(got[name].data, want[name].data, what);
    else if (!poke) assertClose(got[name], want[name], tol, what);
    const stats: TensorStats | undefined = fast.stats[name];
    if (stats) assert.deepStrictEqual(stats, tensorStatsLoops(got[name].data), `stats of ${what}`);
  }
  // ∂C/∂b of the lean pass (conv2dWeightGrad, what a network run shows) has the trace's bits.
  assert.deepStrictEqual(conv2dWeightGrad(c.input, c.weight.shape, c.delta, g.options).dBias.data, fast.backward.db.data, `lean db ${describeGeometry(g)}`);
  // col2im in the module adds in the loops' order: the loops' col2im of the same ∂C/∂a_t gives the same bits.
  assert.deepStrictEqual(fast.backward.dA_padded.data, col2im(fast.backward.dA_t, c.info).padded.data, `col2im ${describeGeometry(g)}`);
  assert.deepStrictEqual(fast.forward.a_t.data, im2col(fast.forward.a, c.info).data, `im2col ${describeGeometry(g)}`);
}

describe('the conv trace on the WebAssembly kernels = the loops', function () {
  before(function () { if (!wasmGemmAvailable()) this.skip(); });
  afterEach(() => setTraceBlockBytes());

  it('every tensor, float64 (1e-9), in blocks of a few rows', () => {
    fc.assert(fc.property(geometryArb, fc.integer({ min: 1, max: 5 }), (g, rows) => {
      // A block of `rows` rows of a_t: several blocks on most geometries, a part block at the end.
      const K = (g.inChannels * g.kernelHeight * g.kernelWidth);
      setTraceBlockBytes(rows * K * 8);
      checkAgainstLoops(g, 'float64', 1e-9);
    }), { numRuns: 100 });
  });

  it('every tensor, float32 (1e-4), one block', () => {
    fc.assert(fc.property(geometryArb, g => checkAgainstLoops(g, 'float32', 1e-4)), { numRuns: 60 });
  });

  it('the statistics it hands over = tensorStats, with NaN, ±Infinity and signed zeros in the input and δ', () => {
    const poke = (t: Tensor, random: () => number) => {
      const specials = [0, -0, NaN, Infinity, -Infinity];
      for (let i = 0; i < t.data.length; i++) {
        const u = random();
        // Mostly zeros of either sign (a ReLU's output), some non-finite values in a few cases.
        if (u < 0.5) t.data[i] = u < 0.25 ? -0 : 0;
        else if (u > 0.98) t.data[i] = specials[Math.floor(random() * specials.length)];
        else t.data[i] = Math.abs(t.data[i]);
      }
    };
    fc.assert(fc.property(geometryArb, fc.constantFrom<DType>('float32', 'float64'), (g, dtype) => checkAgainstLoops(g, dtype, 0, poke)), { numRuns: 80 });
  });
});

describe('tensorStats of a big tensor in the module = the loops', function () {
  before(function () { if (!wasmGemmAvailable()) this.skip(); });

  it('min, max, the non-finite count and the first one, signed zeros at the ends, float32 and float64', () => {
    const kinds = ['random', 'nonNegative', 'nonPositive', 'allZero', 'special'] as const;
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.constantFrom(...kinds), fc.constantFrom<DType>('float32', 'float64'), (seed, kind, dtype) => {
      const random = rng(seed);
      // Over the module's threshold and over one chunk of float64 (8 MB) now and then, with a part chunk at the end.
      const n = MODULE_STATS_MIN + Math.floor(random() * (random() < 0.1 ? 1 << 21 : 5000));
      const data = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
      const zero = () => (random() < 0.5 ? -0 : 0);
      for (let i = 0; i < n; i++) {
        const u = random() - 0.5;
        data[i] = kind === 'random' ? u : kind === 'nonNegative' ? (u < 0 ? zero() : u) : kind === 'nonPositive' ? (u > 0 ? zero() : u) : kind === 'allZero' ? zero() : u;
      }
      if (kind === 'special') for (let k = 0; k < 3; k++) data[Math.floor(random() * n)] = [NaN, Infinity, -Infinity][k];
      assert.deepStrictEqual(tensorStats(data), tensorStatsLoops(data), `${kind} ${dtype} n=${n}`);
    }), { numRuns: 40 });
  });
});

describe('maxAbsDiff', () => {
  it('NaN on one side: Infinity; on both, and equal infinities: agree; else the largest difference', () => {
    const t = (...v: number[]): Tensor => ({ shape: [v.length], dtype: 'float64', data: Float64Array.from(v) });
    assert.strictEqual(maxAbsDiff(t(1, NaN, 3), t(1, 2, 3)), Infinity);
    assert.strictEqual(maxAbsDiff(t(1, 2, 3), t(1, NaN, 3)), Infinity);
    assert.strictEqual(maxAbsDiff(t(1, NaN, Infinity, -Infinity), t(1.5, NaN, Infinity, -Infinity)), 0.5);
    assert.strictEqual(maxAbsDiff(t(Infinity, 0), t(-Infinity, 0)), Infinity);
    assert.strictEqual(maxAbsDiff(t(Infinity, 0), t(1, 0)), Infinity);
    assert.strictEqual(maxAbsDiff(t(1, 2), t(1, 2, 3)), Infinity);
    assert.strictEqual(maxAbsDiff(t(0, -0, 2), t(-0, 0, 2.25)), 0.25);
  });
});
