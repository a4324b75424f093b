// Tensor sources in specs: images, .npz and .safetensors files, against the values
// their real writers meant (test/fixtures/tensorSources/make_fixtures.py: numpy, PIL,
// torch), and hostile files of each kind.

import * as assert from 'assert';
import * as fc from 'fast-check';
import { decode as decodePng } from 'fast-png';
import * as fs from 'fs';
import * as path from 'path';
import { Tensor, tensor } from '../../src/engine/tensor';
import { traceFile } from '../../src/lib';
import { analyzeSpec, traceAnySpecText } from '../../src/specReader/convSpec';
import { TensorFileError } from '../../src/specReader/fileError';
import { sourceHover } from '../../src/specReader/hoverText';
import { decodeImage } from '../../src/specReader/image';
import { decodeNpy } from '../../src/specReader/npy';
import { decodeNpz } from '../../src/specReader/npz';
import { english } from '../../src/specReader/problemText.en';
import { decodeSafetensors } from '../../src/specReader/safetensors';
import { JsonSource } from '../../src/specReader/source';
import { NpyFiles, readSpecFiles } from '../../src/specReader/specFiles';
import { specFileReferences } from '../../src/specReader/tensorSource';
import { spawnSync } from 'child_process';
import { assertClose, memoryFiles } from './helpers';
import { jpegHeader, npzFile, pngFile, safetensorsFile, zipDeclaring } from './tensorFiles';

const FIXTURES = path.join(__dirname, '../../../test/fixtures/tensorSources');
const fixture = (name: string) => new Uint8Array(fs.readFileSync(path.join(FIXTURES, name)));
const reference = (name: string) => decodeNpy(fixture(name));
const LIMIT = 1_000_000;

/** A reference image (H, W, C) as the (1, C, H, W) tensor an image source gives. */
function chw(ref: Tensor): Tensor {
  const [h, w, c] = ref.shape;
  const data = new Float64Array(ref.data.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) data[(k * h + y) * w + x] = ref.data[(y * w + x) * c + k];
  return { shape: [1, c, h, w], dtype: 'float64', data };
}

/** The problem a decoder refuses with, rendered. */
function refusal(fn: () => unknown): string {
  try { fn(); } catch (e) {
    if (e instanceof TensorFileError) return english(e.problem);
    throw e;
  }
  return 'decoded';
}

const weight = [[[[1]]]];

/** A spec with `input` from a source, analysed with `files` in memory. */
function analyse(input: object, files: Record<string, Uint8Array>, maxElements = LIMIT) {
  const text = JSON.stringify({ input, weight });
  return analyzeSpec(JsonSource.parse('s.conv.json', text), new Map(Object.entries(files)), maxElements);
}

