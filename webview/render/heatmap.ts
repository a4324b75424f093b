// One tensor as a heatmap on a canvas. Only what is on screen is drawn: every
// frame colours the canvas's pixels (one table lookup each, whatever the tensor's
// size), then draws grid, values, labels and highlights for the visible cells.

import type { Highlight } from '../../src/engine/links';
import { formatNumber } from '../../src/format/text';
import { TILE, levelFor } from '../../src/protocol/tiles';
import { Theme, isHighContrast, isLight } from '../theme';
import { ColormapName, Scale, colourIndex, luminance, packedTable, rgbTable } from './colormaps';
import { type DisplayMatrix, defaultRowLabel } from './displayMatrix';
import type { TileStore } from './tileStore';
import { Viewport, areaHeight, cellAt, cellRect, clampView, fitView, panBy, reveal, visibleRange, zoomAt } from './viewport';
import { text } from '../l10n';
import { describeBy } from '../ui/a11y';
import { CursorGrid, firstCell, moveCursor, moveForKey, pageRows } from './cellCursor';

export interface HeatmapCallbacks {
  /** The cell under the pointer or keyboard cursor changed (undefined: left the grid). */
  hover(index: number[] | undefined, at?: { x: number; y: number }): void;
  /** A cell was clicked, or Enter pressed on it. */
  select(index: number[]): void;
  /** Escape. */
  escape(): void;
  /** After a key moved the cursor, pinned it or released it: what to tell a screen reader. */
  announce?(index: number[] | undefined, event: 'move' | 'select' | 'escape'): void;
}

export interface HeatmapLabels {
  row?: (row: number) => string;
  col?: (col: number) => string;
}

/** Largest natural cell size, and the smallest at which a grid is shown whole without zooming. */
const NATURAL_MAX = 40;
const NATURAL_MIN = 7;
const ZOOMABLE_HEIGHT = 360;
const MUTED_CELL_LIMIT = 40_000;

const packed = new Map<string, number>();

/** A CSS colour as 0xAABBGGRR, through a 1×1 canvas so any CSS syntax works. */
function packCss(colour: string): number {
  const known = packed.get(colour);
  if (known !== undefined) return known;
  const c = document.createElement('canvas');
  c.width = c.height = 1;
  const g = c.getContext('2d')!;
  g.fillStyle = colour;
  g.fillRect(0, 0, 1, 1);
  const [r, gr, b] = g.getImageData(0, 0, 1, 1).data;
  const value = (255 << 24 | b << 16 | gr << 8 | r) >>> 0;
  packed.set(colour, value);
  return value;
}

/** The event a heatmap's canvas sends, bubbling, when it first draws. */
export const HEATMAP_DRAWN = 'heatmapdrawn';

export class Heatmap {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private view: Viewport;
  private scale: Scale = { kind: 'sequential', lo: 0, hi: 1 };
  private colormap: ColormapName = 'viridis';
  private precision = 4;
  private highlight: Highlight | undefined;
  private source: number[] | undefined;
  private cursor: { row: number; col: number } | undefined;
  private frame = 0;
  private image: ImageData | undefined;
  private dragging: { x: number; y: number; moved: boolean } | undefined;
  private hovered: string | undefined;
  /** The last hover came from the keyboard cursor (it ends when focus leaves). */
  private keyboardHover = false;
  /** Milliseconds the last draw took (for the benchmark). */
  lastDrawMs = 0;
  /** Off screen: draws (and tile requests) wait until the view is visible. */
  private active = false;
  private dirty = true;

  constructor(
    private readonly store: TileStore,
    private matrix: DisplayMatrix,
    private labels: HeatmapLabels,
    private theme: Theme,
    private readonly callbacks: HeatmapCallbacks,
    private readonly muted?: (index: number[]) => boolean,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'heatmap';
    this.canvas.tabIndex = 0;
    // An application: a screen reader passes the arrow keys through to the cell cursor.
    this.canvas.setAttribute('role', 'application');
    this.canvas.setAttribute('aria-roledescription', text().heatmapRole);
    describeBy(this.canvas, text().heatmapKeys);
    this.ctx = this.canvas.getContext('2d', { alpha: false })!;
    this.view = { width: 300, height: 150, left: 0, top: 0, rows: matrix.rows, cols: matrix.cols, scale: 20, x0: 0, y0: 0 };
    this.listen();
    store.onChange(() => this.render());
  }

