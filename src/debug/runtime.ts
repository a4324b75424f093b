// The conv debugger's runtime: walks a recorded trace stage by stage (and row by
// row inside the stages that work row by row), forwards and backwards, with
// breakpoints on spec lines and conditions. No vscode, no DAP: the debug session
// translates; tests drive it directly.

import type { Tensor } from '../engine/tensor';
import type { ConvTrace, StageId, TensorName, TraceStage } from '../engine/trace';
import { col2im } from '../engine/im2col';
import { evaluateText, truthy } from './expr';

/** Where the debugger stands: before every stage (entry), after stage `stage`, or inside it after `sub` + 1 row groups. */
export interface Position {
  /** -1 at entry; else the index of the last stage (partly) run. */
  stage: number;
  /** Inside the stage: how many row groups are done, minus one; undefined when the stage is complete. */
  sub?: number;
}

export type StopReason = 'entry' | 'step' | 'breakpoint' | 'end';

/** The spec keys each stage reads: breakpoints on their lines stop there, frames point at the first. */
const STAGE_KEYS: Record<StageId, string[]> = {
  pad: ['input', 'padding'],
  im2col: ['input', 'stride', 'dilation', 'padding'],
  weight_matrix: ['weight', 'groups'],
  matmul: ['weight', 'input'],
  reshape_bias: ['bias'],
  delta_t: ['grad'],
  dA_t: ['grad', 'weight'],
  col2im: ['input', 'padding', 'stride', 'dilation'],
  dW: ['weight', 'grad'],
  db: ['bias', 'grad'],
  rot180: ['weight', 'grad'],
  compare: [],
  activate: [], activation_grad: [], pool_pad: [], pool_unfold: [], pool_reduce: [], pool_route: [], pool_col2im: [],
  flatten: [], unflatten: [], linear: [], linear_dx: [], linear_dw: [], loss: [], loss_grad: [],
};

/** Stages that fill their output row by row, and which tensor's rows. */
const ROW_STAGES: Partial<Record<StageId, TensorName>> = { im2col: 'a_t', matmul: 'z_t', dA_t: 'dA_t', col2im: 'dA_t' };

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

export interface KeyLines {
  /** 1-based first and last line of each top-level key's property (key and value). */
  [key: string]: { start: number; end: number };
}

export class ConvRuntime {
  position: Position = { stage: -1 };
  private breakpoints: Breakpoint[] = [];
  private nextBreakpointId = 1;
  /** Set when a conditional breakpoint's expression fails: shown to the user once. */
  lastConditionError?: string;

  constructor(readonly trace: ConvTrace, readonly specPath: string, readonly keyLines: KeyLines) {}

  get stages(): TraceStage[] {
    return this.trace.stages;
  }

  /** Row groups of a stage (0 when it has no sub-steps). */
  subSteps(stage: number): number {
    const out = ROW_STAGES[this.stages[stage]?.id];
    if (!out) return 0;
    const rows = this.rowsOf(out);
    return Math.min(rows, MAX_SUBSTEPS);
  }

  private rowsOf(name: TensorName): number {
    const t = this.trace.tensors[name]!;
    return t.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  }

  /** Rows of the stage's output that row group `sub` ends at (exclusive). */
  rowsDone(stage: number, sub: number): number {
    const out = ROW_STAGES[this.stages[stage].id]!;
    const rows = this.rowsOf(out);
    return Math.min(rows, Math.ceil(((sub + 1) * rows) / this.subSteps(stage)));
  }

  /** The line a stage points at: its first key's line in the spec. */
  stageLine(stage: number): number {
    if (stage < 0) return 1;
    for (const key of STAGE_KEYS[this.stages[stage].id]) if (this.keyLines[key]) return this.keyLines[key].start;
    return 1;
  }

  // ---- what is alive --------------------------------------------------------

  private producedBy(name: TensorName): number {
    if (name === 'input' || name === 'weight' || name === 'bias') return -1;
    if (name === 'delta') return this.stages.findIndex(s => s.id === 'delta_t');
    return this.stages.findIndex(s => s.outputs.includes(name));
  }

