// One flat record of conv2d geometry, validated once at the boundary; every
// kernel after this assumes it is consistent. Hovers and the panel read shapes
// from here too, so there is exactly one output-size formula in the product.

import { ConvArgument, EngineError } from './errors';
import { formatShape } from './tensor';

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

function fail(detail: string, argument?: ConvArgument): never {
  throw new EngineError(OP, detail, argument);
}

function positiveInt(value: number, what: string, argument: ConvArgument): number {
  if (!Number.isInteger(value)) fail(`${what} must be an integer, got ${value}`, argument);
  if (value < 1) fail(`${what} must be at least 1, got ${value}`, argument);
  return value;
}

function pairOf(value: number | Pair | undefined, fallback: number, what: ConvArgument): [number, number] {
  if (value === undefined) return [fallback, fallback];
  if (typeof value === 'number') return [value, value];
  if (!Array.isArray(value) || value.length !== 2) fail(`${what} must be a number or a pair [h, w]`, what);
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
  else return fail(`padding must be an integer, [ph, pw], [top, bottom, left, right], "valid" or "same"`, 'padding');
  for (const p of sides) {
    if (!Number.isInteger(p)) fail(`padding must be made of integers, got ${p}`, 'padding');
    if (p < 0) fail(`padding must not be negative, got ${p}`, 'padding');
  }
  return sides as [number, number, number, number];
}

function checkRank(shape: readonly number[], rank: number, argument: ConvArgument, axes: string): void {
  if (shape.length !== rank) {
    fail(`${argument} must be ${rank}-D ${axes}, got ${shape.length}-D ${formatShape(shape)}`, argument);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1) fail(`${argument} ${formatShape(shape)} has an empty dimension`, argument);
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

  const shapes = `(input ${formatShape(inputShape)}, weight ${formatShape(weightShape)}, groups ${groups})`;
  if (inChannels % groups !== 0) {
    fail(`groups ${groups} does not divide the input's ${inChannels} channels ${shapes}`, 'groups');
  }
  if (outChannels % groups !== 0) {
    fail(`groups ${groups} does not divide the weight's ${outChannels} output channels ${shapes}`, 'groups');
  }
  if (weightInChannels * groups !== inChannels) {
    fail(`input has ${inChannels} channels but weight expects ${weightInChannels * groups} ${shapes}`, 'weight');
  }
  if (biasShape !== undefined && (biasShape.length !== 1 || biasShape[0] !== outChannels)) {
    fail(`bias must have shape (${outChannels},) to match the weight's ${outChannels} output channels, got ${formatShape(biasShape)}`, 'bias');
  }

  const effectiveKernelHeight = dilationHeight * (kernelHeight - 1) + 1;
  const effectiveKernelWidth = dilationWidth * (kernelWidth - 1) + 1;
  let pads = explicitPadding(options.padding ?? 0);
  if (pads === 'same') {
    // As PyTorch: only for stride 1; the odd pixel of an even kernel goes to the bottom/right.
    if (strideHeight !== 1 || strideWidth !== 1) {
      fail(`padding "same" needs stride 1, got stride (${strideHeight}, ${strideWidth})`, 'padding');
    }
    const totalH = effectiveKernelHeight - 1;
    const totalW = effectiveKernelWidth - 1;
    pads = [Math.floor(totalH / 2), totalH - Math.floor(totalH / 2), Math.floor(totalW / 2), totalW - Math.floor(totalW / 2)];
  }
  const [padTop, padBottom, padLeft, padRight] = pads;
  const paddedHeight = inHeight + padTop + padBottom;
  const paddedWidth = inWidth + padLeft + padRight;
  if (effectiveKernelHeight > paddedHeight || effectiveKernelWidth > paddedWidth) {
    const dil = dilationHeight > 1 || dilationWidth > 1 ? `dilated ` : '';
    fail(
      `${dil}kernel ${effectiveKernelHeight}x${effectiveKernelWidth} is larger than the padded input ` +
      `${paddedHeight}x${paddedWidth} (input ${formatShape(inputShape)}, weight ${formatShape(weightShape)}, ` +
      `padding [${pads.join(', ')}], dilation (${dilationHeight}, ${dilationWidth}))`,
      'weight',
    );
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
    fail(`grad must have the output's shape ${formatShape(expected)} (B, Cout, Hout, Wout), got ${formatShape(gradShape)}`, 'grad');
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
