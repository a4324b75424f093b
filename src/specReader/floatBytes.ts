// Floats a file stores as bytes (.npy, .safetensors, an ONNX initializer's raw_data), read into a tensor's array as a
// block where they are in this machine's byte order: a loop of DataView reads took ~4 ms a million values.

import type { TensorData } from '../engine/tensor';

/** Whether this machine stores numbers little-endian (every one the extension runs on; checked, not assumed). */
export const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * `data`, floats of `size` bytes in this machine's byte order, into `out`: as a block when the types match (the
 * usual float32 file into float32), else through a typed view (copied first when `data` is not aligned for one).
 */
export function copyFloats(data: Uint8Array, size: 4 | 8, out: TensorData): void {
  if (size === out.BYTES_PER_ELEMENT) {
    new Uint8Array(out.buffer, out.byteOffset, data.length).set(data);
    return;
  }
  // A copy of its own, at offset 0: not `data.slice()`, which on a Node Buffer (a file the extension host or the CLI
  // read, the pool's for a small one) is a view at the same unaligned offset.
  const aligned = data.byteOffset % size === 0 ? data : new Uint8Array(data);
  out.set(size === 4 ? new Float32Array(aligned.buffer, aligned.byteOffset, aligned.length / 4) : new Float64Array(aligned.buffer, aligned.byteOffset, aligned.length / 8));
}
