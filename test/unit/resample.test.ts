// upsample2d and pad2d against PyTorch autograd in float64 (test/fixtures/onnx/torch_resample.py:
// F.interpolate nearest and bilinear, align_corners both ways, whole, fractional and explicit sizes;
// F.pad constant, reflect, replicate and a crop): forward and the input's gradient; the view's cell sums
// add up to the recorded cells; and the gradient is central finite differences of a loss.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { EngineError } from '../../src/engine/errors';
import { kindOf } from '../../src/engine/layerKinds';
import { cellSumIn } from '../../src/engine/layerKinds/views';
import { NetworkLayer, traceNetwork } from '../../src/engine/network';
import { Tensor, tensor } from '../../src/engine/tensor';
import { assertClose, lossFiniteDifferences, randomTensor, rng } from './helpers';
import type { LayerKind } from '../../src/engine/layerKinds/kind';

const FIXTURES = path.join(__dirname, '../../../test/fixtures/onnx/resample_cases.json');
type Case = { spec: Record<string, unknown>; input: unknown; output: unknown; delta: unknown; dA: unknown };
const { upsample, pad } = JSON.parse(fs.readFileSync(FIXTURES, 'utf8')) as { upsample: Case[]; pad: Case[] };

function nested(v: unknown): Tensor {
  const shape: number[] = [];
  for (let at = v; Array.isArray(at); at = at[0]) shape.push(at.length);
  return tensor(shape, (v as unknown[]).flat(shape.length) as number[]);
}

const layerOf = (type: string, spec: Record<string, unknown>) => ({ type, ...spec }) as NetworkLayer;

for (const [type, cases] of [['upsample2d', upsample], ['pad2d', pad]] as const) {
  describe(`${type} against PyTorch (F.${type === 'pad2d' ? 'pad' : 'interpolate'}, float64)`, () => {
    for (const c of cases) {
      it(`${type} ${JSON.stringify(c.spec)}: output, ∂C/∂input and cell sums`, () => {
        const layer = layerOf(type, c.spec);
        const kind = kindOf(layer) as LayerKind<NetworkLayer>;
        const x = nested(c.input);
        const plan = kind.plan(layer, x.shape, true);
        const { output } = kind.forward(layer, x, plan);
        assertClose(output, nested(c.output), 1e-12, 'z');
        const step = { spec: layer, input: x, output, cache: {} };
        assertClose(kind.backward(step, nested(c.delta)).deltaIn!, nested(c.dA), 1e-12, 'dA');
        const rec = kind.record(step, nested(c.delta), 'ones' as never, { dtype: 'float64' } as never);
        assertClose(rec.deltaIn!, nested(c.dA), 1e-12, 'record dA');
        const get = (n: string) => rec.tensors[n]?.data;
        const shapeOf = (n: string) => rec.tensors[n]?.shape;
        for (const name of ['z', 'dA']) {
          const t = rec.tensors[name]!;
          for (let k = 0; k < t.data.length; k += 7) {
            const index: number[] = [];
            let rest = k;
            for (let d = t.shape.length - 1; d >= 0; d--) { index[d] = rest % t.shape[d]; rest = Math.floor(rest / t.shape[d]); }
            const s = cellSumIn(rec.geometry, get, shapeOf, { tensor: name, index });
            assert.ok(s, `${name}[${index}] has a sum`);
            assert.ok(Math.abs(s.total - t.data[k]) < 1e-12, `${name}[${index}]: ${s.total} vs ${t.data[k]}`);
          }
        }
      });
    }
  });
}

describe('upsample2d bilinear by ONNX\'s half_pixel or align_corners: torch\'s F.interpolate (align_corners False or True)', () => {
  for (const c of upsample.filter(c => c.spec.mode === 'bilinear')) {
    const { align_corners: corners, ...rest } = c.spec;
    const spec = { ...rest, coordinate_transformation_mode: corners ? 'align_corners' : 'half_pixel' };
    it(`upsample2d ${JSON.stringify(spec)}: output and ∂C/∂input`, () => {
      const layer = layerOf('upsample2d', spec);
      const kind = kindOf(layer) as LayerKind<NetworkLayer>;
      const x = nested(c.input);
      const { output } = kind.forward(layer, x, kind.plan(layer, x.shape, true));
      // onnxruntime's sources are float32: within a float32 step of torch's float64 ones.
      assertClose(output, nested(c.output), 1e-5, 'z');
      assertClose(kind.backward({ spec: layer, input: x, output, cache: {} }, nested(c.delta)).deltaIn!, nested(c.dA), 1e-5, 'dA');
    });
  }
});

