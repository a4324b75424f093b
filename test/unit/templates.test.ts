// The evaluate templates that read tensors out of other debuggers, run in the
// real languages: Python with numpy (and torch when this machine has it), and JavaScript.

import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CHUNK_ELEMENTS, JAVASCRIPT, PYTHON, decodeChunk, fill, templateFor, unquote } from '../../src/debug/templates';

function readAll(evaluate: (expr: string) => string, expr: string): { meta: { shape: number[]; dtype: string; size: number }; values: number[] } {
  const meta = JSON.parse(unquote(evaluate(fill(PYTHON.meta, { expr }))));
  const values: number[] = [];
  for (let start = 0; start < meta.size; start += CHUNK_ELEMENTS) {
    values.push(...decodeChunk(unquote(evaluate(fill(PYTHON.chunk, { expr, start, end: start + CHUNK_ELEMENTS })))));
  }
  return { meta, values };
}

describe('tensor templates for other debuggers', () => {
  const python = (interpreter: string) => spawnSync(interpreter, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

  (python('python3') ? it : it.skip)('Python: numpy arrays (any dtype and order), nested lists, scalars; repr of the result unquoted', () => {
    const script = `
import numpy as np, sys, json
a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
f = np.asfortranarray(np.arange(6).reshape(2, 3))
lst = [[1, 2.5], [3, -4]]
s = 7
big = np.linspace(-1, 1, ${CHUNK_ELEMENTS + 10})
out = {}
for line in sys.stdin:
    expr = line.strip()
    if expr: out[expr] = repr(eval(expr))
print(json.dumps(out))
`;
    const exprs: string[] = [];
    const answers = new Map<string, string>();
    const evaluate = (e: string) => { const a = answers.get(e); if (a === undefined) { exprs.push(e); return "''"; } return a; };
    // Two passes: collect the expressions, then run them all in one python.
    for (const name of ['a', 'f', 'lst', 's', 'big']) { try { readAll(evaluate, name); } catch { /* first pass */ } }
    const metas = ['a', 'f', 'lst', 's', 'big'].map(e => fill(PYTHON.meta, { expr: e }));
    const chunks = ['a', 'f', 'lst', 's'].map(e => fill(PYTHON.chunk, { expr: e, start: 0, end: CHUNK_ELEMENTS }))
      .concat([fill(PYTHON.chunk, { expr: 'big', start: 0, end: CHUNK_ELEMENTS }), fill(PYTHON.chunk, { expr: 'big', start: CHUNK_ELEMENTS, end: 2 * CHUNK_ELEMENTS })]);
    const r = spawnSync('python3', ['-c', script], { input: [...metas, ...chunks].join('\n') + '\n', encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.strictEqual(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, string>;
    for (const [k, v] of Object.entries(out)) answers.set(k, v);
    const a = readAll(evaluate, 'a');
    assert.deepStrictEqual(a.meta, { shape: [2, 3, 4], dtype: 'float32', size: 24 });
    assert.deepStrictEqual(a.values, Array.from({ length: 24 }, (_, i) => i));
    assert.deepStrictEqual(readAll(evaluate, 'f').values, [0, 1, 2, 3, 4, 5], 'C order, whatever the memory order');
    assert.deepStrictEqual(readAll(evaluate, 'lst').values, [1, 2.5, 3, -4]);
    assert.deepStrictEqual(readAll(evaluate, 's'), { meta: { shape: [], dtype: 'int64', size: 1 }, values: [7] });
    const big = readAll(evaluate, 'big');
    assert.strictEqual(big.values.length, CHUNK_ELEMENTS + 10);
    assert.strictEqual(big.values[big.values.length - 1], 1);
  });

  it('JavaScript: nested arrays and typed arrays', () => {
    const run = (template: string, value: unknown, start = 0, end = CHUNK_ELEMENTS) => String(new Function('x', `return ${fill(template, { expr: 'x', start, end })}`)(value));
    const nested = [[1, 2, 3], [4, 5, 6]];
    assert.deepStrictEqual(JSON.parse(run(JAVASCRIPT.meta, nested)), { shape: [2, 3], dtype: 'array', size: 6 });
    assert.deepStrictEqual([...decodeChunk(run(JAVASCRIPT.chunk, nested))], [1, 2, 3, 4, 5, 6]);
    const typed = Float32Array.of(0.5, -1, 2);
    assert.deepStrictEqual(JSON.parse(run(JAVASCRIPT.meta, typed)), { shape: [3], dtype: 'Float32Array', size: 3 });
    assert.deepStrictEqual([...decodeChunk(run(JAVASCRIPT.chunk, typed, 1, 3))], [-1, 2]);
  });

  it('unquotes what debuggers print for strings', () => {
    assert.strictEqual(unquote("'QUJD'"), 'QUJD');
    assert.strictEqual(unquote('"{\\"shape\\": [2]}"'), '{"shape": [2]}');
    assert.strictEqual(unquote('QUJD'), 'QUJD');
  });
});

describe('which evaluate templates a debug session gets (convVisualDebugger.inspect.templates)', () => {
  const MINE = { meta: 'meta({expr})', chunk: 'chunk({expr}, {start}, {end})' };
  const PACKAGE = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../package.json'), 'utf8'));

  it('takes user settings only: a workspace or folder value is ignored, even for a built-in type', () => {
    assert.strictEqual(templateFor('mytype', { workspaceValue: { mytype: MINE }, workspaceFolderValue: { mytype: MINE } }), undefined);
    assert.strictEqual(templateFor('python', { workspaceValue: { python: MINE } }), PYTHON);
    assert.strictEqual(templateFor('mytype', { globalValue: { mytype: MINE }, workspaceValue: { mytype: JAVASCRIPT } }), MINE);
    assert.strictEqual(templateFor('python', { globalValue: { python: MINE } }), MINE);
    assert.strictEqual(templateFor('node', undefined), JAVASCRIPT);
  });

  it('a debug type named like an Object property finds no template', () => {
    for (const type of ['constructor', '__proto__', 'toString']) assert.strictEqual(templateFor(type, { globalValue: {} }), undefined, type);
  });

  it('the setting is application-scoped, so VS Code itself ignores workspace values, and says so', () => {
    assert.strictEqual(PACKAGE.contributes.configuration.properties['convVisualDebugger.inspect.templates'].scope, 'application');
    for (const nls of ['package.nls.json', 'package.nls.zh-cn.json']) {
      const text = JSON.parse(fs.readFileSync(path.join(__dirname, '../../..', nls), 'utf8'))['configuration.inspect.templates.markdownDescription'];
      assert.match(text, nls.includes('zh') ? /只从用户设置读取/ : /user settings only/, nls);
    }
  });
});
