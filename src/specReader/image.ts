// Images as tensors: {"image": "cat.png", "mode"?, "size"?, "scale"?, "normalize"?} → (1, C, H, W).
// PNG is decoded by fast-png, JPEG by jpeg-js: both pure JavaScript, so the web
// extension (a web worker, no native modules) decodes what the desktop does.
// Before any pixel is decoded the header is read here (PNG's IHDR, JPEG's frame
// header) and the declared width × height × channels checked against the element
// limit; a PNG's compressed data is inflated once with a cap before fast-png sees
// it (fast-png would inflate a zlib bomb to its end, and read a short stream as zeros).

import { decode as decodePng, encode as encodePng } from 'fast-png';
import { decode as decodeJpeg } from 'jpeg-js';
import { resizeBilinear } from '../engine/resample';
import { DType, Tensor, allocate } from '../engine/tensor';
import { TensorFileError } from './fileError';
import { inflateCapped } from './inflate';
import { isPictureShape, picturePixels } from '../format/picture';
import type { SpecProblem } from './problemCodes';

export type ImageFormat = 'PNG' | 'JPEG';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  /** Channels decoded: gray 1, gray + alpha 2, RGB and palette 3, RGBA 4 (JPEG: its components). */
  channels: number;
  /** Bits per sample. */
  depth: number;
  /** What the file is, for hovers: "PNG 8-bit RGB", "JPEG progressive, 3 components". */
  description: string;
}

export interface ImageOptions {
  mode?: 'rgb' | 'gray';
  /** [H, W] to resize to (bilinear, as torch's interpolate with align_corners=False, antialias=False). */
  size?: [number, number];
  /** Every value is divided by it (255 maps 8-bit pixels to [0, 1]). */
  scale?: number;
  normalize?: { mean: number[]; std: number[] };
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function fail(problem: SpecProblem, at?: string): never {
  throw new TensorFileError(problem, at);
}
function corrupt(format: ImageFormat, why: string): never {
  return fail({ code: 'image.corrupt', args: { format, why } });
}
function truncated(format: ImageFormat): never {
  return fail({ code: 'image.truncated', args: { format } });
}

/** PNG colour types: channels decoded, the bit depths allowed, a name. */
const PNG_COLOR: Record<number, { channels: number; depths: number[]; name: string }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16], name: 'gray' },
  2: { channels: 3, depths: [8, 16], name: 'RGB' },
  3: { channels: 3, depths: [1, 2, 4, 8], name: 'palette' },
  4: { channels: 2, depths: [8, 16], name: 'gray + alpha' },
  6: { channels: 4, depths: [8, 16], name: 'RGBA' },
};

function readPngHeader(bytes: Uint8Array): ImageHeader & { colorType: number; interlaced: boolean } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 33) truncated('PNG');
  if (dv.getUint32(8) !== 13 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') corrupt('PNG', 'the first chunk is not a 13-byte IHDR');
  const width = dv.getUint32(16);
  const height = dv.getUint32(20);
  const depth = bytes[24];
  const colorType = bytes[25];
  const color = PNG_COLOR[colorType];
  if (!color) corrupt('PNG', `colour type ${colorType}`);
  if (!color.depths.includes(depth)) corrupt('PNG', `bit depth ${depth} with colour type ${colorType}`);
  if (width === 0 || height === 0) corrupt('PNG', `size ${width} × ${height}`);
  if (bytes[26] !== 0 || bytes[27] !== 0 || bytes[28] > 1) corrupt('PNG', 'unknown compression, filter or interlace method');
  const interlaced = bytes[28] === 1;
  return { format: 'PNG', width, height, channels: color.channels, depth, colorType, interlaced, description: `PNG ${depth}-bit ${color.name}${interlaced ? ', interlaced' : ''}` };
}

/** JPEG frame markers jpeg-js decodes: baseline, extended sequential and progressive Huffman. */
const JPEG_FRAMES: Record<number, string> = { 0xc0: 'baseline', 0xc1: 'extended', 0xc2: 'progressive' };
const isOtherFrame = (m: number) => m >= 0xc3 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function readJpegHeader(bytes: Uint8Array): ImageHeader {
  let at = 2;
  while (at < bytes.length) {
    if (bytes[at] !== 0xff) corrupt('JPEG', `no marker at byte ${at}`);
    while (bytes[at] === 0xff) at++;
    if (at >= bytes.length) break;
    const marker = bytes[at++];
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (marker === 0xda || marker === 0xd9) corrupt('JPEG', 'no frame header before the image data');
    if (at + 2 > bytes.length) break;
    const length = (bytes[at] << 8) | bytes[at + 1];
    if (length < 2) corrupt('JPEG', `a segment of length ${length}`);
    if (at + length > bytes.length) break;
    if (isOtherFrame(marker)) fail({ code: 'image.jpegProcess', args: { marker: `SOF${marker - 0xc0}` } });
    const kind = JPEG_FRAMES[marker];
    if (kind !== undefined) {
      if (length < 8) corrupt('JPEG', 'a short frame header');
      const depth = bytes[at + 2];
      const height = (bytes[at + 3] << 8) | bytes[at + 4];
      const width = (bytes[at + 5] << 8) | bytes[at + 6];
      const channels = bytes[at + 7];
      if (width === 0 || height === 0) corrupt('JPEG', `size ${width} × ${height}`);
      if (![1, 3, 4].includes(channels)) corrupt('JPEG', `${channels} components`);
      return { format: 'JPEG', width, height, channels, depth, description: `JPEG ${kind}, ${channels === 1 ? 'gray' : `${channels} components`}` };
    }
    at += length;
  }
  return truncated('JPEG');
}

