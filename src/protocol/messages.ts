// The one message protocol between the extension host and the webview. Both
// bundles import this file; validate.ts checks every inbound message at runtime.
// Tensors cross as ArrayBuffers, never as JSON number arrays: small ones with
// the trace, big ones in tiles at the level of detail the view asks for
// (requestTiles → tiles; see tiles.ts). Requests carry an id and get an answer
// or a `requestFailed`; the webview gives up on them after a timeout.

import type { About } from '../engine/about';
import type { CellSum } from '../engine/cellTerms';
import type { Comparison } from '../engine/compare';
import type { LayerGeometry } from '../engine/layerKinds/view';
import type { CostCount } from '../engine/layerKinds/cost';
import type { AttributionKind } from '../engine/featureMaps';
import type { LinkTarget } from '../engine/links';
import type { LayerOp, LossSpec, RunMade } from '../engine/network';
import type { DType, TensorStats as EngineStats } from '../engine/tensor';
import type { DeltaSource, Rot180Check, StageId, TensorName, TraceStage } from '../engine/trace';
import type { Locale } from '../l10n/locale';

/** What the panel shows of a tensor's recorded statistics (engine/tensor.ts): its finite range, its non-finite count. */
export type TensorStats = Pick<EngineStats, 'min' | 'max' | 'nonFinite'>;

export interface WireTensor {
  name: TensorName;
  shape: number[];
  dtype: DType;
  axes: string[];
  /** What the tensor is: the panel renders it in its language. */
  about: About;
  stats: TensorStats;
  /** Row-major values (Float64Array or Float32Array bytes, per dtype); absent for big tensors, which come in tiles. */
  buffer?: ArrayBuffer;
  /** A tensor read from an image: the picture, shown beside its channels (sent whole, even when the values come in tiles). */
  picture?: WirePicture;
}

/** The first batch items of an image tensor as pixels (format/picture.ts), sampled down to at most PICTURE_SIDE a side. */
export interface WirePicture {
  width: number;
  height: number;
  /** RGBA bytes, one buffer per batch item, from item 0. */
  items: ArrayBuffer[];
}

/** The longest side of a picture sent to the panel, and how many batch items it shows. */
export const PICTURE_SIDE = 256;
export const PICTURE_ITEMS = 4;

/** Everything the panel needs about one run. */
export interface WireTrace {
  /** Changes with every run, so requests and replies can name the run they are about. */
  id: number;
  /** The spec's file name, for the title. */
  file: string;
  /** The spec's URI, kept in the webview's state so a restored panel can run it again. */
  uri?: string;
  dtype: DType;
  /** The conv's geometry, or that of another layer of a network. */
  geometry: LayerGeometry;
  stages: TraceStage[];
  tensors: WireTensor[];
  rot180?: Rot180Check;
  comparison?: Comparison;
  /** Where δ came from, when the backward pass ran (recorded by the engine; the panel's words about δ_t follow it). */
  deltaSource?: DeltaSource;
  /** A model run's layer: tensors of these stages the run made another way (LayerTrace.runMade). */
  runMade?: RunMade[];
  warnings: string[];
}

/** One layer of a network: its own trace (own id, for requests), and its place in the chain. */
export interface WireLayer {
  op: LayerOp;
  title: string;
  inputShape: number[];
  outputShape: number[];
  /** What it takes, by name (`input`, `layers[2]`): the panel draws the edges that skip layers. */
  inputs: string[];
  /** The layers whose δs were added up into its δ, when several were. */
  deltaFrom?: string[];
  /** Its forward FLOPs and parameters: the chip's tooltip, and the network's totals. */
  cost: CostCount;
  trace: WireTrace;
  /** Not traced yet: its trace has only its output and δ, no stages; the panel asks for it (requestLayer) when opened. */
  lean?: boolean;
}

/** A network run: the chain of layers, the loss at the end. */
export interface WireNetwork {
  id: number;
  file: string;
  uri?: string;
  dtype: DType;
  input: number[];
  layers: WireLayer[];
  loss?: { type: LossSpec['type']; value: number };
  warnings: string[];
  /** The host keeps the run: a layer can be saved as a spec of its own (*Save as Spec…*). */
  savable?: boolean;
  /** The lean layer the panel opens first (the last one open on a re-run), traced with the run: no request for it. */
  opened?: { index: number; layer: WireLayer };
}

/** A tensor read from somewhere else (a debug session): free-form label, always sent whole. */
export interface WireLooseTensor {
  label: string;
  /** Where it came from, e.g. `python session "Python: buggy_im2col.py", frame im2col`. */
  source: string;
  /** The program's own dtype name. */
  sourceDtype: string;
  shape: number[];
  stats: TensorStats;
  /** Float64 values. */
  buffer: ArrayBuffer;
}

