// Web worker entry (browser): the same job as the desktop's worker thread.

import { TraceJob, runTraceJob, traceBuffers } from './traceJob';

const scope = globalThis as unknown as {
  onmessage: ((e: { data: TraceJob }) => void) | null;
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
};
scope.onmessage = e => {
  const result = runTraceJob(e.data);
  scope.postMessage(result, result.ok ? traceBuffers(result.trace) : []);
};
