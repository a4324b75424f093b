// Every value of an ONNX model under its ONNX name (traceOnnxModel, and conv-trace's model form as a user runs it):
// every node output against onnxruntime-node, the gradients against PyTorch autograd
// (test/fixtures/examples/make_digits_grads.py), a MatMul's weight gradient against the product it must be, and
// hostile command lines refused with one line, writing nothing.

import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Tensor } from '../../src/engine/tensor';
import { TensorFileError } from '../../src/specReader/fileError';
import { decodeNpy } from '../../src/specReader/npy';
import { decodeNpz } from '../../src/specReader/npz';
import { ModelValue, modelLayerNames, traceOnnxModel } from '../../src/specReader/onnx/modelTrace';
import { safeFileName } from '../../src/cli/modelTrace';
import { assertClose, randomTensor, rng } from './helpers';
import { reference } from './onnxReference';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const read = (...parts: string[]) => new Uint8Array(fs.readFileSync(path.join(ROOT, ...parts)));
const DIGITS = read('examples', 'digits.onnx');
const digit = () => decodeNpz(read('examples', 'digits.npz'), 'x', 'float32', 1e6, 1e7).tensor;
const byName = (values: ModelValue[]) => new Map(values.map(v => [v.name, v.tensor]));

const MODELS: Record<string, number[]> = {
  'examples/digits.onnx': [1, 1, 8, 8],
  'test/fixtures/onnx/residual.onnx': [1, 4, 6, 6],
  'test/fixtures/onnx/concat.onnx': [2, 3, 5, 5],
  'test/fixtures/onnx/vgg.onnx': [2, 1, 8, 8],
  'test/fixtures/onnx/vgg_static.onnx': [2, 1, 8, 8],
  'test/fixtures/onnx/avgpool.onnx': [1, 2, 9, 9],
  'test/fixtures/onnx/passthrough.onnx': [1, 3, 4, 4],
  'test/fixtures/onnx/mobile.onnx': [1, 2, 5, 5],
};

