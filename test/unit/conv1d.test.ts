// conv1d against torch.nn.functional.conv1d (float64 autograd, committed from
// test/fixtures/torch/torch_conv1d.py) and central finite differences; what the
// faces read of it (sums, links, the plan, hovers, a sequence's rows in the
// panel); its bad geometry as problems at the layer's key.

import * as assert from 'assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { conv1dInfo } from '../../src/engine/layerKinds/conv1d';
import { cellSumIn, linksIn } from '../../src/engine/layerKinds/views';
import { LayerTrace, NetworkProblem, NetworkTrace, networkShapes, traceNetwork } from '../../src/engine/network';
import { planNetwork } from '../../src/engine/networkPlan';
import { indexOf, tensor } from '../../src/engine/tensor';
import { analyzeSpec, traceAnySpecText } from '../../src/specReader/convSpec';
import { collectNetworkSpec } from '../../src/specReader/networkSpec';
import { networkKeyHover } from '../../src/specReader/hoverText';
import { JsonSource, SpecError } from '../../src/specReader/source';
import { defaultRowLabel, displayMatrix } from '../../webview/render/displayMatrix';
import { assertClose, lossFiniteDifferences, networkSpec, randomTensor, rng } from './helpers';

const FIXTURES = path.join(__dirname, '../../../test/fixtures/torch/conv1d_cases.json');
const { generator, torch, cases } = JSON.parse(fs.readFileSync(FIXTURES, 'utf8')) as {
  generator: string; torch: string;
  cases: { name: string; spec: Record<string, unknown>; expected: Record<string, { shape: number[]; data: number[] }> }[];
};

const layerOf = (name: string, spec: unknown): LayerTrace => (traceAnySpecText(`${name}.json`, JSON.stringify(spec)) as NetworkTrace).layers[0];

describe(`conv1d agrees with torch.nn.functional.conv1d (${generator}, torch ${torch})`, () => {
  for (const c of cases) {
    it(c.name, () => {
      const layer = layerOf(c.name, c.spec);
      assert.strictEqual(layer.op, 'conv1d');
      for (const [name, e] of Object.entries(c.expected)) {
        const mine = layer.tensors[name];
        assert.ok(mine, `${name} recorded`);
        assertClose(mine, tensor(e.shape, e.data), 1e-9, `${c.name}: ${name}`);
      }
      assert.strictEqual(layer.tensors.input!.shape.length, 3);
    });
  }

  it('the fixtures cover "same", causal, dilation, groups and stride', () => {
    const layers = cases.map(c => (c.spec.layers as Record<string, unknown>[])[0]);
    for (const p of ['same', 'causal', 'valid']) assert.ok(layers.some(l => l.padding === p), p);
    assert.ok(layers.some(l => (l.dilation as number) > 1 && (l.groups as number) > 1 && (l.stride as number) > 1));
  });
});

describe('conv1d: gradients = central finite differences', () => {
  it('∂C/∂input, ∂C/∂w and ∂C/∂b of two conv1d layers (causal, then "same" with groups) under an mse loss', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 }), (seed, K, d, s) => {
      const random = rng(seed);
      const input = randomTensor([2, 2, 9], random);
      const w1 = randomTensor([4, 2, K], random);
      const b1 = randomTensor([4], random);
      const w2 = randomTensor([2, 2, 2], random);
      const L1 = Math.floor((9 - 1) / s) + 1;
      const p: NetworkProblem = {
        input,
        layers: [
          { type: 'conv1d', weight: w1, bias: b1, options: { padding: 'causal', dilation: d, stride: s } },
          { type: 'tanh' },
          { type: 'conv1d', weight: w2, options: { padding: 'same', groups: 2 } },
        ],
        loss: { type: 'mse', target: randomTensor([2, 2, L1], random) }, dtype: 'float64',
      };
      const [first, , second] = traceNetwork(p).layers;
      assertClose(first.tensors.dA!, lossFiniteDifferences(p, input, 1e-6), 1e-6, 'dA');
      assertClose(first.tensors.dW!, lossFiniteDifferences(p, w1, 1e-6), 1e-6, 'dW');
      assertClose(first.tensors.db!, lossFiniteDifferences(p, b1, 1e-6), 1e-6, 'db');
      assertClose(second.tensors.dW!, lossFiniteDifferences(p, w2, 1e-6), 1e-6, 'dW of the second');
    }), { numRuns: 6, interruptAfterTimeLimit: 4000 });
  });
});

