// Hostile input to the engine (the size limit, the WebAssembly layout, tensors
// handed in by library callers, forward-only networks, where network problems
// point): each case once produced a wrong number, a crash or unbounded memory.

import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { TOTAL_FACTOR } from '../../src/engine/budget';
import { conv2d, conv2dGradients } from '../../src/engine/conv2d';
import { EngineError } from '../../src/engine/errors';
import { LayerSpec, NetworkProblem, traceNetwork } from '../../src/engine/network';
import { Tensor, tensor } from '../../src/engine/tensor';
import { traceConv } from '../../src/engine/trace';
import { wasmLayout } from '../../src/engine/wasm/gemmWasm';
import { analyzeSpec, traceAnySpecText } from '../../src/specReader/convSpec';
import { JsonSource, SpecError, jsonPath } from '../../src/specReader/source';
import { networkSpec, randomTensor, rng } from './helpers';

const ROOT = path.join(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const cli = (args: string[], input?: string) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', input, cwd: ROOT });

const f32 = (shape: number[], values: number[]) => tensor(shape, new Float32Array(values));

function specProblem(text: string, maxElements?: number): SpecError {
  try {
    traceAnySpecText('hostile.conv.json', text, { maxElements });
  } catch (e) {
    if (e instanceof SpecError) return e;
    throw e;
  }
  throw new Error('expected a SpecError');
}

describe('hostile input: the engine', () => {
  describe('the WebAssembly layout', () => {
    it('keeps offsets past 2 GiB exact and refuses such a layout (no int32 wrap into overlapping regions)', function () {
      const L = wasmLayout(new Float32Array(1));
      if (!L) this.skip();
      const first = L!.reserve(2 ** 29); // 2 GiB of float32
      const second = L!.reserve(16);
      assert.strictEqual(first, 65536);
      assert.strictEqual(second, 65536 + 2 ** 31, 'the second region starts after the first, exactly');
      assert.strictEqual(L!.open(), undefined, 'a layout over the module\'s limit is refused before anything is written');
    });

    it('conv2d 1×1 input 5, 1×1 kernel 2, padding [0, 23170, 0, 23170], stride 23170: refused by size, never a wrong number', () => {
      const input = f32([1, 1, 1, 1], [5]);
      const weight = f32([1, 1, 1, 1], [2]);
      assert.throws(() => conv2d(input, weight, undefined, { padding: [0, 23170, 0, 23170], stride: 23170 }),
        (e: unknown) => e instanceof EngineError && /^a would hold 536,895,241 elements \(1, 1, 23171, 23171\), over the limit of 67,108,864$/.test(e.detail));
      // Just under the limit, the same geometry is computed and agrees with PyTorch's [[10, 0], [0, 0]].
      const z = conv2d(input, weight, undefined, { padding: [0, 4000, 0, 4000], stride: 4000 });
      assert.deepStrictEqual([...z.shape], [1, 1, 2, 2]);
      assert.deepStrictEqual([...z.data], [10, 0, 0, 0]);
    });
  });

  describe('the size limit counts every intermediate before allocating', () => {
    it('a conv with a large padding: the padded input a is counted (forward only too)', () => {
      const spec = JSON.stringify({ input: [[[[1]]]], weight: [[[[1]]]], padding: 200, stride: 400 });
      const e = specProblem(spec, 10_000);
      assert.match(e.detail, /^conv2d: a would hold 160,801 elements \(1, 1, 401, 401\), over the limit of 10,000$/);
      assert.throws(() => traceAnySpecText('x', spec, { maxElements: 10_000, backward: false }), /a would hold 160,801 elements/);
    });

    it('a max-pooling layer with a window as large as the image: pool_t is refused at its layer', () => {
      const e = specProblem(networkSpec([1, 1, 64, 64], [{ type: 'maxpool2d', kernel: 64, stride: 1, padding: 32 }]), 100_000);
      assert.match(e.detail, /^layers\[0\] \(maxpool2d\): pool_t would hold 17,305,600 elements \(1, 1, 4225, 4096\), over the limit of 100,000$/);
      assert.strictEqual(jsonPath(e.path!), '$.layers[0]');
    });

    it('every layer of a network counts: many layers each under the limit, too many together', () => {
      const layers = Array.from({ length: 40 }, () => ({ type: 'relu' }));
      const e = specProblem(networkSpec([1, 1, 30, 30], layers), 1000);
      assert.match(e.detail, new RegExp(`^network: its \\d+ tensors would hold [\\d,]+ elements in all, over ${TOTAL_FACTOR} × the limit of 1,000$`));
      // The same network fits a larger limit and runs.
      assert.strictEqual((traceAnySpecText('x', networkSpec([1, 1, 30, 30], layers), { maxElements: 100_000 }) as { layers: unknown[] }).layers.length, 40);
    });

    it('analyzeSpec reports the pooling size problem for diagnostics, without running the network', () => {
      const text = networkSpec([1, 1, 64, 64], [{ type: 'avgpool2d', kernel: 64, stride: 1, padding: 32 }]);
      const a = analyzeSpec(JsonSource.parse('x.conv.json', text), undefined, 100_000);
      assert.match(a.problems.map(p => p.detail).join('\n'), /pool_t would hold 17,305,600 elements/);
    });

    it('conv-trace --max-elements 1000 stops a pooling network (exit 2, one line naming the tensor)', () => {
      const r = cli(['-', '--max-elements', '1000'], networkSpec([1, 1, 16, 16], [{ type: 'maxpool2d', kernel: 16, stride: 1, padding: 8 }]));
      assert.strictEqual(r.status, 2, r.stderr);
      assert.match(r.stderr, /^<stdin>:\d+:\d+: \$\.layers\[0\]: layers\[0\] \(maxpool2d\): a would hold 1,024 elements \(1, 1, 32, 32\), over the limit of 1,000\n$/);
    });
  });

  describe('tensors a library caller hands in', () => {
    const short = { shape: [1, 1, 4, 4], dtype: 'float64', data: new Float64Array(3) } as Tensor;
    const weight = tensor([1, 1, 2, 2], [1, 2, 3, 4]);

    it('data shorter than the shape is refused by conv2d, traceConv and traceNetwork (it would read as zeros)', () => {
      const refused = /input has shape \(1, 1, 4, 4\), which needs 16 values, but holds 3/;
      assert.throws(() => conv2d(short, weight), refused);
      assert.throws(() => conv2dGradients(short, weight), refused);
      assert.throws(() => traceConv({ input: short, weight, options: {}, dtype: 'float64' }), refused);
      assert.throws(() => traceNetwork({ input: short, layers: [{ type: 'relu' }], dtype: 'float64' }), refused);
    });

    it('data of the wrong array type for the dtype, and shapes that are not whole numbers, are refused', () => {
      const f32Data = { shape: [1, 1, 2, 2], dtype: 'float64', data: new Float32Array(4) } as unknown as Tensor;
      assert.throws(() => conv2d(f32Data, weight), /input is float64 but its data is not a Float64Array/);
      const badShape = { shape: [1, 1, 2.5, 2], dtype: 'float64', data: new Float64Array(5) } as Tensor;
      assert.throws(() => conv2d(badShape, weight), /input has no valid shape/);
      const layers: LayerSpec[] = [{ type: 'linear', weight: { shape: [2, 4], dtype: 'float64', data: new Float64Array(7) } }];
      assert.throws(() => traceNetwork({ input: tensor([1, 4], [1, 2, 3, 4]), layers, dtype: 'float64' }), /layers\[0\] \(linear\): weight has shape \(2, 4\), which needs 8 values, but holds 7/);
    });
  });

  describe('forward-only networks', () => {
    const random = rng(7);
    const problem: NetworkProblem = {
      input: randomTensor([1, 1, 6, 6], random),
      layers: [
        { type: 'conv2d', weight: randomTensor([2, 1, 3, 3], random), options: {} },
        { type: 'relu' },
        { type: 'conv2d', weight: randomTensor([1, 2, 2, 2], random), bias: randomTensor([1], random), options: {} },
        { type: 'maxpool2d', options: { kernel: 2 } },
        { type: 'flatten' },
        { type: 'linear', weight: randomTensor([3, 1], random) },
      ],
      loss: { type: 'cross_entropy', target: [1] },
      dtype: 'float64',
    };

    it('a conv above other layers runs forward only: the forward tensors and the loss, no δ', () => {
      const full = traceNetwork(problem);
      const fwd = traceNetwork(problem, { backward: false });
      assert.strictEqual(fwd.loss!.value, full.loss!.value);
      fwd.layers.forEach((l, i) => {
        assert.ok(l.stages.length > 0 && l.stages.every(s => s.pass === 'forward'), `layers[${i}] has forward stages only`);
        assert.strictEqual(l.tensors.delta, undefined, `layers[${i}] has no δ`);
        assert.strictEqual(l.tensors.dA, undefined, `layers[${i}] has no ∂C/∂input`);
        for (const [name, t] of Object.entries(l.tensors)) assert.deepStrictEqual(t!.data, full.layers[i].tensors[name as keyof typeof l.tensors]!.data, `layers[${i}].${name}`);
      });
    });

    it('conv-trace --forward-only on examples/lenet.conv.json prints the forward tensors', () => {
      const r = cli([path.join(ROOT, 'examples/lenet.conv.json'), '--forward-only', '--only', 'layers[0].z,loss.loss']);
      assert.strictEqual(r.status, 0, r.stderr);
      assert.deepStrictEqual(Object.keys(JSON.parse(r.stdout)), ['layers[0].z', 'loss.loss']);
    });
  });

  describe('where a network\'s problems point', () => {
    it('a grad of the wrong shape is reported at $.grad, not $.loss', () => {
      const e = specProblem(networkSpec([1, 1, 2, 2], [{ type: 'flatten' }], { grad: [[1, 2, 3]] }));
      assert.strictEqual(jsonPath(e.path!), '$.grad');
      assert.match(e.detail, /grad must have the output's shape \(1, 4\), got \(1, 3\)/);
    });

    it('a grad with the right size but the wrong shape is refused too', () => {
      const e = specProblem(networkSpec([1, 1, 2, 2], [{ type: 'flatten' }], { grad: [[1, 2], [3, 4]] }));
      assert.strictEqual(jsonPath(e.path!), '$.grad');
    });

    it('an mse target of the wrong size is reported at $.loss.target, a class out of range too', () => {
      const mse = specProblem(networkSpec([1, 1, 2, 2], [{ type: 'flatten' }], { loss: { type: 'mse', target: [[1, 2, 3]] } }));
      assert.strictEqual(jsonPath(mse.path!), '$.loss.target');
      const ce = specProblem(networkSpec([1, 1, 2, 2], [{ type: 'flatten' }], { loss: { type: 'cross_entropy', target: [9] } }));
      assert.strictEqual(jsonPath(ce.path!), '$.loss.target');
      assert.match(ce.detail, /target\[0\] = 9 is not a class index in 0\.\.3/);
    });

    it('a loss reads the keys its module declares: one it does not take, or a missing target, is reported at its key', () => {
      const extra = specProblem(networkSpec([1, 1, 2, 2], [{ type: 'flatten' }], { loss: { type: 'mse', target: [[1, 2, 3, 4]], targets: 1 } }));
      assert.strictEqual(jsonPath(extra.path!), '$.loss.targets');
      assert.match(extra.detail, /the mse loss has no "targets"; its keys: target/);
      const missing = specProblem(networkSpec([1, 1, 2, 2], [{ type: 'flatten' }], { loss: { type: 'cross_entropy' } }));
      assert.strictEqual(jsonPath(missing.path!), '$.loss.target');
      const fractional = specProblem(networkSpec([1, 1, 2, 2], [{ type: 'flatten' }], { loss: { type: 'cross_entropy', target: [0.5] } }));
      assert.strictEqual(jsonPath(fractional.path!), '$.loss.target');
      assert.strictEqual(fractional.problem.code, 'network.classes');
    });
  });
});

describe('hostile input: the size limit itself', () => {
  const spec = JSON.stringify({ input: [[[[1, 2], [3, 4]]]], weight: [[[[1]]]] });
  for (const bad of ['abc', -1, 0, 1.5, NaN, Infinity]) {
    it(`maxElements ${typeof bad === 'string' ? JSON.stringify(bad) : String(bad)} is refused, not taken as "no limit"`, () => {
      assert.throws(() => traceAnySpecText('x.conv.json', spec, { maxElements: bad as number }), /maxElements must be a positive whole number/);
      assert.throws(() => traceAnySpecText('x.conv.json', networkSpec([1, 1, 2, 2], [{ type: 'relu' }]), { maxElements: bad as number }), /maxElements must be a positive whole number/);
    });
  }
});
