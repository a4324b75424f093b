// One named case per validation rule: the engine's geometry checks, then the
// spec reader's structural checks, each message naming the path and the shapes.

import * as assert from 'assert';
import { convInfo } from '../../src/engine/convInfo';
import { EngineError } from '../../src/engine/errors';
import { traceSpecText } from '../../src/specReader/convSpec';
import { SpecError } from '../../src/specReader/source';

const ones = (...shape: number[]): unknown => (shape.length === 0 ? 1 : Array.from({ length: shape[0] }, () => ones(...shape.slice(1))));

function engineThrows(fn: () => unknown, pattern: RegExp, argument: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof EngineError, `expected EngineError, got ${e}`);
    assert.match(e.message, pattern);
    assert.strictEqual(e.argument, argument);
    return true;
  });
}

describe('conv2d geometry validation', () => {
  it('throws when the input channels do not match the weight', () => {
    engineThrows(() => convInfo([1, 4, 5, 5], [2, 3, 2, 2]),
      /^conv2d: input has 4 channels but weight expects 3 \(input \(1, 4, 5, 5\), weight \(2, 3, 2, 2\), groups 1\)$/, 'weight');
  });
  it('throws when the input is not 4-D', () => {
    engineThrows(() => convInfo([3, 4, 4], [2, 3, 2, 2]), /input must be 4-D \(B, Cin, H, W\), got 3-D \(3, 4, 4\)/, 'input');
  });
  it('throws when the weight is not 4-D', () => {
    engineThrows(() => convInfo([1, 3, 4, 4], [2, 3, 2]), /weight must be 4-D/, 'weight');
  });
  it('throws when the bias does not have Cout entries', () => {
    engineThrows(() => convInfo([1, 3, 4, 4], [2, 3, 2, 2], {}, [3]), /bias must have shape \(2,\).*got \(3,\)/, 'bias');
  });
  it('throws when the kernel is larger than the padded input', () => {
    engineThrows(() => convInfo([1, 1, 4, 4], [1, 1, 5, 5]), /kernel 5x5 is larger than the padded input 4x4/, 'weight');
  });
  it('throws when the dilated kernel is larger than the padded input', () => {
    engineThrows(() => convInfo([1, 1, 4, 4], [1, 1, 2, 2], { dilation: 4 }), /dilated kernel 5x5 is larger than the padded input 4x4/, 'weight');
  });
  it('throws when the stride is below 1', () => {
    engineThrows(() => convInfo([1, 1, 4, 4], [1, 1, 2, 2], { stride: 0 }), /stride must be at least 1, got 0/, 'stride');
  });
  it('throws when the stride is not an integer', () => {
    engineThrows(() => convInfo([1, 1, 4, 4], [1, 1, 2, 2], { stride: [1, 1.5] }), /stride must be an integer, got 1.5/, 'stride');
  });
  it('throws when the dilation is below 1', () => {
    engineThrows(() => convInfo([1, 1, 4, 4], [1, 1, 2, 2], { dilation: [1, 0] }), /dilation must be at least 1, got 0/, 'dilation');
  });
  it('throws when the padding is negative', () => {
    engineThrows(() => convInfo([1, 1, 4, 4], [1, 1, 2, 2], { padding: [0, -1] }), /padding must not be negative, got -1/, 'padding');
  });
  it('throws when the padding has the wrong number of sides', () => {
    engineThrows(() => convInfo([1, 1, 4, 4], [1, 1, 2, 2], { padding: [1, 1, 1] as never }), /padding must be an integer, \[ph, pw\]/, 'padding');
  });
  it('throws when padding "same" has a stride', () => {
    engineThrows(() => convInfo([1, 1, 4, 4], [1, 1, 2, 2], { padding: 'same', stride: 2 }), /padding "same" needs stride 1/, 'padding');
  });
  it('throws when groups do not divide the input channels', () => {
    engineThrows(() => convInfo([1, 3, 4, 4], [2, 1, 2, 2], { groups: 2 }), /groups 2 does not divide the input's 3 channels/, 'groups');
  });
  it('throws when groups do not divide the output channels', () => {
    engineThrows(() => convInfo([1, 4, 4, 4], [3, 2, 2, 2], { groups: 2 }), /groups 2 does not divide the weight's 3 output channels/, 'groups');
  });
  it('throws when groups are below 1', () => {
    engineThrows(() => convInfo([1, 4, 4, 4], [3, 2, 2, 2], { groups: 0 }), /groups must be at least 1/, 'groups');
  });
  it('resolves "same" like PyTorch: the odd pixel goes bottom/right', () => {
    const info = convInfo([1, 1, 5, 5], [1, 1, 2, 4], { padding: 'same', dilation: [1, 1] });
    assert.deepStrictEqual([info.padTop, info.padBottom, info.padLeft, info.padRight], [0, 1, 1, 2]);
    assert.deepStrictEqual([info.outHeight, info.outWidth], [5, 5]);
  });
  it('reads [top, bottom, left, right] padding in that order', () => {
    const info = convInfo([1, 1, 4, 4], [1, 1, 1, 1], { padding: [1, 2, 3, 4] });
    assert.deepStrictEqual([info.paddedHeight, info.paddedWidth, info.padTop, info.padLeft], [7, 11, 1, 3]);
  });
});

function specThrows(spec: unknown, pattern: RegExp, where?: { line: number; column: number }): SpecError {
  const text = typeof spec === 'string' ? spec : JSON.stringify(spec, null, 2);
  let caught: unknown;
  try { traceSpecText('spec.json', text); } catch (e) { caught = e; }
  assert.ok(caught instanceof SpecError, `expected SpecError, got ${caught}`);
  assert.match(caught.message, pattern);
  assert.ok(!/\n\s+at /.test(caught.message), 'no stack trace in the message');
  if (where) assert.deepStrictEqual({ line: caught.position?.line, column: caught.position?.column }, where);
  return caught;
}

const base = { input: ones(1, 3, 4, 4), weight: ones(2, 3, 2, 2) };

describe('spec validation', () => {
  it('throws when the JSON is malformed, with line and column', () => {
    specThrows('{\n  "input": [1, 2,\n  "weight": 3\n}', /^spec\.json:3:11: malformed JSON: expected a comma or a closing bracket \]/, { line: 3, column: 11 });
  });
  it('throws when a bare NaN is used, saying how to write it', () => {
    specThrows('{"input": [NaN]}', /^spec\.json:1:12: malformed JSON: .*write them as strings: "NaN"/);
  });
  it('throws when the file is empty', () => {
    specThrows('  \n', /^spec\.json: the file is empty$/);
  });
  it('throws when the spec is not an object', () => {
    specThrows([1, 2], /^spec\.json:1:1: \$: expected a conv spec: an object with "input" and "weight", found an array/);
  });
  it('throws when a key is missing', () => {
    specThrows({ input: ones(1, 1, 2, 2) }, /\$: missing key "weight" \(Cout, Cin\/groups, kh, kw\)/);
  });
  it('throws when a key is unknown, suggesting the near one', () => {
    specThrows({ ...base, strides: 2 }, /\$\.strides: unknown key "strides" \(did you mean "stride"\?\)/);
  });
  it('throws when an array is ragged, naming the path', () => {
    const input = ones(1, 3, 4, 4) as number[][][][];
    input[0][1][2] = [1, 1, 1];
    specThrows({ ...base, input }, /\$\.input\[0\]\[1\]\[2\]: ragged array: 3 elements where \$\.input\[0\]\[0\]\[0\] has 4/);
  });
  it('throws when an element is not a number', () => {
    const weight = ones(2, 3, 2, 2) as unknown[][][][];
    weight[1][0][1][0] = 'x';
    const e = specThrows({ ...base, weight }, /\$\.weight\[1\]\[0\]\[1\]\[0\]: expected a number, found the string "x"/);
    assert.ok(e.position && e.position.line > 1);
  });
  it('throws when an element is an array where a number belongs', () => {
    const input = ones(1, 3, 4, 4) as unknown[][][][];
    input[0][2][3][1] = [1];
    specThrows({ ...base, input }, /\$\.input\[0\]\[2\]\[3\]\[1\]: expected a number, found an array/);
  });
  it('throws when a tensor has the wrong rank', () => {
    specThrows({ ...base, input: ones(3, 4, 4) }, /\$\.input: expected a 4-D array \(B, Cin, H, W\), found a 3-D array of shape \(3, 4, 4\)/);
  });
  it('throws when a tensor is not an array', () => {
    specThrows({ ...base, weight: 5 }, /\$\.weight: expected a 4-D array .*found the number 5/);
  });
  it('throws when a tensor has an empty dimension', () => {
    specThrows({ ...base, input: [[]] }, /\$\.input\[0\]: empty array/);
  });
  it('throws when the channels do not match, at $.weight', () => {
    specThrows({ ...base, input: ones(1, 4, 5, 5) }, /\$\.weight: conv2d: input has 4 channels but weight expects 3 \(input \(1, 4, 5, 5\), weight \(2, 3, 2, 2\), groups 1\)/);
  });
  it('throws when the bias shape does not match, at $.bias', () => {
    specThrows({ ...base, bias: [1, 2, 3] }, /\$\.bias: conv2d: bias must have shape \(2,\)/);
  });
  it('throws when the grad shape does not match the output, at $.grad', () => {
    specThrows({ ...base, grad: ones(1, 2, 2, 2) }, /\$\.grad: conv2d: grad must have the output's shape \(1, 2, 3, 3\).*got \(1, 2, 2, 2\)/);
  });
  it('throws when the kernel is larger than the padded input, at $.weight', () => {
    specThrows({ input: ones(1, 1, 2, 2), weight: ones(1, 1, 3, 3) }, /\$\.weight: conv2d: kernel 3x3 is larger than the padded input 2x2/);
  });
  it('throws when the stride is below 1, at $.stride', () => {
    specThrows({ ...base, stride: [1, 0] }, /\$\.stride: conv2d: stride must be at least 1, got 0/);
  });
  it('throws when the stride is a string', () => {
    specThrows({ ...base, stride: '2' }, /\$\.stride: stride must be an integer or a pair \[h, w\], found the string "2"/);
  });
  it('throws when the dilation is below 1, at $.dilation', () => {
    specThrows({ ...base, dilation: 0 }, /\$\.dilation: conv2d: dilation must be at least 1/);
  });
  it('throws when the padding is negative, at $.padding', () => {
    specThrows({ ...base, padding: -1 }, /\$\.padding: conv2d: padding must not be negative/);
  });
  it('throws when the padding is an unknown keyword', () => {
    specThrows({ ...base, padding: 'full' }, /\$\.padding: padding must be an integer, \[ph, pw\], \[top, bottom, left, right\], "valid" or "same", found the string "full"/);
  });
  it('throws when groups do not divide the channels, at $.groups', () => {
    specThrows({ ...base, groups: 2 }, /\$\.groups: conv2d: groups 2 does not divide the input's 3 channels/);
  });
  it('throws when the dtype is unknown', () => {
    specThrows({ ...base, dtype: 'int8' }, /\$\.dtype: dtype must be "float64" or "float32", found the string "int8"/);
  });
  it('throws when a tensor would be over the size limit', () => {
    assert.throws(() => traceSpecText('big.json', JSON.stringify(base), { maxElements: 100 }), /a_t would hold 108 elements \(1, 9, 12\), over the limit of 100/);
  });
  it('accepts comments (JSONC) and NaN/Infinity as strings, and reports them', () => {
    const text = `// a comment\n${JSON.stringify({ ...base, bias: ['NaN', '-Infinity'] })}`;
    const trace = traceSpecText('c.json', text);
    const bias = trace.nonFinite.find(r => r.tensor === 'bias');
    assert.deepStrictEqual(bias && { count: bias.count, firstIndex: bias.firstIndex }, { count: 2, firstIndex: [0] });
    assert.ok(trace.nonFinite.some(r => r.tensor === 'z'));
  });
});
