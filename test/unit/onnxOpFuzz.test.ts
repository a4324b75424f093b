// Fuzzing the ONNX import one node at a time: random models of a single Conv, ConvTranspose, MaxPool,
// AveragePool, Pad, Resize, BatchNormalization, GlobalAveragePool or activation, with random attributes (strides,
// pads on each side, dilations, groups, ceil_mode, auto_pad, ConvTranspose's output_shape, Resize's modes and
// transforms by scales or sizes in opset 10, 11, 13 or 17; a window op sometimes after a zero Pad), on inputs of 1 to
// 9 pixels a side. Each is run by onnxruntime-node and traced by the engine: both compute and agree (1e-4), or the
// engine refuses with a problem naming the node, never a crash and never a number where onnxruntime refuses to compute
// one (but SAME pooling that onnxruntime refuses for a negative pad, where the spec pads nothing). A second run draws
// only the padding of MaxPool, AveragePool and Conv (auto_pad SAME, uneven pads, count_include_pad, ceil_mode):
// refused only where onnxruntime refuses or where a listed rule says why.

import * as assert from 'assert';
import { Tensor } from '../../src/engine/tensor';
import { SpecError } from '../../src/specReader/source';
import { OnnxInitializer, OnnxNodeSpec, f32Bytes, onnxGraphModel } from '../support/onnxWriter';
import { assertClose, rng } from './helpers';
import { checkAgainstOnnxruntime, ort, outputOf, traceModel } from './onnxReference';

type Random = () => number;

const CASES = 150;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

