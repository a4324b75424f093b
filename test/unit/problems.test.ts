// Problems as data, in both languages. Every code renders in English and in
// Chinese from sample arguments (the sample table is checked complete by the
// compiler); a corpus of broken specs (and direct engine calls for what a spec
// cannot reach) produces the real problems, and each renders in Chinese with its
// numbers, shapes, JSON paths and quoted values intact.

import * as assert from 'assert';
import { compareTensors, withComparison } from '../../src/engine/compare';
import { convInfo } from '../../src/engine/convInfo';
import { checkLinear, poolInfo } from '../../src/engine/layers';
import { traceNetwork } from '../../src/engine/network';
import { tensor } from '../../src/engine/tensor';
import { renderProblem, shownProblem } from '../../src/specReader/problemText';
import { analyzeSpec, nonFiniteWarnings, traceAnySpecText, traceSpecText } from '../../src/specReader/convSpec';
import { scanTensors } from '../../src/specReader/locator';
import { encodeNpy } from '../../src/specReader/npy';
import type { Problem, ProblemArgs, ProblemCode } from '../../src/specReader/problemCodes';
import { english } from '../../src/specReader/problemText.en';
import { JsonSource } from '../../src/specReader/source';
import { NpyFiles, readSpecFiles } from '../../src/specReader/specFiles';
import { HOSTILE, INPUT_SHAPE } from './onnxHostile';
import { MemoryEntry, memoryFiles, npyFile, npyReferences } from './helpers';
import { editCentralDirectory, f32Bytes, jpegHeader, npzFile, onnxModel, pickleOps, pngFile, safetensorsFile, stateDictPickle, torchFile, zipDeclaring } from './tensorFiles';

const CJK = /[\u4e00-\u9fff]/;
const ones = (...shape: number[]): unknown => (shape.length === 0 ? 1 : Array.from({ length: shape[0] }, () => ones(...shape.slice(1))));
const input = ones(1, 3, 4, 4);
const weight = ones(2, 3, 2, 2);

/** The problem a call throws (every error of the engine and the spec reader carries one). */
const message = (fn: () => unknown): Problem => {
  try { fn(); } catch (e) {
    const problem = (e as { problem?: Problem }).problem;
    if (problem) return problem;
    throw new Error(`no problem as data in ${(e as Error).message}`);
  }
  throw new Error('expected a problem');
};

/** Every problem the spec reader and the engine find in a spec: the analysis's, then the trace's. */
function problemsOf(spec: unknown, npy: NpyFiles = new Map(), maxElements?: number): Problem[] {
  const text = JSON.stringify(spec);
  const found = analyzeSpec(JsonSource.parse('broken.json', text), npy, maxElements).problems.map(p => p.problem);
  try { traceAnySpecText('broken.json', text, {}, npy); } catch (e) { found.push(message(() => { throw e; })); }
  return found;
}

const network = (layers: unknown[], extra: Record<string, unknown> = {}) => ({ input, layers, ...extra });
/** The problems of a spec whose input is `source`, its file (x.png, x.npz, x.safetensors) holding `bytes`. */
const withSource = (source: Record<string, unknown>, bytes?: Uint8Array) => {
  const file = Object.values(source)[0] as string;
  return problemsOf({ input: source, weight }, new Map(bytes ? [[file, bytes]] : []));
};
/** A 4 × 4 gray PNG. */
const gray4x4 = () => pngFile({ width: 4, height: 4, depth: 8, colorType: 0 }, new Uint8Array(20));
const withNpy = (file: Uint8Array) => problemsOf({ input: { npy: 'x.npy' }, weight }, new Map([['x.npy', file]]));
const f64 = (n: number) => new Uint8Array(8 * n);

