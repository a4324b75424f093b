// The model editor's messages (an .onnx file's graph, src/extension/modelEditor/ ⇄ webview/modelEditor/):
// what the host sends (the model's facts with their problems already in the user's language, an initializer's
// statistics or values) and what the webview asks, each inbound message checked before it is used.

import type { Locale } from '../l10n/locale';
import { type Check, fail, nat, object, oneOf, optional, str } from './checks';

export const MODEL_EDITOR_VIEW_TYPE = 'convVisualDebugger.onnxModel';

/** A tensor a node takes or makes. */
export interface ModelTensor { name: string; shape?: number[]; initializer?: boolean }

export interface ModelNode {
  name: string;
  op: string;
  domain: string;
  attributes: { name: string; value: string }[];
  inputs: ModelTensor[];
  outputs: ModelTensor[];
  /** The engine layer it became: the trace panel's layer after a run. */
  layer?: number;
  flops?: number;
  params?: number;
  /** Why it is not read, in the user's language. */
  problem?: string;
}

/** What the editor shows of a model (src/specReader/onnx/modelFacts.ts's facts, problems rendered). */
export interface ModelView {
  file: string;
  producer: string;
  opset?: number;
  inputs: { name: string; shape?: (number | string)[] }[];
  outputs: { name: string; shape?: (number | string)[] }[];
  plannedInput?: number[];
  nodes: ModelNode[];
  initializers: { name: string; dtype: string; shape: number[]; bytes: number; external: boolean }[];
  totals: { nodes: number; flops: number; params: number; initializerBytes: number };
  problems: string[];
}

export interface InitializerStats { count: number; min: number; max: number; mean: number; std: number; zeros: number; nonFinite: number }

export type HostToModelEditor =
  | { type: 'model'; locale: Locale; model: ModelView }
  /** The file could not be read as a model at all. */
  | { type: 'failed'; locale: Locale; file: string; message: string }
  | { type: 'statistics'; name: string; statistics?: InitializerStats; message?: string }
  /** An initializer's values as float32, to view as a heatmap (rows × columns: its first axis by the rest). */
  | { type: 'values'; name: string; rows: number; columns: number; data?: ArrayBuffer; message?: string }
  /** A run of this model is in the trace panel: clicking a node reveals its layer there. */
  | { type: 'ran'; label: string };

export type ModelEditorToHost =
  /** `frameWaitMs`: how long the page's frame waited before its document was fetched (the webview's own start, VS Code's). */
  | { type: 'ready'; frameWaitMs?: number }
  /** The graph is on screen with this many node boxes. */
  | { type: 'rendered'; nodes: number; milliseconds: number }
  | { type: 'statistics'; name: string }
  | { type: 'values'; name: string }
  | { type: 'run' }
  | { type: 'saveSpec' }
  /** *Save Layer as Spec…* of a node's layer, in the run the trace panel shows. */
  | { type: 'saveLayerSpec'; layer: number }
  /** A node was opened: its layer, when it made one (the host reveals it in the trace panel after a run). */
  | { type: 'selected'; node: number; layer?: number };

const duration: Check = (v, at) => { if (typeof v !== 'number' || !(v >= 0) || v === Infinity) fail(at, 'a duration in ms', v); };

const CHECKS: Record<ModelEditorToHost['type'], (v: unknown) => void> = {
  ready: v => object({ frameWaitMs: optional(duration) })(v, 'message'),
  rendered: v => object({ nodes: nat, milliseconds: duration })(v, 'message'),
  statistics: v => object({ name: str })(v, 'message'),
  values: v => object({ name: str })(v, 'message'),
  run: () => {},
  saveSpec: () => {},
  saveLayerSpec: v => object({ layer: nat })(v, 'message'),
  selected: v => object({ node: nat, layer: optional(nat) })(v, 'message'),
};

/** A message from the model editor's webview, checked; a ProtocolError says what is wrong with one that is not. */
export function checkModelEditorMessage(v: unknown): ModelEditorToHost {
  object({ type: oneOf(...Object.keys(CHECKS)) })(v, 'message');
  CHECKS[(v as ModelEditorToHost).type](v);
  return v as ModelEditorToHost;
}
