// A small numpy-style expression language for Watch, the debug console and
// conditional breakpoints: `z_t[0, 3]`, `a_t[0, :, 0:4]`, `dW.sum()`, `a_t.shape`,
// `z[0, 1] - 2`, `max(abs(z)) > 1000`, `any(isnan(dA))`, `layers[2].dA.max()`. Pure: no vscode, no DAP.

import { Tensor, formatShape, sizeOf, stridesOf } from '../engine/tensor';
import { formatNumber } from '../format/text';

export class ExprError extends Error {}

/** A value: a number, a boolean, a tensor (always float64 here), or a shape tuple. */
export type Value = number | boolean | Tensor | { tuple: number[] };

type Token = { kind: 'num'; value: number } | { kind: 'id'; value: string } | { kind: 'op'; value: string } | { kind: 'end' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    const num = /^(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?)/i.exec(text.slice(i));
    if (num) { tokens.push({ kind: 'num', value: Number(num[0]) }); i += num[0].length; continue; }
    // A network's tensors are named as the CLI names them: layers[2].dA, loss.probs.
    const qualified = /^(?:layers\[\d+\]|loss)\.[A-Za-z_]\w*/.exec(text.slice(i));
    if (qualified) { tokens.push({ kind: 'id', value: qualified[0] }); i += qualified[0].length; continue; }
    const id = /^[A-Za-z_\u0370-\u03ff∂][\w\u0370-\u03ff∂/]*/.exec(text.slice(i));
    if (id) { tokens.push({ kind: 'id', value: id[0] }); i += id[0].length; continue; }
    const op = /^(<=|>=|==|!=|&&|\|\||\*\*|[-+*/%<>()[\],:.!])/.exec(text.slice(i));
    if (op) { tokens.push({ kind: 'op', value: op[0] }); i += op[0].length; continue; }
    throw new ExprError(`unexpected '${c}' at column ${i + 1}`);
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

class Parser {
  private i = 0;
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

  parse(): Node {
    const n = this.or();
    if (this.peek().kind !== 'end') throw new ExprError(`unexpected${this.describe()}`);
    return n;
  }
  private or(): Node {
    let n = this.and();
    while (this.isOp('||') || this.isWord('or')) { this.i++; n = { kind: 'binary', op: 'or', left: n, right: this.and() }; }
    return n;
  }
  private and(): Node {
    let n = this.not();
    while (this.isOp('&&') || this.isWord('and')) { this.i++; n = { kind: 'binary', op: 'and', left: n, right: this.not() }; }
    return n;
  }
  private not(): Node {
    if (this.isOp('!') || this.isWord('not')) { this.i++; return { kind: 'unary', op: 'not', arg: this.not() }; }
    return this.compare();
  }
  private compare(): Node {
    const n = this.add();
    const t = this.peek();
    if (t.kind === 'op' && ['<', '>', '<=', '>=', '==', '!='].includes(t.value)) { this.i++; return { kind: 'binary', op: t.value, left: n, right: this.add() }; }
    return n;
  }
  private add(): Node {
    let n = this.mul();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.value === '+' || t.value === '-')) { this.i++; n = { kind: 'binary', op: t.value, left: n, right: this.mul() }; } else return n;
    }
  }
  private mul(): Node {
    let n = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'op' && (t.value === '*' || t.value === '/' || t.value === '%')) { this.i++; n = { kind: 'binary', op: t.value, left: n, right: this.unary() }; } else return n;
    }
  }
  private unary(): Node {
    if (this.isOp('-')) { this.i++; return { kind: 'unary', op: '-', arg: this.unary() }; }
    if (this.isOp('+')) { this.i++; return this.unary(); }
    return this.power();
  }
  private power(): Node {
    const n = this.postfix();
    if (this.isOp('**')) { this.i++; return { kind: 'binary', op: '**', left: n, right: this.unary() }; }
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
        n = { kind: 'index', target: n, indices };
      } else if (this.isOp('.')) {
        this.i++;
        const t = this.peek();
        if (t.kind !== 'id') throw new ExprError(`expected a method or attribute after '.'${this.describe()}`);
        this.i++;
        n = { kind: 'method', target: n, name: t.value, args: this.isOp('(') ? this.args() : undefined };
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
    if (t.kind === 'num') { this.i++; return { kind: 'num', value: t.value }; }
    if (t.kind === 'id') {
      this.i++;
      if (this.isOp('(')) return { kind: 'call', fn: t.value, args: this.args() };
      return { kind: 'name', name: t.value };
    }
    if (this.isOp('(')) { this.i++; const n = this.or(); this.take(')'); return n; }
    throw new ExprError(`expected a value${this.describe()}`);
  }
}

