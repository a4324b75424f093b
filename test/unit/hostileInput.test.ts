// Hostile input to the spec reader: the files a spec names (special files, links out
// of the workspace folder, sizes a header lies about), JSON nested too deep for the
// parsers, a byte order mark, duplicate keys; and a fuzz of .npy headers.

import * as assert from 'assert';
import * as fc from 'fast-check';
import { tensor } from '../../src/engine/tensor';
import { trace } from '../../src/lib';
import { analyzeSpec, traceSpecText } from '../../src/specReader/convSpec';
import { scanTensors } from '../../src/specReader/locator';
import { nestedToTensor } from '../../src/specReader/nested';
import { TensorFileError } from '../../src/specReader/fileError';
import { NPY_HEADER_ROOM, decodeNpy, encodeNpy } from '../../src/specReader/npy';
import { JsonSource, MAX_NESTING, NestingError, SpecError } from '../../src/specReader/source';
import { NpyFile, NpyFiles, isInsideFolder, maxNpyBytes, readSpecFiles } from '../../src/specReader/specFiles';
import { english } from '../../src/specReader/problemText.en';
import { TOTAL_FACTOR } from '../../src/engine/budget';
import { MemoryEntry, memoryFiles, npyFile, npyReferences } from './helpers';
import { specFileReferences } from '../../src/specReader/tensorSource';

const ones = (...shape: number[]): unknown => (shape.length === 0 ? 1 : Array.from({ length: shape[0] }, () => ones(...shape.slice(1))));
const weight = ones(2, 3, 2, 2);
const SPEC = '/ws/spec.conv.json';
const inputNpy = encodeNpy(tensor([1, 3, 4, 4], new Array(48).fill(1)));

/** The problems analyzeSpec reports for a spec whose input is {"npy": "x.npy"}, with these files. */
function npyProblems(npy: NpyFiles): string[] {
  return analyzeSpec(JsonSource.parse('s.json', JSON.stringify({ input: { npy: 'x.npy' }, weight })), npy).problems.map(p => `${JSON.stringify(p.path)} ${p.detail}`);
}

async function readX(entries: Record<string, MemoryEntry>, maxElements = 1000, folder?: string) {
  const fs = memoryFiles(entries);
  const files = await readSpecFiles(SPEC, npyReferences('x.npy'), fs, { maxElements, folder });
  return { file: files.get('x.npy'), reads: fs.reads };
}

const problemOf = (file: NpyFile | undefined): string => (file && !(file instanceof Uint8Array) ? english(file.problem) : `not a problem: ${String(file)}`);

