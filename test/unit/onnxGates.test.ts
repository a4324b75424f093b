// Squeeze-and-excitation blocks, a mean head and a graph of two outputs, as torch.onnx.export writes them at
// opsets 11 and 17 (test/fixtures/onnx/make_gates.py): every node's output against onnxruntime-node.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
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

describe('ONNX gates: (B, C) → (B, C, 1, 1) by view, reshape and unsqueeze, every node against onnxruntime-node', () => {
  const GATES = ['conv2d', 'global_avg_pool2d', 'conv2d', 'relu', 'conv2d', 'hardsigmoid', 'mul', 'mul', 'global_avg_pool2d', 'linear', 'sigmoid', 'reshape', 'mul', 'global_avg_pool2d', 'linear'];
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
  }
});
