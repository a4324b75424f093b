// A small numpy-style expression language for Watch, the debug console and
// conditional breakpoints: `z_t[0, 3]`, `a_t[0, :, 0:4]`, `dW.sum()`, `a_t.shape`,
// `z[0, 1] - 2`, `max(abs(z)) > 1000`, `any(isnan(dA))`, `layers[2].dA.max()`. Pure: no vscode, no DAP.

import { Tensor, formatShape, sizeOf, stridesOf } from '../engine/tensor';
import { DEFAULT_MAX_ELEMENTS } from '../engine/trace';
import { formatNumber } from '../format/text';

/** Every problem with an expression: shown to the user as the evaluate error, never as a JS stack. */
export class ExprError extends Error {}
/** A name that is not in scope (a breakpoint condition about a tensor made later simply waits). */
export class UndefinedNameError extends ExprError {}

// Bounds on one expression, so nothing typed into Watch, the console or a
// breakpoint condition can overflow the stack, hang or exhaust the host:
// - its text: at most MAX_LENGTH characters (checked before tokenizing);
// - its nesting: at most MAX_DEPTH levels, counting brackets, signs, `not` and
//   chained operators alike (parsing and evaluation recurse once per level;
//   checked while parsing, before the recursion goes deeper);
// - its temporaries: at most `maxElements` numbers allocated in all by one
//   evaluation, the session's maxElements (the size the largest tensor of a spec
//   may have), counted before each allocation.
export const MAX_LENGTH = 10_000;
export const MAX_DEPTH = 100;

/** A value: a number, a boolean, a tensor (always float64 here), or a shape tuple. */
export type Value = number | boolean | Tensor | { tuple: number[] };

type Token = { kind: 'num'; value: number } | { kind: 'id'; value: string } | { kind: 'op'; value: string } | { kind: 'end' };

const NUMBER = /\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?/iy;
// A network's tensors are named as the CLI names them: layers[2].dA, loss.probs.
const QUALIFIED = /(?:layers\[\d+\]|loss)\.[A-Za-z_]\w*/y;
const NAME = /[A-Za-z_\u0370-\u03ff∂][\w\u0370-\u03ff∂/]*/y;
const OPERATOR = /<=|>=|==|!=|&&|\|\||\*\*|[-+*/%<>()[\],:.!]/y;

/** The text a sticky pattern matches at `at`, if any (one pass over the text, no slicing). */
function matchAt(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(text)?.[0];
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i])) { i++; continue; }
    const num = matchAt(NUMBER, text, i);
    if (num) { tokens.push({ kind: 'num', value: Number(num) }); i += num.length; continue; }
    const id = matchAt(QUALIFIED, text, i) ?? matchAt(NAME, text, i);
    if (id) { tokens.push({ kind: 'id', value: id }); i += id.length; continue; }
    const op = matchAt(OPERATOR, text, i);
    if (op) { tokens.push({ kind: 'op', value: op }); i += op.length; continue; }
    throw new ExprError(`unexpected '${text[i]}' at column ${i + 1}`);
  }
  tokens.push({ kind: 'end' });
  return tokens;
}

type Index = { kind: 'at'; at: Node } | { kind: 'slice'; start?: Node; stop?: Node; step?: Node };
type Node =
  | { kind: 'num'; value: number }
  | { kind: 'name'; name: string }
  | { kind: 'unary'; op: string; arg: Node }
  | { kind: 'binary'; op: string; left: Node; right: Node }
  | { kind: 'call'; fn: string; args: Node[] }
  | { kind: 'method'; target: Node; name: string; args: Node[] | undefined }
  | { kind: 'index'; target: Node; indices: Index[] };

/** The direct sub-expressions of a node. */
function childrenOf(n: Node): Node[] {
  switch (n.kind) {
    case 'num': case 'name': return [];
    case 'unary': return [n.arg];
    case 'binary': return [n.left, n.right];
    case 'call': return n.args;
    case 'method': return [n.target, ...(n.args ?? [])];
    case 'index': return [n.target, ...n.indices.flatMap(ix => (ix.kind === 'at' ? [ix.at] : [ix.start, ix.stop, ix.step].filter((b): b is Node => b !== undefined)))];
  }
}

function tooDeep(): ExprError {
  return new ExprError(`the expression nests more than ${MAX_DEPTH} levels deep (brackets, signs and chained operators each count)`);
}

