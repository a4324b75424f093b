// Runtime checks for every message that crosses the webview boundary; a message
// that fails is rejected with the reason, never half-used.

import type { HostToWebview, WebviewToHost, WireTensor, WireTrace } from './messages';
import { COLOR_SCHEMES, STAGE_SETS, TILES_PER_REQUEST } from './messages';
import type { About, ArgsKey } from '../engine/about';
import { ABOUT_EN } from '../engine/aboutText.en';
import { TENSOR_NAMES } from '../engine/trace';
import { STAGE_IDS } from '../engine/trace';
import { ACTIVATION_KINDS } from '../engine/layers';
import { LAYER_OPS } from '../engine/network';
import { LOCALES } from '../l10n/locale';
import { type Check, ProtocolError, any, arrayOf, bool, fail, nat, num, object, oneOf, optional, str } from './checks';

export { ProtocolError };

const tensorName = oneOf(...TENSOR_NAMES);
const dtype = oneOf('float64', 'float32');

// Not instanceof: the buffer may come from another realm (iframe, worker).
const arrayBuffer: Check = (v, at) => {
  if (Object.prototype.toString.call(v) !== '[object ArrayBuffer]') fail(at, 'an ArrayBuffer', v);
};

/** A tensor's bytes must fit its shape and dtype exactly. */
export function checkTensorBytes(buffer: ArrayBuffer, shape: readonly number[], type: string, at: string): void {
  const bytes = (type === 'float32' ? 4 : 8) * shape.reduce((a, b) => a * b, 1);
  if (buffer.byteLength !== bytes) {
    throw new ProtocolError(`${at}: ${buffer.byteLength} bytes for shape (${shape.join(', ')}) ${type}, expected ${bytes}`);
  }
}

/** The arguments of each description that has some (the compiler checks none is missing); the others take none. */
const ABOUT_ARGS: { [K in ArgsKey]: Check } = {
  'compare.yours': object({ name: tensorName, reshapedFrom: optional(arrayOf(nat)) }),
  'compare.difference': object({ name: tensorName }),
  'activation.h': object({ activation: oneOf(...ACTIVATION_KINDS) }),
  'activation.h_prime.leaky_relu': object({ slope: num }),
  'linear.z': object({ bias: bool }),
};
const aboutKey = oneOf(...Object.keys(ABOUT_EN));

/** A tensor's description: a key of the tables, and the arguments that key's text needs. */
const about: Check = (v, at) => {
  object({ key: aboutKey })(v, at);
  const { key } = v as About;
  if (Object.hasOwn(ABOUT_ARGS, key)) ABOUT_ARGS[key as ArgsKey]((v as { args?: unknown }).args, `${at}.args`);
};

const wireTensor: Check = (v, at) => {
  object({ name: tensorName, shape: arrayOf(nat), dtype, axes: arrayOf(str), about, stats: object({ min: num, max: num, nonFinite: nat }) })(v, at);
  const t = v as WireTensor;
  if (t.buffer === undefined) return;
  arrayBuffer(t.buffer, `${at}.buffer`);
  checkTensorBytes(t.buffer, t.shape, t.dtype, `${at}.buffer`);
};

const linkTarget = object({ tensor: tensorName, index: arrayOf(nat) });
const term = object({ label: str, factors: arrayOf(num), value: num });
const cellSumCheck: Check = (v, at) => {
  object({ formula: str, terms: arrayOf(term), total: num, constant: optional(object({ label: str, value: num })), reduce: optional(oneOf('max')), winner: optional(nat) })(v, at);
  const alt = (v as { alternative?: unknown }).alternative;
  if (alt !== undefined) cellSumCheck(alt, `${at}.alternative`);
};
const stageId = oneOf(...STAGE_IDS);

const stage = object({
  id: stageId, pass: oneOf('forward', 'backward'), title: str, formula: str, inputs: arrayOf(tensorName), outputs: arrayOf(tensorName),
});

const geometry: Check = (v, at) => {
  object({ kind: oneOf('conv', 'pool', 'linear', 'elementwise', 'flatten') })(v, at);
  const kind = (v as { kind: string }).kind;
  if (kind === 'conv') object({ info: object({ batch: nat, inChannels: nat, outChannels: nat, outHeight: nat, outWidth: nat, groups: nat }) })(v, at);
  if (kind === 'pool') object({ info: object({ kind: oneOf('max', 'avg'), batch: nat, channels: nat, kernelHeight: nat, kernelWidth: nat, outHeight: nat, outWidth: nat }) })(v, at);
};

