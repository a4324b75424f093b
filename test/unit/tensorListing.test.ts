// Listing what a tensor file holds (for the selection run's pick of a file's tensors):
// each tensor's key, shape and stored dtype from the headers alone, agreeing with what
// the decoders read, and hostile files refused with a problem, never a throw.

import * as assert from 'assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { TensorFileError } from '../../src/specReader/fileError';
import { decodeImage } from '../../src/specReader/image';
import { decodeNpy, encodeNpy } from '../../src/specReader/npy';
import { decodeNpz, listNpz } from '../../src/specReader/npz';
import { decodeOnnx, listOnnx } from '../../src/specReader/onnx/tensor';
import type { SpecProblem } from '../../src/specReader/problemCodes';
import { english } from '../../src/specReader/problemText.en';
import { decodeSafetensors, listSafetensors } from '../../src/specReader/safetensors';
import { ListedTensor, SourceFormat, formatOfFile, listSourceTensors, sourceObject } from '../../src/specReader/tensorSource';
import { decodeTorch, listTorch } from '../../src/specReader/torch';
import { f32Bytes, npzFile, safetensorsFile, stateDictPickle, torchFile } from './tensorFiles';
import { tensor } from '../../src/engine/tensor';
import { zipSync } from 'fflate';

const FIXTURES = path.join(__dirname, '../../../test/fixtures/tensorSources');
const fixture = (name: string) => new Uint8Array(fs.readFileSync(path.join(FIXTURES, name)));
const LIMIT = 1_000_000;

type Decode = (bytes: Uint8Array, key: string) => { tensor: { shape: readonly number[] }; dtype: string };

/** The keys a decoder lists when asked for one the file does not have. */
function keysTheDecoderLists(decode: Decode, bytes: Uint8Array): string[] {
  try {
    decode(bytes, '\u0000 no such key');
  } catch (e) {
    if (e instanceof TensorFileError && e.problem.code === 'source.keyMissing') return e.problem.args.keys;
    throw e;
  }
  throw new Error('the decoder read a key that is not there');
}

/** What the decoders read, per key: the listing of a file must be this, in the file's order. */
function decoded(decode: Decode, bytes: Uint8Array): ListedTensor[] {
  return keysTheDecoderLists(decode, bytes).map(key => {
    const read = decode(bytes, key);
    return { key, shape: [...read.tensor.shape], dtype: read.dtype };
  });
}

function problemOf(listed: ListedTensor[] | SpecProblem): string {
  assert.ok(!Array.isArray(listed), `listed ${JSON.stringify(listed)}`);
  return english(listed);
}

const formats: [file: string, format: SourceFormat, list: (b: Uint8Array) => ListedTensor[], decode: Decode][] = [
  ['stored.npz', 'npz', listNpz, (b, k) => decodeNpz(b, k, 'float64', LIMIT, 8 * LIMIT)],
  ['deflated.npz', 'npz', listNpz, (b, k) => decodeNpz(b, k, 'float64', LIMIT, 8 * LIMIT)],
  ['model.safetensors', 'safetensors', listSafetensors, (b, k) => decodeSafetensors(b, k, 'float64', LIMIT)],
  ['state_dict.pt', 'torch', listTorch, (b, k) => decodeTorch(b, k, 'float64', LIMIT, 8 * LIMIT)],
  ['model.onnx', 'onnx', listOnnx, (b, k) => decodeOnnx(b, k, 'float64', LIMIT)],
];

