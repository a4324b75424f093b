// NumPy's .npz (np.savez, np.savez_compressed): a zip of .npy files, one per array.
// The zip's central directory is read here (with every offset checked against the
// file); an entry is stored or deflated, its declared size checked against the limit
// before it is inflated, and inflating stops past that size (a zip bomb costs no
// more). The entry is then an .npy file, read by the .npy reader with its checks.
// PyTorch checkpoints (torch.ts) are zips too and use the same directory reader.
// Listing the arrays (listNpz) inflates only each entry's .npy header.

import type { DType, Tensor } from '../engine/tensor';
import { TensorFileError } from './fileError';
import { inflateCapped, inflateHead } from './inflate';
import { NPY_HEADER_ROOM, checkNpyData, decodeNpy, describeNpyDtype, readNpyHeader } from './npy';
import type { SpecProblem } from './problemCodes';
import type { ListedTensor } from './tensorSource';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's local header. */
  local: number;
}

function fail(problem: SpecProblem, at?: string): never {
  throw new TensorFileError(problem, at);
}
function broken(why: string): never {
  return fail({ code: 'npz.zip', args: { why } });
}

/** The end-of-central-directory record: the last 22 bytes, or earlier by a comment of up to 65535 bytes. */
function endRecord(dv: DataView): number {
  for (let at = dv.byteLength - 22; at >= Math.max(0, dv.byteLength - 22 - 0xffff); at--) {
    if (dv.getUint32(at, true) === 0x06054b50) return at;
  }
  return broken(dv.byteLength < 22 ? 'too short for a zip file' : 'no zip end record');
}

/** The entries of a zip's central directory. */
export function zipEntries(bytes: Uint8Array): ZipEntry[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = endRecord(dv);
  const count = dv.getUint16(end + 10, true);
  let at = dv.getUint32(end + 16, true);
  if (count === 0xffff || at === 0xffffffff) broken('zip64 archives (over 4 GB) are not read');
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || dv.getUint32(at, true) !== 0x02014b50) broken('a central directory entry is missing or cut short');
    const nameLength = dv.getUint16(at + 28, true);
    const next = at + 46 + nameLength + dv.getUint16(at + 30, true) + dv.getUint16(at + 32, true);
    if (next > end) broken('a central directory entry runs past the directory');
    const entry = {
      name: new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength)),
      method: dv.getUint16(at + 10, true), compressedSize: dv.getUint32(at + 20, true), size: dv.getUint32(at + 24, true), local: dv.getUint32(at + 42, true),
    };
    if (entry.size === 0xffffffff || entry.compressedSize === 0xffffffff) broken('zip64 entries (over 4 GB) are not read');
    entries.push(entry);
    at = next;
  }
  return entries;
}

/** Where an entry's (stored or compressed) data is in the zip, checked against the file. */
function entryData(bytes: Uint8Array, entry: ZipEntry, key: string): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (entry.local + 30 > bytes.length || dv.getUint32(entry.local, true) !== 0x04034b50) broken(`the local header of "${entry.name}" is missing`);
  const start = entry.local + 30 + dv.getUint16(entry.local + 26, true) + dv.getUint16(entry.local + 28, true);
  if (start + entry.compressedSize > bytes.length) fail({ code: 'npz.short', args: { key, needed: entry.compressedSize, has: Math.max(0, bytes.length - start) } });
  const data = bytes.subarray(start, start + entry.compressedSize);
  if (entry.method === 0 && entry.compressedSize !== entry.size) broken(`"${entry.name}" is stored with two sizes`);
  if (entry.method !== 0 && entry.method !== 8) fail({ code: 'npz.method', args: { key, method: entry.method } });
  return data;
}

/** Inflates an entry's data, turning fflate's error for corrupt data into a problem. */
function inflated<T>(entry: ZipEntry, inflate: () => T): T {
  try {
    return inflate();
  } catch (e) {
    return broken(`"${entry.name}": ${(e as Error).message}`);
  }
}

/** An entry's bytes: stored, or inflated up to its declared size (refused when it is over `maxBytes`). */
export function entryBytes(bytes: Uint8Array, entry: ZipEntry, key: string, maxBytes: number): Uint8Array {
  if (entry.size > maxBytes) fail({ code: 'npz.entryTooBig', args: { key, size: entry.size, limit: maxBytes } }, 'key');
  const data = entryData(bytes, entry, key);
  if (entry.method === 0) return data;
  const out = inflated(entry, () => inflateCapped(data, entry.size, 'raw', true));
  if (out.over || out.length !== entry.size) fail({ code: 'npz.size', args: { key, size: entry.size, over: out.over } });
  return out.bytes!;
}

/** An entry's first `n` bytes (a header), without inflating the rest. */
function entryHead(bytes: Uint8Array, entry: ZipEntry, key: string, n: number): Uint8Array {
  const data = entryData(bytes, entry, key);
  return entry.method === 0 ? data.subarray(0, n) : inflated(entry, () => inflateHead(data, n));
}

/** The array an .npz entry holds: its name without ".npy", as np.load names it. */
function npzKey(entry: ZipEntry): string {
  return entry.name.replace(/\.npy$/, '');
}

/** The arrays of an .npz file, from their .npy headers alone (nothing else is inflated or read). */
export function listNpz(bytes: Uint8Array): ListedTensor[] {
  return zipEntries(bytes).map(entry => {
    const key = npzKey(entry);
    const header = readNpyHeader(entryHead(bytes, entry, key, NPY_HEADER_ROOM));
    return { key, shape: header.shape, dtype: describeNpyDtype(header.descr) };
  });
}

/** One array of an .npz file, by its name (with or without ".npy"); a missing one is refused with the names there are. */
export function decodeNpz(bytes: Uint8Array, key: string, dtype: DType, maxElements: number, maxBytes: number): { tensor: Tensor; dtype: string } {
  const entries = zipEntries(bytes);
  const entry = entries.find(e => e.name === `${key}.npy`) ?? entries.find(e => e.name === key);
  if (!entry) return fail({ code: 'source.keyMissing', args: { key, keys: entries.map(npzKey) } }, 'key');
  const npy = entryBytes(bytes, entry, key, maxBytes);
  const header = readNpyHeader(npy);
  const { count } = checkNpyData(header, npy.length);
  if (count > maxElements) fail({ code: 'file.tooMany', args: { count, limit: maxElements } }, 'key');
  return { tensor: decodeNpy(npy, dtype), dtype: describeNpyDtype(header.descr) };
}
