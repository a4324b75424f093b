// The settings that change what a trace computes (not how the panel shows it):
// read at each run, so a change applies to the next one.

import * as vscode from 'vscode';
import type { DType } from '../engine/tensor';
import { isElementLimit } from '../engine/budget';
import { DEFAULT_MAX_ELEMENTS, type TraceOptions } from '../engine/trace';

/** Changing these re-runs the spec the panel shows. */
export const TRACE_SETTINGS = ['convVisualDebugger.maxElements', 'convVisualDebugger.dtype'];

/** A hand-edited settings.json can hold anything: a limit that is not a positive whole number means the default. */
export function positiveWhole(value: unknown, fallback: number): number {
  return isElementLimit(value) ? value : fallback;
}

export function traceSettings(): Required<Pick<TraceOptions, 'maxElements' | 'dtype'>> {
  const c = vscode.workspace.getConfiguration('convVisualDebugger');
  return {
    maxElements: positiveWhole(c.get<unknown>('maxElements'), DEFAULT_MAX_ELEMENTS),
    dtype: c.get<string>('dtype', 'float64') === 'float32' ? 'float32' : 'float64' as DType,
  };
}

/**
 * Whether the user chose a number type (`convVisualDebugger.dtype` set in any scope): a model's run takes float32
 * otherwise, its own type, as `conv-trace MODEL.onnx` and onnxruntime run it, not the default float64 of specs.
 */
export function dtypeChosen(): boolean {
  const i = vscode.workspace.getConfiguration('convVisualDebugger').inspect('dtype');
  return [i?.globalValue, i?.workspaceValue, i?.workspaceFolderValue].some(v => v !== undefined);
}
