// The work a trace worker does, and the messages it answers with. No vscode
// import: the runner and the worker are tested in plain Node.

import { EngineError } from '../../engine/errors';
import { type AttributionKind, type AttributionMap, attributionOf } from '../../engine/featureMaps';
import { type CellCheck, checkGradientCell } from '../../engine/gradcheck';
import { runNetwork } from '../../engine/networkRun';
import { kernelMemoryBytes } from '../../engine/wasm/gemmWasm';
import { reusing, wholeArrays } from '../../engine/recycledBuffers';
import type { Tensor, TensorData } from '../../engine/tensor';
import type { LayerTrace } from '../../engine/network';
import { type TraceOptions, type TraceTensor, recordedTensors } from '../../engine/trace';
import { KeepJob, KeptAttributionJob, LayerJob, LayerSpecJob, OpenedLayer, RunKeeper } from './keptRun';
import type { LayerSpecFiles } from '../../specReader/layerSpecFile';
import { AnyTrace, isNetworkTrace, readSpecProblem, traceAnySpecText } from '../../specReader/convSpec';
import { JsonSource } from '../../specReader/source';
import type { Problem } from '../../specReader/problemCodes';
import { Position, SpecError } from '../../specReader/source';
import type { NpyFile } from '../../specReader/specFiles';
import type { JSONPath } from 'jsonc-parser';

export interface TraceJob {
  file: string;
  text: string;
  options: TraceOptions;
  /** .npy files the spec names, by the path written in it. */
  npy?: Record<string, NpyFile>;
  /**
   * The caller reads none of `npy`'s bytes until the answer: the worker takes them handed over, not copied (a whole
   * array's, lendable), and hands them back with its answer (`WorkerResult.lentNpy`, put back into `npy`).
   */
  lendNpy?: true;
  /**
   * The arrays of the trace this run replaces, which nobody reads any more (handed over, not copied): the trace makes
   * its tensors in them where one fits (a re-run of the spec: all of them), rather than in memory new to the worker.
   */
  reuse?: TensorData[];
}

/** What went wrong: a spec's problem where it is, an engine's problem (the gradient check's), or a message. */
export type JobFailure = { ok: false; spec?: { file: string; path?: JSONPath; problem: Problem; position?: Position }; problem?: Problem; message: string };

/** `reusedBytes`: how much of `TraceJob.reuse` the trace's tensors took (when some was given). */
export type TraceJobResult = { ok: true; trace: AnyTrace; reusedBytes?: number } | JobFailure;

/** One cell of a gradient tensor the run recorded (`analytic`), checked against finite differences of the spec run again. */
export interface GradientJob extends TraceJob {
  gradient: { name: string; index: number[]; analytic: Tensor };
}

export type GradientJobResult = { ok: true; check: CellCheck } | JobFailure;

/** Saliency, or Grad-CAM at a layer, of a network spec: the network run lean (runNetwork), then engine/featureMaps.ts. */
export interface AttributionJob extends TraceJob {
  attribution: { kind: AttributionKind; layer: number; item: number };
}

export type AttributionJobResult = { ok: true; map: AttributionMap } | JobFailure;

/** A trace whose network run the worker keeps (`kept`) with the layer to open traced (`opened`), or a single conv's whole trace. */
export type KeepJobResult = { ok: true; trace: AnyTrace; kept?: true; opened?: OpenedLayer; reusedBytes?: number } | JobFailure;
export type LayerJobResult = { ok: true; layer: LayerTrace } | JobFailure;
/** A layer's spec files, or none when only asked whether it can be a spec. */
export type LayerSpecJobResult = { ok: true; layerSpec?: LayerSpecFiles } | JobFailure;

/**
 * The worker lets go of the run it keeps (its memory) before it waits, idle, for another run's jobs; `reusable`:
 * whether it should (its kernel's memory, which never shrinks, under REUSE_MEMORY_BYTES).
 */
export interface DropRunJob { dropRun: true }
export type DropRunJobResult = { ok: true; reusable: boolean } | JobFailure;

/**
 * A worker whose kernel memory grew past this is ended rather than kept idle: the memory a big run's layout took
 * (a batch-8 ResNet block's trace: hundreds of MB) would stay with it until the next run.
 */
export const REUSE_MEMORY_BYTES = 128 << 20;

