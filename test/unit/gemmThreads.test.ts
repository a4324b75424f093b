// The wasm GEMM on several threads (src/engine/wasm/gemmThreads.ts): products split across helper threads give
// the one-thread kernel's numbers bit for bit, over random sizes, odd edges, transposed views, both dtypes and the
// convolutions' im2col and col2im tables; cuts respect their units; small products and missing threads stay on
// one thread; the helpers end with the thread that started them. The relaxed-SIMD build: in a child Node with
// the flag (test/support/gemmThreadsProbe.ts).

import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { conv2d, conv2dGradients, conv2dInputGrad, conv2dWeightGrad, convGradients } from '../../src/engine/conv2d';
import { ConvOptions, convInfo } from '../../src/engine/convInfo';
import { MatrixView, transposed, view } from '../../src/engine/gemm';
import { Tensor } from '../../src/engine/tensor';
import { convTraceForward } from '../../src/engine/trace';
import { inputGradOwnMemory, prepare, setBlockValues, setWeightSlice } from '../../src/engine/wasm/convWasm';
import { gemmHelperJobs, gemmThreadsReady, gemmWasm, setGemmThreads, wakeGemmHelpers, wasmKernel } from '../../src/engine/wasm/gemmWasm';
import { rowBlock, setMinThreadWork, splitGemm } from '../../src/engine/wasm/gemmThreads';
import { installNodeGemmThreads } from '../../src/specReader/nodeGemmThreads';
import { conv2dWinograd, inputGradWinograd, setWinogradLimits, turnedInfo, weightGradWinograd } from '../../src/engine/wasm/winogradWasm';
import { encodeNpy } from '../../src/specReader/npy';
import { KERNEL_CONVS, convInputs, randomTensor, rng } from './helpers';

const PROBE = path.resolve(__dirname, '../support/gemmThreadsProbe.js');

/** Runs `compute` on one thread and on every thread (every product split, however small); both results. */
function oneAndMany<T>(compute: () => T): { one: T; many: T } {
  setMinThreadWork(Number.MAX_SAFE_INTEGER);
  const one = compute();
  setMinThreadWork(1);
  try {
    return { one, many: compute() };
  } finally {
    setMinThreadWork();
  }
}

function operand(r: number, c: number, t: boolean, offset: number, random: () => number, f64: boolean): MatrixView {
  const [outer, inner] = t ? [c, r] : [r, c];
  const data = f64 ? new Float64Array(offset + outer * inner) : new Float32Array(offset + outer * inner);
  for (let i = 0; i < data.length; i++) data[i] = random() - 0.5;
  return t ? transposed(view(data, offset, inner)) : view(data, offset, inner);
}

const same = (a: Tensor, b: Tensor, what: string) => assert.deepStrictEqual(Array.from(a.data), Array.from(b.data), what);

