// Runs trace jobs off the extension host's event loop: in a worker thread on
// the desktop, in a web worker in the browser. Aborting terminates the worker at once.

import type { CellCheck } from '../../engine/gradcheck';
import type { AnyTrace } from '../../specReader/convSpec';
import type { AttributionMap } from '../../engine/featureMaps';
import type { AttributionKind } from '../../engine/featureMaps';
import type { LayerTrace } from '../../engine/network';
import type { LayerSpecFiles } from '../../specReader/layerSpecFile';
import { RunKeeper } from './keptRun';
import { AttributionJob, GradientJob, KeepJobResult, TraceJob, WorkerJob, WorkerResult, jobError, runWorkerJob } from './traceJob';

export class TraceCancelled extends Error {
  constructor() {
    super('trace cancelled');
  }
}

/** One worker running one job; whatever it reports first settles the run. A worker that keeps a run takes the next job on it. */
export interface TraceWorker {
  start(job: WorkerJob, settle: (outcome: WorkerResult | Error) => void): void;
  terminate(): void;
}

/** Makes a fresh worker per run (a cancelled one is gone). */
export type TraceWorkers = () => TraceWorker;

/**
 * Keeps one worker started ahead of the next run, its script loaded while nobody waits (a fresh worker
 * costs about 100 ms before it computes anything): each run takes it and starts the next one.
 */
export function withSpare(make: TraceWorkers): TraceWorkers & { dispose(): void } {
  let spare: TraceWorker | undefined;
  const take = () => {
    const worker = spare ?? make();
    spare = make();
    return worker;
  };
  return Object.assign(take, { dispose: () => { spare?.terminate(); spare = undefined; } });
}

/** Runs the job in a fresh worker; without workers it runs inline. */
export function runTrace(job: TraceJob, workers: TraceWorkers | undefined, signal?: AbortSignal): Promise<AnyTrace> {
  return runJob(job, workers, signal).then(r => (r as { trace: AnyTrace }).trace);
}

/** Checks a cell of a gradient against finite differences in a fresh worker (inline without workers). */
export function runGradientCheck(job: GradientJob, workers: TraceWorkers | undefined, signal?: AbortSignal): Promise<CellCheck> {
  return runJob(job, workers, signal).then(r => (r as { check: CellCheck }).check);
}

/** Saliency or Grad-CAM of a network spec, run lean in a fresh worker (inline without workers). */
export function runAttribution(job: AttributionJob, workers: TraceWorkers | undefined, signal?: AbortSignal): Promise<AttributionMap> {
  return runJob(job, workers, signal).then(r => (r as { map: AttributionMap }).map);
}

/** A network run a worker keeps while the panel shows it: a layer traced on request, attributions read from it. */
export interface KeptRun {
  traceLayer(index: number): Promise<LayerTrace>;
  attribute(kind: AttributionKind, layer: number, item: number): Promise<AttributionMap>;
  /** Layer `layer` as a spec of its own, its files for a spec named `specName`; without a name, whether it can be one. */
  layerSpec(layer: number, about: string, specName?: string): Promise<LayerSpecFiles | undefined>;
  /** Lets the run go (terminates its worker). */
  release(): void;
}

/**
 * Traces a spec: a network is run lean and kept in its worker (`kept`), its layers untraced in `trace`
 * (leanTrace.ts); a single conv is traced whole, its worker let go.
 */
export async function runKeptTrace(job: TraceJob, workers: TraceWorkers | undefined, signal?: AbortSignal): Promise<{ trace: AnyTrace; kept?: KeptRun; helperJobs?: number }> {
  const keeper = new RunKeeper();
  let worker: TraceWorker | undefined;
  const result = await runJob({ ...job, keep: true }, workers, signal, keeper, w => { worker = w; }) as KeepJobResult & { ok: true; helperJobs?: number };
  const helperJobs = result.helperJobs;
  if (!result.kept) return { trace: result.trace, helperJobs };
  // One job at a time on the kept worker: each waits for the one before.
  let queue: Promise<unknown> = Promise.resolve();
  let released = false;
  const ask = <T>(next: WorkerJob, pick: (r: Success) => T): Promise<T> => {
    const answer = queue.then(() => {
      if (released) throw new Error('the network run was let go (a newer run replaced it)');
      if (!worker) return keptAnswer(runWorkerJob(next, keeper));
      const w = worker;
      return new Promise<Success>((resolve, reject) => w.start(next, outcome => {
        if (outcome instanceof Error) reject(outcome);
        else if (outcome.ok) resolve(outcome);
        else reject(jobError(outcome));
      }));
    }).then(pick);
    queue = answer.catch(() => undefined);
    return answer;
  };
  return {
    trace: result.trace,
    helperJobs,
    kept: {
      traceLayer: index => ask({ traceLayer: index }, r => (r as { layer: LayerTrace }).layer),
      attribute: (kind, layer, item) => ask({ keptAttribution: { kind, layer, item } }, r => (r as { map: AttributionMap }).map),
      layerSpec: (layer, about, specName) => ask({ layerSpec: { layer, about, ...(specName !== undefined ? { specName } : {}) } }, r => (r as { layerSpec?: LayerSpecFiles }).layerSpec),
      release: () => {
        released = true;
        worker?.terminate();
        worker = undefined;
      },
    },
  };
}

function keptAnswer(result: WorkerResult): Promise<Success> {
  return result.ok ? Promise.resolve(result) : Promise.reject(jobError(result));
}

type Success = Extract<WorkerResult, { ok: true }>;

/** `keeper`: what an inline run keeps; `keepWorker`: takes the worker instead of terminating it once it answered. */
function runJob(job: WorkerJob, workers: TraceWorkers | undefined, signal?: AbortSignal, keeper?: RunKeeper, keepWorker?: (worker: TraceWorker) => void): Promise<Success> {
  if (signal?.aborted) return Promise.reject(new TraceCancelled());
  if (!workers) return keptAnswer(runWorkerJob(job, keeper));
  return new Promise<Success>((resolve, reject) => {
    let worker: TraceWorker | undefined;
    let settled = false;
    // Only a worker that answered with a run it keeps stays; a failed, cancelled or finished one goes.
    const settle = (fn: () => void, keep = false) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (keep && keepWorker && worker) keepWorker(worker);
      else worker?.terminate();
      fn();
    };
    const onAbort = () => settle(() => reject(new TraceCancelled()));
    signal?.addEventListener('abort', onAbort);
    try {
      worker = workers();
      worker.start(job, outcome => settle(() => {
        if (outcome instanceof Error) reject(outcome);
        else if (outcome.ok) resolve(outcome);
        else reject(jobError(outcome));
      }, !(outcome instanceof Error) && outcome.ok && 'kept' in outcome && outcome.kept === true));
    } catch (e) {
      settle(() => reject(new Error(`could not start the trace worker: ${e instanceof Error ? e.message : String(e)}`)));
    }
  });
}
