// The work a trace worker does, and the messages it answers with. No vscode
// import: the runner and the worker are tested in plain Node.

import { type TraceOptions, recordedTensors } from '../../engine/trace';
import { AnyTrace, isNetworkTrace, traceAnySpecText } from '../../specReader/convSpec';
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
}

export type TraceJobResult =
  | { ok: true; trace: AnyTrace }
  | { ok: false; spec?: { file: string; path?: JSONPath; problem: Problem; position?: Position }; message: string };

export function runTraceJob(job: TraceJob): TraceJobResult {
  try {
    return { ok: true, trace: traceAnySpecText(job.file, job.text, job.options, new Map(Object.entries(job.npy ?? {}))) };
  } catch (e) {
    if (e instanceof SpecError) {
      return { ok: false, spec: { file: e.file, path: e.path, problem: e.problem, position: e.position }, message: e.message };
    }
    // Out of memory and the like: a message, never a crashed host.
    return { ok: false, message: `internal error: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** Rebuilds the error a job reported, so callers can catch SpecError as if it ran in-process. */
export function jobError(result: Extract<TraceJobResult, { ok: false }>): Error {
  return result.spec
    ? new SpecError(result.spec.file, result.spec.path, result.spec.problem, result.spec.position)
    : new Error(result.message);
}

/** Each tensor's buffer once: the transfer list of a postMessage must not repeat one. */
export function traceBuffers(trace: AnyTrace): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  const tensorSets = isNetworkTrace(trace) ? trace.layers.map(l => l.tensors) : [trace.tensors];
  for (const tensors of tensorSets) for (const t of recordedTensors(tensors)) set.add(t.data.buffer as ArrayBuffer);
  return [...set];
}
