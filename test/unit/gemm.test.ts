// The matrix products: the WebAssembly SIMD kernels against a plain triple loop
// in float64, over random sizes (edges that are not multiples of the tile),
// layouts (transposed views, offsets, row strides), dtypes and chunking; and the
// kernels against the TypeScript loops on whole convolutions.

import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as fc from 'fast-check';
import { conv2dGradients, conv2dInputGrad, conv2dWeightGrad, conv2d } from '../../src/engine/conv2d';
import { MatrixView, gemmAccumulate, gemmLoops, transposed, view } from '../../src/engine/gemm';
import { forwardBlock, kernelSlices, planeStride, setBlockValues, setWeightSlice, windowBlock } from '../../src/engine/wasm/convWasm';
import { gemmWasm, setWasmGemm, wasmGemmAvailable } from '../../src/engine/wasm/gemmWasm';
import { KERNEL_CONVS, assertClose, convInputs, rng } from './helpers';

type Layout = { transposed: boolean; offset: number; pad: number };

/** A (r × c) operand stored with an offset and padded rows, row-major or as the transpose of a row-major (c × r). */
function operand(r: number, c: number, l: Layout, values: (i: number, j: number) => number, f64: boolean): MatrixView {
  const [outer, innerLen] = l.transposed ? [c, r] : [r, c];
  const stride = innerLen + l.pad;
  const data = f64 ? new Float64Array(l.offset + outer * stride) : new Float32Array(l.offset + outer * stride);
  data.fill(Number.NaN); // never read: padding and the offset
  const m = l.transposed ? transposed(view(data, l.offset, stride)) : view(data, l.offset, stride);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[m.offset + i * m.rowStride + j * m.colStride] = values(i, j);
  return m;
}

const at = (m: MatrixView, i: number, j: number) => m.data[m.offset + i * m.rowStride + j * m.colStride];

const layoutArb = fc.record({ transposed: fc.boolean(), offset: fc.integer({ min: 0, max: 5 }), pad: fc.integer({ min: 0, max: 3 }) });

