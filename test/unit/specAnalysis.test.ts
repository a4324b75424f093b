// What the editor shows before anything runs: every problem of a spec at its
// exact place, hover texts for tensors and spec keys, .npy references.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { analyzeSpec, collectSpec, looksLikeSpec, mayBeSpecText, traceAnySpecText, traceSpecText } from '../../src/specReader/convSpec';
import { LAYER_TYPES, type LayerSpec, kindOf } from '../../src/engine/layerKinds';
import { lossKind } from '../../src/engine/layerKinds/loss';
import { codeShape } from '../../src/engine/layerKinds/view';
import { SourceReading, specFileReferences } from '../../src/specReader/tensorSource';
import { networkKeyHover, npyLine, skippedScanHover, specKeyHover, tensorHover } from '../../src/specReader/hoverText';
import { printable } from '../../src/format/safeText';
import { keyAt, scanTensors, tensorAt } from '../../src/specReader/locator';
import { encodeNpy } from '../../src/specReader/npy';
import { JsonSource } from '../../src/specReader/source';
import { tensor } from '../../src/engine/tensor';

const SEED = fs.readFileSync(path.join(__dirname, '../../../examples/seed.conv.json'), 'utf8');
/** Markdown as it reads once rendered, for text without markup: backslash escapes resolved. */
const rendered = (md: string) => md.replace(/\\([!-/:-@[-`{-~])/g, '$1');
const ones = (...shape: number[]): unknown => (shape.length === 0 ? 1 : Array.from({ length: shape[0] }, () => ones(...shape.slice(1))));

describe('spec analysis (diagnostics)', () => {
  it('collects every structural problem, each at the offending value', () => {
    const text = JSON.stringify({ input: [[[[1, 2], [3]]]], weight: [[[[1, 'x']]]], stride: '2', paddin: 1 }, null, 2);
    const a = analyzeSpec(JsonSource.parse('bad.json', text));
    assert.deepStrictEqual(a.problems.map(p => p.detail.split(/[:;]/)[0]), ['unknown key "paddin" (did you mean "padding"?)', 'stride must be an integer or a pair [h, w], found the string "2"', 'ragged array', 'expected a number, found the string "x"']);
    for (const p of a.problems) assert.ok(p.position, `${p.detail} has a position`);
    const ragged = a.problems.find(p => p.detail.startsWith('ragged'))!;
    assert.strictEqual(text.slice(ragged.position!.offset, ragged.position!.offset + ragged.position!.length).replace(/\s/g, ''), '[3]');
    const x = a.problems.find(p => p.detail.includes('"x"'))!;
    assert.strictEqual(text.slice(x.position!.offset, x.position!.offset + x.position!.length), '"x"');
    assert.strictEqual(a.info, undefined);
  });

  it('adds the geometry problem at its key once the tensors read', () => {
    const a = analyzeSpec(JsonSource.parse('g.json', JSON.stringify({ input: ones(1, 3, 4, 4), weight: ones(2, 2, 2, 2) })));
    assert.deepStrictEqual(a.problems.map(p => [p.path, p.detail]), [[['weight'], 'conv2d: input has 3 channels but weight expects 2 (input (1, 3, 4, 4), weight (2, 2, 2, 2), groups 1)']]);
  });

  it('flags tensors over the size limit', () => {
    const a = analyzeSpec(JsonSource.parse('big.json', SEED), undefined, 50);
    assert.match(a.problems[0].detail, /a_t would hold 108 elements/);
  });

  it('a valid spec has no problems and its geometry', () => {
    const a = analyzeSpec(JsonSource.parse('seed.conv.json', SEED));
    assert.deepStrictEqual(a.problems, []);
    assert.deepStrictEqual([a.info!.outHeight, a.info!.outWidth, a.info!.patchSize], [3, 3, 12]);
  });

  it('reads tensors from .npy files next to the spec, and says when one is missing or wrong', () => {
    const spec = { input: { npy: 'x.npy' }, weight: { npy: 'w.npy' }, bias: [1, 2] };
    const source = JsonSource.parse('s.conv.json', JSON.stringify(spec, null, 2));
    assert.deepStrictEqual(specFileReferences(source.value), [{ file: 'x.npy', format: 'npy' }, { file: 'w.npy', format: 'npy' }]);
    const seed = JSON.parse(SEED);
    const npy = new Map([
      ['x.npy', encodeNpy(tensor([1, 3, 4, 4], (seed.input as number[][][][]).flat(3)))],
      ['w.npy', encodeNpy(tensor([2, 3, 2, 2], (seed.weight as number[][][][]).flat(3)))],
    ]);
    const trace = traceSpecText('s.conv.json', JSON.stringify(spec), {}, npy);
    assert.deepStrictEqual([...trace.tensors.z!.data].slice(0, 3), [296, 250, 288]);
    const missing = collectSpec(source, new Map([['w.npy', npy.get('w.npy')!]]));
    assert.deepStrictEqual(missing.problems.map(p => [p.path, p.detail]), [[['input', 'npy'], 'missing file "x.npy" (paths are relative to the spec)']]);
    assert.ok(missing.problems[0].position);
    const wrongRank = collectSpec(source, new Map([['x.npy', encodeNpy(tensor([2, 2], [1, 2, 3, 4]))], ['w.npy', npy.get('w.npy')!]]));
    assert.match(wrongRank.problems[0].detail, /x\.npy holds a 2-D array \(2, 2\), expected 4-D \(B, Cin, H, W\)/);
  });
});

describe('hover texts', () => {
  const analysis = analyzeSpec(JsonSource.parse('seed.conv.json', SEED));

  it('on "input": a_t (1, 9, 12) and z (1, 2, 3, 3), with the output-size formula filled in', () => {
    const text = specKeyHover('input', analysis)!;
    assert.match(text, /`a_t` = im2col\(a\) `\(1, 9, 12\)`/);
    assert.match(text, /`z` `\(1, 2, 3, 3\)`/);
    assert.ok(text.includes('Hout = floor((4 + 0 + 0 - 1·(2-1) - 1) / 1) + 1 = 3'));
  });

  it('on "weight": w_t (12, 2); on "grad": the shape it must have', () => {
    assert.match(specKeyHover('weight', analysis)!, /`w_t` = w\.reshape\(Cout, -1\)\.T `\(12, 2\)`/);
    assert.match(specKeyHover('grad', analysis)!, /must have the output's shape `\(1, 2, 3, 3\)`/);
  });

  it('on a key of a broken spec: the problems in the way', () => {
    const broken = analyzeSpec(JsonSource.parse('b.json', JSON.stringify({ input: ones(1, 3, 4, 4), weight: [[[['x']]]] })));
    assert.match(specKeyHover('weight', broken)!, /need a valid spec first:\n- expected a number/);
  });

  it('on a .npy reference: the file\'s shape and dtype', () => {
    const source: SourceReading = { path: ['input'], format: 'npy', file: 'x.npy', stored: 'float32', tensor: tensor([1, 3, 4, 4], new Array(48).fill(0.5)) };
    assert.match(rendered(specKeyHover('input', analysis, source)!), /^\*\*x\.npy\*\*: float32 `\(1, 3, 4, 4\)`\n\nmin 0\.5 · max 0\.5 · mean 0\.5/);
  });

  describe('network specs (examples/lenet.conv.json)', () => {
    const LENET = fs.readFileSync(path.join(__dirname, '../../../examples/lenet.conv.json'), 'utf8');
    const lenet = analyzeSpec(JsonSource.parse('lenet.conv.json', LENET));

    it('a layer\'s keys are found in the text, and the hover on one shows that layer\'s input and output shapes', () => {
      const scan = scanTensors(LENET);
      // The third "type" key in the text is layers[2]'s: maxpool2d.
      const typeKeys = scan.keys.filter(k => k.path[0] === 'layers' && k.path[2] === 'type');
      assert.deepStrictEqual(typeKeys.map(k => k.path[1]), [0, 1, 2, 3, 4, 5, 6, 7]);
      const key = keyAt(scan, typeKeys[2].offset + 1)!;
      const text = networkKeyHover(key.path.slice(0, 2), lenet)!;
      assert.match(text, /^\*\*layers\[2\]\*\* maxpool2d 2×2 · `\(1, 6, 24, 24\)` → `\(1, 6, 12, 12\)`/);
      assert.match(text, /`pool_t` `\(1, 6, 144, 4\)`/);
      assert.ok(text.includes('Hout = floor((24 + 2·0 - 1·(2-1) - 1) / 2) + 1 = 12'));
    });

    it('a conv layer shows a_t, w_t and its output-size formula; "layers" lists the chain', () => {
      const conv = networkKeyHover(['layers', 3], lenet)!;
      assert.match(conv, /`\(1, 6, 12, 12\)` → `\(1, 16, 8, 8\)`/);
      assert.match(conv, /`a_t` = im2col\(pad\(input\)\) `\(1, 64, 150\)`, `w_t` `\(150, 16\)`/);
      assert.ok(conv.includes('Hout = floor((12 + 0 + 0 - 1·(5-1) - 1) / 1) + 1 = 8'));
      const chain = networkKeyHover(['layers'], lenet)!;
      assert.match(chain, /8 layers, `\(1, 1, 28, 28\)` → `\(1, 10\)`/);
      assert.match(chain, / 7 {2}linear 256→10 +\(1, 256\) → \(1, 10\)/);
      assert.match(networkKeyHover(['loss'], lenet)!, /output `\(1, 10\)` of layers\[7\]/);
    });

    it('when the chain does not fit, a layer\'s hover names the problem at that layer', () => {
      const broken = JSON.parse(LENET);
      broken.layers.splice(6, 1); // no flatten before the linear layer
      const a = analyzeSpec(JsonSource.parse('b.json', JSON.stringify(broken)));
      assert.strictEqual(a.layers, undefined);
      assert.match(rendered(networkKeyHover(['layers', 6], a)!), /layers\[6\].*\n- .*\(1, 16, 4, 4\)/);
    });
  });

  it('on any numeric array: shape, count, min / max / mean, non-finite, the cell, the first rows', () => {
    const scan = scanTensors(SEED);
    const offset = SEED.indexOf('[9, 1, 6, 7]') + 1;
    const text = tensorHover(SEED, tensorAt(scan, offset)!, offset);
    assert.match(rendered(text), /^\*\*\$\.input\*\* · tensor `\(1, 3, 4, 4\)` · 48 values/);
    assert.match(text, /min 1 · max 9 · mean 4\.6875 · non-finite 0/);
    assert.match(text, /cell `input\[0, 1, 0, 0\]` = 9/);
    assert.match(text, /first 2-D slice \[0, 0\]:\n```text\n1 6 6 2\n4 3 4 3\n3 6 7 7\n1 5 1 2\n```/);
  });

  // How fast, in an 8 MB file: `npm run bench` (test/bench/hoverBench.ts), not a timed unit test.
  it('answers for a tensor in an 8 MB file from the document\'s scan', () => {
    const rows = Array.from({ length: 2000 }, (_, i) => Array.from({ length: 250 }, (_, j) => ((i * 31 + j * 17) % 1000) / 7));
    const text = JSON.stringify({ input: [[rows]], weight: [[[[1]]]] });
    const scan = scanTensors(text);
    const offset = text.length - 1000;
    const hover = tensorHover(text, tensorAt(scan, offset)!, offset);
    assert.match(hover, /\(1, 1, 2000, 250\)/);
  });

  it('a file over the scan budget says it is too large (or too deep) to preview, in English and Chinese', () => {
    const deep = '['.repeat(1000) + '1' + ']'.repeat(1000);
    const scan = scanTensors(deep);
    assert.strictEqual(scan.skipped, 'too deep');
    assert.match(skippedScanHover(scan.skipped!), /nests more than 256 levels deep, too deep to preview/);
    assert.match(skippedScanHover(scan.skipped!, 'zh-cn'), /嵌套超过 256 层/);
    assert.match(skippedScanHover('too large'), /too large to preview/);
    assert.match(skippedScanHover('too large', 'zh-cn'), /太大，无法预览/);
  });

  describe('text from the file shows as written, never as Markdown or control characters', () => {
    const KEY = '*a_ [x](y) `b` <i>\u001b]0;t\u0007\nc\u202e';
    /** Nothing raw: no control or bidi character, none of the key's markup unescaped outside code spans (where it is literal). */
    function assertInert(md: string): void {
      assert.ok(!/[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u.test(md.replace(/\n/g, '')), JSON.stringify(md));
      const outsideCode = md.replace(/(?<!`)(`+)(?!`)[^]*?(?<!`)\1(?!`)/g, '');
      for (const markup of ['*a_', '[x](y)', '`b`', '<i>']) assert.ok(!outsideCode.includes(markup), `${markup} raw in ${JSON.stringify(md)}`);
    }

    it('a tensor under a key with * _ [ ` < and control characters: its path, ragged place and cell', () => {
      const text = JSON.stringify({ [KEY]: [[1, 2], [3]] });
      const scan = scanTensors(text);
      const offset = text.indexOf('[1,2]') + 1;
      const hover = tensorHover(text, tensorAt(scan, offset)!, offset);
      assertInert(hover);
      const path = `$[${JSON.stringify(KEY)}]`;
      assert.ok(rendered(hover).startsWith(`**${printable(path)}** · tensor`), hover);
      assert.ok(rendered(hover).includes(printable(`${path}[1]`)), hover);
      assert.match(hover, /cell `+ ?\*a_ \[x\]\(y\) `b` <i>\\x1b\]0;t\\x07\\nc\\u202e\[0, 0\] ?`+ = 1/);
    });

    it('a spec key and the problems quoting it', () => {
      const a = analyzeSpec(JsonSource.parse('k.json', JSON.stringify({ input: ones(1, 1, 2, 2), weight: [[[['x']]]], [KEY]: 1 })));
      const hover = specKeyHover(KEY, a)!;
      assertInert(hover);
      assert.ok(rendered(hover).startsWith(`**${printable(KEY)}**: the derived shapes`), hover);
      assert.ok(rendered(hover).includes(`- unknown key "${printable(KEY)}"`), hover);
    });

    it('a network spec key and the problems quoting it', () => {
      const a = analyzeSpec(JsonSource.parse('n.json', JSON.stringify({ input: ones(1, 1, 2, 2), layers: [{ type: 'relu' }], [KEY]: 1 })));
      const hover = networkKeyHover([KEY], a)!;
      assertInert(hover);
      assert.ok(rendered(hover).startsWith(`**${printable(KEY)}**: the shapes`), hover);
    });

    it('a .npy file name and the dtype its header claims', () => {
      const line = npyLine({ file: `${KEY}.npy`, shape: [2], dtype: '<i>\u001b[2J' });
      assertInert(line);
      assert.strictEqual(rendered(line), `**${printable(KEY)}.npy**: ${printable('<i>\u001b[2J')} \`(2,)\``);
    });
  });
});

