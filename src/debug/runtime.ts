// The conv debugger's runtime: walks a recorded trace step by step (a conv's
// stages; a network's layers forward, the loss, then the layers backward), row by
// row inside the stages that work row by row, forwards and backwards, with
// breakpoints on spec lines and conditions. No vscode, no DAP: the debug session
// translates; tests drive it directly.

import { EngineError } from '../engine/errors';
import { type GradProblem, checkGradientTensor, tensorCheckSummary } from '../engine/gradcheck';
import type { NetworkTrace } from '../engine/network';
import { type Tensor, firstRows } from '../engine/tensor';
import type { ConvTrace, StageId, TensorName } from '../engine/trace';
import { stageViewOf, viewOf } from '../engine/layerKinds/views';
import { DEFAULT_MAX_ELEMENTS } from '../engine/trace';
import { ExprError, UndefinedNameError } from './expr/parse';
import { Value, evaluateText, truthy } from './expr/evaluate';
import { DebugProgram, DebugStep, programOf } from './program';

/** Where the debugger stands: before every stage (entry), after stage `stage`, or inside it after `sub` + 1 row groups. */
export interface Position {
  /** -1 at entry; else the index of the last step (partly) run. */
  stage: number;
  /** Inside the stage: how many row groups are done, minus one; undefined when the stage is complete. */
  sub?: number;
}

export type StopReason = 'entry' | 'step' | 'breakpoint' | 'end';

/** Short names for tensors in expressions. */
const ALIASES = new Map<string, TensorName>([['w', 'weight'], ['b', 'bias'], ['x', 'input'], ['δ', 'delta'], ['δ_t', 'delta_t'], ['dZ', 'delta']]);

/** The spec keys a step's stage reads (its kind's view says): breakpoints on their lines stop there, frames point at the first. */
const specKeysOf = (step: DebugStep): readonly string[] => stageViewOf(step.geometry, step.stage.id)?.specKeys ?? [];

/** The tensor a step's stage fills row by row, if it does. */
const rowTensorOf = (step: DebugStep | undefined): TensorName | undefined => step && stageViewOf(step.geometry, step.stage.id)?.rows;

/** At most this many row sub-steps in a stage; bigger stages step through groups of rows. */
const MAX_SUBSTEPS = 4096;

export interface Breakpoint {
  id: number;
  line: number;
  condition?: string;
  /** Stop on the n-th hit (and later), as in `hitCondition: "3"`. */
  hitCondition?: number;
  hits: number;
  verified: boolean;
}

/** A function breakpoint: a layer by its name (`layers[2]`; a model's ONNX node or output, `/conv1/Conv`). */
export interface FunctionBreakpoint extends Omit<Breakpoint, 'line'> {
  name: string;
  /** The layer it stops at (forward and backward); -1: the input (the first layer's entry). */
  layer?: number;
}

/** `hitCondition: "3"` or `">= 3"`: stop on the third hit and later. */
function hitCount(text: string | undefined): number | undefined {
  const hit = text !== undefined ? Number(text.replace(/^[>=\s]+/, '')) : undefined;
  return Number.isFinite(hit) ? hit : undefined;
}

export interface KeyLines {
  /** 1-based first and last line of each top-level key's property (key and value), and of each layer (`layers[2]`). */
  [key: string]: { start: number; end: number };
}

export class ConvRuntime {
  position: Position = { stage: -1 };
  readonly program: DebugProgram;
  private breakpoints: Breakpoint[] = [];
  private functionBreakpoints: FunctionBreakpoint[] = [];
  private nextBreakpointId = 1;
  /** A model spec's ONNX node and value names, by the layer each comes to (-1: the input). */
  modelNames?: ReadonlyMap<string, number>;
  /** Set when a conditional breakpoint's expression fails: shown to the user once. */
  lastConditionError?: string;

  /**
   * `exprElements`: the numbers one expression (Watch, console, condition) may allocate in all; the session's maxElements.
   * `problem`: what the spec says, for `gradcheck(dW)` to run it again.
   */
  constructor(
    readonly trace: ConvTrace | NetworkTrace, readonly specPath: string, readonly keyLines: KeyLines, readonly exprElements = DEFAULT_MAX_ELEMENTS,
    readonly problem?: GradProblem,
  ) {
    this.program = programOf(trace);
  }

  get steps(): DebugStep[] {
    return this.program.steps;
  }

