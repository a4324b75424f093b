// Issue #20's "all cores used by the product": the product's own entry points, built (dist/), on the ResNet layer
// (1, 64, 56, 56) ⋆ (64, 64, 3, 3) p1 in float32, with their helper threads (the default) and with CVD_THREADS=1
// (one thread), in turns: the CLI (conv-trace SPEC --only z, a whole process) and the trace worker
// (dist/traceWorker.js answering the panel's job). Met when both are faster with their threads.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { CASES, caseData } from './convCases';

/** A run with threads must take at most this share of the one-thread time to count as using them. */
const GAIN = 0.95;

export interface ProductRun { what: string; oneMs: number; threadsMs: number; met: boolean }

/** The spec of case 3 (ResNet layer) as inline JSON, float32, values to 4 decimals (a 2.5 MB text). */
function layerSpec(): string {
  const c = CASES.find(k => k.id === 3)!;
  const d = caseData(c);
  const nest = (values: Float64Array, shape: readonly number[]): unknown => {
    if (shape.length === 1) return Array.from(values.subarray(0, shape[0]), v => Math.round(v * 1e4) / 1e4);
    const inner = values.length / shape[0];
    return Array.from({ length: shape[0] }, (_, i) => nest(values.subarray(i * inner, (i + 1) * inner), shape.slice(1)));
  };
  return JSON.stringify({ input: nest(d.x, c.input), weight: nest(d.w, c.weight), bias: nest(d.b, [c.weight[0]]), padding: c.padding, stride: c.stride, dtype: 'float32' });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The CLI on the spec: wall time of the whole process. */
function cliMs(root: string, spec: string, threads: string | undefined): number {
  const env = { ...process.env, CVD_THREADS: threads };
  if (threads === undefined) delete env.CVD_THREADS;
  const t0 = performance.now();
  const run = spawnSync(process.execPath, [path.join(root, 'dist/cli.js'), spec, '--only', 'z', '--format', 'text'], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`conv-trace failed: ${run.stderr}`);
  return performance.now() - t0;
}

/** A trace worker started with or without threads, answering the same trace job `runs` times; each job's time. */
async function workerMs(root: string, file: string, text: string, threads: string | undefined, runs: number): Promise<number[]> {
  const env = { ...process.env, CVD_THREADS: threads };
  if (threads === undefined) delete env.CVD_THREADS;
  const worker = new Worker(path.join(root, 'dist/traceWorker.js'), { env });
  try {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const result = await new Promise<{ ok: boolean; message?: string }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.postMessage({ file, text, options: { backward: true } });
      });
      if (!result.ok) throw new Error(`trace worker: ${result.message}`);
      times.push(performance.now() - t0);
    }
    return times;
  } finally {
    await worker.terminate();
  }
}

export async function productThreads(root: string, rounds = 3): Promise<ProductRun[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cvd-threads-'));
  try {
    const spec = path.join(dir, 'resnet-layer.conv.json');
    const text = layerSpec();
    fs.writeFileSync(spec, text);
    const cli = { one: [] as number[], threads: [] as number[] };
    const worker = { one: [] as number[], threads: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      cli.one.push(cliMs(root, spec, '1'));
      cli.threads.push(cliMs(root, spec, undefined));
      // The first job of a worker starts its helpers: the later ones are what a panel's second run costs.
      worker.one.push(median((await workerMs(root, spec, text, '1', 3)).slice(1)));
      worker.threads.push(median((await workerMs(root, spec, text, undefined, 3)).slice(1)));
    }
    const row = (what: string, t: { one: number[]; threads: number[] }): ProductRun => {
      const [oneMs, threadsMs] = [median(t.one), median(t.threads)];
      return { what, oneMs, threadsMs, met: threadsMs <= GAIN * oneMs };
    };
    return [row('conv-trace CLI (whole process)', cli), row('trace worker (dist/traceWorker.js, a trace job)', worker)];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The product line of convBench's core targets, from runs of the product itself. */
export function printProductThreads(runs: ProductRun[]): void {
  const cores = os.availableParallelism();
  for (const r of runs) {
    console.log(`  ${r.what}: one thread (CVD_THREADS=1) ${r.oneMs.toFixed(0)} ms, all ${cores} cores ${r.threadsMs.toFixed(0)} ms: ${(r.oneMs / r.threadsMs).toFixed(2)}×`);
  }
  const met = runs.every(r => r.met);
  console.log(`${met ? 'target met' : 'TARGET MISSED'}: all cores used by the product (CLI and trace worker, the ResNet layer): ` +
    `${met ? 'both' : 'not both'} at most ${GAIN}× their one-thread time`);
}

if (require.main === module) {
  const root = path.resolve(__dirname, '../../..');
  void productThreads(root).then(printProductThreads);
}
