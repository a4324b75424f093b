// A tensor in the pipeline: its name, shape and meaning, the heatmap, the
// colour scale, batch/channel pickers for 4-D tensors, zoom and export.

import type { Highlight } from '../../src/engine/links';
import { formatShape } from '../../src/engine/tensor';
import type { TensorName } from '../../src/engine/trace';
import { axisLabels, mutedCells } from '../../src/engine/layerKinds/views';
import { formatNumber } from '../../src/format/text';
import { aboutText } from '../../src/l10n/panelText';
import type { TraceModel } from '../model';
import { ColormapName, Scale } from '../render/colormaps';
import { colorbar } from '../render/colorbar';
import { DisplaySelection, displayMatrix } from '../render/displayMatrix';
import { Heatmap, HeatmapCallbacks } from '../render/heatmap';
import type { UiState } from '../state';
import type { Theme } from '../theme';
import { locale, text } from '../l10n';
import { labelBy, markToolbar } from './a11y';
import { checkbox, el, select, toolButton } from './controls';
import { PictureView } from './picture';

/** The gap between a picture and its heatmap (CSS .tensor-body), and the least heatmap width worth placing beside it. */
const PICTURE_GAP = 8;
const MIN_BESIDE = 160;

export interface CardHost {
  readonly model: TraceModel;
  readonly state: UiState;
  readonly theme: Theme;
  colour(name: TensorName): { scale: Scale; colormap: ColormapName };
  hover(name: TensorName, index: number[] | undefined, at?: { x: number; y: number }): void;
  select(name: TensorName, index: number[]): void;
  escape(): void;
  /** The keyboard cursor moved to, pinned or released a cell: say so to a screen reader. */
  announceCell(name: TensorName, index: number[] | undefined, event: 'move' | 'select' | 'escape'): void;
  saveState(): void;
  copyTensor(name: TensorName, format: 'json' | 'numpy'): void;
  savePng(name: string, png: Blob): void;
}

export class TensorCard {
  readonly element: HTMLElement;
  readonly heatmap: Heatmap;
  private readonly shape: number[];
  private readonly footer = el('div', 'tensor-footer');
  private readonly a11y = el('table', 'visually-hidden');
  private readonly zoomButtons = el('span', 'tool-group');
  private selection: DisplaySelection;
  private maxWidth = 480;
  private chromeWidth: number | undefined;
  private readonly canvasWrap = el('div', 'heatmap-wrap');
  /** A tensor read from an image: the picture, beside the heatmap. */
  private readonly picture?: PictureView;

  constructor(private readonly host: CardHost, readonly name: TensorName, caption?: string) {
    const meta = host.model.tensor(name)!;
    this.shape = meta.shape;
    this.selection = { n: 0, c: 0, mode: 'slice', ...host.state.selections[name] };
    this.element = el('section', 'tensor');
    this.element.dataset.tensor = name;
    const callbacks: HeatmapCallbacks = {
      hover: (index, at) => host.hover(name, index, at),
      select: index => host.select(name, index),
      escape: () => host.escape(),
      announce: (index, event) => host.announceCell(name, index, event),
    };
    this.heatmap = new Heatmap(host.model.store(name), this.matrix(), axisLabels(host.model.geometry, name), host.theme, callbacks, mutedCells(host.model.geometry, name));
    const about = aboutText(meta.about, locale());
    this.heatmap.canvas.setAttribute('aria-label', text().heatmapLabel(name, formatShape(this.shape), about));

    const head = el('header', 'tensor-head');
    const title = el('div', 'tensor-title');
    const nameLabel = el('span', 'tensor-name', caption ?? name);
    title.append(nameLabel, el('span', 'tensor-shape', formatShape(this.shape)), this.controls());
    labelBy(this.element, nameLabel);
    // One line, cut to the card's width (the card is as wide as its data): the whole of it on hover.
    const aboutLine = el('div', 'tensor-about', `${meta.axes.join(' × ')} · ${about}`);
    aboutLine.title = aboutLine.textContent!;
    head.append(title, aboutLine);
    this.canvasWrap.append(this.heatmap.canvas);
    const body = el('div', 'tensor-body');
    if (meta.picture) {
      this.picture = new PictureView(meta.picture, name);
      this.picture.show(this.selection.n);
      body.append(this.picture.element);
    }
    body.append(this.canvasWrap);
    this.element.append(head, body, this.footer, this.a11y);
    this.refreshColour();
  }

  private matrix() {
    return displayMatrix(this.shape, this.selection);
  }