const int = (random: Random, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const pick = <T>(random: Random, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const values = (random: Random, n: number) => Array.from({ length: n }, () => Math.round((random() * 2 - 1) * 1000) / 1000);
const f32 = (name: string, dims: number[], data: number[]): OnnxInitializer => ({ name, dims, dataType: 1, raw: f32Bytes(data) });
const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** The attributes of a Conv, ConvTranspose or pooling window: strides, pads on each side, dilations, auto_pad. */
function windowAttributes(random: Random, n: OnnxNodeSpec, kernel: number[], maxPad: number, dilations: boolean): void {
  n.ints = { kernel_shape: kernel };
  if (random() < 0.6) n.ints.strides = [int(random, 1, 3), int(random, 1, 3)];
  if (random() < 0.6) n.ints.pads = [int(random, 0, maxPad), int(random, 0, maxPad), int(random, 0, maxPad), int(random, 0, maxPad)];
  if (dilations && random() < 0.4) n.ints.dilations = [int(random, 1, 3), int(random, 1, 3)];
  if (random() < 0.15) {
    n.strings = { auto_pad: pick(random, ['SAME_UPPER', 'SAME_LOWER', 'VALID']) };
    delete n.ints.pads;
  }
}

/** A model of one node on a (1, C, H, W) input, its output `y`. */
function randomModel(random: Random): { model: Uint8Array; input: Tensor; node: OnnxNodeSpec; constants: Record<string, number[]>; opset: number } {
  const C = int(random, 1, 3);
  const shape = [1, C, int(random, 1, 9), int(random, 1, 9)];
  const op = pick(random, ['Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'Pad', 'Resize', 'BatchNormalization', 'GlobalAveragePool', 'LeakyRelu', 'Clip', 'HardSwish']);
  const node: OnnxNodeSpec = { op, inputs: ['x'], outputs: ['y'], name: 'node' };
  const initializers: OnnxInitializer[] = [];
  const kernel = [int(random, 1, 4), int(random, 1, 4)];
  let opset = 17;
  if (op === 'Conv' || op === 'ConvTranspose') {
    const groups = pick(random, [1, 1, C]);
    const perGroup = int(random, 1, 3);
    const weight = op === 'Conv' ? [groups * perGroup, C / groups, ...kernel] : [C, perGroup, ...kernel];
    initializers.push(f32('w', weight, values(random, size(weight))));
    node.inputs.push('w');
    if (random() < 0.5) {
      initializers.push(f32('b', [groups * perGroup], values(random, groups * perGroup)));
      node.inputs.push('b');
    }
    windowAttributes(random, node, kernel, 3, true);
    if (groups > 1) node.int = { group: groups };
    // Below the stride, as onnxruntime requires (torch allows up to the dilation too).
    const strides = node.ints!.strides ?? [1, 1];
    if (op === 'ConvTranspose' && random() < 0.3) node.ints!.output_padding = strides.map(s => int(random, 0, s - 1));
    // An output_shape around what the windows reach (the pads derived from it; past the reach, refused).
    if (op === 'ConvTranspose' && random() < 0.25) {
      const dilations = node.ints!.dilations ?? [1, 1];
      const outputPadding = node.ints!.output_padding ?? [0, 0];
      node.ints!.output_shape = [0, 1].map(k => Math.max(1, (shape[2 + k] - 1) * strides[k] + outputPadding[k] + (kernel[k] - 1) * dilations[k] + 1 - int(random, -1, 3)));
    }
  } else if (op === 'MaxPool' || op === 'AveragePool') {
    windowAttributes(random, node, kernel, 2, op === 'MaxPool');
    node.int = {};
    if (random() < 0.4) node.int.ceil_mode = int(random, 0, 1);
    if (op === 'AveragePool' && random() < 0.5) node.int.count_include_pad = int(random, 0, 1);
  } else if (op === 'Pad') {
    const mode = pick(random, ['constant', 'reflect', 'edge']);
    const pads = [0, 0, int(random, -1, 3), int(random, -1, 3), 0, 0, int(random, -1, 3), int(random, -1, 3)];
    initializers.push({ name: 'p', dims: [8], dataType: 7, int64Data: pads.map(BigInt) });
    node.inputs.push('p');
    node.strings = { mode };
    if (mode === 'constant' && random() < 0.5) {
      initializers.push(f32('v', [], [random() * 2 - 1]));
      node.inputs.push('v');
    }
  } else if (op === 'Resize') {
    // By scales (whole or fractional) or by sizes. Opset 10: (X, scales) and mode alone (asymmetric, onnxruntime's own
    // rounding); 11: roi and scales given, empty where unused; 13 on: left out.
    opset = pick(random, [10, 11, 13, 17, 17]);
    if (opset === 10 || random() < 0.6) {
      const scales = [1, 1, pick(random, [0.3, 0.5, 0.75, 1, 1.3, 1.5, 2, 2.6, 3]), pick(random, [0.3, 0.5, 0.75, 1, 1.3, 1.5, 2, 2.6, 3])];
      initializers.push(f32('s', [4], scales));
      node.inputs.push(...(opset === 10 ? [] : [opset === 11 ? 'roi' : '']), 's');
    } else {
      initializers.push({ name: 's', dims: [4], dataType: 7, int64Data: [1, C, int(random, 1, 12), int(random, 1, 12)].map(BigInt) });
      node.inputs.push(...(opset === 11 ? ['roi', 'none'] : ['', '']), 's');
    }
    if (opset === 11) initializers.push(f32('roi', [0], []), f32('none', [0], []));
    node.strings = { mode: pick(random, ['nearest', 'linear']) };
    if (opset > 10) node.strings.coordinate_transformation_mode = pick(random, ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel', 'tf_half_pixel_for_nn']);
    if (opset > 10 && node.strings.mode === 'nearest') node.strings.nearest_mode = pick(random, ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']);
  } else if (op === 'BatchNormalization') {
    for (const name of ['scale', 'bias', 'mean', 'var']) {
      initializers.push(f32(name, [C], name === 'var' ? values(random, C).map(Math.abs) : values(random, C)));
      node.inputs.push(name);
    }
    if (random() < 0.5) node.float = { epsilon: random() * 0.1 };
  } else if (op === 'LeakyRelu' && random() < 0.5) node.float = { alpha: random() };
  else if (op === 'Clip') {
    initializers.push(f32('lo', [], [-random()]), f32('hi', [], [random()]));
    node.inputs.push('lo', 'hi');
  }
  if (node.int && !Object.keys(node.int).length) delete node.int;
  const nodes = [node];
  // A zero Pad before a window op: the import folds it into a Conv's or an AveragePool's padding, not a MaxPool's.
  if (['Conv', 'ConvTranspose', 'MaxPool', 'AveragePool'].includes(op) && random() < 0.3) {
    const pads = [0, 0, int(random, 0, 2), int(random, 0, 2), 0, 0, int(random, 0, 2), int(random, 0, 2)];
    initializers.push({ name: 'zp', dims: [8], dataType: 7, int64Data: pads.map(BigInt) });
    nodes.unshift({ op: 'Pad', inputs: ['x', 'zp'], outputs: ['xp'], name: 'zero_pad' });
    node.inputs[0] = 'xp';
  }
  const input: Tensor = { shape, dtype: 'float64', data: Float64Array.from(values(random, size(shape))) };
  // The pads and scales, for the message (not the weights).
  const constants = Object.fromEntries(initializers.filter(t => ['p', 's', 'zp'].includes(t.name)).map(t => [t.name, t.int64Data ? t.int64Data.map(Number) : [...new Float32Array(t.raw!.slice().buffer)]]));
  return { model: onnxGraphModel({ nodes, initializers, inputs: [['x', shape]], outputs: ['y'], opset }), input, node, constants, opset };
}

const PADDING_CASES = 120;
/**
 * What the import still refuses of these, where onnxruntime computes: a Pad node's zeros, counted, beside an
 * AveragePool's own pads not counted; ceil_mode keeping a last window in a Pad node's zeros; SAME with dilations
 * (onnxruntime sizes a MaxPool's padding by the undilated kernel, not as the spec); a window that fits nowhere in
 * the padded input (onnxruntime truncates the negative size to one window); SAME pooling whose stride passes two
 * pixels by or more (onnxruntime pads it by a negative half, moving the windows).
 */
const STILL_REFUSED = [/count_include_pad = 0 is not read; only 1 after a Pad node/, /ceil_mode = 1 is not read; only 0 here, after a Pad node/,
  /dilations = \[\d, \d\] is not read; only \[1, 1\] with auto_pad SAME_/, /auto_pad = SAME_\w+ is not read; only NOTSET here/, /window \(dilation \d, \d\) does not fit the input/,
  // A window on padding alone: onnxruntime's max is float32's lowest (where its loop starts), its mean of no input 0 / 0.
  /lies on padding alone/];

/**
 * onnxruntime refuses most SAME pooling whose total padding would be negative (a stride over the kernel passes
 * pixels by): the spec pads nothing, and the engine computes that.
 */
const refusesSkippingSame = (node: OnnxNodeSpec, theirs: string) => /^SAME_/.test(node.strings?.auto_pad ?? '') && /padding values must be non-negative/.test(theirs);

/**
 * A MaxPool, AveragePool or Conv drawn for its padding alone: auto_pad SAME_UPPER or SAME_LOWER, or pads of its own
 * on each side (uneven, under the kernel as onnxruntime requires of pooling), with ceil_mode, count_include_pad and
 * dilations; sometimes after a zero Pad.
 */
function paddingModel(random: Random): { model: Uint8Array; input: Tensor; node: OnnxNodeSpec; constants: Record<string, number[]> } {
  const C = int(random, 1, 2);
  const shape = [1, C, int(random, 1, 9), int(random, 1, 9)];
  const op = pick(random, ['MaxPool', 'AveragePool', 'AveragePool', 'Conv']);
  const kernel = [int(random, 1, 4), int(random, 1, 4)];
  const node: OnnxNodeSpec = { op, inputs: ['x'], outputs: ['y'], name: 'node', ints: { kernel_shape: kernel }, int: {} };
  const initializers: OnnxInitializer[] = [];
  if (op === 'Conv') {
    initializers.push(f32('w', [2, C, ...kernel], values(random, 2 * C * size(kernel))));
    node.inputs.push('w');
  }
  if (random() < 0.7) node.ints!.strides = [int(random, 1, 3), int(random, 1, 3)];
  if (op !== 'AveragePool' && random() < 0.3) node.ints!.dilations = [int(random, 1, 2), int(random, 1, 2)];
  const auto = pick(random, ['NOTSET', 'NOTSET', 'SAME_UPPER', 'SAME_LOWER']);
  if (auto !== 'NOTSET') node.strings = { auto_pad: auto };
  else node.ints!.pads = [int(random, 0, kernel[0] - 1), int(random, 0, kernel[1] - 1), int(random, 0, kernel[0] - 1), int(random, 0, kernel[1] - 1)];
  if (op !== 'Conv' && random() < 0.5) node.int!.ceil_mode = 1;
  if (op === 'AveragePool') node.int!.count_include_pad = random() < 0.7 ? 0 : 1;
  if (!Object.keys(node.int!).length) delete node.int;
  const nodes = [node];
  if (op !== 'MaxPool' && random() < 0.2) {
    const pads = [0, 0, int(random, 0, 1), int(random, 0, 1), 0, 0, int(random, 0, 1), int(random, 0, 1)];
    initializers.push({ name: 'zp', dims: [8], dataType: 7, int64Data: pads.map(BigInt) });
    nodes.unshift({ op: 'Pad', inputs: ['x', 'zp'], outputs: ['xp'], name: 'zero_pad' });
    node.inputs[0] = 'xp';
  }
  const input: Tensor = { shape, dtype: 'float64', data: Float64Array.from(values(random, size(shape))) };
  const constants = Object.fromEntries(initializers.filter(t => t.name === 'zp').map(t => [t.name, t.int64Data!.map(Number)]));
  return { model: onnxGraphModel({ nodes, initializers, inputs: [['x', shape]], outputs: ['y'], opset: 17 }), input, node, constants };
}

/** onnxruntime's y, or the first line of why it refuses. */
async function onnxruntimeOutput(model: Uint8Array, input: Tensor): Promise<Tensor | string> {
  try {
    // No graph optimizations: onnxruntime 1.30's pad fusion (microsoft/onnxruntime#18136) moves a zero Pad into a
    // MaxPool's pads, which pool as −∞, not 0 (the same bug as onnxsim/onnxsim#290), and into pads it then refuses.
    const session = await ort.InferenceSession.create(model, { logSeverityLevel: 4, graphOptimizationLevel: 'disabled' });
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(input.data), [...input.shape]) }, { logSeverityLevel: 4 });
    return { shape: [...out.y.dims], dtype: 'float64', data: Float64Array.from(out.y.data as Float32Array) };
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

describe(`fuzz: one ONNX node with random attributes, against onnxruntime-node (seed ${SEED})`, () => {
  it(`${CASES} models: the same output as onnxruntime, or a problem naming the node`, async function () {
    this.timeout(120_000);
    const random = rng(SEED);
    for (let k = 0; k < CASES; k++) {
      const { model, input, node, constants, opset } = randomModel(random);
      const what = `case ${k}: ${node.op}-${opset} ${JSON.stringify({ ints: node.ints, int: node.int, strings: node.strings, float: node.float, constants })} on (${input.shape.join(', ')})`;
      const theirs = await onnxruntimeOutput(model, input);
      let ours: Tensor;
      try {
        const layers = traceModel(model, input, 'float32').layers.filter(l => l.op !== 'loss');
        ours = outputOf(layers[layers.length - 1]);
      } catch (e) {
        if (!(e instanceof SpecError)) throw new Error(`${what}: ${(e as Error).stack}`);
        // The node by its name, or the layer made of it.
        assert.match(e.message, /"(node|zero_pad)"/, `${what}: ${e.message}`);
        continue;
      }
      if (typeof theirs === 'string' && !refusesSkippingSame(node, theirs)) assert.fail(`${what}: the engine computes (${ours.shape.join(', ')}) where onnxruntime refuses: ${theirs}`);
      if (typeof theirs === 'string') continue;
      assertClose(ours, theirs, 1e-4, what);
    }
  });

  it(`${PADDING_CASES} pooling and conv padding models (auto_pad SAME, uneven pads, count_include_pad, ceil_mode): onnxruntime's output, refused only where it refuses`, async function () {
    this.timeout(120_000);
    const random = rng(SEED + 1);
    let computed = 0;
    const wrong: string[] = [];
    // Each newly read attribute is computed (and compared) in some draws, not only refused.
    const seen: Record<string, number> = { same: 0, uneven: 0, notCounted: 0, averageCeilPadded: 0 };
    for (let k = 0; k < PADDING_CASES; k++) {
      const { model, input, node, constants } = paddingModel(random);
      const what = `case ${k}: ${node.op} ${JSON.stringify({ ints: node.ints, int: node.int, strings: node.strings, constants })} on (${input.shape.join(', ')})`;
      let theirs = await onnxruntimeOutput(model, input);
      let ours: Tensor | string;
      try {
        const layers = traceModel(model, input, 'float32').layers.filter(l => l.op !== 'loss');
        ours = outputOf(layers[layers.length - 1]);
      } catch (e) {
        if (!(e instanceof SpecError)) throw new Error(`${what}: ${(e as Error).stack}`);
        ours = e.message;
      }
      if (typeof ours === 'string' && STILL_REFUSED.some(r => r.test(ours as string))) continue;
      // An output with no cell (a window that fits nowhere) is one onnxruntime computes and the engine refuses.
      if (typeof theirs !== 'string' && theirs.data.length === 0) theirs = `no output: (${theirs.shape.join(', ')})`;
      if (typeof theirs === 'string' && typeof ours !== 'string' && refusesSkippingSame(node, theirs)) continue;
      if (typeof theirs === 'string' || typeof ours === 'string') {
        if (typeof theirs !== 'string' || typeof ours !== 'string') wrong.push(`${what}: onnxruntime ${typeof theirs === 'string' ? `refuses: ${theirs}` : 'computes'}, the engine ${typeof ours === 'string' ? `refuses: ${ours}` : 'computes'}`);
        continue;
      }
      try {
        assertClose(ours, theirs, 1e-4, what);
        computed++;
        const pads = node.ints!.pads ?? [0, 0, 0, 0];
        const padded = pads.some(p => p > 0);
        if (node.strings?.auto_pad) seen.same++;
        if (pads[0] !== pads[2] || pads[1] !== pads[3]) seen.uneven++;
        if (node.op === 'AveragePool' && padded && node.int?.count_include_pad === 0) seen.notCounted++;
        if (node.op === 'AveragePool' && padded && node.int?.ceil_mode === 1) seen.averageCeilPadded++;
      } catch (e) {
        wrong.push((e as Error).message.split('\n')[0]);
      }
    }
    assert.deepStrictEqual(wrong, []);
    assert.ok(Object.values(seen).every(n => n > 0), `computed: ${JSON.stringify(seen)}`);
    // Most draws are models onnxruntime runs.
    assert.ok(computed > PADDING_CASES / 2, `only ${computed} of ${PADDING_CASES} computed`);
  });

  it('an AveragePool with dilations (opset 19) is refused at its node, not read as if it had none', async () => {
    const node: OnnxNodeSpec = { op: 'AveragePool', inputs: ['x'], outputs: ['y'], name: 'pool', ints: { kernel_shape: [2, 2], dilations: [2, 2] } };
    const model = onnxGraphModel({ nodes: [node], initializers: [], inputs: [['x', [1, 1, 5, 5]]], outputs: ['y'], opset: 19 });
    const input: Tensor = { shape: [1, 1, 5, 5], dtype: 'float64', data: Float64Array.from({ length: 25 }, (_, k) => k) };
    assert.throws(() => traceModel(model, input, 'float32'), (e: unknown) => e instanceof SpecError && /"pool".*dilations = \[2, 2\] is not read/.test(e.message));
    // What onnxruntime computes there is not the undilated mean.
    const theirs = await onnxruntimeOutput(model, input);
    assert.ok(typeof theirs !== 'string', String(theirs));
    assert.strictEqual(theirs.data[0], (0 + 2 + 10 + 12) / 4);
  });

  it('a pooling with a window on padding alone is refused at its node (onnxruntime\'s max there is float32\'s lowest)', async () => {
    // Found by the padding fuzz (seed 33): W = 1, a dilated 2-wide window from one cell of padding reads cells −1 and 1.
    // The layer refuses it (poolInfo), as it would a hand-written spec's; the problem names the node.
    const node: OnnxNodeSpec = { op: 'MaxPool', inputs: ['x'], outputs: ['y'], name: 'pool', ints: { kernel_shape: [4, 2], strides: [2, 1], dilations: [2, 2], pads: [3, 1, 0, 1] }, int: { ceil_mode: 1 } };
    const model = onnxGraphModel({ nodes: [node], initializers: [], inputs: [['x', [1, 1, 8, 1]]], outputs: ['y'], opset: 17 });
    const input: Tensor = { shape: [1, 1, 8, 1], dtype: 'float64', data: Float64Array.from({ length: 8 }, (_, k) => k) };
    assert.throws(() => traceModel(model, input, 'float32'), (e: unknown) => e instanceof SpecError && /"pool".*the window of output column 0 lies on padding alone: its taps at -1 and 1 miss the input's column 0/.test(e.message));
    const theirs = await onnxruntimeOutput(model, input);
    assert.ok(typeof theirs !== 'string', String(theirs));
    assert.strictEqual(theirs.data[0], -3.4028234663852886e38);
    // The same pads on a wider input leave every window a cell: computed as onnxruntime does.
    const wide = onnxGraphModel({ nodes: [node], initializers: [], inputs: [['x', [1, 1, 8, 3]]], outputs: ['y'], opset: 17 });
    const x3: Tensor = { shape: [1, 1, 8, 3], dtype: 'float64', data: Float64Array.from({ length: 24 }, (_, k) => k) };
    assert.strictEqual(await checkAgainstOnnxruntime(wide, x3), 1);
  });

  it('a zero Pad that no conv takes, the graph\'s output, is a pad2d layer with onnxruntime\'s output', async () => {
    const node: OnnxNodeSpec = { op: 'Pad', inputs: ['x', 'p'], outputs: ['y'], name: 'pad' };
    const model = onnxGraphModel({ nodes: [node], initializers: [{ name: 'p', dims: [8], dataType: 7, int64Data: [0, 0, 1, 0, 0, 0, 1, 2].map(BigInt) }], inputs: [['x', [1, 1, 2, 2]]], outputs: ['y'], opset: 17 });
    const input: Tensor = { shape: [1, 1, 2, 2], dtype: 'float64', data: Float64Array.of(1, -2, 3, 4) };
    const layers = traceModel(model, input, 'float64').layers.filter(l => l.op !== 'loss');
    assert.deepStrictEqual(layers.map(l => l.op), ['pad2d']);
    const theirs = await onnxruntimeOutput(model, input);
    assert.ok(typeof theirs !== 'string', String(theirs));
    assertClose(outputOf(layers[0]), theirs, 0);
  });
});
