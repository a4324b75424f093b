// relu6, clip, hardswish, softmax, dropout (in evaluation), identity, global and adaptive average
// pooling: against PyTorch autograd in float64 (test/fixtures/torch/torch_small.py, the kinks
// included), central finite differences, what the faces read of them, and their problems.

import * as assert from 'assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { LayerSpec, NetworkProblem, NetworkTrace, traceNetwork } from '../../src/engine/network';
import { runNetwork } from '../../src/engine/networkRun';
import { Tensor, tensor } from '../../src/engine/tensor';
import { cellMeaningWords, cellSumIn, linksIn, stageExplanation } from '../../src/engine/layerKinds/views';
import { panelText } from '../../src/l10n/panelText';
import { analyzeSpec, traceAnySpecText } from '../../src/specReader/convSpec';
import { networkKeyHover } from '../../src/specReader/hoverText';
import { JsonSource, SpecError } from '../../src/specReader/source';
import { assertClose, lossFiniteDifferences, randomTensor, rng } from './helpers';

const FIXTURES = path.join(__dirname, '../../../test/fixtures/torch/small_cases.json');
const { generator, torch, cases } = JSON.parse(fs.readFileSync(FIXTURES, 'utf8')) as {
  generator: string; torch: string;
  cases: { name: string; spec: { input: unknown; layers: { type: string; min?: number; max?: number }[] }; expected: Record<string, number[]> }[];
};

const traced = (spec: unknown) => traceAnySpecText('small.json', JSON.stringify(spec)) as NetworkTrace;
const lastLayer = (t: NetworkTrace) => t.layers[t.layers.length - 1];
const flat = (spec: unknown): number[] => (Array.isArray(spec) ? spec.flatMap(flat) : [spec as number]);

/** The kinks where PyTorch's gradient convention decides, for the kinds that have them. */
function kinks(layer: { type: string; min?: number; max?: number }): number[] {
  switch (layer.type) {
    case 'relu6': return [0, 6];
    case 'clip': return [layer.min!, layer.max!];
    // At 3 PyTorch's vectorized and scalar CPU loops disagree (torch_small.py): one small case checks it.
    case 'hardswish': return [-3];
    default: return [];
  }
}

describe(`small kinds agree with PyTorch autograd within 1e-12 (${generator}, torch ${torch})`, () => {
  for (const c of cases) {
    it(c.name, () => {
      const layer = lastLayer(traced(c.spec));
      assert.strictEqual(layer.op, c.spec.layers[c.spec.layers.length - 1].type);
      for (const [name, values] of Object.entries(c.expected)) {
        const mine = layer.tensors[name];
        assert.ok(mine, `${c.name}: ${name} recorded`);
        assertClose(mine, tensor(mine.shape, values), 1e-12, `${c.name}: ${name}`);
      }
    });
  }

  it('the activations\' cases put inputs exactly on their kinks, where PyTorch\'s convention decides the gradient', () => {
    for (const c of cases) {
      const input = flat(c.spec.input);
      for (const k of kinks(c.spec.layers[0])) assert.ok(input.includes(k), `${c.name} has an input at ${k}`);
    }
  });

  it('at a kink: relu6 and clip pass no gradient (nn.Hardtanh), hardswish z/3 + 1/2 on the closed [−3, 3]', () => {
    const spec = (layer: object) => ({ input: [[[[-3, 0, 3, 6], [-0.75, 1.25, 2, -4]]]], layers: [layer] });
    const hPrime = (layer: object) => [...lastLayer(traced(spec(layer))).tensors.h_prime!.data];
    assert.deepStrictEqual(hPrime({ type: 'relu6' }), [0, 0, 1, 0, 0, 1, 1, 0]);
    assert.deepStrictEqual(hPrime({ type: 'clip', min: -0.75, max: 1.25 }), [0, 1, 0, 0, 0, 0, 0, 0]);
    assert.deepStrictEqual(hPrime({ type: 'hardswish' }), [-0.5, 0.5, 1.5, 1, 0.25, 1.25 / 3 + 0.5, 2 / 3 + 0.5, 0]);
  });
});

