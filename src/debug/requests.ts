// The arguments of every DAP request the conv debugger reads, checked before any
// handler sees them: a client (VS Code, a hand-written launch.json, a test) can
// send anything, and a bad value is answered with an error response naming the
// argument, never a crash, a runaway loop or a silently dropped limit.

import { type Check, any, arrayOf, bool, fail, nat, object, oneOf, optional, str } from '../protocol/checks';

const positiveInteger: Check = (v, at) => { if (!Number.isSafeInteger(v) || (v as number) < 1) fail(at, 'a positive integer', v); };
const specPath: Check = (v, at) => { if (typeof v !== 'string' || !v.trim()) fail(at, 'the path of the conv spec to debug (e.g. "${file}")', v); };

const source = object({ path: optional(str), name: optional(str), sourceReference: optional(nat) });
const sourceBreakpoint = object({ line: nat, column: optional(nat), condition: optional(str), hitCondition: optional(str), logMessage: optional(str) });
const stepping = object({ threadId: nat, singleThread: optional(bool), granularity: optional(oneOf('statement', 'line', 'instruction')) });
/** Requests whose arguments DAP makes optional. */
const maybe = (fields: Record<string, Check>): Check => optional(object(fields));

const ARGUMENTS: Record<string, Check> = {
  initialize: object({ adapterID: optional(str), linesStartAt1: optional(bool), columnsStartAt1: optional(bool), pathFormat: optional(str) }),
  configurationDone: maybe({}),
  launch: object({ spec: specPath, stopOnEntry: optional(bool), maxElements: optional(positiveInteger), dtype: optional(oneOf('float64', 'float32')), noDebug: optional(bool) }),
  setBreakpoints: object({ source, breakpoints: optional(arrayOf(sourceBreakpoint)), lines: optional(arrayOf(nat)), sourceModified: optional(bool) }),
  setFunctionBreakpoints: object({ breakpoints: arrayOf(object({ name: str, condition: optional(str), hitCondition: optional(str) })) }),
  threads: any,
  stackTrace: object({ threadId: nat, startFrame: optional(nat), levels: optional(nat) }),
  scopes: object({ frameId: nat }),
  variables: object({ variablesReference: nat, filter: optional(oneOf('indexed', 'named')), start: optional(nat), count: optional(nat) }),
  evaluate: object({ expression: str, frameId: optional(nat), context: optional(str) }),
  source: object({ source: optional(source), sourceReference: nat }),
  continue: stepping,
  next: stepping,
  stepIn: stepping,
  stepOut: stepping,
  stepBack: stepping,
  reverseContinue: stepping,
  disconnect: maybe({ restart: optional(bool), terminateDebuggee: optional(bool), suspendDebuggee: optional(bool) }),
  terminate: maybe({ restart: optional(bool) }),
};

/** Throws a ProtocolError (`launch: arguments.maxElements: expected a positive integer, got the string "abc"`) when a request's arguments are malformed. */
export function checkArguments(command: string, args: unknown): void {
  if (Object.hasOwn(ARGUMENTS, command)) ARGUMENTS[command](args, `${command}: arguments`);
}

/** Whether a request would take these arguments (the extension loads F5's spec early only for a launch that would). */
export function acceptsArguments(command: string, args: unknown): boolean {
  try {
    checkArguments(command, args);
    return true;
  } catch {
    return false;
  }
}
