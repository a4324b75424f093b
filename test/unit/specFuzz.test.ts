// Fuzzing the spec reader and the engine with mutated specs: whatever the text,
// the answer is a clean refusal (a SpecError with a path or a position) or a
// trace whose numbers equal the naive reference (over the input with its zero padding
// written out: 0 · ∞ is NaN there, as im2col and PyTorch compute it), and a run never holds more than
// the size budget promises. Mutations work on the parsed value (a node replaced
// by something hostile, a key dropped) and on the text (cut, spliced, nested deep).

import * as assert from 'assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { TOTAL_FACTOR } from '../../src/engine/budget';
import { ConvTrace } from '../../src/engine/trace';
import { NetworkTrace } from '../../src/engine/network';
import { conv2dGradNaive, conv2dNaive } from '../../src/engine/reference';
import { ConvInfo, ConvOptions, convInfo } from '../../src/engine/convInfo';
import { Tensor, sizeOf, zeros } from '../../src/engine/tensor';
import { analyzeSpec, isNetworkTrace, traceAnySpecText } from '../../src/specReader/convSpec';
import { JsonSource, SpecError } from '../../src/specReader/source';

const ROOT = path.join(__dirname, '../../..');
// Networks of every kind the examples hold: padded convs, pooling, batchnorm, residual adds, concat, transposed convs.
const EXAMPLES = ['seed.conv.json', 'two-layer.conv.json', 'lenet.conv.json', 'resnet-block.conv.json', 'unet-up.conv.json', 'bn.conv.json', 'upsample.conv.json', 'conv1d.conv.json'].map(f => fs.readFileSync(path.join(ROOT, 'examples', f), 'utf8'));
const MAX_ELEMENTS = 200_000;
const RUNS = { numRuns: 120, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Values a hostile spec puts where a number, a tensor or an option belongs. */
const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(0, -1, 1.5, 1e300, -1e300, 2 ** 31, 2 ** 53, 23170, 'NaN', 'Infinity', '-Infinity', 'same', 'valid', '', null, true, [], {},
    [[[[]]]], { npy: '/dev/zero' }, { npy: '../../etc/passwd' }, { npy: 'missing.npy' }, { npy: 3 }, '__proto__', 'constructor', '\u001b]0;title\u0007'),
  fc.integer({ min: -5, max: 5000 }),
  fc.double({ noNaN: true, min: -1e300, max: 1e300 }), // room to add a few products without overflowing in one order and not the other
  fc.string({ maxLength: 8 }),
  fc.array(fc.integer({ min: -3, max: 400 }), { maxLength: 4 }),
  fc.integer({ min: 1, max: 6 }).chain(d => fc.constant(nested(d, 2))),
);

function nested(depth: number, width: number): Json {
  return depth === 0 ? 1 : Array.from({ length: width }, () => nested(depth - 1, width));
}

/** Every path to a node of a JSON value. */
function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths(v[k], [...at, k], out);
  return out;
}

function setAt(root: Json, at: (string | number)[], value: Json | undefined): Json {
  if (at.length === 0) return value ?? null;
  const copy = structuredClone(root);
  let node = copy as Record<string | number, Json>;
  for (const seg of at.slice(0, -1)) node = node[seg] as Record<string | number, Json>;
  const last = at[at.length - 1];
  if (value === undefined && !Array.isArray(node)) delete node[last];
  else node[last] = value ?? null;
  return copy;
}

/** A mutated spec text: value-level edits, then maybe a text-level one. */
const mutatedSpec: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...EXAMPLES), fc.array(fc.tuple(fc.nat(), fc.option(hostileValue, { nil: undefined })), { minLength: 1, maxLength: 3 }), fc.nat(), fc.nat(5))
  .map(([text, edits, cut, textEdit]) => {
    let value = JSON.parse(text) as Json;
    for (const [pick, replacement] of edits) {
      const all = paths(value);
      value = setAt(value, all[pick % all.length], replacement);
    }
    const out = JSON.stringify(value);
    switch (textEdit) {
      case 0: return out.slice(0, cut % (out.length + 1)); // cut short
      case 1: return '\uFEFF' + out; // a byte-order mark
      case 2: return out.replace(/^\{/, `{"input": ${'['.repeat(2000)}1${']'.repeat(2000)}, `); // deep, and a duplicate key
      case 3: return out.replace(/\[/, '['.repeat(5000)); // deep and unclosed
      default: return out;
    }
  });

/** Every element a trace holds, across its tensors (and layers). */
function heldElements(trace: ConvTrace | NetworkTrace): number {
  const tensors = isNetworkTrace(trace) ? trace.layers.flatMap(l => Object.values(l.tensors)) : Object.values(trace.tensors);
  return tensors.reduce((n, t) => n + sizeOf(t!.shape), 0);
}

/** Equal up to rounding relative to the values' size; equal infinities and NaN where the reference has NaN. */
function assertSame(actual: Tensor, expected: Tensor, tol: number, what: string): void {
  assert.deepStrictEqual([...actual.shape], [...expected.shape], `${what} shape`);
  let scale = 1;
  for (const x of expected.data) if (Number.isFinite(x)) scale = Math.max(scale, Math.abs(x));
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i];
    const e = expected.data[i];
    const same = Number.isFinite(e) ? Math.abs(a - e) <= tol * scale : Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e));
    if (!same) assert.fail(`${what}[${i}]: ${a} vs the reference's ${e}`);
  }
}

