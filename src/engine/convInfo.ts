// One flat record of conv2d geometry, validated once at the boundary; every
// kernel after this assumes it is consistent. Hovers and the panel read shapes
// from here too, so there is exactly one output-size formula in the product.

import { ConvArgument, EngineError } from './errors';
import type { EngineProblem } from './problem';

export type Pair = readonly [number, number];
/** int, [ph, pw], [top, bottom, left, right], or a PyTorch-style keyword. */
export type PaddingOption = number | Pair | readonly [number, number, number, number] | 'valid' | 'same';

export interface ConvOptions {
  stride?: number | Pair;
  padding?: PaddingOption;
  dilation?: number | Pair;
  groups?: number;
}

export interface ConvInfo {
  batch: number;
  inChannels: number;
  inHeight: number;
  inWidth: number;
  outChannels: number;
  kernelHeight: number;
  kernelWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
  groups: number;
  inChannelsPerGroup: number;
  outChannelsPerGroup: number;
  paddedHeight: number;
  paddedWidth: number;
  outHeight: number;
  outWidth: number;
  /** Rows of a_t per batch item: outHeight * outWidth. */
  outPositions: number;
  /** Columns of a_t: inChannels * kernelHeight * kernelWidth, in (channel, kh, kw) order. */
  patchSize: number;
  /** Columns of a_t that one group's kernels see: inChannelsPerGroup * kh * kw. */
  groupPatchSize: number;
  /** Extent of the dilated kernel: dilation * (k - 1) + 1. */
  effectiveKernelHeight: number;
  effectiveKernelWidth: number;
  hasBias: boolean;
}

const OP = 'conv2d';

function fail(problem: EngineProblem, argument?: ConvArgument): never {
  throw new EngineError(OP, problem, argument);
}

function positiveInt(value: number, what: string, argument: ConvArgument): number {
  if (!Number.isInteger(value)) fail({ code: 'conv.notInteger', args: { key: what, value } }, argument);
  if (value < 1) fail({ code: 'conv.belowOne', args: { key: what, value } }, argument);
  return value;
}

function pairOf(value: number | Pair | undefined, fallback: number, what: ConvArgument): [number, number] {
  if (value === undefined) return [fallback, fallback];
  if (typeof value === 'number') return [value, value];
  if (!Array.isArray(value) || value.length !== 2) fail({ code: 'conv.notPair', args: { key: what } }, what);
  return [value[0], value[1]];
}

/** [top, bottom, left, right] for explicit padding; keywords are resolved later (they need the kernel). */
function explicitPadding(padding: PaddingOption): [number, number, number, number] | 'same' {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding === 'same') return 'same';
  let sides: number[];
  if (typeof padding === 'number') sides = [padding, padding, padding, padding];
  else if (Array.isArray(padding) && padding.length === 2) sides = [padding[0], padding[0], padding[1], padding[1]];
  else if (Array.isArray(padding) && padding.length === 4) sides = [...padding];
  else return fail({ code: 'conv.paddingForm', args: {} }, 'padding');
  for (const p of sides) {
    if (!Number.isInteger(p)) fail({ code: 'conv.paddingNotInteger', args: { value: p } }, 'padding');
    if (p < 0) fail({ code: 'conv.paddingNegative', args: { value: p } }, 'padding');
  }
  return sides as [number, number, number, number];
}

function checkRank(shape: readonly number[], rank: number, argument: ConvArgument, axes: string): void {
  if (shape.length !== rank) {
    fail({ code: 'conv.rank', args: { key: argument, rank, axes, shape: [...shape] } }, argument);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1) fail({ code: 'conv.emptyDimension', args: { key: argument, shape: [...shape] } }, argument);
  }
}

/**
 * Validates conv2d arguments and derives every size. Output size, per axis:
 * `Hout = floor((H + pt + pb - dh*(kh-1) - 1) / sh) + 1`.
 */
