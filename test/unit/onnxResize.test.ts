// ONNX Resize, nearest, with every coordinate_transformation_mode and nearest_mode (test/fixtures/onnx/make_resize.py,
// onnx.helper), linear with every transform onnxruntime reads for it, and float32 scales read as onnxruntime reads
// them (models written here): each a node of its model, every one against onnxruntime-node.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { LINEAR_TRANSFORMS, NEAREST_ROUNDINGS, NEAREST_TRANSFORMS } from '../../src/engine/resample';
import { OnnxInitializer, f32Bytes, onnxGraphModel } from '../support/onnxWriter';
import { randomTensor, rng } from './helpers';
import { checkAgainstOnnxruntime, outputOf, traceModel } from './onnxReference';
import { SpecError } from '../../src/specReader/source';

const read = (name: string) => new Uint8Array(fs.readFileSync(path.resolve(__dirname, '../../../test/fixtures/onnx', name)));

describe('ONNX Resize nearest: every coordinate transform and rounding against onnxruntime-node', () => {
  for (const [name, how] of [['resize_up', 'scales (1.7, 2.3)'], ['resize_down', 'scales (0.6, 0.5)'], ['resize_sizes', 'sizes (8, 4)'], ['resize_sizes_up', 'sizes (9, 12)']]) {
    it(`${name}.onnx: 5 transforms × 4 roundings by ${how}, each layer onnxruntime's`, async () => {
      const model = read(`${name}.onnx`);
      const x = randomTensor([1, 2, 5, 7], rng(3));
      assert.deepStrictEqual(traceModel(model, x, 'float64').layers.map(l => l.op), new Array(20).fill('upsample2d'));
      assert.strictEqual(await checkAgainstOnnxruntime(model, x), 20);
    });
  }
});

/** One Resize node per transform on x (1, 2, 5, 9), by scales or sizes (opset 13: roi and scales optional). */
function resizeModel(by: 'scales' | 'sizes', hw: [number, number], mode: 'linear' | 'nearest', transforms: readonly string[]): Uint8Array {
  const initializer: OnnxInitializer = by === 'scales'
    ? { name: 'by', dims: [4], dataType: 1, raw: f32Bytes([1, 1, ...hw]) }
    : { name: 'by', dims: [4], dataType: 7, int64Data: [1, 2, ...hw].map(BigInt) };
  const inputs = by === 'scales' ? ['x', '', 'by'] : ['x', '', '', 'by'];
  // ceil: a source a float32 step short of a cell reads the cell before it.
  const strings = (t: string) => ({ mode, coordinate_transformation_mode: t, ...(mode === 'nearest' ? { nearest_mode: 'ceil' } : {}) });
  const nodes = transforms.map(t => ({ op: 'Resize', inputs, outputs: [t], name: t, strings: strings(t) }));
  return onnxGraphModel({ nodes, initializers: [initializer], inputs: [['x', [1, 2, 5, 9]]], outputs: [...transforms], opset: 13 });
}

async function checkResize(by: 'scales' | 'sizes', hw: [number, number], mode: 'linear' | 'nearest', transforms: readonly string[]): Promise<void> {
  const model = resizeModel(by, hw, mode, transforms);
  const x = randomTensor([1, 2, 5, 9], rng(5));
  const layers = traceModel(model, x, 'float64').layers.filter(l => l.op !== 'loss');
  assert.deepStrictEqual(layers.map(l => l.op), new Array(transforms.length).fill('upsample2d'));
  assert.strictEqual(await checkAgainstOnnxruntime(model, x), transforms.length);
}

describe('ONNX Resize linear: every coordinate transform against onnxruntime-node', () => {
  const cases: ['scales' | 'sizes', [number, number], string][] = [
    ['scales', [1.7, 2.3], 'fractional, up'],
    ['scales', [0.6, 0.5], 'down'],
    ['scales', [2, 3], 'whole'],
    // floor(5 · 0.3) = 1: pytorch_half_pixel reads row 0, half_pixel the centre.
    ['scales', [0.3, 1.4], 'a one-cell output axis'],
    ['sizes', [8, 4], 'up and down'],
    ['sizes', [1, 12], 'a one-cell output axis'],
    ['sizes', [5, 9], 'the same size'],
  ];
  for (const [by, hw, what] of cases) {
    it(`${by} (${hw.join(', ')}), ${what}: ${LINEAR_TRANSFORMS.join(', ')}, each layer onnxruntime's`, () => checkResize(by, hw, 'linear', LINEAR_TRANSFORMS));
  }
});

