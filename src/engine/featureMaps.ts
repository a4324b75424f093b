// What the panel's feature-map gallery shows of a network run, computed once here so the webview only draws:
// a layer's output (or its δ) cut into its channels with each channel's range (the gallery's per-channel
// scale) and the range of them all (its shared scale), and the two attributions of the input image.
//
// Saliency is max over the input's channels of |∂C/∂x|: where a small change of the input changes the loss most.
//
// Grad-CAM (Selvaraju et al. 2017) weighs a conv layer's channels A_k by α_k = mean over (y, x) of ∂y_c/∂A_k and
// shows ReLU(Σ_k α_k A_k), upsampled bilinearly to the input's size. The run's δ is ∂C/∂A of the loss C, not of a
// class score, so the weights are taken from −δ: for cross-entropy with target c, C = −log p_c, hence
// −∂C/∂A = ∂ log p_c/∂A (the target's log-probability, the usual Grad-CAM with log-softmax scores). Without the
// minus sign the map would light what argues against class c. Other losses give −∂C/∂A all the same: the
// direction that lowers the loss.

import { resizeBilinear } from './resample';
import { viewOf } from './layerKinds/views';
import type { NetworkTrace } from './network';
import type { NetworkRun } from './networkRun';
import type { PixelMapping, Tensor } from './tensor';
import type { TraceTensor } from './trace';

/** A finite range; { min: 0, max: 0 } when a map has no finite value. */
export interface Range {
  min: number;
  max: number;
}

/** One batch item of a tensor as channels of height × width (a rank-2 [B, F] tensor is one channel of 1 × F). */
export interface ChannelMaps {
  channels: number;
  height: number;
  width: number;
  /** The channels, row-major, channel after channel. */
  data: Float32Array;
  /** Each channel's finite range: the per-channel scale. */
  ranges: Range[];
  /** The range of every channel: the shared scale. */
  shared: Range;
}

/** How a tensor's item splits into channel maps: [B, C, H, W] → C of H × W; [B, C, L] → C of 1 × L; [B, F] → 1 of 1 × F. */
export function channelLayout(shape: readonly number[]): { channels: number; height: number; width: number } | undefined {
  if (shape.length === 4) return { channels: shape[1], height: shape[2], width: shape[3] };
  if (shape.length === 3) return { channels: shape[1], height: 1, width: shape[2] };
  if (shape.length === 2) return { channels: 1, height: 1, width: shape[1] };
  return undefined;
}