  /** Tensors that exist at the current position, in stage order. A stage in progress shows the rows done so far (the rest NaN). */
  alive(at: Position = this.position): Map<TensorName, Tensor> {
    const out = new Map<TensorName, Tensor>();
    for (const [name, t] of Object.entries(this.trace.tensors) as [TensorName, Tensor][]) {
      const p = this.producedBy(name);
      if (p < at.stage || (p === at.stage && at.sub === undefined)) {
        out.set(name, t);
      } else if (p === at.stage && at.sub !== undefined) {
        const stage = this.stages[p].id;
        const rows = this.rowsDone(p, at.sub);
        if (stage === 'col2im' && name === 'dA_padded') {
          // The rows of ∂C/∂a_t added so far.
          const dAt = this.trace.tensors.dA_t!;
          out.set(name, col2im(this.partial(dAt, rows, 0), this.trace.info).padded);
        } else if (stage !== 'col2im' && ROW_STAGES[stage] === name) {
          out.set(name, this.partial(t, rows, NaN));
        }
      }
    }
    return out;
  }

  /** The first `rows` rows of a tensor; the rest filled with `rest` (NaN: not computed yet). */
  private partial(t: Tensor, rows: number, rest: number): Tensor {
    const cols = t.shape[t.shape.length - 1];
    const data = t.data.slice();
    data.fill(rest, rows * cols);
    return { shape: t.shape, dtype: t.dtype, data };
  }

  /** The cell the current step changed first (the row just computed), for the panel to show. */
  changed(at: Position = this.position): { stage: StageId; tensor?: TensorName; index?: number[] } | undefined {
    if (at.stage < 0) return undefined;
    const stage = this.stages[at.stage];
    const out = ROW_STAGES[stage.id];
    if (at.sub === undefined || !out) return { stage: stage.id };
    const row = this.rowsDone(at.stage, at.sub) - 1;
    const t = this.trace.tensors[out]!;
    const per = t.shape[1];
    return { stage: stage.id, tensor: out, index: [Math.floor(row / per), row % per, 0] };
  }

  // ---- breakpoints ---------------------------------------------------------------

  setBreakpoints(lines: { line: number; condition?: string; hitCondition?: string }[]): Breakpoint[] {
    this.breakpoints = lines.map(l => {
      const hit = l.hitCondition !== undefined ? Number(l.hitCondition.replace(/^[>=\s]+/, '')) : undefined;
      const usedBy = this.stagesAtLine(l.line);
      return { id: this.nextBreakpointId++, line: l.line, condition: l.condition?.trim() || undefined, hitCondition: Number.isFinite(hit) ? hit : undefined, hits: 0, verified: usedBy.length > 0 };
    });
    return this.breakpoints;
  }

  /** Stages whose keys cover a spec line. */
  stagesAtLine(line: number): number[] {
    const keys = Object.entries(this.keyLines).filter(([, r]) => line >= r.start && line <= r.end).map(([k]) => k);
    return this.stages.map((s, i) => (STAGE_KEYS[s.id].some(k => keys.includes(k)) ? i : -1)).filter(i => i >= 0);
  }

  /** A breakpoint that stops after `stage` completes, counting hits (forward only). */
  private hitAt(stage: number, count: boolean): Breakpoint | undefined {
    const at: Position = { stage };
    for (const bp of this.breakpoints) {
      if (!bp.verified || !this.stagesAtLine(bp.line).includes(stage)) continue;
      if (bp.condition) {
        try {
          if (!truthy(evaluateText(bp.condition, this.scope(at)))) continue;
        } catch (e) {
          // A tensor that does not exist yet at this stage: the condition is simply not met here.
          if (/is not defined here/.test((e as Error).message)) continue;
          this.lastConditionError = `breakpoint condition "${bp.condition}" at line ${bp.line} failed: ${(e as Error).message}`;
          return bp; // stop, so the user sees the problem
        }
      }
      if (count) bp.hits++;
      if (bp.hitCondition !== undefined && bp.hits < bp.hitCondition) continue;
      return bp;
    }
    return undefined;
  }

  /** Names an expression can use at a position: tensors alive, with short aliases, and the geometry's numbers. */
  scope(at: Position = this.position): (name: string) => Tensor | number | undefined {
    const alive = this.alive(at);
    const aliases: Record<string, TensorName> = { w: 'weight', b: 'bias', x: 'input', δ: 'delta', δ_t: 'delta_t', dZ: 'delta' };
    const info = this.trace.info as unknown as Record<string, number>;
    return name => alive.get((aliases[name] ?? name) as TensorName) ?? (typeof info[name] === 'number' ? info[name] : undefined);
  }

  // ---- moving ------------------------------------------------------------------

  private get last(): number {
    return this.stages.length - 1;
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