describe('softmax and the global poolings: ∂C/∂input = central finite differences', () => {
  const kinds: { label: string; layers: LayerSpec[]; grad: string }[] = [
    { label: 'softmax (B, C, H, W)', layers: [{ type: 'softmax' }], grad: 'dZ' },
    { label: 'softmax (B, C) after flatten', layers: [{ type: 'flatten' }, { type: 'softmax' }], grad: 'dZ' },
    { label: 'global_avg_pool2d', layers: [{ type: 'global_avg_pool2d' }], grad: 'dA' },
    { label: 'adaptive_avg_pool2d output_size 1', layers: [{ type: 'adaptive_avg_pool2d', output_size: 1 }], grad: 'dA' },
  ];
  for (const k of kinds) {
    it(`${k.label}, random shapes, under an mse loss`, () => {
      fc.assert(fc.property(fc.integer({ min: 1, max: 1e6 }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 4, maxLength: 4 }), (seed, shape) => {
        const random = rng(seed);
        const input = randomTensor(shape, random);
        const outShape = traceNetwork({ input, layers: k.layers, dtype: 'float64' }).layers.at(-1)!.outputShape;
        const p: NetworkProblem = { input, layers: k.layers, loss: { type: 'mse', target: randomTensor(outShape, random) }, dtype: 'float64' };
        // The kind is the layer before the loss.
        const grad = traceNetwork(p).layers[k.layers.length - 1].tensors[k.grad]!;
        // The softmax after flatten has its input's gradient in (B, C·H·W): the same values in the same order.
        assertClose(tensor(input.shape, grad.data), lossFiniteDifferences(p, p.input, 1e-6), 1e-7, k.label);
      }), { numRuns: 10, interruptAfterTimeLimit: 3000 });
    });
  }

  it('softmax is stable: logits shifted by 1000 give the same probabilities, finite, each column summing to 1', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1e6 }), seed => {
      const random = rng(seed);
      const z = randomTensor([2, 3, 2, 2], random);
      const shifted = tensor(z.shape, z.data.map(v => v + 1000));
      const p = (x: Tensor) => traceNetwork({ input: x, layers: [{ type: 'softmax' }], dtype: 'float64' }).layers[0].tensors.p!;
      assertClose(p(shifted), p(z), 1e-12, 'p');
      const data = p(shifted).data;
      for (let b = 0; b < 2; b++) for (let i = 0; i < 4; i++) {
        const column = [0, 1, 2].map(c => data[(b * 3 + c) * 4 + i]);
        assert.ok(Math.abs(column.reduce((a, v) => a + v, 0) - 1) < 1e-12);
      }
    }), { numRuns: 20 });
  });
});

