// A tensor's values as the panel has them: all of them (small tensors, sent
// with the trace), or the tiles fetched so far, per level of detail (big ones).
// Views ask for the tiles they need while drawing; the store batches the asks
// into requests and tells its listeners when tiles arrive.

import type { TensorData } from '../../src/engine/tensor';
import { MatrixDims, TILE, levelDims, tileGrid } from '../../src/protocol/tiles';

export interface FetchedTile {
  row: number;
  col: number;
  data: TensorData;
}

export type TileFetcher = (level: number, tiles: [number, number][]) => Promise<FetchedTile[]>;

/** Tiles per request; the host checks the same bound. */
const BATCH = 32;
/** After a failed fetch, wait this long before asking for the same tiles again. */
const RETRY_MS = 2000;

interface Level {
  across: number;
  down: number;
  /** Tile columns' and rows' widths (edge tiles are smaller). */
  cols: number;
  rows: number;
  /** undefined: not asked; null: asked, pending. */
  tiles: (TensorData | null | undefined)[];
}

export class TileStore {
  private readonly levels: Level[] = [];
  private readonly queue = new Map<number, [number, number][]>();
  private readonly listeners = new Set<() => void>();
  private flushing = false;

  constructor(readonly dims: MatrixDims, readonly dense: TensorData | undefined, private readonly fetcher?: TileFetcher) {}

  level(l: number): Level {
    let lv = this.levels[l];
    if (!lv) {
      const g = tileGrid(this.dims, l);
      const d = levelDims(this.dims, l);
      lv = { across: g.across, down: g.down, cols: d.cols, rows: d.rows, tiles: new Array(g.across * g.down) };
      this.levels[l] = lv;
    }
    return lv;
  }

  /** Coarsest level worth fetching: the whole matrix in one tile. */
  get topLevel(): number {
    let l = 0;
    while (levelDims(this.dims, l).rows > TILE || levelDims(this.dims, l).cols > TILE) l++;
    return l;
  }

  /** A tile if it is here; otherwise asks for it (once) and returns undefined. */
  tile(l: number, tileRow: number, tileCol: number): TensorData | undefined {
    const lv = this.level(l);
    const i = tileRow * lv.across + tileCol;
    const t = lv.tiles[i];
    if (t) return t;
    if (t === undefined && this.fetcher) {
      lv.tiles[i] = null;
      let q = this.queue.get(l);
      if (!q) this.queue.set(l, (q = []));
      q.push([tileRow, tileCol]);
    }
    return undefined;
  }

  /** A tile if it is here, without asking. */
  peek(l: number, tileRow: number, tileCol: number): TensorData | undefined {
    const lv = this.levels[l];
    return lv?.tiles[tileRow * lv.across + tileCol] ?? undefined;
  }

  /** The exact value at a flat offset, if it is here (asks for its tile otherwise). */
  exact(offset: number): number | undefined {
    if (this.dense) return this.dense[offset];
    const row = Math.floor(offset / this.dims.cols);
    const col = offset % this.dims.cols;
    const t = this.tile(0, row >> 6, col >> 6);
    this.flush();
    if (!t) return undefined;
    const width = Math.min(TILE, this.dims.cols - (col >> 6) * TILE);
    return t[(row & 63) * width + (col & 63)];
  }

  /** The exact value at a flat offset if it is here, without asking for it. */
  known(offset: number): number | undefined {
    if (this.dense) return this.dense[offset];
    const row = Math.floor(offset / this.dims.cols);
    const col = offset % this.dims.cols;
    const t = this.peek(0, row >> 6, col >> 6);
    if (!t) return undefined;
    const width = Math.min(TILE, this.dims.cols - (col >> 6) * TILE);
    return t[(row & 63) * width + (col & 63)];
  }

  /** Sends the queued asks, a batch per request. */
  flush(): void {
    if (this.flushing || !this.fetcher || this.queue.size === 0) return;
    this.flushing = true;
    queueMicrotask(() => {
      this.flushing = false;
      for (const [l, wanted] of this.queue) {
        for (let i = 0; i < wanted.length; i += BATCH) {
          const batch = wanted.slice(i, i + BATCH);
          this.fetcher!(l, batch).then(tiles => {
            const lv = this.level(l);
            for (const t of tiles) lv.tiles[t.row * lv.across + t.col] = t.data;
            this.changed();
          }, () => {
            // Forget the asks after a pause so a later draw asks again.
            setTimeout(() => {
              const lv = this.level(l);
              for (const [r, c] of batch) if (lv.tiles[r * lv.across + c] === null) lv.tiles[r * lv.across + c] = undefined;
              this.changed();
            }, RETRY_MS);
          });
        }
      }
      this.queue.clear();
    });
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
