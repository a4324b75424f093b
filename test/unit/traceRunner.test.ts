// The worker-thread runner: results, spec errors and cancellation cross the thread boundary.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { SpecError } from '../../src/specReader/source';
import { nodeTraceWorkers } from '../../src/extension/trace/nodeTraceWorkers';
import { TraceCancelled, TraceWorker, runGradientCheck, runTrace, withSpare } from '../../src/extension/trace/traceRunner';
import { ProblemError } from '../../src/extension/trace/traceJob';
import type { ConvTrace } from '../../src/engine/trace';

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

  it('keeps one worker started ahead: each run takes the one made before it, and a cancelled run takes only its own', async () => {
    const made: string[] = [];
    const events: string[] = [];
    const spared = withSpare(() => {
      const id = `w${made.length}`;
      made.push(id);
      const worker = WORKER();
      return {
        start: (job, settle) => { events.push(`${id} runs ${(job as { file: string }).file}`); worker.start(job, settle); },
        terminate: () => { events.push(`${id} ends`); worker.terminate(); },
      } satisfies TraceWorker;
    });
    const first = await runTrace({ file: 'a.json', text: seed, options: {} }, spared) as ConvTrace;
    const second = await runTrace({ file: 'b.json', text: seed, options: {} }, spared) as ConvTrace;
    assert.deepStrictEqual([first.tensors.z!.data[0], second.tensors.z!.data[0]], [296, 296]);
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(runTrace({ file: 'c.json', text: seed, options: {} }, spared, abort.signal), TraceCancelled);
    spared.dispose();
    assert.deepStrictEqual(made, ['w0', 'w1', 'w2']);
    assert.deepStrictEqual(events, ['w0 runs a.json', 'w0 ends', 'w1 runs b.json', 'w1 ends', 'w2 ends']);
  });

  it('runs inline without a worker script (web host)', async () => {
    const trace = await runTrace({ file: 'seed.conv.json', text: seed, options: { backward: false } }, undefined) as ConvTrace;
    assert.strictEqual(trace.tensors.dA, undefined);
  });
});