describe('tensor sources: images', () => {
  const png = (name: string) => decodeImage(fixture(name), {}, 'float64', LIMIT).tensor;
  for (const [file, ref] of [
    ['rgb8.png', 'rgb8'], ['rgb8-adam7.png', 'rgb8'], ['gray8.png', 'gray8'], ['gray16.png', 'gray16'], ['rgb16.png', 'rgb16'], ['rgb16-adam7.png', 'rgb16'],
    ['palette8.png', 'palette8'], ['palette8-adam7.png', 'palette8'], ['palette4.png', 'palette4'], ['palette2.png', 'palette2'], ['gray1.png', 'gray1'],
  ]) {
    it(`${file} decodes to exactly the samples written (${ref}.ref.npy)`, () => {
      assertClose(png(file), chw(reference(`${ref}.ref.npy`)), 0);
    });
  }

  it('alpha is dropped: rgba8.png gives its RGB, graya8.png its gray channel', () => {
    const rgba = reference('rgba8.ref.npy');
    const graya = reference('graya8.ref.npy');
    assertClose(png('rgba8.png'), chw({ ...rgba, data: rgba.data.filter((_, i) => i % 4 !== 3), shape: [5, 7, 3] }), 0);
    assertClose(png('graya8.png'), chw({ ...graya, data: graya.data.filter((_, i) => i % 2 === 0), shape: [5, 7, 1] }), 0);
  });

  it('interlaced PNGs of 2- and 4-bit samples (fast-png misreads them) are refused by name', () => {
    for (const depth of [2, 4]) {
      assert.strictEqual(refusal(() => png(`palette${depth}-adam7.png`)), `interlaced PNGs of ${depth}-bit samples are not supported: save it without interlacing, or with 8-bit samples`);
    }
  });

  // jpeg-js and libjpeg (PIL) use different IDCTs: values agree within 2 levels. On 4:2:0 files they upsample the
  // chroma differently (jpeg-js repeats pixels, libjpeg interpolates), so subsampled.jpg gets a looser bound.
  for (const [name, max, mean] of [['baseline', 2, 1], ['progressive', 2, 1], ['gray', 1, 0.1], ['subsampled', 16, 6]] as const) {
    it(`${name}.jpg decodes within ${max} levels of PIL's decode (mean difference under ${mean})`, () => {
      const got = decodeImage(fixture(`${name}.jpg`), {}, 'float64', LIMIT).tensor;
      const ref = chw(reference(`${name}.ref.npy`));
      assertClose(got, ref, max);
      const meanDiff = Array.from(got.data, (v, i) => Math.abs(v - ref.data[i])).reduce((a, b) => a + b, 0) / got.data.length;
      assert.ok(meanDiff < mean, `mean difference ${meanDiff}`);
    });
  }

  for (const [h, w] of [[3, 4], [9, 13], [5, 2], [1, 1]]) {
    it(`size [${h}, ${w}] is torch's bilinear interpolate (align_corners=False, no antialias)`, () => {
      const got = decodeImage(fixture('rgb8.png'), { size: [h, w] }, 'float64', LIMIT).tensor;
      assertClose(got, reference(`rgb8-resize-${h}x${w}.ref.npy`), 1e-12);
    });
  }

  it('size, scale 255 and the ImageNet normalize together match torch', () => {
    const options = { size: [9, 13] as [number, number], scale: 255, normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } };
    assertClose(decodeImage(fixture('rgb8.png'), options, 'float64', LIMIT).tensor, reference('rgb8-imagenet-9x13.ref.npy'), 1e-12);
  });

  it('mode "gray" weighs RGB as PIL\'s convert("L") does; mode "rgb" repeats a gray channel', () => {
    assertClose(decodeImage(fixture('rgb8.png'), { mode: 'gray' }, 'float64', LIMIT).tensor, reference('rgb8-gray.ref.npy'), 1e-12);
    const gray = chw(reference('gray8.ref.npy'));
    const rgb = decodeImage(fixture('gray8.png'), { mode: 'rgb' }, 'float64', LIMIT).tensor;
    assertClose(rgb, { ...gray, shape: [1, 3, 5, 7], data: Float64Array.from({ length: 105 }, (_, i) => gray.data[i % 35]) }, 0);
  });

  it('a 30000 × 30000 PNG or JPEG is refused from its header, before any pixel data (there is none)', async () => {
    const big = pngFile({ width: 30000, height: 30000, depth: 8, colorType: 2 }, new Uint8Array(0), new Uint8Array(0));
    const expected = 'the image is 30000 × 30000 with 3 channels: 2700000000 values, more than the element limit of 1000000';
    assert.strictEqual(refusal(() => decodeImage(big, {}, 'float64', LIMIT)), expected);
    assert.strictEqual(refusal(() => decodeImage(jpegHeader(30000, 30000), {}, 'float64', LIMIT)), expected);
    const files = await readSpecFiles('/ws/s.json', [{ file: 'big.png', format: 'image' }], memoryFiles({ '/ws/big.png': { bytes: big } }), { maxElements: LIMIT });
    const file = files.get('big.png');
    assert.ok(file && !(file instanceof Uint8Array));
    assert.strictEqual(english(file.problem), expected);
  });

  it('a "size" over the element limit is refused at $.input.size', () => {
    const a = analyse({ image: 'x.png', size: [2000, 2000] }, { 'x.png': fixture('rgb8.png') });
    assert.deepStrictEqual(a.problems.map(p => [p.path, p.detail]), [[['input', 'size'], 'x.png: the image is 2000 × 2000 with 3 channels: 12000000 values, more than the element limit of 1000000']]);
  });

  it('a PNG whose data inflates past what its size needs (a zlib bomb) is refused without inflating it all', () => {
    const raw = new Uint8Array(64 << 20);
    const started = Date.now();
    const bomb = pngFile({ width: 4, height: 4, depth: 8, colorType: 0 }, raw);
    assert.strictEqual(refusal(() => decodeImage(bomb, {}, 'float64', LIMIT)), 'the PNG image data inflates to more than the 20 bytes its size needs (corrupt, or a zip bomb)');
    assert.ok(Date.now() - started < 5000);
  });

  it('a PNG whose data ends early is refused as cut short, not read as zeros', () => {
    const short = pngFile({ width: 4, height: 4, depth: 8, colorType: 0 }, new Uint8Array(18));
    assert.strictEqual(refusal(() => decodeImage(short, {}, 'float64', LIMIT)), 'the PNG file is cut short');
  });

  it('fuzz: a cut or altered PNG or JPEG decodes to its size or is refused with a problem, never a crash', () => {
    const files = ['rgb8.png', 'rgb8-adam7.png', 'palette4.png', 'gray16.png', 'baseline.jpg', 'progressive.jpg'].map(fixture);
    fc.assert(fc.property(fc.nat(files.length - 1), fc.nat(), fc.nat(255), fc.boolean(), (which, at, byte, cut) => {
      const bytes = files[which].slice();
      const where = at % bytes.length;
      const mutated = cut ? bytes.subarray(0, where) : (bytes[where] = byte, bytes);
      try {
        const { tensor: t, header } = decodeImage(mutated, {}, 'float64', LIMIT);
        assert.strictEqual(t.data.length, header.width * header.height * t.shape[1]);
      } catch (e) {
        if (!(e instanceof TensorFileError)) throw e;
      }
    }), { numRuns: 300, interruptAfterTimeLimit: 4000 });
  });
});

