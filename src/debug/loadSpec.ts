// Loads a spec for the debugger: its trace (a conv or a network), and the lines
// each top-level key and each layer span (breakpoints are set on lines). File reading is passed in: the adapter process
// uses fs, the extension host the workspace file system (also in the browser).

import type { NetworkTrace } from '../engine/network';
import type { ConvTrace, TraceOptions } from '../engine/trace';
import { npyFiles, traceSpecSource } from '../spec/convSpec';
import { JsonSource } from '../spec/source';
import type { KeyLines } from './runtime';
import { besideSpec } from './specPath';

export interface LoadedSpec {
  trace: ConvTrace | NetworkTrace;
  keyLines: KeyLines;
  text: string;
}

export async function loadSpec(specPath: string, readFile: (p: string) => Uint8Array | PromiseLike<Uint8Array>, options: TraceOptions = {}): Promise<LoadedSpec> {
  const text = new TextDecoder().decode(await readFile(specPath));
  const source = JsonSource.parse(specPath, text);
  const npy = new Map<string, Uint8Array>();
  for (const file of npyFiles(source.value)) {
    try {
      npy.set(file, await readFile(besideSpec(specPath, file)));
    } catch {
      // Reported as a missing .npy file by the spec reader.
    }
  }
  const trace = traceSpecSource(source, options, npy);
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
  return { trace, keyLines, text };
}