describe('GEMM kernels (WebAssembly SIMD) = a plain triple loop', () => {
  it('are available in Node 20', () => assert.ok(wasmGemmAvailable()));

  it('over random sizes, layouts and both dtypes', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 300 }),
      layoutArb, layoutArb, fc.record({ offset: fc.integer({ min: 0, max: 5 }), pad: fc.integer({ min: 0, max: 3 }) }), fc.boolean(), fc.integer({ min: 1, max: 1e6 }),
      (rows, cols, inner, la, lb, lc, f64, seed) => {
        const random = rng(seed);
        const A = operand(rows, inner, la, () => random() - 0.5, f64);
        const B = operand(inner, cols, lb, () => random() - 0.5, f64);
        const C = operand(rows, cols, { ...lc, transposed: false }, () => random() - 0.5, f64);
        const before = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => at(C, i, j)));
        gemmAccumulate(rows, cols, inner, A, B, C);
        const tol = f64 ? 1e-12 : 1e-5;
        for (let i = 0; i < rows; i++) {
          for (let j = 0; j < cols; j++) {
            let s = before[i][j];
            let scale = Math.abs(s);
            for (let k = 0; k < inner; k++) { s += at(A, i, k) * at(B, k, j); scale += Math.abs(at(A, i, k) * at(B, k, j)); }
            assert.ok(Math.abs(at(C, i, j) - s) <= tol * Math.max(1, scale), `C[${i}, ${j}] = ${at(C, i, j)}, expected ${s} (${rows}×${inner} @ ${inner}×${cols}, ${f64 ? 'f64' : 'f32'})`);
          }
        }
        // The padding and the offsets were never written.
        assert.ok(Number.isNaN(C.data[0]) || lc.offset === 0);
      }), { numRuns: 150 });
  });

  // M or N of 1 runs the one-row path (vecmat), without packing: runs of columns side by side in B, columns anywhere
  // (B transposed), N = 1 as the transposed product, K past one KC slice (384). 2 and 3 run the blocked kernel.
  it('one, two or three rows or columns, odd inner sizes, both dtypes, every layout', () => {
    fc.assert(fc.property(
      fc.constantFrom(1, 2, 3), fc.integer({ min: 1, max: 90 }), fc.boolean(), fc.integer({ min: 1, max: 900 }).map(k => k | 1),
      layoutArb, layoutArb, fc.boolean(), fc.integer({ min: 1, max: 1e6 }),
      (few, many, fewRows, inner, la, lb, f64, seed) => {
        const [rows, cols] = fewRows ? [few, many] : [many, few];
        const random = rng(seed);
        const A = operand(rows, inner, la, () => random() - 0.5, f64);
        const B = operand(inner, cols, lb, () => random() - 0.5, f64);
        const C = operand(rows, cols, { transposed: false, offset: 1, pad: 1 }, () => random() - 0.5, f64);
        const before = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => at(C, i, j)));
        assert.ok(gemmWasm(rows, cols, inner, A, B, C));
        for (let i = 0; i < rows; i++) {
          for (let j = 0; j < cols; j++) {
            let [s, scale] = [before[i][j], Math.abs(before[i][j])];
            for (let k = 0; k < inner; k++) { s += at(A, i, k) * at(B, k, j); scale += Math.abs(at(A, i, k) * at(B, k, j)); }
            assert.ok(Math.abs(at(C, i, j) - s) <= (f64 ? 1e-12 : 1e-5) * Math.max(1, scale), `C[${i}, ${j}] = ${at(C, i, j)}, expected ${s} (${rows}×${inner} @ ${inner}×${cols}, ${f64 ? 'f64' : 'f32'})`);
          }
        }
      }), { numRuns: 150 });
  });

  it('a row (or column) alone sums as the blocked kernel sums it inside a bigger product: the same bits', () => {
    for (const f64 of [false, true]) {
      for (const [tb, inner] of [[false, 1001], [true, 387], [false, 5]] as const) {
        const random = rng(inner);
        const A = operand(6, inner, { transposed: false, offset: 0, pad: 0 }, () => random() - 0.5, f64);
        const B = operand(inner, 37, { transposed: tb, offset: 0, pad: 0 }, () => random() - 0.5, f64);
        const whole = operand(6, 37, { transposed: false, offset: 0, pad: 0 }, () => 0, f64);
        assert.ok(gemmWasm(6, 37, inner, A, B, whole));
        for (let i = 0; i < 6; i++) {
          // Row i of A times B: C's row i; and Bᵀ times row i as a column (N = 1).
          const row = operand(1, 37, { transposed: false, offset: 0, pad: 0 }, () => 0, f64);
          assert.ok(gemmWasm(1, 37, inner, { ...A, offset: A.offset + i * A.rowStride }, B, row));
          const column = operand(37, 1, { transposed: false, offset: 0, pad: 0 }, () => 0, f64);
          assert.ok(gemmWasm(37, 1, inner, transposed(B), transposed({ ...A, offset: A.offset + i * A.rowStride }), column));
          for (let j = 0; j < 37; j++) {
            assert.strictEqual(at(row, 0, j), at(whole, i, j), `row ${i}, column ${j} (${f64 ? 'f64' : 'f32'}, K ${inner})`);
            assert.strictEqual(at(column, j, 0), at(whole, i, j), `column ${i}, row ${j} (${f64 ? 'f64' : 'f32'}, K ${inner})`);
          }
        }
      }
    }
  });

  it('big operands go through in chunks: rows of A (row-major) and slices of the inner dimension (transposed A)', () => {
    for (const [rows, cols, inner, t] of [[5003, 24, 600, false], [300, 20, 9001, true]] as const) {
      const random = rng(rows);
      const A = operand(rows, inner, { transposed: t, offset: 3, pad: 0 }, () => Math.round(random() * 8 - 4), false);
      const B = operand(inner, cols, { transposed: false, offset: 0, pad: 1 }, () => Math.round(random() * 8 - 4), false);
      const C1 = operand(rows, cols, { transposed: false, offset: 0, pad: 0 }, () => 0, false);
      const C2 = operand(rows, cols, { transposed: false, offset: 0, pad: 0 }, () => 0, false);
      gemmAccumulate(rows, cols, inner, A, B, C1);
      gemmLoops(rows, cols, inner, A, B, C2);
      // Small integers: every partial sum is exact in float32, so the two agree exactly.
      assert.deepStrictEqual(Array.from(C1.data), Array.from(C2.data));
    }
  });

  it('multiplies zeros like any number: 0 · NaN is NaN, 0 · ∞ is NaN', () => {
    const A = operand(8, 16, { transposed: false, offset: 0, pad: 0 }, () => 0, true);
    const B = operand(16, 8, { transposed: false, offset: 0, pad: 0 }, (i, j) => (i === 3 && j === 2 ? Number.NaN : i === 5 && j === 6 ? Infinity : 1), true);
    const C = operand(8, 8, { transposed: false, offset: 0, pad: 0 }, () => 0, true);
    gemmAccumulate(8, 8, 16, A, B, C);
    for (let i = 0; i < 8; i++) {
      for (let j = 0; j < 8; j++) assert.strictEqual(Number.isNaN(at(C, i, j)), j === 2 || j === 6, `C[${i}, ${j}] = ${at(C, i, j)}`);
    }
  });
});

