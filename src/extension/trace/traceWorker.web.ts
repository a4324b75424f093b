// Web worker entry (browser): the same job as the desktop's worker thread.

import { RunKeeper } from './keptRun';
import { WorkerJob, answerJob } from './traceJob';

/** The network run this worker keeps for the panel, if any (it goes with the worker). */
const keeper = new RunKeeper();

const scope = globalThis as unknown as {
  onmessage: ((e: { data: WorkerJob }) => void) | null;
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
};
scope.onmessage = e => {
  const { result, transfer } = answerJob(e.data, keeper);
  scope.postMessage(result, transfer);
};
