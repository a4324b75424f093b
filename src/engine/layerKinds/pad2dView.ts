// What the faces show of pad2d: an output cell copies one input cell (or holds
// the fill value, hatched) and links to it; an input cell links to every output
// cell that copies it (reflect and replicate copy border cells more than once)
// and gets the sum of their δ back.

import { type PadMode, padAxis } from '../resample';
import { type Taps, isOutputShaped, tapField, tapLinks, tapReceptive, tapSum } from './tapsView';
import { LayerView, gradientTable, words } from './view';

export interface PadInfo {
  batch: number; channels: number; height: number; width: number;
  left: number; right: number; top: number; bottom: number;
  mode: PadMode;
  value: number;
}

/** Each axis's taps, from the geometry (the arithmetic's too). */
export function padTaps(i: PadInfo): Taps {
  return { rows: padAxis(i.height, i.top, i.bottom, i.mode), cols: padAxis(i.width, i.left, i.right, i.mode) };
}

const out = (i: PadInfo) => ({ ...i, outHeight: i.height + i.top + i.bottom, outWidth: i.width + i.left + i.right });
const sides = (i: PadInfo) => `[${i.left}, ${i.right}, ${i.top}, ${i.bottom}]`;
const modeWords = (i: PadInfo) => (i.mode === 'constant' ? words('padConstant', i.value) : words(i.mode === 'reflect' ? 'padReflect' : 'padReplicate'));

export const pad2dView: LayerView<PadInfo> = {
  gradientOf: gradientTable({ dA: { input: 0 } }),
  numbers: ['batch', 'channels', 'height', 'width'],
  stages: {
    pad: {
      title: words('titlePad2d'),
      flow: [{ tensor: 'input' }, { op: 'F.pad →' }, { tensor: 'z' }],
      explain: ({ info }) => words('padExplain', sides(info), modeWords(info)),
      specKeys: ['padding', 'mode', 'value'],
    },
    pad_grad: {
      title: words('titlePad2dGrad'),
      flow: [{ tensor: 'delta', caption: 'δ' }, { op: 'gather back →' }, { tensor: 'dA', caption: '∂C/∂input' }],
      explain: ({ info }) => words(info.mode === 'constant' ? 'padGradConstant' : 'padGradCopies'),
    },
  },
  facts: i => [words('factInput', `(${i.batch}, ${i.channels}, ${i.height}, ${i.width})`), modeWords(i), words('factOutput', `(${i.batch}, ${i.channels}, ${out(i).outHeight}, ${out(i).outWidth})`)],
  links: (info, target, _shapeOf, names) => tapLinks(padTaps(info), target, names),
  cellSum: (info, get, _shapeOf, target) => tapSum(padTaps(info), out(info), info.value, get, target),
  cellMeaning: (info, name, index) => {
    if (!isOutputShaped(name)) return words('cellInputPixel', index[2], index[3]);
    const { rows, cols } = padTaps(info);
    return rows.lo[index[2]] < 0 || cols.lo[index[3]] < 0 ? words('cellPadding') : words('cellOutputPixel', index[2], index[3]);
  },
  muted: (info, name) => {
    if (!isOutputShaped(name) || info.mode !== 'constant') return undefined;
    const { rows, cols } = padTaps(info);
    return index => rows.lo[index[2]] < 0 || cols.lo[index[3]] < 0;
  },
  hover: i => [words('hoverPad', sides(i), modeWords(i))],
  receptive: (info, region, [input]) => [tapReceptive(padTaps(info), region, input)],
  field: (_i, [below]) => tapField(below, 1, [1, 1]),
};
