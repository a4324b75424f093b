// ONNX ConvTranspose with pads that differ on an axis's two sides, with output_shape (the pads derived from it) and
// with auto_pad SAME_UPPER, SAME_LOWER and VALID: each a node of one model, every one against onnxruntime-node; an
// output_shape past what the windows reach is refused at the node.

import * as assert from 'assert';
import { SpecError } from '../../src/specReader/source';
import { OnnxInitializer, OnnxNodeSpec, f32Bytes, onnxGraphModel } from '../support/onnxWriter';
import { randomTensor, rng } from './helpers';
import { checkAgainstOnnxruntime, traceModel } from './onnxReference';

const X: [number, number, number, number] = [1, 2, 4, 5];

/** A ConvTranspose of x (1, 2, 4, 5) by a (2, 3, kh, kw) weight with these attributes, named `name`. */
function node(name: string, kernel: [number, number], ints: Record<string, number[]>, autoPad?: string): { node: OnnxNodeSpec; weight: OnnxInitializer } {
  const random = rng(name.length * 7 + kernel[0]);
  const dims = [2, 3, ...kernel];
  const data = Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1);
  return {
    node: { op: 'ConvTranspose', inputs: ['x', `${name}_w`], outputs: [name], name, ints: { kernel_shape: kernel, ...ints }, ...(autoPad ? { strings: { auto_pad: autoPad } } : {}) },
    weight: { name: `${name}_w`, dims, dataType: 1, raw: f32Bytes(data) },
  };
}

function model(nodes: ReturnType<typeof node>[]): Uint8Array {
  return onnxGraphModel({ nodes: nodes.map(n => n.node), initializers: nodes.map(n => n.weight), inputs: [['x', [...X]]], outputs: nodes.map(n => n.node.outputs[0]), opset: 17 });
}

describe('ONNX ConvTranspose pads on each side, output_shape and auto_pad against onnxruntime-node', () => {
  const x = randomTensor([...X], rng(11));

  it('pads [0, 0, 1, 1], [1, 0, 2, 1] and [2, 1, 0, 3] by strides 1 to 3, dilations and output_padding', async () => {
    const m = model([
      node('bottom_right', [3, 3], { strides: [2, 2], pads: [0, 0, 1, 1] }),
      node('uneven', [3, 2], { strides: [2, 3], pads: [1, 0, 2, 1], output_padding: [1, 2] }),
      node('dilated', [2, 3], { strides: [1, 2], dilations: [2, 1], pads: [2, 1, 0, 3] }),
    ]);
    assert.deepStrictEqual(traceModel(m, x, 'float64').layers.filter(l => l.op !== 'loss').map(l => l.op), new Array(3).fill('conv_transpose2d'));
    assert.strictEqual(await checkAgainstOnnxruntime(m, x), 3);
  });

  it('output_shape with an odd total crop, with and without auto_pad, output_padding, pads ignored', async () => {
    const m = model([
      node('shape', [3, 3], { strides: [2, 2], output_shape: [8, 10] }),
      node('shape_upper', [3, 3], { strides: [2, 2], output_shape: [8, 9] }, 'SAME_UPPER'),
      node('shape_lower', [3, 3], { strides: [2, 2], output_shape: [7, 10] }, 'SAME_LOWER'),
      node('shape_valid', [4, 3], { strides: [2, 2], output_shape: [8, 10] }, 'VALID'),
      node('shape_pads', [3, 4], { strides: [2, 3], output_shape: [6, 13], output_padding: [1, 1], pads: [1, 1, 1, 1] }),
      node('shape_full', [3, 3], { strides: [2, 2], output_shape: [9, 11] }),
    ]);
    assert.strictEqual(await checkAgainstOnnxruntime(m, x), 6);
  });

  it('auto_pad SAME_UPPER, SAME_LOWER (odd totals) and VALID; SAME_* where the windows fall short of in · stride', async () => {
    const m = model([
      node('upper', [3, 2], { strides: [2, 2] }, 'SAME_UPPER'),
      node('lower', [3, 2], { strides: [2, 2] }, 'SAME_LOWER'),
      node('upper_dilated', [2, 3], { strides: [1, 2], dilations: [2, 2] }, 'SAME_UPPER'),
      node('valid', [3, 3], { strides: [2, 1] }, 'VALID'),
      node('short', [1, 2], { strides: [3, 3] }, 'SAME_LOWER'),
    ]);
    assert.strictEqual(await checkAgainstOnnxruntime(m, x), 5);
  });

  it('an output_shape past what the windows reach is refused at its node', () => {
    // Reach (4 − 1)·2 + 3 = 9 rows: 10 asks onnxruntime to fill a row the windows never touch.
    const m = model([node('too_big', [3, 3], { strides: [2, 2], output_shape: [10, 11] })]);
    assert.throws(() => traceModel(m, x, 'float64'), (e: unknown) => e instanceof SpecError && /"too_big"/.test(e.message) && /output_shape/.test(e.message));
  });
});
