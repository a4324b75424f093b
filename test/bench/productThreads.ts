// Issue #20's "all cores used by the product": the product's own entry points, built (dist/), on a network of two
// ResNet-block convolutions ((B, 64, 56, 56), 64 kernels 3×3 p1, ReLU between, mse) in float32, its tensors in .npy
// files, with their helper threads (the default) and with CVD_THREADS=1 (one thread), in turns: the CLI at batch 1
// (conv-trace SPEC --only 'layers[2].dW': a whole process, the network traced) and the trace worker at batch 1 and
// at batch 8 (dist/traceWorker.js answering the panel's job: the network's lean run, kept). The worker, which keeps
// its helpers from run to run, must be faster with them; the CLI, a process of ~0.3–0.6 s whose products are
// ~50 ms, plans them under the work it starts helpers for (0.7G multiply-adds, THREADS_FROM_MULTIPLY_ADDS) and must
// be no slower (within 3 %).

import { fork, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { Tensor } from '../../src/engine/tensor';
import { encodeNpy } from '../../src/specReader/npy';
import type { AnyTrace } from '../../src/specReader/convSpec';
import { type WorkerJob, type WorkerResult, jobBuffers, reusableArrays, takeBackNpy } from '../../src/extension/trace/traceJob';
import { CASES, caseData } from './convCases';

/** A run with threads must take at most this share of the one-thread time to count as using them. */
const GAIN = 0.95;
/** A run that falls back to one thread must take at most this share (noise). */
const NO_SLOWER = 1.03;

export interface ProductRun { what: string; oneMs: number; threadsMs: number; met: boolean; goal: string }

/** A network spec's text and its .npy files by name. */
type Spec = { text: string; npy: Record<string, Uint8Array> };

/** The network spec and its .npy files (by name) from a case's seeded data (3: the ResNet layer at batch 1, 4: at batch 8). */
export function networkSpec(caseId = 3): Spec {
  const c = CASES.find(k => k.id === caseId)!;
  const d = caseData(c);
  const f32 = (shape: readonly number[], values: Float64Array): Tensor => ({ shape: [...shape], dtype: 'float32', data: Float32Array.from(values) });
  const npy = {
    'x.npy': encodeNpy(f32(c.input, d.x)), 'w1.npy': encodeNpy(f32(c.weight, d.w)),
    'w2.npy': encodeNpy(f32(c.weight, d.w.map(v => -v))), 'target.npy': encodeNpy(f32(c.input, d.grad)),
  };
  const conv = (w: string) => ({ type: 'conv2d', weight: { npy: w }, padding: 1 });
  const text = JSON.stringify({ dtype: 'float32', input: { npy: 'x.npy' }, layers: [conv('w1.npy'), { type: 'relu' }, conv('w2.npy')], loss: { type: 'mse', target: { npy: 'target.npy' } } });
  return { text, npy };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** This process's environment with CVD_THREADS=`threads`, or without it (the default: every core). */
function threadsEnv(threads: string | undefined): NodeJS.ProcessEnv {
  const env = { ...process.env, CVD_THREADS: threads };
  if (threads === undefined) delete env.CVD_THREADS;
  return env;
}

/** The CLI on the spec: wall time of the whole process. */
function cliMs(root: string, spec: string, threads: string | undefined): number {
  const env = threadsEnv(threads);
  const t0 = performance.now();
  const run = spawnSync(process.execPath, [path.join(root, 'dist/cli.js'), spec, '--only', 'layers[2].dW'], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`conv-trace failed: ${run.stderr}`);
  return performance.now() - t0;
}

/**
 * A trace worker (dist/traceWorker.js) with or without its threads, and its answer time to the panel's job (keep the
 * lean run) as the panel's re-run asks it: the run on show let go (dropRun) first, the job after its answer with the
 * arrays of the lean trace it replaces (TraceJob.reuse, handed over) and its .npy files lent (TraceJob.lendNpy).
 */
function traceWorker(root: string, threads: string | undefined): { job(file: string, spec: Spec): Promise<number>; end(): Promise<number> } {
  const worker = new Worker(path.join(root, 'dist/traceWorker.js'), { env: threadsEnv(threads) });
  const ask = (job: WorkerJob, transfer: ArrayBuffer[] = []) => new Promise<WorkerResult>((resolve, reject) => {
    const fail = (e: Error) => reject(e);
    worker.once('error', fail);
    worker.once('message', m => { worker.off('error', fail); resolve(m); });
    worker.postMessage(job, transfer);
  });
  let shown: AnyTrace | undefined;
  return {
    job: async (file, spec) => {
      const t0 = performance.now();
      const reuse = shown && reusableArrays(shown);
      if (shown) await ask({ dropRun: true });
      // The .npy files lent, as the panel's run of a spec document lends those it read for it.
      const job: WorkerJob = { file, text: spec.text, npy: spec.npy, lendNpy: true, options: { backward: true }, keep: true, ...(reuse ? { reuse } : {}) };
      const result = await ask(job, jobBuffers(job));
      takeBackNpy(job, result);
      if (!result.ok || !('trace' in result)) throw new Error(`trace worker: ${!result.ok ? result.message : 'no trace'}`);
      shown = result.trace;
      return performance.now() - t0;
    },
    end: () => worker.terminate(),
  };
}

/**
 * The trace workers' side, in a process of its own (`fork`ed with --worker-host DIR): a process that spawns one (the
 * CLI's rounds) leaves every page of its own memory copy-on-write, and each first write to one afterwards faults
 * (~27 ms for 8 MB here), the trace workers' memory too. The extension host never spawns the CLI. Answers each
 * round (`{ round, batch }`) with the two workers' job times on that batch's network, in turns.
 */
async function workerHost(root: string, dir: string): Promise<void> {
  // A pair of workers a batch, each re-running one spec as a panel does (a run after another of other sizes would
  // find none of its arrays in the dropped run's).
  const pairs = new Map(BATCHES.map(b => [b.batch, { network: networkSpec(b.caseId), one: traceWorker(root, '1'), all: traceWorker(root, undefined) }]));
  // The first jobs start a worker's helpers and warm it up: what a panel's later runs cost is timed.
  for (const [batch, { network, one, all }] of pairs) for (let i = 0; i < 2; i++) { await one.job(specPath(dir, batch), network); await all.job(specPath(dir, batch), network); }
  process.on('message', (m: { round?: number; batch?: number }) => void (async () => {
    if (m.round === undefined || m.batch === undefined) {
      await Promise.all([...pairs.values()].flatMap(p => [p.one.end(), p.all.end()]));
      process.disconnect();
      return;
    }
    const { network, one, all } = pairs.get(m.batch)!;
    const spec = specPath(dir, m.batch);
    const times = { one: 0, threads: 0 };
    const jobs = [async () => { times.one = await one.job(spec, network); }, async () => { times.threads = await all.job(spec, network); }];
    for (const job of m.round % 2 ? jobs.reverse() : jobs) await job();
    process.send!(times);
  })());
  process.send!({ ready: true });
}

/** The worker's networks: the ResNet-block convs at batch 1 (the CLI's too) and at batch 8. */
const BATCHES = [{ batch: 1, caseId: 3 }, { batch: 8, caseId: 4 }];
const specPath = (dir: string, batch: number) => path.join(dir, `b${batch}`, 'resnet-convs.conv.json');

type Times = { one: number[]; threads: number[] };

/** Both entry points, one thread and all cores in turns (a change in the machine's load falls on both), `rounds` times, each first in half of them. */
export async function productThreads(root: string, rounds = 8): Promise<ProductRun[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cvd-threads-'));
  for (const { batch, caseId } of BATCHES) {
    const network = networkSpec(caseId);
    fs.mkdirSync(path.dirname(specPath(dir, batch)));
    fs.writeFileSync(specPath(dir, batch), network.text);
    for (const [name, bytes] of Object.entries(network.npy)) fs.writeFileSync(path.join(dir, `b${batch}`, name), bytes);
  }
  const host = fork(__filename, ['--worker-host', root, dir], { stdio: 'inherit' });
  const answers: ((m: unknown) => void)[] = [];
  const failed = new Promise<never>((_, reject) => host.once('exit', code => reject(new Error(`the trace workers' process ended (${code})`))));
  host.on('message', m => answers.shift()?.(m));
  const answer = <T>() => Promise.race([new Promise<T>(resolve => answers.push(m => resolve(m as T))), failed]);
  try {
    await answer();
    const cli: Times = { one: [], threads: [] };
    const worker = new Map<number, Times>(BATCHES.map(b => [b.batch, { one: [], threads: [] }]));
    for (let r = 0; r < rounds; r++) {
      // Each side first in every other round, so that the order within a pair favours neither: the CLI's "no slower"
      // compares the same code on both sides (its plan is under the threads' threshold), noise alone.
      const sides = [() => cli.one.push(cliMs(root, specPath(dir, 1), '1')), () => cli.threads.push(cliMs(root, specPath(dir, 1), undefined))];
      for (const side of r % 2 ? sides.reverse() : sides) side();
      for (const [batch, t] of worker) {
        const next = answer<{ one: number; threads: number }>();
        host.send({ round: r, batch });
        const times = await next;
        t.one.push(times.one);
        t.threads.push(times.threads);
      }
    }
    const row = (what: string, t: Times, share: number, goal: string): ProductRun => {
      const [oneMs, threadsMs] = [median(t.one), median(t.threads)];
      return { what, oneMs, threadsMs, met: threadsMs <= share * oneMs, goal };
    };
    return [
      row('conv-trace CLI (a whole process, the network traced at batch 1; planned under its threads\' threshold: one thread)', cli, NO_SLOWER, `no slower (≤ ${NO_SLOWER}×)`),
      ...[...worker].map(([batch, t]) => row(`trace worker (dist/traceWorker.js, the lean run the panel keeps, as a re-run asks it), batch ${batch}`, t, GAIN, `faster (≤ ${GAIN}×)`)),
    ];
  } finally {
    failed.catch(() => undefined);
    if (host.connected) host.send({});
    await new Promise(resolve => (host.exitCode === null ? host.once('exit', resolve) : resolve(undefined)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The product line of convBench's core targets, from runs of the product itself. */
export function printProductThreads(runs: ProductRun[]): void {
  const cores = os.availableParallelism();
  for (const r of runs) {
    console.log(`  ${r.what}: one thread (CVD_THREADS=1) ${r.oneMs.toFixed(0)} ms, all ${cores} cores ${r.threadsMs.toFixed(0)} ms: ${(r.oneMs / r.threadsMs).toFixed(2)}×, goal ${r.goal} ${r.met ? 'met' : 'MISSED'}`);
  }
  const met = runs.every(r => r.met);
  console.log(`${met ? 'target met' : 'TARGET MISSED'}: all cores used by the product where they gain (two ResNet-block convs): ` +
    `the trace worker at most ${GAIN}× its one-thread time at batch 1 and at batch 8, the CLI (too short a process to gain) at most ${NO_SLOWER}×`);
}

if (require.main === module) {
  const at = process.argv.indexOf('--worker-host');
  if (at >= 0) void workerHost(process.argv[at + 1], process.argv[at + 2]);
  else void productThreads(path.resolve(__dirname, '../../..')).then(printProductThreads);
}