describe('tensor files: listing their tensors', () => {
  for (const [file, format, list, decode] of formats) {
    it(`${file}: every key the decoder knows, with the shape and stored dtype it decodes to`, () => {
      const bytes = fixture(file);
      const expected = decoded(decode, bytes);
      assert.ok(expected.length >= 4, `${expected.length} keys`);
      assert.deepStrictEqual(list(bytes), expected);
      assert.deepStrictEqual(listSourceTensors(format, bytes), expected);
    });
  }

  it('an .npy file and an image list their one tensor as the spec reader reads it with no options', () => {
    const npy = fixture('npz-x.ref.npy');
    assert.deepStrictEqual(listSourceTensors('npy', npy), [{ shape: [...decodeNpy(npy).shape], dtype: 'float64' }]);
    for (const name of ['rgb8.png', 'gray16.png', 'graya8.png', 'palette4.png', 'baseline.jpg', 'gray.jpg']) {
      const bytes = fixture(name);
      const read = decodeImage(bytes, {}, 'float64', LIMIT);
      assert.deepStrictEqual(listSourceTensors('image', bytes), [{ shape: [...read.tensor.shape], dtype: read.header.description }], name);
    }
  });

  it('only headers are read: tensors whose data are missing or broken are still listed', () => {
    // .npz: a deflated entry whose data after the .npy header is cut off (its declared size kept).
    const big = tensor([1, 4096], Array.from({ length: 4096 }, (_, i) => Math.sin(i)));
    const npz = npzFile({ x: big }, true);
    const cut = zipSync({ 'x.npy': [encodeNpy(big), { level: 6 }] });
    assert.deepStrictEqual(listNpz(npz), [{ key: 'x', shape: [1, 4096], dtype: 'float64' }]);
    const dv = new DataView(cut.buffer);
    const central = cut.findIndex((_, i) => i + 4 <= cut.length && dv.getUint32(i, true) === 0x02014b50);
    const compressed = dv.getUint32(central + 20, true);
    // Zero the second half of the compressed data: inflating all of it fails, the header still inflates.
    cut.fill(0xff, 30 + 'x.npy'.length + Math.floor(compressed / 2), 30 + 'x.npy'.length + compressed);
    assert.deepStrictEqual(listNpz(cut), [{ key: 'x', shape: [1, 4096], dtype: 'float64' }]);
    assert.throws(() => decodeNpz(cut, 'x', 'float64', LIMIT, 8 * LIMIT), TensorFileError);
    // .safetensors: offsets past the data.
    const st = safetensorsFile({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] } });
    assert.deepStrictEqual(listSafetensors(st), [{ key: 'w', shape: [2, 3], dtype: 'F32' }]);
    assert.throws(() => decodeSafetensors(st, 'w', 'float64', LIMIT), TensorFileError);
    // .pt: a storage entry that is not in the zip.
    const pt = torchFile(stateDictPickle({ w: { storage: 'HalfStorage', key: '0', offset: 0, size: [3, 1], stride: [1, 1] }, v: { storage: 'FloatStorage', key: '1', offset: 0, size: [2], stride: [1] } }), { 1: f32Bytes([1, 2]) });
    assert.deepStrictEqual(listTorch(pt), [{ key: 'w', shape: [3, 1], dtype: 'torch.float16' }, { key: 'v', shape: [2], dtype: 'torch.float32' }]);
    assert.throws(() => decodeTorch(pt, 'w', 'float64', LIMIT, 8 * LIMIT), TensorFileError);
  });

  for (const [file, format] of formats) {
    it(`${file} cut short, or another kind of file in its place (wrong magic), is refused with a problem`, () => {
      const bytes = fixture(file);
      assert.match(problemOf(listSourceTensors(format, bytes.subarray(0, Math.floor(bytes.length / 3)))), /zip|header|protobuf|ONNX|short|end/i);
      assert.match(problemOf(listSourceTensors(format, fixture('rgb8.png'))), /zip|header|protobuf|ONNX/i);
    });
  }

  it('an .npy or an image that is not one is refused by its magic', () => {
    assert.match(problemOf(listSourceTensors('npy', fixture('rgb8.png'))), /\.npy|magic/i);
    assert.match(problemOf(listSourceTensors('image', fixture('npz-x.ref.npy'))), /PNG|JPEG/);
  });

  it('fuzz: a cut or changed file is listed or refused with a problem, never a throw', () => {
    const files = formats.map(([file, format]) => [fixture(file), format] as const);
    fc.assert(fc.property(fc.nat(files.length - 1), fc.double({ min: 0, max: 1, noNaN: true }), fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), (which, cut, edits) => {
      const [file, format] = files[which];
      const mutated = file.slice(0, Math.ceil(cut * file.length));
      for (const [at, b] of edits) if (mutated.length) mutated[Math.floor(at * (mutated.length - 1))] = b;
      const listed = listSourceTensors(format, mutated);
      if (Array.isArray(listed)) for (const t of listed) assert.ok(t.shape.every(d => Number.isSafeInteger(d) && d >= 0));
      else assert.ok(english(listed).length > 0);
    }), { numRuns: 300, interruptAfterTimeLimit: 3000 });
  });

  it('a file\'s format is its name\'s ending; its tensor\'s source object names the key its format uses', () => {
    assert.deepStrictEqual(['a.NPY', 'm/x.safetensors', 'c.pth', 'c.pt', 'g.onnx', 'p.JPEG', 'p.png', 'b.npz', 'notes.json', 'npy'].map(formatOfFile),
      ['npy', 'safetensors', 'torch', 'torch', 'onnx', 'image', 'image', 'npz', undefined, undefined]);
    assert.deepStrictEqual(sourceObject('onnx', '../m.onnx', 'conv1.weight'), { onnx: '../m.onnx', initializer: 'conv1.weight' });
    assert.deepStrictEqual(sourceObject('safetensors', 'm.safetensors', 'w'), { safetensors: 'm.safetensors', key: 'w' });
    assert.deepStrictEqual(sourceObject('image', 'cat.png'), { image: 'cat.png' });
  });
});
