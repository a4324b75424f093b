// What the faces (panel, debugger, hovers, CLI) show of a layer kind, declared
// by the kind itself next to its arithmetic: its stages (title, the tensors in
// reading order with the operation between them, the explanation, the spec keys
// the debugger shows), how its cells link, the sums behind them and what a cell
// means. Words are keys of the language tables (src/l10n/en.ts, zh-cn.ts) with
// their arguments, so the engine stays free of any language.

import type { CellSum, TensorLookup } from '../cellTerms';
import type { Highlights, LinkTarget } from '../links';
import type { Field, Region } from '../region';
import { type Tensor, formatShape } from '../tensor';
import type { DeltaSource, TensorName, TraceStage } from '../trace';

/** Text as data: a key of the language tables and its arguments (numbers and strings verbatim, words rendered). */
export interface Words {
  key: string;
  args?: readonly WordArg[];
}
export type WordArg = string | number | Words;

export const words = (key: string, ...args: WordArg[]): Words => (args.length ? { key, args } : { key });

/** What a layer records about its geometry, for its view: plain data, so it crosses to the webview as is. */
export interface LayerGeometry<K extends string = string, I = unknown> {
  /** The view that shows the layer (views.ts). */
  kind: K;
  info?: I;
}

/** A stage's tensors in reading order, with the operation between them. */
export type FlowItem = { tensor: TensorName; caption?: string | Words } | { op: string | Words };

export interface StageContext<I> {
  info: I;
  stage: TraceStage;
  delta: DeltaSource;
  /** Whether the layer recorded this tensor. */
  has(name: TensorName): boolean;
}

type Of<I, T> = T | ((c: StageContext<I>) => T);

export interface StageView<I> {
  title: Of<I, Words>;
  flow: Of<I, FlowItem[]>;
  explain: Of<I, Words>;
  /** The spec keys the debugger points at while it stops in this stage (first one present wins). */
  specKeys?: readonly string[];
  /** The tensor this stage fills row by row: the debugger steps through its rows. */
  rows?: TensorName;
  /** A matrix product of its inputs: the shapes line joins them with `@`. */
  product?: true;
  /**
   * The tensors as they stand while the debugger is inside the stage, `rows` rows of `rows` done; without it,
   * the first rows of that tensor (the rest not computed yet).
   */
  partial?(info: I, rows: number, get: (name: TensorName) => Tensor | undefined): Partial<Record<TensorName, Tensor>>;
  /**
   * A second way to a tensor the pass already made, there to check it: the panel shows the agreement the
   * trace records beside it, in the words these keys name (given the largest difference), and the stage set
   * "withoutRot180" hides it.
   */
  crossCheck?: { agrees: string; disagrees: string };
  /** What was asked for (a comparison): no stage set hides it. */
  alwaysShown?: true;
}

export type ShapeOf = (name: TensorName) => readonly number[] | undefined;

/** A layer's input and output shapes, as the shape-only plan (networkPlan.ts) gives them. */
export interface LayerIO {
  input: readonly number[];
  output: readonly number[];
}

/** A line of Markdown: verbatim (shapes, formulas, code) or words. */
export type HoverLine = string | Words;

export interface AxisLabels {
  row?: (row: number) => string;
  col?: (col: number) => string;
}

export interface LayerView<I = unknown> {
  /** Every stage the kind records, by id. */
  stages: Readonly<Record<string, StageView<I>>>;
  /** The fields of `info` that are whole numbers: checked where a trace crosses to the webview, and named in debug expressions. */
  numbers?: readonly string[];
  /** Tensors whose values are counts, not data: the panel never puts them on the scale the others share. */
  counts?: readonly TensorName[];
  /** The layer's geometry in a few words (the panel's toolbar); without them the panel lists the layer's shapes. */
  facts?(info: I): Words[];
  /** Everything linked to one cell. */
  links(info: I, target: LinkTarget, shapeOf: ShapeOf, names: readonly TensorName[]): Highlights;
  /** The terms that add up to one cell, or undefined when the cell is not a sum. */
  cellSum?(info: I, get: TensorLookup, shapeOf: ShapeOf, target: LinkTarget): CellSum | undefined;
  /** What one cell is, for tooltips and screen readers. */
  cellMeaning?(info: I, name: TensorName, index: readonly number[]): Words | undefined;
  /** Cells of a tensor that are not data (padding, inserted zeros): the heatmap hatches them. */
  muted?(info: I, name: TensorName): ((index: readonly number[]) => boolean) | undefined;
  /** Short labels for a matrix's rows and columns, drawn in the gutters. */
  axisLabels?(info: I, name: TensorName): AxisLabels;
  /** What a hover on the layer in a network spec says under its title, from its planned geometry (no value is read). */
  hover?(info: I, io: LayerIO): HoverLine[];
  /** Where the layer's inputs (by position) and its output are in its trace; without it, `input` and `z`. */
  ends?: { input(position: number): TensorName; output: TensorName };
  /**
   * The receptive field one layer down: the cells of each input (in the order the layer takes them, `inputs` their
   * shapes) that the cells of `out` are computed from. Without it, a cell reads all of its batch item in every input.
   */
  receptive?(info: I, out: Region, inputs: readonly (readonly number[])[]): Region[];
  /** Its output's receptive field in the network's input from its inputs' (receptive.ts); without it, all of the input. */
  field?(info: I, below: readonly Field[]): Field;
  /** What each of its gradient tensors is the gradient of: the gradient check (gradcheck.ts) perturbs that value. */
  gradientOf?(info: I, name: TensorName): GradientOf | undefined;
}

/**
 * What a gradient tensor is ∂C/∂ of: a spec key of the layer (`absent`: each value it has when the spec may leave
 * it out, as a bias adds 0 and batchnorm's γ is 1), one of the layer's inputs (by position), or its output (δ).
 */
export type GradientOf = { param: string; absent?: number } | { input: number } | { output: true };

/** A kind's gradients from a table, with δ, the gradient of the output every kind hands back, added. */
export function gradientTable(table: Readonly<Record<TensorName, GradientOf>>): (info: unknown, name: TensorName) => GradientOf | undefined {
  const all: Readonly<Record<TensorName, GradientOf>> = { delta: { output: true }, ...table };
  return (_info, name) => (Object.hasOwn(all, name) ? all[name] : undefined);
}

/** A shape as code in a hover line: `(1, 6, 24, 24)`. */
export const codeShape = (shape: readonly number[]): string => `\`${formatShape(shape)}\``;

/** Reads a stage view's field that may depend on the run. */
export function resolve<I, T>(field: Of<I, T>, c: StageContext<I>): T {
  return typeof field === 'function' ? (field as (c: StageContext<I>) => T)(c) : field;
}

/** One cell's meaning from its parts, joined as the tables join them. */
export const parts = (...ws: WordArg[]): Words => words('cellParts', ...ws);