describe('tensor sources: .npz', () => {
  for (const file of ['stored.npz', 'deflated.npz']) {
    for (const key of ['x', 'w', 'b', 'h']) {
      it(`${file} key "${key}" is exactly what numpy saved`, () => {
        assertClose(decodeNpz(fixture(file), key, 'float64', LIMIT, 8 * LIMIT).tensor, reference(`npz-${key}.ref.npy`), 0);
      });
    }
  }

  it('a missing key is refused at $.input.key with the keys there are', () => {
    const a = analyse({ npz: 'b.npz', key: 'y' }, { 'b.npz': fixture('deflated.npz') });
    assert.deepStrictEqual(a.problems.map(p => [p.path, p.detail]), [[['input', 'key'], 'b.npz: no array "y" in the file; it has "x", "w", "b", "h"']]);
  });

  it('an entry declaring more than the limit is refused before inflating; one inflating past its declared size stops there', () => {
    const x = npzFile({ x: tensor([1, 1, 2, 2], [1, 2, 3, 4]) }, true);
    assert.match(refusal(() => decodeNpz(x, 'x', 'float64', LIMIT, 100)), /^array "x" is \d+ bytes uncompressed, more than the element limit allows \(100 bytes\)$/);
    const bomb = zipDeclaring('x.npy', new Uint8Array(32 << 20), 1000);
    assert.strictEqual(refusal(() => decodeNpz(bomb, 'x', 'float64', LIMIT, 8 * LIMIT)), 'array "x" inflates to more than the 1000 bytes its zip entry declares (corrupt, or a zip bomb)');
  });

  it('fuzz: a cut or altered .npz gives the array or a problem, never a crash', () => {
    const files = ['stored.npz', 'deflated.npz'].map(fixture);
    fc.assert(fc.property(fc.nat(1), fc.nat(), fc.nat(255), fc.boolean(), fc.constantFrom('x', 'w', 'b', 'h'), (which, at, byte, cut, key) => {
      const bytes = files[which].slice();
      const where = at % bytes.length;
      const mutated = cut ? bytes.subarray(0, where) : (bytes[where] = byte, bytes);
      try {
        const t = decodeNpz(mutated, key, 'float64', LIMIT, 8 * LIMIT).tensor;
        assert.ok(t.data.length <= LIMIT);
      } catch (e) {
        if (!(e instanceof TensorFileError)) throw e;
      }
    }), { numRuns: 300, interruptAfterTimeLimit: 4000 });
  });
});