describe('mayBeSpecText (the check before parsing a JSON document)', () => {
  const key = fc.constantFrom('input', 'weight', 'layers', 'bias', 'rows', 'data', 'inputs', 'weights');
  const value = fc.oneof(fc.integer(), fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 4 }), fc.string({ maxLength: 6 }));
  const document = fc.tuple(fc.dictionary(key, value, { maxKeys: 5 }), fc.constantFrom(undefined, 1, 2, '\t'));

  it('is never false for a text whose value looks like a spec', () => {
    let specs = 0;
    fc.assert(fc.property(document, ([v, indent]) => {
      const text = JSON.stringify(v, null, indent);
      if (looksLikeSpec(JSON.parse(text))) { specs++; assert.ok(mayBeSpecText(text), text); }
    }), { numRuns: 500 });
    assert.ok(specs > 20, `${specs} specs generated`);
    // Keys spelled with escapes are still keys.
    const escaped = '{"\\u0069nput": [[[[1]]]], "weight": [[[[1]]]]}';
    assert.ok(looksLikeSpec(JSON.parse(escaped)) && mayBeSpecText(escaped));
    assert.ok(mayBeSpecText(SEED));
  });

  it('is false for data files without the keys, so they are not parsed on every edit', () => {
    assert.ok(!mayBeSpecText(JSON.stringify({ rows: [[1, 2], [3, 4]], labels: ['a', 'b'] })));
    assert.ok(!mayBeSpecText(JSON.stringify({ inputs: [1], weights: [2] })));
    assert.ok(!mayBeSpecText(JSON.stringify({ input: [1], kernel: [2] })));
  });
});