  /** The step at a position (the first one at entry). */
  stepAt(at: Position = this.position): DebugStep {
    return this.steps[Math.max(0, at.stage)];
  }

  /** Row groups of a step (0 when it has no sub-steps). */
  subSteps(stage: number): number {
    const step = this.steps[stage];
    const out = rowTensorOf(step);
    if (!out) return 0;
    return Math.min(this.rowsOf(step, out), MAX_SUBSTEPS);
  }

  private rowsOf(step: DebugStep, name: TensorName): number {
    return step.tensors[name]!.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  }

  /** Rows of the step's output that row group `sub` ends at (exclusive). */
  rowsDone(stage: number, sub: number): number {
    const step = this.steps[stage];
    const rows = this.rowsOf(step, rowTensorOf(step)!);
    return Math.min(rows, Math.ceil(((sub + 1) * rows) / this.subSteps(stage)));
  }

  /** The line a step points at: its layer's first line in a network (a model's layers: the "model" key's), its first key's line for a conv. */
  stageLine(stage: number): number {
    if (stage < 0) return 1;
    const step = this.steps[stage];
    const key = step.layerName; // a network step's spec key: `layers[2]`, `loss`
    if (key) return this.keyLines[key]?.start ?? this.keyLines.model?.start ?? 1;
    for (const k of specKeysOf(step)) if (this.keyLines[k]) return this.keyLines[k].start;
    return 1;
  }

  // ---- what is alive --------------------------------------------------------