/** The finite range of `data[from, to)`. */
export function finiteRange(data: ArrayLike<number>, from = 0, to = data.length): Range {
  let min = Infinity;
  let max = -Infinity;
  for (let i = from; i < to; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // NaN fails both comparisons; ±Infinity is left out as the tensor statistics do.
  if (min === -Infinity || max === Infinity) return finiteOnly(data, from, to);
  return min <= max ? { min, max } : { min: 0, max: 0 };
}

function finiteOnly(data: ArrayLike<number>, from: number, to: number): Range {
  let min = Infinity;
  let max = -Infinity;
  for (let i = from; i < to; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}

/** Batch item `item` of `t` as channel maps, with at most `maxChannels` channels (the first ones). */
export function channelMaps(t: Tensor, item: number, maxChannels = Infinity): ChannelMaps {
  const layout = channelLayout(t.shape);
  if (!layout) throw new RangeError(`channelMaps: a tensor of rank ${t.shape.length} has no channels to show`);
  checkItem(t, item);
  const size = layout.height * layout.width;
  const channels = Math.min(layout.channels, maxChannels);
  const start = item * layout.channels * size;
  const data = Float32Array.from(t.data.subarray(start, start + channels * size));
  const ranges = Array.from({ length: channels }, (_, c) => finiteRange(t.data, start + c * size, start + (c + 1) * size));
  const shared = finiteRange(t.data, start, start + channels * size);
  return { channels, height: layout.height, width: layout.width, data, ranges, shared };
}

function checkItem(t: Tensor, item: number): void {
  if (!Number.isSafeInteger(item) || item < 0 || item >= t.shape[0]) throw new RangeError(`no batch item ${item}: the batch has ${t.shape[0]}`);
}

/** A map over the input image's pixels (or a coarse one), with its range. */
export interface AttributionMap {
  height: number;
  width: number;
  /** Row-major. */
  data: Float64Array;
  range: Range;
}

/** Saliency of batch item `item`: max over channels of |∂C/∂x| at each pixel. `inputGrad` is [B, C, H, W]. */
export function saliency(inputGrad: Tensor, item: number): AttributionMap {
  const [, C, H, W] = imageShape(inputGrad, 'saliency');
  checkItem(inputGrad, item);
  const data = new Float64Array(H * W);
  const base = item * C * H * W;
  for (let c = 0; c < C; c++) {
    for (let p = 0; p < H * W; p++) {
      const v = Math.abs(inputGrad.data[base + c * H * W + p]);
      // NaN wins, so a broken gradient shows as broken.
      if (v > data[p] || v !== v) data[p] = v;
    }
  }
  return { height: H, width: W, data, range: finiteRange(data) };
}

export interface GradCam {
  /** ReLU(Σ_k α_k A_k) at the layer's resolution. */
  coarse: AttributionMap;
  /** The coarse map upsampled bilinearly to the input image's size. */
  map: AttributionMap;
  /** α_k = mean over (y, x) of −δ_k, one per channel of the layer. */
  weights: Float64Array;
}

/**
 * Grad-CAM of batch item `item` at a layer whose output is `activation` [B, K, h, w] with δ = ∂C/∂activation,
 * upsampled to `size` [H, W] (the input image's). See the file's comment for why the weights are of −δ.
 */
export function gradCam(activation: Tensor, delta: Tensor, item: number, size: readonly [number, number]): GradCam {
  const [, K, h, w] = imageShape(activation, 'Grad-CAM');
  if (delta.shape.join() !== activation.shape.join()) throw new RangeError(`Grad-CAM: δ (${delta.shape.join(', ')}) is not the shape of the activation (${activation.shape.join(', ')})`);
  checkItem(activation, item);
  const area = h * w;
  const base = item * K * area;
  const weights = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let sum = 0;
    for (let p = 0; p < area; p++) sum -= delta.data[base + k * area + p];
    weights[k] = sum / area;
  }
  const coarse = new Float64Array(area);
  for (let k = 0; k < K; k++) {
    const a = weights[k];
    for (let p = 0; p < area; p++) coarse[p] += a * activation.data[base + k * area + p];
  }
  for (let p = 0; p < area; p++) if (coarse[p] < 0) coarse[p] = 0;
  const [H, W] = size;
  const map = resizeBilinear(coarse, 1, h, w, H, W);
  return { coarse: { height: h, width: w, data: coarse, range: finiteRange(coarse) }, map: { height: H, width: W, data: map, range: finiteRange(map) }, weights };
}

function imageShape(t: Tensor, what: string): [number, number, number, number] {
  if (t.shape.length !== 4) throw new RangeError(`${what} needs a [B, C, H, W] tensor, not (${t.shape.join(', ')})`);
  return t.shape as [number, number, number, number];
}

export type AttributionKind = 'saliency' | 'gradcam';

/** Whether a run can show this attribution at layer `layer` (Grad-CAM: a layer with a [B, K, h, w] output and a δ). */
export function canAttribute(run: Pick<NetworkRun, 'problem' | 'outputs' | 'gradients'>, kind: AttributionKind, layer: number): boolean {
  if (!run.gradients || run.problem.input.shape.length !== 4) return false;
  if (kind === 'saliency') return true;
  return run.outputs[layer]?.shape.length === 4 && run.gradients.deltas[layer] !== undefined;
}

/** An attribution of a run's input image for batch item `item` (Grad-CAM at layer `layer`): the map at the input's size. */
export function attributionOf(run: Pick<NetworkRun, 'problem' | 'outputs' | 'gradients'>, kind: AttributionKind, layer: number, item: number): AttributionMap {
  const g = run.gradients;
  if (!g || !canAttribute(run, kind, layer)) throw new RangeError(`no ${kind} at layer ${layer}: it needs the backward pass, an image input and (Grad-CAM) a layer with [B, K, h, w] output`);
  if (kind === 'saliency') {
    if (!g.input) throw new RangeError('no saliency: the run skipped ∂C/∂input (inputGradient: false)');
    return saliency(g.input, item);
  }
  const [, , H, W] = run.problem.input.shape;
  return gradCam(run.outputs[layer], g.deltas[layer]!, item, [H, W]).map;
}

/** The network's input as a traced layer recorded it (the first layer that takes `input`, under its kind's name for it). */
export function networkInputOf(trace: NetworkTrace): TraceTensor | undefined {
  for (const l of trace.layers) {
    const position = l.inputs.findIndex(x => x.name === 'input');
    if (position >= 0) return l.tensors[viewOf(l.geometry)?.ends?.input(position) ?? 'input'];
  }
  return undefined;
}

/** How an image tensor read from no picture is shown: batch item `item`'s finite range stretched to 0..255, all channels alike. */
export function stretchedMapping(t: Tensor, item: number): PixelMapping {
  const size = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const { min, max } = finiteRange(t.data, item * size, (item + 1) * size);
  const span = max > min ? max - min : 1;
  const channels = t.shape[1];
  return { scale: 255, mean: new Array<number>(channels).fill(-min / span), std: new Array<number>(channels).fill(1 / span) };
}
