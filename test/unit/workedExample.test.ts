// The worked example of docs/derivation.md: its printed numbers are the golden values.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Tensor, tensor } from '../../src/engine/tensor';
import { ConvTrace } from '../../src/engine/trace';
import { traceSpecText } from '../../src/specReader/convSpec';

const SEED = path.join(__dirname, '../../../examples/seed.conv.json');

function rows(t: Tensor, rowLength: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < t.data.length; i += rowLength) out.push([...t.data.subarray(i, i + rowLength)]);
  return out;
}

function withGrad(grad: number[]): ConvTrace {
  const spec = JSON.parse(fs.readFileSync(SEED, 'utf8'));
  const g = [[0, 1].map(o => [0, 1, 2].map(i => [0, 1, 2].map(j => grad[o * 9 + i * 3 + j])))];
  return traceSpecText('seed+grad', JSON.stringify({ ...spec, grad: g }));
}

describe('worked example (docs/derivation.md): conv2d x=[1,3,4,4] w=[2,3,2,2] s=1 p=0', () => {
  const trace = traceSpecText('seed.conv.json', fs.readFileSync(SEED, 'utf8'));
  const t = trace.tensors;

  it('z matches the printed output', () => {
    assert.deepStrictEqual(t.z!.shape, [1, 2, 3, 3]);
    assert.deepStrictEqual(rows(t.z!, 3), [
      [296, 250, 288], [277, 280, 294], [302, 297, 315],
      [291, 252, 263], [230, 267, 239], [223, 283, 257],
    ]);
  });

  it('a_t rows 0 and 8 match', () => {
    assert.deepStrictEqual(t.a_t!.shape, [1, 9, 12]);
    const r = rows(t.a_t!, 12);
    assert.deepStrictEqual(r[0], [1, 6, 4, 3, 9, 1, 5, 3, 8, 6, 4, 6]);
    assert.deepStrictEqual(r[8], [7, 7, 1, 2, 1, 7, 5, 8, 3, 8, 3, 6]);
  });

  it('w_t is w.reshape(Cout, -1).T (erratum 1: not w.reshape(-1, Cout).T)', () => {
    assert.deepStrictEqual(t.w_t!.shape, [12, 2]);
    const wtT = [0, 1].map(o => rows(t.w_t!, 2).map(row => row[o]));
    assert.deepStrictEqual(wtT, [
      [5, 9, 5, 8, 1, 1, 8, 8, 7, 1, 2, 8],
      [5, 6, 9, 3, 2, 1, 9, 1, 8, 4, 3, 6],
    ]);
  });

  it('z_t = a_t @ w_t has (B, Hout*Wout, Cout) layout and z adds b', () => {
    assert.deepStrictEqual(t.z_t!.shape, [1, 9, 2]);
    assert.deepStrictEqual(rows(t.z_t!, 2)[0], [296 - 1, 291 - 2]);
  });

  it('backward with δ = ones matches dA, dW, db', () => {
    assert.deepStrictEqual(rows(t.dA!, 4), [
      [10, 25, 25, 15], [24, 50, 50, 26], [24, 50, 50, 26], [14, 25, 25, 11],
      [3, 5, 5, 2], [20, 31, 31, 11], [20, 31, 31, 11], [17, 26, 26, 9],
      [15, 20, 20, 5], [20, 39, 39, 19], [20, 39, 39, 19], [5, 19, 19, 14],
    ]);
    const perKernel = [[40, 44], [34, 38], [39, 40], [42, 47], [42, 47], [30, 41]];
    assert.deepStrictEqual(rows(t.dW!, 2), [...perKernel, ...perKernel]);
    assert.deepStrictEqual([...t.db!.data], [9, 9]);
  });

  it('col2im counts: 1 at corners, 4 inside (2x2 kernel, stride 1)', () => {
    assert.deepStrictEqual(rows(t.col2im_counts!, 4), [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]);
  });

  it('the rot180 full convolution gives the same dA', () => {
    assert.deepStrictEqual([...t.dA_rot180!.data], [...t.dA!.data]);
    assert.strictEqual(trace.rot180!.agrees, true);
  });

  it('backward with δ[0] = arange(18) matches dA[0,0], dW[1,0], db', () => {
    const traced = withGrad(Array.from({ length: 18 }, (_, i) => i));
    const tt = traced.tensors;
    assert.deepStrictEqual(rows(tt.dA!, 4).slice(0, 4), [
      [45, 109, 134, 84], [156, 306, 356, 178], [228, 456, 506, 256], [165, 272, 297, 115],
    ]);
    assert.deepStrictEqual(rows(tt.dW!, 2).slice(6, 8), [[538, 587], [434, 486]]);
    assert.deepStrictEqual([...tt.db!.data], [36, 117]);
    assert.deepStrictEqual([...tt.dA_rot180!.data], [...tt.dA!.data]);
  });

  it('the float32 run gives the same integers', () => {
    const spec = JSON.parse(fs.readFileSync(SEED, 'utf8'));
    const f32 = traceSpecText('seed32', JSON.stringify({ ...spec, dtype: 'float32' }));
    assert.ok(f32.tensors.z!.data instanceof Float32Array);
    assert.deepStrictEqual([...f32.tensors.z!.data], [...t.z!.data]);
    assert.deepStrictEqual(tensor([2], [...f32.tensors.db!.data]).data, tensor([2], [9, 9]).data);
  });
});
