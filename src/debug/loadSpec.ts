// Loads a spec for the debugger: its trace (a conv or a network), and the lines
// each top-level key and each layer span (breakpoints are set on lines). The file system is passed in: the adapter
// process uses fs, the extension host the workspace file system (also in the browser), confined to a folder.

import type { GradProblem } from '../engine/gradcheck';
import type { NetworkTrace } from '../engine/network';
import { DEFAULT_MAX_ELEMENTS, type ConvTrace, type TraceOptions } from '../engine/trace';
import { readSpecProblem, runSpecSource } from '../specReader/convSpec';
import { JsonSource } from '../specReader/source';
import { modelLayerNames } from '../specReader/onnx/modelTrace';
import { NpyFiles, SpecFileSystem, npyBytes, readRegularFile, readSpecFiles } from '../specReader/specFiles';
import { specFileReferences } from '../specReader/tensorSource';
import type { KeyLines } from './runtime';

export interface LoadedSpec {
  trace: ConvTrace | NetworkTrace;
  /** What the spec says, as the engine took it: the gradient check runs it again. */
  problem: GradProblem;
  keyLines: KeyLines;
  text: string;
  /** A model spec's ONNX node and value names, each with the layer it comes to (-1: the input), for function breakpoints. */
  modelNames?: Map<string, number>;
}

/** The ONNX names of a `"model": {"onnx": …}` spec's graph, by the layer each comes to. */
function modelNamesOf(value: unknown, problem: GradProblem, npy: NpyFiles, maxElements: number): Map<string, number> | undefined {
  const file = (value as { model?: { onnx?: unknown } }).model?.onnx;
  const bytes = typeof file === 'string' ? npyBytes(npy, file) : undefined;
  if (!(bytes instanceof Uint8Array) || !('layers' in problem)) return undefined;
  return modelLayerNames(bytes, problem.input.shape, problem.dtype, maxElements);
}

/** Traces a spec's text as runSpecSource does, elsewhere (the extension's trace worker, whose code is warm). */
export type SpecTracer = (file: string, text: string, npy: NpyFiles, options: TraceOptions) => Promise<ConvTrace | NetworkTrace>;

/**
 * `folder`: where the files the spec names must lie (the extension's workspace folder); anywhere when absent.
 * `tracer`: where the trace runs, while this thread reads the spec's problem (the gradient check's); here when absent.
 */
export async function loadSpec(specPath: string, files: SpecFileSystem, options: TraceOptions = {}, folder?: string, tracer?: SpecTracer): Promise<LoadedSpec> {
  const text = new TextDecoder().decode(await readRegularFile(files, specPath));
  const source = JsonSource.parse(specPath, text);
  const npy = await readSpecFiles(specPath, specFileReferences(source.value), files, { maxElements: options.maxElements ?? DEFAULT_MAX_ELEMENTS, folder });
  const traced = tracer?.(specPath, text, npy, options);
  // A spec with a problem: the problem read here says so (the same SpecError); the tracer's failure goes unheard.
  traced?.catch(() => undefined);
  const { problem, trace } = traced ? { problem: readSpecProblem(source, options, npy), trace: await traced } : runSpecSource(source, options, npy);
  const keyLines: KeyLines = {};
  const span = (v: { offset: number; length: number }) => source.positionAt(v.offset + Math.max(0, v.length - 1));
  if (typeof source.value === 'object' && source.value !== null) {
    for (const key of Object.keys(source.value)) {
      const k = source.locateKey([key]);
      const v = source.locate([key]);
      if (!k || !v) continue;
      keyLines[key] = { start: k.line, end: span(v)?.line ?? k.line };
    }
    const layers = (source.value as { layers?: unknown }).layers;
    if (Array.isArray(layers)) {
      layers.forEach((_, i) => {
        const v = source.locate(['layers', i]);
        const start = v && source.positionAt(v.offset);
        if (v && start) keyLines[`layers[${i}]`] = { start: start.line, end: span(v)?.line ?? start.line };
      });
    }
  }
  const modelNames = typeof source.value === 'object' && source.value !== null ? modelNamesOf(source.value, problem, npy, options.maxElements ?? DEFAULT_MAX_ELEMENTS) : undefined;
  return { trace, problem, keyLines, text, ...(modelNames ? { modelNames } : {}) };
}