/** What a worker is asked to do, and what it answers. */
export type WorkerJob = TraceJob | GradientJob | AttributionJob | (KeepJob & TraceJob) | LayerJob | KeptAttributionJob | LayerSpecJob | DropRunJob;
/**
 * `helperJobs`: the parts of the job's products the engine's helper threads ran (the worker says; 0: one thread).
 * `lentNpy`: the .npy files the job lent (TraceJob.lendNpy), handed back. `jobMs`: how long the worker took (the log
 * tells the run's wait in the worker from the rest).
 */
export type WorkerResult = (TraceJobResult | GradientJobResult | AttributionJobResult | KeepJobResult | LayerJobResult | LayerSpecJobResult | DropRunJobResult) & {
  helperJobs?: number; lentNpy?: Record<string, Uint8Array>; jobMs?: number;
};

/** `keeper`: the run the worker keeps between messages (the jobs about a kept run need it). */
export function runWorkerJob(job: WorkerJob, keeper = new RunKeeper()): WorkerResult {
  if ('dropRun' in job) return attempt(() => { keeper.drop(); return { ok: true, reusable: kernelMemoryBytes() <= REUSE_MEMORY_BYTES }; });
  if ('traceLayer' in job) return attempt(() => ({ ok: true, layer: keeper.layer(job.traceLayer) }));
  if ('layerSpec' in job) return attempt(() => { const files = keeper.layerSpec(job.layerSpec); return files ? { ok: true, layerSpec: files } : { ok: true }; });
  if ('keptAttribution' in job) return attempt(() => ({ ok: true, map: keeper.attribution(job.keptAttribution) }));
  if ('gradient' in job) return runGradientJob(job);
  if ('attribution' in job) return runAttributionJob(job);
  if ('keep' in job) return runKeepJob(job, keeper);
  return runTraceJob(job);
}

function attempt<T extends WorkerResult>(work: () => T): T | JobFailure {
  try {
    return work();
  } catch (e) {
    return failure(e);
  }
}

/** A network spec run lean and kept by `keeper`; a single conv's spec traced whole (small: the full trace is cheap). */
export function runKeepJob(job: TraceJob & Pick<KeepJob, 'openLayer'>, keeper: RunKeeper): KeepJobResult {
  return attempt(() => {
    const lean = keeper.keep(job.file, job.text, job.options, npyOf(job), job.reuse);
    if (!lean) return traceSpec(job);
    const opened = job.openLayer === undefined ? undefined : keeper.opened(job.openLayer);
    return { ok: true, trace: lean.trace, kept: true, ...(opened ? { opened } : {}), ...(lean.reusedBytes ? { reusedBytes: lean.reusedBytes } : {}) };
  });
}

export function runAttributionJob(job: AttributionJob): AttributionJobResult {
  try {
    const problem = readSpecProblem(JsonSource.parse(job.file, job.text), job.options, npyOf(job));
    if (!('layers' in problem)) throw new RangeError('attributions are of networks');
    const { kind, layer, item } = job.attribution;
    return { ok: true, map: attributionOf(runNetwork(problem, { ...job.options, backward: true }), kind, layer, item) };
  } catch (e) {
    return failure(e);
  }
}

function failure(e: unknown): JobFailure {
  if (e instanceof SpecError) return { ok: false, spec: { file: e.file, path: e.path, problem: e.problem, position: e.position }, message: e.message };
  if (e instanceof EngineError) return { ok: false, problem: e.problem, message: e.message };
  // Out of memory and the like: a message, never a crashed host.
  return { ok: false, message: `internal error: ${e instanceof Error ? e.message : String(e)}` };
}

export function runTraceJob(job: TraceJob): TraceJobResult {
  try {
    return traceSpec(job);
  } catch (e) {
    return failure(e);
  }
}

export function runGradientJob(job: GradientJob): GradientJobResult {
  try {
    const problem = readSpecProblem(JsonSource.parse(job.file, job.text), job.options, npyOf(job));
    const { name, index, analytic } = job.gradient;
    return { ok: true, check: checkGradientCell(problem, name, analytic, index, job.options.maxElements) };
  } catch (e) {
    return failure(e);
  }
}

/** A spec's whole trace, made in the arrays of `job.reuse` where they fit. */
function traceSpec(job: TraceJob): { ok: true; trace: AnyTrace; reusedBytes?: number } {
  const { value: trace, reusedBytes } = reusing(job.reuse, () => traceAnySpecText(job.file, job.text, job.options, npyOf(job)));
  return { ok: true, trace, ...(job.reuse ? { reusedBytes } : {}) };
}