describe('upsample2d: ONNX\'s rule where bilinear does not read it is a problem at its key', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ coordinate_transformation_mode: 'tf_half_pixel_for_nn' }, 'coordinate_transformation_mode'],
    [{ coordinate_transformation_mode: 'half_pixel', align_corners: false }, 'coordinate_transformation_mode'],
    [{ coordinate_transformation_mode: 'half_pixel', nearest_mode: 'floor' }, 'nearest_mode'],
  ];
  for (const [keys, key] of cases) {
    it(`bilinear with ${JSON.stringify(keys)}: upsample.nearestRule at ${key}`, () => {
      const layer = layerOf('upsample2d', { mode: 'bilinear', scale_factor: 2, ...keys });
      assert.throws(() => (kindOf(layer) as LayerKind<NetworkLayer>).plan(layer, [1, 1, 3, 3], false),
        (e: unknown) => e instanceof EngineError && e.problem.code === 'upsample.nearestRule' && e.argument === key);
    });
  }
});

describe('upsample2d and pad2d: gradients are central finite differences', () => {
  const random = rng(3);
  const layers: NetworkLayer[][] = [
    [{ type: 'upsample2d', mode: 'bilinear', scale_factor: [1.5, 2] }, { type: 'pad2d', padding: [1, 2, 2, 1], mode: 'reflect' }],
    [{ type: 'pad2d', padding: [-1, 2, 1, 1], mode: 'replicate' }, { type: 'upsample2d', mode: 'bilinear', size: [5, 7], align_corners: true }],
    [{ type: 'upsample2d', mode: 'nearest', scale_factor: 2 }, { type: 'pad2d', padding: 1, value: 0.25, mode: 'constant' }],
    // ONNX's transforms: sources past the last cell (asymmetric), a one-cell axis read at 0 (pytorch_half_pixel).
    [{ type: 'upsample2d', mode: 'bilinear', scale_factor: [1.7, 2.3], coordinate_transformation_mode: 'asymmetric' }],
    [{ type: 'upsample2d', mode: 'bilinear', size: [1, 6], coordinate_transformation_mode: 'pytorch_half_pixel' }],
  ];
  for (const ls of layers) {
    it(ls.map(l => JSON.stringify(l)).join(' → '), () => {
      const input = randomTensor([1, 2, 3, 4], random);
      const out = ls.reduce<readonly number[]>((shape, l) => (kindOf(l) as LayerKind<NetworkLayer>).plan(l, shape, false).output, input.shape);
      const problem = { input, layers: ls, loss: { type: 'mse' as const, target: randomTensor([...out], random) }, dtype: 'float64' as const };
      const numeric = lossFiniteDifferences(problem, input, 1e-6);
      const analytic = traceNetwork(problem).layers[0].tensors.dA!;
      assertClose(analytic, numeric, 1e-6, 'dA');
    });
  }
});

describe('upsample2d nearest by an ONNX rule: its trace says which rule', () => {
  it('z\'s description and the stage\'s formula name the transform and the rounding, not ⌊o / scale⌋', () => {
    const input = randomTensor([1, 1, 3, 3], rng(7));
    const rule = { coordinate_transformation_mode: 'half_pixel', nearest_mode: 'round_prefer_ceil' };
    const layer = traceNetwork({ input, layers: [layerOf('upsample2d', { mode: 'nearest', scale_factor: 2, ...rule })], dtype: 'float64' }).layers[0];
    assert.deepStrictEqual(layer.tensors.z?.about, { key: 'upsample.z.nearestRule', args: { transform: 'half_pixel', rounding: 'round_prefer_ceil' } });
    const formula = layer.stages.find(s => s.id === 'upsample')!.formula;
    assert.ok(formula.includes('half_pixel') && formula.includes('round_prefer_ceil') && !formula.includes('⌊'), formula);
    const torchWay = traceNetwork({ input, layers: [layerOf('upsample2d', { mode: 'nearest', scale_factor: 2 })], dtype: 'float64' }).layers[0];
    assert.deepStrictEqual(torchWay.tensors.z?.about, { key: 'upsample.z.nearest' });
  });
});
