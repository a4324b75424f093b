// NumPy's .npy format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// magic, version, a little-endian header length, a Python-literal header dict, raw data.

import { Tensor } from '../engine/tensor';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function encodeNpy(t: Tensor): Uint8Array {
  const descr = t.dtype === 'float32' ? '<f4' : '<f8';
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Version 1.0 has a 2-byte header length; the data starts on a 64-byte boundary.
  const prefix = 10;
  const total = Math.ceil((prefix + header.length + 1) / 64) * 64;
  header = header.padEnd(total - prefix - 1, ' ') + '\n';
  const bytes = new Uint8Array(total + t.data.byteLength);
  bytes.set(MAGIC, 0);
  bytes[6] = 1;
  bytes[7] = 0;
  new DataView(bytes.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) bytes[prefix + i] = header.charCodeAt(i);
  const dv = new DataView(bytes.buffer, total);
  const step = t.dtype === 'float32' ? 4 : 8;
  for (let i = 0; i < t.data.length; i++) {
    if (step === 4) dv.setFloat32(i * 4, t.data[i], true);
    else dv.setFloat64(i * 8, t.data[i], true);
  }
  return bytes;
}
