// conv_transpose2d against torch.nn.functional.conv_transpose2d (float64 autograd, committed from
// test/fixtures/torch/torch_convt.py) and central finite differences; its two views (col2im and
// ROT180) agreeing; what the faces read of it (sums, links, the plan, hovers, the wire); its bad
// geometry as problems at the layer's key.

import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { convTransposeCost, convTransposeInfo } from '../../src/engine/convTransposeInfo';
import { EngineError } from '../../src/engine/errors';
import { cellSumIn, linksIn } from '../../src/engine/layerKinds/views';
import { LayerTrace, NetworkProblem, NetworkTrace, traceNetwork } from '../../src/engine/network';
import { planNetwork } from '../../src/engine/networkPlan';
import { indexOf, sizeOf } from '../../src/engine/tensor';
import { parseHostMessage } from '../../src/protocol/validate';
import { networkToWire } from '../../src/protocol/wire';
import { analyzeSpec, traceAnySpecText } from '../../src/specReader/convSpec';
import { networkKeyHover } from '../../src/specReader/hoverText';
import { collectNetworkSpec } from '../../src/specReader/networkSpec';
import { JsonSource, SpecError } from '../../src/specReader/source';
import { assertClose, lossFiniteDifferences, networkSpec, randomTensor, rng } from './helpers';

const ROOT = path.join(__dirname, '../../..');
type Fixture = {
  generator: string; torch: string;
  cases: { name: string; spec: { layers: Record<string, unknown>[] } & Record<string, unknown>; expected: Record<string, number[]> }[];
};
const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/torch', name), 'utf8')) as Fixture;
const { generator, torch, cases } = fixture('convt_cases.json');
/** The padding on four sides apart: torch's output sliced (torch_convt.py --sides). */
const sides = fixture('convt_sides_cases.json');

const layerOf = (name: string, spec: unknown): LayerTrace => (traceAnySpecText(`${name}.json`, JSON.stringify(spec)) as NetworkTrace).layers[0];

/** The shape of a nested JSON array. */
const shapeOfJson = (v: unknown): number[] => (Array.isArray(v) ? [v.length, ...shapeOfJson(v[0])] : []);

function agreesWithTorch(c: Fixture['cases'][number]): void {
  const layer = layerOf(c.name, c.spec);
  assert.strictEqual(layer.op, 'conv_transpose2d');
  assert.deepStrictEqual(layer.tensors.z!.shape, shapeOfJson(c.spec.grad), 'z has the shape of torch\'s output');
  for (const [name, data] of Object.entries(c.expected)) {
    const mine = layer.tensors[name];
    assert.ok(mine, `${name} recorded`);
    assertClose(mine, { shape: mine.shape, dtype: 'float64', data: Float64Array.from(data) }, 1e-12, `${c.name}: ${name}`);
  }
  assert.ok(layer.rot180?.agrees, `col2im and ROT180 agree on z (${layer.rot180?.maxAbsDiff})`);
  assert.strictEqual(layer.rot180.tensor, 'z');
  assertClose(layer.tensors.z_rot180!, layer.tensors.z!, 1e-12, 'z_rot180');
}

describe(`conv_transpose2d with padding [top, bottom, left, right] agrees with torch's output sliced (${sides.generator}, torch ${sides.torch})`, () => {
  for (const c of sides.cases) it(c.name, () => agreesWithTorch(c));

  it('the fixture crops the two sides of an axis apart, with output_padding', () => {
    const pads = sides.cases.map(c => c.spec.layers[0].padding as number[]);
    assert.ok(pads.every(p => p.length === 4) && pads.some(([t, b, l, r]) => t !== b && l !== r));
    assert.ok(sides.cases.some(c => (c.spec.layers[0].output_padding as number[]).some(o => o > 0) && (c.spec.layers[0].padding as number[]).some(p => p > 0)));
  });
});