describe('hostile input: files a spec names (readSpecFiles)', () => {
  for (const type of ['fifo', 'device', 'directory', 'socket'] as const) {
    it(`a ${type} is refused without being opened, at $.input.npy`, async () => {
      const { file, reads } = await readX({ '/ws/x.npy': { type } });
      assert.match(problemOf(file), /^not a regular file \(a (FIFO|device|directory|socket)\)$/);
      assert.deepStrictEqual(reads, []);
      assert.match(npyProblems(new Map([['x.npy', file!]]))[0], /^\["input","npy"\] x\.npy: not a regular file/);
    });
  }

  it('a link to a device is judged by its target', async () => {
    const { file, reads } = await readX({ '/ws/x.npy': { link: '/dev/zero' }, '/dev/zero': { type: 'device' } });
    assert.strictEqual(problemOf(file), 'not a regular file (a device)');
    assert.deepStrictEqual(reads, []);
  });

  it('a file larger than the element limit allows is refused before any read (not called "missing")', async () => {
    const { file, reads } = await readX({ '/ws/x.npy': { size: 3e9 } }, 1000);
    assert.match(problemOf(file), /^the file is 3000000000 bytes, more than the element limit of 1000 allows$/);
    assert.deepStrictEqual(reads, []);
  });

  it('a header declaring (100000, 100000) over 10 floats is refused after reading the header only', async () => {
    const bytes = npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }", new Uint8Array(80));
    const { file, reads } = await readX({ '/ws/x.npy': { bytes } }, 1e12);
    assert.match(problemOf(file), /^the \.npy data is cut short: shape \(100000, 100000\) needs 80000000000 bytes, the file has 80$/);
    assert.ok(reads.every(r => r.length <= NPY_HEADER_ROOM), JSON.stringify(reads));
  });

  it('a header within the file size but over the element limit is refused after reading the header only', async () => {
    const bytes = npyFile("{'descr': '|u1', 'fortran_order': False, 'shape': (4000,), }", new Uint8Array(4000));
    const { file, reads } = await readX({ '/ws/x.npy': { bytes } }, 1000);
    assert.strictEqual(problemOf(file), 'the array has 4000 elements, more than the element limit of 1000');
    assert.ok(reads.every(r => r.length <= NPY_HEADER_ROOM));
  });

  it('a good file is read whole', async () => {
    const { file } = await readX({ '/ws/x.npy': { bytes: inputNpy } }, 1000);
    assert.deepStrictEqual(file, inputNpy);
    assert.deepStrictEqual(npyProblems(new Map([['x.npy', file!]])), []);
  });

  it('files each within the limit but too many bytes together: the rest are refused unread', async () => {
    const bytes = npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1000,), }", new Uint8Array(8000));
    const names = Array.from({ length: 40 }, (_, i) => `w${i}.npy`);
    const fs = memoryFiles(Object.fromEntries(names.map(n => [`/ws/${n}`, { bytes }])));
    const files = await readSpecFiles(SPEC, npyReferences(...names), fs, { maxElements: 1000 });
    const read = names.filter(n => files.get(n) instanceof Uint8Array);
    const room = TOTAL_FACTOR * maxNpyBytes(1000);
    assert.strictEqual(read.length, Math.floor(room / bytes.length), 'as many files as the room holds are read');
    assert.match(problemOf(files.get(names[read.length])), /more than the \d+ bytes left for the spec's files together/);
    assert.ok(fs.reads.every(r => read.includes(r.file.slice('/ws/'.length))), 'no byte of a refused file was read');
  });

  it('a missing file stays absent and is reported as missing', async () => {
    const { file } = await readX({});
    assert.strictEqual(file, undefined);
    assert.deepStrictEqual(npyProblems(new Map()), ['["input","npy"] missing file "x.npy" (paths are relative to the spec)']);
  });
});

describe('hostile input: a spec reads files from its workspace folder only', () => {
  const folderFiles: Record<string, MemoryEntry> = {
    '/outside.npy': { bytes: inputNpy },
    '/secret/x.npy': { bytes: inputNpy },
    '/ws/data/x.npy': { bytes: inputNpy },
    '/ws/out.npy': { link: '/secret/x.npy' },
    '/ws/in.npy': { link: 'data/x.npy' },
    '/home/ws': { link: '/ws' },
  };
  const read = async (spec: string, written: string, folder: string) => {
    const fs = memoryFiles(folderFiles);
    const files = await readSpecFiles(spec, npyReferences(written), fs, { maxElements: 1000, folder });
    return { file: files.get(written), reads: fs.reads };
  };

  it('isInsideFolder compares whole segments', () => {
    assert.ok(isInsideFolder('/ws', '/ws/a.npy'));
    assert.ok(isInsideFolder('file:///ws/', 'file:///ws/d/a.npy'));
    assert.ok(!isInsideFolder('/ws', '/ws2/a.npy'));
    assert.ok(!isInsideFolder('/ws', '/a.npy'));
  });

  it('../outside.npy is refused, unread', async () => {
    const { file, reads } = await read(SPEC, '../outside.npy', '/ws');
    assert.strictEqual(problemOf(file), 'the file is outside the workspace folder "ws"; a spec reads files from its own workspace folder only');
    assert.deepStrictEqual(reads, []);
  });

  it('a link out of the folder is refused, unread', async () => {
    const { file, reads } = await read(SPEC, 'out.npy', '/ws');
    assert.match(problemOf(file), /outside the workspace folder "ws"/);
    assert.deepStrictEqual(reads, []);
  });

  it('a link within the folder, and a folder reached through a link, are read', async () => {
    assert.deepStrictEqual((await read(SPEC, 'in.npy', '/ws')).file, inputNpy);
    assert.deepStrictEqual((await read('/home/ws/spec.conv.json', 'data/x.npy', '/home/ws')).file, inputNpy);
  });

  it('without a folder (the CLI) files are read from anywhere', async () => {
    const fs = memoryFiles(folderFiles);
    const files = await readSpecFiles(SPEC, npyReferences('../outside.npy'), fs, { maxElements: 1000 });
    assert.deepStrictEqual(files.get('../outside.npy'), inputNpy);
  });
});