describe('conv1d: what the faces read of it', () => {
  const c = cases.find(k => k.name.startsWith('causal, stride 2, groups 2'))!;
  const layer = layerOf(c.name, c.spec);
  const get = (name: string) => layer.tensors[name]?.data;
  const shapeOf = (name: string) => layer.tensors[name]?.shape;
  const names = Object.keys(layer.tensors);

  it('records (B, C, L) sequences and a_t with one row per window, (B, Lout, Cin·K)', () => {
    const [B, C, L] = layer.tensors.input!.shape;
    const [Cout, , K] = layer.tensors.weight!.shape;
    const Lout = layer.tensors.z!.shape[2];
    assert.strictEqual(Lout, Math.floor((L - 1) / 2) + 1, 'causal: the output as long as the input, every second position');
    assert.deepStrictEqual(layer.tensors.a!.shape, [B, C, L + K - 1]);
    assert.deepStrictEqual(layer.tensors.a_t!.shape, [B, Lout, C * K]);
    assert.deepStrictEqual(layer.tensors.a_t!.axes, ['B', 'window t', 'c·K + k']);
    assert.deepStrictEqual(layer.tensors.z!.shape, [B, Cout, Lout]);
    assert.deepStrictEqual(layer.tensors.col2im_counts!.shape, [L + K - 1]);
  });

  it('every cell of z, z_t, ∂C/∂a_t, ∂C/∂a, ∂C/∂w, ∂C/∂w_t and ∂C/∂b is the sum its cell sum lists', () => {
    for (const name of ['z', 'z_t', 'dA_t', 'dA_padded', 'dA', 'dW', 'dW_t', 'db']) {
      const t = layer.tensors[name]!;
      for (let i = 0; i < t.data.length; i++) {
        const index = indexOf(t.shape, i);
        const s = cellSumIn(layer.geometry, get, shapeOf, { tensor: name, index });
        if (name === 'dA_padded' && !s) continue;
        assert.ok(s, `${name}[${index}] has a sum`);
        assert.ok(Math.abs(s.total - t.data[i]) < 1e-12 * Math.max(1, Math.abs(t.data[i])), `${name}[${index}]: ${s.total} vs ${t.data[i]}`);
        if (s.alternative) assert.ok(Math.abs(s.alternative.total - t.data[i]) < 1e-12 * Math.max(1, Math.abs(t.data[i])), `${name}[${index}] as δ · w`);
      }
    }
    const z = cellSumIn(layer.geometry, get, shapeOf, { tensor: 'z', index: [1, 1, 2] })!;
    assert.match(z.formula, /^z\[1, 1, 2\] = Σ_k=4\.\.7 a_t\[1, 2, k\] · w_t\[k, 1\]$/);
  });

  it('an output position links to its window: the taps of a and input in 1-D, its row of a_t', () => {
    // Output t = 2 of a stride-2 causal window of K = 2: padded positions 4 and 5, input positions 3 and 4 (one zero on the left).
    const h = linksIn(layer.geometry, { tensor: 'z', index: [0, 1, 2] }, shapeOf, names);
    const R = layer.tensors.z!.shape[2];
    assert.deepStrictEqual(h.a_t?.rows, [2]);
    assert.deepStrictEqual(h.z_t?.cells, [[0, 2, 1]]);
    assert.deepStrictEqual(h.a?.cells.map(x => x.join(',')).sort(), ['0,2,4', '0,2,5', '0,3,4', '0,3,5']);
    assert.deepStrictEqual(h.input?.cells.map(x => x.join(',')).sort(), ['0,2,3', '0,2,4', '0,3,3', '0,3,4']);
    assert.ok(R > 2);
    // And back: an input position lights the a_t entries that copied it, and nothing with a height axis.
    const back = linksIn(layer.geometry, { tensor: 'dA', index: [1, 0, 4] }, shapeOf, names);
    assert.deepStrictEqual(back.dA?.cells, [[1, 0, 4]]);
    assert.deepStrictEqual(back.col2im_counts?.cells, [[5]]);
    assert.ok(back.a_t!.cells.length > 0 && back.a_t!.cells.every(x => x.length === 3 && x[0] === 1));
    for (const [name, hl] of Object.entries(back)) for (const cell of hl!.cells) assert.strictEqual(cell.length, shapeOf(name)!.length, name);
  });

  it('the shape-only plan states its FLOPs (2 per product the cell sums of z list) and its parameters (w and b)', () => {
    for (const k of cases) {
      const traced = layerOf(k.name, k.spec);
      const plan = planNetwork(collectNetworkSpec(JsonSource.parse('p.json', JSON.stringify(k.spec))).problem!).layers[0];
      const z = traced.tensors.z!;
      let products = 0;
      for (let i = 0; i < z.data.length; i++) {
        const s = cellSumIn(traced.geometry, n => traced.tensors[n]?.data, n => traced.tensors[n]?.shape, { tensor: 'z', index: indexOf(z.shape, i) });
        products += s!.terms.length;
      }
      assert.deepStrictEqual({ flops: plan.cost.flops, params: plan.cost.params }, { flops: 2 * products, params: traced.tensors.weight!.data.length + (traced.tensors.bias?.data.length ?? 0) }, k.name);
    }
  });

  it('the shape-only plan lists every tensor the trace allocates, in its 1-D shape', () => {
    const plan = planNetwork(collectNetworkSpec(JsonSource.parse('p.json', JSON.stringify(c.spec))).problem!);
    const planned = new Map(plan.layers[0].tensors.map(t => [t.name, t.shape]));
    for (const name of names.filter(n => !['input', 'weight', 'bias', 'delta'].includes(n))) {
      assert.deepStrictEqual(planned.get(name), [...shapeOf(name)!], name);
    }
  });
});

