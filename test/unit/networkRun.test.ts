// The lean run (src/engine/networkRun.ts) against traceNetwork on the examples, the ONNX fixture models and a
// small ResNet-18-shaped model: the same outputs, δs, input gradient and parameter gradients, and any one
// layer traced from the run the same record traceNetwork makes of it. The ResNet-18 graph
// (test/support/resnet18.ts) runs through the spec path with every node checked against onnxruntime-node.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { conv2d } from '../../src/engine/conv2d';
import { convInfo } from '../../src/engine/convInfo';
import { EngineError } from '../../src/engine/errors';
import { LayerTrace, NetworkProblem, NetworkTrace, traceNetwork } from '../../src/engine/network';
import { problemArrays, releasedRun, runArrays, runNetwork, traceRunLayer } from '../../src/engine/networkRun';
import { conv2dNaive } from '../../src/engine/reference';
import { Tensor } from '../../src/engine/tensor';
import { readSpecProblem } from '../../src/specReader/convSpec';
import { nodeSpecFiles } from '../../src/specReader/nodeSpecFiles';
import { JsonSource } from '../../src/specReader/source';
import { readSpecFiles } from '../../src/specReader/specFiles';
import { specFileReferences } from '../../src/specReader/tensorSource';
import { resnet18Graph, resnet18Onnx } from '../support/resnet18';
import { RecycledBuffers } from '../../src/engine/recycledBuffers';
import { assertClose, randomTensor, rng } from './helpers';
import { checkAgainstOnnxruntime, modelProblem, outputOf } from './onnxReference';

const ROOT = path.resolve(__dirname, '../../..');

/** The problem a spec file in examples/ states, with the files it names. */
async function exampleProblem(name: string, dtype: 'float32' | 'float64'): Promise<NetworkProblem> {
  const file = path.join(ROOT, 'examples', name);
  const source = JsonSource.parse(file, fs.readFileSync(file, 'utf8'));
  const files = await readSpecFiles(file, specFileReferences(source.value), nodeSpecFiles, { maxElements: 1e6 });
  return readSpecProblem(source, { dtype }, files) as NetworkProblem;
}

/** Where a layer's trace holds the gradient of what it learns, by the spec's key (conv and linear: dW, db; batchnorm: dgamma, dbeta). */
const PARAM_GRADS: Record<string, string[]> = { weight: ['dW', 'dgamma'], bias: ['db', 'dbeta'] };

/** Relative to the values' size: float32 rounding, or float64's. */
function tolerance(dtype: string): number {
  return dtype === 'float32' ? 1e-4 : 1e-9;
}

/** The per-layer trace, tensor by tensor (values within rounding: the conv kinds' im2col path sums in another order than their kernels). */
function assertSameRecord(actual: LayerTrace, expected: LayerTrace, tol: number): void {
  const { tensors: a, ...restA } = actual;
  const { tensors: e, ...restE } = expected;
  const scalars = (r: typeof restA) => JSON.stringify({ ...r, rot180: r.rot180?.agrees, conv: r.conv && { ...r.conv, tensors: undefined, rot180: r.conv.rot180?.agrees, nonFinite: r.conv.nonFinite.length } });
  assert.strictEqual(scalars(restA), scalars(restE), `${expected.name}: the record's stages, shapes and geometry`);
  assert.deepStrictEqual(Object.keys(a), Object.keys(e), `${expected.name}: its tensors`);
  for (const [name, t] of Object.entries(e)) assertClose(a[name]!, t!, tol * Math.max(1, maxAbs(t!)), `${expected.name}.${name}`);
}

/** The largest finite |value| (max pooling's padding is −∞). */
const maxAbs = (t: Tensor) => Array.from(t.data).reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);