export function parseExpression(text: string): Node {
  if (!text.trim()) throw new ExprError('empty expression');
  return new Parser(tokenize(text)).parse();
}

// ---- evaluation --------------------------------------------------------------

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

function elementwise(a: Value, b: Value, f: (x: number, y: number) => number, op: string): Value {
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
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(ta.data[sa === 1 ? 0 : i], tb.data[sb === 1 ? 0 : i]);
  return scalar({ shape: [...shape], dtype: 'float64', data: out });
}

function map(v: Value, f: (x: number) => number, name: string): Value {
  if (typeof v === 'number' || typeof v === 'boolean') return f(Number(v));
  const t = asTensor(v, name);
  return { shape: [...t.shape], dtype: 'float64', data: Float64Array.from(t.data, f) };
}

function reduce(v: Value, name: string, init: number, f: (acc: number, x: number) => number, empty?: string): number {
  const t = asTensor(v, name);
  if (t.data.length === 0 && empty) throw new ExprError(empty);
  let acc = init;
  for (let i = 0; i < t.data.length; i++) acc = f(acc, t.data[i]);
  return acc;
}

// NaN propagates through max/min, as in numpy.
const REDUCTIONS: Record<string, (v: Value) => Value> = {
  sum: v => reduce(v, 'sum', 0, (a, x) => a + x),
  mean: v => { const t = asTensor(v, 'mean'); return reduce(t, 'mean', 0, (a, x) => a + x) / (t.data.length || NaN); },
  max: v => reduce(v, 'max', -Infinity, (a, x) => (x !== x || a !== a ? NaN : Math.max(a, x)), 'max of an empty tensor'),
  min: v => reduce(v, 'min', Infinity, (a, x) => (x !== x || a !== a ? NaN : Math.min(a, x)), 'min of an empty tensor'),
  any: v => reduce(v, 'any', 0, (a, x) => (a || x !== 0 ? 1 : 0)) === 1,
  all: v => reduce(v, 'all', 1, (a, x) => (a && x !== 0 ? 1 : 0)) === 1,
};
const MAPS: Record<string, (x: number) => number> = {
  abs: Math.abs, sqrt: Math.sqrt, exp: Math.exp, log: Math.log, sign: Math.sign,
  isnan: x => (x !== x ? 1 : 0), isinf: x => (x === Infinity || x === -Infinity ? 1 : 0), isfinite: x => (Number.isFinite(x) ? 1 : 0),
};
export const FUNCTIONS = [...Object.keys(REDUCTIONS), ...Object.keys(MAPS)];

function slice(t: Tensor, indices: ({ kind: 'at'; at: number } | { kind: 'slice'; start?: number; stop?: number; step?: number })[], name: string): Value {
  if (indices.length > t.shape.length) throw new ExprError(`${name} has ${t.shape.length} dimensions, ${indices.length} indices given`);
  const picks: number[][] = [];
  const outShape: number[] = [];
  t.shape.forEach((n, d) => {
    const ix = indices[d];
    if (!ix || (ix.kind === 'slice' && ix.start === undefined && ix.stop === undefined && ix.step === undefined)) {
      picks.push(Array.from({ length: n }, (_, i) => i));
      outShape.push(n);
      return;
    }
    if (ix.kind === 'at') {
      const i = ix.at < 0 ? ix.at + n : ix.at;
      if (!Number.isInteger(ix.at) || i < 0 || i >= n) throw new ExprError(`index ${ix.at} is out of range for axis ${d} of ${name} ${formatShape(t.shape)}`);
      picks.push([i]);
      return;
    }
    const step = ix.step ?? 1;
    if (!Number.isInteger(step) || step === 0) throw new ExprError(`slice step must be a non-zero integer, got ${step}`);
    const norm = (v: number | undefined, dflt: number) => (v === undefined ? dflt : v < 0 ? Math.max(v + n, step > 0 ? 0 : -1) : Math.min(v, step > 0 ? n : n - 1));
    const start = norm(ix.start, step > 0 ? 0 : n - 1);
    const stop = norm(ix.stop, step > 0 ? n : -1);
    const sel: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) sel.push(i);
    picks.push(sel);
    outShape.push(sel.length);
  });
  const strides = stridesOf(t.shape);
  const out = new Float64Array(sizeOf(outShape));
  let k = 0;
  const walk = (d: number, off: number) => {
    if (d === t.shape.length) { out[k++] = t.data[off]; return; }
    for (const i of picks[d]) walk(d + 1, off + i * strides[d]);
  };
  walk(0, 0);
  return scalar({ shape: outShape, dtype: 'float64', data: out });
}

