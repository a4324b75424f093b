// DEFLATE with a cap (fflate's streaming inflater), for the compressed data in
// PNG images and .npz entries: the input is fed in small slices and inflating stops
// as soon as the output passes the cap, so a zip bomb costs at most the cap and
// one slice's worth of output, never the size it would inflate to. A header is
// inflated alone (inflateHead).

import { Inflate, Unzlib } from 'fflate';

/** Input fed per step: one step inflates to at most ~1032 times this (DEFLATE's largest ratio). */
const SLICE = 4096;

export interface Inflated {
  /** Bytes inflated (up to the cap and one slice past it). */
  length: number;
  /** Whether the stream went past the cap (inflating stopped there). */
  over: boolean;
  /** The bytes, when asked to keep them and the stream stayed within the cap. */
  bytes?: Uint8Array;
}

/**
 * Inflates `compressed` (raw DEFLATE, or zlib-wrapped as in PNG) up to `cap` bytes.
 * Throws fflate's error for corrupt or truncated data.
 */
export function inflateCapped(compressed: Uint8Array, cap: number, wrapping: 'raw' | 'zlib', keep: boolean): Inflated {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const onData = (chunk: Uint8Array) => {
    length += chunk.length;
    if (keep && length <= cap) chunks.push(chunk);
  };
  const stream = wrapping === 'zlib' ? new Unzlib(onData) : new Inflate(onData);
  for (let at = 0; at < compressed.length; at += SLICE) {
    stream.push(compressed.subarray(at, at + SLICE), false);
    if (length > cap) return { length, over: true };
  }
  stream.push(new Uint8Array(0), true);
  if (length > cap) return { length, over: true };
  if (!keep) return { length, over: false };
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const c of chunks) { bytes.set(c, offset); offset += c.length; }
  return { length, over: false, bytes };
}

/**
 * The first `n` bytes `compressed` (raw DEFLATE) inflates to, fewer when it is shorter:
 * inflating stops there (a header is read without inflating what follows it).
 * Throws fflate's error for corrupt data, or data cut short before `n` bytes.
 */
export function inflateHead(compressed: Uint8Array, n: number): Uint8Array {
  const head = new Uint8Array(n);
  let length = 0;
  const stream = new Inflate(chunk => {
    const taken = chunk.subarray(0, n - length);
    head.set(taken, length);
    length += taken.length;
  });
  for (let at = 0; at < compressed.length && length < n; at += SLICE) stream.push(compressed.subarray(at, at + SLICE), false);
  if (length < n) stream.push(new Uint8Array(0), true);
  return head.subarray(0, length);
}