/** The lean run against the trace: outputs equal, δs and gradients within rounding, each layer's record traced alone the same. */
function checkRun(problem: NetworkProblem, trace: NetworkTrace, what: string): void {
  const tol = tolerance(problem.dtype);
  const close = (a: Tensor, e: Tensor, name: string) => assertClose(a, e, tol * Math.max(1, maxAbs(e)), `${what} ${name}`);
  const run = runNetwork(problem);
  const g = run.gradients!;
  const layers = trace.layers.filter(l => l.op !== 'loss');
  assert.strictEqual(run.outputs.length, layers.length);
  if (trace.loss) assert.ok(Math.abs(run.loss!.value! - trace.loss.value) <= tol * Math.max(1, Math.abs(trace.loss.value)), `${what}: loss`);
  layers.forEach((l, i) => {
    // A conv's trace makes z again the im2col way, summing in another order than its kernel: equal within rounding.
    close(run.outputs[i], outputOf(l), `${l.name}: output`);
    close(g.deltas[i]!, l.tensors.delta!, `${l.name}: δ`);
    for (const [key, grad] of Object.entries(g.params[i])) close(grad, l.tensors[PARAM_GRADS[key].find(n => l.tensors[n])!]!, `${l.name}: ∂C/∂${key}`);
    assert.strictEqual('weight' in g.params[i], PARAM_GRADS.weight.some(n => l.tensors[n]), `${l.name}: the weights' gradient`);
    assertSameRecord(traceRunLayer(run, i), l, tol);
  });
  // The input's gradient: what the layers that read the input hand it (the first layer's dA in a chain).
  if (layers[0].inputs.length === 1 && layers.every((l, i) => i === 0 || l.inputs.every(x => x.name !== 'input'))) close(g.input!, layers[0].tensors.dA!, 'input gradient');
}

describe('the lean run: every output, δ and gradient without stage tensors, any layer traced alone', () => {
  const EXAMPLES = ['lenet.conv.json', 'digits.conv.json', 'resnet-block.conv.json', 'bn.conv.json', 'two-layer.conv.json', 'unet-up.conv.json', 'conv1d.conv.json'];
  for (const name of EXAMPLES) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`examples/${name} (${dtype}): the run is the trace's, layer by layer`, async () => {
        const problem = await exampleProblem(name, dtype);
        checkRun(problem, traceNetwork(problem), name);
      });
    }
  }

  const FIXTURES: Record<string, number[]> = { residual: [1, 4, 6, 6], concat: [2, 3, 5, 5], vgg: [2, 1, 8, 8], avgpool: [1, 2, 9, 9], mobile: [1, 2, 5, 5] };
  for (const [name, shape] of Object.entries(FIXTURES)) {
    it(`test/fixtures/onnx/${name}.onnx: the run is the trace's, layer by layer`, () => {
      const model = new Uint8Array(fs.readFileSync(path.join(ROOT, 'test/fixtures/onnx', `${name}.onnx`)));
      const problem = modelProblem(model, randomTensor(shape, rng(5)), 'float64');
      checkRun(problem, traceNetwork(problem), name);
    });
  }

  it('forward only: the outputs and the loss, no gradients, and a layer traced alone has no backward stage', async () => {
    const problem = await exampleProblem('lenet.conv.json', 'float32');
    const run = runNetwork(problem, { backward: false });
    const trace = traceNetwork(problem, { backward: false });
    assert.strictEqual(run.gradients, undefined);
    assert.strictEqual(run.loss!.value, trace.loss!.value);
    run.outputs.forEach((o, i) => assertClose(o, outputOf(trace.layers[i]), 1e-4 * Math.max(1, maxAbs(o)), trace.layers[i].name));
    assert.deepStrictEqual(traceRunLayer(run, 0), trace.layers[0]);
  });

  it('refuses a run that would not fit the limit before any layer runs, naming the layer', () => {
    const problem: NetworkProblem = { input: randomTensor([1, 1, 64, 64], rng(1), 'float32'), dtype: 'float32', layers: [{ type: 'relu' }, { type: 'maxpool2d', options: { kernel: 2 } }] };
    assert.throws(() => runNetwork(problem, { maxElements: 1000 }), (e: unknown) => e instanceof EngineError && e.problem.code === 'budget.tensor' && /layers\[0\]/.test(e.message));
    assert.throws(() => traceRunLayer(runNetwork(problem), 2), RangeError);
  });

  it('checks a layer\'s backward trace when it is asked for: the run fits a limit its rot180 view does not', () => {
    const weight = randomTensor([1, 1, 3, 3], rng(2), 'float32');
    const problem: NetworkProblem = { input: randomTensor([1, 1, 16, 16], rng(1), 'float32'), dtype: 'float32', layers: [{ type: 'conv2d', weight, options: { padding: 1 } }] };
    // Forward the trace's largest tensor is a_t, 256 × 9; backward, im2col(delta_full), 324 × 9.
    const run = runNetwork(problem, { maxElements: 2500 });
    assert.strictEqual(traceRunLayer(run, 0, { maxElements: 2500, backward: false }).stages.length, 5);
    assert.throws(() => traceRunLayer(run, 0, { maxElements: 2500 }), (e: unknown) => e instanceof EngineError && e.problem.code === 'budget.tensor' && /im2col\(delta_full\)/.test(e.message));
  });
});

