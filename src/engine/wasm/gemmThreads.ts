// Several threads on one product, the engine staying synchronous. The kernel is also built on an
// imported shared memory (esbuild.mjs); with helpers installed (setGemmThreads in gemmWasm.ts) the
// calling thread and every helper instantiate it on one WebAssembly.Memory. The caller lays out the
// operands as on one thread, hands each helper a range of C's rows or columns (with its own scratch)
// through a control block in a SharedArrayBuffer, computes its own range, and blocks in Atomics.wait
// until the helpers are done. Every element of C is the same sum in the same order on any thread, so
// the results are bit-identical to one thread. The engine starts no thread itself: a host that has
// threads (Node's worker_threads) gives it a way to start one; elsewhere products stay on one thread.

/** What the engine uses of WebAssembly here (it is built without DOM or Node typings for it). */
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => object;
};

/**
 * Starts one helper thread running `source`, a JavaScript function expression, called with `data` (a structured
 * clone: compiled modules, the shared memory and the control block). The host keeps the thread; the engine
 * ends it through the control block (stopGemmThreads), and the host's end ends it too.
 */
export type StartThread = (source: string, data: GemmHelperData) => void;

export interface GemmHelperData {
  /** The shared builds by index (the job's op >> 1): relaxed SIMD, or null where it does not compile; plain SIMD. */
  modules: (object | null)[];
  memory: object;
  control: SharedArrayBuffer;
  index: number;
}

/** Int32 slots per helper in the control block (128 bytes: helpers never share a cache line). */
const SLOT = 32;
/** Within a slot: the job counter the caller raises, the last job done, the op, ready, failed, the 13 arguments. */
const SEQ = 0, DONE = 1, OP = 2, READY = 3, FAILED = 4, ARGS = 8;
const QUIT = -1;

/**
 * The helper's loop, as source: instantiate the builds on the shared memory, say ready, then wait for a job, run
 * it, say done. `memory.buffer` is read before each job so this thread sees a growth made by the caller.
 */
export const GEMM_HELPER_SOURCE = `function gemmHelper(data) {
  var ctl = new Int32Array(data.control), at = data.index * ${SLOT}, seen = 0;
  var kernels = data.modules.map(function (m) { return m && new WebAssembly.Instance(m, { env: { memory: data.memory } }).exports; });
  Atomics.store(ctl, at + ${READY}, 1);
  Atomics.notify(ctl, at + ${READY});
  for (;;) {
    Atomics.wait(ctl, at + ${SEQ}, seen);
    seen = Atomics.load(ctl, at + ${SEQ});
    var op = ctl[at + ${OP}];
    if (op === ${QUIT}) return;
    try {
      void data.memory.buffer;
      var k = kernels[op >> 1], a = ctl.subarray(at + ${ARGS}, at + ${ARGS + 13});
      (op & 1 ? k.dgemm : k.sgemm)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12]);
      ctl[at + ${FAILED}] = 0;
    } catch (e) {
      ctl[at + ${FAILED}] = 1;
    }
    Atomics.store(ctl, at + ${DONE}, seen);
    Atomics.notify(ctl, at + ${DONE});
  }
}`;

/** The module's memory never grows past this many pages (1 GiB, gemmWasm.ts's MAX_BYTES; the shared builds' maximum). */
const MAX_PAGES = 16384;

/** One job: the kernel's op (build << 1 | float64) and its 13 arguments. */
export interface GemmJob { op: number; args: number[] }

/** The helpers of one install: the shared memory, the control block, and the threads once started. */
export class GemmHelpers {
  readonly memory: object;
  private readonly control: Int32Array;
  private started = false;

  constructor(readonly count: number, private readonly start: StartThread) {
    this.memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    this.control = new Int32Array(new SharedArrayBuffer(count * SLOT * 4));
  }

  /** Starts the helpers on the first product big enough (none start for a run of small ones); they say when ready. */
  startOnce(modules: (object | null)[]): void {
    if (this.started) return;
    this.started = true;
    for (let index = 0; index < this.count; index++) this.start(GEMM_HELPER_SOURCE, { modules, memory: this.memory, control: this.control.buffer as SharedArrayBuffer, index });
  }

  /** The helpers ready for work (a call never waits for one still starting: it runs on fewer threads). */
  ready(): number[] {
    if (!this.started) return [];
    return Array.from({ length: this.count }, (_, h) => h).filter(h => Atomics.load(this.control, h * SLOT + READY) === 1);
  }

  /** Blocks until every helper is ready or `ms` have passed (tests and benchmarks start from all of them); the count ready. */
  waitReady(ms: number): number {
    const end = Date.now() + ms;
    for (let h = 0; h < this.count; h++) {
      while (Atomics.load(this.control, h * SLOT + READY) !== 1 && Date.now() < end) Atomics.wait(this.control, h * SLOT + READY, 0, Math.max(1, end - Date.now()));
    }
    return this.ready().length;
  }

