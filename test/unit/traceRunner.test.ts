// The worker-thread runner: results, spec errors and cancellation cross the thread boundary.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { SpecError } from '../../src/specReader/source';
import { type AnyTrace, isNetworkTrace } from '../../src/specReader/convSpec';
import { nodeTraceWorkers } from '../../src/extension/trace/nodeTraceWorkers';
import { TraceCancelled, TraceWorker, runGradientCheck, runKeptTrace, runTrace, reusingWorkers } from '../../src/extension/trace/traceRunner';
import { ProblemError, reusableArrays, runWorkerJob } from '../../src/extension/trace/traceJob';
import { RunKeeper } from '../../src/extension/trace/keptRun';
import { warmUpJob } from '../../src/extension/trace/warmUp';
import { type ConvTrace, recordedTensors } from '../../src/engine/trace';
import { wholeArrays } from '../../src/engine/recycledBuffers';
import type { NetworkTrace } from '../../src/engine/network';
import { encodeNpy } from '../../src/specReader/npy';

const ROOT = path.join(__dirname, '../../..');
const WORKER = nodeTraceWorkers(path.join(ROOT, 'dist/traceWorker.js'));
const seed = fs.readFileSync(path.join(ROOT, 'examples/seed.conv.json'), 'utf8');

describe('trace runner (worker thread)', () => {
  it('returns the trace with typed arrays intact', async () => {
    const trace = await runTrace({ file: 'seed.conv.json', text: seed, options: {} }, WORKER) as ConvTrace;
    assert.ok(trace.tensors.z!.data instanceof Float64Array);
    assert.deepStrictEqual([...trace.tensors.z!.data].slice(0, 3), [296, 250, 288]);
  });

  it('checks a cell of a gradient in the worker: the spec read again, the finite difference beside the analytic value', async () => {
    const trace = await runTrace({ file: 'seed.conv.json', text: seed, options: {} }, WORKER) as ConvTrace;
    const dW = trace.tensors.dW!;
    const job = { file: 'seed.conv.json', text: seed, options: {}, gradient: { name: 'dW', index: [1, 2, 0, 1], analytic: { shape: dW.shape, dtype: dW.dtype, data: dW.data } } };
    for (const workers of [WORKER, undefined]) {
      const check = await runGradientCheck(job, workers);
      assert.strictEqual(check.analytic, dW.data[((1 * 3 + 2) * 2 + 0) * 2 + 1]);
      assert.ok(check.agrees && Math.abs(check.numeric - check.analytic) < 1e-6, JSON.stringify(check));
      assert.strictEqual(check.of, 'weight');
    }
    // The engine's problem crosses as data, for the host to word in its language.
    await assert.rejects(runGradientCheck({ ...job, gradient: { ...job.gradient, name: 'a_t' } }, WORKER), (e: unknown) => {
      assert.ok(e instanceof ProblemError);
      assert.strictEqual(e.problem.code, 'gradcheck.notGradient');
      return true;
    });
  });

  it('rethrows spec problems as SpecError with their position', async () => {
    await assert.rejects(runTrace({ file: 'bad.json', text: '{"input": [1,}', options: {} }, WORKER), (e: unknown) => {
      assert.ok(e instanceof SpecError);
      assert.strictEqual(e.position?.line, 1);
      return true;
    });
  });

  it('cancels a long run at once', async () => {
    const big = JSON.stringify({ input: [Array.from({ length: 64 }, () => Array.from({ length: 96 }, () => new Array(96).fill(1)))], weight: Array.from({ length: 64 }, () => Array.from({ length: 64 }, () => [[1, 1, 1], [1, 1, 1], [1, 1, 1]])), padding: 1 });
    const abort = new AbortController();
    const started = Date.now();
    const run = runTrace({ file: 'big.json', text: big, options: {} }, WORKER, abort.signal);
    setTimeout(() => abort.abort(), 50);
    await assert.rejects(run, TraceCancelled);
    assert.ok(Date.now() - started < 2000, 'cancelled promptly');
  });

  it('lends a run\'s .npy files to the worker (whole arrays only) and takes them back with the answer', async () => {
    const f32 = (shape: number[], f: (i: number) => number) => encodeNpy({ shape, dtype: 'float32', data: Float32Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => f(i)) });
    const x = f32([1, 2, 9, 9], i => Math.sin(i));
    // A small file as Node reads it: a view into the pool of Buffers, whose other bytes are not the file's.
    const w = Buffer.from(f32([3, 2, 3, 3], i => Math.cos(i) / 4));
    assert.ok(w.byteOffset > 0 || w.buffer.byteLength > w.byteLength, 'a pooled Buffer');
    const text = JSON.stringify({ dtype: 'float32', input: { npy: 'x.npy' }, layers: [{ type: 'conv2d', weight: { npy: 'w.npy' }, padding: 1 }, { type: 'relu' }] });
    const xBytes = x.slice();
    const wBytes = Uint8Array.from(w);
    const lentValues = async (lend: boolean) => {
      const npy: Record<string, Uint8Array> = { 'x.npy': x.slice(), 'w.npy': w };
      const given = npy['x.npy'];
      const run = runKeptTrace({ file: 'lend.conv.json', text, options: {}, npy, ...(lend ? { lendNpy: true as const } : {}) }, WORKER);
      // Handed over as the job started (the worker's until it answers), or copied; the pooled Buffer always copied.
      assert.strictEqual(given.byteLength, lend ? 0 : xBytes.byteLength);
      assert.deepStrictEqual(Uint8Array.from(w), wBytes);
      const { trace, kept } = await run;
      kept?.release();
      // Back in the job's record, as they were: a gradient check or an attribution reads them again.
      assert.strictEqual(npy['w.npy'], w);
      assert.ok(lend ? npy['x.npy'] !== given : npy['x.npy'] === given);
      assert.deepStrictEqual(Uint8Array.from(npy['x.npy']), xBytes);
      return (trace as NetworkTrace).layers.flatMap(l => recordedTensors(l.tensors).map(t => Array.from(t.data)));
    };
    assert.deepStrictEqual(await lentValues(true), await lentValues(false));
  });

  describe('a re-run in the arrays of the trace it replaced (TraceJob.reuse)', () => {
    // Strided, padded, float32 (the kernels' path) and float64: every tensor, statistic and stage is a fresh run's.
    const specs: [string, string, { dtype?: 'float32' }][] = [
      ['seed.conv.json', seed, {}],
      ['strided.conv.json', JSON.stringify({ input: [[[[1, -2, 3, 0, 5], [2, 2, -1, 4, 1], [0, 3, 1, -2, 2], [4, -1, 0, 1, 3], [1, 1, 2, -3, 0]], [[2, 0, 1, 1, -1], [3, 1, -2, 0, 2], [1, 4, 0, 2, -1], [0, 2, 3, 1, 1], [-2, 1, 0, 3, 2]]]], weight: [[[[1, 0, -1], [2, 1, 0], [0, 1, 1]], [[-1, 2, 0], [1, 0, 1], [2, -1, 0]]], [[[0, 1, 0], [1, -1, 1], [0, 1, 0]], [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]]], bias: [0.5, -1], stride: 2, padding: 1 }), { dtype: 'float32' }],
    ];
    for (const [file, text, options] of specs) {
      it(`${file}: the worker takes them all (they leave this thread) and its trace is a fresh run's, whatever they held`, async () => {
        const fresh = await runKeptTrace({ file, text, options }, WORKER);
        const replaced = (await runKeptTrace({ file, text, options }, WORKER)).trace as ConvTrace;
        const arrays = wholeArrays(recordedTensors(replaced.tensors));
        const bytes = arrays.reduce((sum, a) => sum + a.byteLength, 0);
        // What the replaced trace held must not show through: NaN everywhere (a pass that adds into its output would keep it).
        for (const a of arrays) a.fill(NaN);
        const rerun = await runKeptTrace({ file, text, options, reuse: arrays }, WORKER);
        assert.strictEqual(rerun.reusedBytes, bytes, 'every array reused');
        assert.ok(arrays.every(a => a.byteLength === 0), 'handed over to the worker, not copied');
        assert.deepStrictEqual(rerun.trace, fresh.trace);
      });
    }

    it('a changed spec takes the arrays that fit; inline (no worker) none are taken and they stay the caller\'s', async () => {
      const replaced = (await runKeptTrace({ file: 'seed.conv.json', text: seed, options: {} }, WORKER)).trace as ConvTrace;
      const arrays = wholeArrays(recordedTensors(replaced.tensors));
      const before = arrays.map(a => Array.from(a));
      const inline = await runKeptTrace({ file: 'seed.conv.json', text: seed, options: {}, reuse: arrays }, undefined);
      assert.strictEqual(inline.reusedBytes, undefined);
      assert.deepStrictEqual(arrays.map(a => Array.from(a)), before, 'untouched');
      // One more kernel: z, z_t, δ and the weight's tensors change length; the input's and a_t's do not.
      const spec = JSON.parse(seed) as { weight: number[][][][]; bias: number[] };
      const changed = JSON.stringify({ ...spec, weight: [...spec.weight, spec.weight[0]], bias: [...spec.bias, 3] });
      const rerun = await runKeptTrace({ file: 'changed.conv.json', text: changed, options: {}, reuse: arrays }, WORKER);
      const all = before.reduce((sum, a) => sum + a.length * 8, 0);
      assert.ok(rerun.reusedBytes! > 0 && rerun.reusedBytes! < all, `${rerun.reusedBytes} of ${all} bytes`);
      assert.deepStrictEqual(rerun.trace, (await runKeptTrace({ file: 'changed.conv.json', text: changed, options: {} }, WORKER)).trace);
    });
  });

  /** Workers made by `reusingWorkers` around real ones, each job and end logged as `w<n> runs <file or job>`. */
  function loggedWorkers() {
    const made: string[] = [];
    const events: string[] = [];
    const workers = reusingWorkers(() => {
      const id = `w${made.length}`;
      made.push(id);
      const worker = WORKER();
      return {
        start: (job, settle) => {
          const what = 'file' in job ? job.file : Object.keys(job)[0];
          events.push(`${id} runs ${what}`);
          worker.start(job, outcome => {
            if (what === 'dropRun') drops++;
            settle(outcome);
          });
        },
        terminate: () => { events.push(`${id} ends`); worker.terminate(); },
      } satisfies TraceWorker;
    });
    let drops = 0;
    /** Until `n` drops were answered (a worker a run was done with is idle once it answered the drop of its run). */
    const dropped = async (n: number) => {
      for (const end = Date.now() + 10_000; drops < n && Date.now() < end;) await new Promise(resolve => setTimeout(resolve, 10));
      assert.strictEqual(drops, n, 'drops answered');
    };
    return { made, events, workers, dropped };
  }

  it('runs each run on the worker the run before was done with; a spec\'s problem keeps it, a cancelled run ends its own', async () => {
    const { made, events, workers, dropped } = loggedWorkers();
    const first = await runTrace({ file: 'a.json', text: seed, options: {} }, workers) as ConvTrace;
    await dropped(1);
    const second = await runTrace({ file: 'b.json', text: seed, options: {} }, workers) as ConvTrace;
    assert.deepStrictEqual([first.tensors.z!.data[0], second.tensors.z!.data[0]], [296, 296]);
    await dropped(2);
    await assert.rejects(runTrace({ file: 'bad.json', text: '{"input": [1,}', options: {} }, workers), SpecError);
    await dropped(3);
    const abort = new AbortController();
    const cancelled = runTrace({ file: 'c.json', text: seed, options: {} }, workers, abort.signal);
    abort.abort();
    await assert.rejects(cancelled, TraceCancelled);
    const fourth = await runTrace({ file: 'd.json', text: seed, options: {} }, workers) as ConvTrace;
    assert.strictEqual(fourth.tensors.z!.data[0], 296);
    await dropped(4);
    workers.dispose();
    assert.deepStrictEqual(made, ['w0', 'w1']);
    assert.deepStrictEqual(events, [
      'w0 runs a.json', 'w0 runs dropRun', 'w0 runs b.json', 'w0 runs dropRun', 'w0 runs bad.json', 'w0 runs dropRun',
      'w0 runs c.json', 'w0 ends', 'w1 runs d.json', 'w1 runs dropRun', 'w1 ends',
    ]);
  });

  it('keeps a worker idle only when its drop says it may be reused (its kernel memory not grown big)', async () => {
    for (const reusable of [true, false]) {
      let made = 0;
      let ended = 0;
      let drops = 0;
      const workers = reusingWorkers(() => {
        made++;
        return {
          start: (job, settle) => setImmediate(() => {
            if ('dropRun' in job) drops++;
            settle('dropRun' in job ? { ok: true, reusable } : { ok: true, trace: {} as ConvTrace });
          }),
          terminate: () => { ended++; },
        } satisfies TraceWorker;
      });
      for (let run = 1; run <= 3; run++) {
        await runTrace({ file: 'a.json', text: seed, options: {} }, workers);
        for (const end = Date.now() + 5000; drops < run && Date.now() < end;) await new Promise(resolve => setTimeout(resolve, 5));
      }
      assert.deepStrictEqual({ made, ended }, reusable ? { made: 1, ended: 0 } : { made: 3, ended: 3 }, `reusable ${reusable}`);
      workers.dispose();
    }
  });

  it('a network run kept in its worker: once let go, its worker drops it and takes the next run', async () => {
    const { made, events, workers, dropped } = loggedWorkers();
    const lenet = fs.readFileSync(path.join(ROOT, 'examples/lenet.conv.json'), 'utf8');
    const first = await runKeptTrace({ file: 'lenet.conv.json', text: lenet, options: { dtype: 'float32' } }, workers);
    assert.ok(first.kept, 'the run is kept');
    const layer = await first.kept.traceLayer(0);
    assert.ok(layer.tensors.z);
    first.kept.release();
    await dropped(1);
    await assert.rejects(first.kept.traceLayer(0), /let go/);
    const second = await runKeptTrace({ file: 'lenet.conv.json', text: lenet, options: { dtype: 'float32' } }, workers);
    assert.deepStrictEqual(Array.from((await second.kept!.traceLayer(0)).tensors.z!.data), Array.from(layer.tensors.z!.data));
    second.kept!.release();
    await dropped(2);
    workers.dispose();
    assert.deepStrictEqual(made, ['w0']);
    assert.deepStrictEqual(events, ['w0 runs lenet.conv.json', 'w0 runs traceLayer', 'w0 runs dropRun', 'w0 runs lenet.conv.json', 'w0 runs traceLayer', 'w0 runs dropRun', 'w0 ends']);
  });

  it('a re-run (the run on show let go just before) waits for that worker\'s drop rather than making one, and runs in the memory of the run it replaces', async () => {
    const { made, events, workers, dropped } = loggedWorkers();
    const lenet = fs.readFileSync(path.join(ROOT, 'examples/lenet.conv.json'), 'utf8');
    const job = { file: 'lenet.conv.json', text: lenet, options: { dtype: 'float32' as const } };
    const network = (trace: AnyTrace) => { assert.ok(isNetworkTrace(trace)); return trace; };
    let shown = await runKeptTrace(job, workers);
    assert.strictEqual(shown.reusedBytes, undefined, 'a first run has no memory to reuse');
    const values = (trace: AnyTrace) => network(trace).layers.map(l => Array.from(l.tensors.z?.data ?? l.tensors.delta?.data ?? []));
    const first = values(shown.trace);
    for (let run = 2; run <= 3; run++) {
      // What the panel does: 'running' lets the shown run go (its worker drops it, its lean trace's arrays are spare),
      // then the run starts with them, with no wait between.
      const reuse = reusableArrays(shown.trace);
      const copies = wholeArrays(network(shown.trace).layers.filter(l => l.lean).flatMap(l => recordedTensors(l.tensors))).reduce((n, d) => n + d.byteLength, 0);
      shown.kept!.release();
      shown = await runKeptTrace({ ...job, reuse }, workers);
      assert.deepStrictEqual(values(shown.trace), first, `run ${run}: the values of a fresh run`);
      assert.ok(reuse.every(d => d.length === 0), 'the arrays went to the worker');
      // Its copies in the lean trace's arrays, its passes in the dropped run's.
      assert.ok(shown.reusedBytes! > copies, `run ${run}: reused ${shown.reusedBytes} bytes, the copies alone ${copies}`);
    }
    shown.kept!.release();
    await dropped(3);
    workers.dispose();
    assert.deepStrictEqual(made, ['w0']);
    assert.deepStrictEqual(events, ['w0 runs lenet.conv.json', 'w0 runs dropRun', 'w0 runs lenet.conv.json', 'w0 runs dropRun', 'w0 runs lenet.conv.json', 'w0 runs dropRun', 'w0 ends']);
  });

  it('warm() makes the idle worker ahead of the first run: the warm-up then its drop; the first run takes it', async () => {
    const { made, events, workers, dropped } = loggedWorkers();
    workers.warm(warmUpJob({}));
    workers.warm(warmUpJob({})); // Once: a worker warming (or idle) is enough.
    await dropped(1);
    const trace = await runTrace({ file: 'a.json', text: seed, options: {} }, workers) as ConvTrace;
    assert.strictEqual(trace.tensors.z!.data[0], 296);
    await dropped(2);
    workers.warm(warmUpJob({})); // A run took a worker: nothing made.
    workers.dispose();
    assert.deepStrictEqual(made, ['w0']);
    assert.deepStrictEqual(events, ['w0 runs warm-up.conv.json', 'w0 runs dropRun', 'w0 runs a.json', 'w0 runs dropRun', 'w0 ends']);
  });

  it('no warm-up once a run took a worker (it would compete with that run)', async () => {
    const { made, workers } = loggedWorkers();
    const running = runTrace({ file: 'a.json', text: seed, options: {} }, workers);
    assert.strictEqual(workers.warm(warmUpJob({})), undefined);
    await running;
    workers.dispose();
    assert.deepStrictEqual(made, ['w0']);
  });

  it('a run asked for during the warm-up waits for it on that worker; one that died is replaced', async () => {
    const { made, events, workers, dropped } = loggedWorkers();
    workers.warm(warmUpJob({ dtype: 'float32' }));
    const trace = await runTrace({ file: 'a.json', text: seed, options: {} }, workers) as ConvTrace;
    assert.strictEqual(trace.tensors.z!.data[0], 296);
    await dropped(2);
    workers.dispose();
    assert.deepStrictEqual(made, ['w0']);
    assert.deepStrictEqual(events, ['w0 runs warm-up.conv.json', 'w0 runs dropRun', 'w0 runs a.json', 'w0 runs dropRun', 'w0 ends']);
    // A warm-up whose worker dies: the run waiting for it gets a fresh worker, the dead one is ended.
    const log: string[] = [];
    let count = 0;
    const dying = reusingWorkers(() => {
      const id = `w${count++}`;
      return {
        start: (job, settle) => {
          log.push(`${id} runs ${'file' in job ? job.file : Object.keys(job)[0]}`);
          setImmediate(() => settle('file' in job && job.file === 'warm-up.conv.json' ? new Error('trace worker exited with code 1') : 'dropRun' in job ? { ok: true, reusable: true } : { ok: true, trace: {} as ConvTrace }));
        },
        terminate: () => { log.push(`${id} ends`); },
      } satisfies TraceWorker;
    });
    dying.warm(warmUpJob({}));
    await runTrace({ file: 'b.json', text: seed, options: {} }, dying);
    dying.dispose();
    assert.deepStrictEqual(log.slice(0, 3), ['w0 runs warm-up.conv.json', 'w0 ends', 'w1 runs b.json']);
  });

  it('the warm-up job runs the product\'s path: a network run lean and kept, its first layer traced (float64 and float32)', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const result = runWorkerJob(warmUpJob({ dtype }), new RunKeeper());
      assert.ok(result.ok && 'kept' in result && result.kept && result.opened?.layer.stages.length, JSON.stringify(!result.ok && result.message));
      assert.strictEqual(result.opened.layer.tensors.z?.dtype, dtype);
    }
  });

  it('runs inline without a worker script (web host)', async () => {
    const trace = await runTrace({ file: 'seed.conv.json', text: seed, options: { backward: false } }, undefined) as ConvTrace;
    assert.strictEqual(trace.tensors.dA, undefined);
  });
});
