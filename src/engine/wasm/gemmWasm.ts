// The WebAssembly SIMD GEMM (assembly/gemm.ts, compiled by the build) from the
// engine's side: operands are copied into the module's memory in chunks (rows
// of A and C when A is row-major, slices of the inner dimension when A is a
// transposed view), multiplied there, and C is copied back. Copies are bulk
// `set`s of contiguous runs; the kernel's packing takes care of the strides.
// Where WebAssembly (or its SIMD) is missing, `gemmWasm` says no and the
// caller falls back to the TypeScript loops.

import type { MatrixView } from '../gemm';
import { GEMM_WASM_BASE64 } from './gemmBinary';

// The engine is built without DOM or Node typings for WebAssembly: what it uses of it.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};

interface Kernel {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  sgemm(M: number, N: number, K: number, a: number, ars: number, acs: number, b: number, brs: number, bcs: number, c: number, ldc: number, scratch: number): void;
  dgemm(M: number, N: number, K: number, a: number, ars: number, acs: number, b: number, brs: number, bcs: number, c: number, ldc: number, scratch: number): void;
  scratchBytes32(N: number): number;
  scratchBytes64(N: number): number;
}

/** Where the operands start (the module's own data lies below). */
const BASE = 65536;
/** A chunk of A (and C) is at most this many bytes; bigger operands go through in several chunks. */
const CHUNK_BYTES = 8 << 20;
/** The module's memory never grows past this; products that would need more use the TypeScript loops. */
const MAX_BYTES = 512 << 20;
const PAGE = 65536;

let kernel: Kernel | null | undefined;
/** CVD_NO_WASM=1 in the environment (Node) runs every product in the loops. */
let disabled = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.CVD_NO_WASM === '1';