export type TensorRole = 'input' | 'weight' | 'grad';

/** Tensors inspected in debug sessions, and the roles picked for a run. */
export interface WireTensorSet {
  id: number;
  title: string;
  tensors: WireLooseTensor[];
  /** label → role picked so far. */
  picks: Record<string, TensorRole>;
}

export type HostToWebview =
  | { type: 'trace'; trace: WireTrace }
  | { type: 'network'; network: WireNetwork }
  | { type: 'tensors'; set: WireTensorSet }
  | { type: 'running'; file: string }
  | { type: 'failed'; file: string; message: string }
  | { type: 'tiles'; requestId: number; traceId: number; name: TensorName; level: number; tiles: WireTile[] }
  | { type: 'cellSum'; requestId: number; sum?: CellSum }
  | { type: 'gradientCheck'; requestId: number; check: WireGradientCheck }
  | { type: 'featureMaps'; requestId: number; maps: WireFeatureMaps }
  | { type: 'attribution'; requestId: number; attribution: WireAttribution }
  | { type: 'requestFailed'; requestId: number; message: string }
  /** Show a stage and/or link a cell (commands, the debugger, tests). */
  | { type: 'focus'; layer?: number; stage?: StageId; target?: LinkTarget; pin?: boolean }
  | { type: 'step'; delta: number }
  /** The panel's defaults from the settings; sent when the webview starts and when they change. */
  | { type: 'settings'; settings: PanelSettings }
  /** A lean network's layer, traced on request (requestLayer): replaces the untraced one of the same trace id. */
  | { type: 'layer'; requestId: number; layer: WireLayer };

export const COLOR_SCHEMES = ['auto', 'colourblind', 'viridis', 'cividis', 'magma', 'gray', 'rdbu', 'puor', 'coolwarm'] as const;

/** Which stages the panel shows: all, all but the rot180 view, or the forward pass only. */
export const STAGE_SETS = ['all', 'withoutRot180', 'forward'] as const;
export type StageSet = (typeof STAGE_SETS)[number];

/** convVisualDebugger.panel.*: how heatmaps are coloured and numbers printed; and the language of the panel's words. */
export interface PanelSettings {
  colorScheme: (typeof COLOR_SCHEMES)[number];
  scale: 'tensor' | 'shared';
  /** Significant digits of printed values. */
  precision: number;
  stages: StageSet;
  /** The panel's language, from VS Code's display language (normalizeLocale). */
  locale: Locale;
}

/** What the panel shows of one tensor, as text: tests and the host read it back. */
export interface ShownTensor {
  name: TensorName;
  shape: number[];
  /** The values of the first cells of the shown slice, row-major, as the panel formats them. */
  cells: string[];
}

/** Per tensor: what the panel highlights for the current link. */
export interface LinkedSummary {
  tensor: TensorName;
  rows: number[];
  columns: number[];
  cells: number[][];
}

/** A gradient's cell beside its central finite difference, as the engine's check gives it (engine/gradcheck.ts CellCheck). */
export interface WireGradientCheck {
  /** What it is the gradient of: `layers[3].weight`, `layers[2]` (that layer's output), `input`. */
  of: string;
  numeric: number;
  analytic: number;
  epsilon: number;
  relError: number;
  tolerance: number;
  agrees: boolean;
  /** The one-sided differences where C has no derivative (a kink) and the central one disagreed. */
  kink?: { left: number; right: number };
}

/** A finite range, as the engine measured it (engine/featureMaps.ts). */
export interface WireRange {
  min: number;
  max: number;
}

/** One batch item of a tensor as channel maps (engine/featureMaps.ts ChannelMaps): float32, channel after channel. */
export interface WireChannels {
  tensor: TensorName;
  /** The channels sent (the first ones, within GALLERY_VALUES), of `total`. */
  channels: number;
  total: number;
  height: number;
  width: number;
  buffer: ArrayBuffer;
  /** Each channel's range (the per-channel scale) and all of theirs (the shared scale). */
  ranges: WireRange[];
  shared: WireRange;
}

/** The gallery of a layer: its output's channels, and its δ's after the backward pass. */
export interface WireFeatureMaps {
  item: number;
  output: WireChannels;
  delta?: WireChannels;
  /** The network's input, batch item `item`, when it is an image (1 or 3 channels): the picture the attributions lie on. */
  input?: WirePicture;
  inputShape?: number[];
}

