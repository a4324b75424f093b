// Worker thread entry (desktop): runs one trace off the extension host's event loop, so a
// big spec never freezes the editor and cancelling is terminating the worker.

import { parentPort } from 'worker_threads';
import { WorkerJob, resultBuffers, runWorkerJob } from './traceJob';

parentPort?.on('message', (job: WorkerJob) => {
  const result = runWorkerJob(job);
  parentPort!.postMessage(result, resultBuffers(result));
});
