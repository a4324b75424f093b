// The spec reader's and the engine's problems in Chinese: a corpus of broken specs
// (and direct engine calls for what a spec cannot reach) produces the real English
// problems; each must come out Chinese, with its numbers, shapes, paths and quoted
// values intact, and every template of the table must be exercised by the corpus.

import * as assert from 'assert';
import { compareTensors, withComparison } from '../../src/engine/compare';
import { convInfo } from '../../src/engine/convInfo';
import { checkLinear, poolInfo } from '../../src/engine/layers';
import { traceNetwork } from '../../src/engine/network';
import { tensor } from '../../src/engine/tensor';
import { PROBLEM_PATTERNS, shownProblem, translateProblem } from '../../src/l10n/problems';
import { analyzeSpec, nonFiniteWarnings, traceAnySpecText, traceSpecText } from '../../src/spec/convSpec';
import { scanTensors } from '../../src/spec/locator';
import { encodeNpy } from '../../src/spec/npy';
import { JsonSource } from '../../src/spec/source';
import { NpyFiles, readSpecFiles } from '../../src/spec/specFiles';
import { MemoryEntry, memoryFiles } from './helpers';

const CJK = /[\u4e00-\u9fff]/;
const ones = (...shape: number[]): unknown => (shape.length === 0 ? 1 : Array.from({ length: shape[0] }, () => ones(...shape.slice(1))));
const input = ones(1, 3, 4, 4);
const weight = ones(2, 3, 2, 2);

/** A .npy file from its header dict text and raw data (as numpy lays it out). */
function npyFile(headerDict: string, data = new Uint8Array(0), major = 1): Uint8Array {
  const total = Math.ceil((10 + headerDict.length + 1) / 64) * 64;
  const header = headerDict.padEnd(total - 11, ' ') + '\n';
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(data, total);
  return out;
}

const message = (fn: () => unknown): string => {
  try { fn(); } catch (e) { return (e as Error & { problem?: string }).problem ?? (e as Error).message; }
  throw new Error('expected a problem');
};

/** Every problem the spec reader and the engine find in a spec: the analysis's, then the trace's. */
function problemsOf(spec: unknown, npy: NpyFiles = new Map(), maxElements?: number): string[] {
  const text = JSON.stringify(spec);
  const found = analyzeSpec(JsonSource.parse('broken.json', text), npy, maxElements).problems.map(p => p.problem);
  try { traceAnySpecText('broken.json', text, {}, npy); } catch (e) { found.push((e as { problem?: string }).problem ?? (e as Error).message); }
  return found;
}

const network = (layers: unknown[], extra: Record<string, unknown> = {}) => ({ input, layers, ...extra });
const withNpy = (file: Uint8Array) => problemsOf({ input: { npy: 'x.npy' }, weight }, new Map([['x.npy', file]]));
const f64 = (n: number) => new Uint8Array(8 * n);

