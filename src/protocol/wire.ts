// Trace ⇄ wire form. Each tensor's bytes are copied into their own ArrayBuffer
// (a typed array may be a view into a larger buffer); big tensors stay behind
// until the panel asks for them.

import type { LayerTrace, NetworkTrace } from '../engine/network';
import type { ConvTrace, TensorName, TraceTensor } from '../engine/trace';
import { tensorNames } from '../engine/trace';
import type { DType, PixelMapping, Tensor, TensorData, TensorStats as EngineStats } from '../engine/tensor';
import { AttributionKind, AttributionMap, channelLayout, channelMaps, stretchedMapping } from '../engine/featureMaps';
import type { LayerGeometry } from '../engine/layerKinds/view';
import { viewOf } from '../engine/layerKinds/views';
import { isPictureShape, picturePixels } from '../format/picture';
import {
  EAGER_TENSOR_BYTES, EAGER_TOTAL_BYTES, GALLERY_CHANNELS, GALLERY_VALUES, PICTURE_ITEMS, PICTURE_SIDE, TensorStats, WireAttribution, WireChannels, WireFeatureMaps,
  WireLayer, WireNetwork, WirePicture, WireTensor, WireTrace,
} from './messages';

/** The statistics the panel shows, from the ones the trace recorded (or, for a loose tensor, computed once here). */
export function wireStats({ min, max, nonFinite }: EngineStats): TensorStats {
  return { min, max, nonFinite };
}

export function tensorBytes(data: TensorData): ArrayBuffer {
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
}

/** An image tensor's first batch items as pixels. */
function wirePicture(t: Tensor, mapping: PixelMapping): WirePicture {
  const items = Array.from({ length: Math.min(t.shape[0], PICTURE_ITEMS) }, (_, n) => picturePixels(t, mapping, n, PICTURE_SIDE));
  return { width: items[0].width, height: items[0].height, items: items.map(p => p.rgba.buffer as ArrayBuffer) };
}

/** Tensor metadata, with the bytes of those that fit the budget (shared by a network's layers). */
function wireTensors(tensors: Partial<Record<TensorName, TraceTensor>>, names: readonly TensorName[], budget: { bytes: number }, eagerBytes: number): WireTensor[] {
  return names.map(name => {
    const t = tensors[name]!;
    const wire: WireTensor = { name, shape: [...t.shape], dtype: t.dtype, axes: [...t.axes], about: t.about, stats: wireStats(t.stats) };
    if (t.picture && isPictureShape(t.shape)) wire.picture = wirePicture(t, t.picture);
    if (t.data.byteLength <= eagerBytes && t.data.byteLength <= budget.bytes) {
      wire.buffer = tensorBytes(t.data);
      budget.bytes -= t.data.byteLength;
    }
    return wire;
  });
}

export function toWire(trace: ConvTrace, id: number, file: string, warnings: string[], uri?: string, eagerBytes = EAGER_TENSOR_BYTES): WireTrace {
  const tensors = wireTensors(trace.tensors, tensorNames(trace), { bytes: EAGER_TOTAL_BYTES }, eagerBytes);
  return { id, file, uri, dtype: trace.dtype, geometry: trace.geometry, stages: trace.stages, tensors, rot180: trace.rot180, comparison: trace.comparison, deltaSource: trace.deltaSource, warnings };
}

/** One layer of a network under trace id `id` (its tensors' bytes from `budget`); an untraced one (leanTrace.ts) says so. */
export function layerToWire(l: LayerTrace, id: number, file: string, dtype: DType, budget: { bytes: number }, uri?: string, eagerBytes = EAGER_TENSOR_BYTES): WireLayer {
  const names = Object.keys(l.tensors);
  const rot180 = l.conv?.rot180 ?? l.rot180;
  const layerWarnings = rot180 && !rot180.agrees ? [`col2im and rot180 disagree on ${rot180.tensor ?? '∂C/∂a'} by ${rot180.maxAbsDiff}`] : [];
  return {
    op: l.op, title: l.label ? `${l.title} · ${l.label}` : l.title, inputShape: [...l.inputShape], outputShape: [...l.outputShape], inputs: l.inputs.map(x => x.name),
    cost: { flops: l.cost.flops, params: l.cost.params },
    ...(l.deltaSource === 'sum' && l.deltaFrom ? { deltaFrom: [...l.deltaFrom] } : {}),
    trace: {
      id, file, uri, dtype, geometry: l.geometry, stages: l.stages,
      tensors: wireTensors(l.tensors, names, budget, eagerBytes), rot180, deltaSource: l.deltaSource, warnings: layerWarnings,
      ...(l.runMade ? { runMade: l.runMade.map(m => ({ ...m })) } : {}),
    },
    ...(l.lean ? { lean: true } : {}),
  };
}

