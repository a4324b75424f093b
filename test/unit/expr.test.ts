// The debug console's expressions, checked against numpy semantics written out by hand.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ExprError, MAX_DEPTH, MAX_LENGTH } from '../../src/debug/expr/parse';
import { Scope, Value, evaluateText, truthy } from '../../src/debug/expr/evaluate';
import { formatValue, summarize } from '../../src/debug/expr/format';
import { ConvRuntime } from '../../src/debug/runtime';
import { traceSpecText } from '../../src/specReader/convSpec';
import { Tensor, tensor } from '../../src/engine/tensor';
import type { ConvTrace } from '../../src/engine/trace';

const trace = traceSpecText('seed', fs.readFileSync(path.join(__dirname, '../../../examples/seed.conv.json'), 'utf8')) as ConvTrace;
/** The debugger's own scope after the last stage: every tensor alive, `w` for the weight. */
const runtime = new ConvRuntime(trace, 'seed', {});
runtime.position = { stage: runtime.steps.length - 1 };
const scope = runtime.scope();
const ev = (text: string): Value => evaluateText(text, scope);
const flat = (v: Value) => (typeof v === 'object' && 'data' in v ? [...v.data] : v);

describe('debug expressions', () => {
  it('indexes like numpy: integers, negative indices, slices with steps', () => {
    assert.deepStrictEqual(flat(ev('z_t[0, 3]')), [276, 228]);
    assert.strictEqual(ev('z[0, 0, 1, 2]'), 294);
    assert.strictEqual(ev('z[0, 0, -1, -1]'), 315);
    const part = ev('a_t[0, :, 0:4]') as Tensor;
    assert.deepStrictEqual(part.shape, [9, 4]);
    assert.deepStrictEqual([...part.data.slice(0, 4)], [1, 6, 4, 3]);
    assert.deepStrictEqual(flat(ev('a_t[0, 0, ::4]')), [1, 9, 8]);
    assert.deepStrictEqual(flat(ev('a_t[0, 0, ::-5]')), [6, 5, 6]);
    assert.deepStrictEqual((ev('a_t[0, 2:]') as Tensor).shape, [7, 12]);
  });

  it('reduces and reads attributes', () => {
    assert.strictEqual(ev('dW.sum()'), 2 * (40 + 44 + 34 + 38 + 39 + 40 + 42 + 47 + 42 + 47 + 30 + 41));
    assert.strictEqual(formatValue(ev('a_t.shape')), '(1, 9, 12)');
    assert.strictEqual(ev('a_t.size'), 108);
    assert.strictEqual(ev('max(abs(z))'), 315);
    assert.strictEqual(ev('z.min()'), 223);
    assert.strictEqual(ev('db.mean()'), 9);
    assert.deepStrictEqual((ev('w_t.T') as Tensor).shape, [2, 12]);
  });

  it('does arithmetic and comparisons, elementwise with scalars', () => {
    assert.deepStrictEqual(flat(ev('z[0, 1] - 2')), [289, 250, 261, 228, 265, 237, 221, 281, 255]);
    assert.strictEqual(ev('z[0, 0, 0, 0] * 2 + 1'), 593);
    assert.strictEqual(ev('max(abs(z)) > 1000'), false);
    assert.strictEqual(ev('max(abs(z)) > 300 and not any(isnan(dA))'), true);
    assert.strictEqual(ev('any(isnan(dA))'), false);
    assert.strictEqual(ev('all(dA_rot180 == dA)'), true);
    assert.strictEqual(ev('-2 ** 2'), -4);
  });

  it('conditions: a tensor as a condition must say any() or all()', () => {
    assert.throws(() => truthy(ev('z > 0')), /truth value of a \(1, 2, 3, 3\) tensor is ambiguous/);
    assert.strictEqual(truthy(ev('z[0, 0, 0, 0] > 0')), true);
  });

  it('gives clear errors for anything else', () => {
    const fails = (text: string, pattern: RegExp) => assert.throws(() => ev(text), (e: unknown) => e instanceof ExprError && pattern.test(e.message));
    fails('zz + 1', /'zz' is not defined here/);
    fails('z[0, 0, 9]', /index 9 is out of range for axis 2 of z \(1, 2, 3, 3\)/);
    fails('z[0, 0, 0, 0, 0]', /z has 4 dimensions, 5 indices given/);
    fails('z + a_t', /shapes \(1, 2, 3, 3\) and \(1, 9, 12\) do not match for '\+'/);
    fails('foo(z)', /unknown function 'foo'/);
    fails('z.frob()', /unknown method '\.frob\(\)'/);
    fails('z[', /expected a value at the end/);
    fails('z $ 2', /unexpected '\$' at column 3/);
    fails('', /empty expression/);
  });

  it('formats small tensors in full and big ones as a summary', () => {
    assert.strictEqual(formatValue(ev('db')), '[9, 9]');
    assert.strictEqual(formatValue(ev('z_t[0, 0:2]')), '[[295, 289], [249, 250]]');
    assert.strictEqual(summarize(trace.tensors.a_t!), 'float64 (1, 9, 12) min 1 max 9');
    assert.strictEqual(formatValue(tensor([100], new Array(100).fill(0).map((_, i) => i))), 'float64 (100,) min 0 max 99');
    assert.strictEqual(formatValue(NaN), 'NaN');
  });

  describe('hostile input', () => {
    const fails = (text: string, pattern: RegExp, evaluate = ev) => assert.throws(() => evaluate(text), (e: unknown) => {
      assert.ok(e instanceof ExprError, `${text.slice(0, 40)}… threw ${e}`);
      assert.match(e.message, pattern);
      return true;
    });

    it('names come from own tables only: Object.prototype\'s are not defined', () => {
      for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf']) {
        fails(name, new RegExp(`'${name}' is not defined here`));
        fails(`${name}(z)`, new RegExp(`unknown function '${name}'`));
        fails(`z.${name}()`, new RegExp(`unknown method '\\.${name}\\(\\)'`));
        fails(`z.${name}`, new RegExp(`unknown attribute '\\.${name}'`));
      }
    });

    it(`${MAX_DEPTH + 1} levels of brackets, signs, not or chained operators are an expression error (5000 parentheses: no RangeError)`, () => {
      const tooDeep = /nests more than 100 levels deep/;
      fails(`${'('.repeat(5000)}z${')'.repeat(5000)}`, /characters long/);
      fails(`${'('.repeat(4999)}z${')'.repeat(4999)}`, tooDeep);
      fails(`${'-'.repeat(5000)}z`, tooDeep);
      fails(`${'not '.repeat(2000)}True`, tooDeep);
      fails(`z${' + z'.repeat(2000)}`, tooDeep);
      fails(`z${'[0]'.repeat(2000)}`, tooDeep);
      fails(`z${'.sum()'.repeat(1000)}`, tooDeep);
      // Just inside the limit, a deep expression still gives the right number.
      assert.strictEqual(ev(`${'('.repeat(MAX_DEPTH - 2)}db[0]${')'.repeat(MAX_DEPTH - 2)}`), 9);
    });

    it(`an expression longer than ${MAX_LENGTH} characters is refused before it is read`, () => {
      fails(`1${' + 1'.repeat(MAX_LENGTH / 4)}`, new RegExp(`is ${MAX_LENGTH + 1} characters long; the limit is ${MAX_LENGTH}`));
    });

    it('a right-nested sum of a big tensor (z + (z + ...)) allocates within the budget, counted before allocating', () => {
      const size = 10_000;
      const big = tensor([size], Float64Array.from({ length: size }, (_, i) => i));
      const bigScope: Scope = name => (name === 'big' ? big : undefined);
      const rightNested = (terms: number): string => `${'big + ('.repeat(terms - 1)}big${')'.repeat(terms - 1)}`;
      const terms = 40;
      // Each of the terms - 1 additions makes one temporary of `size` numbers.
      const needed = (terms - 1) * size;
      const sum = evaluateText(rightNested(terms), bigScope, needed) as Tensor;
      assert.deepStrictEqual([sum.data[0], sum.data[size - 1]], [0, terms * (size - 1)]);
      fails(rightNested(terms), new RegExp(`would allocate more than ${needed - 1} numbers`), text => evaluateText(text, bigScope, needed - 1));
      // A few hundred terms: past the nesting limit, refused before anything is allocated.
      fails(rightNested(300), /nests more than/, text => evaluateText(text, bigScope, needed));
    });

    it('slice bounds must be integers (a fractional bound is an error, not NaN values)', () => {
      fails('z[0, 0, 0.5:2]', /slice bounds must be integers, got 0\.5/);
    });
  });
});
