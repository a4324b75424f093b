// grad:NAME of a zero Pad's output, read by a conv as its padding and by a relu through a pad2d layer, and of
// every other value, against PyTorch autograd (test/fixtures/onnx/make_pad_grads.py).

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Tensor } from '../../src/engine/tensor';
import { traceOnnxModel } from '../../src/specReader/onnx/modelTrace';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/onnx');

interface Fixture { shape: number[]; data: number[] }

describe('conv-trace --target: grad: of a Pad\'s output and of constants', () => {
  const f = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'pad_grads.json'), 'utf8')) as { input: Fixture; target: number; loss: number; grads: Record<string, Fixture> };
  const model = new Uint8Array(fs.readFileSync(path.join(FIXTURES, 'pad_grads.onnx')));
  const input: Tensor = { shape: f.input.shape, dtype: 'float64', data: Float64Array.from(f.input.data) };

  it('pad_grads.onnx: every grad:NAME is PyTorch autograd\'s, the Pad\'s output (conv padding + pad2d) among them', () => {
    const trace = traceOnnxModel(model, input, { target: f.target, dtype: 'float64' });
    const grads = new Map(trace.values.filter(v => v.role === 'gradient').map(v => [v.name.slice('grad:'.length), v.tensor]));
    assert.ok(grads.has('/Pad_output_0'), `no grad:/Pad_output_0 among ${[...grads.keys()].join(', ')}`);
    for (const [name, want] of Object.entries(f.grads)) {
      const got = grads.get(name);
      assert.ok(got, `grad:${name} missing`);
      assert.deepStrictEqual(got.shape, want.shape, `grad:${name}'s shape`);
      const scale = Math.max(...want.data.map(Math.abs));
      const off = Math.max(...want.data.map((v, i) => Math.abs(v - got.data[i])));
      assert.ok(off <= 1e-12 * scale, `grad:${name}: ${off} off torch's, largest ${scale}`);
    }
    // Constants that are no layer's parameter (the Pad's pads, a shape) have no gradient.
    const constants = trace.values.filter(v => v.role === 'node' && v.op === 'Constant').map(v => v.name);
    for (const name of constants) assert.ok(!grads.has(name), `grad:${name} of a constant`);
  });

  it('mobile.onnx (BatchNorm): grad: of its scale and shift, none of its running statistics (was a crash)', () => {
    const x: Tensor = { shape: [1, 2, 5, 5], dtype: 'float64', data: new Float64Array(50).map((_, i) => Math.sin(i)) };
    const trace = traceOnnxModel(new Uint8Array(fs.readFileSync(path.join(FIXTURES, 'mobile.onnx'))), x, { target: 1, dtype: 'float64' });
    const names = trace.values.filter(v => v.role === 'gradient').map(v => v.name);
    assert.ok(names.includes('grad:bn.weight') && names.includes('grad:bn.bias'), names.join(', '));
    assert.ok(!names.some(n => /running/.test(n)), names.join(', '));
  });
});
