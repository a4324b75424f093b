// One benchmark method on one shape, in a worker thread: the main thread can stop a run that takes far too
// long (tfjs-backend-cpu's filter gradient runs for minutes on the big shapes), which it could not do in-process.

import { parentPort, workerData } from 'worker_threads';
import { CASES, FromWorker, Outputs, ToWorker, WorkerInit, measure, measureTurns } from './convCases';
import { MethodRunner, engineMethod, engineThreadsMethod } from './engineMethod';
import { tfjsMethod } from './tfjsMethod';

const port = parentPort;
if (!port) throw new Error('convWorker.ts runs as a worker thread (see convBench.ts)');
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

async function start(init: WorkerInit): Promise<MethodRunner> {
  const c = CASES[init.caseIndex];
  switch (init.method) {
    case 'engine-f32': return engineMethod(c, 'float32');
    case 'engine-f64': return engineMethod(c, 'float64');
    case 'engine-f32-2t': return engineThreadsMethod(c);
    // Loading tfjs initializes no backend: engine workers only pay for parsing it.
    case 'tfjs-cpu': return tfjsMethod(c, 'cpu');
    case 'tfjs-wasm': return tfjsMethod(c, 'wasm');
  }
}

start(workerData as WorkerInit).then(method => {
  post({ kind: 'ready', info: method.info });
  port.on('message', async (message: ToWorker) => {
    try {
      const pass = method.passes[message.pass];
      if (!pass) throw new Error(`no ${message.pass} pass`);
      const progress = () => post({ kind: 'progress' });
      const [measurement, baseline] = pass.baseline ? await measureTurns(pass.run, pass.baseline, message.timing, progress) : [await measure(pass.run, message.timing, progress)];
      const outputs: Outputs = pass.collect();
      // Copies, so transferring them never detaches a buffer the method still holds.
      const copies: Outputs = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.slice()]));
      post({ kind: 'done', pass: message.pass, measurement, outputs: copies, ...(baseline ? { baseline } : {}) }, Object.values(copies).map(v => v.buffer as ArrayBuffer));
    } catch (e) {
      post({ kind: 'error', message: (e as Error).stack ?? String(e) });
    }
  });
}, (e: unknown) => post({ kind: 'error', message: (e as Error).stack ?? String(e) }));
