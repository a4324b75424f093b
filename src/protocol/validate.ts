// Runtime checks for every message that crosses the webview boundary; a message
// that fails is rejected with the reason, never half-used.

import type { HostToWebview, WebviewToHost, WireAttribution, WireChannels, WireNetwork, WirePicture, WireTensor, WireTrace } from './messages';
import { COLOR_SCHEMES, GALLERY_CHANNELS, PICTURE_ITEMS, PICTURE_SIDE, STAGE_SETS, TILES_PER_REQUEST } from './messages';
import type { About } from '../engine/about';
import { ABOUT_EN } from '../engine/aboutText.en';
import { LAYER_TYPES } from '../engine/layerKinds';
import { LOSS_TYPES } from '../engine/layerKinds/loss';
import { isStageId, isViewKind, stageViewOf, viewOf } from '../engine/layerKinds/views';
import { LOCALES } from '../l10n/locale';
import { type Check, ProtocolError, any, arrayOf, bool, fail, nat, num, object, oneOf, optional, str } from './checks';

export { ProtocolError };

/** A tensor's or a stage's name: a word (each kind names its own). */
const word: Check = (v, at) => {
  if (typeof v !== 'string' || !/^\w{1,64}$/.test(v)) fail(at, 'a name', v);
};
const tensorName = word;
/** A stage some kind declares. */
const stageId: Check = (v, at) => {
  if (!isStageId(v)) fail(at, 'a stage id', v);
};
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

const aboutKey = oneOf(...Object.keys(ABOUT_EN));
/** An argument of a description: a name, a number, a flag or a shape. */
const aboutArg: Check = (v, at) => {
  if (Array.isArray(v)) arrayOf(nat)(v, at);
  else if (!['string', 'number', 'boolean'].includes(typeof v)) fail(at, 'a string, number, boolean or shape', v);
};

/** A tensor's description: a key of the tables, and arguments when that key's text takes some. */
const about: Check = (v, at) => {
  object({ key: aboutKey })(v, at);
  const { key } = v as About;
  if (ABOUT_EN[key].length === 0) return;
  const args = (v as { args?: unknown }).args;
  object({})(args, `${at}.args`);
  for (const [k, a] of Object.entries(args as Record<string, unknown>)) if (a !== undefined) aboutArg(a, `${at}.args.${k}`);
};

/** A picture's items hold exactly width × height RGBA pixels each, and no more items than it may send. */
const picture: Check = (v, at) => {
  object({ width: nat, height: nat, items: arrayOf(arrayBuffer) })(v, at);
  const p = v as WirePicture;
  if (p.width > PICTURE_SIDE || p.height > PICTURE_SIDE || p.items.length > PICTURE_ITEMS) fail(at, `at most ${PICTURE_ITEMS} pictures of at most ${PICTURE_SIDE} a side`, `${p.items.length} of ${p.width} × ${p.height}`);
  p.items.forEach((b, i) => {
    if (b.byteLength !== p.width * p.height * 4) throw new ProtocolError(`${at}.items[${i}]: ${b.byteLength} bytes for ${p.width} × ${p.height} RGBA, expected ${p.width * p.height * 4}`);
  });
};