describe('ONNX Resize by a float32 scale as onnxruntime reads it (nearest, ceil)', () => {
  // float32(2.6) · 5 rounds to 13 in float32 (floor(5 · 2.5999999) would be 12); (19 + ½) / 2.6 − ½ is just past 7,
  // where (19 + ½) · float32(1 / 2.6) − ½ is 7.
  it('scales (2.6, 2.6): the output 13 × 23, each source by a division', () => checkResize('scales', [2.6, 2.6], 'nearest', NEAREST_TRANSFORMS));
  // tf_half_pixel_for_nn's (o + ½) / 1 would round up a cell: onnxruntime copies an axis of scale 1.
  it('scales (1, 2.6): the axis of scale 1 copied, whatever the transform', () => checkResize('scales', [1, 2.6], 'nearest', NEAREST_TRANSFORMS));
  // floor(5 · 1.1) = 5 and floor(9 · 1.05) = 9: onnxruntime copies an output of the input's shape.
  it('scales (1.1, 1.05): the same shape, copied (nearest and linear)', async () => {
    await checkResize('scales', [1.1, 1.05], 'nearest', NEAREST_TRANSFORMS);
    await checkResize('scales', [1.1, 1.05], 'linear', LINEAR_TRANSFORMS);
  });
});

describe('ONNX Resize of opset 10 (X, scales): asymmetric, nearest rounding down when enlarging and up when shrinking', () => {
  const model = (mode: string, hw: [number, number]) => onnxGraphModel({
    nodes: [{ op: 'Resize', inputs: ['x', 's'], outputs: ['y'], name: 'resize', strings: { mode } }],
    initializers: [{ name: 's', dims: [4], dataType: 1, raw: f32Bytes([1, 1, ...hw]) }], inputs: [['x', [1, 2, 5, 9]]], outputs: ['y'], opset: 10,
  });
  const x = randomTensor([1, 2, 5, 9], rng(7));
  for (const [mode, hw] of [['linear', [2.5, 1.3]], ['linear', [0.6, 1.5]], ['nearest', [2.5, 1.3]], ['nearest', [0.6, 0.4]], ['nearest', [1, 0.6]]] as [string, [number, number]][]) {
    it(`${mode} by (${hw.join(', ')}): onnxruntime's`, async () => assert.strictEqual(await checkAgainstOnnxruntime(model(mode, hw), x), 1));
  }
  it('nearest enlarging one axis and shrinking the other is refused at the node (one rounding serves both)', () => {
    assert.throws(() => traceModel(model('nearest', [2, 0.6]), x, 'float64'), (e: unknown) => e instanceof SpecError && /"resize"/.test(e.message) && /scales/.test(e.message));
  });
});

describe('ONNX Resize nearest to a size: onnxruntime\'s cells, its sources in float32 and a tie within 1e-6', () => {
  /** Nearest Resizes of a (1, 1, 1, n) row to each size in `to` by each rounding, one node each. */
  const rowModel = (n: number, to: number[], transform: string, roundings: readonly string[]) => onnxGraphModel({
    nodes: roundings.flatMap(r => to.map(m => ({ op: 'Resize', inputs: ['x', '', '', `by${m}`], outputs: [`${r}${m}`], name: `${r} to ${m}`, strings: { mode: 'nearest', coordinate_transformation_mode: transform, nearest_mode: r } }))),
    initializers: to.map(m => ({ name: `by${m}`, dims: [4], dataType: 7, int64Data: [1, 1, 1, m].map(BigInt) })), inputs: [['x', [1, 1, 1, n]]], outputs: roundings.flatMap(r => to.map(m => `${r}${m}`)), opset: 17,
  });
  const row = (n: number) => ({ shape: [1, 1, 1, n], dtype: 'float64' as const, data: Float64Array.from({ length: n }, (_, i) => i * i + 1) });
  const sizes = Array.from({ length: 12 }, (_, k) => k + 1);

  it('every row of up to 12 cells to every size up to 12, every transform and rounding', async function () {
    this.timeout(60_000);
    for (let n = 1; n <= 12; n++) for (const transform of NEAREST_TRANSFORMS) {
      assert.strictEqual(await checkAgainstOnnxruntime(rowModel(n, sizes, transform, NEAREST_ROUNDINGS), row(n)), 4 * sizes.length, `${n} → 1…12 ${transform}`);
    }
  });

  // half_pixel 7 → 1: 0.5 / float32(1 / 7) − ½ is 2.9999998 (floor's cell 2, exactly 3); asymmetric 7 → 2:
  // 1 / float32(2 / 7) is 3.4999998, a tie to onnxruntime's round_prefer_ceil (cell 4); half_pixel 14 → 19: 6.5000005,
  // a tie to its round_prefer_floor (cell 6).
  for (const [n, m, transform, rounding, cells] of [[7, 1, 'half_pixel', 'floor', [2]], [7, 2, 'asymmetric', 'round_prefer_ceil', [0, 4]], [14, 19, 'half_pixel', 'round_prefer_floor', [0, 1, 1, 2, 3, 4, 4, 5, 6, 6]]] as const) {
    it(`${transform} ${n} → ${m} by ${rounding}: onnxruntime's cells ${cells.join(', ')}${cells.length < m ? ', …' : ''}`, async () => {
      const model = rowModel(n, [m], transform, [rounding]);
      const layer = traceModel(model, row(n), 'float64').layers.find(l => l.op === 'upsample2d')!;
      assert.deepStrictEqual(Array.from(outputOf(layer).data.slice(0, cells.length)), cells.map(i => i * i + 1));
      assert.strictEqual(await checkAgainstOnnxruntime(model, row(n)), 1);
    });
  }
});