/**
 * The input with its zero padding written out, and the geometry without padding: the direct loops then multiply the
 * padding's zeros as im2col and PyTorch do (a tap of ∞ or NaN on the padding makes NaN; the loops alone skip it).
 */
function zeroPadded(input: Tensor, weight: Tensor, info: ConvInfo): { input: Tensor; info: ConvInfo } {
  const { batch: B, inChannels: C, inHeight: H, inWidth: W, paddedHeight: Hp, paddedWidth: Wp, padTop, padLeft } = info;
  const out = zeros([B, C, Hp, Wp], input.dtype);
  for (let bc = 0; bc < B * C; bc++) {
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out.data[(bc * Hp + y + padTop) * Wp + x + padLeft] = input.data[(bc * H + y) * W + x];
  }
  const options = { stride: [info.strideHeight, info.strideWidth], dilation: [info.dilationHeight, info.dilationWidth], groups: info.groups } as ConvOptions;
  return { input: out, info: convInfo(out.shape, weight.shape, options) };
}

/** The padding cropped off a gradient of the zero-padded input. */
function cropped(t: Tensor, info: ConvInfo): Tensor {
  const { batch: B, inChannels: C, inHeight: H, inWidth: W, paddedHeight: Hp, paddedWidth: Wp, padTop, padLeft } = info;
  const out = zeros([B, C, H, W], t.dtype);
  for (let bc = 0; bc < B * C; bc++) {
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out.data[(bc * H + y) * W + x] = t.data[(bc * Hp + y + padTop) * Wp + x + padLeft];
  }
  return out;
}

/** A conv trace's numbers against the direct loops. */
function checkConv(trace: ConvTrace, what: string): void {
  const t = trace.tensors;
  const tol = trace.dtype === 'float32' ? 1e-4 : 1e-9;
  const p = zeroPadded(t.input!, t.weight!, trace.info);
  assertSame(t.z!, conv2dNaive(p.input, t.weight!, t.bias, p.info), tol, `${what} z`);
  if (t.delta) {
    const g = conv2dGradNaive(p.input, t.weight!, t.delta, p.info);
    assertSame(t.dA!, cropped(g.dInput, trace.info), tol, `${what} dA`);
    assertSame(t.dW!, g.dWeight, tol, `${what} dW`);
  }
}

describe(`fuzz: mutated specs are refused cleanly or computed right (seed ${RUNS.seed})`, () => {
  it('traceAnySpecText: a SpecError or a trace equal to the reference, within the size budget', () => {
    fc.assert(fc.property(mutatedSpec, text => {
      let trace: ConvTrace | NetworkTrace;
      try {
        trace = traceAnySpecText('fuzz.conv.json', text, { maxElements: MAX_ELEMENTS });
      } catch (e) {
        if (e instanceof SpecError) {
          assert.ok(e.message.startsWith('fuzz.conv.json'), `the message names the file: ${e.message}`);
          assert.ok(!/\n/.test(e.detail), `one line: ${e.detail}`);
          return;
        }
        throw e;
      }
      assert.ok(heldElements(trace) <= TOTAL_FACTOR * MAX_ELEMENTS, 'the trace stays within its budget');
      if (isNetworkTrace(trace)) trace.layers.forEach((l, i) => { if (l.conv) checkConv(l.conv, `layers[${i}]`); });
      else checkConv(trace, 'conv');
    }), RUNS);
  });

  it('analyzeSpec (diagnostics and hovers) never throws: a parse error is a SpecError, anything else a list of problems', () => {
    fc.assert(fc.property(mutatedSpec, text => {
      let source: JsonSource;
      try {
        source = JsonSource.parse('fuzz.conv.json', text);
      } catch (e) {
        if (e instanceof SpecError) return;
        throw e;
      }
      const a = analyzeSpec(source, new Map(), MAX_ELEMENTS);
      for (const p of a.problems) assert.ok(p instanceof SpecError);
    }), RUNS);
  });
});