describe('the wasm GEMM on helper threads = the one-thread kernel, bit for bit', function () {
  this.timeout(60_000);
  before(() => {
    // Three threads on any machine: products cut in three exercise the uneven cuts.
    assert.ok(installNodeGemmThreads(3), 'threads install in Node');
    assert.strictEqual(gemmThreadsReady(0), 0, 'no helper starts before a product needs one');
    // The first product big enough starts them (it runs on this thread while they start); then all take part.
    oneAndMany(() => gemmWasm(8, 8, 8, view(new Float32Array(64), 0, 8), view(new Float32Array(64), 0, 8), view(new Float32Array(64), 0, 8)));
    assert.strictEqual(gemmThreadsReady(10_000), 2, 'both helpers started on the first product');
  });
  after(() => { setGemmThreads(0); setWeightSlice(); setBlockValues(); });

  it('products over random sizes, odd edges, transposed views and both dtypes', () => {
    const taken = gemmHelperJobs();
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 500 }),
      fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.integer({ min: 1, max: 1e6 }),
      (rows, cols, inner, ta, tb, offset, f64, seed) => {
        const random = rng(seed);
        const A = operand(rows, inner, ta, offset, random, f64);
        const B = operand(inner, cols, tb, offset, random, f64);
        const C0 = operand(rows, cols, false, offset, random, f64);
        const { one, many } = oneAndMany(() => {
          const C = { ...C0, data: C0.data.slice() };
          assert.ok(gemmWasm(rows, cols, inner, A, B, C));
          return C.data;
        });
        assert.deepStrictEqual(Array.from(many), Array.from(one), `${rows}×${inner} @ ${inner}×${cols} ${ta ? 'Aᵀ' : ''} ${tb ? 'Bᵀ' : ''} ${f64 ? 'f64' : 'f32'}`);
      }), { numRuns: 60 });
    assert.ok(gemmHelperJobs() > taken, 'the helpers took part');
  });

  it('convolutions: forward, ∂C/∂input (col2im cut at channels or images), ∂C/∂w, sliced weights, blocks of windows, both dtypes', () => {
    const random = rng(7);
    const taken = gemmHelperJobs();
    for (const [slice, values] of [[undefined, undefined], [100, undefined], [undefined, 256]] as const) {
      setWeightSlice(slice);
      setBlockValues(values);
      for (const [x, w, options] of [
        ...KERNEL_CONVS,
        [[3, 2, 32, 32], [6, 2, 3, 3], { padding: 1 }], // few taps, many windows: col2im cut at images
        [[1, 64, 6, 6], [8, 64, 3, 3], { padding: 1 }], // many taps: col2im cut at channels
        [[3, 2, 40, 40], [6, 2, 3, 3], { padding: 1 }], // blocks of 3072 windows across images: col2im cut at channels only
        [[4, 2, 32, 48], [6, 2, 3, 3], { padding: 1 }], // blocks of two whole images: col2im cut at images
        [[1, 8, 64, 64], [8, 8, 3, 3], { padding: 1 }], // blocks smaller than an image: δ's pages hold windows of later blocks
      ] as const) {
        for (const dtype of ['float32', 'float64'] as const) {
          const { input, weight, bias, grad } = convInputs(x, w, options, random, dtype);
          const { one, many } = oneAndMany(() => ({
            z: conv2d(input, weight, bias, options), g: conv2dGradients(input, weight, grad, options),
            dx: conv2dInputGrad(input.shape, weight, grad, options), dw: conv2dWeightGrad(input, weight.shape, grad, options).dWeight,
          }));
          const what = `${JSON.stringify(x)} ⋆ ${JSON.stringify(w)} ${JSON.stringify(options)} ${dtype} slice ${slice} block ${values}`;
          same(many.z, one.z, `z ${what}`);
          same(many.g.dInput, one.g.dInput, `dInput ${what}`);
          same(many.g.dWeight, one.g.dWeight, `dWeight ${what}`);
          same(many.dx, one.dx, `conv2dInputGrad ${what}`);
          same(many.dw, one.dw, `conv2dWeightGrad ${what}`);
          // ∂C/∂input into δ's own array (a training run's): this thread's writes beside the helpers' products, one
          // a page of a new ∂C/∂input, never go into δ, read block by block.
          const into = oneAndMany(() => convGradients(input, weight, { ...grad, data: grad.data.slice() }, convInfo(input.shape, weight.shape, options), { input: true, overwrite: true }).dInput!);
          same(into.many, one.g.dInput, `dInput into δ, many threads ${what}`);
          same(into.one, one.g.dInput, `dInput into δ, one thread ${what}`);
        }
      }
    }
    assert.ok(gemmHelperJobs() > taken, 'the helpers took part');
  });

  // The forward in blocks: every thread writes its windows straight into z's layout, and this thread copies the last
  // block out (and starts the next on the bias) while the helpers multiply the next; the bytes of one thread.
  it('the forward: ResNet block at batch 8 and 1, uneven blocks, blocks across images, padded planes = one thread, byte for byte', () => {
    const random = rng(11);
    const bytes = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const taken = gemmHelperJobs();
    for (const [x, w, options, values, dtypes] of [
      [[8, 64, 56, 56], [64, 64, 3, 3], { padding: 1 }, undefined, ['float32']], // 8 blocks of one image
      [[1, 64, 56, 56], [64, 64, 3, 3], { padding: 1 }, undefined, ['float32']], // one block
      [[3, 8, 20, 20], [16, 8, 3, 3], { padding: 1 }, 16 * 800, ['float32', 'float64']], // blocks of two images, the last of one
      [[2, 4, 45, 45], [16, 4, 3, 3], { padding: [0, 1, 2, 1] }, 16 * 1000, ['float32', 'float64']], // 832 windows a block, across images
      [[2, 4, 32, 32], [16, 4, 3, 3], { padding: 1 }, undefined, ['float32', 'float64']], // 2048 windows: planes 2064 apart
      [[3, 6, 21, 21], [8, 3, 3, 3], { padding: 1, stride: 2, groups: 2 }, 8 * 150, ['float32', 'float64']], // groups, several products a block
    ] as const) {
      setBlockValues(values);
      for (const dtype of dtypes) {
        const { input, weight, bias } = convInputs(x, w, options, random, dtype);
        const { one, many } = oneAndMany(() => conv2d(input, weight, bias, options));
        assert.ok(bytes(many).equals(bytes(one)), `z ${JSON.stringify(x)} ⋆ ${JSON.stringify(w)} ${JSON.stringify(options)} ${dtype} block ${values}`);
      }
    }
    setBlockValues();
    assert.ok(gemmHelperJobs() > taken, 'the helpers took part');
  });

  // A network's trace passes its conv's z on as the layer's output (sameAsConvolve): the kernels sum a patch longer than
  // their 384-long runs in pieces, so the bias must come after the whole sum on both paths, as the trace adds it.
  it('a conv trace\'s z = convolve\'s, byte for byte, for patches past the kernel\'s runs, a bias of −0, kernels as rows', () => {
    const random = rng(19);
    const bytes = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    for (const [x, w, options] of [
      [[2, 64, 12, 12], [64, 64, 3, 3], { padding: 1 }], // Kg 576: two runs
      [[1, 100, 9, 9], [24, 100, 3, 3], { padding: 1 }], // Kg 900: three runs
      [[1, 48, 2, 2], [40, 48, 3, 3], { padding: 1 }], // 4 windows, 40 kernels: kernels as rows
      [[2, 96, 7, 7], [8, 48, 3, 3], { padding: 1, groups: 2 }], // groups of 432
    ] as const) {
      for (const dtype of ['float32', 'float64'] as const) {
        const { input, weight, bias } = convInputs(x, w, options, random, dtype);
        bias.data[0] = -0;
        input.data.fill(0, 0, input.data.length / 4); // sums of −0 and +0 products meet the −0 bias
        weight.data[1] = -weight.data[1];
        const info = convInfo(input.shape, weight.shape, options, bias.shape);
        for (const [what, pair] of [['no bias', undefined], ['bias', bias]] as const) {
          const { one, many } = oneAndMany(() => ({ z: conv2d(input, weight, pair, options), traced: convTraceForward(input, weight, pair, info) }));
          const at = `${JSON.stringify(x)} ⋆ ${JSON.stringify(w)} ${dtype} ${what}`;
          assert.ok(one.traced.sameAsConvolve && 'kernels' in one.traced, at);
          assert.ok(bytes(one.traced.z).equals(bytes(one.z)), `one thread: ${at}`);
          assert.ok(bytes(many.traced.z).equals(bytes(one.z)) && bytes(many.z).equals(bytes(one.z)), `threads: ${at}`);
        }
      }
    }
  });

  it('Winograd\'s 36 products a block, as one call\'s jobs: z, ∂C/∂input and ∂C/∂w = one thread\'s, bit for bit, the helpers taking part', () => {
    // Batch-1 layers (each product too small to split: the products are the jobs), ResNet's 56 × 56 among them, and a
    // batch of 3 in blocks of images with kernels in slices: the forward, the turned kernels' convolution, ∂C/∂w.
    const cases: [number[], number[], { blockValues?: number; sliceValues?: number }][] = [
      [[1, 64, 56, 56], [64, 64, 3, 3], {}],
      [[1, 16, 24, 24], [16, 16, 3, 3], {}],
      [[3, 8, 17, 13], [12, 8, 3, 3], { blockValues: 36 * 12 * 20, sliceValues: 36 * 8 * 4 }],
    ];
    try {
      for (const [xShape, wShape, limits] of cases) {
        setWinogradLimits({ minTiles: 1, minProduct: 1, ...limits });
        const random = rng(xShape[0] * 7 + wShape[0]);
        const [x, w, b] = [randomTensor(xShape, random, 'float32'), randomTensor(wShape, random, 'float32'), randomTensor([wShape[0]], random, 'float32')];
        const info = convInfo(x.shape, w.shape, { padding: 1 }, b.shape);
        const delta = randomTensor([xShape[0], wShape[0], info.outHeight, info.outWidth], random, 'float32');
        const turned = turnedInfo(info, 'float32')!;
        const before = gemmHelperJobs();
        const { one, many } = oneAndMany(() => [conv2dWinograd(x, w, b, info)!, inputGradWinograd(w, delta, turned)!, weightGradWinograd(x, delta, info)!.dWeight]);
        one.forEach((t, i) => same(many[i], t, `${xShape} ${['z', 'dA', 'dW'][i]}`));
        // The helpers take part in ResNet's layer (0.8 M multiply-adds a product). The small layers' products take
        // microseconds: a helper not running yet when this thread has taken the last job is let off, so on a busy
        // machine they may all stay here (seen in a full unit run), and only their bits are checked.
        if (xShape[1] !== 64) continue;
        let taken = gemmHelperJobs() > before;
        for (let run = 1; run < 5 && !taken; run++) {
          oneAndMany(() => conv2dWinograd(x, w, b, info));
          taken = gemmHelperJobs() > before;
        }
        assert.ok(taken, `${xShape}: the helpers took none of the products in five runs`);
      }
    } finally {
      setWinogradLimits();
    }
  });

  it('relaxed SIMD (a child Node with the flag): threaded = one thread in both builds', function () {
    const run = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', PROBE], { encoding: 'utf8', timeout: 60_000 });
    assert.strictEqual(run.status, 0, run.stderr);
    const r = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.deepStrictEqual(r, { installed: true, helpers: 2, 'relaxed-simd': 'same', simd: 'same' });
  });

  it('helpers woken ahead of work (wakeGemmHelpers) run no job for the wake, and take part in the products after', () => {
    // ResNet's 56 × 56 layer: products big enough that a helper woken late still finds jobs (a small layer's take
    // microseconds, and a helper not yet running when this thread took the last job is let off: seen in CI).
    const random = rng(11);
    const [x, w] = [randomTensor([1, 64, 56, 56], random, 'float32'), randomTensor([64, 64, 3, 3], random, 'float32')];
    const forward = () => conv2d(x, w, undefined, { padding: 1 });
    // A wake right before the products (the helpers poll), one long before them (they slept again), one with no
    // product after it: the next call's jobs are each run once, by one thread, as without a wake.
    for (const [wakeMs, idleMs] of [[50, 0], [1, 30], [0, 0]]) {
      const before = gemmHelperJobs();
      wakeGemmHelpers(wakeMs);
      const until = Date.now() + idleMs;
      while (Date.now() < until) { /* the helpers' poll runs out */ }
      const { one, many } = oneAndMany(forward);
      same(many, one, `woken for ${wakeMs} ms, ${idleMs} ms before the product`);
      let taken = gemmHelperJobs() > before;
      for (let run = 1; run < 5 && !taken; run++) {
        oneAndMany(forward);
        taken = gemmHelperJobs() > before;
      }
      assert.ok(taken, `woken for ${wakeMs} ms: the helpers took none of the products in five runs`);
    }
    wakeGemmHelpers(1);
  });

  it('a product under the work threshold runs on the calling thread alone', () => {
    const args = [64, 64, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1000];
    assert.strictEqual(splitGemm(args, 2, { rowUnit: 1, colUnit: 1 }).length, 1);
  });
});