describe(`conv_transpose2d agrees with torch.nn.functional.conv_transpose2d (${generator}, torch ${torch})`, () => {
  for (const c of cases) it(c.name, () => agreesWithTorch(c));

  it('the fixtures cover groups, dilation, output_padding, stride on each axis, cropping padding and no bias', () => {
    const layers = cases.map(c => c.spec.layers[0]);
    const some = (f: (l: Record<string, number[] | number>) => boolean) => layers.some(l => f(l as Record<string, number[] | number>));
    assert.ok(some(l => (l.groups as number) > 1 && (l.dilation as number[]).some(d => d > 1) && (l.stride as number[]).some(s => s > 1)));
    assert.ok(some(l => (l.output_padding as number[]).some(o => o > 0) && (l.padding as number[]).some(p => p > 0)));
    assert.ok(some(l => (l.stride as number[])[0] !== (l.stride as number[])[1]));
    assert.ok(some(l => l.bias === undefined) && some(l => l.bias !== undefined));
    assert.ok(fs.statSync(path.join(ROOT, 'test/fixtures/torch/convt_cases.json')).size < 200_000, 'the fixture stays small');
  });
});

describe('conv_transpose2d: gradients = central finite differences', () => {
  it('∂C/∂input, ∂C/∂w and ∂C/∂b of conv → tanh → conv_transpose2d (random stride, padding, dilation, groups 2) under an mse loss', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 2 }), (seed, s, p, d) => {
      const random = rng(seed);
      const input = randomTensor([2, 2, 3, 3], random);
      const w1 = randomTensor([4, 2, 2, 2], random);
      const w2 = randomTensor([4, 1, 3, 2], random);
      const b2 = randomTensor([2], random);
      const options = { stride: s, padding: p, dilation: d, groups: 2, output_padding: Math.max(s, d) - 1 };
      const out = convTransposeInfo([2, 4, 2, 2], w2.shape, options, b2.shape);
      const problem: NetworkProblem = {
        input,
        layers: [{ type: 'conv2d', weight: w1, options: {} }, { type: 'tanh' }, { type: 'conv_transpose2d', weight: w2, bias: b2, options }],
        loss: { type: 'mse', target: randomTensor([2, 2, out.outHeight, out.outWidth], random) }, dtype: 'float64',
      };
      const [first, , convt] = traceNetwork(problem).layers;
      assertClose(first.tensors.dA!, lossFiniteDifferences(problem, input, 1e-6), 1e-6, 'dA through the transposed conv');
      assertClose(convt.tensors.dW!, lossFiniteDifferences(problem, w2, 1e-6), 1e-6, 'dW');
      assertClose(convt.tensors.db!, lossFiniteDifferences(problem, b2, 1e-6), 1e-6, 'db');
    }), { numRuns: 6, interruptAfterTimeLimit: 4000 });
  });
});

