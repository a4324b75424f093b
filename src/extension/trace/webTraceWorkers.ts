// Trace workers in the browser (vscode.dev, code-server's web-worker extension
// host): web workers running dist/web/traceWorker.js. No Node or vscode import.

import { type WorkerJob, type WorkerResult, jobBuffers } from './traceJob';
import type { TraceWorkers } from './traceRunner';

/** The part of the DOM's Worker used here (the project compiles without the DOM library). */
interface WebWorker {
  onmessage: ((e: { data: WorkerResult }) => void) | null;
  onerror: ((e: { message?: string; preventDefault(): void }) => void) | null;
  onmessageerror: (() => void) | null;
  postMessage(job: WorkerJob, transfer: ArrayBuffer[]): void;
  terminate(): void;
}
type WebWorkerConstructor = new (url: string, options?: { name?: string }) => WebWorker;

/**
 * `scriptUrl` must be loadable by `new Worker` from the extension host: a blob:
 * URL of the script's text (VS Code refuses workers from vscode-remote: URIs) or an http(s) URL.
 */
export function webTraceWorkers(scriptUrl: string): TraceWorkers {
  const WebWorker = (globalThis as { Worker?: WebWorkerConstructor }).Worker;
  if (!WebWorker) throw new Error('this extension host has no web workers');
  return () => {
    const worker = new WebWorker(scriptUrl, { name: 'conv trace' });
    return {
      start(job, settle) {
        worker.onmessage = e => settle(e.data);
        worker.onerror = e => { e.preventDefault(); settle(new Error(`trace worker failed: ${e.message || 'could not load its script'}`)); };
        worker.onmessageerror = () => settle(new Error('trace worker sent a message that could not be read'));
        worker.postMessage(job, jobBuffers(job));
      },
      terminate: () => worker.terminate(),
    };
  };
}
