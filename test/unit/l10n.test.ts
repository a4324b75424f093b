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
