// Property tests over random geometries: the im2col path against the naive
// direct loops, col2im against the rot180 full convolution, and every gradient
// against central finite differences.

import * as assert from 'assert';
import * as fc from 'fast-check';
import { conv2d, conv2dBackward, conv2dForward, conv2dInputGrad, conv2dWeightGrad, inputGradRot180 } from '../../src/engine/conv2d';
import { ConvInfo, convInfo, outputShape } from '../../src/engine/convInfo';
import { conv2dGradNaive, conv2dNaive } from '../../src/engine/reference';
import { Tensor } from '../../src/engine/tensor';
import { Geometry, assertClose, describeGeometry, geometryArb, randomTensor, rng } from './helpers';

interface Case {
  g: Geometry;
  info: ConvInfo;
  input: Tensor;
  weight: Tensor;
  bias: Tensor;
  delta: Tensor;
}

function makeCase(g: Geometry): Case {
  const random = rng(g.seed);
  const input = randomTensor([g.batch, g.inChannels, g.height, g.width], random);
  const weight = randomTensor([g.outChannels, g.inChannels / g.groups, g.kernelHeight, g.kernelWidth], random);
  const bias = randomTensor([g.outChannels], random);
  const info = convInfo(input.shape, weight.shape, g.options, bias.shape);
  const delta = randomTensor(outputShape(info), random);
  return { g, info, input, weight, bias, delta };
}

const RUNS = { numRuns: 150 };

/** C(x) = Σ δ ⊙ conv(x): its gradient is what backward computes. */
function loss(c: Case, input: Tensor, weight: Tensor, bias: Tensor): number {
  const z = conv2dNaive(input, weight, bias, c.info);
  let s = 0;
  for (let i = 0; i < z.data.length; i++) s += c.delta.data[i] * z.data[i];
  return s;
}

function finiteDifference(c: Case, which: 'input' | 'weight' | 'bias', h = 1e-4): Tensor {
  const target = c[which];
  const grad = { shape: target.shape, dtype: target.dtype, data: new Float64Array(target.data.length) };
  for (let i = 0; i < target.data.length; i++) {
    const keep = target.data[i];
    target.data[i] = keep + h;
    const up = loss(c, c.input, c.weight, c.bias);
    target.data[i] = keep - h;
    const down = loss(c, c.input, c.weight, c.bias);
    target.data[i] = keep;
    grad.data[i] = (up - down) / (2 * h);
  }
  return grad;
}

