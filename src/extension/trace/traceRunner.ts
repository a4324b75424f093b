// Runs trace jobs in a worker thread; aborting terminates it at once.

import { Worker } from 'worker_threads';
import type { AnyTrace } from '../../spec/convSpec';
import { TraceJob, TraceJobResult, jobError, runTraceJob } from './traceJob';

export class TraceCancelled extends Error {
  constructor() {
    super('trace cancelled');
  }
}

/**
 * Runs the job in a fresh worker from `workerScript` (the built traceWorker.js);
 * without one (web host) it runs inline.
 */
export function runTrace(job: TraceJob, workerScript: string | undefined, signal?: AbortSignal): Promise<AnyTrace> {
  if (signal?.aborted) return Promise.reject(new TraceCancelled());
  if (!workerScript) {
    const result = runTraceJob(job);
    return result.ok ? Promise.resolve(result.trace) : Promise.reject(jobError(result));
  }
  return new Promise<AnyTrace>((resolve, reject) => {
    const worker = new Worker(workerScript);
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      fn();
    };
    const onAbort = () => settle(() => reject(new TraceCancelled()));
    signal?.addEventListener('abort', onAbort);
    worker.on('message', (result: TraceJobResult) => settle(() => (result.ok ? resolve(result.trace) : reject(jobError(result)))));
    worker.on('error', e => settle(() => reject(new Error(`trace worker failed: ${e.message}`))));
    worker.on('exit', code => settle(() => reject(new Error(`trace worker exited with code ${code}`))));
    worker.postMessage(job);
  });
}