describe('traceOnnxModel: every value under its ONNX name', () => {
  for (const [file, shape] of Object.entries(MODELS)) {
    it(`${file} x=[${shape}]: every node output onnxruntime's (float32 and float64, 1e-4)`, async () => {
      const model = read(file);
      const x = randomTensor(shape, rng(11));
      const want = await reference(model, x);
      for (const dtype of ['float32', 'float64'] as const) {
        const trace = traceOnnxModel(model, x, { dtype });
        const got = byName(trace.values);
        // Every float tensor onnxruntime makes (the aliases Identity, Dropout and Flatten make, a Pad's) is here.
        for (const [name, t] of Object.entries(want)) {
          assert.ok(got.has(name), `${dtype}: no value "${name}" (has ${[...got.keys()].join(', ')})`);
          assertClose(got.get(name)!, t, 1e-4, `${dtype} ${file} "${name}"`);
          assert.strictEqual(got.get(name)!.dtype, dtype);
        }
        const roles = trace.values.map(v => v.role);
        assert.strictEqual(roles[0], 'input');
        assert.strictEqual(roles.filter(r => r === 'output').length, 1);
        assert.ok(roles.includes('initializer'));
        assert.ok(!roles.includes('gradient'), 'no gradient without a target');
      }
    });
  }

  it('examples/digits.onnx, class 3: every grad:NAME PyTorch autograd\'s (float64 1e-9, float32 1e-4)', () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/examples/digits.grads.json'), 'utf8')) as { target: number; loss: number; grads: Record<string, { shape: number[]; data: number[] }> };
    for (const [dtype, tol] of [['float64', 1e-9], ['float32', 1e-4]] as const) {
      const trace = traceOnnxModel(DIGITS, digit(), { target: fixture.target, dtype });
      assert.ok(Math.abs(trace.loss! - fixture.loss) <= tol * fixture.loss, `${dtype} loss ${trace.loss} vs ${fixture.loss}`);
      const got = byName(trace.values);
      const grads = trace.values.filter(v => v.role === 'gradient').map(v => v.name);
      assert.deepStrictEqual(grads.sort(), Object.keys(fixture.grads).sort(), 'a gradient of every value, no other');
      for (const [name, { shape, data }] of Object.entries(fixture.grads)) {
        assertClose(got.get(name)!, { shape, dtype: 'float64', data: Float64Array.from(data) }, tol, `${dtype} ${name}`);
      }
    }
  });

  it('avgpool.onnx: a MatMul + Add\'s weight gradient is flattenᵀ · grad of the MatMul, its bias\'s the sum of that', () => {
    const trace = traceOnnxModel(read('test/fixtures/onnx/avgpool.onnx'), randomTensor([1, 2, 9, 9], rng(5)), { target: 1, dtype: 'float64' });
    const v = byName(trace.values);
    const f = v.get('/Flatten_output_0')!;
    const dy = v.get('grad:/MatMul_output_0')!;
    assertClose(dy, v.get('grad:y')!, 0, 'the bias passes the gradient on');
    const [n, k] = f.shape;
    const m = dy.shape[1];
    const want: Tensor = { shape: [k, m], dtype: 'float64', data: new Float64Array(k * m) };
    for (let i = 0; i < k; i++) for (let j = 0; j < m; j++) for (let b = 0; b < n; b++) want.data[i * m + j] += f.data[b * k + i] * dy.data[b * m + j];
    assertClose(v.get('grad:w')!, want, 1e-12, 'grad:w');
    assert.deepStrictEqual(v.get('grad:b')!.shape, v.get('b')!.shape);
    assertClose(v.get('grad:b')!, { ...v.get('b')!, data: dy.data }, 1e-12, 'grad:b');
    // A Pad's value and a Constant's are there; neither has a gradient to give.
    assert.ok(v.has('/pool/Pad_output_0') && v.has('/pool/Constant_output_0') && !v.has('grad:/pool/Constant_output_0') && !v.has('grad:/pool/Pad_output_0'));
  });

  it('only: those names in that order, gradients of only what is asked; an unknown name refused with a few there are', () => {
    const trace = traceOnnxModel(DIGITS, digit(), { target: 8, only: ['grad:conv1.weight', 'logits'] });
    assert.deepStrictEqual(trace.values.map(v => `${v.name} ${v.role}`), ['grad:conv1.weight gradient', 'logits output']);
    const refused = (only: string[], target?: number) => {
      try { traceOnnxModel(DIGITS, digit(), { only, target }); } catch (e) { assert.ok(e instanceof TensorFileError); return e; }
      return assert.fail('not refused');
    };
    const e = refused(['logits', 'nope']);
    assert.strictEqual(e.problem.code, 'onnx.valueName');
    assert.match(e.message, /no value "nope"; it has x, \/conv1\/Conv_output_0, .* and \d+ more/);
    assert.match(refused(['grad:x']).message, /grad:NAME, need a target class/);
    assert.doesNotMatch(refused(['grad:nope'], 2).message, /need a target/);
  });

  it('modelLayerNames: an Identity\'s and a Dropout\'s names come to the layer they pass on, a fused MatMul\'s to its linear layer', () => {
    const names = (file: string, shape: number[]) => Object.fromEntries(modelLayerNames(read(file), shape, 'float64', 1e6));
    assert.deepStrictEqual(names('test/fixtures/onnx/passthrough.onnx', [1, 3, 4, 4]), { x: -1, conv: 0, c: 0, same: 0, i: 0, drop: 0, d: 0, flat: 1, f: 1, fc: 2, y: 2 });
    const avgpool = names('test/fixtures/onnx/avgpool.onnx', [1, 2, 9, 9]);
    assert.strictEqual(avgpool['/MatMul'], avgpool['/Add']);
    assert.strictEqual(avgpool['/MatMul_output_0'], avgpool.y);
    assert.strictEqual(avgpool['/pool/Pad'], 0, 'a Pad comes to the layer it pads');
    assert.ok(!('/pool/Constant' in avgpool), 'a constant comes to no layer');
  });

  it('file names made from ONNX names: safe, and unique', () => {
    const taken = new Set<string>();
    assert.deepStrictEqual(['/conv1/Conv_output_0', 'grad:/conv1/Conv_output_0', 'a/b', 'a_b', '..', 'onnx::Unsqueeze_18'].map(n => safeFileName(n, taken)),
      ['conv1_Conv_output_0.npy', 'grad__conv1_Conv_output_0.npy', 'a_b.npy', 'a_b_2.npy', 'value.npy', 'onnx__Unsqueeze_18.npy']);
  });
});

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('conv-trace MODEL.onnx: the model form', () => {
  let dir: string;
  let npy: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conv-trace-model-'));
    npy = path.join(dir, 'digit.npy');
    // The digit as (8, 8): the model's (1, 1, 8, 8) differs only by axes of 1.
    const x = digit();
    const body = Buffer.from(new Float32Array(x.data).buffer);
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 8), }";
    const pad = 64 - ((10 + header.length + 1) % 64);
    fs.writeFileSync(npy, Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0, header.length + pad + 1, 0]), Buffer.from(header + ' '.repeat(pad) + '\n'), body]));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('json: every value in order with its role, node and op; the logits onnxruntime\'s, the loss PyTorch\'s', async () => {
    const r = cli(['examples/digits.onnx', '--input', npy, '--target', '8']);
    assert.strictEqual(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { model: string; input: string; output: string; target: number; loss: number; values: { name: string; role: string; node?: string; op?: string; shape: number[]; dtype: string; data: number[] }[] };
    assert.deepStrictEqual([out.model, out.input, out.output, out.target], ['digits.onnx', 'x', 'logits', 8]);
    const ref = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/examples/digits.ref.json'), 'utf8')) as { loss: number; label: number };
    assert.strictEqual(ref.label, 8);
    assert.ok(Math.abs(out.loss - ref.loss) < 1e-5, `${out.loss} vs ${ref.loss}`);
    assert.deepStrictEqual(out.values.slice(0, 3).map(v => [v.name, v.role, v.node, v.op]), [['x', 'input', undefined, undefined], ['/conv1/Conv_output_0', 'node', '/conv1/Conv', 'Conv'], ['/Relu_output_0', 'node', '/Relu', 'Relu']]);
    assert.strictEqual(out.values.length, 1 + 8 + 6 + 15);
    const logits = out.values.find(v => v.name === 'logits')!;
    assert.strictEqual(logits.role, 'output');
    const want = await reference(DIGITS, digit());
    assertClose({ shape: logits.shape, dtype: 'float64', data: Float64Array.from(logits.data) }, want.logits, 1e-4, 'logits');
  });

  it('a PNG: read as the model\'s (1, 1, 8, 8) gray at 0–1; text: name, shape, dtype, statistics and a preview', () => {
    const png = path.join(dir, 'digit.png');
    // An 8 × 8 gray PNG of the digit (fast-png, the image reader's own decoder's encoder).
    const { encode } = require('fast-png') as typeof import('fast-png'); // eslint-disable-line @typescript-eslint/no-require-imports
    const x = digit();
    fs.writeFileSync(png, encode({ width: 8, height: 8, channels: 1, depth: 8, data: Uint8Array.from(x.data, v => Math.round(v * 255)) }));
    const r = cli(['examples/digits.onnx', '--input', png, '--format', 'text', '--only', 'x,logits']);
    assert.strictEqual(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.strictEqual(lines[0], 'digits.onnx on digit.png');
    assert.strictEqual(lines[2], 'x  (1, 1, 8, 8)  float32  graph input');
    assert.match(lines[3], /^ {2}min 0 {2}max 1 {2}mean 0\.\d+ {2}std 0\.\d+$/);
    assert.ok(lines.includes('logits  (1, 10)  float32  Gemm /fc/Gemm (graph output)'), r.stdout);
    const json = JSON.parse(cli(['examples/digits.onnx', '--input', png, '--only', 'x']).stdout) as { values: { data: number[] }[] };
    json.values[0].data.forEach((v, i) => assert.ok(Math.abs(v - x.data[i]) <= 0.5 / 255 + 1e-7, `x[${i}] ${v} vs ${x.data[i]}`));
  });

  it('npy: one file per value, named from its ONNX name; existing files kept unless --force', () => {
    const out = path.join(dir, 'out');
    const args = ['examples/digits.onnx', '--input', npy, '--target', '2', '--only', 'x,/conv1/Conv_output_0,grad:fc.weight', '--format', 'npy', '--out', out];
    const r = cli(args);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.deepStrictEqual(fs.readdirSync(out).sort(), ['conv1_Conv_output_0.npy', 'grad_fc.weight.npy', 'x.npy']);
    assert.match(r.stdout, /grad_fc\.weight\.npy {2}grad:fc\.weight {2}\(10, 64\) {2}float32/);
    const grad = decodeNpy(new Uint8Array(fs.readFileSync(path.join(out, 'grad_fc.weight.npy'))));
    assertClose(grad, traceOnnxModel(DIGITS, digit(), { target: 2, only: ['grad:fc.weight'] }).values[0].tensor, 0, 'grad:fc.weight');
    const before = fs.statSync(path.join(out, 'x.npy')).mtimeMs;
    fs.unlinkSync(path.join(out, 'grad_fc.weight.npy'));
    const again = cli(args);
    assert.strictEqual(again.status, 2);
    assert.match(again.stderr, /^conv-trace: 2 files already there \(x\.npy, conv1_Conv_output_0\.npy\); nothing written: give --force to overwrite\n$/);
    assert.deepStrictEqual(fs.readdirSync(out).sort(), ['conv1_Conv_output_0.npy', 'x.npy'], 'nothing written');
    assert.strictEqual(fs.statSync(path.join(out, 'x.npy')).mtimeMs, before);
    assert.strictEqual(cli([...args, '--force']).status, 0);
    assert.strictEqual(fs.readdirSync(out).length, 3);
  });

  const HOSTILE: [string, (dir: string, npy: string) => string[], RegExp][] = [
    ['an unknown --only name', (_, npy) => ['examples/digits.onnx', '--input', npy, '--only', 'logits,nope'], /^conv-trace: examples\/digits\.onnx: the model has no value "nope"; it has x, \/conv1\/Conv_output_0, .+ and \d+ more$/],
    ['grad:NAME without --target', (_, npy) => ['examples/digits.onnx', '--input', npy, '--only', 'grad:x'], /need a target class/],
    ['no --input', () => ['examples/digits.onnx'], /^conv-trace: missing --input FILE\.npy\|FILE\.png: the model needs an input$/],
    ['an --input that is not there', dir => ['examples/digits.onnx', '--input', path.join(dir, 'none.npy')], /none\.npy: no such file$/],
    ['--format npy without --out', (_, npy) => ['examples/digits.onnx', '--input', npy, '--format', 'npy'], /^conv-trace: --format npy writes files: give a directory with --out DIR$/],
    ['a malformed .onnx', (dir, npy) => { fs.writeFileSync(path.join(dir, 'bad.onnx'), DIGITS.subarray(0, 300)); return [path.join(dir, 'bad.onnx'), '--input', npy]; }, /bad\.onnx: .*(truncated|ONNX)/i],
    ['an input of another shape', (dir) => { const p = path.join(dir, 'wide.npy'); fs.copyFileSync(path.join(ROOT, 'examples/edge-input.npy'), p); return ['examples/digits.onnx', '--input', p]; }, /digits\.onnx: .*"x"/],
    ['a class the output has not', (_, npy) => ['examples/digits.onnx', '--input', npy, '--target', '10'], /class/],
  ];
  for (const [what, args, message] of HOSTILE) {
    it(`refused, one line, exit 2, nothing written: ${what}`, () => {
      const out = path.join(dir, 'out');
      const given = args(dir, npy);
      const r = cli(given.includes('npy') ? given : [...given, '--out', out]);
      assert.strictEqual(r.status, 2, r.stderr);
      assert.match(r.stderr.trimEnd(), message);
      assert.strictEqual(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.strictEqual(r.stdout, '');
      assert.ok(!fs.existsSync(out), 'nothing written');
    });
  }
});