const CORPUS: string[] = [
  // source.ts: the JSON itself
  message(() => JsonSource.parse('e.json', '  ')),
  message(() => JsonSource.parse('e.json', '{"input": [1,}')),
  message(() => JsonSource.parse('e.json', '{"input": [NaN]}')),
  message(() => JsonSource.parse('e.json', '{"input" 1}')),
  message(() => JsonSource.parse('e.json', '{"input": [1 2]}')),
  message(() => JsonSource.parse('e.json', '{"input": 1 "weight": 2}')),
  message(() => JsonSource.parse('e.json', '{"input": [1, 2]')),
  message(() => JsonSource.parse('e.json', '['.repeat(100))),
  // convSpec.ts: structure
  ...problemsOf([1, 2]),
  ...problemsOf({ input, weight, strid: 1, colour: 2 }),
  ...problemsOf({ input }),
  ...problemsOf({ input, weight, dtype: 'int8' }),
  ...problemsOf({ input: { npy: 3 }, weight }),
  ...problemsOf({ input: { npy: 'x.npy' }, weight }),
  ...problemsOf({ input, weight, stride: 'big' }),
  ...problemsOf({ input, weight, padding: 'full' }),
  ...problemsOf({ input, weight, groups: 'two' }),
  // nested.ts: the arrays
  ...problemsOf({ input: 5, weight }),
  ...problemsOf({ input: [[1, 2]], weight }),
  ...problemsOf({ input: [], weight }),
  ...problemsOf({ input: [[[[1, 2], [3]]]], weight }),
  ...problemsOf({ input: [[[[1, 2], 3]]], weight }),
  ...problemsOf({ input: [[[[1, [2]], [3, 4]]]], weight }),
  ...problemsOf({ input: [[[[1, 'x']]]], weight }),
  // npy.ts, through a spec
  ...withNpy(encodeNpy(tensor([2, 2], [1, 2, 3, 4]))),
  ...withNpy(new Uint8Array(16)),
  ...withNpy(npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", f64(1), 7)),
  ...withNpy(npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }").slice(0, 40)),
  ...withNpy(npyFile("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }")),
  ...withNpy(npyFile("{'fortran_order': False, 'shape': (1,), }")),
  ...withNpy(npyFile("{'descr': '<f8', 'shape': (1,), }")),
  ...withNpy(npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1, -2), }")),
  ...withNpy(npyFile("{'descr': '!f8', 'fortran_order': False, 'shape': (1,), }")),
  ...withNpy(npyFile("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(16))),
  ...withNpy(npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 3, 4, 4), }", f64(3))),
  ...withNpy(withHeaderLength(npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", f64(1)), 10_001)),
  // convInfo.ts and trace.ts: geometry, through a spec
  ...problemsOf({ input, weight, stride: 0 }),
  ...problemsOf({ input, weight, dilation: 1.5 }),
  ...problemsOf({ input, weight, padding: [1.5, 1] }),
  ...problemsOf({ input, weight, padding: -1 }),
  ...problemsOf({ input, weight, groups: 2 }),
  ...problemsOf({ input: ones(1, 4, 4, 4), weight: ones(3, 2, 2, 2), groups: 2 }),
  ...problemsOf({ input: ones(1, 4, 4, 4), weight }),
  ...problemsOf({ input, weight, bias: [1, 2, 3] }),
  ...problemsOf({ input, weight, stride: 2, padding: 'same' }),
  ...problemsOf({ input, weight: ones(2, 3, 5, 5) }),
  ...problemsOf({ input, weight, dilation: 4 }),
  ...problemsOf({ input, weight, grad: ones(1, 2, 2, 2) }),
  ...problemsOf({ input, weight }, new Map(), 50),
  // budget.ts: every layer's tensors counted, one by one and together
  ...problemsOf(network([{ type: 'maxpool2d', kernel: 4, stride: 1, padding: 2 }]), new Map(), 100),
  ...problemsOf(network(Array.from({ length: 30 }, () => ({ type: 'relu' }))), new Map(), 100),
  // convInfo.ts: what the spec reader stops before the engine sees it
  message(() => convInfo([1, 3, 4, 4], [2, 3, 2, 2], { stride: [1, 2, 3] as unknown as [number, number] })),
  message(() => convInfo([1, 3, 4, 4], [2, 3, 2, 2], { padding: [1, 2, 3] as unknown as [number, number] })),
  message(() => convInfo([3, 4, 4], [2, 3, 2, 2])),
  message(() => convInfo([1, 0, 4, 4], [2, 3, 2, 2])),
  // networkSpec.ts: structure
  ...problemsOf({ input, layers: [], colour: 1 }),
  ...problemsOf({ layers: [3, { type: 'pool' }, { type: 'relu', k: 1 }, { type: 'maxpool2d', size: 2, ceil_mode: 'yes' }, { type: 'leaky_relu', slope: 'x' }] }),
  ...problemsOf(network([{ type: 'relu' }], { loss: 3 })),
  ...problemsOf(network([{ type: 'relu' }], { loss: { type: 'cross_entropy', target: [-1] } })),
  ...problemsOf(network([{ type: 'relu' }], { loss: { type: 'mse', target: ones(1, 3, 4, 4) }, grad: ones(1, 3, 4, 4) })),
  ...problemsOf(network([{ type: 'conv2d', weight: { npy: 'w.npy' } }]), new Map([['w.npy', encodeNpy(tensor([2, 2], [1, 2, 3, 4]))]])),
  // layers.ts and network.ts: the chain
  ...problemsOf(network([{ type: 'maxpool2d', kernel: 0 }])),
  ...problemsOf(network([{ type: 'avgpool2d', kernel: 2, dilation: 2 }])),
  ...problemsOf(network([{ type: 'relu' }, { type: 'maxpool2d', kernel: 2, padding: -1 }])),
  ...problemsOf(network([{ type: 'maxpool2d', kernel: 2, padding: 2 }])),
  ...problemsOf(network([{ type: 'maxpool2d', kernel: 5 }])),
  ...problemsOf(network([{ type: 'flatten' }, { type: 'maxpool2d', kernel: 2 }])),
  ...problemsOf(network([{ type: 'linear', weight: ones(2, 48) }])),
  ...problemsOf(network([{ type: 'flatten' }, { type: 'linear', weight: ones(2, 47) }])),
  ...problemsOf(network([{ type: 'flatten' }, { type: 'linear', weight: ones(2, 48), bias: [1, 2, 3] }])),
  ...problemsOf(network([{ type: 'relu' }], { loss: { type: 'mse', target: ones(1, 3, 4, 3) } })),
  ...problemsOf(network([{ type: 'relu' }], { loss: { type: 'cross_entropy', target: [0] } })),
  ...problemsOf(network([{ type: 'flatten' }], { loss: { type: 'cross_entropy', target: [0, 1] } })),
  ...problemsOf(network([{ type: 'flatten' }], { loss: { type: 'cross_entropy', target: [99] } })),
  ...problemsOf(network([{ type: 'relu' }], { grad: ones(1, 3, 4, 3) })),
  message(() => poolInfo('avg', [1, 3, 4, 4], { kernel: 2, dilation: 2 })),
  message(() => checkLinear([1, 4], tensor([2, 2, 2], new Array(8).fill(1)))),
  message(() => traceNetwork({ input: tensor([3], [1, 2, 3]), layers: [{ type: 'flatten' }], dtype: 'float64' })),
  message(() => traceNetwork({ input: tensor([1, 3], [1, 2, 3]), layers: [], dtype: 'float64' })),
  // compare.ts
  message(() => compareTensors(tensor([2, 2], [1, 2, 3, 4]), tensor([3], [1, 2, 3]), 'z')),
  message(() => withComparison(traceSpecText('c.json', JSON.stringify({ input, weight })), 'bias', tensor([2], [1, 2]))),
  // NaN and Infinity in the tensors: the trace's warnings
  ...nonFiniteWarnings(traceAnySpecText('n.json', JSON.stringify({ input: [[[['NaN', 1], [2, 3]]]], weight: [[[['Infinity']]]] }))),
  ...nonFiniteWarnings(traceAnySpecText('n.json', JSON.stringify(network([{ type: 'relu' }], { input: [[[['NaN', 'NaN']]]] })))),
  // locator.ts: the ragged arrays a hover names
  ...scanTensors('{"input": [[1, 2], 3]}').tensors.flatMap(t => (t.ragged ? [t.ragged.problem] : [])),
  ...scanTensors('{"input": [[1, 2], [3]]}').tensors.flatMap(t => (t.ragged ? [t.ragged.problem] : [])),
];

/** A file's header length field set to `length`. */
function withHeaderLength(file: Uint8Array, length: number): Uint8Array {
  new DataView(file.buffer, file.byteOffset).setUint16(8, length, true);
  return file;
}

/** What the reader of the files a spec names finds wrong with them (it is async: read before the tests). */
async function fileProblems(): Promise<string[]> {
  const files: Record<string, MemoryEntry> = {
    '/ws/fifo.npy': { type: 'fifo' }, '/ws/device.npy': { type: 'device' }, '/ws/dir.npy': { type: 'directory' },
    '/ws/socket.npy': { type: 'socket' }, '/ws/other.npy': { type: 'other' }, '/ws/big.npy': { size: 1e9 },
    '/ws/many.npy': { bytes: npyFile("{'descr': '|u1', 'fortran_order': False, 'shape': (2000,), }", new Uint8Array(2000)) },
    '/ws/unreadable.npy': { size: 100 }, '/outside.npy': { bytes: encodeNpy(tensor([1], [1])) },
  };
  const written = ['fifo.npy', 'device.npy', 'dir.npy', 'socket.npy', 'other.npy', 'big.npy', 'many.npy', 'unreadable.npy', '../outside.npy'];
  const npy = await readSpecFiles('/ws/spec.json', written, memoryFiles(files), { maxElements: 1000, folder: '/ws' });
  // Files each within the limit, more than the room for all of them together.
  const full = npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1000,), }", new Uint8Array(8000));
  const fulls = Array.from({ length: 30 }, (_, i) => `full${i}.npy`);
  const together = await readSpecFiles('/ws/spec.json', fulls, memoryFiles(Object.fromEntries(fulls.map(f => [`/ws/${f}`, { bytes: full }]))), { maxElements: 1000 });
  return [...written, fulls[29]].flatMap(file => problemsOf({ input: { npy: file }, weight }, file === fulls[29] ? together : npy));
}

let PROBLEMS: string[] = [];
before(async () => { PROBLEMS = [...new Set([...CORPUS, ...await fileProblems()])]; });

/** What must survive translation: numbers, shapes, JSON paths and quoted values. */
function verbatimParts(english: string): string[] {
  return [
    ...english.match(/"[^"]*"|'[^']*'/g) ?? [],
    ...english.match(/\$[\w.[\]]*/g) ?? [],
    ...english.match(/\((?:-?\d+, )*-?\d+,?\)/g) ?? [],
    ...english.match(/\d+(?:\.\d+)?/g) ?? [],
  ];
}

/** The parts a template may match: the whole, after any `op: ` or `file.npy: `, without a layer's chained input. */
function templateCandidates(problem: string): string[] {
  const tails = [problem, ...[...problem.matchAll(/: /g)].map(m => problem.slice(m.index + 2))];
  return tails.map(t => t.replace(/ — its input \(.*?\) comes from (the input|layers\[\d+\])$/, ''));
}

describe('l10n: the spec\'s and the engine\'s problems in Chinese', () => {
  it('the corpus finds many distinct problems', () => {
    assert.ok(PROBLEMS.length >= 80, `${PROBLEMS.length} problems`);
  });

  it('every problem comes out in Chinese', () => {
    const english = PROBLEMS.filter(p => { const zh = translateProblem(p, 'zh-cn'); return zh === p || !CJK.test(zh); });
    assert.deepStrictEqual(english, []);
  });

  it('keeps numbers, shapes, JSON paths and quoted values verbatim', () => {
    for (const p of PROBLEMS) {
      const zh = translateProblem(p, 'zh-cn');
      for (const part of verbatimParts(p)) assert.ok(zh.includes(part), `${JSON.stringify(part)} missing in\n  ${p}\n  ${zh}`);
    }
  });

  it('every template of the table is exercised by the corpus', () => {
    const unused = PROBLEM_PATTERNS.filter(t => !PROBLEMS.some(p => templateCandidates(p).some(c => t.english.test(c))));
    assert.deepStrictEqual(unused.map(t => t.english.source), []);
  });

  it('keeps the op and the layer in front, and translates the chained input', () => {
    assert.strictEqual(translateProblem('conv2d: stride must be at least 1, got 0', 'zh-cn'), 'conv2d：stride 至少为 1，实际为 0');
    const chained = translateProblem('layers[2] (maxpool2d): kernel must be an integer of at least 1, got 0 — its input (1, 3, 4, 4) comes from layers[1]', 'zh-cn');
    assert.strictEqual(chained, 'layers[2] (maxpool2d)：kernel 必须是不小于 1 的整数，实际为 0——它的输入 (1, 3, 4, 4) 来自 layers[1]');
    assert.strictEqual(translateProblem('x.npy: the .npy header is cut short', 'zh-cn'), 'x.npy：.npy 文件头不完整');
  });

  it('returns an unknown message unchanged, and a known one with an unknown part', () => {
    for (const p of ['something new went wrong', 'conv2d: something new', 'layers[0] (relu): odd — its input (1, 2) comes from the input', 'weights.npy: odd']) {
      assert.strictEqual(translateProblem(p, 'zh-cn'), p);
    }
  });

  it('returns every problem unchanged in English', () => {
    for (const p of PROBLEMS) assert.strictEqual(translateProblem(p, 'en'), p);
  });
});

describe('problems as the Problems panel shows them (shownProblem)', () => {
  const KEY = '\u001b]0;pwned\u0007\nconv-trace: ok\u202e';
  const [problem] = analyzeSpec(JsonSource.parse('k.json', JSON.stringify({ input, weight, [KEY]: 1 }))).problems;

  for (const locale of ['en', 'zh-cn'] as const) {
    it(`a key of control characters and a bidi override stays one printable line (${locale})`, () => {
      const shown = shownProblem(problem.problem, locale);
      assert.ok(!/[\p{Cc}\u202e]/u.test(shown), JSON.stringify(shown));
      assert.ok(shown.includes('"\\x1b]0;pwned\\x07\\nconv-trace: ok\\u202e"'), shown);
      if (locale === 'zh-cn') assert.match(shown, CJK);
    });
  }
});
