// The WebAssembly SIMD GEMM (assembly/gemm.ts, compiled by the build) from the
// engine's side: the module, its memory laid out per call, and C += A @ B for
// the engine's strided matrix views, copied in and out in chunks (rows of A and
// C when A is row-major, slices of the inner dimension when A is a transposed
// view). convWasm.ts drives the same kernel with im2col and col2im tables.
// Where WebAssembly SIMD is missing, the callers fall back to the TypeScript loops.
// Two builds of the kernel: relaxed SIMD (a fused multiply-add, one rounding per
// step) where the runtime compiles it, else plain SIMD. With helper threads installed
// (setGemmThreads), their shared-memory builds, and big products split across the
// threads (gemmThreads.ts).

import type { MatrixView } from '../gemm';
import { GEMM_RELAXED_SHARED_WASM_BASE64, GEMM_RELAXED_WASM_BASE64, GEMM_SHARED_WASM_BASE64, GEMM_WASM_BASE64 } from './gemmBinary';
import { ANY_SPLIT, GemmHelpers, HelperFunction, MAX_JOBS, Split, StartThread, helperOp, minThreadWork, rowBlock, splitGemm } from './gemmThreads';

// The engine is built without DOM or Node typings for WebAssembly: what it uses of it.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};

type Gemm = (M: number, N: number, K: number, a: number, ra: number, ca: number, b: number, rb: number, cb: number, c: number, rc: number, cc: number, scratch: number, mc: number) => void;

interface Kernel {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  sgemm: Gemm;
  dgemm: Gemm;
  scratchBytes(elementBytes: number, N: number): number;
  transpose32(src: number, dst: number, rows: number, cols: number, count: number): void;
  transpose64(src: number, dst: number, rows: number, cols: number, count: number): void;
  gather32: Gather;
  gather64: Gather;
  scatterAdd32: ScatterAdd;
  scatterAdd64: ScatterAdd;
  stats32(p: number, n: number, out: number): number;
  stats64(p: number, n: number, out: number): number;
  pad32: Pad;
  pad64: Pad;
  crop32: Pad;
  crop64: Pad;
  zero(p: number, bytes: number): void;
  addRows32: AddRows;
  addRows64: AddRows;
  winogradWeights32(w: number, u: number, Cout: number, Cin: number, tmp: number): void;
  winogradInput32(x: number, v: number, images: number, C: number, Hq: number, Wq: number, tilesH: number, tilesW: number, tmp: number, c0: number, c1: number): void;
  relu32: Relu;
  relu64: Relu;
  reluBackward32: Binary;
  reluBackward64: Binary;
  add32: Binary;
  add64: Binary;
  maxPool32: MaxPool;
  maxPool64: MaxPool;
  maxPoolBackward32: MaxPoolBackward;
  maxPoolBackward64: MaxPoolBackward;
  winogradFlip32(src: number, dst: number, rows: number, cols: number): void;
  winogradOutput32(m: number, z: number, bias: number, hasBias: number, images: number, Cout: number, zChannels: number, tilesH: number, tilesW: number, Ho: number, Wo: number, tmp: number, t0: number, t1: number): void;
  winogradDelta32(d: number, D: number, images: number, C: number, tilesH: number, tilesW: number, tmp: number, c0: number, c1: number): void;
  winogradWeightGrad32(m: number, dw: number, o0: number, n: number, Cin: number, tmp: number): void;
}

/** A loaded build: its instance, and on shared memory its module and index for the helpers (GemmJob's op). */
interface Loaded { exports: Kernel; module: object; build: number }
type Gather = (src: number, rows: number, r0: number, n: number, cols: number, K: number, dst: number) => void;
type MaxPool = (x: number, z: number, arg: number, planes: number, H: number, W: number, Ho: number, Wo: number,
  kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, ph: number, pw: number) => void;
type MaxPoolBackward = (d: number, arg: number, dx: number, tmp: number, planes: number, H: number, W: number, Ho: number, Wo: number,
  kw: number, sh: number, sw: number, dh: number, dw: number, ph: number, pw: number, Hp: number, Wp: number) => void;
type Relu = (p: number, n: number) => void;
type Binary = (a: number, b: number, n: number) => void;
type AddRows = (p: number, values: number, rows: number, len: number, stride: number) => void;
type Pad = (dst: number, planes: number, H: number, W: number, Hp: number, Wp: number, top: number, left: number) => void;
type ScatterAdd = (src: number, dst: number, rows: number, r0: number, n: number, cols: number, K: number) => void;