export function convInfo(
  inputShape: readonly number[],
  weightShape: readonly number[],
  options: ConvOptions = {},
  biasShape?: readonly number[],
): ConvInfo {
  checkRank(inputShape, 4, 'input', '(B, Cin, H, W)');
  checkRank(weightShape, 4, 'weight', '(Cout, Cin/groups, kh, kw)');
  const [batch, inChannels, inHeight, inWidth] = inputShape;
  const [outChannels, weightInChannels, kernelHeight, kernelWidth] = weightShape;

  const [strideHeight, strideWidth] = pairOf(options.stride, 1, 'stride');
  positiveInt(strideHeight, 'stride', 'stride');
  positiveInt(strideWidth, 'stride', 'stride');
  const [dilationHeight, dilationWidth] = pairOf(options.dilation, 1, 'dilation');
  positiveInt(dilationHeight, 'dilation', 'dilation');
  positiveInt(dilationWidth, 'dilation', 'dilation');
  const groups = positiveInt(options.groups ?? 1, 'groups', 'groups');

  const shapes = { input: [...inputShape], weight: [...weightShape], groups };
  if (inChannels % groups !== 0) {
    fail({ code: 'conv.groupsInput', args: { ...shapes, channels: inChannels } }, 'groups');
  }
  if (outChannels % groups !== 0) {
    fail({ code: 'conv.groupsOutput', args: { ...shapes, channels: outChannels } }, 'groups');
  }
  if (weightInChannels * groups !== inChannels) {
    fail({ code: 'conv.channels', args: { ...shapes, has: inChannels, expects: weightInChannels * groups } }, 'weight');
  }
  if (biasShape !== undefined && (biasShape.length !== 1 || biasShape[0] !== outChannels)) {
    fail({ code: 'conv.bias', args: { channels: outChannels, shape: [...biasShape] } }, 'bias');
  }

  const effectiveKernelHeight = dilationHeight * (kernelHeight - 1) + 1;
  const effectiveKernelWidth = dilationWidth * (kernelWidth - 1) + 1;
  let pads = explicitPadding(options.padding ?? 0);
  if (pads === 'same') {
    // As PyTorch: only for stride 1; the odd pixel of an even kernel goes to the bottom/right.
    if (strideHeight !== 1 || strideWidth !== 1) {
      fail({ code: 'conv.sameStride', args: { stride: [strideHeight, strideWidth] } }, 'padding');
    }
    const totalH = effectiveKernelHeight - 1;
    const totalW = effectiveKernelWidth - 1;
    pads = [Math.floor(totalH / 2), totalH - Math.floor(totalH / 2), Math.floor(totalW / 2), totalW - Math.floor(totalW / 2)];
  }
  const [padTop, padBottom, padLeft, padRight] = pads;
  const paddedHeight = inHeight + padTop + padBottom;
  const paddedWidth = inWidth + padLeft + padRight;
  if (effectiveKernelHeight > paddedHeight || effectiveKernelWidth > paddedWidth) {
    fail({
      code: 'conv.kernelTooLarge',
      args: {
        dilated: dilationHeight > 1 || dilationWidth > 1, kernel: [effectiveKernelHeight, effectiveKernelWidth], padded: [paddedHeight, paddedWidth],
        input: [...inputShape], weight: [...weightShape], padding: [...pads], dilation: [dilationHeight, dilationWidth],
      },
    }, 'weight');
  }
  const outHeight = Math.floor((paddedHeight - effectiveKernelHeight) / strideHeight) + 1;
  const outWidth = Math.floor((paddedWidth - effectiveKernelWidth) / strideWidth) + 1;
  const inChannelsPerGroup = inChannels / groups;
  return {
    batch, inChannels, inHeight, inWidth,
    outChannels, kernelHeight, kernelWidth,
    strideHeight, strideWidth, dilationHeight, dilationWidth,
    padTop, padBottom, padLeft, padRight,
    groups, inChannelsPerGroup, outChannelsPerGroup: outChannels / groups,
    paddedHeight, paddedWidth, outHeight, outWidth,
    outPositions: outHeight * outWidth,
    patchSize: inChannels * kernelHeight * kernelWidth,
    groupPatchSize: inChannelsPerGroup * kernelHeight * kernelWidth,
    effectiveKernelHeight, effectiveKernelWidth,
    hasBias: biasShape !== undefined,
  };
}

/** Checks an upstream gradient against the output shape (B, Cout, Hout, Wout). */
export function checkGradShape(info: ConvInfo, gradShape: readonly number[]): void {
  const expected = outputShape(info);
  if (gradShape.length !== 4 || gradShape.some((d, i) => d !== expected[i])) {
    fail({ code: 'grad.shape', args: { expected, shape: [...gradShape], axes: '(B, Cout, Hout, Wout)' } }, 'grad');
  }
}

export function outputShape(info: ConvInfo): [number, number, number, number] {
  return [info.batch, info.outChannels, info.outHeight, info.outWidth];
}

export function paddedShape(info: ConvInfo): [number, number, number, number] {
  return [info.batch, info.inChannels, info.paddedHeight, info.paddedWidth];
}

/** The output-size formula with this geometry's numbers filled in, for hovers and the panel. */
export function outputSizeFormula(info: ConvInfo, axis: 'height' | 'width'): string {
  const [n, name, a, b, d, k, s, out] = axis === 'height'
    ? [info.inHeight, 'Hout', info.padTop, info.padBottom, info.dilationHeight, info.kernelHeight, info.strideHeight, info.outHeight]
    : [info.inWidth, 'Wout', info.padLeft, info.padRight, info.dilationWidth, info.kernelWidth, info.strideWidth, info.outWidth];
  return `${name} = floor((${n} + ${a} + ${b} - ${d}·(${k}-1) - 1) / ${s}) + 1 = ${out}`;
}
