// batchnorm2d against torch.nn.BatchNorm2d (eval and train mode, the running statistics'
// update included) and, in train mode, central finite differences of its gradients.

import * as assert from 'assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { NetworkProblem, NetworkTrace, traceNetwork } from '../../src/engine/network';
import { tensor } from '../../src/engine/tensor';
import { cellSumIn, linksIn } from '../../src/engine/layerKinds/views';
import { analyzeSpec, traceAnySpecText } from '../../src/specReader/convSpec';
import { networkKeyHover } from '../../src/specReader/hoverText';
import { JsonSource, SpecError } from '../../src/specReader/source';
import { assertClose, lossFiniteDifferences, randomTensor, rng } from './helpers';

const FIXTURES = path.join(__dirname, '../../../test/fixtures/batchnorm/cases.json');
const { generator, torch, cases } = JSON.parse(fs.readFileSync(FIXTURES, 'utf8')) as {
  generator: string; torch: string;
  cases: { name: string; spec: Record<string, unknown>; expected: Record<string, number[]> }[];
};

describe(`batchnorm2d agrees with torch.nn.BatchNorm2d (${generator}, torch ${torch})`, () => {
  for (const c of cases) {
    it(c.name, () => {
      const layer = (traceAnySpecText(`${c.name}.json`, JSON.stringify(c.spec)) as NetworkTrace).layers[0];
      assert.strictEqual(layer.op, 'batchnorm2d');
      for (const [name, values] of Object.entries(c.expected)) {
        const mine = layer.tensors[name];
        assert.ok(mine, `${c.name}: ${name} recorded`);
        assertClose(mine, tensor(mine.shape, values), 1e-9, `${c.name}: ${name}`);
      }
      // Eval mode leaves the running statistics alone: nothing to record.
      assert.strictEqual(layer.tensors.running_mean !== undefined, c.name.startsWith('train'));
    });
  }
});

describe('batchnorm2d in train mode: gradients = central finite differences', () => {
  it('∂C/∂input (through the batch mean and variance), ∂C/∂γ and ∂C/∂β under an mse loss', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), (seed, B, C) => {
      const random = rng(seed);
      const input = randomTensor([B, C, 2, 3], random);
      const weight = randomTensor([C], random);
      const bias = randomTensor([C], random);
      const target = randomTensor([B, C, 2, 3], random);
      const p: NetworkProblem = {
        input, layers: [{ type: 'batchnorm2d', weight, bias, eps: 1e-3, momentum: 0.1, training: true }], loss: { type: 'mse', target }, dtype: 'float64',
      };
      const bn = traceNetwork(p).layers[0].tensors;
      assertClose(bn.dA!, lossFiniteDifferences(p, input, 1e-5), 1e-6, 'dA');
      assertClose(bn.dgamma!, lossFiniteDifferences(p, weight, 1e-5), 1e-6, 'dgamma');
      assertClose(bn.dbeta!, lossFiniteDifferences(p, bias, 1e-5), 1e-6, 'dbeta');
    }), { numRuns: 8 });
  });
});

describe('batchnorm2d: what the faces read of it', () => {
  const c = cases.find(k => k.name === 'train')!;
  const layer = (traceAnySpecText('train.json', JSON.stringify(c.spec)) as NetworkTrace).layers[0];
  const get = (name: string) => layer.tensors[name]?.data;
  const shapeOf = (name: string) => layer.tensors[name]?.shape;
  const names = Object.keys(layer.tensors);

  it('a cell of z is γ·x_hat + β, and ∂C/∂γ, ∂C/∂β add up over (B, H, W)', () => {
    const z = layer.tensors.z!;
    const s = cellSumIn(layer.geometry, get, shapeOf, { tensor: 'z', index: [1, 2, 0, 3] });
    assert.ok(s);
    assert.ok(Math.abs(s.total - z.data[((1 * 3 + 2) * 3 + 0) * 4 + 3]) < 1e-12);
    for (const name of ['dgamma', 'dbeta']) {
      const t = cellSumIn(layer.geometry, get, shapeOf, { tensor: name, index: [1] });
      assert.ok(t && t.terms.length === 2 * 3 * 4, name);
      assert.ok(Math.abs(t.total - layer.tensors[name]!.data[1]) < 1e-12, name);
    }
  });

  it('a cell of z links to the same cell of x_hat and input, and to its channel of mean, var, γ and β', () => {
    const h = linksIn(layer.geometry, { tensor: 'z', index: [1, 2, 0, 3] }, shapeOf, names);
    for (const n of ['x_hat', 'input']) assert.deepStrictEqual(h[n]?.cells, [[1, 2, 0, 3]], n);
    for (const n of ['mean', 'var', 'weight', 'bias']) assert.deepStrictEqual(h[n]?.cells, [[2]], n);
    // And a channel lights up each of its cells.
    assert.strictEqual(linksIn(layer.geometry, { tensor: 'mean', index: [0] }, shapeOf, names).z?.cells.length, 2 * 3 * 4);
  });
});

describe('batchnorm2d: problems name the key', () => {
  const spec = (layer: Record<string, unknown>) => JSON.stringify({ input: cases[0].spec.input, layers: [{ type: 'batchnorm2d', ...layer }] });
  const problemOf = (text: string): SpecError => {
    try {
      traceAnySpecText('bn.json', text);
    } catch (e) {
      if (e instanceof SpecError) return e;
      throw e;
    }
    assert.fail('no problem');
  };

  it('running_var of the wrong channel count: batchnorm.channels at $.layers[0].running_var', () => {
    const e = problemOf(spec({ running_var: [1, 2] }));
    assert.strictEqual(e.problem.code, 'batchnorm.channels');
    assert.deepStrictEqual(e.path, ['layers', 0, 'running_var']);
    assert.match(e.message, /running_var must have shape \(3,\).*got \(2,\)/);
  });

  it('train mode with one value per channel: batchnorm.oneValue, as PyTorch refuses it', () => {
    const e = problemOf(JSON.stringify({ input: [[[[1]], [[2]]]], layers: [{ type: 'batchnorm2d', training: true }] }));
    assert.strictEqual(e.problem.code, 'batchnorm.oneValue');
  });
});

describe('examples/bn.conv.json', () => {
  const text = fs.readFileSync(path.join(__dirname, '../../../examples/bn.conv.json'), 'utf8');

  it('a layer\'s hover says what batchnorm2d does, not what an activation does', () => {
    const hover = networkKeyHover(['layers', 1], analyzeSpec(JsonSource.parse('bn.conv.json', text)))!;
    assert.match(hover, /^\*\*layers\[1\]\*\* batchnorm2d train · `\(2, 2, 3, 3\)` → `\(2, 2, 3, 3\)`/);
    assert.match(hover, /z = γ·\(input − mean\)\/√\(var \+ eps\) \+ β per channel/);
    assert.doesNotMatch(hover, /h'\(z\)/);
  });
});
