// The gradient check: every gradient every kind declares agrees with central
// finite differences (float64, the shared every-kind networks and a single
// conv), a wrong analytic value is reported as disagreeing, and what cannot be
// checked is a problem naming the tensor.

import * as assert from 'assert';
import { EngineError } from '../../src/engine/errors';
import { GRADCHECK, MAX_CHECKED_CELLS, checkGradientCell, checkGradientTensor, checkedOffsets, tensorCheckSummary } from '../../src/engine/gradcheck';
import { gradientOfIn } from '../../src/engine/layerKinds/views';
import { NetworkProblem, NetworkTrace, qualifiedName, traceNetwork } from '../../src/engine/network';
import { Tensor, indexOf, tensor } from '../../src/engine/tensor';
import { ConvProblem, traceConv } from '../../src/engine/trace';
import { EVERY_NETWORK } from './everyKind';
import { randomTensor, rng } from './helpers';

/** A few cells of a tensor: the first, one in the middle, the last. */
const someCells = (t: Tensor): number[][] => [...new Set([0, Math.floor(t.data.length / 2), t.data.length - 1])].map(k => indexOf(t.shape, k));

/** Every tensor of a network trace its kind declares a gradient, by qualified name. */
function declaredGradients(trace: NetworkTrace): { name: string; tensor: Tensor }[] {
  return trace.layers.flatMap(l => Object.entries(l.tensors)
    .filter(([short]) => gradientOfIn(l.geometry, short) !== undefined)
    .map(([short, tensor]) => ({ name: qualifiedName(l, short), tensor: tensor! })));
}

const random = rng(16);
const conv: ConvProblem = {
  input: randomTensor([2, 4, 6, 5], random), weight: randomTensor([6, 2, 3, 2], random), bias: randomTensor([6], random),
  grad: randomTensor([2, 6, 3, 3], random), options: { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 }, dtype: 'float64',
};

describe('gradcheck: finite differences agree with every gradient', () => {
  EVERY_NETWORK.forEach((problem: NetworkProblem, n) => {
    it(`every declared gradient of every-kind network ${n} (${problem.loss!.type}), a few cells each`, function () {
      this.timeout(60_000);
      const trace = traceNetwork(problem);
      const grads = declaredGradients(trace);
      // Every layer hands back a δ, and every layer with a weight declares its gradient.
      for (const l of trace.layers) assert.ok(gradientOfIn(l.geometry, 'delta'), `${l.name} declares no gradient for δ`);
      const names = grads.map(g => g.name);
      problem.layers.forEach((l, i) => {
        if ('weight' in l && l.weight) assert.ok(names.includes(`layers[${i}].dW`) || names.includes(`layers[${i}].dgamma`), `layers[${i}] (${l.type}) declares no weight gradient`);
      });
      for (const { name, tensor } of grads) {
        for (const index of someCells(tensor)) {
          const c = checkGradientCell(problem, name, tensor, index);
          assert.ok(c.agrees, `${name}[${index}] (∂C/∂${c.of}): analytic ${c.analytic}, finite difference ${c.numeric}, relative error ${c.relError}`);
          assert.strictEqual(c.analytic, tensor.data[tensor.shape.reduce((o, d, k) => o * d + index[k], 0)]);
        }
      }
      // The gradients of parameters (one left out of the spec), a merge's second input and the loss's δ are there.
      for (const expected of ['layers[0].dW', 'layers[0].db', 'layers[1].dgamma', 'layers[2].dbeta', 'layers[4].dA_1', 'loss.delta']) {
        if (problem.layers.length > 10) assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);
      }
    });
  });

  it('a single conv (stride, padding, dilation, groups, a given grad): dW, db, dA, the rot180 dA and δ', () => {
    const trace = traceConv(conv);
    for (const name of ['dW', 'db', 'dA', 'dA_rot180', 'delta']) {
      const t = trace.tensors[name]!;
      const check = checkGradientTensor(conv, name, t);
      assert.strictEqual(check.cells.length, Math.min(MAX_CHECKED_CELLS, t.data.length), name);
      assert.strictEqual(check.agree, check.cells.length, tensorCheckSummary(name, check));
      assert.ok(check.maxRelError <= GRADCHECK.float64.tolerance);
    }
  });

  it('a conv without a bias checks db against a bias of zeros, and a float32 conv agrees within its looser tolerance', () => {
    const noBias: ConvProblem = { ...conv, bias: undefined };
    const db = traceConv(noBias).tensors.db!;
    assert.strictEqual(checkGradientTensor(noBias, 'db', db).agree, db.data.length);
    const f32: ConvProblem = {
      ...conv, dtype: 'float32',
      ...Object.fromEntries((['input', 'weight', 'bias', 'grad'] as const).map(k => [k, { ...conv[k]!, dtype: 'float32', data: Float32Array.from(conv[k]!.data) }])),
    };
    const dW = traceConv(f32).tensors.dW!;
    const check = checkGradientTensor(f32, 'dW', dW);
    assert.strictEqual(check.epsilon, GRADCHECK.float32.epsilon);
    assert.strictEqual(check.agree, check.cells.length, tensorCheckSummary('dW', check));
  });
});

