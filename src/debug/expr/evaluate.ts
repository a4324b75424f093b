// Evaluates a parsed expression (parse.ts) against the session's tensors, within a
// budget of numbers allocated.

import { Tensor, formatShape, sizeOf, stridesOf } from '../../engine/tensor';
import { DEFAULT_MAX_ELEMENTS } from '../../engine/trace';
import { ExprError, Node, UndefinedNameError, parseExpression } from './parse';

/** A value: a number, a boolean, a tensor (always float64 here), a shape tuple, or a report (gradcheck's). */
export type Value = number | boolean | Tensor | { tuple: number[] } | { report: string };

/** Counts the numbers an evaluation allocates for its tensors, refusing before an allocation would pass the limit. */
class Budget {
  private used = 0;
  constructor(private readonly limit: number) {}
  take(count: number): void {
    if (count > this.limit - this.used) throw new ExprError(`the expression would allocate more than ${this.limit} numbers (the session's maxElements)`);
    this.used += count;
  }
}

function isTensor(v: Value): v is Tensor {
  return typeof v === 'object' && 'data' in v;
}

function asTensor(v: Value, what: string): Tensor {
  if (isTensor(v)) return v;
  if (typeof v === 'number' || typeof v === 'boolean') return { shape: [], dtype: 'float64', data: Float64Array.of(Number(v)) };
  throw new ExprError(`${what} is ${'report' in v ? 'a report' : 'a shape'}, not a tensor`);
}

function scalar(t: Tensor): Value {
  return t.shape.length === 0 ? t.data[0] : t;
}

function elementwise(a: Value, b: Value, f: (x: number, y: number) => number, op: string, budget: Budget): Value {
  if (!isTensor(a) && !isTensor(b)) {
    if (typeof a === 'object' || typeof b === 'object') throw new ExprError(`'${op}' does not apply to a ${[a, b].some(v => typeof v === 'object' && 'report' in v) ? 'report' : 'shape'}`);
    return f(Number(a), Number(b));
  }
  const ta = asTensor(a, 'the left side');
  const tb = asTensor(b, 'the right side');
  const sa = ta.data.length;
  const sb = tb.data.length;
  if (sa !== 1 && sb !== 1 && formatShape(ta.shape) !== formatShape(tb.shape)) {
    throw new ExprError(`shapes ${formatShape(ta.shape)} and ${formatShape(tb.shape)} do not match for '${op}'`);
  }
  const shape = sa === 1 ? tb.shape : ta.shape;
  const n = Math.max(sa, sb);
  budget.take(n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(ta.data[sa === 1 ? 0 : i], tb.data[sb === 1 ? 0 : i]);
  return scalar({ shape: [...shape], dtype: 'float64', data: out });
}

function map(v: Value, f: (x: number) => number, name: string, budget: Budget): Value {
  if (typeof v === 'number' || typeof v === 'boolean') return f(Number(v));
  const t = asTensor(v, name);
  budget.take(t.data.length);
  return { shape: [...t.shape], dtype: 'float64', data: Float64Array.from(t.data, f) };
}

function reduce(v: Value, name: string, init: number, f: (acc: number, x: number) => number, empty?: string): number {
  const t = asTensor(v, name);
  if (t.data.length === 0 && empty) throw new ExprError(empty);
  let acc = init;
  for (let i = 0; i < t.data.length; i++) acc = f(acc, t.data[i]);
  return acc;
}

// Maps, not object literals: a name is a function only if it is listed here (never `constructor` or `toString`).
// NaN propagates through max/min, as in numpy.
const REDUCTIONS = new Map<string, (v: Value) => Value>([
  ['sum', v => reduce(v, 'sum', 0, (a, x) => a + x)],
  ['mean', v => { const t = asTensor(v, 'mean'); return reduce(t, 'mean', 0, (a, x) => a + x) / (t.data.length || NaN); }],
  ['max', v => reduce(v, 'max', -Infinity, (a, x) => (x !== x || a !== a ? NaN : Math.max(a, x)), 'max of an empty tensor')],
  ['min', v => reduce(v, 'min', Infinity, (a, x) => (x !== x || a !== a ? NaN : Math.min(a, x)), 'min of an empty tensor')],
  ['any', v => reduce(v, 'any', 0, (a, x) => (a || x !== 0 ? 1 : 0)) === 1],
  ['all', v => reduce(v, 'all', 1, (a, x) => (a && x !== 0 ? 1 : 0)) === 1],
]);
const MAPS = new Map<string, (x: number) => number>([
  ['abs', Math.abs], ['sqrt', Math.sqrt], ['exp', Math.exp], ['log', Math.log], ['sign', Math.sign],
  ['isnan', x => (x !== x ? 1 : 0)], ['isinf', x => (x === Infinity || x === -Infinity ? 1 : 0)], ['isfinite', x => (Number.isFinite(x) ? 1 : 0)],
]);
/** Checks a gradient tensor, by the name written, against finite differences: a one-line report. */
export type GradientChecker = (name: string) => string;
const GRADCHECK = 'gradcheck';
const METHODS = [...REDUCTIONS.keys(), ...MAPS.keys()];
export const FUNCTIONS = [...METHODS, GRADCHECK];

const BINARY = new Map<string, (x: number, y: number) => number>([
  ['+', (x, y) => x + y], ['-', (x, y) => x - y], ['*', (x, y) => x * y], ['/', (x, y) => x / y], ['%', (x, y) => x % y], ['**', (x, y) => x ** y],
  ['<', (x, y) => Number(x < y)], ['>', (x, y) => Number(x > y)], ['<=', (x, y) => Number(x <= y)], ['>=', (x, y) => Number(x >= y)],
  ['==', (x, y) => Number(x === y)], ['!=', (x, y) => Number(x !== y)],
]);
const COMPARISONS = new Set(['<', '>', '<=', '>=', '==', '!=']);

/** A reduction or elementwise function applied to one value: `sum(z)`, `z.sum()`. */
function applyFunction(name: string, v: Value, budget: Budget): Value | undefined {
  const reduction = REDUCTIONS.get(name);
  if (reduction) return reduction(v);
  const f = MAPS.get(name);
  return f && map(v, f, name, budget);
}

type SliceIndex = { kind: 'at'; at: number } | { kind: 'slice'; start?: number; stop?: number; step?: number };

/** The indices a slice picks along an axis of length n, numpy's rules (negative bounds count from the end; bounds clamp). */
function slicePicks(ix: Extract<SliceIndex, { kind: 'slice' }>, n: number, budget: Budget): number[] {
  const step = ix.step ?? 1;
  if (!Number.isInteger(step) || step === 0) throw new ExprError(`slice step must be a non-zero integer, got ${step}`);
  for (const bound of [ix.start, ix.stop]) if (bound !== undefined && !Number.isInteger(bound)) throw new ExprError(`slice bounds must be integers, got ${bound}`);
  const norm = (v: number | undefined, dflt: number) => (v === undefined ? dflt : v < 0 ? Math.max(v + n, step > 0 ? 0 : -1) : Math.min(v, step > 0 ? n : n - 1));
  const start = norm(ix.start, step > 0 ? 0 : n - 1);
  const stop = norm(ix.stop, step > 0 ? n : -1);
  budget.take(Math.max(0, Math.ceil((stop - start) / step)));
  const sel: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) sel.push(i);
  return sel;
}

