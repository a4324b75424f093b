// Upsampling as a layer, as torch.nn.Upsample / F.interpolate on (B, C, H, W):
// nearest (each output cell copies the input cell floor(o / scale)) or bilinear
// (a weighted mean of the 2×2 input cells around its source, half-pixel centres,
// or the corners aligned), by a scale_factor (whole or fractional, per axis) or
// to an explicit size. Backward is the adjoint: δ scattered back along the same
// taps with the same weights (resample.ts). Nothing is learned; bilinear counts
// 9 FLOPs an output cell (three lerps of 2 multiplications and an addition: two
// along W, one along H), nearest none (a copy); torch.utils.flop_counter counts neither.

import type { About } from '../about';
import { EngineError } from '../errors';
import { LINEAR_TRANSFORMS, NEAREST_ROUNDINGS, NEAREST_TRANSFORMS, gather2d, scatter2d } from '../resample';
import { TensorName, TraceTensor, recorded } from '../trace';
import { NO_COST, elementCost } from './cost';
import { fieldsAsKeys, LayerKind, LayerParam, passes, planned, stage } from './kind';
import { type UpsampleInfo, upsampleTaps } from './upsample2dView';
import { type LayerGeometry, words } from './view';

export interface Upsample2dLayer {
  type: 'upsample2d';
  mode: 'nearest' | 'bilinear';
  /** The output over the input along (H, W); without it, `size`. */
  scale_factor?: number | readonly [number, number];
  size?: number | readonly [number, number];
  align_corners?: boolean;
  /** As ONNX's Resize reads it (nearest: with nearest_mode; bilinear: not with align_corners); none: as torch's interpolate. */
  coordinate_transformation_mode?: typeof NEAREST_TRANSFORMS[number];
  nearest_mode?: typeof NEAREST_ROUNDINGS[number];
}

const AXES = ['B', 'C', 'H', 'W'];
const positiveOrPair = { anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'array', items: { type: 'number', exclusiveMinimum: 0 }, minItems: 2, maxItems: 2 }] };

const PARAMS: Record<string, LayerParam> = {
  mode: { read: 'asWritten', schema: { enum: ['nearest', 'bilinear'] }, doc: 'How an output cell reads the input: "nearest" (the default) copies one cell, "bilinear" weighs the 2×2 around its source.' },
  scale_factor: { read: 'asWritten', schema: positiveOrPair, doc: 'The output\'s size over the input\'s: a number for both H and W, or [h, w]; whole or fractional (the output is floor(H · h) × floor(W · w), the products in float32 with a coordinate_transformation_mode, as onnxruntime). Give this or size.' },
  size: { read: 'intOrPair', doc: 'The output\'s (H, W), a number for both or [h, w]. Give this or scale_factor.' },
  align_corners: { read: 'boolean', doc: 'bilinear only: the corner cells of input and output aligned, sources at o · (H − 1) / (H_out − 1); default false, half-pixel centres, as PyTorch. Not with coordinate_transformation_mode.' },
  coordinate_transformation_mode: {
    read: 'asWritten', schema: { enum: [...NEAREST_TRANSFORMS] },
    doc: 'As ONNX\'s Resize (onnxruntime\'s arithmetic): where an output cell\'s source is, e.g. half_pixel (o + ½) / scale − ½, pytorch_half_pixel (the same, but 0 for a one-cell output axis), align_corners o · (H − 1) / (H_out − 1), asymmetric o / scale. nearest (with nearest_mode) reads all five; bilinear all but tf_half_pixel_for_nn, its source clamped to the input. Without it, as torch\'s interpolate: nearest floor(o / scale), bilinear by align_corners.',
  },
  nearest_mode: { read: 'asWritten', schema: { enum: [...NEAREST_ROUNDINGS] }, doc: 'nearest only, as ONNX\'s Resize (with coordinate_transformation_mode): how the source is rounded to a cell, e.g. round_prefer_floor (ties down).' },
};