describe('tensor sources: .safetensors', () => {
  for (const dtype of ['f64', 'f32', 'f16', 'bf16', 'i64', 'i32', 'i16', 'i8', 'u8', 'bool']) {
    it(`${dtype.toUpperCase()} is exactly the value torch wrote (st-${dtype}.ref.npy)`, () => {
      assertClose(decodeSafetensors(fixture('model.safetensors'), `conv.${dtype}`, 'float64', LIMIT).tensor, reference(`st-${dtype}.ref.npy`), 0);
    });
  }

  it('header length and offsets are checked against the file', () => {
    const w = { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] };
    assert.strictEqual(refusal(() => decodeSafetensors(safetensorsFile({ w }, new Uint8Array(8)), 'w', 'float64', LIMIT)),
      'tensor "w" has data_offsets [0, 16]: its shape and dtype need 16 bytes, within the 8 bytes of data');
    assert.strictEqual(refusal(() => decodeSafetensors(safetensorsFile({ w: { ...w, data_offsets: [0, 12] } }, new Uint8Array(16)), 'w', 'float64', LIMIT)),
      'tensor "w" has data_offsets [0, 12]: its shape and dtype need 16 bytes, within the 16 bytes of data');
    const lying = safetensorsFile('{}');
    new DataView(lying.buffer).setBigUint64(0, 2n ** 60n, true);
    assert.strictEqual(refusal(() => decodeSafetensors(lying, 'w', 'float64', LIMIT)), `not a readable .safetensors file: a header of ${2n ** 60n} bytes in a file of 10`);
    assert.strictEqual(refusal(() => decodeSafetensors(safetensorsFile({ w: { ...w, shape: [100000, 100000] } }), 'w', 'float64', LIMIT)),
      'the array has 10000000000 elements, more than the element limit of 1000000');
  });

  it('a dtype named like an Object property ("constructor", "toString") is refused as unsupported', () => {
    for (const dtype of ['constructor', 'toString', '__proto__']) {
      const file = safetensorsFile({ w: { dtype, shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8));
      assert.match(refusal(() => decodeSafetensors(file, 'w', 'float64', LIMIT)), new RegExp(`^tensor "w" has dtype ${dtype}: only F64, F32, `));
    }
  });

  it('fuzz: a header whose entries hold hostile values gives the array or a problem naming it, never a crash', () => {
    const file = fixture('model.safetensors');
    const length = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + length))) as Record<string, Record<string, unknown>>;
    const data = file.subarray(8 + length);
    const dims = fc.oneof(fc.constantFrom<unknown>(null, -1, 1.5, 2 ** 53, 1e308, {}, [-1], [2 ** 53], [1e6, 1e6], [0.5]), fc.array(fc.integer({ min: -2, max: 5000 }), { maxLength: 4 }));
    const hostile: Record<string, fc.Arbitrary<unknown>> = {
      dtype: fc.constantFrom<unknown>('constructor', '__proto__', 'toString', 'valueOf', 'F32', 'F64', 'BF16', 'U64', 'BOOL', 'F8_E4M3', '', null, 3, []),
      shape: dims,
      data_offsets: fc.oneof(dims, fc.constantFrom<unknown>([0, 0], [0, 2 ** 53], [5, 1], [3, 0])),
    };
    const names = Object.keys(header).filter(k => k !== '__metadata__');
    const edit = fc.constantFrom('dtype', 'shape', 'data_offsets').chain(field => fc.tuple(fc.nat(), fc.constant(field), hostile[field]));
    fc.assert(fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), fc.nat(), (edits, pick) => {
      const edited = structuredClone(header);
      for (const [at, field, value] of edits) edited[names[at % names.length]][field] = value;
      // Mostly a tensor that was edited.
      const key = names[(pick % 2 ? edits[0][0] : pick) % names.length];
      const said = refusal(() => {
        const t = decodeSafetensors(safetensorsFile(edited, data), key, 'float64', LIMIT).tensor;
        assert.strictEqual(t.data.length, t.shape.reduce((a, b) => a * b, 1));
      });
      assert.doesNotMatch(said, /NaN|undefined/, said);
    }), { numRuns: 400 });
  });

  it('a missing key is refused at the key, with the keys there are', () => {
    const a = analyse({ safetensors: 'm.safetensors', key: 'conv.f8' }, { 'm.safetensors': fixture('model.safetensors') });
    assert.deepStrictEqual(a.problems.map(p => p.path), [['input', 'key']]);
    assert.match(a.problems[0].detail, /^m\.safetensors: no array "conv\.f8" in the file; it has "conv\.f64", "conv\.f32", /);
  });
});