const facesCases = [
  cases.find(k => k.spec.layers[0].groups === 2 && (k.spec.layers[0].padding as number[]).some(p => p > 0) && k.spec.layers[0].bias)!,
  // Four sides apart: the crop's links and sums read top and left, the size top + bottom.
  sides.cases.find(k => k.spec.layers[0].groups === 2 && (([t, b, l, r]) => t !== b && l !== r)(k.spec.layers[0].padding as number[]) && k.spec.layers[0].bias)!,
];
for (const c of facesCases) describe(`conv_transpose2d: what the faces read of it (${c.name})`, () => {
  const layer = layerOf(c.name, c.spec);
  const get = (name: string) => layer.tensors[name]?.data;
  const shapeOf = (name: string) => layer.tensors[name]?.shape;
  const names = Object.keys(layer.tensors);

  it(`every cell of z, z_rot180, z_full, z_t, ∂C/∂x_t, ∂C/∂x, ∂C/∂w_mat, ∂C/∂w and ∂C/∂b is the sum its cell sum lists (${c.name})`, () => {
    for (const name of ['z', 'z_rot180', 'z_full', 'z_t', 'dX_t', 'dA', 'dW_mat', 'dW', 'db']) {
      const t = layer.tensors[name]!;
      for (let i = 0; i < t.data.length; i++) {
        const index = indexOf(t.shape, i);
        const s = cellSumIn(layer.geometry, get, shapeOf, { tensor: name, index });
        // Off its group's block, w_mat holds structural zeros: no products to list.
        if (name === 'dW_mat' && !s) {
          assert.strictEqual(t.data[i], 0, `dW_mat[${index}] off the block`);
          continue;
        }
        assert.ok(s, `${name}[${index}] has a sum`);
        const close = (v: number) => Math.abs(v - t.data[i]) < 1e-12 * Math.max(1, Math.abs(t.data[i]));
        assert.ok(close(s.total), `${name}[${index}]: ${s.total} vs ${t.data[i]}`);
        if (s.alternative) assert.ok(close(s.alternative.total), `${name}[${index}] the direct way: ${s.alternative.total}`);
      }
    }
  });

  it('an input pixel lights its row of z_t, where its window lands in z_full, and its place in x_full; every cell inside its tensor', () => {
    const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, kernelHeight: kh, kernelWidth: kw, padTop: ph, padLeft: pw, inWidth: W } =
      convTransposeInfo(shapeOf('input')!, shapeOf('weight')!, { ...c.spec.layers[0] } as never, shapeOf('bias'));
    const [i, j] = [1, 0];
    const h = linksIn(layer.geometry, { tensor: 'input', index: [0, 0, i, j] }, shapeOf, names);
    assert.deepStrictEqual(h.z_t?.rows, [i * W + j]);
    const [fy, fx] = [dh * (kh - 1) - ph + i * sh, dw * (kw - 1) - pw + j * sw];
    // Its place in x_full, unless the padding crops it (more than d·(k − 1) on the top or left).
    assert.deepStrictEqual(h.x_full?.cells ?? [], fy >= 0 && fx >= 0 ? [[0, 0, fy, fx]] : []);
    // Group 0's output channels: the window's top-left tap lands at (i·sh, j·sw).
    assert.ok(h.z_full!.cells.some(x => x.join() === [0, 0, i * sh, j * sw].join()));
    for (const [name, hl] of Object.entries(h)) {
      for (const cell of hl!.cells) {
        const shape = shapeOf(name)!;
        assert.strictEqual(cell.length, shape.length, name);
        assert.ok(cell.every((v, a) => v >= 0 && v < shape[a]), `${name}[${cell}] inside ${shape}`);
      }
    }
  });

  it('the shape-only plan lists every tensor the trace allocates, in its shape', () => {
    const plan = planNetwork(collectNetworkSpec(JsonSource.parse('p.json', JSON.stringify(c.spec))).problem!);
    const planned = new Map(plan.layers[0].tensors.map(t => [t.name, t.shape]));
    for (const name of names.filter(n => !['input', 'weight', 'bias', 'delta'].includes(n))) assert.deepStrictEqual(planned.get(name), [...shapeOf(name)!], name);
    assert.deepStrictEqual(plan.layers[0].output, [...shapeOf('z')!]);
  });

  it('the wire carries the ROT180 check on z, and validation accepts it', () => {
    const network = traceAnySpecText('upsample.conv.json', fs.readFileSync(path.join(ROOT, 'examples/upsample.conv.json'), 'utf8')) as NetworkTrace;
    const wire = structuredClone(networkToWire(network, 1, 'upsample.conv.json', []));
    const convt = wire.layers.find(l => l.op === 'conv_transpose2d')!;
    assert.deepStrictEqual({ ...convt.trace.rot180, maxAbsDiff: 0 }, { maxAbsDiff: 0, agrees: true, tensor: 'z' });
    assert.deepStrictEqual(convt.trace.warnings, []);
    assert.doesNotThrow(() => parseHostMessage({ type: 'network', network: wire }));
  });
});