  /** Runs jobs[i] on helper helpers[i] while `own` runs here; returns when all are done. */
  run(helpers: number[], jobs: GemmJob[], own: () => void): void {
    const c = this.control;
    jobs.forEach((job, i) => {
      const at = helpers[i] * SLOT;
      c[at + OP] = job.op;
      c.set(job.args, at + ARGS);
      Atomics.add(c, at + SEQ, 1);
      Atomics.notify(c, at + SEQ, 1);
    });
    try {
      own();
    } finally {
      // Always wait: a helper still writing into the memory would corrupt the next call's layout.
      for (let i = 0; i < jobs.length; i++) {
        const at = helpers[i] * SLOT;
        const seq = Atomics.load(c, at + SEQ);
        for (let done = Atomics.load(c, at + DONE); done !== seq; done = Atomics.load(c, at + DONE)) Atomics.wait(c, at + DONE, done);
      }
    }
    if (jobs.some((_, i) => c[helpers[i] * SLOT + FAILED] !== 0)) throw new Error('a gemm helper thread failed');
  }

  /** Ends the helpers' loops (their threads then end). */
  stop(): void {
    for (let h = 0; h < this.count; h++) {
      this.control[h * SLOT + OP] = QUIT;
      Atomics.add(this.control, h * SLOT + SEQ, 1);
      Atomics.notify(this.control, h * SLOT + SEQ);
    }
  }
}

/**
 * How a product's C may be cut: in whole multiples of `rowUnit` rows or of `colUnit` columns; 0 forbids that
 * dimension. col2im's C is the padded input gradient, where neighbouring windows (columns) add into the same
 * pixels and so do taps (rows) of one channel: it cuts rows at channels and columns at images, and `scatter`
 * keeps the kernel's blocks whole too, so every pixel's terms add in the one-thread order (bit for bit).
 */
export interface Split { rowUnit: number; colUnit: number; scatter?: boolean }

export const ANY_SPLIT: Split = { rowUnit: 1, colUnit: 1 };

/** The kernel's blocks of rows and columns (MC and NC in assembly/gemm.ts). */
const ROW_BLOCK = 96, COL_BLOCK = 1024;

/** Below this many multiply-adds per thread a product stays on fewer threads (waking one costs tens of µs). */
let minWorkPerThread = 1 << 21;

/** Sets the work per thread under which products stay on fewer threads (tests split small products); no argument: the default. */
export function setMinThreadWork(macs = 1 << 21): void {
  minWorkPerThread = macs;
}

export const minThreadWork = () => minWorkPerThread;

/** Cuts `size` into `parts` ranges at multiples of `unit`, preferring multiples of `align` too (the kernel's tile). */
function cuts(size: number, unit: number, align: number, parts: number): number[] {
  const aligned = lcm(unit, align);
  const u = Math.floor(size / aligned) >= parts ? aligned : unit;
  const units = Math.floor(size / u);
  return Array.from({ length: parts + 1 }, (_, p) => (p === parts ? size : Math.round((p * units) / parts) * u));
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

const lcm = (a: number, b: number) => (a === 0 ? 0 : (a * b) / gcd(a, b));

/**
 * The jobs of one product on `threads` threads at most: C's rows or columns (the larger dimension of those allowed,
 * so the operand each thread packs whole is the smaller one) in ranges, each with its own scratch. One job: run it here.
 * args: M, N, K, a, ra, ca, b, rb, cb, c, rc, cc, scratch (offset tables advance 4 bytes an entry).
 */
export function splitGemm(args: number[], threads: number, scratchStride: number, split: Split): number[][] {
  const [M, N, K] = args;
  const parts = Math.min(threads, Math.floor((M * N * K) / minWorkPerThread));
  const rowUnit = split.scatter ? lcm(split.rowUnit, ROW_BLOCK) : split.rowUnit;
  const colUnit = split.scatter ? lcm(split.colUnit, COL_BLOCK) : split.colUnit;
  const rows = rowUnit > 0 && Math.floor(M / rowUnit) >= 2 ? M : 0;
  const cols = colUnit > 0 && Math.floor(N / colUnit) >= 2 ? N : 0;
  if (parts < 2 || (rows === 0 && cols === 0)) return [args];
  const byRows = rows >= cols;
  const unit = byRows ? rowUnit : colUnit;
  const n = Math.min(parts, Math.floor((byRows ? M : N) / unit));
  const at = cuts(byRows ? M : N, unit, byRows ? 4 : 8, n);
  const jobs: number[][] = [];
  for (let p = 0; p < n; p++) {
    const [from, to] = [at[p], at[p + 1]];
    if (to <= from) continue;
    const a = [...args];
    a[12] += jobs.length * scratchStride;
    if (byRows) {
      a[0] = to - from;
      a[4] += 4 * from; // ra
      a[10] += 4 * from; // rc
    } else {
      a[1] = to - from;
      a[8] += 4 * from; // cb
      a[11] += 4 * from; // cc
    }
    jobs.push(a);
  }
  return jobs;
}
