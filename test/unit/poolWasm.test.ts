// Max pooling forward and backward in the module (src/engine/wasm/poolWasm.ts) against the loops they stand in for
// (layers.ts's poolOutput and poolInputGrad with the kernels off), value for value and tap for tap: random geometries
// (kernels, strides, dilations, padding, ceil mode), NaN, ±0, ±Infinity and ties, float32 and float64.

import * as assert from 'assert';
import { EngineError } from '../../src/engine/errors';
import { PoolOptions, poolInfo, poolInputGrad, poolOutput } from '../../src/engine/layers';
import { Tensor } from '../../src/engine/tensor';
import { setWasmGemm } from '../../src/engine/wasm/gemmWasm';
import { rng } from './helpers';

const SPECIAL = [NaN, 0, -0, Infinity, -Infinity, 1, 1, -1];

function input(shape: number[], r: () => number, f64: boolean): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = f64 ? new Float64Array(n) : new Float32Array(n);
  // Few distinct values: ties are common, so which tap wins is tested too.
  for (let i = 0; i < n; i++) data[i] = r() < 0.1 ? SPECIAL[Math.floor(r() * SPECIAL.length)] : Math.round((r() - 0.5) * 8);
  return { shape, dtype: f64 ? 'float64' : 'float32', data };
}

function sameValues(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) assert.fail(`${what}: [${i}] is ${got[i]}, the loop's ${want[i]}`);
}

describe('max pooling in the module (poolWasm)', () => {
  afterEach(() => setWasmGemm(true));

  it('the loops\' outputs, argmax and ∂C/∂input on 400 random geometries, float32 and float64', () => {
    const r = rng(7);
    const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    let ran = 0;
    for (let c = 0; c < 400; c++) {
      const k = [int(1, 4), int(1, 4)] as [number, number];
      const options: PoolOptions = { kernel: k, stride: [int(1, 3), int(1, 3)], dilation: [int(1, 2), int(1, 2)],
        padding: [int(0, Math.floor(k[0] / 2)), int(0, Math.floor(k[1] / 2))], ceilMode: r() < 0.3 };
      const x = input([int(1, 2), int(1, 5), int(1, 20), int(1, 40)], r, c % 2 === 1);
      let p;
      try { p = poolInfo('max', x.shape, options); } catch (e) { if (e instanceof EngineError) continue; throw e; }
      const what = `${x.dtype} ${x.shape.join('×')} ${JSON.stringify(options)}`;
      // δ of any values and now and then a NaN or an infinity (overlapping windows add several into one input value).
      const delta = input([x.shape[0], x.shape[1], p.outHeight, p.outWidth], r, c % 2 === 1);
      delta.data.forEach((v, i) => { if (Number.isFinite(v)) delta.data[i] = v + r() - 0.5; });
      setWasmGemm(false);
      const want = poolOutput(x, p);
      const wantGrad = poolInputGrad(delta, want, p);
      setWasmGemm(true);
      const got = poolOutput(x, p);
      sameValues(got.z.data, want.z.data, `${what}: z`);
      sameValues(got.argmax!.data, want.argmax!.data, `${what}: argmax`);
      sameValues(poolInputGrad(delta, want, p).data, wantGrad.data, `${what}: ∂C/∂input`);
      ran++;
    }
    assert.ok(ran > 300, `${ran} geometries ran`);
  });
});