describe('conv_transpose2d: problems name the layer, its key and the shapes', () => {
  const problemOf = (text: string): SpecError => {
    try {
      traceAnySpecText('c.json', text);
    } catch (e) {
      if (e instanceof SpecError) return e;
      throw e;
    }
    assert.fail('no problem');
  };
  const weight = [[[[1, 0], [0, 1]]], [[[1, 1], [1, 1]]]];
  const spec = (layer: Record<string, unknown>) => networkSpec([1, 2, 3, 3], [{ type: 'conv_transpose2d', weight, ...layer }]);

  it('output_padding not below the stride nor the dilation: convT.outputPadding at $.layers[0].output_padding', () => {
    const e = problemOf(spec({ stride: 2, output_padding: [1, 2] }));
    assert.strictEqual(e.problem.code, 'convT.outputPadding');
    assert.deepStrictEqual(e.path, ['layers', 0, 'output_padding']);
    assert.match(e.message, /layers\[0\] \(conv_transpose2d\): output_padding \(1, 2\) must be smaller than the stride \(2, 2\) or the dilation \(1, 1\)/);
    // Below the dilation is enough, as PyTorch has it.
    assert.doesNotThrow(() => traceAnySpecText('c.json', spec({ stride: 1, dilation: 2, output_padding: 1 })));
  });

  it('channels that groups do not divide: conv.groupsInput at $.layers[0].groups, naming both shapes', () => {
    const e = problemOf(networkSpec([1, 3, 3, 3], [{ type: 'conv_transpose2d', weight: [weight[0], weight[1], weight[0]], groups: 2 }]));
    assert.strictEqual(e.problem.code, 'conv.groupsInput');
    assert.deepStrictEqual(e.path, ['layers', 0, 'groups']);
    assert.match(e.message, /input \(1, 3, 3, 3\), weight \(3, 1, 2, 2\), groups 2/);
  });

  it('a weight whose Cin is not the input\'s channels: conv.channels at $.layers[0].weight', () => {
    const e = problemOf(networkSpec([1, 3, 3, 3], [{ type: 'conv_transpose2d', weight }]));
    assert.strictEqual(e.problem.code, 'conv.channels');
    assert.deepStrictEqual(e.path, ['layers', 0, 'weight']);
  });

  it('padding that crops the whole output: convT.outputEmpty at $.layers[0].padding', () => {
    const e = problemOf(spec({ padding: 2 }));
    assert.strictEqual(e.problem.code, 'convT.outputEmpty');
    assert.deepStrictEqual(e.path, ['layers', 0, 'padding']);
    assert.match(e.message, /the output would be 0x0: the 4x4 map the windows cover, less padding \[2, 2, 2, 2\] \(top, bottom, left, right\)/);
  });

  it('padding [top, bottom, left, right] crops each side apart; three values are convT.paddingForm at $.layers[0].padding', () => {
    const layer = (traceAnySpecText('c.json', spec({ padding: [0, 1, 2, 0] })) as NetworkTrace).layers[0];
    const even = (traceAnySpecText('c.json', spec({ padding: 0 })) as NetworkTrace).layers[0];
    const [B, C, H, W] = even.tensors.z!.shape;
    assert.deepStrictEqual(layer.tensors.z!.shape, [B, C, H - 1, W - 2]);
    // Row y, column x of the crop is row y, column x + 2 of the uncropped output.
    for (let y = 0; y < H - 1; y++) for (let x = 0; x < W - 2; x++) assert.strictEqual(layer.tensors.z!.data[y * (W - 2) + x], even.tensors.z!.data[y * W + x + 2]);
    const e = problemOf(spec({ padding: [1, 1, 1] }));
    assert.deepStrictEqual([e.problem.code, e.path], ['convT.paddingForm', ['layers', 0, 'padding']]);
  });

  it('a negative output_padding and a bias of the wrong size, each at its key', () => {
    const negative = problemOf(spec({ output_padding: -1 }));
    assert.deepStrictEqual([negative.problem.code, negative.path], ['convT.negative', ['layers', 0, 'output_padding']]);
    const bias = problemOf(spec({ bias: [1, 2, 3] }));
    assert.deepStrictEqual([bias.problem.code, bias.path], ['conv.bias', ['layers', 0, 'bias']]);
  });

  it('any geometry either traces with col2im = ROT180 and PyTorch\'s output size, or is an EngineError (never a crash)', () => {
    const pairArb = (min: number, max: number) => fc.tuple(fc.integer({ min, max }), fc.integer({ min, max }));
    fc.assert(fc.property(fc.record({
      cin: fc.integer({ min: 1, max: 4 }), coutPerGroup: fc.integer({ min: 1, max: 2 }), groups: fc.integer({ min: 1, max: 3 }),
      size: pairArb(1, 4), kernel: pairArb(1, 3), stride: pairArb(1, 3), padding: pairArb(-1, 3), outputPadding: pairArb(-1, 3), dilation: pairArb(1, 3),
    }), g => {
      const random = rng(g.cin * 97 + g.size[0]);
      const input = randomTensor([1, g.cin, ...g.size], random);
      const weight = randomTensor([g.cin, g.coutPerGroup, ...g.kernel], random);
      const options = { stride: g.stride, padding: g.padding, output_padding: g.outputPadding, dilation: g.dilation, groups: g.groups };
      let trace: NetworkTrace;
      try {
        trace = traceNetwork({ input, layers: [{ type: 'conv_transpose2d', weight, options }], dtype: 'float64' });
      } catch (e) {
        assert.ok(e instanceof EngineError, String(e));
        return;
      }
      const l = trace.layers[0];
      const size = (a: 0 | 1) => (g.size[a] - 1) * g.stride[a] - 2 * g.padding[a] + g.dilation[a] * (g.kernel[a] - 1) + g.outputPadding[a] + 1;
      assert.deepStrictEqual(l.tensors.z!.shape, [1, g.coutPerGroup * g.groups, size(0), size(1)]);
      assert.ok(l.rot180?.agrees, `rot180 agrees: ${l.rot180?.maxAbsDiff}`);
    }), { numRuns: 150, interruptAfterTimeLimit: 3000 });
  });
});

