// The one message protocol between the extension host and the webview. Both
// bundles import this file; validate.ts checks every inbound message at runtime.
// Tensors cross as ArrayBuffers, never as JSON number arrays.

import type { ConvInfo } from '../engine/convInfo';
import type { DType } from '../engine/tensor';
import type { TensorName, TraceStage } from '../engine/trace';

export interface WireTensor {
  name: TensorName;
  shape: number[];
  dtype: DType;
  axes: string[];
  about: string;
  /** Row-major values: Float64Array or Float32Array bytes, per dtype. */
  buffer: ArrayBuffer;
}

/** Everything the panel needs about one run, with the tensors as bytes. */
export interface WireTrace {
  /** Changes with every run, so replies can name the run they are about. */
  id: number;
  /** The spec's file name, for the title. */
  file: string;
  /** The spec's URI, kept in the webview's state so a restored panel can run it again. */
  uri?: string;
  dtype: DType;
  info: ConvInfo;
  stages: TraceStage[];
  tensors: WireTensor[];
  rot180?: { maxAbsDiff: number; agrees: boolean };
  warnings: string[];
}

export type HostToWebview =
  | { type: 'trace'; trace: WireTrace }
  | { type: 'running'; file: string }
  | { type: 'failed'; file: string; message: string };

/** What the panel shows of one tensor, as text: tests and the host read it back. */
export interface ShownTensor {
  name: TensorName;
  shape: number[];
  /** The first cells as displayed, row-major. */
  cells: string[];
}

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'rendered'; traceId: number; shown: ShownTensor[] }
  | { type: 'error'; message: string };

export const PANEL_VIEW_TYPE = 'convVisualDebugger.trace';

/** Exhaustiveness guard for switches over message types. */
export function assertNever(x: never): never {
  throw new Error(`unhandled message ${JSON.stringify(x)}`);
}
