// JSON text with positions: parses once, and turns a JSON path into a line and
// column only when an error needs one (building the syntax tree of a large
// tensor file is much slower than JSON.parse).

import { JSONPath, Node, ParseError, findNodeAtLocation, getLocation, parse, parseTree, printParseErrorCode } from 'jsonc-parser';

export type { JSONPath };

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  offset: number;
  length: number;
}

/** A problem in a spec, located by file, JSON path and (when known) line and column. */
export class SpecError extends Error {
  constructor(
    readonly file: string,
    readonly path: JSONPath | undefined,
    readonly problem: string,
    readonly position?: Position,
  ) {
    super(formatLocated(file, path, problem, position));
    this.name = 'SpecError';
  }
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

const SYNTAX_MESSAGES: Record<string, string> = {
  InvalidSymbol: 'unexpected symbol',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected a colon',
  CommaExpected: 'expected a comma',
  CloseBraceExpected: 'expected a closing brace }',
  CloseBracketExpected: 'expected a closing bracket ]',
  EndOfFileExpected: 'unexpected content after the end of the JSON value',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character',
};

export class JsonSource {
  private tree: Node | undefined;
  private lineStarts: number[] | undefined;

  private constructor(readonly file: string, readonly text: string | undefined, readonly value: unknown) {}

  /** A value that never was text (library callers): errors carry JSON paths but no line numbers. */
  static fromValue(file: string, value: unknown): JsonSource {
    return new JsonSource(file, undefined, value);
  }

  /** Parses JSON (comments allowed, as VS Code does for JSONC); throws SpecError with line and column. */
  static parse(file: string, text: string): JsonSource {
    if (text.trim() === '') throw new SpecError(file, undefined, 'the file is empty');
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
      const code = printParseErrorCode(e.error);
      let what = SYNTAX_MESSAGES[code] ?? code;
      if (code === 'CommaExpected') {
        // Say which closer would also do: inside an array ], inside an object }.
        const inArray = typeof getLocation(text, e.offset).path.at(-1) === 'number';
        what = inArray ? 'expected a comma or a closing bracket ]' : 'expected a comma or a closing brace }';
      }
      let problem = `malformed JSON: ${what}`;
      if (/^-?(NaN|Infinity)/.test(text.slice(e.offset))) {
        problem += ` (JSON has no NaN or Infinity; write them as strings: "NaN", "Infinity", "-Infinity")`;
      } else if (e.length > 0) {
        problem += ` at '${token.length > 20 ? token.slice(0, 20) + '…' : token}'`;
      }
      throw new SpecError(file, undefined, problem, source.positionAt(e.offset, e.length));
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
      const node = findNodeAtLocation(this.tree, path.slice(0, n));
      if (node) return this.positionAt(node.offset, node.length);
    }
    return undefined;
  }

  /** Position of a property's key, for errors about the key itself. */
  locateKey(path: JSONPath): Position | undefined {
    if (this.text === undefined) return undefined;
    this.tree ??= parseTree(this.text, [], { allowTrailingComma: false, disallowComments: false });
    const node = this.tree && findNodeAtLocation(this.tree, path);
    const key = node?.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
    return key ? this.positionAt(key.offset, key.length) : this.locate(path);
  }

  error(path: JSONPath | undefined, problem: string): SpecError {
    return new SpecError(this.file, path, problem, path ? this.locate(path) : undefined);
  }
}
