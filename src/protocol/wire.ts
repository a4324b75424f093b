// Trace ⇄ wire form. Each tensor's bytes are copied into their own ArrayBuffer
// (a typed array may be a view into a larger buffer).

import type { ConvTrace } from '../engine/trace';
import { tensorNames } from '../engine/trace';
import type { Tensor } from '../engine/tensor';
import type { WireTensor, WireTrace } from './messages';

export function toWire(trace: ConvTrace, id: number, file: string, warnings: string[], uri?: string): WireTrace {
  const tensors: WireTensor[] = tensorNames(trace).map(name => {
    const t = trace.tensors[name]!;
    const bytes = t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength) as ArrayBuffer;
    return { name, shape: [...t.shape], dtype: t.dtype, axes: [...t.axes], about: t.about, buffer: bytes };
  });
  return { id, file, uri, dtype: trace.dtype, info: trace.info, stages: trace.stages, tensors, rot180: trace.rot180, warnings };
}

export function fromWire(t: WireTensor): Tensor {
  const data = t.dtype === 'float32' ? new Float32Array(t.buffer) : new Float64Array(t.buffer);
  return { shape: t.shape, dtype: t.dtype, data };
}
