// Runtime checks for values that arrive from outside (webview messages, DAP
// requests): each check throws a ProtocolError naming where the value sits and
// what it should have been, so nothing half-checked is ever used.

import { describeJson } from '../format/describe';

export class ProtocolError extends Error {}

export type Check = (v: unknown, at: string) => void;

/** What a wrong value was: its kind, and for a number, string or boolean the value itself. */
function described(v: unknown): string {
  if (v === undefined) return 'undefined';
  return describeJson(v);
}

export function fail(at: string, what: string, v: unknown): never {
  throw new ProtocolError(`${at}: expected ${what}, got ${described(v)}`);
}

export const str: Check = (v, at) => { if (typeof v !== 'string') fail(at, 'a string', v); };
export const num: Check = (v, at) => { if (typeof v !== 'number') fail(at, 'a number', v); };
export const bool: Check = (v, at) => { if (typeof v !== 'boolean') fail(at, 'a boolean', v); };
export const nat: Check = (v, at) => { if (!Number.isInteger(v) || (v as number) < 0) fail(at, 'a non-negative integer', v); };
export const arrayOf = (item: Check): Check => (v, at) => {
  if (!Array.isArray(v)) fail(at, 'an array', v);
  v.forEach((x, i) => item(x, `${at}[${i}]`));
};
export const oneOf = (...values: readonly string[]): Check => (v, at) => {
  if (typeof v !== 'string' || !values.includes(v)) fail(at, `one of ${values.join(', ')}`, v);
};
export const optional = (check: Check): Check => (v, at) => { if (v !== undefined) check(v, at); };
/** An object whose listed fields pass their checks; other fields are left alone. */
export const object = (fields: Record<string, Check>): Check => (v, at) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(at, 'an object', v);
  for (const [k, check] of Object.entries(fields)) check(Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined, `${at}.${k}`);
};
export const any: Check = () => {};