describe('gradcheck: disagreement and limits', () => {
  const trace = traceConv(conv);
  const dW = trace.tensors.dW!;

  it('a deliberately wrong analytic value is reported as disagreeing, in the cell and in the tensor summary', () => {
    const wrong = { ...dW, data: dW.data.slice() };
    // A cell the whole-tensor check visits (it samples 64 of dW's 72).
    const k = checkedOffsets(dW.data.length, MAX_CHECKED_CELLS)[10];
    const index = indexOf(dW.shape, k);
    wrong.data[k] += 1e-3 * Math.max(1, Math.abs(dW.data[k]));
    const cell = checkGradientCell(conv, 'dW', wrong, index);
    assert.strictEqual(cell.agrees, false);
    assert.ok(cell.relError > GRADCHECK.float64.tolerance);
    // The same cell with the right value agrees: the finite difference is the reference.
    assert.ok(checkGradientCell(conv, 'dW', dW, index).agrees);
    const all = checkGradientTensor(conv, 'dW', wrong);
    assert.strictEqual(all.cells.length, MAX_CHECKED_CELLS);
    assert.strictEqual(all.agree, MAX_CHECKED_CELLS - 1);
    assert.match(tensorCheckSummary('dW', all), new RegExp(`^gradcheck\\(dW\\): 63 of 64 cells agree, .*first disagreeing: \\[${index.join(', ')}\\] analytic`));
  });

  it('a tensor bigger than the cap is sampled: at most 64 cells, evenly spaced, deterministic, and the summary says so', () => {
    const dA = trace.tensors.dA!;
    assert.ok(dA.data.length > MAX_CHECKED_CELLS);
    const check = checkGradientTensor(conv, 'dA', dA);
    assert.deepStrictEqual(check.cells.map(c => c.index), checkedOffsets(dA.data.length, MAX_CHECKED_CELLS).map(k => indexOf(dA.shape, k)));
    assert.match(tensorCheckSummary('dA', check), new RegExp(`64 of 64 cells agree, max relative error [^ ]+ \\(ε 1e-6\\); 64 of its ${dA.data.length} cells checked, evenly spaced$`));
    const offsets = checkedOffsets(1000, 64);
    assert.strictEqual(new Set(offsets).size, 64);
    assert.ok(offsets[0] === 0 && offsets[63] < 1000);
  });

  it('at a kink (relu at exactly 0) the analytic value agrees when it is a one-sided difference, and the check says so', () => {
    // C = Σ relu(x) at x = [0, 1]: relu'(0) is 0 (as PyTorch), the one-sided differences 0 and 1, the central ½.
    const kinked: NetworkProblem = { input: tensor([1, 1, 1, 2], [0, 1]), layers: [{ type: 'relu' }], dtype: 'float64' };
    const dZ = traceNetwork(kinked).layers[0].tensors.dZ!;
    assert.deepStrictEqual([...dZ.data], [0, 1]);
    const check = checkGradientTensor(kinked, 'layers[0].dZ', dZ);
    assert.deepStrictEqual(check.cells.map(c => [c.agrees, c.kink !== undefined]), [[true, true], [true, false]]);
    assert.ok(Math.abs(check.cells[0].numeric - 0.5) < 1e-9 && Math.abs(check.cells[0].kink!.right - 1) < 1e-9 && check.cells[0].kink!.left === 0);
    assert.match(tensorCheckSummary('dZ', check), /^gradcheck\(dZ\): 2 of 2 cells agree, .*; 1 at a kink, where the analytic value is a one-sided difference$/);
    // A value that is neither side is wrong, kink or not.
    const wrong = checkGradientCell(kinked, 'layers[0].dZ', tensor([1, 1, 1, 2], [0.25, 1]), [0, 0, 0, 0]);
    assert.strictEqual(wrong.agrees, false);
    assert.deepStrictEqual(wrong.kink, check.cells[0].kink);
  });

  it('what is not a gradient, a cell outside it, a tensor that is not there: problems naming it', () => {
    const code = (f: () => unknown) => {
      try { f(); } catch (e) { assert.ok(e instanceof EngineError, String(e)); return e.problem.code; }
      return assert.fail('no error');
    };
    assert.strictEqual(code(() => checkGradientCell(conv, 'a_t', trace.tensors.a_t!, [0, 0, 0])), 'gradcheck.notGradient');
    assert.strictEqual(code(() => checkGradientCell(conv, 'dW', dW, [6, 0, 0, 0])), 'gradcheck.index');
    assert.strictEqual(code(() => checkGradientCell(conv, 'dW', dW, [0, 0])), 'gradcheck.index');
    assert.strictEqual(code(() => checkGradientCell(conv, 'dW', trace.tensors.db!, [0])), 'gradcheck.shape');
    assert.strictEqual(code(() => checkGradientCell(conv, 'layers[0].dW', dW, [0, 0, 0, 0])), 'gradcheck.noTensor');
    const net = EVERY_NETWORK[0];
    const any = trace.tensors.db!;
    assert.strictEqual(code(() => checkGradientCell(net, 'layers[99].dW', any, [0])), 'gradcheck.noTensor');
    assert.strictEqual(code(() => checkGradientCell({ ...net, loss: undefined }, 'loss.delta', any, [0])), 'gradcheck.noTensor');
    assert.strictEqual(code(() => checkGradientCell(net, 'dW', any, [0])), 'gradcheck.noTensor');
    // Sizes first: the forward passes' work is counted before any runs.
    assert.strictEqual(code(() => checkGradientCell(conv, 'dW', dW, [0, 0, 0, 0], undefined, 100)), 'gradcheck.tooBig');
    assert.strictEqual(code(() => checkGradientTensor(conv, 'dW', dW, 10)), 'budget.tensor');
  });
});
