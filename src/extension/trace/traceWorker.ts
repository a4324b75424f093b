// Worker thread entry (desktop): runs one trace off the extension host's event loop, so a
// big spec never freezes the editor and cancelling is terminating the worker.

import { parentPort } from 'worker_threads';
import { gemmHelperJobs, wakeGemmHelpers } from '../../engine/wasm/gemmWasm';
import { installNodeGemmThreads } from '../../specReader/nodeGemmThreads';
import { RunKeeper } from './keptRun';
import { WorkerJob, answerJob } from './traceJob';

// Big products on every core: helper threads, which end with this worker (cancelling terminates it).
installNodeGemmThreads();

/** How long the helpers poll for the job's first product, which follows the spec's reading (a few ms). */
const WAKE_MS = 10;

/** The network run this worker keeps for the panel, if any (it goes with the worker). */
const keeper = new RunKeeper();

parentPort?.on('message', (job: WorkerJob) => {
  // The helpers (an earlier run started them) sleep between runs: woken now, they poll until its first product.
  if (!('dropRun' in job)) wakeGemmHelpers(WAKE_MS);
  const before = gemmHelperJobs();
  const { result, transfer } = answerJob(job, keeper);
  // Whether the job's products used every core: the extension logs it with the run.
  result.helperJobs = gemmHelperJobs() - before;
  parentPort!.postMessage(result, transfer);
});