function decode(base64: string): Uint8Array {
  const s = atob(base64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function load(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const module = new WebAssembly.Module(decode(GEMM_WASM_BASE64));
    kernel = new WebAssembly.Instance(module, { env: { abort: () => { throw new Error('gemm kernel aborted'); } } }).exports as unknown as Kernel;
  } catch {
    // No WebAssembly SIMD here (an old runtime, a locked-down page).
    kernel = null;
  }
  return kernel;
}

/** Whether products run in WebAssembly (false: the TypeScript loops). */
export function wasmGemmAvailable(): boolean {
  return !disabled && load() !== null;
}

/** Turns the WebAssembly kernels off or on (tests and benchmarks compare the two). */
export function setWasmGemm(enabled: boolean): void {
  disabled = !enabled;
}

type Data = Float32Array | Float64Array;

function ensure(k: Kernel, bytes: number): boolean {
  if (bytes > MAX_BYTES) return false;
  const have = k.memory.buffer.byteLength;
  if (have < bytes) k.memory.grow(Math.ceil((bytes - have) / PAGE));
  return true;
}

const align = (n: number) => (n + 63) & ~63;

/** Copies rows [r0, r1) of a row-major view (colStride 1), `width` long, densely to `dst` at element `at`. */
function copyRows(src: Data, m: MatrixView, r0: number, r1: number, width: number, dst: Data, at: number): void {
  if (m.rowStride === width) {
    dst.set(src.subarray(m.offset + r0 * width, m.offset + r1 * width), at);
    return;
  }
  for (let r = r0; r < r1; r++) dst.set(src.subarray(m.offset + r * m.rowStride, m.offset + r * m.rowStride + width), at + (r - r0) * width);
}

/** Copies rows [r0, r1) of a row-major C view back from dense `src` at element `at`. */
function copyRowsBack(src: Data, at: number, m: MatrixView, r0: number, r1: number, width: number): void {
  const dst = m.data as Data;
  if (m.rowStride === width) {
    dst.set(src.subarray(at, at + (r1 - r0) * width), m.offset + r0 * width);
    return;
  }
  for (let r = r0; r < r1; r++) dst.set(src.subarray(at + (r - r0) * width, at + (r - r0 + 1) * width), m.offset + r * m.rowStride);
}

/**
 * Rows [k0, k1) of a (K × n) operand: row-major views copy their rows, column-major views (rowStride 1)
 * the segment of each column; returns the strides of the copy.
 */
function copyKRange(m: MatrixView, k0: number, k1: number, n: number, dst: Data, at: number): { rs: number; cs: number } {
  const src = m.data as Data;
  if (m.colStride === 1) {
    copyRows(src, m, k0, k1, n, dst, at);
    return { rs: n, cs: 1 };
  }
  const kk = k1 - k0;
  for (let j = 0; j < n; j++) {
    const start = m.offset + j * m.colStride + k0;
    dst.set(src.subarray(start, start + kk), at + j * kk);
  }
  return { rs: 1, cs: kk };
}

/** C += A @ B in WebAssembly; false when it cannot (no kernel, strides it does not take, too big): use the loops. */
export function gemmWasm(rows: number, cols: number, inner: number, A: MatrixView, B: MatrixView, C: MatrixView): boolean {
  if (disabled || rows === 0 || cols === 0 || inner === 0) return false;
  const k = load();
  if (!k) return false;
  const f64 = C.data instanceof Float64Array;
  if (!(C.data instanceof Float32Array || f64) || A.data.constructor !== C.data.constructor || B.data.constructor !== C.data.constructor) return false;
  if (C.colStride !== 1 || (A.colStride !== 1 && A.rowStride !== 1) || (B.colStride !== 1 && B.rowStride !== 1)) return false;
  const E = f64 ? 8 : 4;
  const gemm = f64 ? k.dgemm : k.sgemm;
  const scratch = align(f64 ? k.scratchBytes64(cols) : k.scratchBytes32(cols));
  const view = () => (f64 ? new Float64Array(k.memory.buffer) : new Float32Array(k.memory.buffer));

  if (A.colStride === 1) {
    // A row-major: B whole, A and C in chunks of rows.
    const chunk = Math.max(4, Math.min(rows, Math.floor(CHUNK_BYTES / (E * (inner + cols)))));
    const bAt = BASE;
    const aAt = align(bAt + inner * cols * E);
    const cAt = align(aAt + chunk * inner * E);
    const sAt = align(cAt + chunk * cols * E);
    if (!ensure(k, sAt + scratch)) return false;
    const mem = view();
    const b = copyKRange(B, 0, inner, cols, mem, bAt / E);
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      const r1 = Math.min(rows, r0 + chunk);
      copyRows(A.data as Data, A, r0, r1, inner, mem, aAt / E);
      copyRows(C.data as Data, C, r0, r1, cols, mem, cAt / E);
      gemm(r1 - r0, cols, inner, aAt, inner, 1, bAt, b.rs, b.cs, cAt, cols, sAt);
      copyRowsBack(mem, cAt / E, C, r0, r1, cols);
    }
    return true;
  }
  // A column-major (a transposed view): C whole, A and B in slices of the inner dimension.
  const chunk = Math.max(1, Math.min(inner, Math.floor(CHUNK_BYTES / (E * (rows + cols)))));
  const cAt = BASE;
  const aAt = align(cAt + rows * cols * E);
  const bAt = align(aAt + chunk * rows * E);
  const sAt = align(bAt + chunk * cols * E);
  if (!ensure(k, sAt + scratch)) return false;
  const mem = view();
  copyRows(C.data as Data, C, 0, rows, cols, mem, cAt / E);
  for (let k0 = 0; k0 < inner; k0 += chunk) {
    const k1 = Math.min(inner, k0 + chunk);
    // A's columns k0..k1 are contiguous runs of `rows` values: a (rows × kk) column-major copy.
    const a = copyKRange({ data: A.data, offset: A.offset, rowStride: A.colStride, colStride: 1 }, k0, k1, rows, mem, aAt / E);
    const b = copyKRange(B, k0, k1, cols, mem, bAt / E);
    gemm(rows, cols, k1 - k0, aAt, a.cs, a.rs, bAt, b.rs, b.cs, cAt, cols, sAt);
  }
  copyRowsBack(mem, cAt / E, C, 0, rows, cols);
  return true;
}