  /** Tensors that exist at a position, by name (`z_t`; `layers[2].dA` in a network). A step in progress shows the rows done so far (the rest NaN). */
  alive(at: Position = this.position): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    const partial = at.sub !== undefined ? this.partialTensors(at.stage, at.sub) : {};
    for (const t of this.program.tensors) {
      const p = t.producer;
      if (p < at.stage || (p === at.stage && at.sub === undefined)) out.set(t.name, t.tensor);
      else if (p === at.stage && partial[t.short]) out.set(t.name, partial[t.short]!);
    }
    return out;
  }

  /** What a step's tensors are after row group `sub`, as its kind's view says (by default the rows of its row tensor done so far). */
  private partialTensors(stage: number, sub: number): Partial<Record<TensorName, Tensor>> {
    const step = this.steps[stage];
    const rows = this.rowsDone(stage, sub);
    const view = stageViewOf(step.geometry, step.stage.id);
    if (view?.partial) return view.partial(step.geometry.info, rows, name => step.tensors[name]);
    const name = rowTensorOf(step);
    const tensor = name && step.tensors[name];
    return name && tensor ? { [name]: firstRows(tensor, rows, NaN) } : {};
  }

  /** The tensors alive of the position's layer, by their short names (all of them for a single conv). */
  aliveHere(at: Position = this.position): Map<TensorName, { name: string; tensor: Tensor }> {
    const alive = this.alive(at);
    const layer = this.stepAt(at)?.layer;
    const out = new Map<TensorName, { name: string; tensor: Tensor }>();
    for (const t of this.program.tensors) {
      const tensor = alive.get(t.name);
      if (t.layer === layer && tensor) out.set(t.short, { name: t.name, tensor });
    }
    return out;
  }

  /** The cell the current step changed first (the row just computed), for the panel to show. */
  changed(at: Position = this.position): { stage: StageId; layer?: number; tensor?: TensorName; index?: number[] } | undefined {
    if (at.stage < 0) return undefined;
    const step = this.steps[at.stage];
    const out = rowTensorOf(step);
    if (at.sub === undefined || !out) return { stage: step.stage.id, layer: step.layer };
    const row = this.rowsDone(at.stage, at.sub) - 1;
    const per = step.tensors[out]!.shape[1];
    return { stage: step.stage.id, layer: step.layer, tensor: out, index: [Math.floor(row / per), row % per, 0] };
  }

  // ---- breakpoints ---------------------------------------------------------------

  setBreakpoints(lines: { line: number; condition?: string; hitCondition?: string }[]): Breakpoint[] {
    this.breakpoints = lines.map(l => {
      const usedBy = this.stagesAtLine(l.line);
      return { id: this.nextBreakpointId++, line: l.line, condition: l.condition?.trim() || undefined, hitCondition: hitCount(l.hitCondition), hits: 0, verified: usedBy.length > 0 };
    });
    return this.breakpoints;
  }

  /** Breakpoints on layers by name: `layers[2]`, or a model's ONNX node or output name; one no layer has is unverified. */
  setFunctionBreakpoints(names: { name: string; condition?: string; hitCondition?: string }[]): FunctionBreakpoint[] {
    this.functionBreakpoints = names.map(f => {
      const layer = this.layerNamed(f.name);
      return { id: this.nextBreakpointId++, name: f.name, layer, condition: f.condition?.trim() || undefined, hitCondition: hitCount(f.hitCondition), hits: 0, verified: layer !== undefined };
    });
    return this.functionBreakpoints;
  }

  /** The layer a name gives (-1: the input): `layers[i]`, a model's ONNX node or value, a layer's label (its node's name). */
  private layerNamed(name: string): number | undefined {
    const entries = this.program.entries;
    if (!entries) return undefined;
    const own = this.modelNames?.get(name) ?? (name === 'input' ? -1 : this.steps.find(s => s.layerName === name)?.layer);
    const labelled = (this.trace as NetworkTrace).layers.findIndex(l => l.label?.split(' + ').includes(name));
    const layer = own ?? (labelled >= 0 ? labelled : undefined);
    return layer !== undefined && (layer === -1 || entries[layer]) ? layer : undefined;
  }

  /** The steps a breakpoint stops after: a line's, or its layer's entry forward and backward (the input's: the first layer's). */
  private stopsOf(bp: Breakpoint | FunctionBreakpoint): number[] {
    if ('line' in bp) return this.stagesAtLine(bp.line);
    const entries = this.program.entries!;
    if (bp.layer === undefined) return [];
    return bp.layer === -1 ? [entries[0].forward] : [entries[bp.layer].forward, entries[bp.layer].backward].filter(s => s >= 0);
  }

  /** Steps a spec line stops at: a conv's stages that read its key; a network layer's entry, forward and backward. */
  stagesAtLine(line: number): number[] {
    const keys = Object.entries(this.keyLines).filter(([, r]) => line >= r.start && line <= r.end).map(([k]) => k);
    const entries = this.program.entries;
    if (entries) {
      const out = new Set<number>();
      for (const k of keys) {
        const layer = k === 'input' ? 0 : this.steps.find(s => s.layerName === k)?.layer;
        if (layer === undefined || !entries[layer]) continue;
        if (k === 'input') out.add(entries[0].forward);
        else for (const s of [entries[layer].forward, entries[layer].backward]) if (s >= 0) out.add(s);
      }
      return [...out].sort((a, b) => a - b);
    }
    return this.steps.map((s, i) => (specKeysOf(s).some(k => keys.includes(k)) ? i : -1)).filter(i => i >= 0);
  }

  /** A breakpoint that stops after `stage` completes, counting hits (forward only). */
  private hitAt(stage: number, count: boolean): Breakpoint | FunctionBreakpoint | undefined {
    const at: Position = { stage };
    for (const bp of [...this.breakpoints, ...this.functionBreakpoints]) {
      if (!bp.verified || !this.stopsOf(bp).includes(stage)) continue;
      if (bp.condition) {
        try {
          if (!truthy(this.evaluate(bp.condition, at))) continue;
        } catch (e) {
          // A tensor that does not exist yet at this stage: the condition is simply not met here.
          if (e instanceof UndefinedNameError) continue;
          if (!(e instanceof ExprError)) throw e;
          this.lastConditionError = `breakpoint condition "${bp.condition}" ${'line' in bp ? `at line ${bp.line}` : `on ${bp.name}`} failed: ${e.message}`;
          return bp; // stop, so the user sees the problem
        }
      }
      if (count) bp.hits++;
      if (bp.hitCondition !== undefined && bp.hits < bp.hitCondition) continue;
      return bp;
    }
    return undefined;
  }

  /** The numbers of a step's geometry (a conv's, a pooling's: the kinds whose view names its numbers), as expressions can use them. */
  geometryOf(at: Position = this.position): Record<string, number | boolean | string> | undefined {
    const g = this.stepAt(at)?.geometry;
    return g && viewOf(g)?.numbers ? { ...(g.info as Record<string, number | boolean | string>) } : undefined;
  }

  /** Names an expression can use at a position: tensors alive (qualified in a network; the current layer's by short name), short aliases, the geometry's numbers. */
  scope(at: Position = this.position): (name: string) => Tensor | number | undefined {
    const alive = this.alive(at);
    const here = this.aliveHere(at);
    const info = (this.geometryOf(at) ?? {}) as Record<string, unknown>;
    // Own names only: `constructor` or `__proto__` are no more defined than any unknown name.
    const geometry = (name: string) => (Object.hasOwn(info, name) && typeof info[name] === 'number' ? info[name] as number : undefined);
    const aliased = (name: string) => { const full = ALIASES.get(name); return full !== undefined ? here.get(full)?.tensor : undefined; };
    return name => alive.get(name) ?? here.get(name as TensorName)?.tensor ?? aliased(name) ?? geometry(name);
  }

  /** An expression's value at a position, within the session's allocation budget; ExprError when it cannot be had. */
  evaluate(text: string, at: Position = this.position): Value {
    return evaluateText(text, this.scope(at), this.exprElements, name => this.gradcheck(name, at));
  }

  /** `gradcheck(dW)`: a gradient alive at the position (by the name an expression uses), against finite differences. */
  private gradcheck(name: string, at: Position): string {
    if (!this.problem) throw new ExprError('gradcheck() needs the spec this session runs');
    const here = this.aliveHere(at);
    const full = this.alive(at).has(name) ? name : (here.get(name) ?? here.get(ALIASES.get(name) ?? ''))?.name;
    const recorded = this.program.tensors.find(t => t.name === full);
    if (!full || !recorded) throw new UndefinedNameError(`'${name}' is not defined here`);
    if (this.alive(at).get(full) !== recorded.tensor) throw new ExprError(`${name} is still being computed here: step out of the stage first`);
    try {
      return tensorCheckSummary(name, checkGradientTensor(this.problem, full, recorded.tensor, this.exprElements));
    } catch (e) {
      if (e instanceof EngineError) throw new ExprError(e.message);
      throw e;
    }
  }

  // ---- moving ------------------------------------------------------------------

  private get last(): number {
    return this.steps.length - 1;
  }

  /** Step over: the next row group inside a stage, else the next stage. */
  next(): StopReason {
    const p = this.position;
    if (p.sub !== undefined) {
      this.position = p.sub + 1 < this.subSteps(p.stage) ? { stage: p.stage, sub: p.sub + 1 } : { stage: p.stage };
      return 'step';
    }
    if (p.stage >= this.last) return 'end';
    this.position = { stage: p.stage + 1 };
    this.hitAt(p.stage + 1, true);
    return 'step';
  }

  /** Step into: the first row group of the next stage, when it has them. */
  stepIn(): StopReason {
    const p = this.position;
    if (p.sub === undefined && p.stage < this.last && this.subSteps(p.stage + 1) > 0) {
      this.position = { stage: p.stage + 1, sub: 0 };
      return 'step';
    }
    return this.next();
  }

  /** Step out: finish the stage in progress (else one stage, like step over). */
  stepOut(): StopReason {
    if (this.position.sub !== undefined) {
      this.position = { stage: this.position.stage };
      return 'step';
    }
    return this.next();
  }

  stepBack(): StopReason {
    const p = this.position;
    if (p.sub !== undefined) {
      this.position = p.sub > 0 ? { stage: p.stage, sub: p.sub - 1 } : { stage: p.stage - 1 };
      return 'step';
    }
    if (p.stage < 0) return 'entry';
    this.position = { stage: p.stage - 1 };
    return p.stage - 1 < 0 ? 'entry' : 'step';
  }

  /** Runs forward to the next breakpoint hit, or to the end. */
  continue(): StopReason {
    this.lastConditionError = undefined;
    for (let s = (this.position.stage) + 1; s <= this.last; s++) {
      if (this.hitAt(s, true)) {
        this.position = { stage: s };
        return 'breakpoint';
      }
    }
    this.position = { stage: this.last };
    return 'end';
  }

  /** Runs backward to the previous breakpoint, or to the entry (every stage was recorded). */
  reverseContinue(): StopReason {
    this.lastConditionError = undefined;
    for (let s = this.position.stage - (this.position.sub === undefined ? 1 : 0); s >= 0; s--) {
      if (this.hitAt(s, false)) {
        this.position = { stage: s };
        return 'breakpoint';
      }
    }
    this.position = { stage: -1 };
    return 'entry';
  }
}
