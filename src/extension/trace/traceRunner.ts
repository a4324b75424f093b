// Runs trace jobs off the extension host's event loop: in a worker thread on
// the desktop, in a web worker in the browser. Aborting terminates the worker at once.

import type { CellCheck } from '../../engine/gradcheck';
import type { AnyTrace } from '../../specReader/convSpec';
import type { AttributionMap } from '../../engine/featureMaps';
import { AttributionJob, GradientJob, TraceJob, WorkerJob, WorkerResult, jobError, runWorkerJob } from './traceJob';

export class TraceCancelled extends Error {
  constructor() {
    super('trace cancelled');
  }
}

/** One worker running one job; whatever it reports first settles the run. */
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

type Success = Extract<WorkerResult, { ok: true }>;

function runJob(job: WorkerJob, workers: TraceWorkers | undefined, signal?: AbortSignal): Promise<Success> {
  if (signal?.aborted) return Promise.reject(new TraceCancelled());
  if (!workers) {
    const result = runWorkerJob(job);
    return result.ok ? Promise.resolve(result) : Promise.reject(jobError(result));
  }
  return new Promise<Success>((resolve, reject) => {
    let worker: TraceWorker | undefined;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      worker?.terminate();
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
      }));
    } catch (e) {
      settle(() => reject(new Error(`could not start the trace worker: ${e instanceof Error ? e.message : String(e)}`)));
    }
  });
}
