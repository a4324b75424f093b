// Tensor sources from PyTorch checkpoints and ONNX models: against the values torch
// itself holds (test/fixtures/tensorSources/make_torch_onnx.py: torch.save of a
// state_dict, torch.onnx.export), and hostile files of each kind.

import * as assert from 'assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { traceAnySpecText } from '../../src/specReader/convSpec';
import { analyzeSpec } from '../../src/specReader/convSpec';
import { TensorFileError } from '../../src/specReader/fileError';
import { sourceHover } from '../../src/specReader/hoverText';
import { decodeNpy } from '../../src/specReader/npy';
import { decodeOnnx } from '../../src/specReader/onnx/tensor';
import { english } from '../../src/specReader/problemText.en';
import { JsonSource } from '../../src/specReader/source';
import { specFileReferences } from '../../src/specReader/tensorSource';
import { decodeTorch, unpickleStateDict } from '../../src/specReader/torch';
import { assertClose } from './helpers';
import { f32Bytes, onnxModel, pbBytes, pbVarint, pickleOps, stateDictPickle, torchFile } from './tensorFiles';

const FIXTURES = path.join(__dirname, '../../../test/fixtures/tensorSources');
const fixture = (name: string) => new Uint8Array(fs.readFileSync(path.join(FIXTURES, name)));
const reference = (name: string) => decodeNpy(fixture(name));
const LIMIT = 1_000_000;

function refusal(fn: () => unknown): string {
  try { fn(); } catch (e) {
    if (e instanceof TensorFileError) return english(e.problem);
    throw e;
  }
  return 'decoded';
}

function analyse(input: object, files: Record<string, Uint8Array>) {
  return analyzeSpec(JsonSource.parse('s.conv.json', JSON.stringify({ input, weight: [[[[1]]]] })), new Map(Object.entries(files)), LIMIT);
}