/** The trace id of a network's layer `index`: the network takes one id, each layer the next ones. */
export const layerTraceId = (networkId: number, index: number): number => networkId + 1 + index;

/** A network: layer i's trace gets id `layerTraceId(firstId, i)` (the network itself `firstId`); earlier layers get the eager bytes first. */
export function networkToWire(trace: NetworkTrace, firstId: number, file: string, warnings: string[], uri?: string, eagerBytes = EAGER_TENSOR_BYTES): WireNetwork {
  const budget = { bytes: EAGER_TOTAL_BYTES };
  const layers = trace.layers.map((l, i) => layerToWire(l, layerTraceId(firstId, i), file, trace.dtype, budget, uri, eagerBytes));
  return { id: firstId, file, uri, dtype: trace.dtype, input: [...trace.layers[0].inputShape], layers, loss: trace.loss, warnings };
}

/** A layer's tensor as the gallery's channels: the first ones that fit GALLERY_VALUES and GALLERY_CHANNELS. */
function wireChannels(name: TensorName, t: Tensor, item: number): WireChannels | undefined {
  const layout = channelLayout(t.shape);
  if (!layout) return undefined;
  const fit = Math.max(1, Math.floor(GALLERY_VALUES / Math.max(1, layout.height * layout.width)));
  const maps = channelMaps(t, item, Math.min(GALLERY_CHANNELS, fit));
  return {
    tensor: name, channels: maps.channels, total: layout.channels, height: maps.height, width: maps.width,
    buffer: tensorBytes(maps.data), ranges: maps.ranges, shared: maps.shared,
  };
}

/**
 * The gallery of one layer's trace: its output (the tensor its kind's view names, else z) and its δ, batch item
 * `item`, with the network's input beside when it is an image (its own picture, else its values stretched to gray/RGB).
 */
export function featureMapsToWire(tensors: Partial<Record<TensorName, Tensor>>, geometry: LayerGeometry, item: number, input?: TraceTensor): WireFeatureMaps | undefined {
  // The loss ends the network with a number, not maps (its z is the logits it reads).
  if (geometry.kind === 'loss') return undefined;
  const name = viewOf(geometry)?.ends?.output ?? 'z';
  const out = tensors[name];
  const output = out && wireChannels(name, out, item);
  if (!output) return undefined;
  const delta = tensors.delta && wireChannels('delta', tensors.delta, item);
  const picture = input && isPictureShape(input.shape) && item < input.shape[0] ? picturePixels(input, input.picture ?? stretchedMapping(input, item), item, PICTURE_SIDE) : undefined;
  return {
    item, output, ...(delta ? { delta } : {}),
    ...(picture ? { input: { width: picture.width, height: picture.height, items: [picture.rgba.buffer as ArrayBuffer] }, inputShape: [...input!.shape] } : {}),
  };
}

export function attributionToWire(kind: AttributionKind, item: number, map: AttributionMap): WireAttribution {
  return { kind, item, height: map.height, width: map.width, buffer: Float32Array.from(map.data).buffer, range: map.range };
}

export function typedView(buffer: ArrayBuffer, dtype: 'float32' | 'float64'): TensorData {
  return dtype === 'float32' ? new Float32Array(buffer) : new Float64Array(buffer);
}

export function fromWire(t: WireTensor & { buffer: ArrayBuffer }): Tensor {
  return { shape: t.shape, dtype: t.dtype, data: typedView(t.buffer, t.dtype) };
}

export type { TensorName };
