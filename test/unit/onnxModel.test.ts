// ONNX models run as networks ("model": {"onnx": …}, src/specReader/onnx/): every node's output against
// onnxruntime-node on the same input, the digits example against its hand-written spec, and hostile files
// refused at the file, naming the node.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { NetworkTrace } from '../../src/engine/network';
import { toNested } from '../../src/engine/tensor';
import { networkToWire } from '../../src/protocol/wire';
import { traceAnySpecText } from '../../src/specReader/convSpec';
import { nodeSpecFiles } from '../../src/specReader/nodeSpecFiles';
import { readSpecFiles } from '../../src/specReader/specFiles';
import { specFileReferences } from '../../src/specReader/tensorSource';
import { SpecError } from '../../src/specReader/source';
import { decodeNpz } from '../../src/specReader/npz';
import { assertClose, randomTensor, rng } from './helpers';
import { GOOD, HOSTILE, INPUT_SHAPE } from './onnxHostile';
import { checkAgainstOnnxruntime, traceModel } from './onnxReference';

const ROOT = path.resolve(__dirname, '../../..');
const read = (...parts: string[]) => new Uint8Array(fs.readFileSync(path.join(ROOT, ...parts)));

describe('ONNX models as networks: every node against onnxruntime-node', () => {
  it('examples/digits.onnx on digits.npz\'s "x": every node, and the same trace as digits.conv.json', async () => {
    const x = decodeNpz(read('examples', 'digits.npz'), 'x', 'float64', 1e6, 1e7).tensor;
    assert.strictEqual(await checkAgainstOnnxruntime(read('examples', 'digits.onnx'), x), 8);
    const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/digits.conv.json'), 'utf8')) as Record<string, unknown>;
    const fromModel = traceModel(read('examples', 'digits.onnx'), x, 'float64', { loss: spec.loss });
    const handWritten = traceAnySpecText(path.join(ROOT, 'examples/digits.conv.json'), JSON.stringify(spec), {}, await specFiles(spec)) as NetworkTrace;
    assert.deepStrictEqual(fromModel.layers.map(l => l.title), handWritten.layers.map(l => l.title));
    assert.ok(Math.abs(fromModel.loss!.value - handWritten.loss!.value) < 1e-12);
    fromModel.layers.forEach((l, i) => {
      for (const [name, t] of Object.entries(l.tensors)) assertClose(t!, handWritten.layers[i].tensors[name as keyof typeof l.tensors]!, 1e-12, `${l.name}.${name}`);
    });
  });

  const FIXTURES: Record<string, { shape: number[]; layers: string[] }> = {
    residual: { shape: [1, 4, 6, 6], layers: ['conv2d', 'batchnorm2d', 'relu', 'conv2d', 'batchnorm2d', 'add', 'relu'] },
    concat: { shape: [2, 3, 5, 5], layers: ['conv2d', 'relu', 'conv2d', 'sigmoid', 'concat', 'conv2d'] },
    vgg: { shape: [2, 1, 8, 8], layers: ['conv2d', 'relu', 'conv2d', 'relu', 'maxpool2d', 'flatten', 'linear', 'relu', 'linear'] },
    vgg_static: { shape: [2, 1, 8, 8], layers: ['conv2d', 'relu', 'conv2d', 'relu', 'maxpool2d', 'flatten', 'linear', 'relu', 'linear'] },
    avgpool: { shape: [1, 2, 9, 9], layers: ['conv2d', 'avgpool2d', 'leaky_relu', 'sigmoid', 'tanh', 'avgpool2d', 'flatten', 'linear'] },
    passthrough: { shape: [1, 3, 4, 4], layers: ['conv2d', 'flatten', 'linear'] },
    // AveragePool with pads, ceil_mode and count_include_pad 0 as torch writes timm's pools; auto_pad SAME and pads on one side.
    timm_pools: { shape: [1, 2, 9, 9], layers: ['conv2d', 'avgpool2d', 'relu', 'maxpool2d', 'avgpool2d', 'flatten', 'linear'] },
    same_pads: { shape: [1, 2, 9, 9], layers: ['conv2d', 'relu', 'maxpool2d', 'avgpool2d', 'conv2d', 'maxpool2d', 'flatten', 'linear'] },
    mobile: { shape: [1, 2, 5, 5], layers: ['conv2d', 'batchnorm2d', 'relu', 'clip', 'hardswish', 'conv_transpose2d', 'global_avg_pool2d', 'flatten', 'linear', 'softmax'] },
    // torch_resample.py's: Resize and Pad through Shape → Gather → Sub → … chains, folded.
    unet11: { shape: [1, 1, 10, 10], layers: ['conv2d', 'relu', 'maxpool2d', 'conv2d', 'relu', 'maxpool2d', 'conv2d', 'relu', 'upsample2d', 'pad2d', 'concat', 'conv2d', 'relu', 'upsample2d', 'pad2d', 'concat', 'conv2d', 'relu', 'conv2d', 'sigmoid'] },
    unet17: { shape: [1, 1, 10, 10], layers: ['conv2d', 'relu', 'maxpool2d', 'conv2d', 'relu', 'maxpool2d', 'conv2d', 'relu', 'upsample2d', 'pad2d', 'concat', 'conv2d', 'relu', 'upsample2d', 'pad2d', 'concat', 'conv2d', 'relu', 'conv2d', 'sigmoid'] },
    resample13: { shape: [1, 1, 10, 10], layers: ['conv2d', 'upsample2d', 'pad2d', 'relu', 'pad2d', 'pad2d', 'upsample2d', 'upsample2d'] },
  };
  for (const [name, { shape, layers }] of Object.entries(FIXTURES)) {
    it(`test/fixtures/onnx/${name}.onnx: ${layers.join(' → ')}, every layer onnxruntime's`, async () => {
      const model = read('test/fixtures/onnx', `${name}.onnx`);
      const x = randomTensor(shape, rng(7));
      assert.deepStrictEqual(traceModel(model, x, 'float64').layers.map(l => l.op), layers);
      assert.strictEqual(await checkAgainstOnnxruntime(model, x), layers.length);
    });
  }

  it('the residual block reads as a graph: add takes the block\'s input and the second batchnorm', () => {
    const trace = traceModel(read('test/fixtures/onnx', 'residual.onnx'), randomTensor([1, 4, 6, 6], rng(1)), 'float64');
    assert.deepStrictEqual(trace.layers[5].inputs.map(i => i.name), ['layers[4]', 'input']);
    assert.deepStrictEqual(trace.layers.map(l => l.label), ['/conv1/Conv', '/bn1/BatchNormalization', '/Relu', '/conv2/Conv', '/bn2/BatchNormalization', '/Add', '/Relu_1']);
    // The panel's chain shows each layer's node beside its title.
    assert.strictEqual(networkToWire(trace, 1, 'residual', []).layers[0].title, 'conv2d 4@3×3 · /conv1/Conv');
  });
});

