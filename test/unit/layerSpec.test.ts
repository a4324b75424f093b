// Save as Spec… (src/engine/layerSpec.ts, src/specReader/layerSpecFile.ts): every layer of a run written as a spec of
// its own, read back by the spec reader from its JSON and its .npy / .safetensors, and traced: the same record as
// that layer traced from the run (traceRunLayer), tensor by tensor, bit for bit (z, and with the run's δ as the
// spec's grad, ∂C/∂input and ∂C/∂w). On digits.onnx, the resnet-block and unet-up examples, and a network of every
// kind; a layer of several inputs, or whose input the spec reader would read at another rank, is refused by name.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { EngineError } from '../../src/engine/errors';
import { layerSources } from '../../src/engine/graph';
import { networkInputOf } from '../../src/engine/layerKinds';
import { layerAsSpec } from '../../src/engine/layerSpec';
import { LayerTrace, NetworkProblem, traceNetwork } from '../../src/engine/network';
import { NetworkRun, runNetwork, traceRunLayer } from '../../src/engine/networkRun';
import type { Tensor } from '../../src/engine/tensor';
import { readSpecProblem } from '../../src/specReader/convSpec';
import { decodeNpz } from '../../src/specReader/npz';
import { layerSpecFiles, specStem } from '../../src/specReader/layerSpecFile';
import { listSafetensors } from '../../src/specReader/safetensors';
import { nodeSpecFiles } from '../../src/specReader/nodeSpecFiles';
import { JsonSource } from '../../src/specReader/source';
import { readSpecFiles } from '../../src/specReader/specFiles';
import { specFileReferences } from '../../src/specReader/tensorSource';
import { EVERY_NETWORK } from './everyKind';
import { modelSpec } from './onnxReference';

const ROOT = path.resolve(__dirname, '../../..');
const read = (...parts: string[]) => new Uint8Array(fs.readFileSync(path.join(ROOT, ...parts)));

async function exampleProblem(name: string, dtype: 'float32' | 'float64'): Promise<NetworkProblem> {
  const file = path.join(ROOT, 'examples', name);
  const source = JsonSource.parse(file, fs.readFileSync(file, 'utf8'));
  const files = await readSpecFiles(file, specFileReferences(source.value), nodeSpecFiles, { maxElements: 1e6 });
  return readSpecProblem(source, { dtype }, files) as NetworkProblem;
}

function digitsProblem(dtype: 'float32' | 'float64'): NetworkProblem {
  const x = decodeNpz(read('examples', 'digits.npz'), 'x', dtype, 1e6, 1e7).tensor;
  const text = modelSpec(x, dtype, { loss: { type: 'cross_entropy', target: [8] } });
  return readSpecProblem(JsonSource.parse('spec.json', text), { dtype }, new Map([['m.onnx', read('examples', 'digits.onnx')]])) as NetworkProblem;
}

const same = (a: Tensor, e: Tensor, what: string) => {
  assert.deepStrictEqual([...a.shape], [...e.shape], `${what}: shape`);
  assert.strictEqual(a.dtype, e.dtype, `${what}: dtype`);
  assert.deepStrictEqual(Array.from(a.data), Array.from(e.data), `${what}: values`);
};

/** Layer `i` of `run` saved, read back from its files and traced alone: its record. */
function savedAndTraced(run: NetworkRun, i: number): { trace: LayerTrace; files: ReturnType<typeof layerSpecFiles> } {
  const files = layerSpecFiles(layerAsSpec(run, i), 'out/layer 3.conv.json', 'a layer');
  const source = JsonSource.parse('out/layer 3.conv.json', files.json);
  const problem = readSpecProblem(source, {}, new Map([[files.tensors.name, files.tensors.bytes]])) as NetworkProblem;
  return { trace: traceNetwork(problem).layers[0], files };
}

/** Every layer of the run that can be a spec: the same tensors as traced from the run; the others refused, saying why. */
function checkEveryLayer(problem: NetworkProblem): number {
  const run = runNetwork(problem);
  const sources = layerSources(problem.layers);
  let saved = 0;
  problem.layers.forEach((layer, i) => {
    const what = `layers[${i}] (${layer.type})`;
    const input = sources[i][0] === 'input' ? problem.input : run.outputs[sources[i][0] as number];
    const refusal = sources[i].length > 1 || (layer.type === 'mul' && !('by' in layer && layer.by)) ? 'layerSpec.inputs'
      : input.shape.length !== networkInputOf(layer.type).rank ? 'layerSpec.inputRank' : undefined;
    if (refusal) {
      assert.throws(() => layerAsSpec(run, i), (e: unknown) => e instanceof EngineError && e.problem.code === refusal && e.problem.layer?.index === i, what);
      return;
    }
    const expected = traceRunLayer(run, i);
    const { trace } = savedAndTraced(run, i);
    assert.deepStrictEqual(trace.stages.map(s => s.id), expected.stages.map(s => s.id), `${what}: its stages`);
    assert.deepStrictEqual(Object.keys(trace.tensors), Object.keys(expected.tensors), `${what}: its tensors`);
    for (const [name, t] of Object.entries(expected.tensors)) same(trace.tensors[name]!, t!, `${what}.${name}`);
    saved++;
  });
  return saved;
}