function slice(t: Tensor, indices: SliceIndex[], name: string, budget: Budget): Value {
  if (indices.length > t.shape.length) throw new ExprError(`${name} has ${t.shape.length} dimensions, ${indices.length} indices given`);
  const picks: number[][] = [];
  const outShape: number[] = [];
  t.shape.forEach((n, d) => {
    const ix = indices[d] ?? { kind: 'slice' };
    if (ix.kind === 'at') {
      const i = ix.at < 0 ? ix.at + n : ix.at;
      if (!Number.isInteger(ix.at) || i < 0 || i >= n) throw new ExprError(`index ${ix.at} is out of range for axis ${d} of ${name} ${formatShape(t.shape)}`);
      picks.push([i]);
      return;
    }
    const sel = slicePicks(ix, n, budget);
    picks.push(sel);
    outShape.push(sel.length);
  });
  const strides = stridesOf(t.shape);
  budget.take(sizeOf(outShape));
  const out = new Float64Array(sizeOf(outShape));
  let k = 0;
  const walk = (d: number, off: number) => {
    if (d === t.shape.length) { out[k++] = t.data[off]; return; }
    for (const i of picks[d]) walk(d + 1, off + i * strides[d]);
  };
  walk(0, 0);
  return scalar({ shape: outShape, dtype: 'float64', data: out });
}

function transpose(t: Tensor, budget: Budget): Tensor {
  if (t.shape.length !== 2) throw new ExprError(`.T needs a 2-D tensor, got ${formatShape(t.shape)}`);
  const [r, c] = t.shape;
  budget.take(r * c);
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return { shape: [c, r], dtype: 'float64', data: out };
}

function num(v: Value, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return Number(v);
  if (isTensor(v) && v.data.length === 1) return v.data[0];
  throw new ExprError(`${what} must be a number`);
}

/** The names an expression may use. It must answer from its own tables only (a Map, or own properties): never `constructor` or `__proto__`. */
export type Scope = (name: string) => Tensor | number | undefined;

const CONSTANTS = new Map<string, Value>([['True', true], ['true', true], ['False', false], ['false', false], ['nan', NaN], ['inf', Infinity]]);

interface Evaluation {
  scope: Scope;
  budget: Budget;
  gradcheck?: GradientChecker;
}

