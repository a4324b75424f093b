// Builders of tensor files for the tests, hostile ones included: PNGs chunk by chunk
// (any IHDR, any data), JPEG frame headers, zips of .npy entries (stored or deflated,
// with any declared size), .safetensors with any header.

import { zipSync, zlibSync } from 'fflate';
import { encodeNpy } from '../../src/specReader/npy';
import type { Tensor } from '../../src/engine/tensor';

const latin1 = (s: string) => Uint8Array.from(s, c => c.charCodeAt(0));

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => { out.set(p, at); return at + p.length; }, 0);
  return out;
}

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

/** A PNG chunk (CRC left 0: the decoder does not check it, and neither does the reader). */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  return concat([u32be(data.length), latin1(type), data, new Uint8Array(4)]);
}

/** A PNG of the given IHDR fields and raw (filtered) scanlines, zlib-compressed; `idat` replaces the compressed data. */
export function pngFile(ihdr: { width: number; height: number; depth: number; colorType: number; interlace?: number }, raw: Uint8Array, idat?: Uint8Array): Uint8Array {
  const header = concat([u32be(ihdr.width), u32be(ihdr.height), Uint8Array.of(ihdr.depth, ihdr.colorType, 0, 0, ihdr.interlace ?? 0)]);
  return concat([Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), pngChunk('IHDR', header), pngChunk('IDAT', idat ?? zlibSync(raw)), pngChunk('IEND', new Uint8Array(0))]);
}

/** A JPEG that is only a frame header (SOF0 or `marker`) of the given size: what is read before any pixel. */
export function jpegHeader(width: number, height: number, components = 3, marker = 0xc0): Uint8Array {
  const sof = [0xff, marker, 0, 8 + 3 * components, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, components];
  for (let c = 0; c < components; c++) sof.push(c + 1, 0x11, 0);
  return Uint8Array.of(0xff, 0xd8, ...sof, 0xff, 0xd9);
}

/** An .npz of tensors as np.savez writes them (NAME.npy entries), stored or deflated. */
export function npzFile(arrays: Record<string, Tensor>, compressed: boolean): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(arrays).map(([k, t]) => [`${k}.npy`, encodeNpy(t)])), { level: compressed ? 6 : 0 });
}

/** A zip with its first central directory entry changed by `edit` (given the entry's offset). */
export function editCentralDirectory(zip: Uint8Array, edit: (dv: DataView, at: number) => void): Uint8Array {
  const out = zip.slice();
  const dv = new DataView(out.buffer);
  const at = out.findIndex((_, i) => i + 4 <= out.length && dv.getUint32(i, true) === 0x02014b50);
  edit(dv, at);
  return out;
}

/** A one-entry deflated zip whose central directory declares `declared` bytes for `data` (the truth, or a lie). */
export function zipDeclaring(name: string, data: Uint8Array, declared: number): Uint8Array {
  return editCentralDirectory(zipSync({ [name]: [data, { level: 6 }] }), (dv, at) => dv.setUint32(at + 24, declared, true));
}

/** A .safetensors file: the header as given (JSON text), then the data. */
export function safetensorsFile(header: string | object, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const text = latin1(typeof header === 'string' ? header : JSON.stringify(header));
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(text.length), true);
  return concat([length, text, data]);
}