class Parser {
  private i = 0;
  /** How deep the parse has recursed (brackets, signs, `not`). */
  private depth = 0;
  /** The height of each node built: chained operators (`a + b + c ...`) deepen the tree without recursing here, but evaluation recurses along it. */
  private readonly heights = new WeakMap<Node, number>();
  constructor(private readonly tokens: Token[]) {}
  private peek(): Token { return this.tokens[this.i]; }
  private isOp(v: string): boolean { const t = this.peek(); return t.kind === 'op' && t.value === v; }
  private isWord(v: string): boolean { const t = this.peek(); return t.kind === 'id' && t.value === v; }
  private take(v: string): void {
    if (!this.isOp(v)) throw new ExprError(`expected '${v}'${this.describe()}`);
    this.i++;
  }
  private describe(): string {
    const t = this.peek();
    return t.kind === 'end' ? ' at the end' : ` before '${'value' in t ? t.value : ''}'`;
  }
  /** Every node is made here, so no tree is taller than MAX_DEPTH. */
  private build(n: Node): Node {
    const height = 1 + childrenOf(n).reduce((h, c) => Math.max(h, this.heights.get(c) ?? 1), 0);
    if (height > MAX_DEPTH) throw tooDeep();
    this.heights.set(n, height);
    return n;
  }
  /** Runs a rule one level deeper, refusing before the recursion could overflow the stack. */
  private nested(rule: () => Node): Node {
    if (++this.depth > MAX_DEPTH) throw tooDeep();
    const n = rule();
    this.depth--;
    return n;
  }

  parse(): Node {
    const n = this.or();
    if (this.peek().kind !== 'end') throw new ExprError(`unexpected${this.describe()}`);
    return n;
  }
  private or(): Node {
    let n = this.and();
    while (this.isOp('||') || this.isWord('or')) { this.i++; n = this.build({ kind: 'binary', op: 'or', left: n, right: this.and() }); }
    return n;
  }
  private and(): Node {
    let n = this.not();
    while (this.isOp('&&') || this.isWord('and')) { this.i++; n = this.build({ kind: 'binary', op: 'and', left: n, right: this.not() }); }
    return n;
  }
  private not(): Node {
    if (!this.isOp('!') && !this.isWord('not')) return this.compare();
    this.i++;
    return this.nested(() => this.build({ kind: 'unary', op: 'not', arg: this.not() }));
  }
  private compare(): Node {
    const n = this.add();
    const t = this.peek();
    if (t.kind === 'op' && ['<', '>', '<=', '>=', '==', '!='].includes(t.value)) { this.i++; return this.build({ kind: 'binary', op: t.value, left: n, right: this.add() }); }
    return n;
  }
  private add(): Node {
    let n = this.mul();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.value === '+' || t.value === '-')) { this.i++; n = this.build({ kind: 'binary', op: t.value, left: n, right: this.mul() }); } else return n;
    }
  }
  private mul(): Node {
    let n = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.value === '*' || t.value === '/' || t.value === '%')) { this.i++; n = this.build({ kind: 'binary', op: t.value, left: n, right: this.unary() }); } else return n;
    }
  }
  /** Every operand passes here, so every recursion of the grammar (brackets, indices, arguments, signs, `**`) is counted here; `not` counts its own. */
  private unary(): Node {
    return this.nested(() => {
      if (this.isOp('-')) { this.i++; return this.build({ kind: 'unary', op: '-', arg: this.unary() }); }
      if (this.isOp('+')) { this.i++; return this.unary(); }
      return this.power();
    });
  }
  private power(): Node {
    const n = this.postfix();
    if (this.isOp('**')) { this.i++; return this.build({ kind: 'binary', op: '**', left: n, right: this.unary() }); }
    return n;
  }
  private args(): Node[] {
    const args: Node[] = [];
    this.take('(');
    if (!this.isOp(')')) {
      args.push(this.or());
      while (this.isOp(',')) { this.i++; args.push(this.or()); }
    }
    this.take(')');
    return args;
  }
  private postfix(): Node {
    let n = this.primary();
    for (;;) {
      if (this.isOp('[')) {
        this.i++;
        const indices: Index[] = [this.index()];
        while (this.isOp(',')) { this.i++; indices.push(this.index()); }
        this.take(']');
        n = this.build({ kind: 'index', target: n, indices });
      } else if (this.isOp('.')) {
        this.i++;
        const t = this.peek();
        if (t.kind !== 'id') throw new ExprError(`expected a method or attribute after '.'${this.describe()}`);
        this.i++;
        n = this.build({ kind: 'method', target: n, name: t.value, args: this.isOp('(') ? this.args() : undefined });
      } else {
        return n;
      }
    }
  }
  private index(): Index {
    const bound = () => (this.isOp(':') || this.isOp(',') || this.isOp(']') ? undefined : this.add());
    const start = bound();
    if (!this.isOp(':')) {
      if (!start) throw new ExprError(`expected an index${this.describe()}`);
      return { kind: 'at', at: start };
    }
    this.i++;
    const stop = bound();
    let step: Node | undefined;
    if (this.isOp(':')) { this.i++; step = bound(); }
    return { kind: 'slice', start, stop, step };
  }
  private primary(): Node {
    const t = this.peek();
    if (t.kind === 'num') { this.i++; return this.build({ kind: 'num', value: t.value }); }
    if (t.kind === 'id') {
      this.i++;
      if (this.isOp('(')) return this.build({ kind: 'call', fn: t.value, args: this.args() });
      return this.build({ kind: 'name', name: t.value });
    }
    if (this.isOp('(')) { this.i++; const n = this.or(); this.take(')'); return n; }
    throw new ExprError(`expected a value${this.describe()}`);
  }
}