describe('hostile input: JSON nested too deep', () => {
  const deep = (n: number, closed: boolean) => '{"input": ' + '['.repeat(n) + (closed ? ']'.repeat(n) + ', "weight": []}' : '');

  for (const closed of [true, false]) {
    it(`10,000 levels (${closed ? 'valid' : 'unclosed'}): a SpecError at the bracket, from parse, traceSpecText and every face`, () => {
      const text = deep(10_000, closed);
      const offset = text.indexOf('[') + MAX_NESTING - 1;
      for (const fn of [() => JsonSource.parse('d.json', text), () => traceSpecText('d.json', text), () => trace(text)]) {
        assert.throws(fn, (e: unknown) => {
          assert.ok(e instanceof NestingError, String(e));
          assert.deepStrictEqual([e.position?.line, e.position?.column, e.position?.offset], [1, offset + 1, offset]);
          assert.match(e.message, /^(d\.json|<spec>):1:\d+: nested more than 64 levels deep, too deep for a spec$/);
          return true;
        });
      }
      const scan = scanTensors(text);
      assert.deepStrictEqual([scan.skipped, scan.tensors, scan.keys], ['too deep', [], []]);
    });
  }

  it('brackets inside strings and comments do not count', () => {
    const text = `{"input": "${'['.repeat(100)}", /* ${'{'.repeat(100)} */ // ${'['.repeat(100)}\n "weight": 1}`;
    assert.deepStrictEqual(JsonSource.parse('s.json', text).value, { input: '['.repeat(100), weight: 1 });
  });

  it('a parsed value nested too deep, or holding itself, is a SpecError in the library', () => {
    let v: unknown = 1;
    for (let i = 0; i < 10_000; i++) v = [v];
    assert.throws(() => trace({ input: v, weight }), (e: unknown) => e instanceof SpecError && /too deep/.test(e.message));
    const cyclic: Record<string, unknown> = { weight };
    cyclic.input = cyclic;
    assert.throws(() => trace(cyclic), (e: unknown) => e instanceof SpecError && /too deep/.test(e.message));
    const loop: unknown[] = [];
    loop.push(loop);
    assert.throws(() => nestedToTensor(loop, ['input'], 'float64', { rank: 4, axes: '(B, C, H, W)' }), /too deep/);
    const layers: unknown[] = [];
    layers.push({ type: 'relu', x: layers });
    assert.deepStrictEqual(specFileReferences({ input: { npy: 'a.npy' }, layers }), npyReferences('a.npy'));
  });
});

describe('hostile input: one reading of the JSON text everywhere', () => {
  it('a UTF-8 byte order mark is dropped, positions as an editor counts them', () => {
    const text = '\ufeff{"input": 5, "weight": 1}';
    const source = JsonSource.parse('b.json', text);
    assert.deepStrictEqual(source.value, { input: 5, weight: 1 });
    const e = analyzeSpec(source).problems[0];
    assert.deepStrictEqual([e.path, e.position?.line, e.position?.column], [['input'], 1, 11]);
  });

  it('duplicate keys: the problem points at the last occurrence, the one JSON.parse keeps', () => {
    const text = `{\n  "input": ${JSON.stringify(ones(1, 3, 4, 4))},\n  "weight": ${JSON.stringify(weight)},\n  "input": "bad"\n}`;
    for (const t of [text, text.replace('{', '{ // comments take the slow path\n')]) {
      const source = JsonSource.parse('d.json', t);
      const [e] = analyzeSpec(source).problems;
      assert.strictEqual(e.detail, 'expected a 4-D array (B, Cin, H, W), found the string "bad"');
      const lines = t.split('\n');
      assert.strictEqual(e.position?.line, lines.findIndex(l => l.includes('"bad"')) + 1);
      assert.strictEqual(source.locateKey(['input'])?.line, lines.findIndex(l => l.includes('"bad"')) + 1);
    }
  });
});

