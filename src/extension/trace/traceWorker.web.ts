// Web worker entry (browser): the same job as the desktop's worker thread.

import { WorkerJob, resultBuffers, runWorkerJob } from './traceJob';

const scope = globalThis as unknown as {
  onmessage: ((e: { data: WorkerJob }) => void) | null;
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
};
scope.onmessage = e => {
  const result = runWorkerJob(e.data);
  scope.postMessage(result, resultBuffers(result));
};
