// The geometry of a transposed convolution (torch.nn.ConvTranspose2d), validated once.
//
// A transposed conv is the backward-input pass of a conv2d run forward. That conv2d (its
// "dual") reads a (B, Cout, Hs, Ws) map with the same weight (Cin, Cout/groups, kh, kw),
// stride, dilation and groups and no padding, and makes exactly (B, Cin, H, W), because
//   Hs = (H − 1)·s + d·(k − 1) + 1,
// the extent the input's windows scatter onto. The output is that map with `padding`
// cropped from its sides (the same on each, or top, bottom, left, right apart, as ONNX's
// pads) and `output_padding` added at the bottom/right:
//   Hout = Hs − p_top − p_bottom + op = (H − 1)·s − p_top − p_bottom + d·(k − 1) + op + 1.

import type { ConvInfo, Pair } from './convInfo';
import { ConvArgument, EngineError } from './errors';
import { LayerCost, productCost } from './layerKinds/cost';
import type { EngineProblem } from './problem';

export interface ConvTransposeOptions {
  stride?: number | Pair;
  /** Cropped from the output: p on each side, [ph, pw], or [top, bottom, left, right]. */
  padding?: number | Pair | readonly [number, number, number, number];
  output_padding?: number | Pair;
  dilation?: number | Pair;
  groups?: number;
}

export interface ConvTransposeInfo {
  batch: number;
  inChannels: number;
  inHeight: number;
  inWidth: number;
  outChannels: number;
  outHeight: number;
  outWidth: number;
  kernelHeight: number;
  kernelWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
  outputPadHeight: number;
  outputPadWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  groups: number;
  inChannelsPerGroup: number;
  outChannelsPerGroup: number;
  /** The map the windows scatter onto before the crop: (H − 1)·s + d·(k − 1) + 1. */
  fullHeight: number;
  fullWidth: number;
  /** Rows of x_t per batch item: H·W. */
  inPositions: number;
  /** Columns of z_t: Cout·kh·kw, in (channel, kh, kw) order. */
  patchSize: number;
  /** Columns of z_t one group's input channels fill: (Cout/groups)·kh·kw. */
  groupPatchSize: number;
  hasBias: boolean;
}

const OP = 'conv_transpose2d';

function fail(problem: EngineProblem, argument: ConvArgument): never {
  throw new EngineError(OP, problem, argument);
}

/** [h, w] of an integer or a pair; each at least `min` (1, or 0 for a padding). */
function pairOf(value: number | Pair | undefined, fallback: number, key: ConvArgument, min: 0 | 1): [number, number] {
  const pair = value === undefined ? [fallback, fallback] : typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(pair) || pair.length !== 2) fail({ code: 'conv.notPair', args: { key } }, key);
  for (const v of pair) {
    if (!Number.isInteger(v)) fail({ code: 'conv.notInteger', args: { key, value: v } }, key);
    if (v < min) fail(min === 1 ? { code: 'conv.belowOne', args: { key, value: v } } : { code: 'convT.negative', args: { key, value: v } }, key);
  }
  return [pair[0], pair[1]];
}

/** [top, bottom, left, right] of p, [ph, pw] or the four sides, each a whole number ≥ 0. */
function sidesOf(value: ConvTransposeOptions['padding']): [number, number, number, number] {
  const v = value ?? 0;
  const sides = typeof v === 'number' ? [v, v, v, v] : Array.isArray(v) && v.length === 2 ? [v[0], v[0], v[1], v[1]] : Array.isArray(v) && v.length === 4 ? [...v] : undefined;
  if (!sides) return fail({ code: 'convT.paddingForm', args: {} }, 'padding');
  for (const p of sides) {
    if (!Number.isInteger(p)) fail({ code: 'conv.notInteger', args: { key: 'padding', value: p } }, 'padding');
    if (p < 0) fail({ code: 'convT.negative', args: { key: 'padding', value: p } }, 'padding');
  }
  return sides as [number, number, number, number];
}

function checkRank(shape: readonly number[], key: 'input' | 'weight', axes: string): void {
  if (shape.length !== 4) fail({ code: 'conv.rank', args: { key, rank: 4, axes, shape: [...shape] } }, key);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1) fail({ code: 'conv.emptyDimension', args: { key, shape: [...shape] } }, key);
  }
}