/** `gradcheck(dW)`: the tensor by name, checked by the session (which has the spec to run again). */
function gradcheck(args: Node[], ctx: Evaluation): Value {
  const [arg] = args;
  if (args.length !== 1 || arg.kind !== 'name') throw new ExprError('gradcheck() takes the name of a gradient tensor, e.g. gradcheck(dW) or gradcheck(layers[3].dW)');
  if (!ctx.gradcheck) throw new ExprError('gradcheck() needs the spec this session runs');
  return { report: ctx.gradcheck(arg.name) };
}

function lookUp(name: string, { scope, budget }: Evaluation): Value {
  const constant = CONSTANTS.get(name);
  if (constant !== undefined) return constant;
  const v = scope(name);
  if (v === undefined) throw new UndefinedNameError(`'${name}' is not defined here`);
  if (typeof v === 'number') return v;
  if (v.data instanceof Float64Array) return { shape: [...v.shape], dtype: 'float64', data: v.data };
  budget.take(v.data.length);
  return { shape: [...v.shape], dtype: 'float64', data: Float64Array.from(v.data) };
}

function attribute(t: Tensor, name: string, budget: Budget): Value {
  if (name === 'shape') return { tuple: [...t.shape] };
  if (name === 'size') return t.data.length;
  if (name === 'ndim') return t.shape.length;
  if (name === 'T') return transpose(t, budget);
  throw new ExprError(`unknown attribute '.${name}'; attributes: shape, size, ndim, T`);
}

function evaluateNode(node: Node, ctx: Evaluation): Value {
  const budget = ctx.budget;
  switch (node.kind) {
    case 'num': return node.value;
    case 'name': return lookUp(node.name, ctx);
    case 'unary': {
      const v = evaluateNode(node.arg, ctx);
      if (node.op === 'not') return isTensor(v) ? map(v, x => (x === 0 ? 1 : 0), 'not', budget) : !truthy(v);
      return map(v, x => -x, '-', budget);
    }
    case 'binary': {
      if (node.op === 'and') return truthy(evaluateNode(node.left, ctx)) && truthy(evaluateNode(node.right, ctx));
      if (node.op === 'or') return truthy(evaluateNode(node.left, ctx)) || truthy(evaluateNode(node.right, ctx));
      const a = evaluateNode(node.left, ctx);
      const b = evaluateNode(node.right, ctx);
      const r = elementwise(a, b, BINARY.get(node.op)!, node.op, budget);
      return COMPARISONS.has(node.op) && typeof r === 'number' ? r === 1 : r;
    }
    case 'call': {
      if (node.fn === GRADCHECK) return gradcheck(node.args, ctx);
      if (!REDUCTIONS.has(node.fn) && !MAPS.has(node.fn)) throw new ExprError(`unknown function '${node.fn}'; functions: ${FUNCTIONS.join(', ')}`);
      if (node.args.length !== 1) throw new ExprError(`${node.fn}() takes one argument`);
      return applyFunction(node.fn, evaluateNode(node.args[0], ctx), budget)!;
    }
    case 'method': {
      const target = evaluateNode(node.target, ctx);
      if (node.args === undefined) return attribute(asTensor(target, `.${node.name}`), node.name, budget);
      if (node.args.length) throw new ExprError(`.${node.name}() takes no arguments here`);
      const v = applyFunction(node.name, target, budget);
      if (v === undefined) throw new ExprError(`unknown method '.${node.name}()'; methods: ${METHODS.join(', ')}`);
      return v;
    }
    case 'index': {
      const target = evaluateNode(node.target, ctx);
      if (!isTensor(target)) throw new ExprError('only tensors can be indexed');
      const bound = (b: Node | undefined, what: string) => (b ? num(evaluateNode(b, ctx), what) : undefined);
      const indices = node.indices.map((ix): SliceIndex => (ix.kind === 'at'
        ? { kind: 'at', at: num(evaluateNode(ix.at, ctx), 'an index') }
        : { kind: 'slice', start: bound(ix.start, 'a slice bound'), stop: bound(ix.stop, 'a slice bound'), step: bound(ix.step, 'a slice step') }));
      const label = node.target.kind === 'name' ? node.target.name : 'the tensor';
      return slice(target, indices, label, budget);
    }
  }
}

/** Evaluates a parsed expression; `maxElements` bounds the numbers it may allocate in all. */
export function evaluate(node: Node, scope: Scope, maxElements = DEFAULT_MAX_ELEMENTS, checker?: GradientChecker): Value {
  return evaluateNode(node, { scope, budget: new Budget(maxElements), gradcheck: checker });
}

export function truthy(v: Value): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if ('tuple' in v) return v.tuple.length > 0;
  if ('report' in v) throw new ExprError('a report has no truth value');
  if (v.data.length === 1) return v.data[0] !== 0;
  throw new ExprError(`the truth value of a ${formatShape(v.shape)} tensor is ambiguous: use any(...) or all(...)`);
}

/** Parses and evaluates; errors come back as ExprError with a message for the console. */
export function evaluateText(text: string, scope: Scope, maxElements = DEFAULT_MAX_ELEMENTS, checker?: GradientChecker): Value {
  return evaluate(parseExpression(text), scope, maxElements, checker);
}
