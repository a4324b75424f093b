// ReLU forward and backward and the residual sum in the module (src/engine/wasm/elementwiseWasm.ts) against the
// loops they stand in for (layers.ts, merge.ts), value for value: NaN, ±0, ±Infinity, subnormals and lengths around
// a vector and a chunk, float32 and float64, the output written over an input.

import * as assert from 'assert';
import { activationBackward, activationOutput } from '../../src/engine/layers';
import { addWasm, reluBackwardWasm, reluWasm } from '../../src/engine/wasm/elementwiseWasm';
import { rng } from './helpers';

type Floats = Float32Array | Float64Array;
const SPECIAL = [NaN, 0, -0, Infinity, -Infinity, 1e-45, -1e-45, 5e-324, 3.4e38, -3.4e38, 1, -1];

function values(n: number, seed: number, f64: boolean): Floats {
  const r = rng(seed);
  const out = f64 ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r() < 0.2 ? SPECIAL[Math.floor(r() * SPECIAL.length)] : (r() - 0.5) * 8;
  return out;
}

const show = (v: number) => (Object.is(v, -0) ? '-0' : String(v));

/** Every value the same, NaN for NaN and −0 apart from +0. */
function assertSameValues(got: Floats, want: Floats, what: string): void {
  assert.strictEqual(got.length, want.length, what);
  for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) assert.fail(`${what}: [${i}] is ${show(got[i])}, the loop's ${show(want[i])}`);
}

describe('ReLU and the residual sum in the module (elementwiseWasm)', () => {
  // Under a vector, one vector and some, a chunk (2^15) and some, several chunks.
  const lengths = [4096, 4099, 32768, 32771, 70001];
  for (const f64 of [false, true]) {
    const type = f64 ? 'float64' : 'float32';
    it(`${type}: the loops' values, lengths ${lengths.join(', ')}`, () => {
      lengths.forEach((n, k) => {
        const [z, d, b] = [values(n, 10 + k, f64), values(n, 20 + k, f64), values(n, 30 + k, f64)];
        const out = () => (f64 ? new Float64Array(n) : new Float32Array(n));
        const [h, dz, sum] = [out(), out(), out()];
        assert.ok(reluWasm(z, h) && reluBackwardWasm(d, z, dz) && addWasm(z, b, sum), 'the kernels ran');
        const [wantH, wantDz, wantSum] = [out(), out(), out()];
        for (let i = 0; i < n; i++) {
          wantH[i] = Math.max(z[i], 0);
          wantDz[i] = z[i] <= 0 ? 0 * d[i] : d[i];
          wantSum[i] = z[i] + b[i];
        }
        assertSameValues(h, wantH, `${type} relu, ${n}`);
        assertSameValues(dz, wantDz, `${type} relu backward, ${n}`);
        assertSameValues(sum, wantSum, `${type} add, ${n}`);
        // Written over an input (ReLU's backward on δ's own array, a third input added into the sum).
        assert.ok(reluBackwardWasm(d, z, d) && addWasm(sum, b, sum));
        assertSameValues(d, wantDz, `${type} relu backward in place, ${n}`);
        for (let i = 0; i < n; i++) wantSum[i] += b[i];
        assertSameValues(sum, wantSum, `${type} add in place, ${n}`);
      });
    });
  }

  it('leaves short arrays and mixed types to the loops, which give the same values', () => {
    assert.strictEqual(reluWasm(new Float32Array(100), new Float32Array(100)), false);
    assert.strictEqual(addWasm(new Float32Array(5000), new Float64Array(5000), new Float32Array(5000)), false);
    for (const n of [100, 5000]) {
      const z = { shape: [n], dtype: 'float32' as const, data: values(n, 40, false) };
      const d = { shape: [n], dtype: 'float32' as const, data: values(n, 41, false) };
      const h = activationOutput(z, { kind: 'relu' });
      assertSameValues(h.data, z.data.map(v => Math.max(v, 0)), `activationOutput, ${n}`);
      assertSameValues(activationBackward(d, z, h, { kind: 'relu' }).data, d.data.map((v, i) => (z.data[i] <= 0 ? 0 * v : v)), `activationBackward, ${n}`);
    }
  });
});