/** Every byte string made from a file by cutting it short or changing a few bytes is decoded or refused cleanly, within the limit. */
function fuzzFile(file: Uint8Array, decode: (bytes: Uint8Array) => { tensor: { data: ArrayLike<number> } }): void {
  fc.assert(fc.property(fc.nat(file.length), fc.array(fc.tuple(fc.nat(file.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), (cut, edits) => {
    const mutated = file.slice(0, cut === file.length ? file.length : cut);
    for (const [at, b] of edits) if (at < mutated.length) mutated[at] = b;
    try {
      assert.ok(decode(mutated).tensor.data.length <= LIMIT);
    } catch (e) {
      if (!(e instanceof TensorFileError)) throw e;
    }
  }), { numRuns: 400, interruptAfterTimeLimit: 3000 });
}

describe('tensor sources: PyTorch checkpoints (torch.save of a state_dict)', () => {
  const pt = fixture('state_dict.pt');
  const stored: Record<string, string> = {
    'conv1.weight': 'torch.float32', 'conv1.bias': 'torch.float32', 'fc.weight': 'torch.float32', 'fc.bias': 'torch.float32', transposed: 'torch.float32',
    offset: 'torch.float32', f16: 'torch.float16', bf16: 'torch.bfloat16', f64: 'torch.float64', i64: 'torch.int64',
  };
  for (const [key, dtype] of Object.entries(stored)) {
    it(`${key} (${dtype}) is exactly the tensor torch saved (pt-${key}.ref.npy)`, () => {
      const read = decodeTorch(pt, key, 'float64', LIMIT, 8 * LIMIT);
      assert.strictEqual(read.dtype, dtype);
      assertClose(read.tensor, reference(`pt-${key}.ref.npy`), 0);
    });
  }

  it('a transposed view and a view at a storage offset are gathered by their strides', () => {
    const storage = f32Bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const view = (offset: number, size: number[], stride: number[]) =>
      Array.from(decodeTorch(torchFile(stateDictPickle({ w: { storage: 'FloatStorage', key: '0', offset, size, stride } }), { 0: storage }), 'w', 'float64', LIMIT, 8 * LIMIT).tensor.data);
    // The (3, 4) matrix 0..11, transposed: (4, 3) with strides (1, 4).
    assert.deepStrictEqual(view(0, [4, 3], [1, 4]), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    // Rows 1..2, columns 2..3 of it: offset 6, strides (4, 1).
    assert.deepStrictEqual(view(6, [2, 2], [4, 1]), [6, 7, 10, 11]);
    // A broadcast (stride 0) reads one element again.
    assert.deepStrictEqual(view(5, [3], [0]), [5, 5, 5]);
  });

  it('a malicious pickle (GLOBAL posix system) is refused by name and nothing runs', () => {
    const marker = '/tmp/cvd-evil-pickle';
    fs.rmSync(marker, { force: true });
    assert.strictEqual(refusal(() => decodeTorch(fixture('evil.pt'), 'w', 'float64', LIMIT, 8 * LIMIT)),
      'the checkpoint\'s pickle names posix system, which does not rebuild a tensor: refused, nothing was imported or executed');
    assert.ok(!fs.existsSync(marker));
  });

  it('an opcode a state_dict does not use is refused by name, with its offset', () => {
    assert.strictEqual(refusal(() => unpickleStateDict(Uint8Array.of(0x80, 2, 0x93, 0x2e))),
      'the checkpoint\'s pickle uses opcode STACK_GLOBAL (at byte 2), which a state_dict does not: refused, nothing was executed');
    assert.strictEqual(refusal(() => unpickleStateDict(Uint8Array.of(0x80, 2, 0xfe))),
      'the checkpoint\'s pickle uses opcode 0xfe (at byte 2), which a state_dict does not: refused, nothing was executed');
    // REDUCE of an allowed global with the wrong arguments, and of a list, are refused as well.
    const o = pickleOps;
    const bytes = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap(p => [...p]));
    assert.strictEqual(refusal(() => unpickleStateDict(bytes(o.proto, o.global('torch._utils', '_rebuild_tensor_v2'), o.emptyTuple, o.reduce, o.stop))),
      'the checkpoint\'s data.pkl cannot be read: torch._utils._rebuild_tensor_v2 with arguments other than (storage, offset, size, stride, …)');
    assert.strictEqual(refusal(() => unpickleStateDict(bytes(o.proto, o.emptyTuple, o.emptyTuple, o.reduce, o.stop))),
      'the checkpoint\'s data.pkl cannot be read: REDUCE of something other than a known global');
  });

  it('a pickle of a million appended items is read without overflowing the stack, and refused as no dict', () => {
    const pickle = new Uint8Array(4 + 2 * 1_000_000 + 2);
    pickle.set([0x80, 2, 0x5d, 0x28]);
    for (let i = 0; i < 1_000_000; i++) pickle.set([0x4b, i & 0xff], 4 + 2 * i);
    pickle.set([0x65, 0x2e], pickle.length - 2);
    assert.strictEqual(refusal(() => unpickleStateDict(pickle)), 'the checkpoint\'s data.pkl cannot be read: the pickle is not a dict of tensors');
  });

  it('fuzz: a changed state_dict pickle is unpickled or refused cleanly', () => {
    const pkl = stateDictPickle({ w: { storage: 'HalfStorage', key: '0', offset: 1, size: [2, 3], stride: [1, 2] } });
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(pkl.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), edits => {
      const mutated = pkl.slice();
      for (const [at, b] of edits) mutated[at] = b;
      try {
        assert.ok(unpickleStateDict(mutated) instanceof Map);
      } catch (e) {
        if (!(e instanceof TensorFileError)) throw e;
      }
    }), { numRuns: 1000, interruptAfterTimeLimit: 3000 });
  });

  it('a view past the end of its storage is refused before anything is read', () => {
    const file = torchFile(stateDictPickle({ w: { storage: 'FloatStorage', key: '0', offset: 1, size: [2, 3], stride: [1, 2] } }), { 0: f32Bytes([1, 2, 3, 4, 5]) });
    assert.strictEqual(refusal(() => decodeTorch(file, 'w', 'float64', LIMIT, 8 * LIMIT)),
      'tensor "w" (offset 1, size [2, 3], stride [1, 2]) reads past the end of its storage of 5 elements');
  });

  it('a declared shape over the element limit is refused before anything is allocated', () => {
    const file = torchFile(stateDictPickle({ w: { storage: 'FloatStorage', key: '0', offset: 0, size: [100000, 100000], stride: [100000, 1] } }), { 0: f32Bytes([1]) });
    assert.strictEqual(refusal(() => decodeTorch(file, 'w', 'float64', LIMIT, 8 * LIMIT)), 'the array has 10000000000 elements, more than the element limit of 1000000');
  });

  it('a truncated checkpoint is refused as a broken zip', () => {
    assert.strictEqual(refusal(() => decodeTorch(pt.subarray(0, pt.length - 30), 'fc.bias', 'float64', LIMIT, 8 * LIMIT)),
      'not a readable PyTorch checkpoint (zip): no zip end record');
  });

  it('fuzz: a cut or changed checkpoint is read within the limit or refused cleanly', () => {
    fuzzFile(pt, bytes => decodeTorch(bytes, 'transposed', 'float64', LIMIT, 8 * LIMIT));
  });

  it('a missing key is refused at the key, with the tensors the checkpoint has', () => {
    const a = analyse({ torch: 'm.pt', key: 'conv2.weight' }, { 'm.pt': pt });
    assert.deepStrictEqual(a.problems.map(p => p.path), [['input', 'key']]);
    assert.strictEqual(a.problems[0].detail.split(';')[0], 'm.pt: no array "conv2.weight" in the file');
    const listed = a.problems[0].detail.split('it has ')[1].split(', ').map(k => JSON.parse(k) as string);
    assert.deepStrictEqual(listed.sort(), Object.keys(stored).sort());
  });
});

