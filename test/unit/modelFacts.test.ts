// The model editor's facts of an ONNX file (src/specReader/onnx/modelFacts.ts): every node's shapes, FLOPs and
// parameters are the engine's plan of the network the model is (modelLayers + planNetwork), the initializers are
// listed without being decoded, and hostile files give problem codes at their node while the rest still shows.

import * as assert from 'assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { planNetwork } from '../../src/engine/networkPlan';
import { sizeOf, zeros } from '../../src/engine/tensor';
import { readGraph } from '../../src/specReader/onnx/graph';
import { modelLayers } from '../../src/specReader/onnx/model';
import { ModelFacts, initializerValues, modelFacts } from '../../src/specReader/onnx/modelFacts';
import { decodeTensorProto } from '../../src/specReader/onnx/tensor';
import { renderProblem, shownProblem } from '../../src/specReader/problemText';
import { HOSTILE } from './onnxHostile';
import { f32Bytes, onnxGraphModel } from './tensorFiles';

const ROOT = path.resolve(__dirname, '../../..');
const read = (...parts: string[]) => new Uint8Array(fs.readFileSync(path.join(ROOT, ...parts)));
const MAX = 1e8;
const MODELS = ['examples/digits.onnx', ...fs.readdirSync(path.join(ROOT, 'test/fixtures/onnx')).filter(f => f.endsWith('.onnx')).map(f => `test/fixtures/onnx/${f}`)];

function factsOf(bytes: Uint8Array): ModelFacts {
  const result = modelFacts(bytes, MAX);
  if ('problem' in result) assert.fail(renderProblem(result.problem, 'en'));
  return result.facts;
}

describe('model facts: the engine\'s plan of every node', () => {
  for (const file of MODELS) {
    it(`${file}: every layer's output shape, FLOPs and parameters on its node, totals their sums`, () => {
      const bytes = read(file);
      const facts = factsOf(bytes);
      assert.deepStrictEqual(facts.problems, []);
      assert.strictEqual(facts.nodes.length, readGraph(bytes).nodes.length);
      const input = facts.plannedInput!;
      const layers = modelLayers(bytes, input, 'float64', MAX);
      const plan = planNetwork({ input: zeros(input, 'float64'), layers, dtype: 'float64' }, false);
      plan.layers.forEach((l, k) => {
        const nodes = facts.nodes.filter(n => n.layer === k);
        assert.ok(nodes.length >= 1, `no node made layer ${k}`);
        // A MatMul + Add is one layer: its output is the Add's.
        const last = nodes[nodes.length - 1];
        assert.deepStrictEqual(last.outputs[0].shape, l.output, `${last.name}'s output`);
        assert.deepStrictEqual(nodes[0].cost, { flops: l.cost.flops, params: l.cost.params }, `${nodes[0].name}'s cost`);
      });
      const sum = (f: (l: typeof plan.layers[number]) => number) => plan.layers.reduce((s, l) => s + f(l), 0);
      assert.strictEqual(facts.totals.flops, sum(l => l.cost.flops));
      assert.strictEqual(facts.totals.params, sum(l => l.cost.params));
    });
  }

  it('examples/digits.onnx: its parameters are every value its initializers hold (no batchnorm buffers), each initializer listed', () => {
    const bytes = read('examples/digits.onnx');
    const facts = factsOf(bytes);
    const g = readGraph(bytes);
    const held = [...g.initializers].reduce((n, [name, proto]) => n + decodeTensorProto(proto, name, 'float64', MAX).tensor.data.length, 0);
    assert.strictEqual(facts.totals.params, held);
    assert.deepStrictEqual(facts.initializers.map(i => i.name), [...g.initializers.keys()]);
    for (const i of facts.initializers) assert.strictEqual(i.bytes, sizeOf(i.shape) * 4, i.name);
    const conv = facts.nodes.find(n => n.op === 'Conv')!;
    assert.deepStrictEqual(conv.inputs.map(t => t.initializer ?? false), [false, true, true]);
    assert.ok(conv.attributes.some(a => a.name === 'kernel_shape' && /^\[\d+, \d+\]$/.test(a.value)), JSON.stringify(conv.attributes));
    assert.strictEqual(facts.opset !== undefined && facts.opset >= 11, true);
  });

  it('test/fixtures/onnx/vgg.onnx: a dynamic batch is planned as 1, and the Shape → Reshape chain has its values', () => {
    const facts = factsOf(read('test/fixtures/onnx/vgg.onnx'));
    assert.deepStrictEqual(facts.inputs[0].shape?.slice(1), facts.plannedInput!.slice(1));
    assert.strictEqual(facts.plannedInput![0], 1);
    const constants = facts.nodes.filter(n => n.op === 'Constant');
    assert.ok(constants.every(n => n.attributes.some(a => / = \[/.test(a.value))), JSON.stringify(constants.map(n => n.attributes)));
  });

  it('test/fixtures/onnx/residual.onnx: the Add takes the block\'s input and the second batchnorm (a skip, not a chain)', () => {
    const facts = factsOf(read('test/fixtures/onnx/residual.onnx'));
    const add = facts.nodes.find(n => n.op === 'Add')!;
    const makers = add.inputs.map(t => facts.nodes.find(n => n.outputs.some(o => o.name === t.name))?.op ?? 'graph input');
    assert.deepStrictEqual(makers.sort(), ['BatchNormalization', 'graph input']);
  });

  for (const opset of [11, 17]) {
    it(`test/fixtures/onnx/unet${opset}.onnx: each Concat joins a skip from the down path with the upsampled, padded path`, () => {
      const facts = factsOf(read(`test/fixtures/onnx/unet${opset}.onnx`));
      const maker = (name: string) => facts.nodes.find(n => n.outputs.some(o => o.name === name))!;
      const joins = facts.nodes.filter(n => n.op === 'Concat' && n.layer !== undefined);
      assert.strictEqual(joins.length, 2);
      // The skip is a down block's Relu; the other input a Pad whose input a Resize made, each a layer.
      for (const join of joins) assert.deepStrictEqual(join.inputs.map(t => maker(t.name).op), ['Relu', 'Pad']);
      for (const pad of joins.map(j => maker(j.inputs[1].name))) {
        assert.ok(pad.layer !== undefined, pad.name);
        assert.strictEqual(maker(pad.inputs[0].name).op, 'Resize');
      }
      assert.ok(!facts.nodes.some(n => n.problem), JSON.stringify(facts.nodes.filter(n => n.problem).map(n => n.problem)));
    });
  }

  it('a ~45 MB model: its facts without decoding its weights, in well under a second', () => {
    const big = onnxGraphModel({
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], name: 'conv', ints: { pads: [1, 1, 1, 1] } }, { op: 'Relu', inputs: ['c'], outputs: ['y'], name: 'relu' }],
      initializers: [{ name: 'w', dims: [1024, 1024, 3, 3], dataType: 1, raw: new Uint8Array(1024 * 1024 * 9 * 4) }],
      inputs: [['x', [1, 1024, 4, 4]]], outputs: ['y'],
    });
    assert.ok(big.length > 37e6);
    const started = performance.now();
    const facts = factsOf(big);
    const took = performance.now() - started;
    assert.ok(took < 500, `${took.toFixed(0)} ms`);
    assert.strictEqual(facts.totals.params, 1024 * 1024 * 9);
  });
});