describe('tensor sources in specs', () => {
  const files: Record<string, Uint8Array> = { 'cat.png': fixture('rgb8.png'), 'b.npz': fixture('deflated.npz'), 'm.safetensors': fixture('model.safetensors') };

  it('a network reads its input from an image, a weight from .safetensors and a bias from .npz, in the spec\'s dtype', () => {
    const spec = {
      input: { image: 'cat.png', size: [3, 4], scale: 255 }, dtype: 'float32',
      layers: [{ type: 'conv2d', weight: { safetensors: 'm.safetensors', key: 'conv.f32' }, bias: { npz: 'b.npz', key: 'b' } }, { type: 'relu' }],
    };
    assert.deepStrictEqual(specFileReferences(spec).map(r => r.format), ['image', 'safetensors', 'npz']);
    const trace = traceAnySpecText('n.conv.json', JSON.stringify(spec), {}, new Map(Object.entries(files)));
    assert.ok('layers' in trace);
    const input = trace.layers[0].tensors.input!;
    assert.strictEqual(input.dtype, 'float32');
    assertClose(input, { ...reference('rgb8-resize-3x4.ref.npy'), data: reference('rgb8-resize-3x4.ref.npy').data.map(v => v / 255) }, 1e-6);
  });

  it('a shape that does not fit is a problem at the file\'s key', () => {
    const a = analyse({ npz: 'b.npz', key: 'b' }, files);
    assert.deepStrictEqual(a.problems.map(p => [p.path, p.detail]), [[['input', 'npz'], 'b.npz[b] holds a 1-D array (2,), expected 4-D (B, Cin, H, W)']]);
  });

  it('a wrong option is a problem at that option, an unknown key at that key', () => {
    const problems = (input: object) => analyse(input, files).problems.map(p => JSON.stringify(p.path));
    assert.deepStrictEqual(problems({ image: 'cat.png', mode: 'bgr' }), ['["input","mode"]']);
    assert.deepStrictEqual(problems({ image: 'cat.png', normalize: { mean: [0.5], std: [0.5] } }), ['["input","normalize"]']);
    assert.deepStrictEqual(problems({ image: 'cat.png', resize: [2, 2] }), ['["input","resize"]']);
    assert.deepStrictEqual(problems({ npz: 'b.npz' }), ['["input","key"]']);
  });

  it('the hover shows what the file stores, the shape, statistics and, for an image, a thumbnail of the tensor', () => {
    const a = analyse({ image: 'cat.png', size: [9, 13] }, files);
    const [source] = a.sources!;
    const text = sourceHover(source);
    assert.match(text, /^\*\*cat\\\.png\*\*: PNG 8\\-bit RGB `\(1, 3, 9, 13\)`\n\nmin [\d.]+ · max [\d.]+ · mean [\d.]+ · non-finite 0\n\n!\[thumbnail\]\(data:image\/png;base64,/);
    const thumbnail = decodePng(Buffer.from(/base64,([^)]+)\)/.exec(text)![1], 'base64'));
    assert.deepStrictEqual([thumbnail.width, thumbnail.height, thumbnail.channels], [13, 9, 4]);
    const npz = analyse({ npz: 'b.npz', key: 'x' }, files).sources![0];
    assert.match(sourceHover(npz), /^\*\*b\\\.npz\\\[x\\\]\*\*: float64 `\(2, 3, 4, 4\)`\n\nmin -[\d.]+ · max [\d.]+ · mean -?[\d.]+ · non-finite 0$/);
  });

  it('a normalized image\'s thumbnail shows the image\'s own pixels, not a stretch of its values', () => {
    const [source] = analyse({ image: 'cat.png', scale: 255, normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } }, files).sources!;
    const thumbnail = decodePng(Buffer.from(/base64,([^)]+)\)/.exec(sourceHover(source))![1], 'base64'));
    const original = decodePng(files['cat.png']);
    assert.deepStrictEqual([thumbnail.width, thumbnail.height], [original.width, original.height]);
    const rgb = Array.from({ length: original.width * original.height * 3 }, (_, i) => thumbnail.data[Math.floor(i / 3) * 4 + (i % 3)]);
    assert.deepStrictEqual(rgb, Array.from(original.data));
  });

  it('files are read once each, and only regular files inside the folder', async () => {
    const spec = { input: { image: 'cat.png' }, layers: [{ type: 'conv2d', weight: { npz: '../b.npz', key: 'w' } }, { type: 'conv2d', weight: { npz: '../b.npz', key: 'x' } }] };
    const npy: NpyFiles = await readSpecFiles('/ws/s.json', specFileReferences(spec), memoryFiles({ '/ws/cat.png': { bytes: files['cat.png'] }, '/b.npz': { bytes: files['b.npz'] } }), { maxElements: LIMIT, folder: '/ws' });
    assert.deepStrictEqual([...npy.keys()], ['cat.png', '../b.npz']);
    const outside = npy.get('../b.npz');
    assert.ok(outside && !(outside instanceof Uint8Array) && outside.problem.code === 'file.outside');
  });
});