  /** Whether the view is on screen; drawing resumes when it comes back. */
  setActive(active: boolean): void {
    this.active = active;
    if (active && this.dirty) this.render();
  }

  /** Sizes the canvas for at most `maxWidth` CSS pixels: small grids whole, big ones in a zoomable window. */
  layout(maxWidth: number, keepView = false): void {
    const m = this.matrix;
    const rowLabel = this.labels.row ?? defaultRowLabel(m);
    const rowLabelChars = Math.max(...[0, Math.min(m.rows, m.batchRows ?? m.rows) - 1, m.rows - 1].map(r => rowLabel(r).length));
    const left = m.rows > 1 ? Math.ceil(rowLabelChars * 6.6 + 8) : 0;
    const top = 16;
    const natural = Math.min(NATURAL_MAX, (maxWidth - left) / m.cols, 460 / m.rows);
    const prev = this.view;
    let v: Viewport;
    this.zoomable = natural < NATURAL_MIN;
    if (!this.zoomable) {
      const s = Math.floor(natural);
      v = { width: left + m.cols * s, height: top + m.rows * s, left, top, rows: m.rows, cols: m.cols, scale: s, x0: 0, y0: 0 };
    } else {
      // Tall matrices (a_t: thousands of rows, hundreds of columns) open fitted to the width, scrolled to the top.
      // As wide as its columns want (a strip of a few columns is a narrow window), at most `maxWidth`.
      const base = { width: Math.min(maxWidth, Math.ceil(left + m.cols * NATURAL_MAX)), height: ZOOMABLE_HEIGHT, left, top, rows: m.rows, cols: m.cols, scale: 1, x0: 0, y0: 0 };
      const fitWidth = (base.width - left) / m.cols;
      // Wider than a pixel a column: the window opens on the top-left corner at a pixel a cell (⤢ shows it all).
      v = clampView({ ...base, scale: Math.min(NATURAL_MAX, Math.max(1, fitWidth)) });
    }
    if (keepView && prev.rows === v.rows && prev.cols === v.cols && prev.width === v.width && prev.height === v.height) v = prev;
    this.view = v;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.style.width = `${v.width}px`;
    this.canvas.style.height = `${v.height}px`;
    this.canvas.width = Math.round(v.width * dpr);
    this.canvas.height = Math.round(v.height * dpr);
    this.image = undefined;
    this.render();
  }

  setMatrix(matrix: DisplayMatrix, labels: HeatmapLabels, maxWidth: number): void {
    const same = matrix.rows === this.matrix.rows && matrix.cols === this.matrix.cols;
    this.matrix = matrix;
    this.labels = labels;
    this.layout(maxWidth, same);
  }

  setColour(scale: Scale, colormap: ColormapName): void { this.scale = scale; this.colormap = colormap; this.render(); }
  setPrecision(p: number): void { this.precision = p; this.render(); }
  setTheme(theme: Theme): void { this.theme = theme; this.render(); }

  /** Highlights the linked cells; `source` is the cell the link started from, if it is in this tensor. */
  setHighlight(h: Highlight | undefined, source: number[] | undefined, revealIt: boolean): void {
    this.highlight = h;
    this.source = source;
    if (revealIt && h) this.revealFirst(h);
    this.render();
  }

  get viewport(): Viewport { return this.view; }

  /** Whether the grid is shown through a zoomable window (too big to show whole at a readable size). */
  zoomable = false;

  zoom(factor: number, at?: { x: number; y: number }): void {
    const x = at?.x ?? this.view.left + (this.view.width - this.view.left) / 2;
    const y = at?.y ?? this.view.top + (this.view.height - this.view.top) / 2;
    this.view = zoomAt(this.view, factor, x, y);
    this.render();
  }

  fit(): void { this.view = fitView(this.view); this.render(); }

  /** Moves the view by CSS pixels (the benchmark pans with it). */
  pan(dx: number, dy: number): void { this.view = panBy(this.view, dx, dy); this.render(); }

