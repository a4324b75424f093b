// Trace workers on the desktop: Node worker threads running dist/traceWorker.js.

import { Worker } from 'worker_threads';
import type { WorkerResult } from './traceJob';
import type { TraceWorkers } from './traceRunner';

export function nodeTraceWorkers(script: string): TraceWorkers {
  return () => {
    const worker = new Worker(script);
    return {
      start(job, settle) {
        worker.on('message', (result: WorkerResult) => settle(result));
        worker.on('error', e => settle(new Error(`trace worker failed: ${e.message}`)));
        worker.on('exit', code => settle(new Error(`trace worker exited with code ${code}`)));
        worker.postMessage(job);
      },
      terminate: () => void worker.terminate(),
    };
  };
}
