// The registry of what the faces show of each kind (view.ts), by the `kind` of
// the geometry a layer records. It imports no arithmetic, so the webview can
// load it: a new kind's view is a new module listed here.

import type { CellSum, TensorLookup } from '../cellTerms';
import type { Highlights, LinkTarget } from '../links';
import type { DeltaSource, TensorName, TraceStage } from '../trace';
import { activationView } from './activationView';
import { batchnorm2dView } from './batchnorm2dView';
import { conv1dView } from './conv1dView';
import { conv2dView } from './conv2dView';
import { convTranspose2dView } from './convTranspose2dView';
import { flattenView } from './flattenView';
import { globalPoolView } from './globalPoolView';
import { identityView } from './identityView';
import { linearView } from './linearView';
import { lossView } from './lossView';
import { mergeView } from './mergeView';
import { mulView } from './mulView';
import { poolView } from './poolView';
import { softmaxView } from './softmaxView';
import { pad2dView } from './pad2dView';
import { upsample2dView } from './upsample2dView';
import type { AxisLabels, FlowItem, GradientOf, HoverLine, LayerGeometry, LayerIO, LayerView, ShapeOf, StageView, Words } from './view';
import { resolve } from './view';

const VIEWS = {
  conv2d: conv2dView, pool: poolView, activation: activationView, flatten: flattenView, linear: linearView, loss: lossView,
  batchnorm2d: batchnorm2dView,
  conv_transpose2d: convTranspose2dView,
  softmax: softmaxView, identity: identityView, globalPool: globalPoolView,
  merge: mergeView,
  conv1d: conv1dView,
  mul: mulView,
  upsample2d: upsample2dView, pad2d: pad2dView,
} satisfies Record<string, LayerView<never>>;

export type ViewKind = keyof typeof VIEWS;
export const VIEW_KINDS = Object.keys(VIEWS) as ViewKind[];

export function isViewKind(kind: unknown): kind is ViewKind {
  return typeof kind === 'string' && Object.hasOwn(VIEWS, kind);
}

/** Whether some kind declares a stage of this id (the walkthrough's links name stages). */
export function isStageId(id: unknown): id is string {
  return typeof id === 'string' && Object.values(VIEWS).some(v => Object.hasOwn(v.stages, id));
}

/** The view of a layer's geometry (one kind's view reads its own `info`). */
export function viewOf(g: LayerGeometry): LayerView<unknown> {
  return (isViewKind(g.kind) ? VIEWS[g.kind] : undefined) as LayerView<unknown>;
}

/** A stage as its kind shows it, or undefined for a stage the kind does not declare. */
export function stageViewOf(g: LayerGeometry, id: string): StageView<unknown> | undefined {
  const stages = viewOf(g)?.stages;
  return stages && Object.hasOwn(stages, id) ? stages[id] : undefined;
}

/** Whether a layer's tensor holds counts rather than data, as its kind's view says. */
export function isCount(g: LayerGeometry, name: TensorName): boolean {
  return viewOf(g)?.counts?.includes(name) ?? false;
}

/** What a stage's words and flow depend on. */
export interface StageRun {
  stage: TraceStage;
  delta?: DeltaSource;
  has?: (name: TensorName) => boolean;
}

const context = (g: LayerGeometry, r: StageRun) => ({ info: g.info, stage: r.stage, delta: r.delta ?? 'ones', has: r.has ?? (() => true) });

export function stageTitleWords(g: LayerGeometry, r: StageRun): Words | undefined {
  const v = stageViewOf(g, r.stage.id);
  return v && resolve(v.title, context(g, r));
}

export function stageExplanation(g: LayerGeometry, r: StageRun): Words | undefined {
  const v = stageViewOf(g, r.stage.id);
  return v && resolve(v.explain, context(g, r));
}

/** A stage's tensors in reading order, those the layer did not record left out. */
export function stageFlow(g: LayerGeometry, r: StageRun): FlowItem[] {
  const v = stageViewOf(g, r.stage.id);
  const has = r.has ?? (() => true);
  return v ? resolve(v.flow, context(g, r)).filter(item => !('tensor' in item) || has(item.tensor)) : [];
}

/** The layer's geometry in a few words, if its kind names them. */
export function geometryFactWords(g: LayerGeometry): Words[] | undefined {
  return viewOf(g)?.facts?.(g.info);
}

export function linksIn(g: LayerGeometry, target: LinkTarget, shapeOf: ShapeOf, names: readonly TensorName[]): Highlights {
  return viewOf(g)?.links(g.info, target, shapeOf, names) ?? {};
}

export function cellSumIn(g: LayerGeometry, get: TensorLookup, shapeOf: ShapeOf, target: LinkTarget): CellSum | undefined {
  return viewOf(g)?.cellSum?.(g.info, get, shapeOf, target);
}

export function cellMeaningWords(g: LayerGeometry, name: TensorName, index: readonly number[]): Words | undefined {
  return viewOf(g)?.cellMeaning?.(g.info, name, index);
}

export function mutedCells(g: LayerGeometry, name: TensorName): ((index: readonly number[]) => boolean) | undefined {
  return viewOf(g)?.muted?.(g.info, name);
}

export function axisLabels(g: LayerGeometry, name: TensorName): AxisLabels {
  return viewOf(g)?.axisLabels?.(g.info, name) ?? {};
}

/** What a layer's gradient tensor is the gradient of, as its kind declares (undefined: not a gradient the check can perturb). */
export function gradientOfIn(g: LayerGeometry, name: TensorName): GradientOf | undefined {
  return viewOf(g)?.gradientOf?.(g.info, name);
}

/** What a hover on a network layer says of it, as its kind's view words it (nothing for a kind that says nothing). */
export function hoverLines(g: LayerGeometry, io: LayerIO): HoverLine[] {
  return viewOf(g)?.hover?.(g.info, io) ?? [];
}

export type { AxisLabels, FlowItem, GradientOf, HoverLine, LayerGeometry, LayerIO, ShapeOf, StageView, Words };