describe('a run on the arrays of a run before (releasedRun, RunOptions.buffers)', () => {
  it('the same bits as on new arrays, most outputs in the earlier run\'s arrays', async () => {
    const problem = await exampleProblem('resnet-block.conv.json', 'float32');
    const first = runNetwork(problem);
    const fresh = runNetwork(problem);
    const earlier = new Set(runArrays(first));
    const again = runNetwork(problem, { buffers: releasedRun(first) });
    again.outputs.forEach((o, i) => assert.deepStrictEqual(o.data, fresh.outputs[i].data, `layers[${i}]`));
    again.gradients!.params.forEach((p, i) => { for (const [k, g] of Object.entries(p)) assert.deepStrictEqual(g.data, fresh.gradients!.params[i][k].data, `layers[${i}].${k}`); });
    again.gradients!.deltas.forEach((d, i) => assert.deepStrictEqual(d?.data, fresh.gradients!.deltas[i]?.data, `layers[${i}]: δ`));
    assert.deepStrictEqual(again.gradients!.input!.data, fresh.gradients!.input!.data, 'input gradient');
    const taken = again.outputs.filter(o => earlier.has(o.data)).length;
    assert.ok(taken >= again.outputs.length / 2, `${taken} of ${again.outputs.length} outputs in the earlier run's arrays`);
    const deltas = again.gradients!.deltas.filter(d => d && earlier.has(d.data)).length;
    assert.ok(deltas >= 1, `${deltas} δs in the earlier run's arrays`);
    // As training (each δ let go), on a later run's arrays: the same gradients.
    const trained = runNetwork(problem, { keepDeltas: false, buffers: releasedRun(again) });
    trained.gradients!.params.forEach((p, i) => { for (const [k, g] of Object.entries(p)) assert.deepStrictEqual(g.data, fresh.gradients!.params[i][k].data, `training layers[${i}].${k}`); });
  });

  it('forward only, makes no array the run before did not: a max pool\'s argmax (its cache) goes on to the next layers', () => {
    const weight = () => randomTensor([2, 2, 3, 3], rng(31), 'float32');
    const problem: NetworkProblem = {
      input: randomTensor([1, 2, 16, 16], rng(30), 'float32'), dtype: 'float32',
      layers: [{ type: 'maxpool2d', options: { kernel: 2 } }, { type: 'conv2d', weight: weight(), options: { padding: 1 } }, { type: 'relu' },
        { type: 'conv2d', weight: weight(), options: { padding: 1 } }, { type: 'relu' }],
    } as NetworkProblem;
    const [first, fresh] = [runNetwork(problem, { backward: false }), runNetwork(problem, { backward: false })];
    const earlier = new Set(runArrays(first));
    const again = runNetwork(problem, { backward: false, buffers: releasedRun(first) });
    again.outputs.forEach((o, i) => {
      assert.ok(earlier.has(o.data), `layers[${i}]'s output is a new array`);
      assert.deepStrictEqual(o.data, fresh.outputs[i].data, `layers[${i}]`);
    });
  });

  it('every δ kept, a ResNet-18-shaped model: from the third run on, nothing new (the sums\' transient δs handed on too)', () => {
    const problem = modelProblem(resnet18Onnx({ size: 64, widths: [8, 16, 16, 16], classes: 5 }), randomTensor([1, 3, 64, 64], rng(33)), 'float32', { loss: { type: 'cross_entropy', target: [2] } });
    const fresh = runNetwork(problem);
    const second = runNetwork(problem, { buffers: releasedRun(runNetwork(problem)) });
    const buffers = releasedRun(second)!;
    const held = new Set(buffers.arrays());
    const third = runNetwork(problem, { buffers });
    const own = new Set<unknown>([...problemArrays(problem), ...Object.values(third.loss!.tensors).map(t => t?.data)]);
    // Arrays of a page or more (a bias's gradient of a few values may still be new: nothing to fault in).
    const made = runArrays(third).filter(d => !own.has(d) && !held.has(d) && d.byteLength >= 4096);
    assert.strictEqual(made.length, 0, `${made.length} new arrays (lengths ${made.map(d => d.length).join(', ')})`);
    third.gradients!.deltas.forEach((d, i) => assert.deepStrictEqual(d?.data, fresh.gradients!.deltas[i]?.data, `layers[${i}]: δ`));
    third.gradients!.params.forEach((p, i) => { for (const [k, g] of Object.entries(p)) assert.deepStrictEqual(g.data, fresh.gradients!.params[i][k].data, `layers[${i}].${k}`); });
  });

  it('re-run on the arrays of the run before, over and over: the arrays handed on stay as many (a flatten, an identity, a loss)', () => {
    // LeNet's flatten and the loss's value made new arrays every run, beside those left in the pool: it grew each run.
    const weight = randomTensor([3, 32], rng(50), 'float32');
    const problem = {
      input: randomTensor([2, 2, 4, 4], rng(51), 'float32'), dtype: 'float32',
      layers: [{ type: 'relu' }, { type: 'dropout', p: 0.5 }, { type: 'flatten' }, { type: 'linear', weight }], loss: { type: 'cross_entropy', target: [0, 2] },
    } as NetworkProblem;
    const fresh = runNetwork(problem);
    let run = runNetwork(problem);
    const held: number[] = [];
    for (let i = 0; i < 4; i++) {
      const buffers = releasedRun(run, undefined, true)!;
      held.push(buffers.arrays().length);
      run = runNetwork(problem, { buffers });
      run.outputs.forEach((o, k) => assert.deepStrictEqual(o.data, fresh.outputs[k].data, `run ${i}: layers[${k}]`));
      assert.deepStrictEqual(run.gradients!.input!.data, fresh.gradients!.input!.data, `run ${i}: ∂C/∂input`);
    }
    assert.deepStrictEqual(held.slice(1), held.slice(1).map(() => held[1]), `arrays handed on, run by run: ${held.join(', ')}`);
  });

  it('never hands out a problem\'s own arrays, even where a caller released them', () => {
    const input = randomTensor([1, 2, 3, 3], rng(20), 'float32');
    const keep = Float32Array.from(input.data);
    const weight = randomTensor([4, 18], rng(21), 'float32');
    const problem: NetworkProblem = { input, dtype: 'float32', layers: [{ type: 'identity' }, { type: 'flatten' }, { type: 'linear', weight }] } as NetworkProblem;
    const first = runNetwork(problem, { backward: false });
    const want = Float32Array.from(first.outputs[2].data);
    const buffers = releasedRun(first)!;
    // A caller who releases arrays the next problem holds: they are kept out.
    buffers.release(input.data);
    buffers.release(weight.data);
    const again = runNetwork(problem, { backward: false, buffers });
    assert.deepStrictEqual(input.data, keep);
    assert.deepStrictEqual(again.outputs[2].data, want);
    assert.strictEqual(releasedRun(first, 8), undefined, 'over the byte limit: left to the collector');
  });

  it('with its problem (a trace worker\'s): the problem\'s arrays and the loss\'s too, each memory once and whole, the same bits after', () => {
    // The input a view into a larger memory, the target another view of it: neither may be handed out.
    const held = new Float32Array(2 * 2 * 16 * 16 + 8);
    held.set(randomTensor([1, 2, 16, 16], rng(40), 'float32').data, 4);
    const input = { shape: [1, 2, 16, 16], dtype: 'float32' as const, data: held.subarray(4, 4 + 512) };
    const weight = randomTensor([2, 2, 3, 3], rng(41), 'float32');
    const target = randomTensor([1, 2, 16, 16], rng(42), 'float32');
    const problem = { input, dtype: 'float32', layers: [{ type: 'conv2d', weight, options: { padding: 1 } }, { type: 'relu' }], loss: { type: 'mse', target } } as NetworkProblem;
    const first = runNetwork(problem);
    const released = releasedRun(first, undefined, true)!.arrays();
    const owns = (d: { byteOffset: number; byteLength: number; buffer: ArrayBufferLike }) => d.byteOffset === 0 && d.byteLength === d.buffer.byteLength;
    assert.ok(released.every(owns), 'no view');
    assert.strictEqual(new Set(released.map(d => d.buffer)).size, released.length, 'each memory once');
    assert.ok(released.includes(weight.data) && released.includes(target.data), 'the problem\'s whole arrays');
    assert.ok(!released.some(d => d.buffer === held.buffer), 'not the input, a view');
    assert.ok(Object.values(first.loss!.tensors).some(t => t && released.includes(t.data) && !problemArrays(problem).includes(t.data)), 'the loss\'s record');
    assert.ok(!releasedRun(first)!.arrays().includes(weight.data), 'without: not the problem\'s');
    // A run of another problem of the same shapes in them: the bits of one on new arrays.
    const next = { ...problem, input: randomTensor([1, 2, 16, 16], rng(43), 'float32') } as NetworkProblem;
    const buffers = new RecycledBuffers();
    for (const d of released) buffers.release(d);
    const again = runNetwork(next, { buffers });
    const want = runNetwork(next);
    assert.deepStrictEqual(again.outputs.map(o => o.data), want.outputs.map(o => o.data));
    assert.deepStrictEqual(again.gradients!.params.map(p => p.weight?.data), want.gradients!.params.map(p => p.weight?.data));
  });
});