const wireTensor: Check = (v, at) => {
  object({ name: tensorName, shape: arrayOf(nat), dtype, axes: arrayOf(str), about, stats: object({ min: num, max: num, nonFinite: nat }), picture: optional(picture) })(v, at);
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

const stage = object({
  id: word, pass: oneOf('forward', 'backward'), title: str, formula: str, inputs: arrayOf(tensorName), outputs: arrayOf(tensorName),
});

/** A layer's geometry: a kind with a view, and the whole numbers its view reads. */
const geometry: Check = (v, at) => {
  object({ kind: str })(v, at);
  const g = v as { kind: string; info?: unknown };
  if (!isViewKind(g.kind)) fail(`${at}.kind`, 'a layer kind', g.kind);
  const numbers = viewOf(g).numbers;
  if (numbers) object({ info: object(Object.fromEntries(numbers.map(n => [n, nat]))) })(v, at);
};

/** A trace's stages are those its kind's view declares. */
const traceStages: Check = (v, at) => {
  const t = v as { geometry: { kind: string }; stages: { id: string }[] };
  t.stages.forEach((s, i) => { if (!stageViewOf(t.geometry, s.id)) fail(`${at}.stages[${i}].id`, `a stage of ${t.geometry.kind}`, s.id); });
};

const wireTraceFields: Check = object({
  id: nat, file: str, uri: optional(str), dtype, geometry,
  stages: arrayOf(stage), tensors: arrayOf(wireTensor), warnings: arrayOf(str),
  rot180: optional(object({ maxAbsDiff: num, agrees: bool, tensor: optional(tensorName) })),
  comparison: optional(object({ tensor: tensorName, maxAbsError: num, maxRelError: num, mismatches: nat, firstMismatch: optional(arrayOf(nat)) })),
  deltaSource: optional(oneOf('spec', 'ones', 'loss', 'above', 'sum')),
  runMade: optional(arrayOf(object({ tensor: tensorName, method: oneOf('winograd'), maxAbsDiff: num, relative: num }))),
});
const wireTrace: Check = (v, at) => {
  wireTraceFields(v, at);
  traceStages(v, at);
};

/** A layer's name in a network, or the network's input: what the panel reads an edge's end from. */
const layerRef: Check = (v, at) => {
  if (typeof v !== 'string' || !/^(input|layers\[\d+\])$/.test(v)) fail(at, 'input or layers[k]', v);
};

const wireLayer: Check = object({
  op: oneOf(...LAYER_TYPES, 'loss'), title: str, inputShape: arrayOf(nat), outputShape: arrayOf(nat), inputs: arrayOf(layerRef), deltaFrom: optional(arrayOf(layerRef)),
  cost: object({ flops: nat, params: nat }), trace: wireTrace, lean: optional(bool),
});

const wireNetworkFields: Check = object({
  id: nat, file: str, uri: optional(str), dtype, input: arrayOf(nat), warnings: arrayOf(str),
  layers: arrayOf(wireLayer),
  loss: optional(object({ type: oneOf(...LOSS_TYPES), value: num })), savable: optional(bool),
  opened: optional(object({ index: nat, layer: wireLayer })),
});
/** The layer sent traced is a lean one of the network, under its trace id. */
const wireNetwork: Check = (v, at) => {
  wireNetworkFields(v, at);
  const { layers, opened } = v as WireNetwork;
  if (opened && !(layers[opened.index]?.lean && layers[opened.index].trace.id === opened.layer.trace.id)) {
    fail(`${at}.opened.index`, 'a lean layer of the network, under its trace id', opened.index);
  }
};

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

const range = object({ min: num, max: num });
const attributionKind = oneOf('saliency', 'gradcam');

/** A gallery's channels: as many ranges as channels, and bytes for exactly channels × height × width float32 values. */
const channels: Check = (v, at) => {
  object({ tensor: tensorName, channels: nat, total: nat, height: nat, width: nat, buffer: arrayBuffer, ranges: arrayOf(range), shared: range })(v, at);
  const c = v as WireChannels;
  if (c.channels > c.total || c.channels > GALLERY_CHANNELS || c.ranges.length !== c.channels) fail(at, `at most ${GALLERY_CHANNELS} channels of ${c.total}, one range each`, `${c.channels} channels, ${c.ranges.length} ranges`);
  checkTensorBytes(c.buffer, [c.channels, c.height, c.width], 'float32', `${at}.buffer`);
};
const featureMaps = object({ item: nat, output: channels, delta: optional(channels), input: optional(picture), inputShape: optional(arrayOf(nat)) });
const attribution: Check = (v, at) => {
  object({ kind: attributionKind, item: nat, height: nat, width: nat, buffer: arrayBuffer, range })(v, at);
  const a = v as WireAttribution;
  checkTensorBytes(a.buffer, [a.height, a.width], 'float32', `${at}.buffer`);
};

const HOST_TO_WEBVIEW: Record<HostToWebview['type'], Check> = {
  trace: object({ trace: wireTrace }),
  network: object({ network: wireNetwork }),
  tensors: object({ set: object({ id: nat, title: str, tensors: arrayOf(looseTensor), picks }) }),
  running: object({ file: str }),
  failed: object({ file: str, message: str }),
  tiles: object({ requestId: nat, traceId: nat, name: tensorName, level: nat, tiles: arrayOf(object({ row: nat, col: nat, buffer: arrayBuffer })) }),
  cellSum: object({ requestId: nat, sum: optional(cellSumCheck) }),
  gradientCheck: object({
    requestId: nat,
    check: object({ of: str, numeric: num, analytic: num, epsilon: num, relError: num, tolerance: num, agrees: bool, kink: optional(object({ left: num, right: num })) }),
  }),
  featureMaps: object({ requestId: nat, maps: featureMaps }),
  attribution: object({ requestId: nat, attribution }),
  requestFailed: object({ requestId: nat, message: str }),
  focus: object({ layer: optional(nat), stage: optional(stageId), target: optional(linkTarget), pin: optional(bool) }),
  step: object({ delta: num }),
  layer: object({ requestId: nat, layer: wireLayer }),
  settings: object({ settings: object({ colorScheme: oneOf(...COLOR_SCHEMES), scale: oneOf('tensor', 'shared'), precision: nat, stages: oneOf(...STAGE_SETS), locale: oneOf(...LOCALES) }) }),
};

const WEBVIEW_TO_HOST: Record<WebviewToHost['type'], Check> = {
  ready: any,
  received: object({ traceId: nat }),
  painted: object({ traceId: nat, page: optional(object({ at: num, built: num, frame: num, drawn: num, onScreen: num })) }),
  rendered: object({ traceId: nat, shown: arrayOf(object({ name: tensorName, shape: arrayOf(nat), cells: arrayOf(str) })) }),
  stage: object({ traceId: nat, stage: stageId, index: nat, layer: optional(nat) }),
  linked: object({
    traceId: nat, target: linkTarget, value: num, terms: nat, gradientCheck: optional(str),
    highlights: arrayOf(object({ tensor: tensorName, rows: arrayOf(nat), columns: arrayOf(nat), cells: arrayOf(arrayOf(nat)) })),
  }),
  requestTiles: (v, at) => {
    object({ requestId: nat, traceId: nat, name: tensorName, level: nat, tiles: arrayOf(arrayOf(nat)) })(v, at);
    const tiles = (v as { tiles: number[][] }).tiles;
    if (tiles.length > TILES_PER_REQUEST) throw new ProtocolError(`${at}.tiles: at most ${TILES_PER_REQUEST} tiles a request, got ${tiles.length}`);
    tiles.forEach((t, i) => { if (t.length !== 2) throw new ProtocolError(`${at}.tiles[${i}]: expected [row, col]`); });
  },
  requestCellSum: object({ requestId: nat, traceId: nat, target: linkTarget }),
  requestGradientCheck: object({ requestId: nat, traceId: nat, target: linkTarget }),
  requestFeatureMaps: object({ requestId: nat, traceId: nat, item: nat }),
  requestAttribution: object({ requestId: nat, traceId: nat, kind: attributionKind, item: nat }),
  copyTensor: object({ traceId: nat, name: tensorName, format: oneOf('json', 'numpy') }),
  savePng: object({ name: str, png: arrayBuffer }),
  useTensor: object({ setId: nat, label: str, role: oneOf('input', 'weight', 'grad') }),
  compareTensor: object({ setId: nat, label: str }),
  error: object({ message: str }),
  requestLayer: object({ requestId: nat, traceId: nat }),
  saveLayerSpec: object({ traceId: nat }),
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