describe('conv_transpose2d: hovers and the example', () => {
  const text = fs.readFileSync(path.join(ROOT, 'examples/upsample.conv.json'), 'utf8');
  const analysis = analyzeSpec(JsonSource.parse('upsample.conv.json', text));

  it('a layer\'s hover shows x_t @ w_mat, col2im, the cost and the output-size formula, in English and Chinese', () => {
    const hover = networkKeyHover(['layers', 2], analysis)!;
    assert.match(hover, /^\*\*layers\[2\]\*\* conv_transpose2d 1@2×2 · `\(1, 2, 4, 4\)` → `\(1, 1, 8, 8\)`/);
    assert.match(hover, /`x_t` `\(1, 16, 2\)` @ `w_mat` = `z_t` `\(1, 16, 4\)`, col2im onto `\(1, 1, 8, 8\)`/);
    // Each of the 16 input pixels of 2 channels meets 1·2·2 taps: 2·16·2·4 FLOPs (as torch.utils.flop_counter), 8 weights and a bias.
    const cost = convTransposeCost(convTransposeInfo([1, 2, 4, 4], [2, 1, 2, 2], { stride: 2 }, [1]));
    assert.deepStrictEqual({ flops: cost.flops, params: cost.params }, { flops: 256, params: 9 });
    assert.match(hover, /256 FLOPs forward \(a multiply-add counts 2, the bias not counted, as torch.utils.flop_counter counts\) · 9 parameters/);
    assert.match(hover, /stride \(2, 2\) · padding \(0, 0\) · output_padding \(0, 0\) · dilation \(1, 1\) · groups 1/);
    assert.match(hover, /Hout = \(4 - 1\)·2 - 2·0 \+ 1·\(2-1\) \+ 0 \+ 1 = 8/);
    assert.match(networkKeyHover(['layers', 2], analysis, 'zh-cn')!, /前向 256 次浮点运算（FLOPs；一次乘加计 2 次，偏置不计，与 torch.utils.flop_counter 的计法相同）· 9 个参数/);
  });

  it('examples/upsample.conv.json upsamples 4×4 to 8×8 and its loss has a δ for every layer', () => {
    const trace = traceAnySpecText('upsample.conv.json', text) as NetworkTrace;
    assert.deepStrictEqual(trace.layers.map(l => l.op), ['conv2d', 'relu', 'conv_transpose2d', 'loss']);
    const convt = trace.layers[2];
    assert.deepStrictEqual(convt.tensors.z!.shape, [1, 1, 8, 8]);
    assert.strictEqual(sizeOf(convt.tensors.dA!.shape), 32);
    assert.ok(trace.loss!.value > 0);
  });

  it('conv-trace prints its z both ways, equal, under the README\'s names', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'examples/upsample.conv.json', '--only', 'layers[2].z,layers[2].z_rot180,layers[2].dW'],
      { encoding: 'utf8', cwd: ROOT, timeout: 15_000 });
    assert.strictEqual(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepStrictEqual(out['layers[2].z'].shape, [1, 1, 8, 8]);
    assert.deepStrictEqual(out['layers[2].z_rot180'].data, out['layers[2].z'].data);
    assert.deepStrictEqual(out['layers[2].dW'].shape, [2, 1, 2, 2]);
  });
});
