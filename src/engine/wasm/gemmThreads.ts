// Several threads on one product, the engine staying synchronous. The kernel is also built on an
// imported shared memory (esbuild.mjs); with helpers installed (setGemmThreads in gemmWasm.ts) the
// calling thread and every helper instantiate it on one WebAssembly.Memory. The caller lays out the
// operands as on one thread, hands each helper a range of C's rows or columns (with its own scratch)
// through a control block in a SharedArrayBuffer, computes its own range, and waits until the helpers
// are done (polling for a moment, then in Atomics.wait). Every element of C is the same sum in the
// same order on any thread, so the results are bit-identical to one thread. The engine starts no thread itself: a host that has
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

/**
 * The kernel's functions a helper runs, by index (the job's op & 15), each with the argument that is a thread's own
 * scratch (thread t adds t · the call's stride to it): the products, and Winograd's transforms over ranges of
 * channels or tiles (assembly/winograd.ts).
 */
export const HELPER_FUNCTIONS = { sgemm: 12, dgemm: 12, winogradInput32: 8, winogradDelta32: 6, winogradOutput32: 11 } as const;
export type HelperFunction = keyof typeof HELPER_FUNCTIONS;
const FUNCTION_NAMES = Object.keys(HELPER_FUNCTIONS) as HelperFunction[];

/** A call's op: the build (relaxed SIMD 0, plain 1) and the function its jobs run. */
export const helperOp = (build: number, fn: HelperFunction) => (build << 4) | FUNCTION_NAMES.indexOf(fn);

export interface GemmHelperData {
  /** The shared builds by index (the job's op >> 4): relaxed SIMD, or null where it does not compile; plain SIMD. */
  modules: (object | null)[];
  memory: object;
  control: SharedArrayBuffer;
  /** This helper's index, of `count`. */
  index: number;
  count: number;
}

/**
 * The control block, in Int32 slots of 32 (128 bytes: threads never share a cache line). Slot 0: the next job to
 * take, the job count, the op (helperOp), scratch's stride, how long a helper polls after its wake-up (ms). Slot
 * 1 + h: helper h's wake-up counter, the last wake-up it answered, ready, failed, its state, the jobs it has taken.
 * Then the jobs, 14 arguments each.
 */
const SLOT = 32;
const NEXT = 0, COUNT = 1, OP = 2, STRIDE = 3, SPIN = 4;
const SEQ = 0, DONE = 1, READY = 2, FAILED = 3, STATE = 4, TAKEN = 5;
/** A helper's state: woken for a call (PENDING), taking its jobs (RUNNING), not needed after all, or to end. */
const PENDING = 1, RUNNING = 2, CANCELLED = 3, QUIT = 4;
/** The most jobs one product is cut into. */
export const MAX_JOBS = 64;
const ARGS = 14;
/**
 * How long a thread waiting for the other side polls before it sleeps (ms): a sleeping thread takes ~0.1 ms to wake
 * on this 2-core VM, now and then 2–5 ms, as long as a Winograd transform or more, and a run's products come ~1 ms
 * apart. Polling took the batch-8 ResNet block's ∂C/∂input on 2 cores from 1.49–1.56× one thread to 1.61–1.69×.
 */
const SPIN_MS = 1;

/**
 * The helper's loop, as source: instantiate the builds on the shared memory, say ready, then on each wake-up take
 * jobs until none is left (unless the caller has already done them all and cancelled this wake-up, or woke it
 * ahead of work: GemmHelpers.wake), say done, and poll for the next wake-up for the control block's SPIN ms before
 * it sleeps.
 * Thread t (the caller is 0) uses scratch t. `memory.buffer` is read first so this thread sees the caller's growth.
 */
export const GEMM_HELPER_SOURCE = `function gemmHelper(data) {
  var ctl = new Int32Array(data.control), at = (1 + data.index) * ${SLOT}, jobs = ${SLOT} * (1 + data.count), seen = 0;
  var kernels = data.modules.map(function (m) { return m && new WebAssembly.Instance(m, { env: { memory: data.memory } }).exports; });
  Atomics.store(ctl, at + ${READY}, 1);
  Atomics.notify(ctl, at + ${READY});
  for (;;) {
    for (var until = performance.now() + ctl[${SPIN}]; Atomics.load(ctl, at + ${SEQ}) === seen && performance.now() < until;);
    Atomics.wait(ctl, at + ${SEQ}, seen);
    seen = Atomics.load(ctl, at + ${SEQ});
    if (Atomics.load(ctl, at + ${STATE}) === ${QUIT}) return;
    if (Atomics.compareExchange(ctl, at + ${STATE}, ${PENDING}, ${RUNNING}) === ${PENDING}) {
      try {
        void data.memory.buffer;
        var op = ctl[${OP}], fn = ${JSON.stringify(FUNCTION_NAMES)}[op & 15], run = kernels[op >> 4][fn];
        var own = ${JSON.stringify(Object.values(HELPER_FUNCTIONS))}[op & 15], scratch = (1 + data.index) * ctl[${STRIDE}];
        for (var j = Atomics.add(ctl, ${NEXT}, 1); j < ctl[${COUNT}]; j = Atomics.add(ctl, ${NEXT}, 1)) {
          var a = Array.from(ctl.subarray(jobs + j * ${ARGS}, jobs + (j + 1) * ${ARGS}));
          a[own] += scratch;
          run.apply(null, a);
          Atomics.add(ctl, at + ${TAKEN}, 1);
        }
      } catch (e) {
        ctl[at + ${FAILED}] = 1;
      }
    }
    Atomics.store(ctl, at + ${DONE}, seen);
    Atomics.notify(ctl, at + ${DONE});
  }
}`;