/** What an image file declares, read from its first bytes; throws TensorFileError for what is not a PNG or JPEG. */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return readPngHeader(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return readJpegHeader(bytes);
  return fail({ code: 'image.format', args: {} });
}

/** Refuses an image whose pixels would be more values than the limit. */
export function checkImageSize(width: number, height: number, channels: number, maxElements: number, at?: string): void {
  if (width * height * channels > maxElements) fail({ code: 'image.tooMany', args: { width, height, channels, limit: maxElements } }, at);
}

/** Decoded samples, interleaved (H, W, C). */
interface Pixels {
  width: number;
  height: number;
  channels: number;
  data: ArrayLike<number>;
}

/** Bytes of filtered scanlines a PNG's pixels take (each row led by its filter byte), Adam7 passes included. */
function pngRawSize(h: ReturnType<typeof readPngHeader>): number {
  const samples = h.colorType === 3 ? 1 : h.channels;
  const rows = (width: number, height: number) => (width && height ? height * (1 + Math.ceil((width * samples * h.depth) / 8)) : 0);
  if (!h.interlaced) return rows(h.width, h.height);
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  return passes.reduce((sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil((h.width - x0) / dx), Math.ceil((h.height - y0) / dy)), 0);
}

/**
 * The chunks fast-png needs (IHDR, PLTE, tRNS, IDAT, IEND), after checking that the image
 * data inflates to exactly the size its header needs. Other chunks (iCCP, text, …) are left
 * out: fast-png inflates a compressed profile without a limit.
 */
function checkedPngChunks(bytes: Uint8Array, h: ReturnType<typeof readPngHeader>): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kept: Uint8Array[] = [bytes.subarray(0, 8)];
  const data: Uint8Array[] = [];
  let at = 8;
  for (;;) {
    if (at + 12 > bytes.length) truncated('PNG');
    const length = dv.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (length > bytes.length - at - 12) truncated('PNG');
    const end = at + 12 + length;
    if (['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND'].includes(type)) kept.push(bytes.subarray(at, end));
    if (type === 'IDAT') data.push(bytes.subarray(at + 8, at + 8 + length));
    if (type === 'IEND') break;
    at = end;
  }
  if (h.colorType === 3 && !kept.some(c => c[4] === 0x50 && c[5] === 0x4c)) corrupt('PNG', 'a palette image without a PLTE chunk');
  const compressed = new Uint8Array(data.reduce((n, d) => n + d.length, 0));
  data.reduce((offset, d) => { compressed.set(d, offset); return offset + d.length; }, 0);
  const expected = pngRawSize(h);
  let inflated;
  try {
    inflated = inflateCapped(compressed, expected, 'zlib', false);
  } catch (e) {
    return corrupt('PNG', `image data: ${(e as Error).message}`);
  }
  if (inflated.over) fail({ code: 'image.inflated', args: { expected } });
  if (inflated.length < expected) truncated('PNG');
  const out = new Uint8Array(kept.reduce((n, c) => n + c.length, 0));
  kept.reduce((offset, c) => { out.set(c, offset); return offset + c.length; }, 0);
  return out;
}

/** Samples of less than 8 bits, one per byte (rows start on a byte). */
function unpackLowBit(data: ArrayLike<number>, width: number, height: number, depth: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      out[y * width + x] = (data[y * rowBytes + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

function decodePngPixels(bytes: Uint8Array, h: ReturnType<typeof readPngHeader>): Pixels {
  if (h.interlaced && h.depth < 8) fail({ code: 'image.pngLowBitInterlaced', args: { depth: h.depth } });
  const checked = checkedPngChunks(bytes, h);
  let png;
  try {
    png = decodePng(checked);
  } catch (e) {
    return corrupt('PNG', (e as Error).message);
  }
  const { width, height } = h;
  const samples = h.depth < 8 ? unpackLowBit(png.data, width, height, h.depth) : png.data;
  if (h.colorType !== 3) {
    // Gray of 1, 2 or 4 bits is spread over 0–255, as PNG viewers and PIL's "L" show it.
    if (h.depth >= 8) return { width, height, channels: h.channels, data: samples };
    const scale = 255 / ((1 << h.depth) - 1);
    return { width, height, channels: 1, data: Float64Array.from(samples, s => s * scale) };
  }
  const palette = png.palette ?? [];
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const color = palette[samples[i]];
    if (!color) corrupt('PNG', `palette index ${samples[i]} of a ${palette.length}-colour palette`);
    data.set(color.slice(0, 3), i * 3);
  }
  return { width, height, channels: 3, data };
}

function decodeJpegPixels(bytes: Uint8Array, h: ImageHeader): Pixels {
  let jpeg;
  try {
    // The header was checked against the element limit; jpeg-js's own limits only back that up.
    const megapixels = Math.ceil((h.width * h.height) / 1e6);
    jpeg = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, maxResolutionInMP: megapixels, maxMemoryUsageInMB: 64 + 40 * megapixels });
  } catch (e) {
    return corrupt('JPEG', (e as Error).message);
  }
  if (jpeg.width !== h.width || jpeg.height !== h.height) corrupt('JPEG', `decoded ${jpeg.width} × ${jpeg.height}, the header says ${h.width} × ${h.height}`);
  if (h.channels !== 1) return { width: h.width, height: h.height, channels: 3, data: jpeg.data };
  // jpeg-js gives gray as three equal channels.
  return { width: h.width, height: h.height, channels: 1, data: jpeg.data.filter((_, i) => i % 3 === 0) };
}

