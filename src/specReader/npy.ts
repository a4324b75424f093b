// NumPy's .npy format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// magic, version, a little-endian header length, a Python-literal header dict, raw data.
// Read: float16/32/64, signed and unsigned integers, bool; little- and big-endian;
// C and Fortran order. Anything else is refused with a message that says what it is.

import { DType, Tensor, TensorData, allocate, sizeOf } from '../engine/tensor';
import { TensorFileError } from './fileError';
import { LITTLE_ENDIAN_HOST, copyFloats } from './floatBytes';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Numpy's own limit on a header's length (np.load's max_header_size): longer ones are refused, not parsed. */
export const NPY_MAX_HEADER = 10_000;
/** Bytes before the header dict: magic, version and the header length (4 bytes from version 2 on). */
const NPY_PREAMBLE = 12;
/** How many bytes the header of any .npy file we accept fits in. */
export const NPY_HEADER_ROOM = NPY_PREAMBLE + NPY_MAX_HEADER;

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

export interface NpyHeader {
  /** e.g. '<f8', '>i4', '|b1'. */
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
}

/** Reads just the header: shape and dtype for hovers, without touching the data. */
export function readNpyHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new TensorFileError({ code: 'npy.magic', args: {} });
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let start: number;
  if (major === 1) {
    headerLength = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new TensorFileError({ code: 'npy.headerShort', args: {} });
    headerLength = dv.getUint32(8, true);
    start = 12;
  } else throw new TensorFileError({ code: 'npy.version', args: { major, minor: bytes[7] } });
  if (headerLength > NPY_MAX_HEADER) throw new TensorFileError({ code: 'npy.headerLong', args: { length: headerLength, limit: NPY_MAX_HEADER } });
  if (start + headerLength > bytes.length) throw new TensorFileError({ code: 'npy.headerShort', args: {} });
  let header = '';
  for (let i = start; i < start + headerLength; i++) header += String.fromCharCode(bytes[i]);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined) {
    if (/'descr'\s*:\s*\[/.test(header)) throw new TensorFileError({ code: 'npy.structured', args: {} });
    throw new TensorFileError({ code: 'npy.noDtype', args: { header: header.trim() } });
  }
  if (fortran === undefined || shapeText === undefined) throw new TensorFileError({ code: 'npy.header', args: { header: header.trim() } });
  const dims = shapeText.split(',').map(s => s.trim()).filter(Boolean);
  // Plain decimal digits, as numpy writes them (Number would also take '1e9', '0x10', ' ').
  const shape = dims.map(Number);
  if (dims.some(d => !/^\d+$/.test(d)) || shape.some(d => !Number.isSafeInteger(d))) throw new TensorFileError({ code: 'npy.shape', args: { shape: shapeText } });
  return { descr, fortranOrder: fortran === 'True', shape, dataOffset: start + headerLength };
}

/** The engine dtype a .npy dtype becomes: float32 stays float32, everything else float64. */
export function npyTargetDtype(descr: string): DType {
  return descr.slice(1) === 'f4' ? 'float32' : 'float64';
}

export function describeNpyDtype(descr: string): string {
  const names: Record<string, string> = { f2: 'float16', f4: 'float32', f8: 'float64', i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64', u1: 'uint8', u2: 'uint16', u4: 'uint32', u8: 'uint64', b1: 'bool' };
  const order = descr[0] === '>' ? ', big-endian' : '';
  return (names[descr.slice(1)] ?? descr) + order;
}

/** An IEEE 754 half-precision value from its 16 bits. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** What a header's data is: the size of one element and how many there are; unsupported dtypes are refused. */
export function npyLayout(h: NpyHeader): { itemSize: number; count: number } {
  const byteOrder = h.descr[0];
  const kind = h.descr[1];
  const size = Number(h.descr.slice(2));
  if (!'<>|='.includes(byteOrder)) throw new TensorFileError({ code: 'npy.byteOrder', args: { dtype: h.descr } });
  const supported = (kind === 'f' && [2, 4, 8].includes(size)) || ((kind === 'i' || kind === 'u') && [1, 2, 4, 8].includes(size)) || (kind === 'b' && size === 1);
  if (!supported) throw new TensorFileError({ code: 'npy.dtype', args: { dtype: h.descr, kind, ...(size ? { size } : {}) } });
  return { itemSize: size, count: sizeOf(h.shape) };
}

/** Refuses a header whose data the file (of `fileSize` bytes) does not hold, before anything is allocated for it. */
export function checkNpyData(h: NpyHeader, fileSize: number): { itemSize: number; count: number } {
  const layout = npyLayout(h);
  const needed = layout.count * layout.itemSize;
  if (h.dataOffset + needed > fileSize) {
    throw new TensorFileError({ code: 'npy.dataShort', args: { shape: h.shape, needed, has: fileSize - h.dataOffset } });
  }
  return layout;
}

/** Decodes a .npy file into a tensor (C order), in `dtype` (default: float32 for f4 files, else float64). */
export function decodeNpy(bytes: Uint8Array, dtype?: DType): Tensor {
  const h = readNpyHeader(bytes);
  const { itemSize: size, count: n } = checkNpyData(h, bytes.length);
  const byteOrder = h.descr[0];
  const kind = h.descr[1];
  const little = byteOrder !== '>';
  const dv = new DataView(bytes.buffer, bytes.byteOffset + h.dataOffset, n * size);
  // Element i's reader, by kind and size (the dtype was checked above).
  const readers: Record<string, (i: number) => number> = {
    f8: i => dv.getFloat64(i * 8, little), f4: i => dv.getFloat32(i * 4, little), f2: i => halfToFloat(dv.getUint16(i * 2, little)),
    b1: i => (dv.getUint8(i) ? 1 : 0),
    i1: i => dv.getInt8(i), i2: i => dv.getInt16(i * 2, little), i4: i => dv.getInt32(i * 4, little), i8: i => Number(dv.getBigInt64(i * 8, little)),
    u1: i => dv.getUint8(i), u2: i => dv.getUint16(i * 2, little), u4: i => dv.getUint32(i * 4, little), u8: i => Number(dv.getBigUint64(i * 8, little)),
  };
  const read = readers[`${kind}${size}`];
  // Every value is written below, in each order.
  const out: TensorData = allocate(dtype ?? npyTargetDtype(h.descr), n, false);
  const cOrder = !h.fortranOrder || h.shape.length < 2;
  if (cOrder && kind === 'f' && (size === 4 || size === 8) && little === LITTLE_ENDIAN_HOST) {
    copyFloats(bytes.subarray(h.dataOffset, h.dataOffset + n * size), size, out);
  } else if (cOrder) {
    for (let i = 0; i < n; i++) out[i] = read(i);
  } else {
    // Fortran order: the first axis varies fastest. Walk C order and find each element's Fortran offset.
    const shape = h.shape;
    const fstride = new Array<number>(shape.length);
    let st = 1;
    for (let d = 0; d < shape.length; d++) { fstride[d] = st; st *= shape[d]; }
    const idx = new Array<number>(shape.length).fill(0);
    for (let i = 0; i < n; i++) {
      let off = 0;
      for (let d = 0; d < shape.length; d++) off += idx[d] * fstride[d];
      out[i] = read(off);
      for (let d = shape.length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
    }
  }
  return { shape: [...h.shape], dtype: dtype ?? npyTargetDtype(h.descr), data: out };
}
