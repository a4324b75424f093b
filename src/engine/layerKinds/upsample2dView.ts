// What the faces show of upsample2d: an output cell copies (nearest) or weighs
// (bilinear) the input cells around its source, and links to them; an input cell
// links to every output cell that reads it and gets their δ back, weighted.

import { type OnnxRule, copyAxis, upsampleAxis } from '../resample';
import { type Taps, isOutputShaped, tapField, tapLinks, tapReceptive, tapSum } from './tapsView';
import { LayerView, gradientTable, words } from './view';

export interface UpsampleInfo {
  batch: number; channels: number; height: number; width: number; outHeight: number; outWidth: number;
  /** The ratio each axis's coordinates use: the scale_factor, or out / in for a size. */
  scaleHeight: number; scaleWidth: number;
  mode: 'nearest' | 'bilinear';
  alignCorners: boolean;
  /** An explicit size: the coordinates use in / out (torch's form), not 1 / scale. */
  sized?: boolean;
  /** As ONNX's Resize says (its coordinate transform and, for nearest, rounding); none: as torch's interpolate. */
  rule?: OnnxRule;
}

/** Each axis's taps, from the geometry (the arithmetic's too). */
export function upsampleTaps(i: UpsampleInfo): Taps {
  // onnxruntime copies an input its Resize gives back the same shape, whatever the scales (3 · 1.3 rows are 3).
  if (i.rule && i.outHeight === i.height && i.outWidth === i.width) return { rows: copyAxis(i.height), cols: copyAxis(i.width) };
  return {
    rows: upsampleAxis(i.height, i.outHeight, i.scaleHeight, i.mode, i.alignCorners, i.sized, i.rule),
    cols: upsampleAxis(i.width, i.outWidth, i.scaleWidth, i.mode, i.alignCorners, i.sized, i.rule),
  };
}

/** Bilinear's words by where the sources are (pytorch_half_pixel differs from half_pixel on a one-cell axis only). */
const BILINEAR: Record<string, 'upsampleBilinear' | 'upsampleBilinearCorners' | 'upsampleBilinearAsymmetric'> = {
  half_pixel: 'upsampleBilinear', pytorch_half_pixel: 'upsampleBilinear', align_corners: 'upsampleBilinearCorners', asymmetric: 'upsampleBilinearAsymmetric',
};
const how = (i: UpsampleInfo) => words(i.mode === 'nearest' ? 'upsampleNearest' : BILINEAR[i.rule?.transform ?? (i.alignCorners ? 'align_corners' : 'half_pixel')]);

export const upsample2dView: LayerView<UpsampleInfo> = {
  gradientOf: gradientTable({ dA: { input: 0 } }),
  numbers: ['batch', 'channels', 'height', 'width', 'outHeight', 'outWidth'],
  stages: {
    upsample: {
      title: words('titleUpsample'),
      flow: [{ tensor: 'input' }, { op: 'upsample →' }, { tensor: 'z' }],
      explain: ({ info }) => words('upsampleExplain', how(info), info.height, info.width, info.outHeight, info.outWidth),
      specKeys: ['scale_factor', 'size', 'mode'],
    },
    upsample_grad: {
      title: words('titleUpsampleGrad'),
      flow: [{ tensor: 'delta', caption: 'δ' }, { op: 'scatter back →' }, { tensor: 'dA', caption: '∂C/∂input' }],
      explain: words('upsampleGrad'),
    },
  },
  facts: i => [
    words('factInput', `(${i.batch}, ${i.channels}, ${i.height}, ${i.width})`),
    how(i),
    words('factOutput', `(${i.batch}, ${i.channels}, ${i.outHeight}, ${i.outWidth})`),
  ],
  links: (info, target, _shapeOf, names) => tapLinks(upsampleTaps(info), target, names),
  cellSum: (info, get, _shapeOf, target) => tapSum(upsampleTaps(info), info, 0, get, target),
  cellMeaning: (_info, name, index) => (isOutputShaped(name) ? words('cellOutputPixel', index[2], index[3]) : words('cellInputPixel', index[2], index[3])),
  hover: i => [words('hoverUpsample', how(i), i.outHeight, i.outWidth)],
  receptive: (info, out, [input]) => [tapReceptive(upsampleTaps(info), out, input)],
  field: (i, [below]) => tapField(below, i.mode === 'nearest' ? 1 : 2, [i.scaleHeight, i.scaleWidth]),
};
