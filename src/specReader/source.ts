// JSON text with positions: parses once, and turns a JSON path into a line and
// column only when an error needs one (building the syntax tree of a large
// tensor file is much slower than JSON.parse).

import { JSONPath, Node, ParseError, getLocation, parse, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { JsonSyntax, Problem } from './problemCodes';
import { english } from './problemText.en';

export type { JSONPath };

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  offset: number;
  length: number;
}

/**
 * A problem in a spec, located by file, JSON path and (when known) line and column.
 * The problem is data (faces render it in their language); the message is English.
 */
export class SpecError extends Error {
  constructor(
    readonly file: string,
    readonly path: JSONPath | undefined,
    readonly problem: Problem,
    readonly position?: Position,
  ) {
    super(formatLocated(file, path, english(problem), position));
    this.name = 'SpecError';
  }

  /** The problem in English, without its location. */
  get detail(): string {
    return english(this.problem);
  }
}

/**
 * How deep JSON may nest: a network spec needs 7 levels (a 4-D weight inside a layer
 * inside the list), and the parsers and walks after this check recurse once a level.
 */
export const MAX_NESTING = 64;

export const TOO_DEEP: Problem = { code: 'json.tooDeep', args: { limit: MAX_NESTING } };

/** JSON nested deeper than MAX_NESTING: refused before anything recursive sees it. */
export class NestingError extends SpecError {
  constructor(file: string, path: JSONPath | undefined, position?: Position) {
    super(file, path, TOO_DEEP, position);
  }
}

/**
 * The offset of the first bracket that opens a level deeper than `limit`, or undefined:
 * one loop over the text, skipping strings (which, as jsonc-parser reads them, end at a
 * line break) and comments, so it needs no stack however the text nests.
 */
export function tooDeepAt(text: string, limit = MAX_NESTING): number | undefined {
  // A regular expression jumps over the numbers, which are most of a tensor file, far faster than a loop.
  const special = /[[\]{}"/]/g;
  let depth = 0;
  for (let m = special.exec(text); m; m = special.exec(text)) {
    const i = m.index;
    const ch = text.charCodeAt(i);
    if (ch === 91 /* [ */ || ch === 123 /* { */) {
      if (++depth > limit) return i;
    } else if (ch === 93 /* ] */ || ch === 125 /* } */) {
      if (depth > 0) depth--;
    } else if (ch === 34 /* " */) {
      special.lastIndex = skipString(text, i + 1);
    } else if (text.charCodeAt(i + 1) === 47 /* // */) {
      const end = text.indexOf('\n', i);
      special.lastIndex = end < 0 ? text.length : end;
    } else if (text.charCodeAt(i + 1) === 42 /* /* */) {
      const end = text.indexOf('*/', i + 2);
      special.lastIndex = end < 0 ? text.length : end + 2;
    }
  }
  return undefined;
}

/** Where a string that starts at `from` (after its quote) ends: after its closing quote, or at a line break (as jsonc-parser reads it). */
function skipString(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c === 10 || c === 13) return i;
    if (c === 92 /* \ */) i++;
  }
  return text.length;
}

/** The path of the first object or array nested deeper than `limit` in a parsed value (cycles included), or undefined. */
export function tooDeepPath(value: unknown, limit = MAX_NESTING): JSONPath | undefined {
  const stack: { v: unknown; path: JSONPath }[] = [{ v: value, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (path.length >= limit) return path;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (typeof v[i] === 'object' && v[i] !== null) stack.push({ v: v[i], path: [...path, i] });
    } else {
      for (const [k, x] of Object.entries(v)) if (typeof x === 'object' && x !== null) stack.push({ v: x, path: [...path, k] });
    }
  }
  return undefined;
}

/**
 * The node at a path, as JSON.parse reads the text: of duplicate keys the last one
 * counts, so that is the one errors point at (jsonc-parser's findNodeAtLocation takes the first).
 */
function nodeAt(root: Node, path: JSONPath): Node | undefined {
  let node: Node | undefined = root;
  for (const segment of path) {
    const children: Node[] | undefined = node?.children;
    if (!node || !children) return undefined;
    if (typeof segment === 'number') {
      node = node.type === 'array' && segment >= 0 ? children[segment] : undefined;
    } else {
      let value: Node | undefined;
      if (node.type === 'object') for (const p of children) if (p.children?.length === 2 && p.children[0].value === segment) value = p.children[1];
      node = value;
    }
  }
  return node;
}