const CORPUS: Problem[] = [
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
  // tensorSource.ts, image.ts, npz.ts, safetensors.ts: images, .npz and .safetensors files, through a spec
  ...withSource({ image: 'x.png', resize: 2 }),
  ...withSource({ npz: 'x.npz' }),
  ...withSource({ npz: 'x.npz', key: 'y' }, npzFile({ x: tensor([1], [1]) }, true)),
  ...withSource({ image: 'x.png' }, Uint8Array.from('not an image', c => c.charCodeAt(0))),
  ...withSource({ image: 'x.png' }, gray4x4().subarray(0, 40)),
  ...withSource({ image: 'x.png' }, Uint8Array.of(0xff, 0xd8, 0xff, 0xda, 0, 2)),
  ...withSource({ image: 'x.png' }, jpegHeader(4, 4, 3, 0xc3)),
  ...withSource({ image: 'x.png' }, pngFile({ width: 4, height: 4, depth: 4, colorType: 0, interlace: 1 }, new Uint8Array(0))),
  ...withSource({ image: 'x.png' }, jpegHeader(30000, 30000)),
  ...withSource({ image: 'x.png' }, pngFile({ width: 4, height: 4, depth: 8, colorType: 0 }, new Uint8Array(1000))),
  ...withSource({ image: 'x.png', mode: 'bgr', size: [0, 2], scale: 0, normalize: { mean: 1 } }),
  ...withSource({ image: 'x.png', size: [0, 2] }),
  ...withSource({ image: 'x.png', scale: 0 }),
  ...withSource({ image: 'x.png', normalize: { mean: 1 } }),
  ...withSource({ image: 'x.png', normalize: { mean: [0.5, 0.5], std: [1, 1] } }, gray4x4()),
  ...withSource({ npz: 'x.npz', key: 'x' }, Uint8Array.of(1, 2, 3)),
  ...withSource({ npz: 'x.npz', key: 'x' }, zipDeclaring('x.npy', encodeNpy(tensor([1], [1])), 0xfffffff0)),
  ...withSource({ npz: 'x.npz', key: 'x' }, editCentralDirectory(npzFile({ x: tensor([1], [1]) }, false), (dv, at) => dv.setUint32(at + 20, 1e6, true))),
  ...withSource({ npz: 'x.npz', key: 'x' }, editCentralDirectory(npzFile({ x: tensor([1], [1]) }, false), (dv, at) => dv.setUint16(at + 10, 12, true))),
  ...withSource({ npz: 'x.npz', key: 'x' }, zipDeclaring('x.npy', encodeNpy(tensor([1], [1])), 10_000)),
  ...withSource({ safetensors: 'x.safetensors', key: 'w' }, Uint8Array.of(1, 2, 3)),
  ...withSource({ safetensors: 'x.safetensors', key: 'w' }, safetensorsFile({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1))),
  ...withSource({ safetensors: 'x.safetensors', key: 'w' }, safetensorsFile({ w: { dtype: 'F32', shape: [1, 1, 2, 2], data_offsets: [0, 16] } }, new Uint8Array(8))),
  // torch.ts, onnx.ts: PyTorch checkpoints and ONNX initializers, through a spec
  ...withSource({ torch: 'x.pt', key: 'w' }, Uint8Array.of(1, 2, 3)),
  ...withSource({ torch: 'x.pt', key: 'w' }, torchFile(pickleOps.proto)),
  ...withSource({ torch: 'x.pt', key: 'w' }, torchFile(Uint8Array.of(0x80, 2, 0x47, 0, 0, 0, 0, 0, 0, 0, 0, 0x2e))),
  ...withSource({ torch: 'x.pt', key: 'w' }, torchFile(Uint8Array.from('cposix\nsystem\n(S\'true\'\ntR.', c => c.charCodeAt(0)))),
  ...withSource({ torch: 'x.pt', key: 'w' }, torchFile(stateDictPickle({ w: { storage: 'FloatStorage', key: '0', offset: 2, size: [1, 1, 2, 2], stride: [4, 4, 2, 1] } }), { 0: f32Bytes([1, 2, 3, 4]) })),
  ...withSource({ onnx: 'x.onnx' }),
  ...withSource({ onnx: 'x.onnx', initializer: 'w' }, Uint8Array.of(0x3a, 0x10, 0x2a)),
  ...withSource({ onnx: 'x.onnx', initializer: 'w' }, onnxModel([{ name: 'w', dims: [1, 1, 1, 1], dataType: 1, external: true }])),
  ...withSource({ onnx: 'x.onnx', initializer: 'w' }, onnxModel([{ name: 'w', dims: [1, 1, 1, 1], dataType: 8 }])),
  ...withSource({ onnx: 'x.onnx', initializer: 'w' }, onnxModel([{ name: 'w', dims: [1, 1, 2, 2], dataType: 1, raw: f32Bytes([1, 2, 3]) }])),
  // onnx/: ONNX models run as networks, through a spec's "model"
  ...Object.values(HOSTILE).flatMap(h => problemsOf({ model: { onnx: 'm.onnx' }, input: ones(...INPUT_SHAPE) }, new Map([['m.onnx', h.bytes]]))),
  ...problemsOf({ model: 'm.onnx', input }),
  ...problemsOf({ model: { onnx: 'm.onnx' }, layers: [{ type: 'relu' }], input }),
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
  ...problemsOf(network([{ type: 'relu' }], { loss: { type: 'mse', targets: ones(1, 3, 4, 4) } })),
  ...problemsOf(network([{ type: 'relu' }], { loss: { type: 'mse', target: ones(1, 3, 4, 4) }, grad: ones(1, 3, 4, 4) })),
  ...problemsOf(network([{ type: 'conv2d', weight: { npy: 'w.npy' } }]), new Map([['w.npy', encodeNpy(tensor([2, 2], [1, 2, 3, 4]))]])),
  // layers.ts and network.ts: the chain
  ...problemsOf(network([{ type: 'maxpool2d', kernel: 0 }])),
  ...problemsOf(network([{ type: 'avgpool2d', kernel: 2, dilation: 2 }])),
  ...problemsOf(network([{ type: 'relu' }, { type: 'maxpool2d', kernel: 2, padding: -1 }])),
  ...problemsOf(network([{ type: 'maxpool2d', kernel: 2, padding: 2 }])),
  ...problemsOf(network([{ type: 'maxpool2d', kernel: 2, padding: [1, 0, 1] }])),
  ...problemsOf(network([{ type: 'maxpool2d', kernel: 2, padding: [0, 2, 0, 1] }])),
  ...problemsOf(network([{ type: 'avgpool2d', kernel: 2, padding: [2, 0, 0, 0], count_include_pad: false }])),
  ...problemsOf(network([{ type: 'maxpool2d', kernel: 5 }])),
  ...problemsOf(network([{ type: 'maxpool2d', kernel: 2, dilation: 5, padding: [1, 1, 1, 1] }])),
  ...problemsOf(network([{ type: 'flatten' }, { type: 'maxpool2d', kernel: 2 }])),
  ...problemsOf(network([{ type: 'linear', weight: ones(2, 48) }])),
  ...problemsOf(network([{ type: 'flatten' }, { type: 'linear', weight: ones(2, 47) }])),
  ...problemsOf(network([{ type: 'flatten' }, { type: 'linear', weight: ones(2, 48), bias: [1, 2, 3] }])),
  ...problemsOf(network([{ type: 'batchnorm2d', running_var: [1, 2] }])),
  // graph.ts and merge.ts: what a layer names as its inputs
  ...problemsOf(network([{ type: 'relu', inputs: ['layers[1]', 'layers[0]'] }, { type: 'relu' }])),
  ...problemsOf(network([{ type: 'relu', inputs: ['layers[5]'] }])),
  ...problemsOf(network([{ type: 'relu', inputs: [7] }])),
  ...problemsOf(network([{ type: 'relu', inputs: 'input' }])),
  ...problemsOf(network([{ type: 'add', inputs: ['input'] }])),
  ...problemsOf(network([{ type: 'relu' }, { type: 'relu', inputs: ['input'] }])),
  ...problemsOf(network([{ type: 'maxpool2d', kernel: 2 }, { type: 'add', inputs: ['input', 'layers[0]'] }])),
  ...problemsOf(network([{ type: 'maxpool2d', kernel: 2 }, { type: 'concat', inputs: ['input', 'layers[0]'] }])),
  ...problemsOf(network([{ type: 'maxpool2d', kernel: 2 }, { type: 'mul', inputs: ['input', 'layers[0]'] }])),
  ...problemsOf(network([{ type: 'mul', inputs: ['input', 'input', 'input'] }])),
  ...problemsOf(network([{ type: 'maxpool2d', kernel: 4 }, { type: 'batchnorm2d', training: true }])),
  ...problemsOf(network([{ type: 'conv_transpose2d', weight: ones(3, 2, 2, 2), stride: 2, output_padding: 2 }])),
  ...problemsOf(network([{ type: 'conv_transpose2d', weight: ones(3, 1, 1, 1), padding: 3 }])),
  ...problemsOf(network([{ type: 'conv_transpose2d', weight: ones(3, 1, 2, 2), padding: [1, -1] }])),
  ...problemsOf(network([{ type: 'conv_transpose2d', weight: ones(3, 1, 2, 2), padding: [1, 0, 1] }])),
  ...problemsOf(network([{ type: 'conv_transpose2d', weight: ones(3, 1, 2, 2), groups: 2 }])),
  ...problemsOf({ input: ones(1, 2, 5), layers: [{ type: 'conv1d', weight: ones(3, 2, 2), padding: 'full' }] }),
  ...problemsOf({ input: ones(1, 2, 5), layers: [{ type: 'conv1d', weight: ones(3, 2, 2), padding: 'same', stride: 2 }] }),
  ...problemsOf({ input: ones(1, 2, 5), layers: [{ type: 'conv1d', weight: ones(3, 2, 4), dilation: 2 }] }),
  ...problemsOf({ input: ones(1, 2, 5), layers: [{ type: 'conv1d', weight: ones(3, 1, 2), groups: 3 }] }),
  ...problemsOf(network([{ type: 'conv1d', weight: ones(3, 3, 2) }])),
  ...problemsOf(network([{ type: 'clip', min: 2, max: -1 }])),
  ...problemsOf(network([{ type: 'dropout', p: 1 }])),
  ...problemsOf(network([{ type: 'reshape', shape: [5, 1, 1] }])),
  ...problemsOf(network([{ type: 'upsample2d', mode: 'bilinear', scale_factor: 2, nearest_mode: 'floor' }])),
  ...problemsOf(network([{ type: 'adaptive_avg_pool2d', output_size: [2, 3] }])),
  ...problemsOf(network([{ type: 'upsample2d', scale_factor: 2, size: 8 }])),
  ...problemsOf(network([{ type: 'upsample2d', scale_factor: [2, 0] }])),
  ...problemsOf(network([{ type: 'upsample2d', scale_factor: 0.1 }])),
  ...problemsOf(network([{ type: 'pad2d', padding: [1, 2] }])),
  ...problemsOf(network([{ type: 'pad2d', padding: 4, mode: 'reflect' }])),
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
async function fileProblems(): Promise<Problem[]> {
  const files: Record<string, MemoryEntry> = {
    '/ws/fifo.npy': { type: 'fifo' }, '/ws/device.npy': { type: 'device' }, '/ws/dir.npy': { type: 'directory' },
    '/ws/socket.npy': { type: 'socket' }, '/ws/other.npy': { type: 'other' }, '/ws/big.npy': { size: 1e9 },
    '/ws/many.npy': { bytes: npyFile("{'descr': '|u1', 'fortran_order': False, 'shape': (2000,), }", new Uint8Array(2000)) },
    '/ws/unreadable.npy': { size: 100 }, '/outside.npy': { bytes: encodeNpy(tensor([1], [1])) },
  };
  const written = ['fifo.npy', 'device.npy', 'dir.npy', 'socket.npy', 'other.npy', 'big.npy', 'many.npy', 'unreadable.npy', '../outside.npy'];
  const npy = await readSpecFiles('/ws/spec.json', npyReferences(...written), memoryFiles(files), { maxElements: 1000, folder: '/ws' });
  // Files each within the limit, more than the room for all of them together.
  const full = npyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (1000,), }", new Uint8Array(8000));
  const fulls = Array.from({ length: 30 }, (_, i) => `full${i}.npy`);
  const together = await readSpecFiles('/ws/spec.json', npyReferences(...fulls), memoryFiles(Object.fromEntries(fulls.map(f => [`/ws/${f}`, { bytes: full }]))), { maxElements: 1000 });
  return [...written, fulls[29]].flatMap(file => problemsOf({ input: { npy: file }, weight }, file === fulls[29] ? together : npy));
}