/** Validates the arguments as F.conv_transpose2d does and derives every size. */
export function convTransposeInfo(
  inputShape: readonly number[],
  weightShape: readonly number[],
  options: ConvTransposeOptions = {},
  biasShape?: readonly number[],
): ConvTransposeInfo {
  checkRank(inputShape, 'input', '(B, Cin, H, W)');
  checkRank(weightShape, 'weight', '(Cin, Cout/groups, kh, kw)');
  const [batch, inChannels, inHeight, inWidth] = inputShape;
  const [weightInChannels, outChannelsPerGroup, kernelHeight, kernelWidth] = weightShape;
  const [strideHeight, strideWidth] = pairOf(options.stride, 1, 'stride', 1);
  const [dilationHeight, dilationWidth] = pairOf(options.dilation, 1, 'dilation', 1);
  const [padTop, padBottom, padLeft, padRight] = sidesOf(options.padding);
  const [outputPadHeight, outputPadWidth] = pairOf(options.output_padding, 0, 'output_padding', 0);
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups)) fail({ code: 'conv.notInteger', args: { key: 'groups', value: groups } }, 'groups');
  if (groups < 1) fail({ code: 'conv.belowOne', args: { key: 'groups', value: groups } }, 'groups');

  const shapes = { input: [...inputShape], weight: [...weightShape], groups };
  if (inChannels % groups !== 0) fail({ code: 'conv.groupsInput', args: { ...shapes, channels: inChannels } }, 'groups');
  if (weightInChannels !== inChannels) fail({ code: 'conv.channels', args: { ...shapes, has: inChannels, expects: weightInChannels } }, 'weight');
  const outChannels = outChannelsPerGroup * groups;
  if (biasShape !== undefined && (biasShape.length !== 1 || biasShape[0] !== outChannels)) {
    fail({ code: 'conv.bias', args: { channels: outChannels, shape: [...biasShape] } }, 'bias');
  }
  // As PyTorch: output_padding only picks among output sizes a stride (or a dilation) leaves ambiguous.
  if ((outputPadHeight >= strideHeight && outputPadHeight >= dilationHeight) || (outputPadWidth >= strideWidth && outputPadWidth >= dilationWidth)) {
    fail({
      code: 'convT.outputPadding',
      args: { outputPadding: [outputPadHeight, outputPadWidth], stride: [strideHeight, strideWidth], dilation: [dilationHeight, dilationWidth] },
    }, 'output_padding');
  }
  const fullHeight = (inHeight - 1) * strideHeight + dilationHeight * (kernelHeight - 1) + 1;
  const fullWidth = (inWidth - 1) * strideWidth + dilationWidth * (kernelWidth - 1) + 1;
  const outHeight = fullHeight - padTop - padBottom + outputPadHeight;
  const outWidth = fullWidth - padLeft - padRight + outputPadWidth;
  if (outHeight < 1 || outWidth < 1) {
    fail({
      code: 'convT.outputEmpty',
      args: { output: [outHeight, outWidth], input: [...inputShape], weight: [...weightShape], padding: [padTop, padBottom, padLeft, padRight], full: [fullHeight, fullWidth], outputPadding: [outputPadHeight, outputPadWidth] },
    }, 'padding');
  }
  return {
    batch, inChannels, inHeight, inWidth, outChannels, outHeight, outWidth, kernelHeight, kernelWidth,
    strideHeight, strideWidth, padTop, padBottom, padLeft, padRight, outputPadHeight, outputPadWidth, dilationHeight, dilationWidth,
    groups, inChannelsPerGroup: inChannels / groups, outChannelsPerGroup,
    fullHeight, fullWidth, inPositions: inHeight * inWidth,
    patchSize: outChannels * kernelHeight * kernelWidth, groupPatchSize: outChannelsPerGroup * kernelHeight * kernelWidth,
    hasBias: biasShape !== undefined,
  };
}

/**
 * The conv2d whose backward-input pass this is: it reads the (B, Cout, Hs, Ws) map unpadded with the same
 * weight and makes (B, Cin, H, W). im2col and col2im of that geometry move the transposed conv's patches.
 */