describe('cutting a product across threads', () => {
  afterEach(() => setMinThreadWork());
  /** The [from, to) ranges of the cut dimension, from the jobs' offset tables. */
  const ranges = (jobs: number[][], byRows: boolean) => jobs.map(j => [(j[byRows ? 4 : 8] - 4000) / 4, (j[byRows ? 4 : 8] - 4000) / 4 + j[byRows ? 0 : 1]]);

  it('covers C once, in whole units, the larger dimension allowed, in at most two jobs a thread', () => {
    setMinThreadWork(1);
    fc.assert(fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 8 }),
      fc.boolean(), (M, N, rowUnit, colUnit, threads, scatter) => {
        const split = { rowUnit, colUnit, scatter };
        const args = [M, N, 7, 0, 4000, 0, 0, 0, 4000, 0, 4000, 4000, 100, rowBlock(split)];
        const jobs = splitGemm(args, threads, split);
        // A scatter's kernel takes A in whole channels where some fit (a multiple of 4 rows, at most its 96), else 96.
        const rows = rowBlock(split) || 96;
        assert.ok(rows % 4 === 0 && rows <= 96 && (rows === 96 || (scatter && rows % rowUnit === 0)), `row block ${rows}`);
        assert.ok(jobs.length >= 1 && jobs.length <= 2 * threads);
        if (jobs.length === 1) return;
        const byRows = jobs[0][0] !== M;
        // A scatter also keeps the kernel's blocks of rows or of 1024 columns whole.
        const [size, unit, block] = byRows ? [M, rowUnit, scatter ? rows : 1] : [N, colUnit, scatter ? 1024 : 1];
        assert.ok(unit > 0, 'a forbidden dimension is never cut');
        const r = ranges(jobs, byRows);
        assert.strictEqual(r[0][0], 0);
        assert.strictEqual(r[r.length - 1][1], size);
        r.forEach(([from, to], i) => {
          assert.ok(to > from);
          if (i > 0) assert.strictEqual(from, r[i - 1][1]);
          assert.strictEqual(from % unit + from % block, 0, `cut at ${from}, unit ${unit}, block ${block}`);
          assert.deepStrictEqual([jobs[i][byRows ? 1 : 0], jobs[i][12], jobs[i][13]], [byRows ? N : M, 100, args[13]]);
        });
      }), { numRuns: 300 });
  });
});

