// ONNX Resize, nearest, with every coordinate_transformation_mode and nearest_mode (test/fixtures/onnx/make_resize.py,
// onnx.helper): each a node of its model, every one against onnxruntime-node.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { randomTensor, rng } from './helpers';
import { checkAgainstOnnxruntime, traceModel } from './onnxReference';

const read = (name: string) => new Uint8Array(fs.readFileSync(path.resolve(__dirname, '../../../test/fixtures/onnx', name)));

describe('ONNX Resize nearest: every coordinate transform and rounding against onnxruntime-node', () => {
  for (const [name, how] of [['resize_up', 'scales (1.7, 2.3)'], ['resize_down', 'scales (0.6, 0.5)'], ['resize_sizes', 'sizes (8, 4)'], ['resize_sizes_up', 'sizes (9, 12)']]) {
    it(`${name}.onnx: 5 transforms × 4 roundings by ${how}, each layer onnxruntime's`, async () => {
      const model = read(`${name}.onnx`);
      const x = randomTensor([1, 2, 5, 7], rng(3));
      assert.deepStrictEqual(traceModel(model, x, 'float64').layers.map(l => l.op), new Array(20).fill('upsample2d'));
      assert.strictEqual(await checkAgainstOnnxruntime(model, x), 20);
    });
  }
});
