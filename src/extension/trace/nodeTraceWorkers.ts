// Trace workers on the desktop: Node worker threads running dist/traceWorker.js.

import { Worker } from 'worker_threads';
import { type WorkerResult, jobBuffers } from './traceJob';
import type { TraceWorkers } from './traceRunner';

export function nodeTraceWorkers(script: string): TraceWorkers {
  return () => {
    const worker = new Worker(script);
    // The job on hand's settle: a worker that keeps a run answers one job after another.
    let settle: (outcome: WorkerResult | Error) => void = () => undefined;
    worker.on('message', (result: WorkerResult) => settle(result));
    worker.on('error', e => settle(new Error(`trace worker failed: ${e.message}`)));
    worker.on('exit', code => settle(new Error(`trace worker exited with code ${code}`)));
    return {
      start(job, onOutcome) {
        settle = onOutcome;
        worker.postMessage(job, jobBuffers(job));
      },
      terminate: () => void worker.terminate(),
    };
  };
}