describe('tensor sources: ONNX initializers', () => {
  const model = fixture('model.onnx');
  for (const name of ['conv1.weight', 'conv1.bias', 'fc.weight', 'fc.bias']) {
    it(`${name} is exactly the parameter torch.onnx.export wrote (onnx-${name}.ref.npy)`, () => {
      const read = decodeOnnx(model, name, 'float64', LIMIT);
      assert.strictEqual(read.dtype, 'FLOAT');
      assertClose(read.tensor, reference(`onnx-${name}.ref.npy`), 0);
    });
  }

  it('the typed data fields (float_data, double_data, int32_data, int64_data) and raw INT64 are read', () => {
    const values = (t: Parameters<typeof onnxModel>[0][0]) => Array.from(decodeOnnx(onnxModel([t]), t.name, 'float64', LIMIT).tensor.data);
    assert.deepStrictEqual(values({ name: 'f', dims: [3], dataType: 1, floatData: [1.5, -2, 0.25] }), [1.5, -2, 0.25]);
    assert.deepStrictEqual(values({ name: 'd', dims: [2], dataType: 11, doubleData: [0.1, -1e300] }), [0.1, -1e300]);
    // FLOAT16 in int32_data: the bit patterns of 1, -2 and 1/3 rounded to half (0.333251953125).
    assert.deepStrictEqual(values({ name: 'h', dims: [3], dataType: 10, int32Data: [0x3c00, 0xc000, 0x3555] }), [1, -2, 0.333251953125]);
    assert.deepStrictEqual(values({ name: 'i', dims: [2], dataType: 6, int32Data: [-7, 3] }), [-7, 3]);
    assert.deepStrictEqual(values({ name: 'l', dims: [2], dataType: 7, int64Data: [-(2n ** 40n), 5n] }), [-(2 ** 40), 5]);
    const raw = new Uint8Array(new BigInt64Array([-3n, 2n ** 35n]).buffer);
    assert.deepStrictEqual(values({ name: 'r', dims: [2], dataType: 7, raw }), [-3, 2 ** 35]);
  });

  it('external data, an unknown data_type and data of the wrong length are refused at the initializer', () => {
    const refused = (t: Parameters<typeof onnxModel>[0][0]) => refusal(() => decodeOnnx(onnxModel([t]), t.name, 'float64', LIMIT));
    assert.strictEqual(refused({ name: 'w', dims: [2], dataType: 1, external: true }),
      'initializer "w" keeps its data in an external file: only data inside the .onnx file is read');
    assert.match(refused({ name: 'w', dims: [2], dataType: 8 }), /^initializer "w" has data_type 8: only FLOAT, UINT8, /);
    assert.strictEqual(refused({ name: 'w', dims: [2, 2], dataType: 1, raw: f32Bytes([1, 2, 3]) }),
      'initializer "w" has 12 units of data where its dims and data_type need 16');
    assert.strictEqual(refused({ name: 'w', dims: [3], dataType: 7, int64Data: [1n] }), 'initializer "w" has 1 units of data where its dims and data_type need 3');
    assert.strictEqual(refused({ name: 'w', dims: [100000, 100000], dataType: 1 }), 'the array has 10000000000 elements, more than the element limit of 1000000');
  });

  it('float_data written unpacked, one field per value (300,000 of them), is read in linear time', () => {
    const count = 300_000;
    const fields = new Uint8Array(5 * count);
    const dv = new DataView(fields.buffer);
    for (let i = 0; i < count; i++) { fields[5 * i] = (4 << 3) | 5; dv.setFloat32(5 * i + 1, i % 7, true); }
    const initializer = Uint8Array.from([...pbVarint(1, count), ...pbVarint(2, 1), ...pbBytes(8, Uint8Array.of(0x77)), ...fields]);
    const started = Date.now();
    const read = decodeOnnx(pbBytes(7, pbBytes(5, initializer)), 'w', 'float64', LIMIT).tensor.data;
    assert.ok(Date.now() - started < 3000, `${Date.now() - started} ms`);
    assert.deepStrictEqual([read.length, read[0], read[6], read[count - 1]], [count, 0, 6, (count - 1) % 7]);
  });

  it('a truncated model is refused as broken protobuf', () => {
    assert.strictEqual(refusal(() => decodeOnnx(model.subarray(0, model.length - 40), 'fc.bias', 'float64', LIMIT)).split(':')[0], 'not a readable ONNX model');
  });

  it('fuzz: a cut or changed model is read within the limit or refused cleanly', () => {
    fuzzFile(model, bytes => decodeOnnx(bytes, 'conv1.weight', 'float64', LIMIT));
  });

  it('a missing initializer is refused at "initializer", with the names there are; a missing "initializer" key is named', () => {
    const a = analyse({ onnx: 'm.onnx', initializer: 'conv2.weight' }, { 'm.onnx': model });
    assert.deepStrictEqual(a.problems.map(p => p.path), [['input', 'initializer']]);
    assert.match(a.problems[0].detail, /^m\.onnx: no array "conv2\.weight" in the file; it has .*"conv1\.weight"/);
    const b = analyse({ onnx: 'm.onnx', key: 'conv1.weight' }, { 'm.onnx': model });
    assert.deepStrictEqual(b.problems.map(p => p.path), [['input', 'key']]);
    const c = analyse({ onnx: 'm.onnx' }, { 'm.onnx': model });
    assert.deepStrictEqual(c.problems.map(p => p.path), [['input', 'initializer']]);
    assert.match(c.problems[0].detail, /^an onnx file holds several arrays: name one with "initializer": "…", found nothing$/);
  });
});