describe('model facts: hostile files give problem codes, the rest of the graph still shows', () => {
  const problemCodes = (bytes: Uint8Array) => {
    const result = modelFacts(bytes, MAX);
    return 'problem' in result ? [result.problem.code as string] : result.facts.problems.map(p => p.code as string);
  };
  const AT_THE_GRAPH = ['a truncated file', 'no graph', 'a node whose op is not read', 'a cycle', 'a missing initializer', 'external data', 'a declared 2 GB tensor', 'two graph inputs'];
  for (const what of AT_THE_GRAPH) {
    const { bytes, code } = HOSTILE[what];
    it(`${what}: ${code}`, () => {
      assert.ok(problemCodes(bytes).includes(code), problemCodes(bytes).join(', '));
    });
  }

  it('an op the engine does not read is named with its node, and the nodes before it keep their shapes', () => {
    const facts = factsOf(HOSTILE['a node whose op is not read'].bytes);
    assert.deepStrictEqual(facts.unsupported, [{ node: 'erf', op: 'Erf' }]);
    const [conv, erf] = facts.nodes;
    assert.deepStrictEqual(conv.outputs[0].shape, [1, 2, 4, 4]);
    assert.strictEqual(erf.problem?.code, 'onnx.op');
    assert.strictEqual(erf.outputs[0].shape, undefined);
  });

  it('a node whose input a failed node makes is left unread, with no problem of its own', () => {
    const bytes = onnxGraphModel({
      nodes: [{ op: 'Erf', inputs: ['x'], outputs: ['e'], name: 'erf' }, { op: 'Relu', inputs: ['e'], outputs: ['y'], name: 'relu' }],
      inputs: [['x', [1, 1, 4, 4]]], outputs: ['y'],
    });
    const facts = factsOf(bytes);
    assert.deepStrictEqual(facts.problems.map(p => p.code), ['onnx.op']);
    assert.strictEqual(facts.nodes[1].problem, undefined);
    assert.strictEqual(facts.nodes[1].outputs[0].shape, undefined);
  });

  it('an input without a declared shape: onnx.inputUnknown, every node listed without shapes', () => {
    const bytes = onnxGraphModel({ nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'relu' }], inputs: [['x']], outputs: ['y'] });
    const facts = factsOf(bytes);
    assert.deepStrictEqual(facts.problems, [{ code: 'onnx.inputUnknown', args: { name: 'x' } }]);
    assert.strictEqual(facts.nodes.length, 1);
    assert.strictEqual(renderProblem(facts.problems[0], 'zh-cn').includes('"x"'), true);
  });

  // A flipped byte can put a tab or a newline into a node's name; the editor shows problems as shownProblem does.
  const shownOneLine = (bytes: Uint8Array, at: number, byte: number, cut: boolean) => {
    const broken = cut ? bytes.slice(0, at) : Uint8Array.from(bytes, (b, k) => (k === at ? byte : b));
    const result = modelFacts(broken, MAX);
    const problems = 'problem' in result ? [result.problem] : result.facts.problems;
    for (const p of problems) for (const locale of ['en', 'zh-cn'] as const) assert.strictEqual(shownProblem(p, locale).split('\n').length, 1);
  };

  it('a node name with a control character in it (byte 291 set to 22) is shown on one line', () => {
    shownOneLine(read('examples/digits.onnx'), 291, 22, false);
  });

  it('a flipped byte inside a Constant\'s tensor attribute (byte 695 set to 42) is that node\'s problem, not a throw', () => {
    // Found by the property below (seed -463606953): the attribute's tensor is parsed only for its text.
    const bytes = read('examples/digits.onnx');
    shownOneLine(bytes, 695, 42, false);
    const result = modelFacts(Uint8Array.from(bytes, (b, k) => (k === 695 ? 42 : b)), MAX);
    assert.ok('facts' in result);
    const broken = result.facts.nodes.filter(n => n.attributes.some(a => a.value === '?'));
    assert.strictEqual(broken.length, 1);
    assert.strictEqual(broken[0].problem?.code, 'onnx.proto');
  });

  it('a flipped byte that names a node\'s output after another\'s (byte 191 set to 18) is the file\'s problem', () => {
    // Found by sweeping every byte: the order's producers refused it outside any catch.
    const result = modelFacts(Uint8Array.from(read('examples/digits.onnx'), (b, k) => (k === 191 ? 18 : b)), MAX);
    assert.ok('problem' in result);
    assert.deepStrictEqual(result.problem, { code: 'onnx.twice', args: { name: '/conv1/Conv_output_0' } });
  });

  it('every truncation of digits.onnx, and every byte set to 18 (a length-delimited field 2), gives facts or a one-line problem', function () {
    // The random property below met two throws only after many CI runs; 18 made 7 of the 8 a full sweep found.
    this.timeout(60_000);
    const bytes = read('examples/digits.onnx');
    for (let at = 0; at < bytes.length; at++) {
      shownOneLine(bytes, at, 0, true);
      if (bytes[at] !== 18) shownOneLine(bytes, at, 18, false);
    }
  });

  it('any truncation or flipped byte of digits.onnx gives facts or a one-line problem, never a throw', () => {
    const bytes = read('examples/digits.onnx');
    const started = Date.now();
    fc.assert(fc.property(fc.nat(bytes.length - 1), fc.nat(255), fc.boolean(), (at, byte, cut) => {
      if (Date.now() - started > 4000) return;
      shownOneLine(bytes, at, byte, cut);
    }), { numRuns: 150 });
  });
});