const wireTrace: Check = object({
  id: nat, file: str, uri: optional(str), dtype, geometry,
  stages: arrayOf(stage), tensors: arrayOf(wireTensor), warnings: arrayOf(str),
  rot180: optional(object({ maxAbsDiff: num, agrees: bool })),
  comparison: optional(object({ tensor: tensorName, maxAbsError: num, maxRelError: num, mismatches: nat, firstMismatch: optional(arrayOf(nat)) })),
  deltaSource: optional(oneOf('spec', 'ones', 'loss', 'above')),
});

const wireNetwork: Check = object({
  id: nat, file: str, uri: optional(str), dtype, input: arrayOf(nat), warnings: arrayOf(str),
  layers: arrayOf(object({ op: oneOf(...LAYER_OPS), title: str, inputShape: arrayOf(nat), outputShape: arrayOf(nat), trace: wireTrace })),
  loss: optional(object({ type: oneOf('mse', 'cross_entropy'), value: num })),
});

const role = oneOf('input', 'weight', 'grad');
const looseTensor: Check = (v, at) => {
  object({ label: str, source: str, sourceDtype: str, shape: arrayOf(nat), stats: object({ min: num, max: num, nonFinite: nat }), buffer: arrayBuffer })(v, at);
  const t = v as { buffer: ArrayBuffer; shape: number[] };
  checkTensorBytes(t.buffer, t.shape, 'float64', `${at}.buffer`);
};
const picks: Check = (v, at) => {
  object({})(v, at);
  for (const [k, r] of Object.entries(v as Record<string, unknown>)) role(r, `${at}[${JSON.stringify(k)}]`);
};

const HOST_TO_WEBVIEW: Record<HostToWebview['type'], Check> = {
  trace: object({ trace: wireTrace }),
  network: object({ network: wireNetwork }),
  tensors: object({ set: object({ id: nat, title: str, tensors: arrayOf(looseTensor), picks }) }),
  running: object({ file: str }),
  failed: object({ file: str, message: str }),
  tiles: object({ requestId: nat, traceId: nat, name: tensorName, level: nat, tiles: arrayOf(object({ row: nat, col: nat, buffer: arrayBuffer })) }),
  cellSum: object({ requestId: nat, sum: optional(cellSumCheck) }),
  requestFailed: object({ requestId: nat, message: str }),
  focus: object({ layer: optional(nat), stage: optional(stageId), target: optional(linkTarget), pin: optional(bool) }),
  step: object({ delta: num }),
  settings: object({ settings: object({ colorScheme: oneOf(...COLOR_SCHEMES), scale: oneOf('tensor', 'shared'), precision: nat, stages: oneOf(...STAGE_SETS), locale: oneOf(...LOCALES) }) }),
};

const WEBVIEW_TO_HOST: Record<WebviewToHost['type'], Check> = {
  ready: any,
  rendered: object({ traceId: nat, shown: arrayOf(object({ name: tensorName, shape: arrayOf(nat), cells: arrayOf(str) })) }),
  stage: object({ traceId: nat, stage: stageId, index: nat, layer: optional(nat) }),
  linked: object({
    traceId: nat, target: linkTarget, value: num, terms: nat,
    highlights: arrayOf(object({ tensor: tensorName, rows: arrayOf(nat), columns: arrayOf(nat), cells: arrayOf(arrayOf(nat)) })),
  }),
  requestTiles: (v, at) => {
    object({ requestId: nat, traceId: nat, name: tensorName, level: nat, tiles: arrayOf(arrayOf(nat)) })(v, at);
    const tiles = (v as { tiles: number[][] }).tiles;
    if (tiles.length > TILES_PER_REQUEST) throw new ProtocolError(`${at}.tiles: at most ${TILES_PER_REQUEST} tiles a request, got ${tiles.length}`);
    tiles.forEach((t, i) => { if (t.length !== 2) throw new ProtocolError(`${at}.tiles[${i}]: expected [row, col]`); });
  },
  requestCellSum: object({ requestId: nat, traceId: nat, target: linkTarget }),
  copyTensor: object({ traceId: nat, name: tensorName, format: oneOf('json', 'numpy') }),
  savePng: object({ name: str, png: arrayBuffer }),
  useTensor: object({ setId: nat, label: str, role: oneOf('input', 'weight', 'grad') }),
  compareTensor: object({ setId: nat, label: str }),
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