/** Where the layout starts (the module's own data lies below). */
const BASE = 65536;
/** A chunk of A (and C) is at most this many bytes; bigger operands go through in several chunks. */
export const CHUNK_BYTES = 8 << 20;
/** The module's memory never grows past this; products that would need more use the TypeScript loops. */
const MAX_BYTES = 1024 << 20;
const PAGE = 65536;

/** Which build runs the products: relaxed SIMD (fused multiply-add), plain SIMD, or none (the TypeScript loops). */
export type WasmKernelName = 'relaxed-simd' | 'simd' | 'none';

let kernel: Kernel | null | undefined;
/** The helper threads installed, if any, and the loaded shared builds' modules for them. */
let helpers: GemmHelpers | undefined;
let sharedModules: (object | null)[] = [];
let kernelBuild = 0;
/** Whether the loaded kernel is a shared build the helpers run too. */
let kernelShared = false;
let kernelName: WasmKernelName = 'none';
/** CVD_NO_WASM=1 in the environment (Node) runs every product in the loops. */
let disabled = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.CVD_NO_WASM === '1';
/** Whether the relaxed build may be used (tests and benchmarks compare it with the plain one). */
let relaxedAllowed = true;

function decode(base64: string): Uint8Array {
  const s = atob(base64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function instantiate(base64: string, memory: object | undefined, build: number): Loaded {
  const module = new WebAssembly.Module(decode(base64));
  const env = memory ? { memory } : { abort: () => { throw new Error('gemm kernel aborted'); } };
  return { exports: new WebAssembly.Instance(module, { env }).exports as unknown as Kernel, module, build };
}

/** Each build's instance once made (null: it does not compile here), so switching keeps the optimized code. */
const instances = new Map<string, Loaded | null>();

function instanceOf(name: WasmKernelName, base64: string, memory: object | undefined, build: number): Loaded | null {
  // Shared builds are made per install: each has its own memory.
  const key = memory ? `${name} shared` : name;
  if (!instances.has(key)) {
    try {
      instances.set(key, instantiate(base64, memory, build));
    } catch {
      // Not compiled here: relaxed SIMD missing (Node 20), or SIMD itself (an old runtime, a locked-down page).
      instances.set(key, null);
    }
  }
  return instances.get(key) ?? null;
}

function load(): Kernel | null {
  if (kernel !== undefined) return kernel;
  kernelShared = false;
  if (helpers) {
    // The helpers get both shared builds (null where one does not compile), indexed as GemmJob's op says.
    const shared = [instanceOf('relaxed-simd', GEMM_RELAXED_SHARED_WASM_BASE64, helpers.memory, 0), instanceOf('simd', GEMM_SHARED_WASM_BASE64, helpers.memory, 1)];
    sharedModules = shared.map(l => l?.module ?? null);
    const use = relaxedAllowed && shared[0] ? shared[0] : shared[1];
    if (use) {
      [kernelName, kernel, kernelBuild, kernelShared] = [use.build === 0 ? 'relaxed-simd' : 'simd', use.exports, use.build, true];
      return kernel;
    }
    // No shared build here: one thread, on the builds of their own memory.
  }
  const own = ownMemoryBuild();
  [kernel, kernelName] = own ? [own.exports, own.name] : [null, 'none'];
  return kernel;
}

/** The build on a memory of its own that runs here (relaxed SIMD where allowed, else plain SIMD), if any. */
function ownMemoryBuild(): { exports: Kernel; name: WasmKernelName } | undefined {
  const builds: [WasmKernelName, string][] = [...(relaxedAllowed ? [['relaxed-simd', GEMM_RELAXED_WASM_BASE64] as [WasmKernelName, string]] : []), ['simd', GEMM_WASM_BASE64]];
  for (const [name, base64] of builds) {
    const exports = instanceOf(name, base64, undefined, 0)?.exports;
    if (exports) return { exports, name };
  }
  return undefined;
}

const threaded = () => helpers !== undefined && kernelShared;

/**
 * Installs `count` helper threads for big products (started on the first one; `start` starts a thread), or none
 * (count 0 or no `start`: the helpers installed before end). Returns whether they are used: false where shared
 * memory or its builds are missing (a web page that is not cross-origin isolated), which leaves one thread.
 */
export function setGemmThreads(count: number, start?: StartThread): boolean {
  helpers?.stop();
  helpers = undefined;
  for (const key of [...instances.keys()]) if (key.endsWith(' shared')) instances.delete(key);
  kernel = undefined;
  if (count < 1 || !start || typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  try {
    // Where this thread may not block (a browser's main thread), Atomics.wait throws: stay on one thread.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1);
    helpers = new GemmHelpers(count, start);
  } catch {
    return false; // no shared WebAssembly.Memory here, or no Atomics.wait on this thread
  }
  load();
  if (threaded()) return true;
  helpers = undefined;
  kernel = undefined;
  return false;
}

/** Bytes of memory the kernels' instances hold (a module's memory only grows: a worker keeps its largest layout). */
export function kernelMemoryBytes(): number {
  const memories = new Set([...instances.values()].flatMap(l => (l ? [l.exports.memory] : [])));
  return [...memories].reduce((sum, m) => sum + m.buffer.byteLength, 0);
}

/** Wakes the helper threads, if any are ready, to poll for `ms`: a run that will want them is starting. */
export function wakeGemmHelpers(ms: number): void {
  if (threaded()) helpers!.wake(ms);
}

/** The jobs helper threads have taken since they were installed (tests check that they take part). */
export const gemmHelperJobs = (): number => helpers?.taken() ?? 0;

/** The helper threads installed and ready (0: one thread); with waitMs, first waits that long for them to start. */
export function gemmThreadsReady(waitMs = 0): number {
  if (!helpers) return 0;
  load();
  if (waitMs > 0) {
    helpers.startOnce(sharedModules);
    return helpers.waitReady(waitMs);
  }
  return helpers.ready();
}

/** Whether products run in WebAssembly (false: the TypeScript loops). */
export function wasmGemmAvailable(): boolean {
  return !disabled && load() !== null;
}

/** The build products run in. */
export function wasmKernel(): WasmKernelName {
  return disabled || load() === null ? 'none' : kernelName;
}

/** Turns the WebAssembly kernels off or on (tests and benchmarks compare the two). */
export function setWasmGemm(enabled: boolean): void {
  disabled = !enabled;
}

/** Allows or forbids the relaxed-SIMD build (tests and benchmarks compare it with the plain one). */
export function setRelaxedSimd(allowed: boolean): void {
  if (relaxedAllowed === allowed) return;
  relaxedAllowed = allowed;
  kernel = undefined;
}

export type Floats = Float32Array | Float64Array;

/**
 * One call's use of the module's memory: regions are reserved first (byte offsets),
 * then `open` grows the memory once and hands out views (which a later growth would detach).
 */
export class WasmLayout {
  readonly E: number;
  private end = BASE;

  /** Threads a product may run on (scratch is reserved for each), the helpers among them, and scratch's stride. */
  private readonly threads: number;
  private scratchStride = 0;

  constructor(private readonly k: Kernel, readonly f64: boolean, shared: boolean) {
    this.E = f64 ? 8 : 4;
    this.threads = shared && threaded() ? 1 + helpers!.count : 1;
  }

  /** Reserves `count` floats (or 4-byte ints with ints = true); returns the byte offset. */
  reserve(count: number, ints = false): number {
    // Plain arithmetic, not `& ~63`: byte counts pass 2^31 here, and int32 bit tricks would wrap them into overlapping regions.
    const at = Math.ceil(this.end / 64) * 64;
    this.end = at + count * (ints ? 4 : this.E);
    return at;
  }

  /** Grows the memory to fit; false when it would be too big. */
  open(): { floats: Floats; ints: Int32Array } | undefined {
    if (!(this.end <= MAX_BYTES)) return undefined;
    const have = this.k.memory.buffer.byteLength;
    try {
      if (have < this.end) this.k.memory.grow(Math.ceil((this.end - have) / PAGE));
    } catch {
      return undefined; // the runtime would not grow it (a RangeError): the loops take the product
    }
    const buffer = this.k.memory.buffer;
    return { floats: this.f64 ? new Float64Array(buffer) : new Float32Array(buffer), ints: new Int32Array(buffer) };
  }

  /** `values` floats for each thread a call may run on: the first thread's offset, and the bytes between two threads'. */
  perThread(values: number): { at: number; stride: number } {
    const stride = Math.ceil((values * this.E) / 64) * 64;
    return { at: this.reserve((this.threads * stride) / this.E), stride };
  }

  /**
   * One of Winograd's transforms over `units` channels or tiles, cut into ranges that write apart (`job(u0, u1)`: its
   * arguments for units u0 … u1 − 1, the scratch argument the first thread's of perThread's `tmp`): with helper
   * threads, one call's jobs (`work`, its arithmetic as multiply-adds, decides whether it splits); the same values
   * on any number of threads, each unit's computed alone.
   */
  transform(fn: Extract<HelperFunction, `winograd${string}`>, units: number, work: number, tmp: { stride: number }, job: (u0: number, u1: number) => number[]): void {
    const ready = this.threads > 1 ? helpersFor(work) : 0;
    const pieces = Math.min(units, MAX_JOBS, ready ? 2 * (1 + ready) : 1);
    const jobs: number[][] = [];
    for (let p = 0; p < pieces; p++) {
      const [u0, u1] = [Math.round((p * units) / pieces), Math.round(((p + 1) * units) / pieces)];
      if (u1 > u0) jobs.push(job(u0, u1));
    }
    const run = this.k[fn] as (...args: number[]) => void;
    if (!ready || jobs.length === 1) jobs.forEach(args => run(...args));
    else helpers!.run(helperOp(kernelBuild, fn), jobs, tmp.stride, run);
  }

  /** Scratch for products up to N columns wide, one for each thread. */
  scratch(N: number): number {
    const { at, stride } = this.perThread(Math.ceil(this.k.scratchBytes(this.E, N) / this.E));
    this.scratchStride = stride;
    return at;
  }

  /** dst = srcᵀ for `count` consecutive (rows × cols) matrices at byte offsets src and dst. */
  transpose(src: number, dst: number, rows: number, cols: number, count = 1): void {
    (this.f64 ? this.k.transpose64 : this.k.transpose32)(src, dst, rows, cols, count);
  }

  /** dst[i·K + k] = src[rows[r0 + i] + cols[k]] for i < n: im2col's rows into a dense block (byte offsets, tables as gemm's). */
  gather(src: number, rows: number, r0: number, n: number, cols: number, K: number, dst: number): void {
    (this.f64 ? this.k.gather64 : this.k.gather32)(src, rows, r0, n, cols, K, dst);
  }

  /** dst[rows[r0 + i] + cols[k]] += src[i·K + k], in that order: col2im of a dense block. */
  scatterAdd(src: number, dst: number, rows: number, r0: number, n: number, cols: number, K: number): void {
    (this.f64 ? this.k.scatterAdd64 : this.k.scatterAdd32)(src, dst, rows, r0, n, cols, K);
  }

  /**
   * Lays out `planes` (H × W) planes as (Hp × Wp) ones at byte offset `dst`, `top` rows and `left` columns in, zeros
   * around: the dense planes must have been copied to the end of that region (see assembly/gemm.ts's pad).
   */
  pad(dst: number, planes: number, H: number, W: number, Hp: number, Wp: number, top: number, left: number): void {
    (this.f64 ? this.k.pad64 : this.k.pad32)(dst, planes, H, W, Hp, Wp, top, left);
  }

  /** The inverse of pad: the dense (H × W) planes at byte offset `dst`, cut out of the (Hp × Wp) ones there. */
  crop(dst: number, planes: number, H: number, W: number, Hp: number, Wp: number, top: number, left: number): void {
    (this.f64 ? this.k.crop64 : this.k.crop32)(dst, planes, H, W, Hp, Wp, top, left);
  }

  /** n zero values from byte offset p (the module's memory.fill: a typed array's fill is slower on a shared memory). */
  zero(p: number, n: number): void {
    this.k.zero(p, n * this.E);
  }

  /** Row r of `rows` rows of `len` values at byte offset p, `stride` values apart, gets values[r] (at byte offset `values`) added. */
  addRows(p: number, values: number, rows: number, len: number, stride: number): void {
    (this.f64 ? this.k.addRows64 : this.k.addRows32)(p, values, rows, len, stride);
  }

  /** z (B images of Cout planes of HW values, at byte offset z) gets bias[o] (at byte offset `bias`) added on plane o. */
  addBias(z: number, bias: number, B: number, Cout: number, HW: number): void {
    for (let i = 0; i < B; i++) this.addRows(z + i * Cout * HW * this.E, bias, Cout, HW, HW);
  }

  /** p[i] = max(p[i], 0) for n values at byte offset p. */
  relu(p: number, n: number): void {
    (this.f64 ? this.k.relu64 : this.k.relu32)(p, n);
  }

  /** d[i] = z[i] ≤ 0 ? 0 · d[i] : d[i] for n values (ReLU's backward pass, in place on δ). */
  reluBackward(d: number, z: number, n: number): void {
    (this.f64 ? this.k.reluBackward64 : this.k.reluBackward32)(d, z, n);
  }

  /** a[i] += b[i] for n values. */
  add(a: number, b: number, n: number): void {
    (this.f64 ? this.k.add64 : this.k.add32)(a, b, n);
  }

  /** Max pooling of `planes` planes at x into z, with the argmax at arg: see assembly/pool.ts. */
  maxPool(x: number, z: number, arg: number, planes: number, H: number, W: number, Ho: number, Wo: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, ph: number, pw: number): void {
    (this.f64 ? this.k.maxPool64 : this.k.maxPool32)(x, z, arg, planes, H, W, Ho, Wo, kh, kw, sh, sw, dh, dw, ph, pw);
  }

  /** Max pooling's ∂C/∂input for `planes` planes from δ at d and the argmax at arg into dx: see assembly/pool.ts. */
  maxPoolBackward(d: number, arg: number, dx: number, tmp: number, planes: number, H: number, W: number, Ho: number, Wo: number,
    kw: number, sh: number, sw: number, dh: number, dw: number, ph: number, pw: number, Hp: number, Wp: number): void {
    (this.f64 ? this.k.maxPoolBackward64 : this.k.maxPoolBackward32)(d, arg, dx, tmp, planes, H, W, Ho, Wo, kw, sh, sw, dh, dw, ph, pw, Hp, Wp);
  }

  /** The transforms of Winograd's F(4×4, 3×3), float32 only: see assembly/winograd.ts for their layouts. */
  get winograd(): Pick<Kernel, 'winogradWeights32' | 'winogradFlip32' | 'winogradWeightGrad32'> {
    return this.k;
  }

  /** Writes min and max of n values at p as two float64 at `out`; true when one is NaN or ±Infinity. */
  stats(p: number, n: number, out: number): boolean {
    return (this.f64 ? this.k.stats64 : this.k.stats32)(p, n, out) !== 0;
  }

  /**
   * C += A @ B, operands given by their byte offsets and offset tables (see assembly/gemm.ts); with helper threads,
   * a big product in ranges of C cut as `split` allows. `during`: this thread's own work, touching none of the
   * product's operands, done while the helpers take their jobs (after the product on one thread).
   */
  gemm(M: number, N: number, K: number, a: number, ra: number, ca: number, b: number, rb: number, cb: number, c: number, rc: number, cc: number, scratch: number,
    split: Split = ANY_SPLIT, during?: () => void): void {
    const run = this.f64 ? this.k.dgemm : this.k.sgemm;
    const args = [M, N, K, a, ra, ca, b, rb, cb, c, rc, cc, scratch, rowBlock(split)];
    const ready = this.threads > 1 ? helpersFor(M * N * K) : 0;
    // A kernel's first big product in more pieces (firstPieces), on any number of threads.
    this.runJobs(run, splitGemm(args, (1 + ready) * firstPieces(run, M * N * K), split), ready, during);
  }

  /**
   * Products that write no output of another's (each C a region of its own), as gemm's arguments (M, N, K, a, ra, ca,
   * b, rb, cb, c, rc, cc, scratch): with helper threads, one call's jobs that the threads take as they come, so that
   * products each too small to split (Winograd's 36 a block of a batch-1 layer: 0.8 M multiply-adds each on ResNet's
   * 56 × 56) fill every core together. Each product's sums are one thread's, in any order of the products.
   */
  gemms(products: readonly number[][]): void {
    const run = this.f64 ? this.k.dgemm : this.k.sgemm;
    const work = products.reduce((sum, [M, N, K]) => sum + M * N * K, 0);
    const ready = this.threads > 1 ? helpersFor(work) : 0;
    const jobs = products.map(p => [...p, 0]);
    for (let j = 0; j < jobs.length; j += MAX_JOBS) this.runJobs(run, jobs.slice(j, j + MAX_JOBS), ready);
  }

  /** Runs a call's jobs (at most MAX_JOBS) on the helpers with this thread, or here alone without `ready` helpers or with one job. */
  private runJobs(run: Gemm, jobs: number[][], ready: number, during?: () => void): void {
    if (!ready || jobs.length === 1) {
      for (const job of jobs) run(...(job as Parameters<typeof run>));
      during?.();
      return;
    }
    helpers!.run(helperOp(kernelBuild, this.f64 ? 'dgemm' : 'sgemm'), jobs, this.scratchStride, run as (...args: number[]) => void, during);
  }
}

/** Kernel functions (a build's sgemm or dgemm) that have run a product big enough to be moved to optimized code. */
const warmed = new WeakSet<object>();

/** The multiply-adds from which a kernel's first product is run in pieces (about 1 ms on baseline code). */
const WARM_WORK = 1 << 22;

/**
 * How many times more pieces a product is cut in, as a kernel's first big one (else 1): V8 runs a module's functions
 * on baseline code at first and moves a busy one to optimized code, in the background, for the calls that come after,
 * so a product made in one call would run entirely on baseline code (the first (4, 64, 56, 56) trace forward of a
 * process took 80 ms, the next ones 20). Pieces of rows or columns are the same sums.
 */
function firstPieces(run: object, work: number): number {
  if (warmed.has(run) || work < WARM_WORK) return 1;
  warmed.add(run);
  return 4;
}

/** Whether a product of `work` multiply-adds stays on the calling thread: under two threads' worth. */
const tooSmallToSplit = (work: number) => work < 2 * minThreadWork();

/** How many helpers are ready for a product of `work` multiply-adds, starting them on the first one big enough to gain. */
function helpersFor(work: number): number {
  if (!helpers || tooSmallToSplit(work)) return 0;
  helpers.startOnce(sharedModules);
  return helpers.ready();
}

/**
 * A layout for one call, when the kernels are on and the data is float32 or float64. `work`: the multiply-adds of the
 * call's biggest product, when known. One too small to split runs on the build of a memory of its own even where
 * helpers are installed: the same bits, and JS copies into and out of a shared memory are slower (LeNet's conv1 at
 * batch 16 forward took 1.15–1.25× as long on the shared one).
 */
export function wasmLayout(data: unknown, work = Infinity): WasmLayout | undefined {
  if (disabled || !(data instanceof Float32Array || data instanceof Float64Array)) return undefined;
  const k = load();
  if (!k) return undefined;
  const own = threaded() && tooSmallToSplit(work) ? ownMemoryBuild()?.exports : undefined;
  return new WasmLayout(own ?? k, data instanceof Float64Array, !own);
}

/**
 * The range of `data` taken in the module, copied in by chunks (tensorStats of a big tensor); bad when a value is NaN
 * or ±Infinity (the caller then counts them). Undefined when the kernels are off. Uses the module's memory: not
 * while a call's layout is in use.
 */
export function wasmRange(data: Floats): { min: number; max: number; bad: boolean } | undefined {
  // No product: the copy into a memory of its own is the faster one.
  const L = wasmLayout(data, 0);
  if (!L || data.length === 0) return undefined;
  const chunk = Math.min(data.length, CHUNK_BYTES / L.E);
  const [at, out] = [L.reserve(chunk), L.reserve(16 / L.E)];
  const mem = L.open();
  if (!mem) return undefined;
  const range = new Float64Array(mem.floats.buffer, out, 2);
  let [min, max] = [Infinity, -Infinity];
  for (let i = 0; i < data.length; i += chunk) {
    const n = Math.min(chunk, data.length - i);
    mem.floats.set(data.subarray(i, i + n), at / L.E);
    if (L.stats(at, n, out)) return { min, max, bad: true };
    [min, max] = [Math.min(min, range[0]), Math.max(max, range[1])];
  }
  return { min, max, bad: false };
}

/** Fills the table at byte offset `at` with 0, step, 2·step, ... (n entries). */
export function arithmetic(ints: Int32Array, at: number, n: number, step: number, start = 0): void {
  const base = at >> 2;
  for (let i = 0; i < n; i++) ints[base + i] = start + i * step;
}

/** Copies rows [r0, r1) of a row-major view (colStride 1), `width` long, densely to `dst` at element `at`. */
function copyRows(src: Floats, m: MatrixView, r0: number, r1: number, width: number, dst: Floats, at: number): void {
  if (m.rowStride === width) {
    dst.set(src.subarray(m.offset + r0 * width, m.offset + r1 * width), at);
    return;
  }
  for (let r = r0; r < r1; r++) dst.set(src.subarray(m.offset + r * m.rowStride, m.offset + r * m.rowStride + width), at + (r - r0) * width);
}

/** Copies rows [r0, r1) of a row-major C view back from dense `src` at element `at`. */
function copyRowsBack(src: Floats, at: number, m: MatrixView, r0: number, r1: number, width: number): void {
  const dst = m.data as Floats;
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
function copyKRange(m: MatrixView, k0: number, k1: number, n: number, dst: Floats, at: number): { rs: number; cs: number } {
  const src = m.data as Floats;
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
  if (rows === 0 || cols === 0 || inner === 0) return false;
  const L = wasmLayout(C.data);
  if (!L || A.data.constructor !== C.data.constructor || B.data.constructor !== C.data.constructor) return false;
  if (C.colStride !== 1 || (A.colStride !== 1 && A.rowStride !== 1) || (B.colStride !== 1 && B.rowStride !== 1)) return false;
  const E = L.E;
  // A row-major: B whole, A and C in chunks of rows. A transposed: C whole, A and B in slices of the inner dimension.
  const byRows = A.colStride === 1;
  const chunk = byRows
    ? Math.max(4, Math.min(rows, Math.floor(CHUNK_BYTES / (E * (inner + cols)))))
    : Math.max(1, Math.min(inner, Math.floor(CHUNK_BYTES / (E * (rows + cols)))));
  const [aRows, bRows, cRows] = byRows ? [chunk, inner, chunk] : [rows, chunk, rows];
  const a = L.reserve(aRows * (byRows ? inner : chunk));
  const b = L.reserve(bRows * cols);
  const c = L.reserve(cRows * cols);
  const ra = L.reserve(aRows, true);
  const ca = L.reserve(byRows ? inner : chunk, true);
  const rb = L.reserve(bRows, true);
  const cb = L.reserve(cols, true);
  const rc = L.reserve(cRows, true);
  const cc = L.reserve(cols, true);
  const scratch = L.scratch(cols);
  const mem = L.open();
  if (!mem) return false;
  const { floats, ints } = mem;
  arithmetic(ints, rc, cRows, cols);
  arithmetic(ints, cc, cols, 1);
  const setB = (s: { rs: number; cs: number }, n: number) => { arithmetic(ints, rb, n, s.rs); arithmetic(ints, cb, cols, s.cs); };
  if (byRows) {
    setB(copyKRange(B, 0, inner, cols, floats, b / E), inner);
    arithmetic(ints, ra, chunk, inner);
    arithmetic(ints, ca, inner, 1);
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      const r1 = Math.min(rows, r0 + chunk);
      copyRows(A.data as Floats, A, r0, r1, inner, floats, a / E);
      copyRows(C.data as Floats, C, r0, r1, cols, floats, c / E);
      L.gemm(r1 - r0, cols, inner, a, ra, ca, b, rb, cb, c, rc, cc, scratch);
      copyRowsBack(floats, c / E, C, r0, r1, cols);
    }
    return true;
  }
  copyRows(C.data as Floats, C, 0, rows, cols, floats, c / E);
  for (let k0 = 0; k0 < inner; k0 += chunk) {
    const k1 = Math.min(inner, k0 + chunk);
    // A's columns k0..k1 are contiguous runs of `rows` values: a (rows × kk) column-major copy.
    const s = copyKRange({ data: A.data, offset: A.offset, rowStride: A.colStride, colStride: 1 }, k0, k1, rows, floats, a / E);
    arithmetic(ints, ra, rows, s.cs);
    arithmetic(ints, ca, k1 - k0, s.rs);
    setB(copyKRange(B, k0, k1, cols, floats, b / E), k1 - k0);
    L.gemm(rows, cols, k1 - k0, a, ra, ca, b, rb, cb, c, rc, cc, scratch);
  }
  copyRowsBack(floats, c / E, C, 0, rows, cols);
  return true;
}
