// Shape arithmetic folded before the run (ops.ts's FOLDS) with ONNX's element types: an int64 Div truncates as
// onnxruntime's does, Mod, Floor, Ceil and Cast (test/fixtures/onnx/make_folds.py): every node against onnxruntime-node.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { randomTensor, rng } from './helpers';
import { checkAgainstOnnxruntime, traceModel } from './onnxReference';

const read = (name: string) => new Uint8Array(fs.readFileSync(path.resolve(__dirname, '../../../test/fixtures/onnx', name)));

describe('ONNX folded shape arithmetic keeps integer types', () => {
  it('int_div.onnx: pads h // 2, h % 3, floor(h / 2), ceil(h / 4) of h = 5 are 2 each, the conv after onnxruntime\'s', async () => {
    const model = read('int_div.onnx');
    const x = randomTensor([1, 2, 5, 5], rng(7));
    const trace = traceModel(model, x, 'float64');
    assert.deepStrictEqual(trace.layers.map(l => l.op), ['conv2d']);
    assert.deepStrictEqual(trace.layers[0].tensors.z!.shape, [1, 3, 7, 7]);
    assert.strictEqual(await checkAgainstOnnxruntime(model, x), 1);
  });
});
