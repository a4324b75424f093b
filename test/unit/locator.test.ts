// Finding tensors in arbitrary JSON: ranges, shapes, statistics, raggedness.

import * as assert from 'assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { SCAN_BUDGET, indexWithin, previewRows, scanTensors, tensorAt } from '../../src/specReader/locator';
import { english } from '../../src/specReader/problemText.en';
import { rng } from './helpers';

const SEED = fs.readFileSync(path.join(__dirname, '../../../examples/seed.conv.json'), 'utf8');

describe('tensor locator', () => {
  it('finds the seed spec\'s tensors with their shapes and exact ranges', () => {
    const scan = scanTensors(SEED);
    assert.deepStrictEqual(scan.tensors.map(t => [t.path.join('.'), t.shape]), [['input', [1, 3, 4, 4]], ['weight', [2, 3, 2, 2]], ['bias', [2]]]);
    for (const t of scan.tensors) {
      const slice = SEED.slice(t.offset, t.offset + t.length);
      assert.ok(slice.startsWith('[') && slice.endsWith(']'));
      assert.deepStrictEqual(JSON.stringify(JSON.parse(slice)), JSON.stringify((JSON.parse(SEED) as Record<string, unknown>)[t.path[0] as string]));
    }
    const input = scan.tensors[0];
    const values = ((JSON.parse(SEED) as { input: number[][][][] }).input).flat(3);
    assert.deepStrictEqual(input.stats, { count: 48, min: 1, max: 9, mean: values.reduce((a, b) => a + b, 0) / 48, nonFinite: 0 });
  });

  it('finds arrays anywhere: nested in objects, in lists of records, at the root', () => {
    const text = '{"layers": [{"w": [[1, 2], [3, 4]], "name": "a"}, {"w": [5]}], "x": [[[1]]], "labels": ["a", "b"], "empty": []}';
    const scan = scanTensors(text);
    assert.deepStrictEqual(scan.tensors.map(t => [JSON.stringify(t.path), t.shape]), [
      ['["layers",0,"w"]', [2, 2]], ['["layers",1,"w"]', [1]], ['["x"]', [1, 1, 1]],
    ]);
    assert.deepStrictEqual(scanTensors('[[1, 2, 3]]').tensors.map(t => t.shape), [[1, 3]]);
  });

  it('a list of numeric arrays mixed with other things yields the numeric ones', () => {
    const scan = scanTensors('{"data": [[1, 2], "note", [3, 4, 5]]}');
    assert.deepStrictEqual(scan.tensors.map(t => [JSON.stringify(t.path), t.shape]), [['["data",0]', [2]], ['["data",2]', [3]]]);
  });

  it('reports ragged blocks with the path where they break', () => {
    const scan = scanTensors('{"input": [[[1, 2], [3, 4]], [[5, 6], [7]]]}');
    const t = scan.tensors[0];
    assert.deepStrictEqual(t.shape, [2, 2, 2]);
    assert.deepStrictEqual(t.ragged?.path, ['input', 1, 1]);
    assert.match(english(t.ragged!.problem), /ragged array: shape \(1,\) where \$\.input\[1\]\[0\] has \(2,\)/);
    assert.match(english(scanTensors('[[1, 2], 3]').tensors[0].ragged!.problem), /numbers and arrays mixed/);
  });

  it('counts NaN and Infinity written as strings (and keeps them out of min, max, mean)', () => {
    const t = scanTensors('{"a": [1, "NaN", 3, "-Infinity"]}').tensors[0];
    assert.deepStrictEqual(t.stats, { count: 4, min: 1, max: 3, mean: 2, nonFinite: 2 });
  });

  it('finds the tensor under an offset and the index within it; previews the first rows', () => {
    const scan = scanTensors(SEED);
    const at = SEED.indexOf('[5, 6], [9, 3]');
    const t = tensorAt(scan, at + 1)!;
    assert.deepStrictEqual(t.path, ['weight']);
    assert.deepStrictEqual(indexWithin(SEED, t, at + 4), [1, 0, 0, 1]);
    assert.strictEqual(tensorAt(scan, SEED.indexOf('"stride"')), undefined);
    assert.deepStrictEqual(previewRows(SEED, scan.tensors[0]), [[1, 6, 6, 2], [4, 3, 4, 3], [3, 6, 7, 7], [1, 5, 1, 2]]);
  });

  it('finds the index under any offset of a big tensor (walked from checkpoints), comments with brackets and commas included', () => {
    // Each value spells its own index (i, j, k) as (i+1)·10⁶ + j·10³ + k, seven digits (the comments' numbers are
    // shorter): the oracle needs no walking.
    const rand = rng(21);
    const [I, J, K] = [3, 100, 120];
    const rows: string[] = [];
    for (let i = 0; i < I; i++) {
      const plane: string[] = [];
      for (let j = 0; j < J; j++) {
        const values = Array.from({ length: K }, (_, k) => {
          const v = String((i + 1) * 1e6 + j * 1e3 + k);
          const r = rand();
          return r < 0.02 ? `/* [${k}, ] */ ${v}` : r < 0.04 ? `${v} // ], [\n` : r < 0.2 ? `  ${v}` : v;
        });
        plane.push(`[${values.join(',')}]`);
      }
      rows.push(`[\n${plane.join(',\n')}\n]`);
    }
    const text = `{"t": [${rows.join(', ')}]}`;
    assert.ok(text.length > 4 * 65536, `${text.length} characters`);
    const t = scanTensors(text).tensors[0];
    assert.deepStrictEqual(t.shape, [I, J, K]);
    const numbers = [...text.matchAll(/\d{7}/g)];
    assert.strictEqual(numbers.length, I * J * K);
    for (let n = 0; n < 3000; n++) {
      const m = numbers[Math.floor(rand() * numbers.length)];
      const v = Number(m[0]);
      const at = m.index! + Math.floor(rand() * 7);
      assert.deepStrictEqual(indexWithin(text, t, at), [Math.floor(v / 1e6) - 1, Math.floor(v / 1e3) % 1e3, v % 1e3], `offset ${at} in ${m[0]}`);
    }
    // At the tensor's closing bracket every bracket is closed.
    assert.deepStrictEqual(indexWithin(text, t, t.offset + t.length - 1), []);
  });

  it('shapes and statistics agree with JSON.parse on random nested arrays', () => {
    const block = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }))
      .chain(([a, b, c]) => fc.array(fc.array(fc.array(fc.integer({ min: -50, max: 50 }), { minLength: c, maxLength: c }), { minLength: b, maxLength: b }), { minLength: a, maxLength: a }));
    fc.assert(fc.property(block, value => {
      const text = JSON.stringify({ t: value }, null, 1);
      const t = scanTensors(text).tensors[0];
      const flat = value.flat(2);
      assert.deepStrictEqual(t.shape, [value.length, value[0].length, value[0][0].length]);
      assert.strictEqual(t.stats.count, flat.length);
      assert.strictEqual(t.stats.min, Math.min(...flat));
      assert.strictEqual(t.stats.max, Math.max(...flat));
      assert.ok(Math.abs(t.stats.mean - flat.reduce((a, b) => a + b, 0) / flat.length) < 1e-9);
      assert.strictEqual(t.ragged, undefined);
    }), { numRuns: 100 });
  });

  it('scans a 5 MB file quickly enough to do once per edit', () => {
    const rows = Array.from({ length: 2000 }, (_, i) => Array.from({ length: 250 }, (_, j) => ((i * 31 + j * 17) % 1000) / 7));
    const text = JSON.stringify({ input: [[rows]] });
    assert.ok(text.length > 4_000_000);
    const t0 = Date.now();
    const scan = scanTensors(text);
    const ms = Date.now() - t0;
    assert.deepStrictEqual(scan.tensors[0].shape, [1, 1, 2000, 250]);
    // Generous: this is a guard against quadratic behaviour, not a benchmark.
    assert.ok(ms < 5000, `scan took ${ms} ms`);
  });

  describe('a budget, so no JSON file stalls the extension host', () => {
    /** About `chars` characters of JSON made of `piece(i)` for i = 0, 1, ..., joined by commas inside `open` and `close`. */
    function generated(chars: number, open: string, piece: (i: number) => string, close: string): string {
      const parts: string[] = [];
      for (let i = 0, length = 0; length < chars; i++) { parts.push(piece(i)); length += parts[i].length + 1; }
      return open + parts.join(',') + close;
    }
    const records = (chars: number) => generated(chars, '[', i => JSON.stringify({ id: i, name: `item${i}`, w: [i % 7, i % 5], tags: ['a', 'b'] }), ']');
    const columns = (chars: number) => generated(chars, '{"t": [', i => `[${i % 10}]`, ']}');
    const unlimited = { maxChars: Infinity, maxWork: Infinity, maxKept: Infinity, maxDepth: Infinity };
    let records42MB: string | undefined;
    before(() => { records42MB = records(42e6); });
    after(() => { records42MB = undefined; });

    it('a 42 MB file of small records is not parsed at all: too large, no work done', () => {
      const text = records42MB!;
      assert.ok(text.length > 42e6 && text.length > SCAN_BUDGET.maxChars);
      const scan = scanTensors(text);
      assert.deepStrictEqual({ ...scan }, { tensors: [], keys: [], hasErrors: false, skipped: 'too large', work: 0 });
    });

    it('under the size limit, records stop the scan once it has made maxKept keys and tensors, well before the end', () => {
      const scan = scanTensors(records42MB!, { ...unlimited, maxKept: 1000 });
      assert.strictEqual(scan.skipped, 'too large');
      assert.deepStrictEqual([scan.tensors.length, scan.keys.length], [0, 0]);
      // Each record is 15 events and makes 5 keys and a tensor: 1000 kept is under 200 records of the 600 000.
      assert.ok(scan.work < 200 * 15, `work ${scan.work}`);
    });

    it('3 M numbers in one array stop the scan at maxWork events, no object kept per number; 150 000 one-number rows at maxKept', () => {
      const flat = scanTensors(generated(3 * SCAN_BUDGET.maxWork, '{"t": [', i => String(i % 10), ']}'), { ...SCAN_BUDGET, maxChars: Infinity });
      // Stopped by the work, not by what it kept: numbers are counted, not kept.
      assert.deepStrictEqual([flat.skipped, flat.work], ['too large', SCAN_BUDGET.maxWork + 1]);
      const rows = scanTensors(columns(6 * SCAN_BUDGET.maxKept), { ...SCAN_BUDGET, maxChars: Infinity });
      assert.strictEqual(rows.skipped, 'too large');
      // The object, its key "t" (kept: 1), the array; then two events a row (its bracket, its number), each row kept.
      assert.strictEqual(rows.work, 3 + 2 * SCAN_BUDGET.maxKept);
    });

    it('counts work exactly: the budget of a full scan passes, one event less gives up', () => {
      const full = scanTensors(SEED, unlimited);
      assert.strictEqual(full.skipped, undefined);
      assert.deepStrictEqual(scanTensors(SEED, { ...unlimited, maxWork: full.work }), full);
      assert.deepStrictEqual(scanTensors(SEED, { ...unlimited, maxWork: full.work - 1 }), { tensors: [], keys: [], hasErrors: false, skipped: 'too large', work: full.work });
      assert.deepStrictEqual(scanTensors(SEED), full, 'the seed is well within the default budget');
    });

    it(`nesting deeper than ${SCAN_BUDGET.maxDepth} levels gives up instead of overflowing the stack`, () => {
      for (const depth of [SCAN_BUDGET.maxDepth, SCAN_BUDGET.maxDepth + 1, 100_000]) {
        const text = '['.repeat(depth) + '1' + ']'.repeat(depth);
        const scan = scanTensors(text);
        if (depth <= SCAN_BUDGET.maxDepth) assert.deepStrictEqual(scan.tensors[0].shape, new Array(depth).fill(1));
        else assert.deepStrictEqual([scan.skipped, scan.tensors.length, scan.work], ['too deep', 0, SCAN_BUDGET.maxDepth + 1]);
      }
    });
  });
});
