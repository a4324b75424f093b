// English and Simplified Chinese: every string a user reads has both, with the
// same placeholders, and no translation is left over once its English is gone.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { LayerGeometry } from '../../src/engine/layerKinds/view';
import { isNetworkTrace } from '../../src/engine/network';
import { type TensorName, type TraceStage, type TraceTensor, recordedTensors } from '../../src/engine/trace';
import { cellMeaning, explainStage, stageTitle } from '../../src/format/explain';
import type { DeltaSource } from '../../src/engine/trace';
import { PANEL_TEXT, normalizeLocale } from '../../src/l10n/panelText';
import { traceAnySpecText } from '../../src/specReader/convSpec';

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
      if (english === 'Conv' || k === 'jsonValidation.specSchema') continue;
      assert.match(chinese, CJK, `${k}: ${chinese}`);
      assert.deepStrictEqual(codeSpans(chinese), codeSpans(String(english)), k);
    }
  });
});

describe('l10n: the spec schema', () => {
  const TEXTS = ['title', 'description', 'markdownDescription', 'errorMessage', 'deprecationMessage', 'patternErrorMessage'];
  const TEXT_LISTS = ['enumDescriptions', 'markdownEnumDescriptions'];
  /** The schema without its texts (and its $id), and the texts in document order. */
  function split(schema: unknown): { shape: unknown; texts: string[] } {
    const texts: string[] = [];
    const strip = (v: unknown): unknown => Array.isArray(v) ? v.map(strip)
      : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k, x]) => {
        if (TEXTS.includes(k) && typeof x === 'string') { texts.push(x); return false; }
        if (TEXT_LISTS.includes(k) && Array.isArray(x)) { texts.push(...x.map(String)); return false; }
        return k !== '$id';
      }).map(([k, x]) => [k, strip(x)])) : v;
    return { shape: strip(schema), texts };
  }
  const en = readJson('package.nls.json')['jsonValidation.specSchema'] as string;
  const zh = readJson('package.nls.zh-cn.json')['jsonValidation.specSchema'] as string;

  it('the manifest points jsonValidation at the English schema, in Chinese at the Chinese one (made by the build)', () => {
    assert.strictEqual(en, './media/conv-spec.schema.json');
    assert.ok(fs.existsSync(path.join(ROOT, zh)), zh);
  });

  it('the Chinese schema is the English one with every text in Chinese, its shapes kept', () => {
    const english = split(readJson(en));
    const chinese = split(readJson(zh));
    assert.deepStrictEqual(chinese.shape, english.shape);
    assert.strictEqual(chinese.texts.length, english.texts.length);
    assert.ok(english.texts.length > 40, `${english.texts.length} texts`);
    let spans = 0;
    chinese.texts.forEach((t, i) => {
      assert.match(t, CJK, t);
      // Shapes and index lists survive translation: (B, Cin, H, W), (Cout,), [ph, pw], (Cin·kh·kw, Cout).
      for (const span of english.texts[i].match(/\((?:[\w·/]+, ?)+[\w·/]*\)|\[(?:\w+, )*\w+\]/g) ?? []) { spans++; assert.ok(t.includes(span), `${span} missing from ${t}`); }
    });
    assert.ok(spans > 20, `${spans} shapes checked`);
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

describe('l10n: the panel catalog (src/l10n)', () => {
  const { en, 'zh-cn': zh } = PANEL_TEXT;
  /** What an entry says with marker arguments: a function's every parameter must show in it. */
  const render = (entry: unknown, arity: number) => (typeof entry === 'function' ? entry(...Array.from({ length: arity }, (_, i) => `⟨${i}⟩`)) as string : String(entry));
  /** Every entry, tables of words as `table.key`. */
  const flat = (text: object): [string, unknown][] => Object.entries(text).flatMap(([key, v]) =>
    typeof v === 'object' && v !== null ? Object.entries(v).map(([k, w]) => [`${key}.${k}`, w] as [string, unknown]) : [[key, v] as [string, unknown]]);
  const enEntries = new Map(flat(en));
  const zhEntries = new Map(flat(zh));

  it('Chinese has every English key and no other', () => {
    assert.deepStrictEqual([...zhEntries.keys()].sort(), [...enEntries.keys()].sort());
  });

  it('every entry takes the same parameters in both languages and uses each of them', () => {
    for (const [key, e] of enEntries) {
      const z = zhEntries.get(key);
      assert.strictEqual(typeof z, typeof e, key);
      const arity = typeof e === 'function' ? e.length : 0;
      if (typeof z === 'function') assert.strictEqual(z.length, arity, `${key}: parameters`);
      const markers = (s: string) => (s.match(/⟨\d+⟩/g) ?? []).filter((m, i, all) => all.indexOf(m) === i).sort();
      const expected = Array.from({ length: arity }, (_, i) => `⟨${i}⟩`).sort();
      assert.deepStrictEqual(markers(render(e, arity)), expected, `${key}: English uses every parameter`);
      assert.deepStrictEqual(markers(render(z, arity)), expected, `${key}: Chinese uses every parameter`);
    }
  });

  it('the Chinese words are Chinese, and keep the English math', () => {
    const math = (s: string) => (s.match(/[∂δ⊙⋆ᵀ]|ROT180|im2col|col2im|a_t|w_t|z_t|δ_t/g) ?? []).sort();
    for (const [key, e] of enEntries) {
      const arity = typeof e === 'function' ? (e as (...a: unknown[]) => string).length : 0;
      const english = render(e, arity);
      const chinese = render(zhEntries.get(key), arity);
      // Names of colour maps stay names, and a formula is a formula in any language.
      const formula = !/[a-z]{3,}/.test(english.replace(/ROT180|im2col|col2im|softmax|full/g, ''));
      if (!/^colormap(Viridis|Magma)$/.test(key) && !formula) assert.match(chinese, CJK, `${key}: ${chinese}`);
      assert.deepStrictEqual(math(chinese), math(english), `${key}: ${chinese}`);
    }
  });

  it('normalizes VS Code display languages', () => {
    const cases: [string | undefined, string][] = [
      ['zh-cn', 'zh-cn'], ['zh-CN', 'zh-cn'], ['zh', 'zh-cn'], ['zh-Hans', 'zh-cn'], ['zh-sg', 'zh-cn'],
      ['zh-tw', 'en'], ['zh-TW', 'en'], ['zh-hk', 'en'], ['zh-Hant', 'en'], ['en', 'en'], ['en-gb', 'en'], ['ja', 'en'], ['zhx', 'en'], ['', 'en'], [undefined, 'en'],
    ];
    for (const [language, locale] of cases) assert.strictEqual(normalizeLocale(language), locale, String(language));
  });
});

describe('l10n: stage explanations, titles and cell meanings in zh-cn', () => {
  for (const example of ['seed.conv.json', 'lenet.conv.json']) {
    const trace = traceAnySpecText(example, fs.readFileSync(path.join(ROOT, 'examples', example), 'utf8'), {}, new Map());
    const layers: { geometry: LayerGeometry; stages: TraceStage[]; tensors: Partial<Record<TensorName, TraceTensor>> }[] = isNetworkTrace(trace)
      ? trace.layers.map(l => ({ geometry: l.geometry, stages: l.stages, tensors: l.tensors }))
      : [{ geometry: trace.geometry, stages: trace.stages, tensors: trace.tensors }];
    const sound = (s: string, what: string) => {
      assert.doesNotMatch(s, /undefined|NaN|\{\d+\}|⟨/, `${what}: ${s}`);
      assert.match(s, CJK, `${what}: ${s}`);
    };

    it(`${example}: every stage is explained and titled in Chinese; English titles are the engine's`, () => {
      let explained = 0;
      for (const { geometry, stages } of layers) {
        for (const stage of stages) {
          assert.strictEqual(stageTitle(stage, geometry), stage.title, 'the English catalog names stages as the engine does');
          const title = stageTitle(stage, geometry, 'zh-cn');
          if (stage.id !== 'im2col' && stage.id !== 'col2im' && stage.id !== 'pool_col2im') sound(title, `${stage.id} title`);
          for (const delta of ['ones', 'spec', 'loss', 'above', 'sum'] as DeltaSource[]) {
            const english = explainStage({ stage, delta }, geometry);
            const chinese = explainStage({ stage, delta }, geometry, 'zh-cn');
            assert.ok(english.length > 0, `${stage.id} has an explanation`);
            sound(chinese, `${stage.id} (${delta})`);
            // Numbers of this run carry over: every number of the English is in the Chinese (which may say 全为 1 for "all ones").
            const left: string[] = [...(chinese.match(/\d+/g) ?? [])];
            for (const n of english.match(/\d+/g) ?? []) {
              assert.ok(left.includes(n), `${stage.id}: ${n} is missing from ${chinese}`);
              left.splice(left.indexOf(n), 1);
            }
            explained++;
          }
        }
      }
      assert.ok(explained >= 3 * 10, `${explained} explanations`);
    });

    it(`${example}: every cell meaning is in Chinese, with the English numbers`, () => {
      let meant = 0;
      for (const { geometry, tensors } of layers) {
        for (const t of recordedTensors(tensors)) {
          const name = t.name;
          const size = t.shape.reduce((a, b) => a * b, 1);
          for (let flat = 0; flat < Math.min(size, 300); flat += 5) {
            const index = t.shape.map((_, d) => Math.floor(flat / t.shape.slice(d + 1).reduce((a, b) => a * b, 1)) % t.shape[d]);
            const english = cellMeaning(geometry, name, index);
            const chinese = cellMeaning(geometry, name, index, 'zh-cn');
            if (!english) { assert.strictEqual(chinese, '', `${name}[${index}]`); continue; }
            assert.deepStrictEqual((chinese.match(/\d+/g) ?? []), (english.match(/\d+/g) ?? []), `${name}[${index}]: ${chinese} | ${english}`);
            // `= δ[0, 1, 2, 3]` and `= w[...]` are formulas, the same in every language.
            if (!english.startsWith('=')) sound(chinese, `${name}[${index}]`);
            meant++;
          }
        }
      }
      assert.ok(meant > 20, `${meant} cell meanings`);
    });
  }
});