describe('hostile input: fuzzed .npy headers', () => {
  const DTYPES = [
    { descr: '<f8', size: 8, write: (dv: DataView, at: number, x: number) => dv.setFloat64(at, x, true) },
    { descr: '>f4', size: 4, write: (dv: DataView, at: number, x: number) => dv.setFloat32(at, x, false) },
    { descr: '<i2', size: 2, write: (dv: DataView, at: number, x: number) => dv.setInt16(at, x, true) },
    { descr: '|u1', size: 1, write: (dv: DataView, at: number, x: number) => dv.setUint8(at, x & 0x7f) },
  ];
  const BAD_DESCR = ['<c16', '<U4', 'O', '!f8', '<f3', ''];
  const BAD_DIM = ['1e3', '0x10', '-1', 'abc', '2.5', '9007199254740993'];

  const fileArb = fc.record({
    shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
    dtype: fc.nat(DTYPES.length - 1),
    fortran: fc.boolean(),
    version: fc.oneof(fc.constantFrom(1, 2, 3), fc.constantFrom(0, 4, 255)),
    headerLength: fc.constantFrom('right', 'right', 'past the end', 'over numpy\'s limit'),
    descr: fc.option(fc.constantFrom(...BAD_DESCR), { freq: 3 }),
    badDim: fc.option(fc.constantFrom(...BAD_DIM), { freq: 3 }),
    hugeShape: fc.option(fc.constantFrom('(100000, 100000)', '(1099511627776,)', '(4000, 4000, 4000, 4000)'), { freq: 4 }),
    cut: fc.option(fc.integer({ min: 1, max: 200 }), { freq: 3 }),
  });
  type FileCase = typeof fileArb extends fc.Arbitrary<infer T> ? T : never;

  /** The file, and the values (C order) it holds when nothing about it was broken. */
  function build(c: FileCase): { bytes: Uint8Array; values?: number[]; count: number } {
    const dtype = DTYPES[c.dtype];
    const count = c.shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: count }, (_, i) => ((i * 37) % 101) - (dtype.descr === '|u1' ? 0 : 50));
    // Where element i (C order) sits: Fortran order reverses the strides.
    const offsets = values.map((_, i) => {
      if (!c.fortran) return i;
      let rest = i;
      const index = c.shape.map((_, d) => { const below = c.shape.slice(d + 1).reduce((a, b) => a * b, 1); const k = Math.floor(rest / below); rest %= below; return k; });
      let off = 0;
      let stride = 1;
      for (let d = 0; d < c.shape.length; d++) { off += index[d] * stride; stride *= c.shape[d]; }
      return off;
    });
    const data = new Uint8Array(count * dtype.size);
    const dv = new DataView(data.buffer);
    values.forEach((x, i) => dtype.write(dv, offsets[i] * dtype.size, x));
    const dims = c.shape.map(String);
    if (c.badDim !== null) dims[0] = c.badDim;
    const shapeText = c.hugeShape ?? (dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`);
    const dict = `{'descr': '${c.descr ?? dtype.descr}', 'fortran_order': ${c.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
    const lengthField = c.headerLength === 'past the end' ? 9000 : c.headerLength === 'right' ? undefined : 10_001;
    let bytes = npyFile(dict, data, c.version, lengthField);
    if (c.cut !== null) bytes = bytes.subarray(0, Math.max(0, bytes.length - c.cut));
    const intact = [1, 2, 3].includes(c.version) && c.headerLength === 'right' && c.descr === null && c.badDim === null && c.hugeShape === null && c.cut === null;
    return { bytes, values: intact ? values : undefined, count };
  }

  it('decodeNpy and the reader return exactly what the bytes hold, or refuse with TensorFileError / a problem', async () => {
    const started = Date.now();
    await fc.assert(fc.asyncProperty(fileArb, fc.constantFrom(10, 1000), async (c, maxElements) => {
      const { bytes, values, count } = build(c);
      let decoded: number[] | undefined;
      try {
        decoded = [...decodeNpy(bytes).data];
      } catch (e) {
        if (!(e instanceof TensorFileError)) throw e;
      }
      assert.deepStrictEqual(decoded, values);
      const { file, reads } = await readX({ '/ws/x.npy': { bytes } }, maxElements);
      if (values && count <= maxElements) {
        assert.deepStrictEqual(file, bytes);
      } else {
        assert.match(problemOf(file), /./);
        // Refused on its header: the data was never read.
        assert.ok(reads.every(r => r.length <= NPY_HEADER_ROOM), JSON.stringify(reads));
      }
    }), { numRuns: 300, interruptAfterTimeLimit: 4000 });
    assert.ok(Date.now() - started < 8000);
  });
});