/** The module's memory never grows past this many pages (1 GiB, gemmWasm.ts's MAX_BYTES; the shared builds' maximum). */
const MAX_PAGES = 16384;

/** The helpers of one install: the shared memory, the control block, and the threads once started. */
export class GemmHelpers {
  readonly memory: object;
  private readonly control: Int32Array;
  private started = false;

  constructor(readonly count: number, private readonly start: StartThread) {
    this.memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    this.control = new Int32Array(new SharedArrayBuffer((SLOT * (1 + count) + ARGS * MAX_JOBS) * 4));
  }

  private slot(h: number): number {
    return (1 + h) * SLOT;
  }

  /** Starts the helpers on the first product big enough (none start for a run of small ones); they say when ready. */
  startOnce(modules: (object | null)[]): void {
    if (this.started) return;
    this.started = true;
    for (let index = 0; index < this.count; index++) {
      this.start(GEMM_HELPER_SOURCE, { modules, memory: this.memory, control: this.control.buffer as SharedArrayBuffer, index, count: this.count });
    }
  }

  /** How many helpers are ready for work (a call never waits for one still starting: it runs on fewer threads). */
  ready(): number {
    if (!this.started) return 0;
    let n = 0;
    for (let h = 0; h < this.count; h++) n += Atomics.load(this.control, this.slot(h) + READY);
    return n;
  }

  /** Blocks until every helper is ready or `ms` have passed (tests and benchmarks start from all of them); the count ready. */
  waitReady(ms: number): number {
    const end = Date.now() + ms;
    for (let h = 0; h < this.count; h++) {
      const at = this.slot(h) + READY;
      while (Atomics.load(this.control, at) !== 1 && Date.now() < end) Atomics.wait(this.control, at, 0, Math.max(1, end - Date.now()));
    }
    return this.ready();
  }

  /**
   * Runs the jobs (14 arguments each; thread t adds t · scratchStride to the scratch) on this thread and the ready
   * helpers, each taking the next job left. A helper the system has not run by the time this thread has taken the
   * last job is let off, so a busy machine costs at most the jobs already started elsewhere, never a wait for a
   * thread that is not running. `during`, work of this thread's own that the jobs neither read nor write, runs once
   * the helpers are woken, before this thread takes jobs: the helpers' jobs overlap it. Returns when every job is done.
   */
  run(op: number, jobs: number[][], scratchStride: number, run: (...args: number[]) => void, during?: () => void): void {
    const c = this.control;
    c[SPIN] = SPIN_MS;
    c[OP] = op;
    c[COUNT] = jobs.length;
    c[STRIDE] = scratchStride;
    jobs.forEach((args, j) => c.set(args, SLOT * (1 + this.count) + j * ARGS));
    Atomics.store(c, NEXT, 0);
    const woken: number[] = [];
    for (let h = 0; h < this.count && woken.length < jobs.length - 1; h++) {
      const at = this.slot(h);
      if (Atomics.load(c, at + READY) !== 1) continue;
      c[at + FAILED] = 0;
      Atomics.store(c, at + STATE, PENDING);
      Atomics.add(c, at + SEQ, 1);
      Atomics.notify(c, at + SEQ, 1);
      woken.push(h);
    }
    try {
      during?.();
      for (let j = Atomics.add(c, NEXT, 1); j < jobs.length; j = Atomics.add(c, NEXT, 1)) run(...jobs[j]);
    } finally {
      // Always wait for a helper that took part: one still writing into the memory would corrupt the next call.
      for (const h of woken) {
        const at = this.slot(h);
        if (Atomics.compareExchange(c, at + STATE, PENDING, CANCELLED) === PENDING) continue;
        const seq = Atomics.load(c, at + SEQ);
        const until = performance.now() + SPIN_MS;
        for (let done = Atomics.load(c, at + DONE); done !== seq; done = Atomics.load(c, at + DONE)) if (performance.now() >= until) Atomics.wait(c, at + DONE, done);
      }
    }
    if (woken.some(h => c[this.slot(h) + FAILED] !== 0)) throw new Error('a gemm helper thread failed');
  }