// A kernel's first big product in a process runs in pieces (firstPieces: V8 moves the kernel to optimized code only
// for later calls); a fresh process shows that product whole: its bits are those of the same product made later.
describe('a kernel\'s first big product, made in pieces', function () {
  this.timeout(30_000);
  it('has the bits of the same product made whole later (a fresh process, float32 and float64)', () => {
    const script = `
      const { convTraceForward } = require(${JSON.stringify(path.resolve(__dirname, '../../src/engine/trace.js'))});
      const { convInfo } = require(${JSON.stringify(path.resolve(__dirname, '../../src/engine/convInfo.js'))});
      const same = [];
      for (const f64 of [false, true]) {
        const make = (shape, s) => ({ shape, dtype: f64 ? 'float64' : 'float32', data: (f64 ? Float64Array : Float32Array).from({ length: shape.reduce((a, b) => a * b) }, (_, i) => Math.sin(i * s)) });
        const [x, w, b] = [make([1, 64, 30, 30], 0.37), make([64, 64, 3, 3], 0.11), make([64], 0.5)];
        const info = convInfo(x.shape, w.shape, { padding: 1 }, b.shape);
        const first = convTraceForward(x, w, b, info).z, later = convTraceForward(x, w, b, info).z;
        same.push(Buffer.from(first.data.buffer).equals(Buffer.from(later.data.buffer)) && first.data.some(v => v !== 0));
      }
      console.log(JSON.stringify(same));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.deepStrictEqual(JSON.parse(r.stdout), [true, true]);
  });
});

describe('convolutions: the kernels agree with the TypeScript loops; each backward pass alone = the full gradients', () => {
  afterEach(() => { setWasmGemm(true); setWeightSlice(); setBlockValues(); });

  const agree = (slice?: number) => () => {
    setWeightSlice(slice);
    const random = rng(99);
    for (const [x, w, options] of KERNEL_CONVS) {
      for (const dtype of ['float32', 'float64'] as const) {
        const { input, weight, bias, grad } = convInputs(x, w, options, random, dtype);
        const run = () => ({ z: conv2d(input, weight, bias, options), g: conv2dGradients(input, weight, grad, options), dx: conv2dInputGrad(input.shape, weight, grad, options), dw: conv2dWeightGrad(input, weight.shape, grad, options) });
        setWasmGemm(true);
        const kernels = run();
        setWasmGemm(false);
        const loops = run();
        const tol = dtype === 'float64' ? 1e-12 : 1e-4;
        const what = `${JSON.stringify(x)} ⋆ ${JSON.stringify(w)} ${JSON.stringify(options)} ${dtype}`;
        assertClose(kernels.z, loops.z, tol, `z ${what}`);
        assertClose(kernels.g.dInput, loops.g.dInput, tol, `dInput ${what}`);
        assertClose(kernels.g.dWeight, loops.g.dWeight, tol, `dWeight ${what}`);
        assertClose(kernels.dx, kernels.g.dInput, 0, `conv2dInputGrad ${what}`);
        assertClose(kernels.dw.dWeight, kernels.g.dWeight, 0, `conv2dWeightGrad ${what}`);
        assertClose(kernels.dw.dBias, kernels.g.dBias, 0, `conv2dWeightGrad bias ${what}`);
      }
    }
  };

  it('forward, ∂C/∂input, ∂C/∂w and ∂C/∂b over shapes with groups, stride and padding, float32 and float64', agree());
  // A deep layer's weights go through the module a slice of kernels at a time: the same numbers with slices of 8.
  it('the same with the weights in slices of kernels (as a deep layer\'s)', agree(100));

  it('slices of kernels: all at once when they fit, else equal slices of a multiple of 8 covering every kernel once', () => {
    assert.deepStrictEqual(kernelSlices(64, 576, 1 << 20), [{ o0: 0, n: 64 }]);
    assert.deepStrictEqual(kernelSlices(512, 4608, 1 << 20), [{ o0: 0, n: 176 }, { o0: 176, n: 176 }, { o0: 352, n: 160 }]);
    assert.deepStrictEqual(kernelSlices(40, 72, 100), [{ o0: 0, n: 8 }, { o0: 8, n: 8 }, { o0: 16, n: 8 }, { o0: 24, n: 8 }, { o0: 32, n: 8 }]);
    assert.deepStrictEqual(kernelSlices(3, 1000, 100), [{ o0: 0, n: 3 }]);
  });

  // A big layer's z_t and δ go through the module a block of windows at a time (forward: 32 windows a block, across
  // images; backward: 3072 a block, across images of 1600 windows, or of two whole images): the same z and gradients,
  // value for value, as in one block, with the weights whole or in slices.
  it('forward and backward in blocks of windows give the same z and gradients, to the bit, as in one block', () => {
    const random = rng(5);
    const cases = [...KERNEL_CONVS, [[2, 3, 40, 40], [6, 3, 3, 3], { padding: 1 }], [[4, 2, 32, 48], [9, 2, 3, 3], { padding: 1 }]] as const;
    for (const [x, w, options] of cases) {
      for (const dtype of ['float32', 'float64'] as const) {
        const { input, weight, bias, grad } = convInputs(x, w, options, random, dtype);
        const run = () => ({ z: conv2d(input, weight, bias, options), g: conv2dGradients(input, weight, grad, options), dx: conv2dInputGrad(input.shape, weight, grad, options), dw: conv2dWeightGrad(input, weight.shape, grad, options) });
        for (const slice of [undefined, 100]) {
          setWeightSlice(slice);
          setBlockValues();
          const whole = run();
          setBlockValues(256);
          const blocked = run();
          const what = `${JSON.stringify(x)} ⋆ ${JSON.stringify(w)} ${dtype} slice ${slice}`;
          for (const [name, a, b] of [['z', blocked.z, whole.z], ['dInput', blocked.g.dInput, whole.g.dInput], ['dWeight', blocked.g.dWeight, whole.g.dWeight], ['dBias', blocked.g.dBias, whole.g.dBias],
            ['conv2dInputGrad', blocked.dx, whole.dx], ['conv2dWeightGrad', blocked.dw.dWeight, whole.dw.dWeight]] as const) {
            assert.deepStrictEqual(Array.from(a.data), Array.from(b.data), `${name} ${what}`);
          }
        }
      }
    }
  });

  it('blocks of windows: all of them when they fit, else a multiple of the one asked for (at least one)', () => {
    assert.strictEqual(windowBlock(3136, 64, 32, 1 << 18), 3136);
    assert.strictEqual(windowBlock(12544, 64, 32, 1 << 17), 2048);
    assert.strictEqual(windowBlock(12544, 64, 3072, 1 << 17), 3072);
    assert.strictEqual(windowBlock(12544, 16, 3072, 1 << 17), 6144);
    assert.strictEqual(windowBlock(60, 8, 32, 256), 32);
    assert.strictEqual(windowBlock(60, 512, 32, 256), 32);
    assert.strictEqual(windowBlock(20, 512, 32, 256), 20);
  });

  it('the forward\'s blocks: all windows when they fit, else equal blocks of whole images, else of a multiple of 32', () => {
    assert.strictEqual(forwardBlock(1, 3136, 64, 1 << 18), 3136);
    assert.strictEqual(forwardBlock(8, 3136, 64, 1 << 18), 3136); // the batch-8 ResNet block: 8 blocks, not 6 of 4096 and one of 512
    assert.strictEqual(forwardBlock(8, 3136, 64, 1 << 19), 6272);
    assert.strictEqual(forwardBlock(3, 400, 16, 16 * 800), 800); // two images, then one
    assert.strictEqual(forwardBlock(4, 400, 16, 16 * 1200), 800); // 2 + 2 images, not 3 + 1
    assert.strictEqual(forwardBlock(8, 12544, 64, 1 << 18), 4032); // the stem's 100352 windows in 25 blocks
    assert.strictEqual(forwardBlock(2, 2024, 16, 16 * 1000), 832);
    assert.strictEqual(forwardBlock(1, 10, 512, 256), 10); // a window over the limit: a multiple of 32, at most all of them
  });

  it('z\'s planes in the module: the block apart, or 16 more when that is a multiple of 2 KiB', () => {
    assert.strictEqual(planeStride(3136, 4), 3136);
    assert.strictEqual(planeStride(4096, 4), 4112);
    assert.strictEqual(planeStride(512, 4), 528);
    assert.strictEqual(planeStride(256, 8), 272);
    assert.strictEqual(planeStride(256, 4), 256);
  });
});
