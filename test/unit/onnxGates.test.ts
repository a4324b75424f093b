// Squeeze-and-excitation blocks, a mean head and a graph of two outputs, as torch.onnx.export writes them at
// opsets 11 and 17 (test/fixtures/onnx/make_gates.py): every node's output against onnxruntime-node.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Tensor } from '../../src/engine/tensor';
import { traceOnnxModel } from '../../src/specReader/onnx/modelTrace';
import { randomTensor, rng } from './helpers';
import { checkAgainstOnnxruntime, traceModel } from './onnxReference';

const read = (name: string) => new Uint8Array(fs.readFileSync(path.resolve(__dirname, '../../../test/fixtures/onnx', name)));

describe('ONNX gates (Mul, Div, HardSigmoid, ReduceMean) and several outputs: every node against onnxruntime-node', () => {
  const FIXTURES: Record<string, string[]> = {
    se: ['conv2d', 'global_avg_pool2d', 'conv2d', 'relu', 'conv2d', 'hardsigmoid', 'mul', 'mul'],
    se_sigmoid: ['conv2d', 'global_avg_pool2d', 'conv2d', 'relu', 'conv2d', 'sigmoid', 'mul', 'mul'],
    mean: ['conv2d', 'global_avg_pool2d', 'linear'],
    two_outputs: ['conv2d', 'relu', 'global_avg_pool2d', 'linear'],
  };
  for (const [name, layers] of Object.entries(FIXTURES)) {
    for (const opset of [11, 17]) {
      it(`${name}_${opset}.onnx: ${layers.join(' → ')}, every layer onnxruntime's`, async () => {
        const model = read(`${name}_${opset}.onnx`);
        const x = randomTensor([1, 2, 5, 5], rng(opset));
        assert.deepStrictEqual(traceModel(model, x, 'float64').layers.map(l => l.op), layers);
        assert.strictEqual(await checkAgainstOnnxruntime(model, x), layers.length);
      });
    }
  }
});

interface Fixture { shape: number[]; data: number[] }
interface GradFixture { input: Fixture; target: number; loss: number; grads: Record<string, Fixture> }

describe('ONNX gates: (B, C) → (B, C, 1, 1) by view, reshape and unsqueeze, and every gradient against PyTorch autograd', () => {
  const GATES = ['conv2d', 'global_avg_pool2d', 'conv2d', 'relu', 'conv2d', 'hardsigmoid', 'mul', 'mul', 'global_avg_pool2d', 'linear', 'sigmoid', 'reshape', 'mul', 'global_avg_pool2d', 'linear'];
  const fixtures = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../test/fixtures/onnx/gates_grads.json'), 'utf8')) as Record<string, GradFixture>;
  for (const how of ['view', 'reshape', 'unsqueeze']) {
    const layers = how === 'unsqueeze' ? [...GATES.slice(0, 11), 'reshape', ...GATES.slice(11)] : GATES;
    for (const opset of [11, 17]) {
      it(`gates_${how}_${opset}.onnx: ${layers.join(' → ')}, every layer onnxruntime's`, async () => {
        const model = read(`gates_${how}_${opset}.onnx`);
        const x = randomTensor([2, 2, 5, 5], rng(opset + 1));
        assert.deepStrictEqual(traceModel(model, x, 'float64').layers.map(l => l.op), layers);
        assert.strictEqual(await checkAgainstOnnxruntime(model, x), layers.length);
      });
    }
    it(`gates_${how}_17.onnx: every grad:NAME of conv-trace --target (float64) is PyTorch autograd's`, () => {
      const f = fixtures[`gates_${how}`];
      const input: Tensor = { shape: f.input.shape, dtype: 'float64', data: Float64Array.from(f.input.data) };
      const trace = traceOnnxModel(read(`gates_${how}_17.onnx`), input, { target: f.target, dtype: 'float64' });
      assert.ok(Math.abs(trace.loss! - f.loss) < 1e-12 * Math.max(1, Math.abs(f.loss)), `loss ${trace.loss} vs torch's ${f.loss}`);
      const grads = new Map(trace.values.filter(v => v.role === 'gradient').map(v => [v.name.slice('grad:'.length), v.tensor]));
      // Every gradient here is torch's, and torch has no gradient this lacks. Relative to each tensor's largest value:
      // torch's hardsigmoid_backward multiplies by 1.0f / 6.0f, a float even in float64 (2.98e-8 off 1/6), so what
      // lies before the gate is 1e-7 close; from the gate on, 1e-12.
      const before = new Set(['x', '/conv/Conv_output_0', '/GlobalAveragePool_output_0', '/squeeze/Conv_output_0', '/Relu_output_0', '/excite/Conv_output_0']);
      for (const [name, want] of Object.entries(f.grads)) {
        const got = grads.get(name);
        assert.ok(got, `grad:${name} missing; the trace has ${[...grads.keys()].join(', ')}`);
        assert.deepStrictEqual(got.shape, want.shape, `grad:${name}'s shape`);
        const scale = Math.max(...want.data.map(Math.abs));
        const off = Math.max(...want.data.map((v, i) => Math.abs(v - got.data[i])));
        const tol = before.has(name) || /^(conv|squeeze|excite)\./.test(name) ? 1e-7 : 1e-12;
        assert.ok(off <= tol * scale, `grad:${name}: ${off} off torch's, largest ${scale} (tolerance ${tol} relative)`);
      }
      assert.deepStrictEqual([...grads.keys()].filter(n => !(n in f.grads)), []);
    });
  }
});
