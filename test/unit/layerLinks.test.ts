// Linking and cell sums for the layers after the conv: checked through values,
// not through the index formulas they are written with. Inputs are random
// reals, so two cells hold the same value only when one is a copy of the other.

import * as assert from 'assert';
import * as fc from 'fast-check';
import { cellSumIn, linksIn } from '../../src/engine/layerKinds/views';
import { LayerSpec, LayerTrace, traceNetwork } from '../../src/engine/network';
import type { TensorName } from '../../src/engine/trace';
import { randomTensor, rng } from './helpers';

function indexOf(shape: readonly number[], offset: number): number[] {
  const index = shape.map(() => 0);
  for (let d = shape.length - 1; d >= 0; d--) { index[d] = offset % shape[d]; offset = Math.floor(offset / shape[d]); }
  return index;
}

function offsetOf(shape: readonly number[], index: readonly number[]): number {
  return index.reduce((acc, v, d) => acc * shape[d] + v, 0);
}

const tools = (l: LayerTrace) => ({
  g: l.geometry,
  shapeOf: (n: TensorName) => l.tensors[n]?.shape,
  get: (n: TensorName) => l.tensors[n]?.data,
  names: Object.keys(l.tensors) as TensorName[],
  value: (n: TensorName, index: readonly number[]) => l.tensors[n]!.data[offsetOf(l.tensors[n]!.shape, index)],
});

const poolArb = fc.record({
  kind: fc.constantFrom<'maxpool2d' | 'avgpool2d'>('maxpool2d', 'avgpool2d'),
  kernel: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  pad: fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })),
  dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  ceilMode: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1e6 }),
});

describe('pooling links and sums, checked through values', () => {
  it('a pooled output lights up exactly the window its value came from; a pixel exactly its copies', () => {
    fc.assert(fc.property(poolArb, p => {
      const random = rng(p.seed);
      const padding: [number, number] = [Math.min(p.pad[0], Math.floor(p.kernel[0] / 2)), Math.min(p.pad[1], Math.floor(p.kernel[1] / 2))];
      const dilation: [number, number] = p.kind === 'avgpool2d' ? [1, 1] : p.dilation;
      const input = randomTensor([2, 2, 7, 6], random);
      const layer: LayerSpec = { type: p.kind, options: { kernel: p.kernel, stride: p.stride, padding, dilation, ceilMode: p.ceilMode } };
      const l = traceNetwork({ input, layers: [layer], dtype: 'float64' }).layers[0];
      const { g, shapeOf, names, value } = tools(l);
      const z = l.tensors.z!;
      for (let off = 0; off < z.data.length; off++) {
        const index = indexOf(z.shape, off);
        const h = linksIn(g, { tensor: 'z', index }, shapeOf, names);
        const window = (h.pool_t?.cells ?? []).map(c => value('pool_t', c));
        const kh = p.kernel[0] * p.kernel[1];
        assert.strictEqual(window.length, kh, `z[${index}] lights up its ${kh} taps`);
        // The a cells lit are the same values as the pool_t row (the window unfolded).
        const fromA = (h.a?.cells ?? []).map(c => value('a', c)).sort();
        assert.deepStrictEqual(fromA, [...window].sort(), `z[${index}]: a cells = pool_t row`);
        const expect = p.kind === 'maxpool2d' ? Math.max(...window) : window.reduce((s, v) => s + v, 0) / window.length;
        if (p.kind === 'maxpool2d') assert.strictEqual(z.data[off], expect, `z[${index}] is the max of the lit window`);
        // Average pooling: the divisor may count padding only (PyTorch), so check the listed sum instead.
        const s = cellSumIn(g, n => l.tensors[n]?.data, shapeOf, { tensor: 'z', index });
        if (p.kind === 'avgpool2d') assert.ok(s && Math.abs(s.total - z.data[off]) < 1e-12, `avg z[${index}] sum`);
        else {
          // Max: the listed taps are the window, and the winner is the argmax the engine recorded.
          assert.deepStrictEqual(s!.terms.map(t => t.value).sort(), [...window].sort());
          assert.strictEqual(s!.total, z.data[off]);
          assert.strictEqual(s!.winner, l.tensors.argmax!.data[off], `z[${index}]: the winner is the argmax`);
        }
      }
      // A pixel of the input: the pool_t cells lit are exactly the cells that hold its value.
      const x = l.tensors.input!;
      for (let off = 0; off < x.data.length; off += 3) {
        const index = indexOf(x.shape, off);
        const h = linksIn(g, { tensor: 'input', index }, shapeOf, names);
        const lit = (h.pool_t?.cells ?? []).map(c => c.join()).sort();
        const pt = l.tensors.pool_t!;
        const copies: string[] = [];
        for (let k = 0; k < pt.data.length; k++) if (pt.data[k] === x.data[off]) copies.push(indexOf(pt.shape, k).join());
        assert.deepStrictEqual(lit, copies.sort(), `input[${index}] copies`);
        // ∂C/∂input is the sum of the dpool_t entries listed.
        const s = cellSumIn(g, n => l.tensors[n]?.data, shapeOf, { tensor: 'dA', index })!;
        assert.ok(Math.abs(s.total - l.tensors.dA!.data[off]) < 1e-12, `dA[${index}] = Σ listed`);
        assert.strictEqual(s.terms.length, copies.length, `dA[${index}] lists one term per copy`);
      }
    }), { numRuns: 40 });
  });
});

