// A small numpy-style expression language for Watch, the debug console and
// conditional breakpoints: `z_t[0, 3]`, `a_t[0, :, 0:4]`, `dW.sum()`, `a_t.shape`,
// `z[0, 1] - 2`, `max(abs(z)) > 1000`, `any(isnan(dA))`, `layers[2].dA.max()`.
// This file reads the text into a tree (evaluate.ts computes it, format.ts prints
// values). Pure: no vscode, no DAP.

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

export type Index = { kind: 'at'; at: Node } | { kind: 'slice'; start?: Node; stop?: Node; step?: Node };
export type Node =
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
