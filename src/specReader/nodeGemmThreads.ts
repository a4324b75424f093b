// The engine's helper threads on Node (the CLI, the trace worker, the debug adapter process; never in a web
// bundle): Node worker threads running the engine's helper loop (src/engine/wasm/gemmThreads.ts).

import { availableParallelism } from 'os';
import { Worker } from 'worker_threads';
import { setGemmThreads } from '../engine/wasm/gemmWasm';

/**
 * Installs a helper per core beyond the calling thread (CVD_THREADS=N in the environment: N threads in all, 1 for
 * none); returns whether products use them. A helper does not keep the process alive, and ends with the thread
 * that started it (Node ends a worker's workers with it).
 */
export function installNodeGemmThreads(threads = Number(process.env.CVD_THREADS) || availableParallelism()): boolean {
  return setGemmThreads(threads - 1, (source, data) => {
    // stdout/stderr: true keeps the worker's streams off this thread's process.stdout, which Node would otherwise
    // open, making a piped fd 1 non-blocking: the CLI's fs.writeSync(1) then fails with EAGAIN on a full pipe.
    const worker = new Worker(`(${source})(require('worker_threads').workerData)`, { eval: true, workerData: data, stdout: true, stderr: true });
    // A helper that fails to start never says it is ready, so no product waits for it.
    worker.on('error', () => undefined);
    worker.unref();
  });
}