describe('small kinds: what the faces read of them', () => {
  const random = rng(16);
  const input = randomTensor([2, 3, 2, 4], random);
  const run = (layers: LayerSpec[]) => traceNetwork({ input, layers, grad: randomTensor(traceNetwork({ input, layers, dtype: 'float64' }).layers.at(-1)!.outputShape, random), dtype: 'float64' }).layers.at(-1)!;

  it('softmax: e_sum, p, dot and ∂C/∂z add up to their cells; a cell links to its column\'s max, sum and dot', () => {
    const layer = run([{ type: 'softmax' }]);
    const get = (n: string) => layer.tensors[n]?.data;
    const shapeOf = (n: string) => layer.tensors[n]?.shape;
    const cell = [1, 2, 0, 3];
    const at = ((1 * 3 + 2) * 2 + 0) * 4 + 3;
    const column = (1 * 2 + 0) * 4 + 3;
    for (const [name, index, offset, terms] of [['p', cell, at, 1], ['dZ', cell, at, 2], ['e_sum', [1, 0, 0, 3], column, 3], ['dot', [1, 0, 0, 3], column, 3]] as const) {
      const s = cellSumIn(layer.geometry, get, shapeOf, { tensor: name, index: [...index] });
      assert.ok(s, name);
      assert.strictEqual(s.terms.length, terms, name);
      assert.ok(Math.abs(s.total - layer.tensors[name]!.data[offset]) < 1e-12, `${name}: ${s.total}`);
    }
    const names = Object.keys(layer.tensors);
    const h = linksIn(layer.geometry, { tensor: 'p', index: cell }, shapeOf, names);
    for (const n of ['z', 'e', 'delta', 'dZ']) assert.deepStrictEqual(h[n]?.cells, [cell], n);
    for (const n of ['z_max', 'e_sum', 'dot']) assert.deepStrictEqual(h[n]?.cells, [[1, 0, 0, 3]], n);
    // A per-column value lights its whole column.
    assert.deepStrictEqual(linksIn(layer.geometry, { tensor: 'e_sum', index: [1, 0, 0, 3] }, shapeOf, names).p?.cells, [[1, 0, 0, 3], [1, 1, 0, 3], [1, 2, 0, 3]]);
  });

  it('global average pooling: an output cell links to its whole input plane and is its mean; a pixel gets δ / (H·W)', () => {
    const layer = run([{ type: 'global_avg_pool2d' }]);
    const get = (n: string) => layer.tensors[n]?.data;
    const shapeOf = (n: string) => layer.tensors[n]?.shape;
    const h = linksIn(layer.geometry, { tensor: 'z', index: [1, 2, 0, 0] }, shapeOf, Object.keys(layer.tensors));
    const plane = [0, 1].flatMap(y => [0, 1, 2, 3].map(x => [1, 2, y, x]));
    assert.deepStrictEqual(h.input?.cells, plane);
    assert.deepStrictEqual(h.dA?.cells, plane);
    assert.deepStrictEqual(h.delta?.cells, [[1, 2, 0, 0]]);
    const z = cellSumIn(layer.geometry, get, shapeOf, { tensor: 'z', index: [1, 2, 0, 0] })!;
    assert.strictEqual(z.terms.length, 8);
    assert.ok(Math.abs(z.total - layer.tensors.z!.data[1 * 3 + 2]) < 1e-12);
    const dA = cellSumIn(layer.geometry, get, shapeOf, { tensor: 'dA', index: [1, 2, 1, 3] })!;
    assert.ok(Math.abs(dA.total - layer.tensors.delta!.data[1 * 3 + 2] / 8) < 1e-15);
    assert.deepStrictEqual(cellMeaningWords(layer.geometry, 'z', [1, 2, 0, 0]), { key: 'cellPlaneMean', args: [2, 2, 4] });
  });

  it('dropout is named the identity in evaluation, in its title, its stage and its explanation', () => {
    const layer = run([{ type: 'dropout', p: 0.5 }]);
    assert.strictEqual(layer.title, 'dropout p=0.5: identity in evaluation');
    assert.match(layer.stages[0].title, /identity in evaluation/);
    const words = stageExplanation(layer.geometry, { stage: layer.stages[0] })!;
    const english = (panelText('en') as unknown as Record<string, (...a: unknown[]) => string>)[words.key](...(words.args ?? []));
    assert.match(english, /^dropout p=0\.5: identity in evaluation\./);
    assert.deepStrictEqual([...layer.tensors.h!.data], [...input.data]);
    assert.deepStrictEqual([...layer.tensors.dZ!.data], [...layer.tensors.delta!.data]);
  });

  it('a layer\'s hover says what the kind does', () => {
    const text = JSON.stringify({ input: [[[[1, 2], [3, 4]], [[0, 1], [2, 1]]]], layers: [{ type: 'hardswish' }, { type: 'dropout', p: 0.1 }, { type: 'softmax' }, { type: 'global_avg_pool2d' }] });
    const hover = (i: number) => networkKeyHover(['layers', i], analyzeSpec(JsonSource.parse('h.json', text)))!;
    assert.match(hover(0), /h'\(z\)/);
    assert.match(hover(1), /^\*\*layers\[1\]\*\* dropout p=0\.1: identity in evaluation/);
    assert.match(hover(1), /in evaluation dropout is the identity/);
    assert.match(hover(2), /δ_in = p ⊙ \(δ − Σ_c δ·p\)/);
    assert.match(hover(3), /`\(1, 2, 2, 2\)` → `\(1, 2, 1, 1\)`/);
    assert.match(hover(3), /2×2 plane averaged/);
  });
});

describe('small kinds: problems at the layer\'s key', () => {
  /** The problem of a (1, 1, 2, 2) input through `before` then `layer`, layers[1]. */
  const problemOf = (layer: object, before: object = { type: 'relu' }): SpecError => {
    try {
      traceAnySpecText('bad.json', JSON.stringify({ input: [[[[1, 2], [3, 4]]]], layers: [before, layer] }));
    } catch (e) {
      if (e instanceof SpecError) return e;
      throw e;
    }
    assert.fail('no problem');
  };

  it('clip with min > max: clip.range at $.layers[1].min', () => {
    const e = problemOf({ type: 'clip', min: 2, max: -1 });
    assert.strictEqual(e.problem.code, 'clip.range');
    assert.deepStrictEqual(e.path, ['layers', 1, 'min']);
    assert.match(e.message, /min 2 is greater than max -1/);
  });

  it('dropout in train mode is refused at $.layers[1].training: the trace runs in evaluation', () => {
    const e = problemOf({ type: 'dropout', p: 0.5, training: true });
    assert.deepStrictEqual(e.path, ['layers', 1, 'training']);
    assert.match(e.message, /a dropout layer has no "training"; its keys: p/);
  });

  it('clip without max: network.required', () => {
    assert.strictEqual(problemOf({ type: 'clip', min: 0 }).problem.code, 'network.required');
  });

  for (const p of [1, -0.1, 1.5]) {
    it(`dropout p=${p}, outside [0, 1): dropout.p at $.layers[1].p`, () => {
      const e = problemOf({ type: 'dropout', p });
      assert.strictEqual(e.problem.code, 'dropout.p');
      assert.deepStrictEqual(e.path, ['layers', 1, 'p']);
      assert.match(e.message, new RegExp(`got ${p}`));
    });
  }

  for (const [size, named] of [[2, 'output_size 2 '], [[2, 3], 'output_size \\[2, 3\\]'], [[1, 2], 'output_size \\[1, 2\\]']] as const) {
    it(`adaptive_avg_pool2d output_size ${JSON.stringify(size)}: adaptivePool.size at $.layers[1].output_size, naming the size`, () => {
      const e = problemOf({ type: 'adaptive_avg_pool2d', output_size: size });
      assert.strictEqual(e.problem.code, 'adaptivePool.size');
      assert.deepStrictEqual(e.path, ['layers', 1, 'output_size']);
      assert.match(e.message, new RegExp(named));
    });
  }

  for (const type of ['global_avg_pool2d', 'adaptive_avg_pool2d']) {
    it(`${type} after flatten: layer.inputRank at $.layers[1], naming the (B, C) shape`, () => {
      const e = problemOf({ type, ...(type === 'adaptive_avg_pool2d' ? { output_size: 1 } : {}) }, { type: 'flatten' });
      assert.strictEqual(e.problem.code, 'layer.inputRank');
      assert.deepStrictEqual(e.path, ['layers', 1]);
      assert.match(e.message, /\(B, C, H, W\).*\(1, 4\)/);
    });
  }
});

describe('a NaN goes through every activation as PyTorch lets it (torch 1.13, printed by hand)', () => {
  // h(NaN) is NaN for every kind; h'(NaN) follows each backward kernel's comparisons: relu's threshold_backward and
  // Hardtanh's (relu6, clip) let δ through unless z <= lo (or z >= hi); leaky_relu takes the slope (z > 0 is false);
  // hardswish's last branch is 1; hardsigmoid's (−3, 3) test fails (0); sigmoid and tanh compute from h (NaN).
  const slopeAtNaN: [object, number][] = [
    [{ type: 'relu' }, 1], [{ type: 'relu6' }, 1], [{ type: 'clip', min: -1, max: 2 }, 1], [{ type: 'leaky_relu', slope: 0.25 }, 0.25],
    [{ type: 'hardswish' }, 1], [{ type: 'hardsigmoid', alpha: 1 / 6, beta: 0.5 }, 0], [{ type: 'sigmoid' }, NaN], [{ type: 'tanh' }, NaN],
  ];
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [layer, slope] of slopeAtNaN) {
      it(`${JSON.stringify(layer)} in ${dtype}: h and h' at NaN, the lean run the same as the trace`, () => {
        const problem: NetworkProblem = { input: tensor([1, 1, 1, 3], [NaN, -2, 3], dtype), layers: [layer as LayerSpec], grad: tensor([1, 1, 1, 3], [5, 7, 11], dtype), dtype };
        const t = lastLayer(traceNetwork(problem));
        assert.ok(Number.isNaN(t.tensors.h!.data[0]), 'h(NaN) is NaN');
        assert.ok(Object.is(t.tensors.h_prime!.data[0], slope), `h'(NaN) = ${slope}, not ${t.tensors.h_prime!.data[0]}`);
        const run = runNetwork(problem);
        assert.deepStrictEqual([...run.outputs[0].data], [...t.tensors.h!.data], 'lean h = traced h');
        assert.deepStrictEqual([...run.gradients!.input!.data], [...t.tensors.dZ!.data], 'lean ∂C/∂input = traced ∂C/∂z');
      });
    }
  }
});