/** `file:line:column`, or the file alone when the position is not known. */
export function specLocation(file: string, position?: Position): string {
  return position ? `${file}:${position.line}:${position.column}` : file;
}

export function formatLocated(file: string, path: JSONPath | undefined, problem: string, position?: Position): string {
  const where = specLocation(file, position);
  return path ? `${where}: ${jsonPath(path)}: ${problem}` : `${where}: ${problem}`;
}

/** `$.weight[1][0]`, `$["odd key"]`. */
export function jsonPath(path: JSONPath): string {
  let s = '$';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) s += `.${seg}`;
    else s += `[${JSON.stringify(seg)}]`;
  }
  return s;
}

export class JsonSource {
  private tree: Node | undefined;
  private lineStarts: number[] | undefined;

  private constructor(readonly file: string, readonly text: string | undefined, readonly value: unknown) {}

  /** A value that never was text (library callers): errors carry JSON paths but no line numbers. */
  static fromValue(file: string, value: unknown): JsonSource {
    const deep = tooDeepPath(value);
    if (deep) throw new NestingError(file, deep);
    return new JsonSource(file, undefined, value);
  }

  /**
   * Parses JSON (comments allowed, as VS Code does for JSONC); throws SpecError with line and column.
   * A byte order mark is dropped (as editors and TextDecoder do), so every face reads the same text.
   */
  static parse(file: string, text: string): JsonSource {
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim() === '') throw new SpecError(file, undefined, { code: 'json.empty', args: {} });
    const deep = tooDeepAt(text);
    if (deep !== undefined) throw new NestingError(file, undefined, new JsonSource(file, text, undefined).positionAt(deep, 1));
    try {
      return new JsonSource(file, text, JSON.parse(text));
    } catch {
      // Slow path: comments, or a real syntax error that needs a position.
    }
    const errors: ParseError[] = [];
    const value: unknown = parse(text, errors, { allowTrailingComma: false, disallowComments: false });
    const source = new JsonSource(file, text, value);
    if (errors.length > 0) {
      const e = errors[0];
      const token = text.substr(e.offset, Math.max(e.length, 1));
      // jsonc-parser's ParseErrorCode names are the JsonSyntax codes.
      let error = printParseErrorCode(e.error) as JsonSyntax;
      if (error === 'CommaExpected') {
        // Say which closer would also do: inside an array ], inside an object }.
        error = typeof getLocation(text, e.offset).path.at(-1) === 'number' ? 'CommaOrBracketExpected' : 'CommaOrBraceExpected';
      }
      const args = /^-?(NaN|Infinity)/.test(text.slice(e.offset)) ? { error, nonFinite: true }
        : e.length > 0 ? { error, near: token.length > 20 ? token.slice(0, 20) + '…' : token }
        : { error };
      throw new SpecError(file, undefined, { code: 'json.syntax', args }, source.positionAt(e.offset, e.length));
    }
    return source;
  }

  positionAt(offset: number, length = 0): Position | undefined {
    if (this.text === undefined) return undefined;
    if (!this.lineStarts) {
      this.lineStarts = [0];
      for (let i = 0; i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    }
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo] + 1, offset, length };
  }

  /** Position of the value at path (or of its nearest existing ancestor). */
  locate(path: JSONPath): Position | undefined {
    if (this.text === undefined) return undefined;
    this.tree ??= parseTree(this.text, [], { allowTrailingComma: false, disallowComments: false });
    if (!this.tree) return undefined;
    for (let n = path.length; n >= 0; n--) {
      const node = nodeAt(this.tree, path.slice(0, n));
      if (node) return this.positionAt(node.offset, node.length);
    }
    return undefined;
  }

  /** Position of a property's key, for errors about the key itself. */
  locateKey(path: JSONPath): Position | undefined {
    if (this.text === undefined) return undefined;
    this.tree ??= parseTree(this.text, [], { allowTrailingComma: false, disallowComments: false });
    const node = this.tree && nodeAt(this.tree, path);
    const key = node?.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
    return key ? this.positionAt(key.offset, key.length) : this.locate(path);
  }

  error(path: JSONPath | undefined, problem: Problem): SpecError {
    return new SpecError(this.file, path, problem, path ? this.locate(path) : undefined);
  }
}
