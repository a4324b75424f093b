// English and Simplified Chinese: every string a user reads has both, with the
// same placeholders, and no translation is left over once its English is gone.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '../../..');
const readJson = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));
const CJK = /[\u4e00-\u9fff]/;

/** Every `%key%` string value anywhere in a manifest. */
function manifestKeys(value: unknown, found = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    const m = /^%([^%\s]+)%$/.exec(value);
    if (m) found.add(m[1]);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) manifestKeys(v, found);
  }
  return found;
}

describe('l10n: package.json', () => {
  const used = manifestKeys(readJson('package.json'));
  const en = readJson('package.nls.json');
  const zh = readJson('package.nls.zh-cn.json');

  it('uses %keys% for its user-facing strings', () => {
    const pkg = readJson('package.json') as { displayName: string; contributes: { commands: { title: string }[] } };
    assert.strictEqual(pkg.displayName, '%displayName%');
    for (const c of pkg.contributes.commands) assert.match(c.title, /^%command\.\w+\.title%$/);
  });

  for (const [file, table] of [['package.nls.json', en], ['package.nls.zh-cn.json', zh]] as const) {
    it(`${file} has every key package.json uses, and no other`, () => {
      assert.deepStrictEqual([...used].filter(k => !(k in table)), [], 'missing');
      assert.deepStrictEqual(Object.keys(table).filter(k => !used.has(k)), [], 'unused');
    });
  }

  it('the Chinese manifest is Chinese, with the code spans of the English', () => {
    const codeSpans = (s: string) => s.match(/`[^`]*`/g) ?? [];
    for (const [k, english] of Object.entries(en)) {
      const chinese = String(zh[k]);
      if (english === 'Conv') continue;
      assert.match(chinese, CJK, `${k}: ${chinese}`);
      assert.deepStrictEqual(codeSpans(chinese), codeSpans(String(english)), k);
    }
  });
});

/** The `{0}`, `{1}`, ... a string uses, sorted and without repeats. */
const placeholders = (s: string) => [...new Set(s.match(/\{\d+\}/g) ?? [])].sort();

function sourcesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourcesUnder(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('l10n: extension host (vscode.l10n.t)', () => {
  const calls = sourcesUnder(path.join(ROOT, 'src')).flatMap(file => {
    const text = fs.readFileSync(file, 'utf8');
    return [...text.matchAll(/vscode\.l10n\.t\(\s*(['"`])((?:[^\\]|\\.)*?)\1/g)].map(m => ({ file: path.relative(ROOT, file), quote: m[1], message: m[2].replace(/\\(.)/g, '$1') }));
  });
  const bundle = readJson('l10n/bundle.l10n.zh-cn.json') as Record<string, string>;

  it('finds the calls', () => {
    assert.ok(calls.length > 50, `${calls.length} calls`);
    assert.ok(calls.some(c => c.message === 'Conv spec error in {0} at {1}: {2}'));
  });

  it('no call takes a template literal (the key must be the literal English)', () => {
    assert.deepStrictEqual(calls.filter(c => c.quote === '`').map(c => `${c.file}: ${c.message}`), []);
  });

  it('every message has a Chinese translation with the same placeholders', () => {
    for (const { file, message } of calls) {
      assert.ok(message in bundle, `${file}: "${message}" is not in l10n/bundle.l10n.zh-cn.json`);
      assert.deepStrictEqual(placeholders(bundle[message]), placeholders(message), message);
      assert.match(bundle[message], CJK, message);
    }
  });

  it('the bundle has no stale keys', () => {
    const used = new Set(calls.map(c => c.message));
    assert.deepStrictEqual(Object.keys(bundle).filter(k => !used.has(k)), []);
  });
});