/** The files a spec in examples/ names. */
function specFiles(spec: Record<string, unknown>) {
  return readSpecFiles(path.join(ROOT, 'examples/digits.conv.json'), specFileReferences(spec), nodeSpecFiles, { maxElements: 1e6 });
}

describe('ONNX models as networks: hostile files refused at the file, naming the node', () => {
  const x = randomTensor(INPUT_SHAPE, rng(3));
  it('the hand-written model they break runs', () => {
    assert.deepStrictEqual(traceModel(GOOD, x, 'float64').layers.map(l => `${l.op} ${l.label}`), ['conv2d conv', 'relu relu_y']);
  });
  for (const [what, { bytes, code, names }] of Object.entries(HOSTILE)) {
    it(`${what}: ${code}, at $.model.onnx${names ? `, naming ${names.join(', ')}` : ''}`, () => {
      let error: unknown;
      try { traceModel(bytes, x, 'float64'); } catch (e) { error = e; }
      assert.ok(error instanceof SpecError, `not a SpecError: ${String(error)}`);
      assert.strictEqual(error.problem.code, code, error.message);
      assert.deepStrictEqual(error.path, ['model', 'onnx']);
      assert.strictEqual(error.problem.file, 'm.onnx');
      for (const name of names ?? []) assert.ok(error.message.includes(`"${name}"`) || error.message.includes(name), `${name} not in ${error.message}`);
      assert.strictEqual(error.message.split('\n').length, 1);
    });
  }

  it('"model" must name an .onnx file, and not beside "layers"', () => {
    const codes = (extra: Record<string, unknown>) => {
      try { traceAnySpecText('s.json', JSON.stringify({ input: toNested(x), ...extra }), {}, new Map([['m.onnx', GOOD]])); } catch (e) { return (e as SpecError).problem.code; }
      return undefined;
    };
    assert.strictEqual(codes({ model: 'm.onnx' }), 'network.model');
    assert.strictEqual(codes({ model: { onnx: 'm.onnx' }, layers: [{ type: 'relu' }] }), 'network.modelAndLayers');
  });
});