describe('linear, flatten and activation links and sums', () => {
  const random = rng(11);
  const input = randomTensor([2, 3, 2, 2], random);
  const weight = randomTensor([4, 12], random);
  const bias = randomTensor([4], random);
  const t = traceNetwork({
    input, dtype: 'float64',
    layers: [{ type: 'leaky_relu', slope: 0.1 }, { type: 'flatten' }, { type: 'linear', weight, bias }, { type: 'sigmoid' }],
    loss: { type: 'cross_entropy', target: [2, 0] },
  });

  it('every linear output, input gradient, weight gradient and bias gradient is the sum listed for it', () => {
    const l = t.layers[2];
    const { g, shapeOf, get } = tools(l);
    for (const name of ['z', 'dA', 'dW', 'db'] as TensorName[]) {
      const x = l.tensors[name]!;
      for (let off = 0; off < x.data.length; off++) {
        const s = cellSumIn(g, get, shapeOf, { tensor: name, index: indexOf(x.shape, off) })!;
        assert.ok(Math.abs(s.total - x.data[off]) < 1e-12, `${name}[${indexOf(x.shape, off)}]: ${s.total} vs ${x.data[off]}`);
      }
    }
  });

  it('z[b, o] of the linear layer lights up input row b, weight row o and w_t column o', () => {
    const l = t.layers[2];
    const { g, shapeOf, names } = tools(l);
    const h = linksIn(g, { tensor: 'z', index: [1, 3] }, shapeOf, names);
    assert.deepStrictEqual([h.input?.rows, h.weight?.rows, h.w_t?.columns, h.bias?.cells], [[1], [3], [3], [[3]]]);
  });

  it('flatten links each feature to the input cell that holds the same value, both ways', () => {
    const l = t.layers[1];
    const { g, shapeOf, names, value } = tools(l);
    const z = l.tensors.z!;
    for (let off = 0; off < z.data.length; off++) {
      const index = indexOf(z.shape, off);
      const cell = linksIn(g, { tensor: 'z', index }, shapeOf, names).input!.cells[0];
      assert.strictEqual(value('input', cell), z.data[off]);
      assert.deepStrictEqual(linksIn(g, { tensor: 'input', index: cell }, shapeOf, names).z!.cells, [index]);
    }
  });

  it('an activation links the same cell of z, h, h\'(z), δ and ∂C/∂z; ∂C/∂z = δ · h\'(z) is listed', () => {
    for (const l of [t.layers[0], t.layers[3]]) {
      const { g, shapeOf, names, get } = tools(l);
      const dZ = l.tensors.dZ!;
      for (let off = 0; off < dZ.data.length; off += 5) {
        const index = indexOf(dZ.shape, off);
        const h = linksIn(g, { tensor: 'dZ', index }, shapeOf, names);
        for (const n of ['z', 'h', 'h_prime', 'delta', 'dZ'] as TensorName[]) assert.deepStrictEqual(h[n]?.cells, [index], `${l.op} ${n}`);
        const s = cellSumIn(g, get, shapeOf, { tensor: 'dZ', index })!;
        assert.strictEqual(s.total, dZ.data[off]);
      }
    }
  });

  it('the loss links every output row; a class target links its batch row', () => {
    const l = t.layers[4];
    const { g, shapeOf, names } = tools(l);
    const all = linksIn(g, { tensor: 'loss', index: [0] }, shapeOf, names);
    assert.deepStrictEqual([all.z?.rows, all.probs?.rows, all.delta?.rows], [[0, 1], [0, 1], [0, 1]]);
    const row = linksIn(g, { tensor: 'target', index: [1] }, shapeOf, names);
    assert.deepStrictEqual([row.z?.rows, row.probs?.rows, row.delta?.rows], [[1], [1], [1]]);
  });
});