  private revealFirst(h: Highlight): void {
    const m = this.matrix;
    const first = h.rows.length ? { row: h.rows[0], col: Math.floor(this.view.x0) }
      : h.columns.length ? { row: Math.floor(this.view.y0), col: h.columns[0] }
        : h.cells.map(c => m.positionOf(c)).find(p => p !== undefined);
    if (first) this.view = reveal(this.view, first.row, first.col);
  }

  render(): void {
    this.dirty = true;
    if (this.frame || !this.active) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Draws now (tests and the benchmark call this directly). */
  draw(): void {
    this.dirty = false;
    const t0 = performance.now();
    const dpr = window.devicePixelRatio || 1;
    const ctx = this.ctx;
    const v = this.view;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = this.theme.background;
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.drawCells(dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.save();
    ctx.beginPath();
    ctx.rect(v.left, v.top, v.width - v.left, v.height - v.top);
    ctx.clip();
    this.drawMuted();
    this.drawGrid();
    this.drawValues();
    this.drawHighlights();
    ctx.restore();
    this.drawLabels();
    if (document.activeElement === this.canvas) {
      ctx.strokeStyle = this.theme.focus;
      ctx.lineWidth = 1;
      ctx.strokeRect(0.5, 0.5, v.width - 1, v.height - 1);
    }
    this.lastDrawMs = performance.now() - t0;
    // The geometry, for end-to-end tests that point at a cell as a user would.
    const d = this.canvas.dataset;
    d.left = String(v.left); d.top = String(v.top); d.scale = String(v.scale); d.x0 = String(v.x0); d.y0 = String(v.y0);
    if (!this.drawnOnce) {
      this.drawnOnce = true;
      // The panel reports its first painted heatmap (the time a person waits for it).
      this.canvas.dispatchEvent(new CustomEvent(HEATMAP_DRAWN, { bubbles: true }));
    }
  }

  private drawnOnce = false;

  private drawCells(dpr: number): void {
    const v = this.view;
    const m = this.matrix;
    const ax = Math.round(v.left * dpr);
    const ay = Math.round(v.top * dpr);
    const aw = this.canvas.width - ax;
    const ah = this.canvas.height - ay;
    if (aw <= 0 || ah <= 0) return;
    if (!this.image || this.image.width !== aw || this.image.height !== ah) this.image = this.ctx.createImageData(aw, ah);
    const px = new Uint32Array(this.image.data.buffer);
    const colOff = new Int32Array(aw);
    const rowBase = new Int32Array(ah);
    const step = 1 / (dpr * v.scale);
    for (let X = 0; X < aw; X++) {
      const col = Math.floor(v.x0 + (X + 0.5) * step);
      colOff[X] = col >= 0 && col < m.cols ? m.colOffset(col) : -1;
    }
    for (let Y = 0; Y < ah; Y++) {
      const row = Math.floor(v.y0 + (Y + 0.5) * step);
      rowBase[Y] = row >= 0 && row < m.rows ? m.rowBase(row) : -1;
    }
    const lut = packedTable(this.colormap);
    const bg = packCss(this.theme.background);
    const bad = packCss(this.theme.nonFinite);
    const lo = this.scale.lo;
    const k = 255 / (this.scale.hi - this.scale.lo);
    const colour = (value: number) => {
      const t = (value - lo) * k;
      // NaN fails both comparisons; ±Infinity lands outside 0..255.
      return t >= 0 && t <= 255 ? lut[(t + 0.5) | 0] : t < 0 ? (t === -Infinity ? bad : lut[0]) : t > 255 ? (t === Infinity ? bad : lut[255]) : bad;
    };
    const end = m.end;
    const dense = this.store.dense;
    // One pass over the canvas's pixels; only how a flat offset becomes a colour differs.
    const pixel = dense ? (off: number) => colour(dense[off]) : this.tiledPixel(colour, bg, dpr);
    for (let Y = 0; Y < ah; Y++) {
      const rb = rowBase[Y];
      const line = Y * aw;
      if (rb < 0) { px.fill(bg, line, line + aw); continue; }
      for (let X = 0; X < aw; X++) {
        const co = colOff[X];
        const off = rb + co;
        px[line + X] = co < 0 || off >= end ? bg : pixel(off, X, Y);
      }
    }
    this.ctx.putImageData(this.image, ax, ay);
    this.store.flush();
  }

  /**
   * Big tensors: sample the level of detail that matches the zoom, falling back
   * to coarser tiles already here (and a loading pattern) while finer ones arrive.
   */
  private tiledPixel(colour: (v: number) => number, bg: number, dpr: number): (off: number, X: number, Y: number) => number {
    const store = this.store;
    const cols = store.dims.cols;
    const level = levelFor(1 / (dpr * this.view.scale));
    const coarsest = Math.min(store.topLevel, level + 4);
    const loading = (bg ^ 0x00101010) >>> 0;
    return (off, X, Y) => {
      const row = (off / cols) | 0;
      const col = off - row * cols;
      for (let l = level; l <= coarsest; l++) {
        const r = row >> l;
        const c = col >> l;
        const tc = c >> 6;
        const t = l === level ? store.tile(l, r >> 6, tc) : store.peek(l, r >> 6, tc);
        if (t) return colour(t[(r & 63) * Math.min(TILE, store.level(l).cols - tc * TILE) + (c & 63)]);
      }
      return (((X >> 3) + (Y >> 3)) & 1) ? loading : bg;
    };
  }

  private visibleCells(): number {
    const r = visibleRange(this.view);
    return (r.r1 - r.r0) * (r.c1 - r.c0);
  }

  private drawMuted(): void {
    if (!this.muted || this.visibleCells() > MUTED_CELL_LIMIT) return;
    const ctx = this.ctx;
    const v = this.view;
    const { r0, r1, c0, c1 } = visibleRange(v);
    ctx.fillStyle = isLight(this.theme) ? 'rgba(255,255,255,0.55)' : 'rgba(0,0,0,0.5)';
    ctx.strokeStyle = this.theme.muted;
    ctx.lineWidth = 1;
    for (let row = r0; row < r1; row++) {
      for (let col = c0; col < c1; col++) {
        const index = this.matrix.indexAt(row, col);
        if (!index || !this.muted(index)) continue;
        const { x, y, size } = cellRect(v, row, col);
        ctx.fillRect(x, y, size, size);
        if (size >= 8) {
          // Hatching: padding is visibly not data.
          ctx.beginPath();
          for (let d = 4; d < size * 2; d += 6) {
            ctx.moveTo(x + Math.max(0, d - size), y + Math.min(size, d));
            ctx.lineTo(x + Math.min(size, d), y + Math.max(0, d - size));
          }
          ctx.globalAlpha = isHighContrast(this.theme) ? 0.9 : 0.35;
          ctx.stroke();
          ctx.globalAlpha = 1;
        }
      }
    }
  }

  private drawGrid(): void {
    const v = this.view;
    const m = this.matrix;
    const ctx = this.ctx;
    const { r0, r1, c0, c1 } = visibleRange(v);
    ctx.lineWidth = 1;
    if (v.scale >= 10) {
      ctx.strokeStyle = `rgba(${isLight(this.theme) ? '0,0,0' : '255,255,255'},${isHighContrast(this.theme) ? 0.4 : 0.12})`;
      ctx.beginPath();
      for (let row = r0; row <= r1; row++) { const y = Math.round(cellRect(v, row, 0).y) + 0.5; ctx.moveTo(v.left, y); ctx.lineTo(v.width, y); }
      for (let col = c0; col <= c1; col++) { const x = Math.round(cellRect(v, 0, col).x) + 0.5; ctx.moveTo(x, v.top); ctx.lineTo(x, v.height); }
      ctx.stroke();
    }
    // Batch boundaries of stacked matrices.
    if (m.batchRows && m.rows > m.batchRows) {
      ctx.strokeStyle = this.theme.foreground;
      ctx.globalAlpha = 0.6;
      ctx.beginPath();
      for (let row = Math.ceil(r0 / m.batchRows) * m.batchRows; row < r1; row += m.batchRows) {
        if (row === 0) continue;
        const y = Math.round(cellRect(v, row, 0).y) + 0.5;
        ctx.moveTo(v.left, y);
        ctx.lineTo(v.width, y);
      }
      ctx.stroke();
      ctx.globalAlpha = 1;
    }
    // Tile captions: which channel each tile is.
    const tiles = m.tiles;
    if (tiles && tiles.width * v.scale >= 28) {
      ctx.fillStyle = this.theme.foreground;
      ctx.font = `10px ${this.theme.fontFamily}`;
      ctx.textBaseline = 'top';
      for (let ch = 0; ch < tiles.count; ch++) {
        const { x, y } = cellRect(v, Math.floor(ch / tiles.across) * (tiles.height + 1), (ch % tiles.across) * (tiles.width + 1));
        ctx.globalAlpha = 0.8;
        ctx.fillText(`c${ch}`, x + 2, y + 2);
        ctx.globalAlpha = 1;
      }
    }
  }

  /** The formatted values of the visible cells, when they fit; else undefined. */
  private drawValues(): void {
    const v = this.view;
    if (v.scale < 14 || this.visibleCells() > 4000) return;
    const ctx = this.ctx;
    const { r0, r1, c0, c1 } = visibleRange(v);
    const size = Math.max(9, Math.min(13, Math.floor(v.scale * 0.42)));
    ctx.font = `${size}px ${this.theme.fontFamily}`;
    const texts: { text: string; row: number; col: number; value: number }[] = [];
    let widest = 0;
    for (let row = r0; row < r1; row++) {
      for (let col = c0; col < c1; col++) {
        const off = this.matrix.offsetAt(row, col);
        const value = off < 0 ? undefined : this.store.known(off);
        if (value === undefined) continue;
        const text = formatNumber(value, this.precision);
        widest = Math.max(widest, ctx.measureText(text).width);
        texts.push({ text, row, col, value });
      }
    }
    if (widest > v.scale - 3) return;
    const rgb = rgbTable(this.colormap);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (const t of texts) {
      const { x, y, size: s } = cellRect(v, t.row, t.col);
      const idx = colourIndex(t.value, this.scale);
      ctx.fillStyle = idx < 0 ? '#ffffff' : luminance(rgb, idx) > 0.36 ? '#000000' : '#ffffff';
      ctx.fillText(t.text, x + s / 2, y + s / 2 + 0.5);
    }
    ctx.textAlign = 'start';
  }

  private drawHighlights(): void {
    const h = this.highlight;
    const ctx = this.ctx;
    const v = this.view;
    const m = this.matrix;
    const { r0, r1, c0, c1 } = visibleRange(v);
    const thick = v.scale >= 6 ? 2 : 1;
    if (h) {
      ctx.fillStyle = this.theme.highlightFill;
      ctx.strokeStyle = this.theme.highlight;
      ctx.lineWidth = thick;
      const flat = this.matrix.tiles === undefined && m.rows > 0;
      if (flat) {
        for (const row of h.rows) {
          if (row < r0 || row >= r1) continue;
          const a = cellRect(v, row, c0);
          const w = (c1 - c0) * v.scale;
          ctx.fillRect(a.x, a.y, w, v.scale);
          ctx.strokeRect(a.x, a.y, w, Math.max(1, v.scale));
        }
        for (const col of h.columns) {
          if (col < c0 || col >= c1) continue;
          const a = cellRect(v, r0, col);
          const hgt = (r1 - r0) * v.scale;
          ctx.fillRect(a.x, a.y, v.scale, hgt);
          ctx.strokeRect(a.x, a.y, Math.max(1, v.scale), hgt);
        }
      }
      for (const index of h.cells) {
        const p = m.positionOf(index);
        if (!p || p.row < r0 || p.row >= r1 || p.col < c0 || p.col >= c1) continue;
        const { x, y, size } = cellRect(v, p.row, p.col);
        ctx.fillRect(x, y, size, size);
        if (size >= 4) ctx.strokeRect(x + thick / 2, y + thick / 2, size - thick, size - thick);
      }
    }
    const mark = (p: { row: number; col: number } | undefined, colour: string, dashed: boolean) => {
      if (!p) return;
      const { x, y, size } = cellRect(v, p.row, p.col);
      // A halo in the background colour under the mark: it shows on every cell colour, in every theme.
      ctx.strokeStyle = this.theme.background;
      ctx.lineWidth = thick + 3;
      ctx.strokeRect(x, y, Math.max(size, 3), Math.max(size, 3));
      ctx.strokeStyle = colour;
      ctx.lineWidth = thick + 1;
      ctx.setLineDash(dashed ? [3, 2] : []);
      ctx.strokeRect(x, y, Math.max(size, 3), Math.max(size, 3));
      ctx.setLineDash([]);
    };
    mark(this.source ? m.positionOf(this.source) : undefined, this.theme.focus, false);
    if (document.activeElement === this.canvas) mark(this.cursor, this.theme.focus, true);
  }

  private drawLabels(): void {
    const v = this.view;
    const ctx = this.ctx;
    const { r0, r1, c0, c1 } = visibleRange(v);
    ctx.fillStyle = this.theme.muted;
    ctx.font = `10px ${this.theme.fontFamily}`;
    const rowLabel = this.labels.row ?? (this.matrix.tiles ? undefined : defaultRowLabel(this.matrix));
    const colLabel = this.labels.col ?? (this.matrix.tiles ? undefined : (c: number) => String(c));
    if (rowLabel && v.left > 0) {
      const every = Math.max(1, niceStep(12 / v.scale));
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      for (let row = Math.ceil(r0 / every) * every; row < r1; row += every) {
        ctx.fillText(rowLabel(row), v.left - 4, cellRect(v, row, 0).y + v.scale / 2);
      }
    }
    if (colLabel && v.top > 0) {
      const widest = Math.max(ctx.measureText(colLabel(c0)).width, ctx.measureText(colLabel(Math.max(c0, c1 - 1))).width) + 6;
      const every = Math.max(1, niceStep(widest / v.scale));
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      for (let col = Math.ceil(c0 / every) * every; col < c1; col += every) {
        const x = cellRect(v, 0, col).x + v.scale / 2;
        if (x < v.left) continue;
        ctx.fillText(colLabel(col), x, v.top - 3);
      }
    }
    ctx.textAlign = 'start';
  }

  private local(e: MouseEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  private hover(index: number[] | undefined, at?: { x: number; y: number }): void {
    const key = index?.join(',');
    if (key === this.hovered && !at) return;
    this.hovered = key;
    this.callbacks.hover(index, at);
  }

  private listen(): void {
    const c = this.canvas;
    c.addEventListener('pointermove', e => {
      const p = this.local(e);
      if (this.dragging && e.buttons) {
        const dx = p.x - this.dragging.x;
        const dy = p.y - this.dragging.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) this.dragging.moved = true;
        if (this.dragging.moved) {
          this.view = panBy(this.view, dx, dy);
          this.dragging.x = p.x;
          this.dragging.y = p.y;
          this.render();
          return;
        }
      }
      const cell = cellAt(this.view, p.x, p.y);
      const index = cell ? this.matrix.indexAt(cell.row, cell.col) : undefined;
      if (cell) this.cursor = cell;
      this.keyboardHover = false;
      this.hover(index, { x: e.clientX, y: e.clientY });
    });
    c.addEventListener('pointerleave', () => this.hover(undefined));
    c.addEventListener('pointerdown', e => {
      const p = this.local(e);
      this.dragging = { ...p, moved: false };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointerup', e => {
      const moved = this.dragging?.moved;
      this.dragging = undefined;
      c.releasePointerCapture(e.pointerId);
      if (moved) return;
      const p = this.local(e);
      const cell = cellAt(this.view, p.x, p.y);
      const index = cell ? this.matrix.indexAt(cell.row, cell.col) : undefined;
      if (index) this.callbacks.select(index);
    });
    c.addEventListener('dblclick', e => this.zoom(2, this.local(e)));
    c.addEventListener('wheel', e => {
      if (e.ctrlKey || e.metaKey) {
        e.preventDefault();
        this.zoom(Math.exp(-e.deltaY * 0.002), this.local(e));
        return;
      }
      const v = this.view;
      const bigger = v.cols * v.scale > v.width - v.left + 1 || v.rows * v.scale > v.height - v.top + 1;
      if (document.activeElement === c && bigger) {
        e.preventDefault();
        this.view = clampView(panBy(v, -e.deltaX, -e.deltaY));
        this.render();
      }
    }, { passive: false });
    c.addEventListener('focus', () => {
      // Tabbing in puts the cursor on a cell at once, so the reader hears where it is.
      if (c.matches(':focus-visible')) this.moveCursorTo(this.cursor ?? this.startCell());
      else this.render();
    });
    c.addEventListener('blur', () => {
      if (this.keyboardHover) this.hover(undefined);
      this.keyboardHover = false;
      this.render();
    });
    c.addEventListener('keydown', e => this.key(e));
  }

  private key(e: KeyboardEvent): void {
    const m = this.matrix;
    const cur = this.cursor ?? this.startCell();
    const move = moveForKey(e.key, { jump: e.ctrlKey || e.metaKey, shift: e.shiftKey }, pageRows(areaHeight(this.view), this.view.scale));
    if (move) {
      // Ctrl+Home etc. are cursor keys here, not the webview's.
      this.moveCursorTo(moveCursor(this.cursorGrid(), cur, move));
    } else if (e.ctrlKey || e.metaKey || e.altKey) {
      return;
    } else {
      switch (e.key) {
        case 'Enter': case ' ': {
          const index = m.indexAt(cur.row, cur.col);
          if (index) {
            this.cursor = cur;
            this.callbacks.select(index);
            this.callbacks.announce?.(index, 'select');
          }
          break;
        }
        case '+': case '=': this.zoomAtCell(cur, 1.5); break;
        case '-': case '_': this.zoomAtCell(cur, 1 / 1.5); break;
        case '0': this.fit(); break;
        // Announced first: the host still knows whether a cell was pinned.
        case 'Escape': this.callbacks.announce?.(undefined, 'escape'); this.callbacks.escape(); break;
        default: return;
      }
    }
    e.preventDefault();
    e.stopPropagation();
  }

  /** The matrix as the cursor walks it: gaps between channel tiles are not cells. */
  private cursorGrid(): CursorGrid {
    const m = this.matrix;
    return { rows: m.rows, cols: m.cols, isCell: (row, col) => m.indexAt(row, col) !== undefined };
  }

  /** Where the cursor starts: the pinned cell if it is shown here, else the first cell. */
  private startCell(): { row: number; col: number } {
    const pinned = this.source ? this.matrix.positionOf(this.source) : undefined;
    return pinned ?? firstCell(this.cursorGrid());
  }

  /** Puts the keyboard cursor on a cell: scrolled into view, linked as a hover is, announced. */
  private moveCursorTo(next: { row: number; col: number }): void {
    const m = this.matrix;
    this.cursor = next;
    this.view = reveal(this.view, next.row, next.col);
    const r = this.canvas.getBoundingClientRect();
    const rect = cellRect(this.view, next.row, next.col);
    const index = m.indexAt(next.row, next.col);
    this.keyboardHover = true;
    this.hover(index, { x: r.left + rect.x + rect.size, y: r.top + rect.y + rect.size });
    if (index) this.callbacks.announce?.(index, 'move');
    this.render();
  }

  private zoomAtCell(cell: { row: number; col: number }, factor: number): void {
    const r = cellRect(this.view, cell.row, cell.col);
    this.zoom(factor, { x: r.x + r.size / 2, y: r.y + r.size / 2 });
  }

  /** The formatted values of the first cells of the grid, row-major (what `rendered` reports). */
  shownValues(limit = 64): string[] {
    const out: string[] = [];
    for (let row = 0; row < this.matrix.rows && out.length < limit; row++) {
      for (let col = 0; col < this.matrix.cols && out.length < limit; col++) {
        const off = this.matrix.offsetAt(row, col);
        const value = off < 0 ? undefined : this.store.known(off);
        if (value === undefined) return out;
        out.push(formatNumber(value, this.precision));
      }
    }
    return out;
  }

  /** Where a cell is on the page (CSS pixels, viewport coordinates), or undefined if not drawn. */
  cellClientRect(index: readonly number[]): { x: number; y: number; size: number } | undefined {
    const p = this.matrix.positionOf(index);
    if (!p) return undefined;
    const r = this.canvas.getBoundingClientRect();
    const c = cellRect(this.view, p.row, p.col);
    return { x: r.left + c.x, y: r.top + c.y, size: c.size };
  }

  toPng(): Promise<Blob | null> {
    this.draw();
    return new Promise(resolve => this.canvas.toBlob(resolve, 'image/png'));
  }
}

/** 1, 2, 5, 10, 20, 50, ... at or above x. */
function niceStep(x: number): number {
  if (x <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}
