// The settings that change what a trace computes (not how the panel shows it):
// read at each run, so a change applies to the next one.

import * as vscode from 'vscode';
import type { DType } from '../engine/tensor';
import { DEFAULT_MAX_ELEMENTS, type TraceOptions } from '../engine/trace';

/** Changing these re-runs the spec the panel shows. */
export const TRACE_SETTINGS = ['convVisualDebugger.maxElements', 'convVisualDebugger.dtype'];

export function traceSettings(): Required<Pick<TraceOptions, 'maxElements' | 'dtype'>> {
  const c = vscode.workspace.getConfiguration('convVisualDebugger');
  return {
    maxElements: c.get<number>('maxElements', DEFAULT_MAX_ELEMENTS),
    dtype: c.get<string>('dtype', 'float64') === 'float32' ? 'float32' : 'float64' as DType,
  };
}