describe('tensor sources in specs: .pt and .onnx', () => {
  const files = { 'm.pt': fixture('state_dict.pt'), 'm.onnx': fixture('model.onnx') };

  it('a network takes its conv weight from a checkpoint and its bias from an ONNX model; the hover names the file and key', () => {
    const spec = {
      input: [[[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]]],
      layers: [{ type: 'conv2d', weight: { torch: 'm.pt', key: 'conv1.weight' }, bias: { onnx: 'm.onnx', initializer: 'conv1.bias' } }],
    };
    assert.deepStrictEqual(specFileReferences(spec).map(r => r.format), ['torch', 'onnx']);
    const trace = traceAnySpecText('n.conv.json', JSON.stringify(spec), {}, new Map(Object.entries(files)));
    assert.ok('layers' in trace);
    assertClose(trace.layers[0].tensors.weight!, reference('pt-conv1.weight.ref.npy'), 0);
    assertClose(trace.layers[0].tensors.bias!, reference('onnx-conv1.bias.ref.npy'), 0);
    const a = analyse({ torch: 'm.pt', key: 'transposed' }, files);
    assert.match(sourceHover(a.sources![0]), /^\*\*m\\\.pt\\\[transposed\\\]\*\*: torch\\\.float32 `\(5, 4\)`/);
  });
});