let PROBLEMS: Problem[] = [];
before(async () => {
  const all = [...CORPUS, ...await fileProblems()];
  PROBLEMS = all.filter((p, i) => all.findIndex(q => english(q) === english(p)) === i);
});

/** What must survive translation: numbers, shapes, JSON paths and quoted values. */
function verbatimParts(english: string): string[] {
  return [
    ...english.match(/"[^"]*"|'[^']*'/g) ?? [],
    ...english.match(/\$[\w.[\]]*/g) ?? [],
    ...english.match(/\((?:-?\d+, )*-?\d+,?\)/g) ?? [],
    ...english.match(/\d+(?:\.\d+)?/g) ?? [],
  ];
}

/** Checks one problem's Chinese against its English. */
function assertChinese(problem: Problem): void {
  const en = english(problem);
  const zh = renderProblem(problem, 'zh-cn');
  assert.match(zh, CJK, `not Chinese: ${zh}`);
  for (const part of verbatimParts(en)) assert.ok(zh.includes(part), `${JSON.stringify(part)} missing in\n  ${en}\n  ${zh}`);
}

const found = (value: string) => ({ kind: 'string', value: JSON.stringify(value) } as const);

/** Sample arguments for every code: the compiler says when a code has none. */
const SAMPLES: { [C in ProblemCode]: ProblemArgs[C] } = {
  'conv.notInteger': { key: 'stride', value: 1.5 },
  'conv.belowOne': { key: 'dilation', value: 0 },
  'conv.notPair': { key: 'stride' },
  'conv.paddingForm': {},
  'conv.paddingNotInteger': { value: 1.5 },
  'conv.paddingNegative': { value: -1 },
  'conv.rank': { key: 'input', rank: 4, axes: '(B, Cin, H, W)', shape: [3, 4, 4] },
  'conv.emptyDimension': { key: 'input', shape: [1, 0, 4, 4] },
  'conv.groupsInput': { input: [1, 3, 4, 4], weight: [2, 3, 2, 2], groups: 2, channels: 3 },
  'conv.groupsOutput': { input: [1, 4, 4, 4], weight: [3, 2, 2, 2], groups: 2, channels: 3 },
  'conv.channels': { input: [1, 4, 4, 4], weight: [2, 3, 2, 2], groups: 1, has: 4, expects: 3 },
  'conv.bias': { channels: 2, shape: [3] },
  'conv.sameStride': { stride: [2, 2] },
  'conv.kernelTooLarge': { dilated: true, kernel: [7, 7], padded: [4, 4], input: [1, 3, 4, 4], weight: [2, 3, 2, 2], padding: [0, 0, 0, 0], dilation: [6, 6] },
  'conv1d.paddingForm': {},
  'conv1d.sameStride': { stride: 2 },
  'conv1d.kernelTooLarge': { extent: 7, padded: 5, input: [1, 2, 5], weight: [3, 2, 4], padding: [0, 0], dilation: 2 },
  'grad.shape': { expected: [1, 2, 3, 3], shape: [1, 2, 2, 2], axes: '(B, Cout, Hout, Wout)' },
  'budget.limit': { value: '"abc"' },
  'budget.tensor': { name: 'a_t', count: 160801, shape: [1, 1, 401, 401], limit: 10000 },
  'budget.total': { tensors: 31, count: 12345, factor: 8, limit: 1000 },
  'layer.inputRank': { rank: 2, axes: '(B, in)', shape: [1, 3, 4, 4], flattenHint: true },
  'pool.notPositive': { key: 'kernel', value: 0 },
  'pool.avgDilation': {},
  'pool.paddingForm': {},
  'pool.paddingNegative': { padding: [-1, -1, 0, 0] },
  'pool.paddingHalf': { padding: [2, 2], kernel: [2, 2] },
  'pool.paddingKernel': { padding: [0, 2, 0, 1], kernel: [2, 2] },
  'pool.windowTooLarge': { kernel: [5, 5], dilation: [1, 1], input: [4, 4], padding: [0, 0, 0, 0] },
  'pool.windowOnPadding': { axis: 'width', window: 0, start: -1, kernel: 2, dilation: 5, padding: [1, 1], input: 4 },
  'linear.weightRank': { shape: [2, 2, 2] },
  'linear.features': { has: 48, expects: 47, input: [1, 48], weight: [2, 47] },
  'linear.bias': { channels: 2, shape: [3] },
  'mse.target': { target: [1, 3, 4, 3], output: [1, 3, 4, 4] },
  'crossEntropy.logits': { shape: [1, 3, 4, 4] },
  'crossEntropy.batch': { count: 2, batch: 1 },
  'crossEntropy.class': { index: 0, value: 99, last: 47 },
  'flatten.rank': { shape: [3] },
  'reshape.size': { shape: [3, 1, 1], input: [2, 4] },
  'upsample.nearestRule': { key: 'nearest_mode', value: 'floor', values: ['floor', 'ceil'] },
  'batchnorm.channels': { key: 'running_var', channels: 3, shape: [2] },
  'batchnorm.oneValue': { shape: [1, 3, 1, 1] },
  'convT.negative': { key: 'output_padding', value: -1 },
  'convT.outputPadding': { outputPadding: [2, 2], stride: [2, 2], dilation: [1, 1] },
  'convT.paddingForm': {},
  'convT.outputEmpty': { output: [0, 2], full: [2, 4], padding: [1, 1, 1, 1], outputPadding: [0, 0], input: [1, 1, 2, 2], weight: [1, 1, 1, 3] },
  'clip.range': { min: 2, max: -1 },
  'dropout.p': { p: 1 },
  'adaptivePool.size': { size: [2, 3] },
  'upsample.which': {},
  'upsample.scale': { scale: [2, -1] },
  'resample.output': { output: [1, 3, 0, 8] },
  'pad2d.padding': { padding: '[1, 2]' },
  'pad2d.reflect': { padding: [4, 4, 1, 1], input: [1, 3, 4, 4] },
  'network.empty': {},
  'graph.inputSelf': { name: 'layers[3]' },
  'graph.inputLater': { name: 'layers[5]', layer: 'layers[3]' },
  'graph.inputMissing': { name: 'layers[9]', count: 6 },
  'graph.oneInput': { type: 'relu', count: 2 },
  'graph.fewInputs': { type: 'add', count: 1, min: 2 },
  'graph.unused': { name: 'layers[2]' },
  'add.shapes': { names: ['input', 'layers[4]'], shapes: [[1, 2, 6, 6], [1, 3, 6, 6]] },
  'concat.shapes': { names: ['layers[1]', 'layers[3]'], shapes: [[1, 2, 6, 6], [1, 2, 5, 5]] },
  'mul.inputs': { count: 3, by: false },
  'mul.shapes': { names: ['layers[1]', 'layers[3]'], shapes: [[1, 2, 6, 6], [1, 3, 1, 1]] },
  'layerSpec.inputs': { count: 2 },
  'layerSpec.inputRank': { shape: [1, 64], rank: 4, axes: '(B, C, H, W)' },
  'gradcheck.noTensor': { name: 'layers[9].dW' },
  'gradcheck.notGradient': { name: 'layers[0].a_t' },
  'gradcheck.index': { name: 'dW', index: [0, 5], shape: [2, 3] },
  'gradcheck.shape': { name: 'dW', shape: [2, 3], expected: [3, 2] },
  'gradcheck.tooBig': { name: 'dW', work: 4e9, limit: 2e9 },
  'compare.shape': { name: 'z', yours: [3], yoursCount: 3, engine: [2, 2], engineCount: 4 },
  'compare.missing': { name: 'bias' },
  'tensor.shape': { key: 'input', shape: '1,-2' },
  'tensor.dtype': { key: 'weight', dtype: 'int8' },
  'tensor.data': { key: 'input', dtype: 'float32', array: 'Float32Array' },
  'tensor.size': { key: 'input', shape: [2, 2], needs: 4, holds: 3 },
  'json.empty': {},
  'json.syntax': { error: 'CommaOrBracketExpected', near: '2' },
  'json.tooDeep': { limit: 64 },
  'spec.unreadable': { why: 'no such file' },
  'spec.notConv': { found: { kind: 'array' } },
  'spec.unknownKey': { key: 'strid', hint: 'stride', kind: 'conv', keys: ['input', 'weight'] },
  'spec.missingKey': { key: 'weight', axes: '(Cout, Cin/groups, kh, kw)' },
  'spec.dtype': { found: found('int8') },
  'spec.npyPath': { format: 'npy', found: { kind: 'number', value: '3' } },
  'spec.npyMissing': { file: 'x.npy' },
  'spec.npyRank': { file: 'x.npy', rank: 2, shape: [2, 2], expected: 4, axes: '(B, Cin, H, W)' },
  'spec.pair': { key: 'stride', found: found('big') },
  'spec.padding': { found: found('full') },
  'spec.groups': { found: found('two') },
  'network.layers': { found: { kind: 'empty array' } },
  'network.layer': { found: { kind: 'number', value: '3' } },
  'network.type': { types: ['conv2d', 'relu'], found: found('pool') },
  'network.layerKey': { type: 'relu', key: 'k', keys: [] },
  'network.required': { type: 'maxpool2d', key: 'kernel' },
  'network.boolean': { key: 'ceil_mode', found: found('yes') },
  'network.number': { key: 'slope', found: found('x') },
  'network.loss': { found: { kind: 'number', value: '3' } },
  'network.lossKey': { type: 'mse', key: 'targets', keys: ['target'] },
  'network.classes': { found: { kind: 'array' } },
  'network.lossAndGrad': {},
  'network.inputs': { found: found('layers[1]') },
  'network.inputName': { found: found('layer 1') },
  'network.model': { found: found('m.onnx') },
  'network.modelAndLayers': {},
  'nested.notArray': { rank: 4, axes: '(B, Cin, H, W)', found: { kind: 'undefined', value: 'undefined' } },
  'nested.rank': { rank: 4, axes: '(B, Cin, H, W)', shape: [1, 2] },
  'nested.empty': { axes: '(B, Cin, H, W)' },
  'nested.deeper': { first: '$.input[0][0][0][0]', shape: [1, 1, 1, 2] },
  'nested.notNumber': { found: { kind: 'boolean', value: 'true' } },
  'ragged.notArray': { count: 2, first: '$.input[0][0][0]', found: { kind: 'number', value: '3' } },
  'ragged.length': { count: 1, first: '$.input[0][0][0]', expected: 2 },
  'ragged.mixed': {},
  'ragged.shape': { shape: [1], first: '$.input[1][0]', expected: [2] },
  'npy.magic': {},
  'npy.version': { major: 7, minor: 0 },
  'npy.headerShort': {},
  'npy.headerLong': { length: 10001, limit: 10000 },
  'npy.structured': {},
  'npy.noDtype': { header: "{'shape': (1,), }" },
  'npy.header': { header: "{'descr': '<f8', }" },
  'npy.shape': { shape: '1, -2' },
  'npy.byteOrder': { dtype: '!f8' },
  'npy.dtype': { dtype: '<c16', kind: 'c', size: 16 },
  'npy.dataShort': { shape: [1, 3, 4, 4], needed: 384, has: 24 },
  'source.unknownKey': { format: 'image', key: 'resize', keys: ['image', 'mode', 'size', 'scale', 'normalize'] },
  'source.key': { format: 'npz', key: 'key', found: { kind: 'undefined', value: 'undefined' } },
  'source.keyMissing': { key: 'y', keys: ['x', 'w'] },
  'image.format': {},
  'image.truncated': { format: 'PNG' },
  'image.corrupt': { format: 'JPEG', why: 'no frame header before the image data' },
  'image.jpegProcess': { marker: 'SOF3' },
  'image.pngLowBitInterlaced': { depth: 4 },
  'image.tooMany': { width: 30000, height: 30000, channels: 3, limit: 1000 },
  'image.inflated': { expected: 36 },
  'image.mode': { found: found('bgr') },
  'image.size': { found: { kind: 'array' } },
  'image.scale': { found: { kind: 'number', value: '0' } },
  'image.normalize': { found: { kind: 'object' } },
  'image.normalizeLength': { key: 'mean', length: 1, channels: 3 },
  'npz.zip': { why: 'no zip end record' },
  'npz.entryTooBig': { key: 'x', size: 1000000, limit: 8012 },
  'npz.short': { key: 'x', needed: 900, has: 12 },
  'npz.method': { key: 'x', method: 12 },
  'npz.size': { key: 'x', size: 896, over: true },
  'safetensors.header': { why: 'a header of 99999 bytes in a file of 100' },
  'safetensors.dtype': { key: 'w', dtype: 'F8_E4M3', supported: ['F64', 'F32'] },
  'safetensors.offsets': { key: 'w', begin: 0, end: 10, needed: 96, has: 10 },
  'torch.archive': { why: 'no zip end record' },
  'torch.pickle': { why: 'it ends before STOP' },
  'torch.opcode': { opcode: 'BINFLOAT', at: 2 },
  'torch.global': { global: 'posix system' },
  'torch.view': { key: 'w', offset: 2, size: [1, 1, 2, 2], stride: [4, 4, 2, 1], length: 4 },
  'onnx.proto': { why: 'field 7 declares 16 bytes, 1 are left' },
  'onnx.external': { name: 'w' },
  'onnx.dtype': { name: 'w', dataType: 8, supported: ['FLOAT', 'DOUBLE'] },
  'onnx.data': { name: 'w', needed: 16, has: 12 },
  'onnx.noGraph': {},
  'onnx.graphInputs': { names: ['x', 'y'] },
  'onnx.graphOutputs': { names: [] },
  'onnx.inputShape': { name: 'x', declared: ['batch', '1', '8', '8'], shape: [1, 3, 8, 8] },
  'onnx.twice': { name: 'y' },
  'onnx.missing': { node: '/conv1/Conv', name: 'conv1.weight' },
  'onnx.cycle': { node: '/Relu' },
  'onnx.op': { node: '/Softmax', op: 'Softmax', ops: ['Conv', 'Relu'] },
  'onnx.attribute': { node: 'fc', op: 'Gemm', attribute: 'alpha', found: '2', expected: '1' },
  'onnx.output': { node: 'pool', op: 'MaxPool', output: 'indices' },
  'onnx.tensor': { node: 'conv', op: 'Conv', name: 'c' },
  'onnx.weight': { node: 'conv', op: 'Conv', name: 'w' },
  'onnx.bias': { node: '/Add' },
  'onnx.reshape': { node: '/Reshape', shape: [2, -1], input: [1, 4, 2, 2] },
  'onnx.valueName': { names: ['nope', 'grad:x'], known: ['x', '/conv1/Conv_output_0'], more: 12, target: false },
  'onnx.empty': {},
  'onnx.divideByZero': { node: '/Div', name: 'onnx::Div_7', index: 2 },
  'onnx.outputFirst': { output: 'y', later: 'p' },
  'onnx.inputUnknown': { name: 'x' },
  'file.notRegular': { type: 'fifo' },
  'file.outside': { folder: 'ws' },
  'file.tooBig': { size: 1000000000, limit: 1000 },
  'file.noRoom': { size: 8128, room: 4000, factor: 8, limit: 1000 },
  'file.tooMany': { count: 2000, limit: 1000 },
  'file.unreadable': { why: 'EACCES: permission denied' },
  'values.nonFinite': { name: 'input', count: 2, at: '$.input[0][0][0][0]', value: 'NaN' },
};