describe('the editor runs no forward pass for a hover, a diagnostic or a CodeLens', () => {
  // Every network layer and loss runs forward through its kind's module: while this suite runs, each one throws.
  type Runs = { forward: (...args: never[]) => unknown };
  const kinds = [...new Set<Runs>([...LAYER_TYPES.map(type => kindOf({ type } as LayerSpec)), lossKind])];
  let saved: Runs['forward'][] = [];
  beforeEach(() => {
    saved = kinds.map(k => k.forward);
    for (const k of kinds) k.forward = () => { throw new Error('a forward pass ran'); };
  });
  afterEach(() => kinds.forEach((k, i) => { k.forward = saved[i]; }));

  for (const file of ['lenet.conv.json', 'two-layer.conv.json', 'bn.conv.json']) {
    it(`${file}: the analysis plans every layer (and checks the loss); each layer's hover and the loss's say them`, () => {
      const text = fs.readFileSync(path.join(__dirname, '../../../examples', file), 'utf8');
      const a = analyzeSpec(JsonSource.parse(file, text));
      assert.deepStrictEqual(a.problems, []);
      const count = (JSON.parse(text) as { layers: unknown[] }).layers.length;
      assert.strictEqual(a.layers?.length, count);
      for (let i = 0; i < count; i++) assert.match(networkKeyHover(['layers', i], a) ?? '', new RegExp(`^\\*\\*layers\\[${i}\\]\\*\\* `));
      assert.ok(networkKeyHover(['loss'], a)?.includes(codeShape(a.layers![count - 1].output)));
      // The trap does catch a forward pass: tracing the same text runs one.
      assert.throws(() => traceAnySpecText(file, text), /a forward pass ran/);
    });
  }
});
