// ONNX models run as networks ("model": {"onnx": …}, src/specReader/onnx/): every node's output against
// onnxruntime-node on the same input, the digits example against its hand-written spec, and hostile files
// refused at the file, naming the node.

import * as assert from 'assert';
import { viewOf } from '../../src/engine/layerKinds/views';
import * as fs from 'fs';
import * as path from 'path';
import type { InferenceSession as Session } from 'onnxruntime-node';
import { LayerTrace, NetworkTrace } from '../../src/engine/network';
import { DType, Tensor, toNested } from '../../src/engine/tensor';
import { networkToWire } from '../../src/protocol/wire';
import { traceAnySpecText } from '../../src/specReader/convSpec';
import { readGraph } from '../../src/specReader/onnx/graph';
import { nodeSpecFiles } from '../../src/specReader/nodeSpecFiles';
import { readSpecFiles } from '../../src/specReader/specFiles';
import { specFileReferences } from '../../src/specReader/tensorSource';
import { SpecError } from '../../src/specReader/source';
import { decodeNpz } from '../../src/specReader/npz';
import { assertClose, randomTensor, rng } from './helpers';
import { GOOD, HOSTILE, INPUT_SHAPE } from './onnxHostile';
import { pbBytes } from './tensorFiles';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');

const ROOT = path.resolve(__dirname, '../../..');
const read = (...parts: string[]) => new Uint8Array(fs.readFileSync(path.join(ROOT, ...parts)));
const latin1 = (s: string) => Uint8Array.from(s, c => c.charCodeAt(0));

/** Traces a model spec on `input`, the model's bytes as m.onnx. */
function traceModel(model: Uint8Array, input: Tensor, dtype: DType, extra: Record<string, unknown> = {}): NetworkTrace {
  const spec = { model: { onnx: 'm.onnx' }, input: toNested(input), dtype, ...extra };
  return traceAnySpecText('spec.json', JSON.stringify(spec), { dtype }, new Map([['m.onnx', model]])) as NetworkTrace;
}

/** The model with every node's output also a graph output (a second graph message, which protobuf merges into the first). */
function everyOutput(model: Uint8Array): Uint8Array {
  const names = readGraph(model).nodes.flatMap(n => n.outputs.filter(Boolean));
  const outputs = names.map(name => pbBytes(12, pbBytes(1, latin1(name))));
  const merged = new Uint8Array(model.length + outputs.reduce((n, o) => n + o.length, 0) + 16);
  const extra = pbBytes(7, Uint8Array.from(outputs.flatMap(o => [...o])));
  merged.set(model);
  merged.set(extra, model.length);
  return merged.subarray(0, model.length + extra.length);
}

/** onnxruntime's value of every node output, by name, in float32. */
async function reference(model: Uint8Array, input: Tensor): Promise<Record<string, Tensor>> {
  const session: Session = await ort.InferenceSession.create(everyOutput(model));
  const x = new ort.Tensor('float32', Float32Array.from(input.data), [...input.shape]);
  const out = await session.run({ [session.inputNames[0]]: x });
  return Object.fromEntries(Object.entries(out).filter(([, t]) => t.type === 'float32').map(([k, t]) => [k, { shape: [...t.dims], dtype: 'float64', data: Float64Array.from(t.data as Float32Array) } as Tensor]));
}

/** A layer's output in the trace (an activation's h, any other layer's z). */
/** A layer's output, where its view says it is (an activation's h, softmax's p, the others' z). */
const outputOf = (l: LayerTrace): Tensor => l.tensors[viewOf(l.geometry).ends?.output ?? 'z']!;

/** The ONNX tensor a layer's output is: its node's first output (a MatMul + Add's, the Add's). */
function outputNames(model: Uint8Array): Map<string, string> {
  return new Map(readGraph(model).nodes.map(n => [n.name, n.outputs[0]]));
}

/** Checks every layer's output against onnxruntime's value of its node's output. */
async function checkAgainstOnnxruntime(model: Uint8Array, input: Tensor): Promise<number> {
  const want = await reference(model, input);
  const names = outputNames(model);
  let checked = 0;
  for (const dtype of ['float32', 'float64'] as const) {
    const trace = traceModel(model, input, dtype);
    for (const l of trace.layers.filter(l => l.op !== 'loss')) {
      assert.ok(l.label, `${l.name} has no node name`);
      const name = names.get(l.label.split(' + ').pop()!)!;
      assert.ok(want[name], `no onnxruntime value of ${name}`);
      assertClose(outputOf(l), want[name], 1e-4, `${dtype} ${l.name} "${l.label}" (${name})`);
      checked++;
    }
  }
  return checked / 2;
}

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
    mobile: { shape: [1, 2, 5, 5], layers: ['conv2d', 'batchnorm2d', 'relu', 'clip', 'hardswish', 'conv_transpose2d', 'global_avg_pool2d', 'flatten', 'linear', 'softmax'] },
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
