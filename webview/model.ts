// The trace as the panel holds it: metadata for every tensor, a tile store per
// tensor (all values for small ones, tiles on request for big ones), and the
// requests to the host, each with an id, a timeout and a rejection path.

import type { CellSum } from '../src/engine/cellTerms';
import type { LinkTarget } from '../src/engine/links';
import type { TensorName } from '../src/engine/trace';
import type { AttributionKind } from '../src/engine/featureMaps';
import type { HostToWebview, TensorStats, WireAttribution, WireFeatureMaps, WireGradientCheck, WireLayer, WireTensor, WireTrace } from '../src/protocol/messages';
import { ProtocolError } from '../src/protocol/validate';
import { TILE, matrixOf, tileSize } from '../src/protocol/tiles';
import { typedView } from '../src/protocol/wire';
import { FetchedTile, TileStore } from './render/tileStore';
import { send } from './vscodeApi';

const REQUEST_TIMEOUT_MS = 60_000;

type Answer = Extract<HostToWebview, { type: 'tiles' | 'cellSum' | 'gradientCheck' | 'featureMaps' | 'attribution' | 'layer' }>;

interface Pending {
  resolve(answer: Answer): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

let nextRequestId = 1;
const pending = new Map<number, Pending>();

function request(send: (requestId: number) => void, what: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const requestId = nextRequestId++;
    const timer = setTimeout(() => {
      pending.delete(requestId);
      reject(new Error(`the host did not answer (${what}) within ${REQUEST_TIMEOUT_MS / 1000} s`));
    }, REQUEST_TIMEOUT_MS);
    pending.set(requestId, { resolve, reject, timer });
    send(requestId);
  });
}

/** main.ts hands every answer (and `requestFailed`) here. */
export function settle(requestId: number, answer: Answer | { failure: string }): void {
  const p = pending.get(requestId);
  if (!p) return;
  pending.delete(requestId);
  clearTimeout(p.timer);
  if ('failure' in answer) p.reject(new Error(answer.failure));
  else p.resolve(answer);
}

/** A layer's gallery: its output's (and δ's) channels with the ranges the engine measured. */
export async function requestFeatureMaps(traceId: number, item: number): Promise<WireFeatureMaps> {
  const answer = await request(requestId => send({ type: 'requestFeatureMaps', requestId, traceId, item }), 'the feature maps');
  if (answer.type !== 'featureMaps') throw new ProtocolError(`expected feature maps, got ${answer.type}`);
  return answer.maps;
}

/** Saliency, or Grad-CAM at the layer of `traceId`: the host runs the network again, lean. */
export async function requestAttribution(traceId: number, kind: AttributionKind, item: number): Promise<WireAttribution> {
  const answer = await request(requestId => send({ type: 'requestAttribution', requestId, traceId, kind, item }), kind);
  if (answer.type !== 'attribution') throw new ProtocolError(`expected an attribution, got ${answer.type}`);
  return answer.attribution;
}

/** A lean network's layer (WireLayer.lean), traced by the host from the run it keeps. */
export async function requestLayer(traceId: number): Promise<WireLayer> {
  const answer = await request(requestId => send({ type: 'requestLayer', requestId, traceId }), 'the layer\'s trace');
  if (answer.type !== 'layer') throw new ProtocolError(`expected a layer, got ${answer.type}`);
  return answer.layer;
}

export class TraceModel {
  private readonly meta = new Map<TensorName, WireTensor>();
  private readonly stores = new Map<TensorName, TileStore>();

  constructor(readonly trace: WireTrace) {
    for (const t of trace.tensors) {
      this.meta.set(t.name, t);
      const dims = matrixOf(t.shape);
      const dense = t.buffer ? typedView(t.buffer, t.dtype) : undefined;
      this.stores.set(t.name, new TileStore(dims, dense, dense ? undefined : (level, tiles) => this.fetchTiles(t, level, tiles)));
    }
  }

  get id(): number { return this.trace.id; }
  get geometry() { return this.trace.geometry; }
  has(name: TensorName): boolean { return this.meta.has(name); }
  tensor(name: TensorName): WireTensor | undefined { return this.meta.get(name); }
  shape(name: TensorName): number[] { return this.meta.get(name)?.shape ?? []; }
  stats(name: TensorName): TensorStats { return this.meta.get(name)?.stats ?? { min: 0, max: 0, nonFinite: 0 }; }
  store(name: TensorName): TileStore { return this.stores.get(name)!; }

  offsetOf(name: TensorName, index: readonly number[]): number {
    const shape = this.shape(name);
    return index.reduce((acc, v, d) => acc * shape[d] + v, 0);
  }

  /** The exact value of a cell if the panel has it (asks for it otherwise). */
  value(target: LinkTarget): number | undefined {
    return this.stores.get(target.tensor)?.exact(this.offsetOf(target.tensor, target.index));
  }

  private async fetchTiles(t: WireTensor, level: number, tiles: [number, number][]): Promise<FetchedTile[]> {
    const answer = await request(requestId => send({ type: 'requestTiles', requestId, traceId: this.trace.id, name: t.name, level, tiles }), `tiles of ${t.name}`);
    if (answer.type !== 'tiles') throw new ProtocolError(`expected tiles, got ${answer.type}`);
    const dims = matrixOf(t.shape);
    return answer.tiles.map(tile => {
      // Level 0 is exact, in the tensor's dtype; coarser levels are float32.
      const data = typedView(tile.buffer, level === 0 ? t.dtype : 'float32');
      const size = tileSize(dims, level, tile.row, tile.col);
      if (data.length !== size.rows * size.cols || size.rows > TILE) {
        throw new ProtocolError(`tile (${tile.row}, ${tile.col}) of ${t.name} has ${data.length} values, expected ${size.rows * size.cols}`);
      }
      return { row: tile.row, col: tile.col, data };
    });
  }

  /** The terms that add up to a cell, computed by the host from the whole trace. */
  async cellSum(target: LinkTarget): Promise<CellSum | undefined> {
    const answer = await request(requestId => send({ type: 'requestCellSum', requestId, traceId: this.trace.id, target }), `the sum behind ${target.tensor}`);
    if (answer.type !== 'cellSum') throw new ProtocolError(`expected a cell sum, got ${answer.type}`);
    return answer.sum;
  }

  /** A gradient's cell against the central finite difference: the host runs the spec's forward pass again. */
  async gradientCheck(target: LinkTarget): Promise<WireGradientCheck> {
    const answer = await request(requestId => send({ type: 'requestGradientCheck', requestId, traceId: this.trace.id, target }), `the gradient check of ${target.tensor}`);
    if (answer.type !== 'gradientCheck') throw new ProtocolError(`expected a gradient check, got ${answer.type}`);
    return answer.check;
  }
}
