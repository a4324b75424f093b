// Trace ⇄ wire form. Each tensor's bytes are copied into their own ArrayBuffer
// (a typed array may be a view into a larger buffer); big tensors stay behind
// until the panel asks for them.

import type { ConvTrace, TensorName } from '../engine/trace';
import { tensorNames } from '../engine/trace';
import type { Tensor, TensorData } from '../engine/tensor';
import { EAGER_TENSOR_BYTES, EAGER_TOTAL_BYTES, TensorStats, WireTensor, WireTrace } from './messages';

export function tensorStats(data: TensorData): TensorStats {
  let min = Infinity;
  let max = -Infinity;
  let nonFinite = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v !== v || v === Infinity || v === -Infinity) { nonFinite++; continue; }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min === Infinity ? { min: 0, max: 0, nonFinite } : { min, max, nonFinite };
}

export function tensorBytes(data: TensorData): ArrayBuffer {
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
}

export function toWire(trace: ConvTrace, id: number, file: string, warnings: string[], uri?: string, eagerBytes = EAGER_TENSOR_BYTES): WireTrace {
  let budget = EAGER_TOTAL_BYTES;
  const tensors: WireTensor[] = tensorNames(trace).map(name => {
    const t = trace.tensors[name]!;
    const wire: WireTensor = { name, shape: [...t.shape], dtype: t.dtype, axes: [...t.axes], about: t.about, stats: tensorStats(t.data) };
    if (t.data.byteLength <= eagerBytes && t.data.byteLength <= budget) {
      wire.buffer = tensorBytes(t.data);
      budget -= t.data.byteLength;
    }
    return wire;
  });
  return { id, file, uri, dtype: trace.dtype, info: trace.info, stages: trace.stages, tensors, rot180: trace.rot180, comparison: trace.comparison, warnings };
}

export function typedView(buffer: ArrayBuffer, dtype: 'float32' | 'float64'): TensorData {
  return dtype === 'float32' ? new Float32Array(buffer) : new Float64Array(buffer);
}

export function fromWire(t: WireTensor & { buffer: ArrayBuffer }): Tensor {
  return { shape: t.shape, dtype: t.dtype, data: typedView(t.buffer, t.dtype) };
}

export type { TensorName };
