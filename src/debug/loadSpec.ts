// Loads a spec for the debugger: its trace, and the lines each top-level key spans
// (breakpoints are set on lines). File reading is passed in: the adapter process
// uses fs, tests may use anything.

import * as path from 'path';
import type { ConvTrace } from '../engine/trace';
import { npyFiles, traceConvSource } from '../spec/convSpec';
import { JsonSource } from '../spec/source';
import type { KeyLines } from './runtime';

export interface LoadedSpec {
  trace: ConvTrace;
  keyLines: KeyLines;
  text: string;
}

export function loadSpec(specPath: string, readFile: (p: string) => Uint8Array, maxElements?: number): LoadedSpec {
  const text = new TextDecoder().decode(readFile(specPath));
  const source = JsonSource.parse(specPath, text);
  const npy = new Map<string, Uint8Array>();
  for (const file of npyFiles(source.value)) {
    try {
      npy.set(file, readFile(path.resolve(path.dirname(specPath), file)));
    } catch {
      // Reported as a missing .npy file by the spec reader.
    }
  }
  const trace = traceConvSource(source, maxElements ? { maxElements } : {}, npy);
  const keyLines: KeyLines = {};
  if (typeof source.value === 'object' && source.value !== null) {
    for (const key of Object.keys(source.value)) {
      const k = source.locateKey([key]);
      const v = source.locate([key]);
      if (!k || !v) continue;
      const end = source.positionAt(v.offset + Math.max(0, v.length - 1));
      keyLines[key] = { start: k.line, end: end?.line ?? k.line };
    }
  }
  return { trace, keyLines, text };
}
