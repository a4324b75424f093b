// Worker thread entry (desktop): runs one trace off the extension host's event loop, so a
// big spec never freezes the editor and cancelling is terminating the worker.

import { parentPort } from 'worker_threads';
import { TraceJob, runTraceJob, traceBuffers } from './traceJob';

parentPort?.on('message', (job: TraceJob) => {
  const result = runTraceJob(job);
  parentPort!.postMessage(result, result.ok ? traceBuffers(result.trace) : []);
});