  private controls(): HTMLElement {
    const bar = el('div', 'tensor-controls');
    markToolbar(bar, text().tensorActions(this.name));
    const meta = this.host.model.tensor(this.name)!;
    if (this.shape.length === 4) {
      const [N, C] = this.shape;
      const options = (n: number, axis: string) => Array.from({ length: n }, (_, i) => ({ value: String(i), label: `${axis} ${i}` }));
      if (N > 1) bar.append(select(`${this.name}: ${meta.axes[0]}`, options(N, meta.axes[0]), String(this.selection.n), v => this.select({ n: Number(v) })));
      if (C > 1) {
        bar.append(select(`${this.name}: ${meta.axes[1]}`, options(C, meta.axes[1]), String(this.selection.c), v => this.select({ c: Number(v) })));
        const all = checkbox(text().allSlices, this.selection.mode === 'tiles', on => this.select({ mode: on ? 'tiles' : 'slice' }));
        all.setAttribute('aria-label', text().allChannelsOf(this.name));
        bar.append(all);
      }
    }
    this.zoomButtons.append(
      toolButton('−', text().zoomOut(this.name), () => this.heatmap.zoom(1 / 1.5)),
      toolButton('+', text().zoomIn(this.name), () => this.heatmap.zoom(1.5)),
      toolButton('⤢', text().showAll(this.name), () => this.heatmap.fit()),
    );
    const exports = el('span', 'tool-group');
    exports.append(
      toolButton('{ }', text().copyJson(this.name), () => this.host.copyTensor(this.name, 'json')),
      toolButton('np', text().copyNumpy(this.name), () => this.host.copyTensor(this.name, 'numpy')),
      toolButton('PNG', text().savePng(this.name), () => void this.heatmap.toPng().then(b => b && this.host.savePng(this.name, b))),
    );
    bar.append(this.zoomButtons, exports);
    return bar;
  }

  private select(change: Partial<DisplaySelection>): void {
    this.selection = { ...this.selection, ...change };
    this.host.state.selections[this.name] = this.selection;
    this.host.saveState();
    this.picture?.show(this.selection.n);
    this.heatmap.setMatrix(this.matrix(), axisLabels(this.host.model.geometry, this.name), this.maxWidth);
    this.showZoom();
    this.updateA11y();
  }

  /** Sizes the card to at most `outerWidth` CSS pixels, its padding and border included. */
  layout(outerWidth: number): void {
    const room = outerWidth - this.chrome();
    // The picture goes beside the heatmap when both fit at a useful size; otherwise the heatmap wraps below it.
    const beside = this.picture ? room - this.picture.width - PICTURE_GAP : room;
    this.maxWidth = Math.max(40, beside >= MIN_BESIDE ? beside : room);
    this.heatmap.layout(this.maxWidth, true);
    this.showZoom();
  }

  /** The card's width around its heatmap: padding and borders of the card and of the heatmap's frame. */
  chrome(): number {
    if (this.chromeWidth === undefined) {
      const px = (s: string) => parseFloat(s) || 0;
      const card = getComputedStyle(this.element);
      const wrap = getComputedStyle(this.canvasWrap);
      this.chromeWidth = px(card.paddingLeft) + px(card.paddingRight) + px(card.borderLeftWidth) + px(card.borderRightWidth) + px(wrap.paddingLeft) + px(wrap.paddingRight);
    }
    return this.chromeWidth;
  }

  /** Zoom buttons only where there is something to zoom: grids that do not fit at a readable size. */
  private showZoom(): void {
    this.zoomButtons.hidden = !this.heatmap.zoomable;
  }

  /** On screen or not: off-screen views neither draw nor fetch tiles. */
  setVisible(visible: boolean): void {
    this.heatmap.setActive(visible);
  }

  refreshColour(): void {
    const { scale, colormap } = this.host.colour(this.name);
    this.heatmap.setColour(scale, colormap);
    this.heatmap.setPrecision(this.host.state.precision);
    const stats = this.host.model.stats(this.name);
    const p = this.host.state.precision;
    const parts = [colorbar(scale, colormap, p), el('span', 'range', text().range(formatNumber(stats.min, p), formatNumber(stats.max, p)))];
    if (stats.nonFinite) parts.push(el('span', 'badge bad', text().nonFinite(stats.nonFinite)));
    this.footer.replaceChildren(...parts);
    this.updateA11y();
  }

  setTheme(theme: Theme): void {
    this.heatmap.setTheme(theme);
  }

  setHighlight(h: Highlight | undefined, source: number[] | undefined, reveal: boolean): void {
    this.heatmap.setHighlight(h, source, reveal);
    // Also as attributes: what a screen reader's "describe" and the end-to-end tests read.
    const d = this.element.dataset;
    d.highlightRows = h?.rows.join(' ') ?? '';
    d.highlightColumns = h?.columns.join(' ') ?? '';
    d.highlightCells = h ? h.cells.map(c => c.join(',')).join(' ') : '';
  }

  /** The shown values for screen readers (and tests): a table of the slice when it is small and here. */
  private updateA11y(): void {
    const data = this.host.model.store(this.name).dense;
    const m = this.matrix();
    this.a11y.replaceChildren();
    if (!data || m.rows * m.cols > 400) return;
    this.a11y.setAttribute('aria-label', text().tensorValues(this.name));
    for (let r = 0; r < m.rows; r++) {
      const tr = el('tr');
      for (let c = 0; c < m.cols; c++) {
        const off = m.offsetAt(r, c);
        tr.append(el('td', undefined, off < 0 ? '' : formatNumber(data[off], this.host.state.precision)));
      }
      this.a11y.append(tr);
    }
  }
}
