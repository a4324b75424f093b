// The expression contract under random input: every text typed into Watch, the
// console or a breakpoint condition either gives a value or an ExprError, never
// another exception (no TypeError, no RangeError from the stack), and quickly.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { ExprError, MAX_LENGTH } from '../../src/debug/expr/parse';
import { evaluateText, truthy } from '../../src/debug/expr/evaluate';
import { formatValue } from '../../src/debug/expr/format';
import { ConvRuntime } from '../../src/debug/runtime';
import { traceSpecText } from '../../src/specReader/convSpec';
import type { ConvTrace } from '../../src/engine/trace';

const trace = traceSpecText('seed', fs.readFileSync(path.join(__dirname, '../../../examples/seed.conv.json'), 'utf8')) as ConvTrace;
const runtime = new ConvRuntime(trace, 'seed', {});
runtime.position = { stage: runtime.steps.length - 1 };
const scope = runtime.scope();
/** A small budget, so random products of the seed's tensors stay cheap. */
const BUDGET = 1_000_000;
/** Per expression: generous for 2 cores under load, far below a hang. */
const TIME_BUDGET_MS = 1000;

const TOKENS = [
  // Names that exist, and names that do not (Object.prototype's among them).
  'z', 'z_t', 'a_t', 'w', 'w_t', 'dW', 'db', 'dA', 'input', 'weight', 'stride', 'foo', 'layers[0].dA', 'constructor', '__proto__', 'toString',
  'hasOwnProperty', 'valueOf', 'True', 'False', 'nan', 'inf',
  // Numbers.
  '0', '1', '2', '-1', '2.5', '1e308', '1e-5', '99999999', '.5',
  // Operators.
  '+', '-', '*', '/', '%', '**', '<', '>', '<=', '>=', '==', '!=', 'and', 'or', 'not', '&&', '||', '!',
  // Brackets, indexing, calls, attributes.
  '(', ')', '[', ']', ',', ':', '::', '.', 'sum(', 'max(', 'abs(', 'isnan(', 'mean(', '.T', '.shape', '.size', '.sum()', '.max()', '[0]', '[0, :, 0:4]', '[::-1]',
  // Characters no expression has.
  '$', '"', '{', '\u0000',
];

/** Evaluates as the debugger does (value, then its text; a condition's truth) and checks the contract. */
function checkContract(text: string): void {
  const started = performance.now();
  try {
    const v = evaluateText(text, scope, BUDGET);
    assert.strictEqual(typeof formatValue(v), 'string');
    truthy(v);
  } catch (e) {
    assert.ok(e instanceof ExprError, `${JSON.stringify(text.slice(0, 80))} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  const ms = performance.now() - started;
  assert.ok(ms < TIME_BUDGET_MS, `${JSON.stringify(text.slice(0, 80))} took ${ms.toFixed(0)} ms`);
}

describe('debug expressions under random input (fast-check)', () => {
  it('random token sequences: a value or an ExprError, within the time budget', () => {
    const text = fc.array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 40 }).map(tokens => tokens.join(' '));
    fc.assert(fc.property(text, checkContract), { numRuns: 400 });
  });

  it('deep and long expressions (nesting, sign and operator chains, repeated indexing) up to and past the limits', () => {
    const operand = fc.constantFrom('z', 'db', '1', 'nan', 'foo', 'constructor');
    const shaped = fc.tuple(operand, fc.integer({ min: 0, max: 6000 }), fc.constantFrom('paren', 'sign', 'not', 'sum', 'rightSum', 'index', 'call')).map(([x, n, kind]) => {
      switch (kind) {
        case 'paren': return `${'('.repeat(n)}${x}${')'.repeat(n)}`;
        case 'sign': return `${'-'.repeat(n)}${x}`;
        case 'not': return `${'not '.repeat(n)}${x}`;
        case 'sum': return `${x}${' + z'.repeat(n)}`;
        case 'rightSum': return `${'z + ('.repeat(n)}${x}${')'.repeat(n)}`;
        case 'index': return `${x}${'[0]'.repeat(n)}`;
        case 'call': return `${'abs('.repeat(n)}${x}${')'.repeat(n)}`;
      }
    });
    fc.assert(fc.property(shaped, checkContract), { numRuns: 150 });
  });

  it(`random characters, up to past ${MAX_LENGTH}: a value or an ExprError`, () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), checkContract), { numRuns: 300 });
    checkContract('z'.repeat(MAX_LENGTH + 1));
  });
});