const SAMPLE_PROBLEMS = (Object.keys(SAMPLES) as ProblemCode[]).map(code => ({ code, args: SAMPLES[code] }) as Problem);

/**
 * Codes no spec reaches through the reader: library callers' tensors and limits, the CLI's unreadable spec, a bare comma,
 * and the gradient check's (asked of a run, test/unit/gradcheck.test.ts reaches them).
 */
const BEYOND_THE_CORPUS: ProblemCode[] = [
  'tensor.shape', 'tensor.dtype', 'tensor.data', 'tensor.size', 'budget.limit', 'spec.unreadable',
  'gradcheck.noTensor', 'gradcheck.notGradient', 'gradcheck.index', 'gradcheck.shape', 'gradcheck.tooBig',
  // The model editor's (test/unit/modelFacts.test.ts reaches it): a run gives the input's shape.
  'onnx.inputUnknown',
  // conv-trace's model form (test/unit/modelTrace.test.ts reaches it): a name asked for with --only.
  'onnx.valueName',
  // Save Layer as Spec…'s, of a run's layer, not of a spec (test/unit/layerSpec.test.ts reaches them).
  'layerSpec.inputs', 'layerSpec.inputRank',
];

describe('problems as data: every code in both languages', () => {
  for (const problem of SAMPLE_PROBLEMS) {
    it(`${problem.code}: English and Chinese, the numbers, shapes, paths and quoted values kept`, () => {
      assert.ok(english(problem).length > 0);
      assertChinese(problem);
    });
  }

  it('a problem\'s file, op and layer frame its text in each language', () => {
    const belowOne: Problem = { code: 'conv.belowOne', args: { key: 'stride', value: 0 }, op: 'conv2d' };
    assert.strictEqual(english(belowOne), 'conv2d: stride must be at least 1, got 0');
    assert.strictEqual(renderProblem(belowOne, 'zh-cn'), 'conv2d：stride 至少为 1，实际为 0');
    const chained: Problem = { code: 'pool.notPositive', args: { key: 'kernel', value: 0 }, op: 'maxpool2d', layer: { index: 2, type: 'maxpool2d', input: [1, 3, 4, 4] } };
    assert.strictEqual(english(chained), 'layers[2] (maxpool2d): kernel must be an integer of at least 1, got 0 — its input (1, 3, 4, 4) comes from layers[1]');
    assert.strictEqual(renderProblem(chained, 'zh-cn'), 'layers[2] (maxpool2d)：kernel 必须是不小于 1 的整数，实际为 0——它的输入 (1, 3, 4, 4) 来自 layers[1]');
    const npy: Problem = { code: 'npy.headerShort', args: {}, file: 'x.npy' };
    assert.strictEqual(renderProblem(npy, 'zh-cn'), 'x.npy：.npy 文件头不完整');
  });

  it('English is the language of the sources: renderProblem(…, "en") is the message', () => {
    for (const p of PROBLEMS) assert.strictEqual(renderProblem(p, 'en'), english(p));
  });
});

describe('problems as data: the corpus of broken specs', () => {
  it('finds many distinct problems', () => {
    assert.ok(PROBLEMS.length >= 80, `${PROBLEMS.length} problems`);
  });

  it('every problem renders in Chinese, with its numbers, shapes, JSON paths and quoted values', () => {
    for (const p of PROBLEMS) assertChinese(p);
  });

  it('reaches every code but those a spec cannot reach', () => {
    const reached = new Set(PROBLEMS.map(p => p.code));
    const unreached = (Object.keys(SAMPLES) as ProblemCode[]).filter(c => !reached.has(c) && !BEYOND_THE_CORPUS.includes(c));
    assert.deepStrictEqual(unreached, []);
  });

  it('a layer\'s problem in a network carries its layer, found without reading the message', () => {
    const [problem] = problemsOf(network([{ type: 'relu' }, { type: 'maxpool2d', kernel: 0 }]));
    assert.deepStrictEqual(problem.layer, { index: 1, type: 'maxpool2d', input: [1, 3, 4, 4] });
    assert.strictEqual(renderProblem(problem, 'zh-cn'), 'layers[1] (maxpool2d)：kernel 必须是不小于 1 的整数，实际为 0——它的输入 (1, 3, 4, 4) 来自 layers[0]');
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