describe('model facts: an initializer\'s values on demand', () => {
  it('statistics of the values as decoded: min, max, mean, std, zeros', () => {
    const values = [0, 1, -2, 0, 4, 0.5];
    const bytes = onnxGraphModel({
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
      initializers: [{ name: 'w', dims: [2, 3], dataType: 1, raw: f32Bytes(values) }], inputs: [['x', [1, 1, 2, 2]]], outputs: ['y'],
    });
    const result = initializerValues(bytes, 'w', MAX);
    if ('problem' in result) return assert.fail(result.problem.code);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    assert.deepStrictEqual(result.shape, [2, 3]);
    assert.deepStrictEqual({ ...result.statistics, mean: Number(result.statistics.mean.toFixed(12)), std: Number(result.statistics.std.toFixed(12)) },
      { count: 6, min: Math.min(...values), max: Math.max(...values), mean: Number(mean.toFixed(12)), std: Number(std.toFixed(12)), zeros: 2, nonFinite: 0 });
  });

  it('one above the limit is refused before it is decoded, one that is not there names those there are', () => {
    const bytes = read('examples/digits.onnx');
    const [first] = readGraph(bytes).initializers.keys();
    const big = initializerValues(bytes, first, 3);
    assert.strictEqual('problem' in big && big.problem.code, 'file.tooMany');
    const none = initializerValues(bytes, 'nope', MAX);
    assert.strictEqual('problem' in none && none.problem.code, 'source.keyMissing');
  });
});