describe('tensor sources: the shipped examples, the library and the CLI', () => {
  const EXAMPLES = path.join(__dirname, '../../../examples');

  it('examples/chelsea.conv.json: the photograph resized and normalized, the Sobel kernels from .safetensors', async () => {
    const trace = await traceFile(path.join(EXAMPLES, 'chelsea.conv.json'));
    assert.ok(!('layers' in trace));
    assert.deepStrictEqual(trace.tensors.input!.shape, [1, 3, 32, 32]);
    assert.deepStrictEqual(trace.tensors.z!.shape, [1, 2, 32, 32]);
    const photo = decodeImage(new Uint8Array(fs.readFileSync(path.join(EXAMPLES, 'chelsea.png'))), { size: [32, 32], scale: 255, normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } }, 'float64', LIMIT);
    assertClose(trace.tensors.input!, photo.tensor, 0);
  });

  it('examples/batch.conv.json reads input, weight and bias from batch.npz', async () => {
    const trace = await traceFile(path.join(EXAMPLES, 'batch.conv.json'));
    assert.ok(!('layers' in trace));
    assert.deepStrictEqual([trace.tensors.input!.shape, trace.tensors.weight!.shape, trace.tensors.bias!.shape], [[2, 1, 6, 6], [2, 1, 3, 3], [2]]);
  });

  it('conv-trace exits 2 with one line at the key for a missing .npz key', () => {
    const spec = path.join(EXAMPLES, 'batch.conv.json');
    const text = fs.readFileSync(spec, 'utf8').replace('"key": "w"', '"key": "weights"');
    const r = spawnSync(process.execPath, [path.join(__dirname, '../../../dist/cli.js'), '-'], { input: text, cwd: EXAMPLES, encoding: 'utf8', timeout: 15_000 });
    assert.strictEqual(r.status, 2, r.stderr);
    assert.match(r.stderr.trim(), /^<stdin>:\d+:\d+: \$\.weight\.key: batch\.npz: no array "weights" in the file; it has "x", "w", "b"$/);
  });
});