describe('a ResNet-18-shaped model written by the tests (test/support/resnet18.ts)', () => {
  it('has torchvision resnet18\'s graph: 20 convs (3 of them 1×1 downsamples), 17 relus, 8 adds, a maxpool, global pooling, flatten, gemm', () => {
    const g = resnet18Graph({ size: 224 });
    const count = (op: string) => g.nodes.filter(n => n.op === op).length;
    assert.deepStrictEqual(['Conv', 'Relu', 'Add', 'MaxPool', 'GlobalAveragePool', 'Flatten', 'Gemm'].map(count), [20, 17, 8, 1, 1, 1, 1]);
    // torchvision's 11,689,512 parameters, less one per BatchNorm channel (4,800 of them): folded, γ and β become the conv's bias.
    const params = g.initializers.reduce((n, t) => n + t.dims.reduce((m, d) => m * d, 1), 0);
    assert.strictEqual(params, 11_689_512 - 4_800);
  });

  const SMALL = { size: 64, widths: [8, 16, 24, 32] as const, classes: 10 };
  it('64×64, narrow: every node\'s output against onnxruntime-node (float32 and float64, through the spec path)', async () => {
    const model = resnet18Onnx(SMALL);
    assert.strictEqual(await checkAgainstOnnxruntime(model, randomTensor([1, 3, 64, 64], rng(11))), 49);
  });

  it('64×64, narrow, with a cross-entropy loss: the lean run is the trace\'s, layer by layer', () => {
    const problem = modelProblem(resnet18Onnx(SMALL), randomTensor([1, 3, 64, 64], rng(12)), 'float32', { loss: { type: 'cross_entropy', target: [3] } });
    checkRun(problem, traceNetwork(problem), 'resnet18');
  });

  it('64×64, narrow, as training (keepDeltas false): δs let go are handed out again and residual sums made in place; the same gradients', () => {
    const problem = modelProblem(resnet18Onnx(SMALL), randomTensor([1, 3, 64, 64], rng(13)), 'float32', { loss: { type: 'cross_entropy', target: [5] } });
    const full = runNetwork(problem).gradients!;
    const take = RecycledBuffers.prototype.take;
    let reused = 0;
    // The arrays made anew for the first stage's δs (8 × 16 × 16: no weight or bias is as long).
    let fresh = 0;
    RecycledBuffers.prototype.take = function (this: RecycledBuffers, float32: boolean, length: number) {
      const data = take.call(this, float32, length);
      if (data) reused++;
      else if (length === 8 * 16 * 16) fresh++;
      return data;
    };
    try {
      const lean = runNetwork(problem, { inputGradient: false, keepDeltas: false }).gradients!;
      assert.ok(reused > 0, 'no array was handed out again');
      // Two: the δs the second stage's first block hands back (its 1×1 downsample's and its first conv's). The rest
      // reuse them: a δ added into a sum is let go, and a conv puts its δ-in in the δ it alone read (the stage's
      // four convs would otherwise make four more).
      assert.strictEqual(fresh, 2, 'arrays made anew for the first stage\'s δs');
      lean.params.forEach((p, i) => {
        for (const [key, g] of Object.entries(p)) assert.deepStrictEqual(g.data, full.params[i][key].data, `layers[${i}].${key}`);
      });
    } finally {
      RecycledBuffers.prototype.take = take;
    }
  });
});

describe('the conv kernel with fewer windows than kernels (a deep layer\'s 7×7 maps): the kernels as the rows of the product', () => {
  for (const [what, input, weight, options] of [
    ['512 kernels on 2 × 3×3 windows', [2, 8, 5, 5], [512, 8, 3, 3], { stride: 2, padding: 1 }],
    ['groups of 40 kernels on 9 windows, with a bias', [1, 6, 3, 3], [80, 3, 3, 3], { padding: 1, groups: 2 }],
  ] as const) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${what} (${dtype}): the direct loops' z`, () => {
        const [x, w, b] = [randomTensor([...input], rng(1), dtype), randomTensor([...weight], rng(2), dtype), randomTensor([weight[0]], rng(3), dtype)];
        const info = convInfo(x.shape, w.shape, options, b.shape);
        assert.ok(info.batch * info.outPositions < info.outChannelsPerGroup);
        assertClose(conv2d(x, w, b, options), conv2dNaive(x, w, b, info), dtype === 'float32' ? 1e-5 : 1e-12, what);
      });
    }
  }
});