const pair = (v: number | readonly [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/**
 * The output's (H, W) and the scale each axis's coordinates use: the scale_factor as given, or out / in for a size.
 * By a scale, floor(H · scale); with ONNX's rule, as onnxruntime, the product in float32 (5 · 2.6 is 13, not 12).
 */
function outputOf(l: Upsample2dLayer, x: readonly number[]): { size: [number, number]; scale: [number, number] } {
  if ((l.scale_factor === undefined) === (l.size === undefined)) {
    throw new EngineError(l.type, { code: 'upsample.which', args: {} }, l.size === undefined ? 'scale_factor' : 'size');
  }
  const [H, W] = [x[2], x[3]];
  if (l.size !== undefined) {
    const size = pair(l.size);
    return { size, scale: [size[0] / H, size[1] / W] };
  }
  const scale = pair(l.scale_factor!);
  if (!scale.every(s => Number.isFinite(s) && s > 0)) throw new EngineError(l.type, { code: 'upsample.scale', args: { scale } }, 'scale_factor');
  const times = l.coordinate_transformation_mode ? (n: number, s: number) => Math.fround(n * Math.fround(s)) : (n: number, s: number) => n * s;
  return { size: [Math.floor(times(H, scale[0])), Math.floor(times(W, scale[1]))], scale };
}

/**
 * ONNX's rule: known values, a transform the mode reads (bilinear: not with align_corners), nearest_mode only for
 * nearest with a transform.
 */
function checkOnnxRule(l: Upsample2dLayer): void {
  const transforms = l.mode === 'bilinear' ? LINEAR_TRANSFORMS : NEAREST_TRANSFORMS;
  const keys = [['coordinate_transformation_mode', transforms], ['nearest_mode', NEAREST_ROUNDINGS]] as const;
  for (const [key, values] of keys) {
    const v = l[key];
    if (v === undefined) continue;
    const known = (values as readonly string[]).includes(v as string);
    const misplaced = key === 'nearest_mode' ? l.mode !== 'nearest' || !l.coordinate_transformation_mode : l.mode === 'bilinear' && l.align_corners !== undefined;
    if (!known || misplaced) {
      throw new EngineError(l.type, { code: 'upsample.nearestRule', args: { key, value: String(v), values: [...values] } }, key);
    }
  }
}

/** What the view reads (the plan's and the record's). */
function geometry(l: Upsample2dLayer, x: readonly number[], size: [number, number], scale: [number, number]): LayerGeometry<'upsample2d', UpsampleInfo> {
  const [batch, channels, height, width] = x;
  return {
    kind: 'upsample2d',
    info: {
      batch, channels, height, width, outHeight: size[0], outWidth: size[1], scaleHeight: scale[0], scaleWidth: scale[1], mode: l.mode, alignCorners: !!l.align_corners,
      ...(l.size !== undefined ? { sized: true } : {}),
      ...(l.coordinate_transformation_mode ? { rule: { transform: l.coordinate_transformation_mode, rounding: l.nearest_mode ?? 'floor' } } : {}),
    },
  };
}

/** What z is: bilinear's weighted means, or nearest's copies as torch reads them or by an ONNX rule. */
function zAbout(l: Upsample2dLayer): About {
  if (l.mode === 'bilinear') return { key: 'upsample.z.bilinear' };
  const transform = l.coordinate_transformation_mode;
  return transform ? { key: 'upsample.z.nearestRule', args: { transform, rounding: l.nearest_mode ?? 'floor' } } : { key: 'upsample.z.nearest' };
}

export const upsample2dKind: LayerKind<Upsample2dLayer> = {
  summary: () => 'as nn.Upsample / F.interpolate: (B, C, H, W) → (B, C, H_out, W_out), nearest or bilinear',
  params: () => PARAMS,
  build: (type, v) => ({
    type: type as 'upsample2d', mode: (v.mode as Upsample2dLayer['mode'] | undefined) ?? 'nearest',
    ...(v.scale_factor !== undefined ? { scale_factor: v.scale_factor as Upsample2dLayer['scale_factor'] } : {}),
    ...(v.size !== undefined ? { size: v.size as Upsample2dLayer['size'] } : {}),
    ...(v.align_corners !== undefined ? { align_corners: v.align_corners as boolean } : {}),
    ...(v.coordinate_transformation_mode !== undefined ? { coordinate_transformation_mode: v.coordinate_transformation_mode as Upsample2dLayer['coordinate_transformation_mode'] } : {}),
    ...(v.nearest_mode !== undefined ? { nearest_mode: v.nearest_mode as Upsample2dLayer['nearest_mode'] } : {}),
  }),
  specKeys: l => fieldsAsKeys(l, Object.keys(PARAMS)),
  title: l => `upsample2d ${l.mode} ${l.size !== undefined ? `to ${pair(l.size).join('×')}` : `×${pair(l.scale_factor!).join('×')}`}`,
  plan(l, x, backward) {
    if (x.length !== 4) throw new EngineError(l.type, { code: 'layer.inputRank', args: { rank: 4, axes: '(B, C, H, W)', shape: [...x] } }, 'input');
    checkOnnxRule(l);
    const { size, scale } = outputOf(l, x);
    if (!size.every(s => Number.isSafeInteger(s) && s >= 1)) throw new EngineError(l.type, { code: 'resample.output', args: { output: [x[0], x[1], ...size] } }, l.size !== undefined ? 'size' : 'scale_factor');
    const z = [x[0], x[1], ...size];
    const cells = z[0] * z[1] * size[0] * size[1];
    const cost = l.mode === 'bilinear' ? elementCost(cells, 9, words('costBilinear')) : NO_COST;
    return { output: z, tensors: [planned('z', z), ...(backward ? [planned('dA', x)] : [])], geometry: geometry(l, x, size, scale), cost };
  },
  forward(_l, x, plan) {
    const { rows, cols } = upsampleTaps(plan.geometry.info as UpsampleInfo);
    return { output: gather2d(x, rows, cols, 0), cache: {} };
  },
  backward({ spec, input }, delta) {
    const { rows, cols } = upsampleTaps(upsample2dKind.plan(spec, input.shape, false).geometry.info as UpsampleInfo);
    return { deltaIn: scatter2d(delta, rows, cols, input.shape), params: {} };
  },
  record({ spec: l, input: x, output }, delta) {
    const g = upsample2dKind.plan(l, x.shape, false).geometry as LayerGeometry<'upsample2d', UpsampleInfo>;
    const tensors: Partial<Record<TensorName, TraceTensor>> = {
      input: recorded('input', x, AXES, { key: 'layer.input' }),
      z: recorded('z', output, AXES, zAbout(l)),
    };
    const dA = delta && upsample2dKind.backward({ spec: l, input: x, output, cache: {} }, delta).deltaIn;
    if (delta && dA) {
      tensors.delta = recorded('delta', delta, AXES, { key: 'upsample.delta' });
      tensors.dA = recorded('dA', dA, AXES, { key: 'upsample.dA' });
    }
    const formula = l.mode === 'bilinear' ? 'z[b, c, oy, ox] = Σ wy · wx · input[b, c, iy, ix] over the 2×2 around the source'
      : l.coordinate_transformation_mode ? `z[b, c, oy, ox] = input[b, c, r(y(oy)), r(x(ox))]: sources by ${l.coordinate_transformation_mode}, r = ${l.nearest_mode ?? 'floor'}`
        : 'z[b, c, oy, ox] = input[b, c, ⌊oy / s⌋, ⌊ox / s⌋]';
    const stages = [
      stage('upsample', 'forward', 'Upsample', formula, ['input'], ['z']),
      stage('upsample_grad', 'backward', 'δ scattered back', '∂C/∂input[b, c, iy, ix] = Σ over the outputs that read it of weight · δ', ['delta'], ['dA']),
    ];
    return { tensors, stages: passes(stages, delta !== undefined), geometry: g, deltaIn: dA };
  },
};
