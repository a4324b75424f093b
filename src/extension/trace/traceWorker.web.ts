// Web worker entry (browser): the same job as the desktop's worker thread.

import { RunKeeper } from './keptRun';
import { WorkerJob, answerBuffers, runWorkerJob } from './traceJob';

/** The network run this worker keeps for the panel, if any (it goes with the worker). */
const keeper = new RunKeeper();

const scope = globalThis as unknown as {
  onmessage: ((e: { data: WorkerJob }) => void) | null;
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
};
scope.onmessage = e => {
  const started = performance.now();
  const result = runWorkerJob(e.data, keeper);
  result.jobMs = Math.round(performance.now() - started);
  scope.postMessage(result, answerBuffers(e.data, result, keeper));
};
