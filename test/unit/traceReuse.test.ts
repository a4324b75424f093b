// A re-run in the arrays of the trace it replaces (TraceJob.reuse, engine/recycledBuffers.ts `reusing`): property over
// random geometries (stride, padding, dilation, groups, batch), float32 and float64, the WebAssembly kernels on and off:
// a trace made in the NaN-filled arrays of another trace, of the same geometry or not, is a fresh trace's to the bit.

import * as assert from 'assert';
import * as fc from 'fast-check';
import { conv2d } from '../../src/engine/conv2d';
import { reusing, wholeArrays } from '../../src/engine/recycledBuffers';
import type { DType } from '../../src/engine/tensor';
import { ConvTrace, recordedTensors, traceConv } from '../../src/engine/trace';
import { setWasmGemm } from '../../src/engine/wasm/gemmWasm';
import { Geometry, describeGeometry, geometryArb, randomTensor, rng } from './helpers';

function traceOf(g: Geometry, dtype: DType): ConvTrace {
  const random = rng(g.seed);
  const input = randomTensor([g.batch, g.inChannels, g.height, g.width], random, dtype);
  const weight = randomTensor([g.outChannels, g.inChannels / g.groups, g.kernelHeight, g.kernelWidth], random, dtype);
  const bias = randomTensor([g.outChannels], random, dtype);
  const grad = randomTensor([...conv2d(input, weight, bias, g.options).shape], random, dtype);
  return traceConv({ input, weight, bias, grad, options: g.options, dtype });
}

describe('a trace made in the arrays of the one it replaces', () => {
  afterEach(() => setWasmGemm(true));

  for (const kernels of [true, false]) {
    it(`is a fresh trace's, every tensor, statistic and stage (kernels ${kernels ? 'on' : 'off'})`, () => {
      setWasmGemm(kernels);
      fc.assert(fc.property(geometryArb, geometryArb, fc.boolean(), fc.constantFrom<DType>('float32', 'float64'), (before, after, same, dtype) => {
        const next = same ? before : after;
        const replaced = traceOf(before, dtype).tensors;
        const arrays = wholeArrays(recordedTensors(replaced));
        for (const a of arrays) a.fill(NaN);
        const offered = arrays.reduce((sum, a) => sum + a.byteLength, 0);
        const { value: rerun, reusedBytes } = reusing(arrays, () => traceOf(next, dtype));
        const what = `${describeGeometry(before)} then ${describeGeometry(next)} ${dtype}`;
        assert.deepStrictEqual(rerun, traceOf(next, dtype), what);
        // The same geometry takes back every array the trace made (the given input, weight, bias and δ are this
        // test's own arrays, made outside the pool: theirs may be left).
        const given = [replaced.input, replaced.weight, replaced.bias, replaced.delta].reduce((sum, t) => sum + (t?.data.byteLength ?? 0), 0);
        if (same) assert.ok(reusedBytes >= offered - given && reusedBytes <= offered, `${what}: ${reusedBytes} of ${offered} bytes`);
        else assert.ok(reusedBytes >= 0 && reusedBytes <= offered, what);
      }), { numRuns: 60 });
    });
  }

  it('wholeArrays leaves out views, repeats and empty arrays', () => {
    const whole = new Float32Array(8);
    const view = new Float32Array(whole.buffer, 4, 2);
    const other = new Float64Array(3);
    const empty = new Float64Array(0);
    const tensors = [whole, view, whole, other, empty, other.subarray(1)].map(data => ({ data }));
    assert.deepStrictEqual(wholeArrays(tensors), [whole, other]);
  });
});