describe('conv2d properties over random geometries', () => {
  it('im2col forward = naive direct loops (1e-9, float64)', () => {
    fc.assert(fc.property(geometryArb, g => {
      const c = makeCase(g);
      const fwd = conv2dForward(c.input, c.weight, c.bias, c.info);
      assertClose(fwd.z, conv2dNaive(c.input, c.weight, c.bias, c.info), 1e-9, describeGeometry(g));
    }), RUNS);
  });

  it('the library passes (implicit im2col/col2im in WebAssembly) = naive direct loops, float64 and float32', () => {
    fc.assert(fc.property(geometryArb, fc.boolean(), (g, f32) => {
      const c = makeCase(g);
      const cast = (t: Tensor): Tensor => (f32 ? { ...t, dtype: 'float32', data: Float32Array.from(t.data) } : t);
      const [input, weight, bias, delta] = [c.input, c.weight, c.bias, c.delta].map(cast);
      const tol = f32 ? 1e-4 : 1e-9;
      const naive = conv2dGradNaive(c.input, c.weight, c.delta, c.info);
      assertClose(conv2d(input, weight, bias, g.options), conv2dNaive(c.input, c.weight, c.bias, c.info), tol, `z ${describeGeometry(g)}`);
      assertClose(conv2dInputGrad(input.shape, weight, delta, g.options), naive.dInput, tol, `dInput ${describeGeometry(g)}`);
      const w = conv2dWeightGrad(input, weight.shape, delta, g.options);
      assertClose(w.dWeight, naive.dWeight, tol, `dWeight ${describeGeometry(g)}`);
      assertClose(w.dBias, naive.dBias, tol, `dBias ${describeGeometry(g)}`);
    }), RUNS);
  });

  it('output size follows floor((H + pt + pb - d(k-1) - 1)/s) + 1', () => {
    fc.assert(fc.property(geometryArb, g => {
      const { info } = makeCase(g);
      const expectH = Math.floor((g.height + info.padTop + info.padBottom - info.dilationHeight * (g.kernelHeight - 1) - 1) / info.strideHeight) + 1;
      const expectW = Math.floor((g.width + info.padLeft + info.padRight - info.dilationWidth * (g.kernelWidth - 1) - 1) / info.strideWidth) + 1;
      assert.deepStrictEqual([info.outHeight, info.outWidth], [expectH, expectW], describeGeometry(g));
      if (g.options.padding === 'same') assert.deepStrictEqual([info.outHeight, info.outWidth], [g.height, g.width]);
    }), RUNS);
  });

  it('backward (col2im path) = naive gradients for input, weight and bias', () => {
    fc.assert(fc.property(geometryArb, g => {
      const c = makeCase(g);
      const fwd = conv2dForward(c.input, c.weight, c.bias, c.info);
      const bwd = conv2dBackward(fwd, c.weight, c.delta, c.info);
      const ref = conv2dGradNaive(c.input, c.weight, c.delta, c.info);
      const name = describeGeometry(g);
      assertClose(bwd.dA, ref.dInput, 1e-9, `dA ${name}`);
      assertClose(bwd.dW, ref.dWeight, 1e-9, `dW ${name}`);
      assertClose(bwd.db, ref.dBias, 1e-9, `db ${name}`);
    }), RUNS);
  });

  it('col2im = rot180 full convolution (stride by zero insertion, dilation, groups)', () => {
    fc.assert(fc.property(geometryArb, g => {
      const c = makeCase(g);
      const bwd = conv2dBackward(conv2dForward(c.input, c.weight, c.bias, c.info), c.weight, c.delta, c.info);
      const rot = inputGradRot180(c.delta, c.weight, c.info);
      assertClose(rot.dA_rot180, bwd.dA, 1e-9, `rot180 ${describeGeometry(g)}`);
    }), RUNS);
  });

  it('every gradient = central finite differences', () => {
    fc.assert(fc.property(geometryArb, g => {
      const c = makeCase(g);
      const bwd = conv2dBackward(conv2dForward(c.input, c.weight, c.bias, c.info), c.weight, c.delta, c.info);
      const name = describeGeometry(g);
      assertClose(bwd.dA, finiteDifference(c, 'input'), 1e-6, `dA vs FD ${name}`);
      assertClose(bwd.dW, finiteDifference(c, 'weight'), 1e-6, `dW vs FD ${name}`);
      assertClose(bwd.db, finiteDifference(c, 'bias'), 1e-6, `db vs FD ${name}`);
    }), { numRuns: 60 });
  });

  it('col2im counts = number of windows covering each padded pixel', () => {
    fc.assert(fc.property(geometryArb, g => {
      const c = makeCase(g);
      const bwd = conv2dBackward(conv2dForward(c.input, c.weight, c.bias, c.info), c.weight, c.delta, c.info);
      const { paddedHeight: Hp, paddedWidth: Wp, outHeight, outWidth, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = c.info;
      for (let y = 0; y < Hp; y++) {
        for (let x = 0; x < Wp; x++) {
          let n = 0;
          for (let i = 0; i < outHeight; i++) for (let ki = 0; ki < g.kernelHeight; ki++) {
            if (i * sh + ki * dh !== y) continue;
            for (let j = 0; j < outWidth; j++) for (let kj = 0; kj < g.kernelWidth; kj++) if (j * sw + kj * dw === x) n++;
          }
          assert.strictEqual(bwd.col2im_counts.data[y * Wp + x], n, `count at (${y}, ${x}) ${describeGeometry(g)}`);
        }
      }
    }), { numRuns: 50 });
  });

  it('z_t = a_t @ w_t holds literally with the block-diagonal w_t of groups', () => {
    fc.assert(fc.property(geometryArb, g => {
      const c = makeCase(g);
      const { a_t, w_t, z_t } = conv2dForward(c.input, c.weight, c.bias, c.info);
      const [B, HW, K] = a_t.shape;
      const Cout = w_t.shape[1];
      for (let b = 0; b < B; b++) for (let r = 0; r < HW; r++) for (let o = 0; o < Cout; o++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a_t.data[(b * HW + r) * K + k] * w_t.data[k * Cout + o];
        assert.ok(Math.abs(s - z_t.data[(b * HW + r) * Cout + o]) <= 1e-9 * Math.max(1, Math.abs(s)), describeGeometry(g));
      }
    }), { numRuns: 60 });
  });
});