  /**
   * Wakes the ready helpers to poll for `ms` (then sleep): work that will want them is coming, and a helper asleep
   * takes ~0.1 ms to wake on the 2-core VM, now and then 2–5 ms. They run no job for this wake-up.
   */
  wake(ms: number): void {
    const c = this.control;
    c[SPIN] = ms;
    for (let h = 0; h < this.count; h++) {
      const at = this.slot(h);
      if (Atomics.load(c, at + READY) !== 1) continue;
      Atomics.add(c, at + SEQ, 1);
      Atomics.notify(c, at + SEQ, 1);
    }
  }

  /** The jobs the helpers have taken so far (tests check that they take part). */
  taken(): number {
    let n = 0;
    for (let h = 0; h < this.count; h++) n += Atomics.load(this.control, this.slot(h) + TAKEN);
    return n;
  }

  /** Ends the helpers' loops (their threads then end). */
  stop(): void {
    for (let h = 0; h < this.count; h++) {
      const at = this.slot(h);
      Atomics.store(this.control, at + STATE, QUIT);
      Atomics.add(this.control, at + SEQ, 1);
      Atomics.notify(this.control, at + SEQ);
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

/** The kernel's blocks of rows and columns (MC and NC in assembly/gemm.ts); its row panels are 4 tall. */
const ROW_BLOCK = 96, COL_BLOCK = 1024, ROW_PANEL = 4;

/**
 * The rows of A the kernel takes at a time for a product cut as `split` allows. A scattered product's pieces must
 * start at a block, so its blocks are whole channels where some fit (3×3 kernels: 72 rows of 8 channels, against
 * 96 that a channel straddles): the product can then be cut every 8 channels rather than every 32 (ResNet's
 * ∂C/∂input of 64 channels in 4 jobs, not 2). The kernel's default (0) for the others.
 */
export function rowBlock(split: Split): number {
  if (!split.scatter || split.rowUnit === 0) return 0;
  const whole = lcm(split.rowUnit, ROW_PANEL);
  return whole <= ROW_BLOCK ? Math.floor(ROW_BLOCK / whole) * whole : 0;
}

/**
 * Below this many multiply-adds per thread a product stays on fewer threads: on 2 cores a product gains from about
 * 0.5M (waking a thread costs tens of µs) and clearly from 2M, where one splits (LeNet's conv1 at batch 16, 1.9M a
 * pass, stays on one thread: its jobs would be too short to gain on a busy machine).
 */
let minWorkPerThread = 1 << 20;

/** Sets the work per thread under which products stay on fewer threads (tests split small products); no argument: the default. */
export function setMinThreadWork(macs = 1 << 20): void {
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

/** The units `split` allows C (M × N) to be cut in, and the rows (M) or columns (N) when at least two units fit, else 0. */
function splitAxes(M: number, N: number, split: Split) {
  const rowUnit = split.scatter ? lcm(split.rowUnit, rowBlock(split) || ROW_BLOCK) : split.rowUnit;
  const colUnit = split.scatter ? lcm(split.colUnit, COL_BLOCK) : split.colUnit;
  return { rowUnit, colUnit, rows: rowUnit > 0 && Math.floor(M / rowUnit) >= 2 ? M : 0, cols: colUnit > 0 && Math.floor(N / colUnit) >= 2 ? N : 0 };
}

/** Whether a product with C of M × N can be cut across threads as `split` allows, however big. */
export function canSplit(M: number, N: number, split: Split): boolean {
  const { rows, cols } = splitAxes(M, N, split);
  return rows > 0 || cols > 0;
}

/**
 * The jobs of one product for `threads` threads: ranges of C's rows or columns (the larger dimension of those allowed,
 * so the operand every job packs whole is the smaller one), twice as many as threads so that a thread the system
 * does not run leaves little to wait for, none under the work threshold. One job: run it here.
 * args: M, N, K, a, ra, ca, b, rb, cb, c, rc, cc, scratch, A's row block (offset tables advance 4 bytes an entry).
 */
export function splitGemm(args: number[], threads: number, split: Split): number[][] {
  const [M, N, K] = args;
  const pieces = Math.min(2 * threads, MAX_JOBS, Math.floor((M * N * K) / minWorkPerThread));
  const { rowUnit, colUnit, rows, cols } = splitAxes(M, N, split);
  if (threads < 2 || pieces < 2 || (rows === 0 && cols === 0)) return [args];
  const byRows = rows >= cols;
  const unit = byRows ? rowUnit : colUnit;
  const n = Math.min(pieces, Math.floor((byRows ? M : N) / unit));
  const at = cuts(byRows ? M : N, unit, byRows ? 4 : 8, n);
  const jobs: number[][] = [];
  for (let p = 0; p < n; p++) {
    const [from, to] = [at[p], at[p + 1]];
    if (to <= from) continue;
    const a = [...args];
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
