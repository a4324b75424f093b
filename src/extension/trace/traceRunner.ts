// Runs trace jobs off the extension host's event loop: in a worker thread on
// the desktop, in a web worker in the browser. Aborting terminates the worker at once.

import type { CellCheck } from '../../engine/gradcheck';
import type { AnyTrace } from '../../specReader/convSpec';
import type { AttributionMap } from '../../engine/featureMaps';
import type { AttributionKind } from '../../engine/featureMaps';
import type { LayerTrace } from '../../engine/network';
import type { LayerSpecFiles } from '../../specReader/layerSpecFile';
import { type KeepJob, type OpenedLayer, RunKeeper } from './keptRun';
import { AttributionJob, GradientJob, KeepJobResult, TraceJob, WorkerJob, WorkerResult, jobError, runWorkerJob, takeBackNpy } from './traceJob';

export class TraceCancelled extends Error {
  constructor() {
    super('trace cancelled');
  }
}

/** One worker running one job; whatever it reports first settles the run. A worker that keeps a run takes the next job on it. */
export interface TraceWorker {
  start(job: WorkerJob, settle: (outcome: WorkerResult | Error) => void): void;
  terminate(): void;
  /** Done with it, every job answered (reusingWorkers may run another run's jobs on it); else it is terminated. */
  release?(): void;
}

/** Makes a fresh worker (reusingWorkers hands out one an earlier run is done with first). */
export type TraceWorkers = () => TraceWorker;

/**
 * Runs each run on a worker an earlier run has finished with, when one is idle: it keeps its compiled code, its
 * kernel and its helper threads, where a fresh worker costs ~100 ms before it computes and starts its helpers only
 * on its first big product (which then runs without them). A worker comes back once its run is done with it: its
 * job answered, or the network run it kept let go (dropped first, so an idle worker holds no run). A cancelled or
 * failed worker is terminated, and so is one whose kernel memory grew big (REUSE_MEMORY_BYTES). One idle worker at
 * most, none made as a run begins (a start competes with the run on a small machine). On 2 cores, Run → painted
 * panel: the worked example 216–299 ms against 337–559 with a fresh worker per run made as the run before began, the
 * (1, 64, 56, 56) layer 642–662 against 703–738.
 *
 * A run asked for while a worker is on its way to idle (its drop, or the warm-up, not answered yet) waits for that
 * worker rather than making one: a re-run lets the run on show go just before it starts, and the drop's answer is a
 * round trip away. It then also makes its tensors in the memory of the run it replaces (RunKeeper.drop).
 *
 * `warm(job)` makes the idle worker ahead of the first run (the extension asks once a spec or a model is in view; once
 * a run took a worker it does nothing): it runs `job` and lets its run go, compiling the engine's code meanwhile. A
 * run asked for during the warm-up waits for it on that worker (a fresh one if it died); in plain Node a first run on
 * a fresh worker took ~150 ms, ~5 after.
 */
export function reusingWorkers(make: TraceWorkers): ReusingWorkers {
  let idle: TraceWorker | undefined;
  /** The worker on its way to idle: `ready` once it answered its drop (after the warm-up, if it warms up), false if it may not be reused or died. */
  let coming: Coming | undefined;
  let disposed = false;
  /** A run has taken a worker: a warm-up, which is for the first run, would only compete with it or the next. */
  let taken = false;
  /** `worker` goes idle once `ready` says it may be, unless a run took it meanwhile or another worker is idle first. */
  const comesBack = (worker: TraceWorker, ready: Promise<boolean>): Promise<boolean> => {
    const next: Coming = { worker, ready };
    if (!coming && !idle) coming = next;
    void ready.then(reusable => {
      if (next.taken) return;
      if (coming === next) coming = undefined;
      if (disposed || idle || !reusable) worker.terminate();
      else idle = unwrapped(worker);
    });
    return ready;
  };
  /** Hands out `worker`; when released, it drops its run and waits idle for the next run if it may. */
  const handOut = (worker: TraceWorker): TraceWorker => {
    let ended = false;
    return {
      start: (job, settle) => worker.start(job, settle),
      terminate: () => {
        ended = true;
        worker.terminate();
      },
      release: () => {
        if (ended) return;
        ended = true;
        // Idle only once it has answered: a job started before would take the drop's answer for its own.
        void comesBack(worker, dropRun(worker));
      },
    };
  };
  const take = (): TraceWorker => {
    taken = true;
    const next = coming;
    if (!idle && next) {
      coming = undefined;
      next.taken = true;
      return handOut(afterReady(next.ready.then(alive => (alive ? unwrapped(next.worker) : (next.worker.terminate(), make())))));
    }
    const worker = idle ?? make();
    idle = undefined;
    return handOut(worker);
  };
  const warm = (job: WorkerJob): Promise<boolean> | undefined => {
    if (disposed || idle || coming || taken) return undefined;
    let worker: TraceWorker;
    try {
      worker = make();
    } catch {
      return undefined; // The first run says why it cannot start one.
    }
    const warmedUp = new Promise<boolean>(resolve => worker.start(job, outcome => resolve(!(outcome instanceof Error))));
    return comesBack(worker, warmedUp.then(alive => alive && dropRun(worker)));
  };
  return Object.assign(take, {
    warm,
    dispose: () => {
      disposed = true;
      idle?.terminate();
      if (coming) {
        coming.taken = true;
        coming.worker.terminate();
      }
      idle = undefined;
      coming = undefined;
    },
  });
}