/** An attribution of the input image at its size: float32 values, row-major. */
export interface WireAttribution {
  kind: AttributionKind;
  item: number;
  height: number;
  width: number;
  buffer: ArrayBuffer;
  range: WireRange;
}

/** The most values of one tensor the gallery is sent (the first channels that fit). */
export const GALLERY_VALUES = 1 << 20;
/** The most channels the gallery draws. */
export const GALLERY_CHANNELS = 256;

/** One tile: level 0 in the tensor's dtype, coarser levels as float32. */
export interface WireTile {
  row: number;
  col: number;
  buffer: ArrayBuffer;
}

/** When the page reached each step of showing a run, in ms after its script received it (where the wait goes). */
export interface PagePhases {
  /** Date.now() when it received the run (the host's clock where both run on one machine, as in the e2e harness). */
  at: number;
  /** The view built (its first stages' elements made). */
  built: number;
  /** The first animation frame after the view was built began: a heatmap drawn later than it waited for a frame more. */
  frame: number;
  /** The first heatmap drawn into its canvas. */
  drawn: number;
  /** The frame after the one that drew it began: that one is on screen. */
  onScreen: number;
}

export type WebviewToHost =
  | { type: 'ready' }
  /** A run (trace, network, tensors) reached the page's script: the host stops sending it again. */
  | { type: 'received'; traceId: number }
  | { type: 'rendered'; traceId: number; shown: ShownTensor[] }
  /** The run's first heatmap is on screen: what a person waited for since the command. */
  | { type: 'painted'; traceId: number; page?: PagePhases }
  /** The stage on show; in a network, `layer` is its index in the chain. */
  | { type: 'stage'; traceId: number; stage: StageId; index: number; layer?: number }
  /** `gradientCheck`: the inspector's line for a pinned cell of a gradient, as shown (finite difference, analytic value, agreement). */
  | { type: 'linked'; traceId: number; target: LinkTarget; value: number; highlights: LinkedSummary[]; terms: number; gradientCheck?: string }
  | { type: 'requestTiles'; requestId: number; traceId: number; name: TensorName; level: number; tiles: [number, number][] }
  | { type: 'requestCellSum'; requestId: number; traceId: number; target: LinkTarget }
  /** A cell of a gradient tensor against the central finite difference of the spec run again (engine/gradcheck.ts). */
  | { type: 'requestGradientCheck'; requestId: number; traceId: number; target: LinkTarget }
  /** The gallery: a layer's output (and δ) of batch item `item`, channel by channel, with the engine's ranges. */
  | { type: 'requestFeatureMaps'; requestId: number; traceId: number; item: number }
  /** Saliency, or Grad-CAM at the layer of `traceId`, of batch item `item`: the host runs the network lean (engine/featureMaps.ts). */
  | { type: 'requestAttribution'; requestId: number; traceId: number; kind: AttributionKind; item: number }
  | { type: 'copyTensor'; traceId: number; name: TensorName; format: 'json' | 'numpy' }
  | { type: 'savePng'; name: string; png: ArrayBuffer }
  | { type: 'useTensor'; setId: number; label: string; role: TensorRole }
  | { type: 'compareTensor'; setId: number; label: string }
  | { type: 'error'; message: string }
  /** A lean network's layer (WireLayer.lean) is opened: the host traces it from the run it keeps (traceRunLayer). */
  | { type: 'requestLayer'; requestId: number; traceId: number }
  /** *Save Layer as Spec…* of the network's layer of `traceId`: the host asks where and writes it (commands/saveLayerSpec.ts). */
  | { type: 'saveLayerSpec'; traceId: number };

export const PANEL_VIEW_TYPE = 'convVisualDebugger.trace';

/** Tensors up to this many bytes travel with the trace (while the trace stays under EAGER_TOTAL_BYTES); others in tiles. */
export const EAGER_TENSOR_BYTES = 256 * 1024;
export const EAGER_TOTAL_BYTES = 4 * 1024 * 1024;
/** Tiles per request, at most. */
export const TILES_PER_REQUEST = 32;

/** The id of the run a message shows (a trace, a network, a debug session's tensors): the page says it `received` it. */
export function runId(message: HostToWebview): number | undefined {
  switch (message.type) {
    case 'trace': return message.trace.id;
    case 'network': return message.network.id;
    case 'tensors': return message.set.id;
    default: return undefined;
  }
}

/** Exhaustiveness guard for switches over message types. */
export function assertNever(x: never): never {
  throw new Error(`unhandled message ${JSON.stringify(x)}`);
}