export function parseExpression(text: string): Node {
  if (text.length > MAX_LENGTH) throw new ExprError(`the expression is ${text.length} characters long; the limit is ${MAX_LENGTH}`);
  if (!text.trim()) throw new ExprError('empty expression');
  return new Parser(tokenize(text)).parse();
}

// ---- evaluation --------------------------------------------------------------

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
  throw new ExprError(`${what} is a shape, not a tensor`);
}

function scalar(t: Tensor): Value {
  return t.shape.length === 0 ? t.data[0] : t;
}

function elementwise(a: Value, b: Value, f: (x: number, y: number) => number, op: string, budget: Budget): Value {
  if (!isTensor(a) && !isTensor(b)) {
    if (typeof a === 'object' || typeof b === 'object') throw new ExprError(`'${op}' does not apply to a shape`);
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
export const FUNCTIONS = [...REDUCTIONS.keys(), ...MAPS.keys()];

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
      if (!REDUCTIONS.has(node.fn) && !MAPS.has(node.fn)) throw new ExprError(`unknown function '${node.fn}'; functions: ${FUNCTIONS.join(', ')}`);
      if (node.args.length !== 1) throw new ExprError(`${node.fn}() takes one argument`);
      return applyFunction(node.fn, evaluateNode(node.args[0], ctx), budget)!;
    }
    case 'method': {
      const target = evaluateNode(node.target, ctx);
      if (node.args === undefined) return attribute(asTensor(target, `.${node.name}`), node.name, budget);
      if (node.args.length) throw new ExprError(`.${node.name}() takes no arguments here`);
      const v = applyFunction(node.name, target, budget);
      if (v === undefined) throw new ExprError(`unknown method '.${node.name}()'; methods: ${FUNCTIONS.join(', ')}`);
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
export function evaluate(node: Node, scope: Scope, maxElements = DEFAULT_MAX_ELEMENTS): Value {
  return evaluateNode(node, { scope, budget: new Budget(maxElements) });
}

export function truthy(v: Value): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if ('tuple' in v) return v.tuple.length > 0;
  if (v.data.length === 1) return v.data[0] !== 0;
  throw new ExprError(`the truth value of a ${formatShape(v.shape)} tensor is ambiguous: use any(...) or all(...)`);
}

/** Formats a value for the console and Watch: numbers exactly, small tensors numpy-style, big ones summarized. */
export function formatValue(v: Value, precision = 6): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : formatNumber(v);
  if ('tuple' in v) return v.tuple.length === 1 ? `(${v.tuple[0]},)` : `(${v.tuple.join(', ')})`;
  if (v.data.length <= 64) {
    const build = (d: number, off: number): string => {
      if (d === v.shape.length) return formatNumber(v.data[off], precision);
      const stride = sizeOf(v.shape.slice(d + 1));
      const parts: string[] = [];
      for (let i = 0; i < v.shape[d]; i++) parts.push(build(d + 1, off + i * stride));
      return `[${parts.join(', ')}]`;
    };
    return build(0, 0);
  }
  return summarize(v, precision);
}

/** `float64 (1, 9, 12) min 1 max 9`. */
export function summarize(t: Tensor, precision = 6): string {
  let min = Infinity;
  let max = -Infinity;
  let bad = 0;
  for (let i = 0; i < t.data.length; i++) {
    const x = t.data[i];
    if (!Number.isFinite(x)) { bad++; continue; }
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const range = min <= max ? ` min ${formatNumber(min, precision)} max ${formatNumber(max, precision)}` : '';
  return `${t.dtype} ${formatShape(t.shape)}${range}${bad ? ` (${bad} non-finite)` : ''}`;
}

/** Parses and evaluates; errors come back as ExprError with a message for the console. */
export function evaluateText(text: string, scope: Scope, maxElements = DEFAULT_MAX_ELEMENTS): Value {
  return evaluate(parseExpression(text), scope, maxElements);
}