/** A worker on its way to idle (reusingWorkers); `taken` once a run (or the end) took it before it got there. */
type Coming = { worker: TraceWorker; ready: Promise<boolean>; taken?: boolean };

/** Trace workers that hand out an idle worker first, and can make one ahead of the first run (reusingWorkers). */
export type ReusingWorkers = TraceWorkers & {
  /** Whether the warm-up went through (undefined: none, as a run took a worker already, or one is warming). */
  warm(job: WorkerJob): Promise<boolean> | undefined;
  dispose(): void;
};

/** Asks `worker` to let go of the run it keeps; true once it answered that it may be reused. A worker reports its end to the last job it ran too: the first answer only. */
function dropRun(worker: TraceWorker): Promise<boolean> {
  return new Promise(resolve => worker.start({ dropRun: true }, outcome => resolve(!(outcome instanceof Error) && outcome.ok && 'reusable' in outcome && outcome.reusable)));
}

/** Why a worker could not be made. */
const startFailure = (e: unknown) => new Error(`could not start the trace worker: ${e instanceof Error ? e.message : String(e)}`);

/**
 * A worker handed out before it is ready (its warm-up or its drop not answered yet): each call waits for it. Once
 * there, `readyWorkers` knows it behind the wrapper, so that a worker handed out this way again is not wrapped twice.
 */
function afterReady(ready: Promise<TraceWorker>): TraceWorker {
  const wrapper: TraceWorker = {
    start: (job, settle) => void at.then(w => w.start(job, settle), (e: unknown) => settle(startFailure(e))),
    terminate: () => void at.then(w => w.terminate(), () => undefined),
  };
  const at = ready.then(w => { readyWorkers.set(wrapper, w); return w; });
  return wrapper;
}

const readyWorkers = new WeakMap<TraceWorker, TraceWorker>();
/** The worker itself, without the wrapper afterReady put around it once it is ready. */
const unwrapped = (worker: TraceWorker) => readyWorkers.get(worker) ?? worker;

/** Runs the job in a worker; without workers it runs inline. */
export function runTrace(job: TraceJob, workers: TraceWorkers | undefined, signal?: AbortSignal): Promise<AnyTrace> {
  return runJob(job, workers, signal).then(r => (r as { trace: AnyTrace }).trace);
}

/** Checks a cell of a gradient against finite differences in a worker (inline without workers). */
export function runGradientCheck(job: GradientJob, workers: TraceWorkers | undefined, signal?: AbortSignal): Promise<CellCheck> {
  return runJob(job, workers, signal).then(r => (r as { check: CellCheck }).check);
}

/** Saliency or Grad-CAM of a network spec, run lean in a worker (inline without workers). */
export function runAttribution(job: AttributionJob, workers: TraceWorkers | undefined, signal?: AbortSignal): Promise<AttributionMap> {
  return runJob(job, workers, signal).then(r => (r as { map: AttributionMap }).map);
}

/** A network run a worker keeps while the panel shows it: a layer traced on request, attributions read from it. */
export interface KeptRun {
  /** The layer the job asked to open, traced with the run (KeepJob.openLayer), when it could be. */
  opened?: OpenedLayer;
  traceLayer(index: number): Promise<LayerTrace>;
  attribute(kind: AttributionKind, layer: number, item: number): Promise<AttributionMap>;
  /** Layer `layer` as a spec of its own, its files for a spec named `specName`; without a name, whether it can be one. */
  layerSpec(layer: number, about: string, specName?: string): Promise<LayerSpecFiles | undefined>;
  /** Lets the run go (terminates its worker). */
  release(): void;
}

/**
 * Traces a spec: a network is run lean and kept in its worker (`kept`), its layers untraced in `trace`
 * (leanTrace.ts) but the one `job.openLayer` names, traced (`kept.opened`); a single conv is traced whole, its worker
 * let go (in the arrays of `job.reuse`, which go to the worker: they are the caller's no more).
 */