describe('Save as Spec…: a layer of a run as a spec of its own', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`digits.onnx ${dtype}: every layer's z, ∂C/∂input, ∂C/∂w and ∂C/∂b as in the model run`, () => {
      assert.strictEqual(checkEveryLayer(digitsProblem(dtype)), 8);
    });
  }

  for (const name of ['resnet-block.conv.json', 'unet-up.conv.json']) {
    it(`examples/${name}: every layer of one input as in the run; add and concat refused`, async () => {
      const problem = await exampleProblem(name, 'float64');
      const merges = problem.layers.filter(l => l.type === 'add' || l.type === 'concat').length;
      assert.strictEqual(checkEveryLayer(problem), problem.layers.length - merges);
    });
  }

  it('a network of every kind: each kind saved and traced back, or refused with its reason', () => {
    const kinds = new Set<string>();
    for (const problem of EVERY_NETWORK) {
      checkEveryLayer(problem);
      const run = runNetwork(problem);
      problem.layers.forEach((l, i) => { try { layerAsSpec(run, i); kinds.add(l.type); } catch { /* refused, checked above */ } });
    }
    for (const type of ['conv2d', 'conv1d', 'conv_transpose2d', 'maxpool2d', 'avgpool2d', 'batchnorm2d', 'linear', 'mul', 'pad2d', 'upsample2d']) {
      assert.ok(kinds.has(type), `${type} is saved somewhere`);
    }
  });

  it('pooling with padding on each side and count_include_pad false: saved with those keys and traced back', () => {
    const input: Tensor = { shape: [1, 2, 5, 6], dtype: 'float64', data: Float64Array.from({ length: 60 }, (_, k) => Math.sin(k)) };
    const problem: NetworkProblem = {
      input, dtype: 'float64', loss: { type: 'mse', target: { shape: [1, 2, 3, 3], dtype: 'float64', data: new Float64Array(18) } },
      layers: [
        { type: 'maxpool2d', options: { kernel: 2, stride: 1, padding: [0, 1, 1, 0] } },
        { type: 'avgpool2d', options: { kernel: 3, stride: 2, padding: [2, 0, 0, 1], ceilMode: true, countIncludePad: false } },
      ],
    };
    assert.strictEqual(checkEveryLayer(problem), 2);
    const keys = JSON.parse(layerSpecFiles(layerAsSpec(runNetwork(problem), 1), 'p.conv.json', 'a layer').json).layers[0];
    assert.deepStrictEqual([keys.padding, keys.count_include_pad, keys.ceil_mode], [[2, 0, 0, 1], false, true]);
  });

  it('the files: the spec names its tensors beside it, in one .safetensors (or one .npy), keys as the layer\'s', () => {
    const run = runNetwork(digitsProblem('float32'));
    const { files } = savedAndTraced(run, 0);
    assert.strictEqual(files.tensors.name, 'layer 3.safetensors');
    const spec = JSON.parse(files.json) as Record<string, unknown> & { layers: Record<string, unknown>[] };
    assert.deepStrictEqual(Object.keys(spec), ['description', 'input', 'layers', 'grad', 'dtype']);
    assert.deepStrictEqual(spec.input, { safetensors: 'layer 3.safetensors', key: 'input' });
    assert.deepStrictEqual(spec.layers[0].weight, { safetensors: 'layer 3.safetensors', key: 'weight' });
    assert.deepStrictEqual(spec.layers[0].padding, [1, 1, 1, 1]);
    assert.deepStrictEqual(listSafetensors(files.tensors.bytes).map(t => [t.key, t.dtype]), [['input', 'F32'], ['weight', 'F32'], ['bias', 'F32'], ['grad', 'F32']]);
    // A relu without a backward pass: the input alone, as .npy.
    const forward = runNetwork(digitsProblem('float64'), { backward: false });
    const relu = layerSpecFiles(layerAsSpec(forward, 1), 'relu.json', 'x');
    assert.strictEqual(relu.tensors.name, 'relu.npy');
    assert.deepStrictEqual(JSON.parse(relu.json).input, { npy: 'relu.npy' });
    assert.strictEqual(JSON.parse(relu.json).grad, undefined);
    assert.deepStrictEqual(['a.conv.json', 'dir/b.json', 'c', '.conv.json'].map(specStem), ['a', 'b', 'c', 'layer']);
  });
});
