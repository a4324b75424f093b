// Runtime checks for every message that crosses the webview boundary; a message
// that fails is rejected with the reason, never half-used.

import type { HostToWebview, WebviewToHost, WireTensor, WireTrace } from './messages';
import { TENSOR_NAMES } from '../engine/trace';

export class ProtocolError extends Error {}

type Check = (v: unknown, at: string) => void;

function fail(at: string, what: string, v: unknown): never {
  const got = v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
  throw new ProtocolError(`${at}: expected ${what}, got ${got}`);
}

const str: Check = (v, at) => { if (typeof v !== 'string') fail(at, 'a string', v); };
const num: Check = (v, at) => { if (typeof v !== 'number') fail(at, 'a number', v); };
const bool: Check = (v, at) => { if (typeof v !== 'boolean') fail(at, 'a boolean', v); };
const nat: Check = (v, at) => { if (!Number.isInteger(v) || (v as number) < 0) fail(at, 'a non-negative integer', v); };
const arrayOf = (item: Check): Check => (v, at) => {
  if (!Array.isArray(v)) fail(at, 'an array', v);
  v.forEach((x, i) => item(x, `${at}[${i}]`));
};
const oneOf = (...values: readonly string[]): Check => (v, at) => {
  if (typeof v !== 'string' || !values.includes(v)) fail(at, `one of ${values.join(', ')}`, v);
};
const optional = (check: Check): Check => (v, at) => { if (v !== undefined) check(v, at); };
const object = (fields: Record<string, Check>): Check => (v, at) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(at, 'an object', v);
  for (const [k, check] of Object.entries(fields)) check((v as Record<string, unknown>)[k], `${at}.${k}`);
};
const any: Check = () => {};

const tensorName = oneOf(...TENSOR_NAMES);
const dtype = oneOf('float64', 'float32');

const wireTensor: Check = (v, at) => {
  object({ name: tensorName, shape: arrayOf(nat), dtype, axes: arrayOf(str), about: str })(v, at);
  const t = v as WireTensor;
  // Not instanceof: the buffer may come from another realm (iframe, worker).
  if (Object.prototype.toString.call(t.buffer) !== '[object ArrayBuffer]') fail(`${at}.buffer`, 'an ArrayBuffer', t.buffer);
  const bytes = (t.dtype === 'float32' ? 4 : 8) * t.shape.reduce((a, b) => a * b, 1);
  if (t.buffer.byteLength !== bytes) {
    throw new ProtocolError(`${at}.buffer: ${t.buffer.byteLength} bytes for shape (${t.shape.join(', ')}) ${t.dtype}, expected ${bytes}`);
  }
};

const stage = object({
  id: str, pass: oneOf('forward', 'backward'), title: str, formula: str, inputs: arrayOf(tensorName), outputs: arrayOf(tensorName),
});

const wireTrace: Check = object({
  id: nat, file: str, uri: optional(str), dtype, info: object({ batch: nat, inChannels: nat, outChannels: nat, outHeight: nat, outWidth: nat, groups: nat }),
  stages: arrayOf(stage), tensors: arrayOf(wireTensor), warnings: arrayOf(str),
  rot180: optional(object({ maxAbsDiff: num, agrees: bool })),
});

const HOST_TO_WEBVIEW: Record<HostToWebview['type'], Check> = {
  trace: object({ trace: wireTrace }),
  running: object({ file: str }),
  failed: object({ file: str, message: str }),
};

const WEBVIEW_TO_HOST: Record<WebviewToHost['type'], Check> = {
  ready: any,
  rendered: object({ traceId: nat, shown: arrayOf(object({ name: tensorName, shape: arrayOf(nat), cells: arrayOf(str) })) }),
  error: object({ message: str }),
};

function check<T extends { type: string }>(table: Record<string, Check>, v: unknown): T {
  object({ type: str })(v, 'message');
  const type = (v as { type: string }).type;
  const c = Object.prototype.hasOwnProperty.call(table, type) ? table[type] : undefined;
  if (!c) throw new ProtocolError(`message.type: unknown message type '${type}'`);
  c(v, type);
  return v as T;
}

export function parseHostMessage(v: unknown): HostToWebview {
  return check<HostToWebview>(HOST_TO_WEBVIEW, v);
}

export function parseWebviewMessage(v: unknown): WebviewToHost {
  return check<WebviewToHost>(WEBVIEW_TO_HOST, v);
}

export type { WireTrace };