export async function runKeptTrace(job: TraceJob & Pick<KeepJob, 'openLayer'>, workers: TraceWorkers | undefined, signal?: AbortSignal): Promise<{ trace: AnyTrace; kept?: KeptRun; helperJobs?: number; reusedBytes?: number; jobMs?: number }> {
  const keeper = new RunKeeper();
  let worker: TraceWorker | undefined;
  // Arrays to reuse go to a worker (they are detached here); inline, a holder the caller missed would read another
  // trace's values: fresh arrays there.
  const result = await runJob({ ...job, ...(workers ? {} : { reuse: undefined }), keep: true }, workers, signal, keeper, w => { worker = w; }) as KeepJobResult & { ok: true; helperJobs?: number; jobMs?: number };
  const { helperJobs, reusedBytes, jobMs } = result;
  if (!result.kept) return { trace: result.trace, helperJobs, reusedBytes, jobMs };
  // One job at a time on the kept worker: each waits for the one before.
  let queue: Promise<unknown> = Promise.resolve();
  /** Jobs asked and not answered yet. */
  let asked = 0;
  let released = false;
  const ask = <T>(next: WorkerJob, pick: (r: Success) => T): Promise<T> => {
    asked++;
    const answer = queue.then(() => {
      if (released) throw new Error('the network run was let go (a newer run replaced it)');
      if (!worker) return keptAnswer(runWorkerJob(next, keeper));
      const w = worker;
      return new Promise<Success>((resolve, reject) => w.start(next, outcome => {
        if (outcome instanceof Error) reject(outcome);
        else if (outcome.ok) resolve(outcome);
        else reject(jobError(outcome));
      }));
    }).then(pick).finally(() => { asked--; });
    queue = answer.catch(() => undefined);
    return answer;
  };
  return {
    trace: result.trace,
    helperJobs,
    reusedBytes,
    jobMs,
    kept: {
      ...(result.opened ? { opened: result.opened } : {}),
      traceLayer: index => ask({ traceLayer: index }, r => (r as { layer: LayerTrace }).layer),
      attribute: (kind, layer, item) => ask({ keptAttribution: { kind, layer, item } }, r => (r as { map: AttributionMap }).map),
      layerSpec: (layer, about, specName) => ask({ layerSpec: { layer, about, ...(specName !== undefined ? { specName } : {}) } }, r => (r as { layerSpec?: LayerSpecFiles }).layerSpec),
      release: () => {
        released = true;
        // After the jobs asked of it (the queue): one still running would take the drop's answer for its own. With
        // none, at once: the run that replaces this one, which starts next, then waits for this worker.
        const w = worker;
        worker = undefined;
        if (asked === 0) letGo(w);
        else void queue.then(() => letGo(w));
      },
    },
  };
}

/** A worker done with: back to reusingWorkers where it came from there, else ended. */
function letGo(worker: TraceWorker | undefined): void {
  if (worker?.release) worker.release();
  else worker?.terminate();
}

/**
 * What becomes of a worker once it answered: it stays with a run it keeps; after any other answer, or a problem of the
 * spec or the engine (what a half-typed spec gives), it is released; after an error or an unexpected failure, ended.
 */
function afterAnswer(outcome: WorkerResult | Error): 'keep' | 'release' | 'end' {
  if (outcome instanceof Error) return 'end';
  if (outcome.ok) return 'kept' in outcome && outcome.kept === true ? 'keep' : 'release';
  return outcome.spec || outcome.problem ? 'release' : 'end';
}

function keptAnswer(result: WorkerResult): Promise<Success> {
  return result.ok ? Promise.resolve(result) : Promise.reject(jobError(result));
}

type Success = Extract<WorkerResult, { ok: true }>;

/** `keeper`: what an inline run keeps; `keepWorker`: takes the worker instead of terminating it once it answered. */
function runJob(job: WorkerJob, workers: TraceWorkers | undefined, signal?: AbortSignal, keeper?: RunKeeper, keepWorker?: (worker: TraceWorker) => void): Promise<Success> {
  if (signal?.aborted) return Promise.reject(new TraceCancelled());
  if (!workers) return keptAnswer(runWorkerJob(job, keeper));
  return new Promise<Success>((resolve, reject) => {
    let worker: TraceWorker | undefined;
    let settled = false;
    // A worker that answered with a run it keeps stays with the run; one that answered is done with (released);
    // a cancelled one, or one that failed, goes.
    const settle = (fn: () => void, then: 'keep' | 'release' | 'end' = 'end') => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (then === 'keep' && keepWorker && worker) keepWorker(worker);
      else if (then !== 'end') letGo(worker);
      else worker?.terminate();
      fn();
    };
    const onAbort = () => settle(() => reject(new TraceCancelled()));
    signal?.addEventListener('abort', onAbort);
    try {
      worker = workers();
      worker.start(job, outcome => settle(() => {
        if (!(outcome instanceof Error)) takeBackNpy(job, outcome);
        if (outcome instanceof Error) reject(outcome);
        else if (outcome.ok) resolve(outcome);
        else reject(jobError(outcome));
      }, afterAnswer(outcome)));
    } catch (e) {
      settle(() => reject(startFailure(e)));
    }
  });
}