describe('conv1d: problems name the layer, its key and the shapes', () => {
  const problemOf = (text: string): SpecError => {
    try {
      traceAnySpecText('c.json', text);
    } catch (e) {
      if (e instanceof SpecError) return e;
      throw e;
    }
    assert.fail('no problem');
  };
  const spec = (layer: Record<string, unknown>, shape = [1, 2, 5]) => networkSpec(shape, [{ type: 'conv1d', weight: [[[1, 0], [0, 1]], [[1, 1], [1, 1]], [[0, 1], [1, 0]]], ...layer }]);

  it('an unknown padding keyword: conv1d.paddingForm at $.layers[0].padding', () => {
    const e = problemOf(spec({ padding: 'full' }));
    assert.strictEqual(e.problem.code, 'conv1d.paddingForm');
    assert.deepStrictEqual(e.path, ['layers', 0, 'padding']);
  });

  it('"same" with stride 2 is refused as PyTorch refuses it', () => {
    const e = problemOf(spec({ padding: 'same', stride: 2 }));
    assert.strictEqual(e.problem.code, 'conv1d.sameStride');
    assert.deepStrictEqual(e.path, ['layers', 0, 'padding']);
  });

  it('a dilated kernel longer than the padded sequence names the input, the weight and the padding', () => {
    const e = problemOf(spec({ dilation: 7, padding: 1 }));
    assert.strictEqual(e.problem.code, 'conv1d.kernelTooLarge');
    assert.deepStrictEqual(e.path, ['layers', 0, 'weight']);
    assert.match(e.message, /layers\[0\] \(conv1d\): the kernel spans 8 positions \(dilation 7\), more than the padded sequence's 7 \(input \(1, 2, 5\), weight \(3, 2, 2\), padding \[1, 1\]\)/);
  });

  it('groups that do not divide the channels: at $.layers[0].groups, naming both shapes', () => {
    const e = problemOf(spec({ groups: 2 }));
    assert.strictEqual(e.problem.code, 'conv.groupsOutput');
    assert.deepStrictEqual(e.path, ['layers', 0, 'groups']);
    assert.match(e.message, /input \(1, 2, 5\), weight \(3, 2, 2\), groups 2/);
  });

  it('a stride that is not a whole number: conv.notInteger at $.layers[0].stride', () => {
    const e = problemOf(spec({ stride: 1.5 }));
    assert.strictEqual(e.problem.code, 'conv.notInteger');
    assert.deepStrictEqual(e.path, ['layers', 0, 'stride']);
  });

  it('a conv1d fed a 4-D map: layer.inputRank, (B, C, L), at the layer', () => {
    const e = problemOf(networkSpec([1, 2, 4, 4], [{ type: 'relu' }, { type: 'conv1d', weight: [[[1]]] }]));
    assert.strictEqual(e.problem.code, 'layer.inputRank');
    assert.deepStrictEqual(e.path, ['layers', 1]);
    assert.match(e.message, /expects a 3-D input \(B, C, L\), got \(1, 2, 4, 4\)/);
  });

  it('a network that starts with conv1d reads a 3-D input; a 4-D one is a problem at $.input', () => {
    const e = problemOf(spec({}, [1, 2, 5, 1]));
    assert.deepStrictEqual(e.path, ['input']);
    assert.match(e.message, /3-D array \(B, C, L\)/);
  });

  it('conv1dInfo: the geometry of "same" with an even extent and of causal padding', () => {
    const same = conv1dInfo([1, 1, 10], [1, 1, 4], { padding: 'same' });
    assert.deepStrictEqual([same.padLeft, same.padRight, same.outLength], [1, 2, 10]);
    const causal = conv1dInfo([1, 1, 10], [1, 1, 3], { padding: 'causal', dilation: 3 });
    assert.deepStrictEqual([causal.padLeft, causal.padRight, causal.outLength], [6, 0, 10]);
  });
});

describe('conv1d: hovers and the panel', () => {
  const text = networkSpec([1, 2, 12], [{ type: 'conv1d', weight: [[[1, 1, 1], [0, 0, 0]]], padding: 'causal', dilation: 2 }]);
  const analysis = analyzeSpec(JsonSource.parse('h.conv.json', text));

  it('a layer\'s hover shows a_t\'s windows, the geometry in 1-D and the output-length formula', () => {
    const hover = networkKeyHover(['layers', 0], analysis)!;
    assert.match(hover, /^\*\*layers\[0\]\*\* conv1d 1@3 · `\(1, 2, 12\)` → `\(1, 1, 12\)`/);
    assert.match(hover, /`a_t` = im2col\(pad\(input\)\) `\(1, 12, 6\)`, one row per window/);
    assert.match(hover, /stride 1 · padding \[4, 0\] \(causal\) · dilation 2 · groups 1/);
    assert.match(hover, /Lout = floor\(\(12 \+ 4 \+ 0 - 2·\(3-1\) - 1\) \/ 1\) \+ 1 = 12/);
    // 12 outputs of 2·3 products each, counted twice; 1·2·3 weights and no bias.
    assert.match(hover, /^144 FLOPs forward \(a multiply-add counts 2, the bias not counted, as torch\.utils\.flop_counter counts\) · 6 parameters$/m);
    assert.match(networkKeyHover(['layers', 0], analysis, 'zh-cn')!, /前向 144 次浮点运算.*· 6 个参数/);
    assert.match(networkKeyHover(['input'], analysis)!, /= \(B, C, L\), read by layers\[0\]/);
  });

  it('networkShapes: the chain from shapes alone', () => {
    const shapes = networkShapes({ input: randomTensor([2, 3, 8], rng(1)), layers: [{ type: 'conv1d', weight: randomTensor([4, 3, 3], rng(2)), options: { stride: 2, padding: 1 } }], dtype: 'float64' });
    assert.deepStrictEqual(shapes[0].output, [2, 4, 4]);
  });

  it('the panel labels a (B, C, L) sequence\'s rows by channel within each batch item, not by stacked row', () => {
    const m = displayMatrix([2, 3, 12], { n: 0, c: 0, mode: 'slice' });
    assert.deepStrictEqual([m.rows, m.cols, m.batchRows], [6, 12, 3]);
    assert.deepStrictEqual(Array.from({ length: 6 }, (_, r) => defaultRowLabel(m)(r)), ['0', '1', '2', '0', '1', '2']);
    assert.deepStrictEqual(m.indexAt(4, 7), [1, 1, 7]);
    // A matrix that is not stacked keeps its row numbers.
    assert.strictEqual(defaultRowLabel(displayMatrix([5, 4], { n: 0, c: 0, mode: 'slice' }))(4), '4');
  });
});