const npyOf = (job: TraceJob) => new Map(Object.entries(job.npy ?? {}));

/** Rebuilds the error a job reported, so callers can catch SpecError as if it ran in-process. */
export function jobError(result: JobFailure): Error {
  if (result.spec) return new SpecError(result.spec.file, result.spec.path, result.spec.problem, result.spec.position);
  return result.problem ? new ProblemError(result.problem, result.message) : new Error(result.message);
}

/** An engine's problem a worker reported, kept as data so the host words it in its language. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem, message: string) {
    super(message);
  }
}

/** What a worker's answer can hand over rather than copy: a trace's buffers, but none of the run `keeper` keeps. */
export function resultBuffers(result: WorkerResult, keeper?: RunKeeper): ArrayBuffer[] {
  if (!result.ok) return [];
  const buffers = 'trace' in result ? traceBuffers(result.trace, 'opened' in result ? result.opened?.layer : undefined)
    : 'layer' in result ? layerBuffers([result.layer.tensors]) : [];
  const kept = keeper?.buffers();
  return kept?.size ? buffers.filter(b => !kept.has(b)) : buffers;
}

/** What a job hands over rather than copies: the arrays it may reuse (`TraceJob.reuse`), the .npy files it lends. */
export function jobBuffers(job: WorkerJob): ArrayBuffer[] {
  const reused = 'reuse' in job && job.reuse ? job.reuse.map(data => data.buffer as ArrayBuffer) : [];
  return [...new Set([...reused, ...Object.values(lentFiles(job)).map(bytes => bytes.buffer as ArrayBuffer)])];
}

/**
 * The .npy files a job lends, those that are a whole array of their own: a view into a bigger one (a small file in
 * Node's pool of Buffers) would hand over memory that is not the file's, and a shared one is not copied anyway. A
 * lent file arrives whole, so the worker picks the same files to hand back.
 */
function lentFiles(job: WorkerJob): Record<string, Uint8Array> {
  if (!('lendNpy' in job) || !job.lendNpy || !job.npy) return {};
  return Object.fromEntries(Object.entries(job.npy).filter((e): e is [string, Uint8Array] => {
    const bytes = e[1];
    return bytes instanceof Uint8Array && bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  }));
}

/**
 * A worker's answer to `job` (both workers' entries): the job run and timed (`jobMs`), the files it lent set on the
 * answer to go back, and what the answer hands over rather than copies (resultBuffers and those files, each array
 * once: a transfer list must not repeat one).
 */
export function answerJob(job: WorkerJob, keeper: RunKeeper): { result: WorkerResult; transfer: ArrayBuffer[] } {
  const started = performance.now();
  const result = runWorkerJob(job, keeper);
  result.jobMs = Math.round(performance.now() - started);
  const lent = lentFiles(job);
  const buffers = Object.values(lent).map(bytes => bytes.buffer as ArrayBuffer);
  if (buffers.length) result.lentNpy = lent;
  return { result, transfer: [...new Set([...resultBuffers(result, keeper), ...buffers])] };
}

/** The caller's side: the files a job lent, back in its record once the worker answered. */
export function takeBackNpy(job: WorkerJob, result: WorkerResult): void {
  if (result.lentNpy && 'npy' in job && job.npy) Object.assign(job.npy, result.lentNpy);
}

/** The arrays of a trace that a later run may make its tensors in (TraceJob.reuse) once nobody reads it: each whole array once. */
export function reusableArrays(trace: AnyTrace): TensorData[] {
  return wholeArrays((isNetworkTrace(trace) ? trace.layers.map(l => l.tensors) : [trace.tensors]).flatMap(recordedTensors));
}

/** Each tensor's buffer once: the transfer list of a postMessage must not repeat one. */
export function traceBuffers(trace: AnyTrace, opened?: LayerTrace): ArrayBuffer[] {
  return layerBuffers([...(isNetworkTrace(trace) ? trace.layers.map(l => l.tensors) : [trace.tensors]), ...(opened ? [opened.tensors] : [])]);
}

function layerBuffers(tensorSets: Partial<Record<string, TraceTensor>>[]): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const tensors of tensorSets) for (const t of recordedTensors(tensors)) set.add(t.data.buffer as ArrayBuffer);
  return [...set];
}