export function dualConvInfo(t: ConvTransposeInfo): ConvInfo {
  return {
    batch: t.batch, inChannels: t.outChannels, inHeight: t.fullHeight, inWidth: t.fullWidth,
    outChannels: t.inChannels, kernelHeight: t.kernelHeight, kernelWidth: t.kernelWidth,
    strideHeight: t.strideHeight, strideWidth: t.strideWidth, dilationHeight: t.dilationHeight, dilationWidth: t.dilationWidth,
    padTop: 0, padBottom: 0, padLeft: 0, padRight: 0,
    groups: t.groups, inChannelsPerGroup: t.outChannelsPerGroup, outChannelsPerGroup: t.inChannelsPerGroup,
    paddedHeight: t.fullHeight, paddedWidth: t.fullWidth, outHeight: t.inHeight, outWidth: t.inWidth,
    outPositions: t.inPositions, patchSize: t.patchSize, groupPatchSize: t.groupPatchSize,
    effectiveKernelHeight: t.dilationHeight * (t.kernelHeight - 1) + 1, effectiveKernelWidth: t.dilationWidth * (t.kernelWidth - 1) + 1,
    hasBias: false,
  };
}

export function convTransposeOutputShape(t: ConvTransposeInfo): [number, number, number, number] {
  return [t.batch, t.outChannels, t.outHeight, t.outWidth];
}

/** Where the zero-inserted input starts in the equivalent direct conv's frame: d·(k − 1) − p (negative: cropped). */
export function insertedOffset(t: ConvTransposeInfo): [number, number] {
  return [t.dilationHeight * (t.kernelHeight - 1) - t.padTop, t.dilationWidth * (t.kernelWidth - 1) - t.padLeft];
}

/** The equivalent direct conv's input frame, (Hout + d·(kh − 1), Wout + d·(kw − 1)): its stride-1 output is z. */
export function insertedFrame(t: ConvTransposeInfo): [number, number] {
  return [t.outHeight + t.dilationHeight * (t.kernelHeight - 1), t.outWidth + t.dilationWidth * (t.kernelWidth - 1)];
}

/** Hout = (H − 1)·s − 2·p + d·(k − 1) + op + 1 (− p_top − p_bottom where they differ), its numbers filled in. */
export function convTransposeSizeFormula(t: ConvTransposeInfo, axis: 'height' | 'width'): string {
  const [name, n, s, p0, p1, d, k, op, out] = axis === 'height'
    ? ['Hout', t.inHeight, t.strideHeight, t.padTop, t.padBottom, t.dilationHeight, t.kernelHeight, t.outputPadHeight, t.outHeight]
    : ['Wout', t.inWidth, t.strideWidth, t.padLeft, t.padRight, t.dilationWidth, t.kernelWidth, t.outputPadWidth, t.outWidth];
  return `${name} = (${n} - 1)·${s} ${p0 === p1 ? `- 2·${p0}` : `- ${p0} - ${p1}`} + ${d}·(${k}-1) + ${op} + 1 = ${out}`;
}

/** The padding as a face prints it: (ph, pw) when each axis crops its two sides alike, else [top, bottom, left, right]. */
export function convTransposePaddingText(t: ConvTransposeInfo): string {
  return t.padTop === t.padBottom && t.padLeft === t.padRight ? `(${t.padTop}, ${t.padLeft})` : `[${t.padTop}, ${t.padBottom}, ${t.padLeft}, ${t.padRight}]`;
}

/**
 * Every input value meets each of its group's (Cout/groups)·kh·kw taps once: 2·B·H·W·Cin·(Cout/groups)·kh·kw
 * FLOPs, the bias not counted, as torch.utils.flop_counter counts a transposed convolution (the products that
 * col2im then crops away with the padding included, as x_t @ w_mat computes them).
 */
export function convTransposeCost(t: ConvTransposeInfo): LayerCost {
  const taps = t.outChannelsPerGroup * t.kernelHeight * t.kernelWidth;
  return productCost(t.batch * t.inPositions * t.inChannels * taps, t.inChannels * taps + (t.hasBias ? t.outChannels : 0));
}