/** Luma of ITU-R 601-2, the weights PIL's convert("L") uses (not rounded here). */
const LUMA = [0.299, 0.587, 0.114];

/** The pixels as (C, H, W) planes in the mode asked for (alpha dropped). */
function toPlanes(p: Pixels, mode: 'rgb' | 'gray'): Float64Array {
  const n = p.width * p.height;
  const colour = p.channels >= 3;
  const out = new Float64Array(n * (mode === 'rgb' ? 3 : 1));
  for (let i = 0; i < n; i++) {
    const at = i * p.channels;
    if (mode === 'gray') out[i] = colour ? LUMA[0] * p.data[at] + LUMA[1] * p.data[at + 1] + LUMA[2] * p.data[at + 2] : p.data[at];
    else for (let c = 0; c < 3; c++) out[c * n + i] = p.data[colour ? at + c : at];
  }
  return out;
}

/** Divides by `scale`, then subtracts each channel's mean and divides by its std, in place. */
function normalizePlanes(planes: Float64Array, channels: number, options: ImageOptions): void {
  const n = planes.length / channels;
  const { mean, std } = options.normalize ?? {};
  for (const [key, list] of [['mean', mean], ['std', std]] as const) {
    if (list && list.length !== channels) fail({ code: 'image.normalizeLength', args: { key, length: list.length, channels } }, 'normalize');
  }
  const scale = options.scale ?? 1;
  for (let c = 0; c < channels; c++) {
    const m = mean?.[c] ?? 0;
    const s = std?.[c] ?? 1;
    for (let i = c * n; i < (c + 1) * n; i++) planes[i] = (planes[i] / scale - m) / s;
  }
}

/** The mode an image is read in: the one asked for, else RGB for colour and gray for gray. */
export function imageMode(header: ImageHeader, mode?: 'rgb' | 'gray'): 'rgb' | 'gray' {
  return mode ?? (header.channels >= 3 ? 'rgb' : 'gray');
}

/** An image file as a (1, C, H, W) tensor; the size is checked against `maxElements` before decoding. */
export function decodeImage(bytes: Uint8Array, options: ImageOptions, dtype: DType, maxElements: number): { tensor: Tensor; header: ImageHeader } {
  const header = readImageHeader(bytes);
  checkImageSize(header.width, header.height, header.channels, maxElements);
  const mode = imageMode(header, options.mode);
  const channels = mode === 'rgb' ? 3 : 1;
  const [outHeight, outWidth] = options.size ?? [header.height, header.width];
  checkImageSize(outWidth, outHeight, channels, maxElements, 'size');
  const pixels = header.format === 'PNG' ? decodePngPixels(bytes, readPngHeader(bytes)) : decodeJpegPixels(bytes, header);
  let planes = toPlanes(pixels, mode);
  if (outHeight !== header.height || outWidth !== header.width) planes = resizeBilinear(planes, channels, header.height, header.width, outHeight, outWidth);
  normalizePlanes(planes, channels, options);
  const data = allocate(dtype, planes.length);
  data.set(planes);
  const picture = { scale: options.scale ?? 1, mean: options.normalize?.mean ?? Array(channels).fill(0), std: options.normalize?.std ?? Array(channels).fill(1) };
  return { tensor: { shape: [1, channels, outHeight, outWidth], dtype, data, picture }, header };
}

/** A small PNG of an image tensor (1, C, H, W), for hovers; undefined for a tensor not read from an image. */
export function thumbnailPng(t: Tensor, maxSide = 64): Uint8Array | undefined {
  if (!t.picture || !isPictureShape(t.shape)) return undefined;
  const { width, height, rgba } = picturePixels(t, t.picture, 0, maxSide);
  return encodePng({ width, height, data: new Uint8Array(rgba.buffer), channels: 4, depth: 8 });
}