function num(v: Value, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return Number(v);
  if (isTensor(v) && v.data.length === 1) return v.data[0];
  throw new ExprError(`${what} must be a number`);
}

export type Scope = (name: string) => Tensor | number | undefined;

export function evaluate(node: Node, scope: Scope): Value {
  switch (node.kind) {
    case 'num': return node.value;
    case 'name': {
      if (node.name === 'True' || node.name === 'true') return true;
      if (node.name === 'False' || node.name === 'false') return false;
      if (node.name === 'nan') return NaN;
      if (node.name === 'inf') return Infinity;
      const v = scope(node.name);
      if (v === undefined) throw new ExprError(`'${node.name}' is not defined here`);
      if (typeof v === 'number') return v;
      return { shape: [...v.shape], dtype: 'float64', data: v.data instanceof Float64Array ? v.data : Float64Array.from(v.data) };
    }
    case 'unary': {
      const v = evaluate(node.arg, scope);
      if (node.op === 'not') return isTensor(v) ? map(v, x => (x === 0 ? 1 : 0), 'not') : !truthy(v);
      return map(v, x => -x, '-');
    }
    case 'binary': {
      if (node.op === 'and') return truthy(evaluate(node.left, scope)) && truthy(evaluate(node.right, scope));
      if (node.op === 'or') return truthy(evaluate(node.left, scope)) || truthy(evaluate(node.right, scope));
      const a = evaluate(node.left, scope);
      const b = evaluate(node.right, scope);
      const ops: Record<string, (x: number, y: number) => number> = {
        '+': (x, y) => x + y, '-': (x, y) => x - y, '*': (x, y) => x * y, '/': (x, y) => x / y, '%': (x, y) => x % y, '**': (x, y) => x ** y,
        '<': (x, y) => Number(x < y), '>': (x, y) => Number(x > y), '<=': (x, y) => Number(x <= y), '>=': (x, y) => Number(x >= y),
        '==': (x, y) => Number(x === y), '!=': (x, y) => Number(x !== y),
      };
      const r = elementwise(a, b, ops[node.op], node.op);
      return ['<', '>', '<=', '>=', '==', '!='].includes(node.op) && typeof r === 'number' ? r === 1 : r;
    }
    case 'call': {
      const args = node.args.map(a => evaluate(a, scope));
      if (node.fn in REDUCTIONS) {
        if (args.length !== 1) throw new ExprError(`${node.fn}() takes one argument`);
        return REDUCTIONS[node.fn](args[0]);
      }
      if (node.fn in MAPS) {
        if (args.length !== 1) throw new ExprError(`${node.fn}() takes one argument`);
        return map(args[0], MAPS[node.fn], node.fn);
      }
      throw new ExprError(`unknown function '${node.fn}'; functions: ${FUNCTIONS.join(', ')}`);
    }
    case 'method': {
      const target = evaluate(node.target, scope);
      const name = node.name;
      if (node.args === undefined) {
        const t = asTensor(target, `.${name}`);
        if (name === 'shape') return { tuple: [...t.shape] };
        if (name === 'size') return t.data.length;
        if (name === 'ndim') return t.shape.length;
        if (name === 'T') {
          if (t.shape.length !== 2) throw new ExprError(`.T needs a 2-D tensor, got ${formatShape(t.shape)}`);
          const [r, c] = t.shape;
          const out = new Float64Array(r * c);
          for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
          return { shape: [c, r], dtype: 'float64', data: out };
        }
        throw new ExprError(`unknown attribute '.${name}'; attributes: shape, size, ndim, T`);
      }
      if (node.args.length) throw new ExprError(`.${name}() takes no arguments here`);
      if (name in REDUCTIONS) return REDUCTIONS[name](target);
      if (name in MAPS) return map(target, MAPS[name], name);
      throw new ExprError(`unknown method '.${name}()'; methods: ${FUNCTIONS.join(', ')}`);
    }
    case 'index': {
      const target = evaluate(node.target, scope);
      if (!isTensor(target)) throw new ExprError('only tensors can be indexed');
      const indices = node.indices.map(ix => ix.kind === 'at'
        ? { kind: 'at' as const, at: num(evaluate(ix.at, scope), 'an index') }
        : { kind: 'slice' as const, start: ix.start && num(evaluate(ix.start, scope), 'a slice bound'), stop: ix.stop && num(evaluate(ix.stop, scope), 'a slice bound'), step: ix.step && num(evaluate(ix.step, scope), 'a slice step') });
      const label = node.target.kind === 'name' ? node.target.name : 'the tensor';
      return slice(target, indices, label);
    }
  }
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
export function evaluateText(text: string, scope: Scope): Value {
  return evaluate(parseExpression(text), scope);
}
