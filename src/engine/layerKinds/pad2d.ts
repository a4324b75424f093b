// Padding as a layer, as F.pad on (B, C, H, W) with pad = [left, right, top, bottom]:
// mode constant (a value, 0 by default), reflect (the input mirrored about its
// edge cells, the edges not repeated) or replicate (the edge cells repeated). A
// negative pad crops. Backward is the adjoint (resample.ts): each input cell gets
// the δ of every output cell that copies it, so reflect and replicate add the
// border's gradients to the cells they copied; the constant fill gets none.
// Nothing is learned and nothing computed (0 FLOPs: copies).

import { EngineError } from '../errors';
import { type PadMode, gather2d, scatter2d } from '../resample';
import type { Tensor } from '../tensor';
import { TensorName, TraceTensor, recorded } from '../trace';
import { NO_COST } from './cost';
import { fieldsAsKeys, LayerKind, LayerParam, passes, planned, stage } from './kind';
import { type PadInfo, padTaps } from './pad2dView';
import type { LayerGeometry } from './view';

export interface Pad2dLayer {
  type: 'pad2d';
  /** [left, right, top, bottom], as F.pad's pad for the last two axes; one number for all four. */
  padding: number | readonly [number, number, number, number];
  mode: PadMode;
  value?: number;
}

const AXES = ['B', 'C', 'H', 'W'];

const PARAMS: Record<string, LayerParam> = {
  padding: {
    read: 'asWritten',
    schema: { anyOf: [{ type: 'integer' }, { type: 'array', items: { type: 'integer' }, minItems: 4, maxItems: 4 }] },
    doc: 'As F.pad\'s pad: [left, right, top, bottom] cells added around each plane, or one number for all four; a negative one crops.',
  },
  mode: { read: 'asWritten', schema: { enum: ['constant', 'reflect', 'replicate'] }, doc: 'What the new cells hold: "constant" (the default) the value, "reflect" the input mirrored about its edge, "replicate" the edge cell.' },
  value: { read: 'number', doc: 'constant mode\'s fill value. Default 0.' },
};

/** [left, right, top, bottom]. */
export function padSides(l: Pad2dLayer): [number, number, number, number] {
  const p = l.padding as unknown;
  if (typeof p === 'number') return [p, p, p, p];
  return Array.isArray(p) && p.length === 4 ? [p[0], p[1], p[2], p[3]] : [NaN, NaN, NaN, NaN];
}

function geometry(l: Pad2dLayer, x: readonly number[]): LayerGeometry<'pad2d', PadInfo> {
  const [batch, channels, height, width] = x;
  const [left, right, top, bottom] = padSides(l);
  return { kind: 'pad2d', info: { batch, channels, height, width, left, right, top, bottom, mode: l.mode, value: l.value ?? 0 } };
}

/** ∂C/∂input: δ gathered back along the taps. */
function padBack(l: Pad2dLayer, shape: readonly number[], delta: Tensor): Tensor {
  const { rows, cols } = padTaps(geometry(l, shape).info!);
  return scatter2d(delta, rows, cols, shape);
}

export const pad2dKind: LayerKind<Pad2dLayer> = {
  summary: () => 'as F.pad on (B, C, H, W): constant, reflect or replicate cells around each plane (a negative pad crops)',
  params: () => PARAMS,
  build: (type, v) => ({
    type: type as 'pad2d', padding: v.padding as Pad2dLayer['padding'], mode: (v.mode as PadMode | undefined) ?? 'constant',
    ...(v.value !== undefined ? { value: v.value as number } : {}),
  }),
  specKeys: l => fieldsAsKeys(l, Object.keys(PARAMS)),
  title: l => `pad2d ${l.mode} [${padSides(l).join(', ')}]`,
  plan(l, x, backward) {
    if (x.length !== 4) throw new EngineError(l.type, { code: 'layer.inputRank', args: { rank: 4, axes: '(B, C, H, W)', shape: [...x] } }, 'input');
    const pads = padSides(l);
    if (!pads.every(Number.isSafeInteger)) throw new EngineError(l.type, { code: 'pad2d.padding', args: { padding: l.padding === undefined ? 'none' : JSON.stringify(l.padding) } }, 'padding');
    const [left, right, top, bottom] = pads;
    const [H, W] = [x[2], x[3]];
    // F.pad's rule: reflect needs a pad below the axis's size (the mirror has no cell to repeat beyond it).
    if (l.mode === 'reflect' && (Math.max(top, bottom) >= H || Math.max(left, right) >= W)) {
      throw new EngineError(l.type, { code: 'pad2d.reflect', args: { padding: pads, input: [...x] } }, 'padding');
    }
    const z = [x[0], x[1], H + top + bottom, W + left + right];
    if (z[2] < 1 || z[3] < 1) throw new EngineError(l.type, { code: 'resample.output', args: { output: z } }, 'padding');
    return { output: z, tensors: [planned('z', z), ...(backward ? [planned('dA', x)] : [])], geometry: geometry(l, x), cost: NO_COST };
  },
  forward(l, x, plan) {
    const { rows, cols } = padTaps(plan.geometry.info as PadInfo);
    return { output: gather2d(x, rows, cols, l.value ?? 0), cache: {} };
  },
  backward: ({ spec, input }, delta) => ({ deltaIn: padBack(spec, input.shape, delta), params: {} }),
  record({ spec: l, input: x, output }, delta) {
    const g = geometry(l, x.shape);
    const tensors: Partial<Record<TensorName, TraceTensor>> = {
      input: recorded('input', x, AXES, { key: 'layer.input' }),
      z: recorded('z', output, AXES, { key: `pad.z.${l.mode}` }),
    };
    const dA = delta && padBack(l, x.shape, delta);
    if (delta && dA) {
      tensors.delta = recorded('delta', delta, AXES, { key: 'pad.delta' });
      tensors.dA = recorded('dA', dA, AXES, { key: 'pad.dA' });
    }
    const [left, right, top, bottom] = padSides(l);
    const stages = [
      stage('pad', 'forward', `Pad (${l.mode})`, `z = F.pad(input, [${left}, ${right}, ${top}, ${bottom}], mode=${l.mode}${l.mode === 'constant' ? `, value=${l.value ?? 0}` : ''})`, ['input'], ['z']),
      stage('pad_grad', 'backward', 'δ gathered back', '∂C/∂input[b, c, iy, ix] = Σ δ over the output cells that copy it', ['delta'], ['dA']),
    ];
    return { tensors, stages: passes(stages, delta !== undefined), geometry: g, deltaIn: dA };
  },
};