describe('helper threads: installing and ending', () => {
  it('without a way to start threads, products stay on one thread', () => {
    assert.strictEqual(setGemmThreads(2), false);
    assert.strictEqual(setGemmThreads(0, () => assert.fail('no helper for 0')), false);
    assert.strictEqual(gemmThreadsReady(), 0);
    assert.strictEqual(wasmKernel(), 'simd');
  });

  it('the CLI with helpers writes a big output whole into a slow pipe (its fd 1 stays blocking)', function () {
    if (process.platform === 'win32') this.skip();
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cvd-threads-'));
    try {
      const random = rng(3);
      // (1, 32, 40, 40) ⋆ 32 kernels 3×3: 14.7M multiply-adds a pass, so the helpers start.
      fs.writeFileSync(path.join(dir, 'x.npy'), encodeNpy(randomTensor([1, 32, 40, 40], random, 'float32')));
      fs.writeFileSync(path.join(dir, 'w.npy'), encodeNpy(randomTensor([32, 32, 3, 3], random, 'float32')));
      fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify({ input: { npy: 'x.npy' }, weight: { npy: 'w.npy' }, padding: 1, dtype: 'float32' }));
      const cli = path.resolve(__dirname, '../../src/cli/convTrace.js');
      const full = spawnSync(process.execPath, [cli, 'spec.json', '--only', 'z'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, CVD_THREADS: '2' } });
      assert.strictEqual(full.status, 0, full.stderr);
      const slow = spawnSync('sh', ['-c', `"${process.execPath}" "${cli}" spec.json --only z | (sleep 1; wc -c)`], { cwd: dir, encoding: 'utf8', env: { ...process.env, CVD_THREADS: '2' } });
      assert.strictEqual(slow.stderr, '');
      assert.strictEqual(Number(slow.stdout.trim()), Buffer.byteLength(full.stdout));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('end with the worker thread that started them (a cancelled trace)', function () {
    if (!fs.existsSync('/proc/self/task')) this.skip();
    this.timeout(60_000);
    const run = spawnSync(process.execPath, [PROBE, 'end'], { encoding: 'utf8', timeout: 60_000 });
    assert.strictEqual(run.status, 0, run.stderr);
    const r = JSON.parse(run.stdout) as { helpers: number; before: number; running: number; after: number };
    assert.strictEqual(r.helpers, 2);
    assert.ok(r.running >= r.before + 3, `a worker and its two helpers: ${JSON.stringify(r)}`);
    assert.ok(r.after <= r.before, `all ended: ${JSON.stringify(r)}`);
  });
});

describe('with helpers installed, a conv too small to split', function () {
  this.timeout(60_000);
  before(() => assert.ok(installNodeGemmThreads(2), 'threads install in Node'));
  after(() => setGemmThreads(0));

  it('runs on a memory of its own (JS copies into a shared one are slower), a big one on the helpers\' shared memory', () => {
    const memoryOf = (x: number[], w: number[]) => {
      const info = convInfo(x, w, { padding: 1 });
      const p = prepare(info, [{ shape: x, dtype: 'float32', data: new Float32Array(x.reduce((a, b) => a * b)) }], 8, () => ({}));
      assert.ok(p, 'the kernels ran');
      return p.floats.buffer;
    };
    // LeNet's conv1 at batch 16: 1.4M multiply-adds, under two threads' worth (minThreadWork each).
    assert.ok(!(memoryOf([16, 1, 28, 28], [6, 1, 5, 5]) instanceof SharedArrayBuffer), 'LeNet conv1 on its own memory');
    assert.ok(memoryOf([1, 64, 56, 56], [64, 64, 3, 3]) instanceof SharedArrayBuffer, 'the ResNet block on the shared memory');
  });

  it('∂C/∂input alone on a memory of its own where col2im cannot be cut across threads, else shared', () => {
    const own = (x: number[], w: number[], options: ConvOptions) => inputGradOwnMemory(convInfo(x, w, options));
    // The ResNet stem at batch 8: 3 channels of 49 taps (cut at channels in 96-row units: none), blocks of δ not whole images.
    assert.ok(own([8, 3, 224, 224], [64, 3, 7, 7], { stride: 2, padding: 3 }), 'the stem');
    // 64 channels of 9 taps: two 288-row units; whole images at batch 8.
    assert.ok(!own([1, 64, 56, 56], [64, 64, 3, 3], { padding: 1 }), 'the ResNet block, batch 1');
    assert.ok(!own([8, 3, 32, 32], [16, 3, 3, 3], { padding: 1 }), 'small images, blocks of whole ones');
    // Whichever memory, the same gradient: alone (its own memory) as with ∂C/∂w (the shared one).
    const random = rng(5);
    const { input, weight, grad } = convInputs([2, 3, 40, 40], [8, 3, 7, 7], { stride: 2, padding: 3 }, random, 'float32');
    assert.ok(own([2, 3, 40, 40], [8, 3, 7, 7], { stride: 2, padding: 3 }));
    const fast = conv2dInputGrad(input.shape, weight, grad, { stride: 2, padding: 3 });
    const shared = conv2dGradients(input, weight, grad, { stride: 2, padding: 3 }).dInput;
    same(fast, shared, 'the stem-like ∂C/∂input');
  });
});
