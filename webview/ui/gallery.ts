// The feature-map gallery of a network's open layer: every channel of its output (or of its δ after the
// backward pass) as small heatmaps on one shared scale or each on its own, the network's input image beside,
// and on it saliency or Grad-CAM at this layer. The host sends the channels with the ranges the engine
// measured and the attributions the engine computed (engine/featureMaps.ts); this file only draws them.

import { formatShape } from '../../src/engine/tensor';
import { formatNumber } from '../../src/format/text';
import type { WireAttribution, WireChannels, WireFeatureMaps, WireLayer, WireNetwork, WireRange } from '../../src/protocol/messages';
import { text } from '../l10n';
import { requestAttribution, requestFeatureMaps } from '../model';
import { colorbar } from '../render/colorbar';
import { COLORMAPS, type ColorScheme, type ColormapName, type Scale, colourIndex, colormapFor, packedTable, scaleFor } from '../render/colormaps';
import { el } from './controls';
import type { GalleryChoice, GalleryOverlay } from '../state';

/** A channel's map is drawn about this many CSS pixels a side (whole multiples of its pixels when it is small). */
const TILE_SIDE = 72;
/** A strip of 1 × n values is drawn up to this wide. */
const VECTOR_SIDE = 320;
/** The input picture's side, CSS pixels. */
const INPUT_SIDE = 160;
/** Pixels of no finite value. */
const NOT_FINITE = 0xff808080;

/** A row of toggle buttons, one pressed: a group a screen reader names. */
function segmented<T extends string>(label: string, options: { value: T; label: string; title: string }[], value: T, onChange: (v: T) => void): { element: HTMLElement; set(v: T, enabled?: Partial<Record<T, boolean>>): void } {
  const group = el('div', 'segmented');
  group.setAttribute('role', 'group');
  group.setAttribute('aria-label', label);
  const buttons = options.map(o => {
    const b = el('button', 'tool', o.label);
    b.type = 'button';
    b.title = o.title;
    b.dataset.value = o.value;
    b.addEventListener('click', () => onChange(o.value));
    return b;
  });
  group.append(el('span', 'field-label', label), ...buttons);
  const set = (v: T, enabled: Partial<Record<T, boolean>> = {}) => buttons.forEach((b, i) => {
    b.setAttribute('aria-pressed', String(options[i].value === v));
    b.disabled = enabled[options[i].value] === false;
  });
  set(value);
  return { element: group, set };
}

/** The colormap of the scheme for signed or unsigned values (a sequential scheme never colours signed ones). */
function colormapOf(scheme: ColorScheme, signed: boolean): ColormapName {
  const name = colormapFor(scheme, signed);
  return signed && COLORMAPS[name].kind !== 'diverging' ? colormapFor('auto', true) : name;
}

/**
 * The scale of one map: when the maps have both signs (`signed`), every map is centred at 0 so blue and red
 * mean the same sign in each; otherwise its range on the sequential map.
 */
function mapScale(range: WireRange, signed: boolean): Scale {
  if (!signed) return scaleFor(Math.min(range.min, range.max), range.max);
  const m = Math.max(Math.abs(range.min), Math.abs(range.max)) || 1;
  return { kind: 'diverging', lo: -m, hi: m };
}

/** Colours a map into a canvas: each value's colour on the colormap over `scale`. */
function paint(canvas: HTMLCanvasElement, data: Float32Array, width: number, height: number, scale: Scale, colormap: ColormapName): void {
  canvas.width = width;
  canvas.height = height;
  const lut = packedTable(colormap);
  const image = new ImageData(width, height);
  const pixels = new Uint32Array(image.data.buffer);
  for (let i = 0; i < width * height; i++) {
    const k = colourIndex(data[i], scale);
    pixels[i] = k < 0 ? NOT_FINITE : lut[k];
  }
  canvas.getContext('2d')?.putImageData(image, 0, 0);
}

/** CSS size of a map of `height × width`: whole multiples of its pixels up to TILE_SIDE, else TILE_SIDE on the long side. */
function tileSize(height: number, width: number, side = TILE_SIDE): [number, number] {
  const long = Math.max(height, width);
  const zoom = long <= side ? Math.floor(side / long) : side / long;
  // A strip stays tall enough to see and to point at.
  return [Math.max(1, Math.round(width * zoom)), Math.max(height === 1 ? 16 : 1, Math.round(height * zoom))];
}

export class Gallery {
  readonly element = el('section', 'gallery');
  private readonly heading = el('h3', 'gallery-title');
  private readonly note = el('p', 'gallery-note');
  private readonly legend = el('div', 'gallery-legend');
  private readonly grid = el('div', 'gallery-grid');
  /** The input image alone, and again under the chosen attribution. */
  private readonly figure = el('figure', 'gallery-input');
  private readonly picture = el('canvas', 'gallery-picture');
  private readonly caption = el('figcaption');
  private readonly attributed = el('figure', 'gallery-input gallery-attributed');
  private readonly under = el('canvas', 'gallery-picture');
  private readonly overlay = el('canvas', 'gallery-overlay');
  private readonly attributionCaption = el('figcaption');
  private readonly showControl;
  private readonly scaleControl;
  private readonly overlayControl;
  private readonly opacity = el('input', 'gallery-opacity');
  private maps: WireFeatureMaps | undefined;
  private layer: { index: number; wire: WireLayer } | undefined;
  /** Attributions asked for, by layer trace id and kind: the network runs again for each. */
  private readonly asked = new Map<string, Promise<WireAttribution>>();
  /** The focused tile (roving tabindex). */
  private focusIndex = 0;
  /** Changes with every layer shown, so a late answer for another layer is dropped. */
  private generation = 0;

  constructor(private readonly network: WireNetwork, private readonly choice: GalleryChoice, private readonly scheme: () => ColorScheme, private readonly onChange: () => void) {
    const t = text();
    this.element.id = 'cvd-gallery';
    this.element.setAttribute('aria-label', t.galleryRegion);
    this.showControl = segmented(t.galleryShow, [
      { value: 'output', label: t.galleryOutput, title: t.galleryOutputTitle },
      { value: 'delta', label: t.galleryDelta, title: t.galleryDeltaTitle },
    ], choice.show, v => { choice.show = v; this.changed(); });
    this.scaleControl = segmented(t.galleryScale, [
      { value: 'channel', label: t.galleryPerChannel, title: t.galleryPerChannelTitle },
      { value: 'shared', label: t.galleryShared, title: t.gallerySharedTitle },
    ], choice.scale, v => { choice.scale = v; this.changed(); });
    this.overlayControl = segmented<GalleryOverlay>(t.galleryOverlay, [
      { value: 'none', label: t.galleryNone, title: t.galleryNone },
      { value: 'saliency', label: t.gallerySaliency, title: t.gallerySaliencyTitle },
      { value: 'gradcam', label: t.galleryGradCam, title: t.galleryGradCamTitle },
    ], choice.overlay, v => { choice.overlay = v; this.changed(); });
    this.opacity.type = 'range';
    this.opacity.min = '0';
    this.opacity.max = '100';
    this.opacity.value = String(choice.opacity);
    this.opacity.setAttribute('aria-label', t.galleryOpacity);
    this.opacity.title = t.galleryOpacity;
    this.opacity.addEventListener('input', () => {
      choice.opacity = Number(this.opacity.value);
      this.overlay.style.opacity = String(choice.opacity / 100);
      this.onChange();
    });
    const opacityField = el('label', 'field');
    opacityField.append(el('span', 'field-label', t.galleryOpacity), this.opacity);
    const controls = el('div', 'gallery-controls');
    controls.append(this.showControl.element, this.scaleControl.element, this.overlayControl.element, opacityField);
    this.picture.setAttribute('role', 'img');
    this.figure.append(this.picture, this.caption);
    const stack = el('div', 'gallery-stack');
    this.under.setAttribute('aria-hidden', 'true');
    this.overlay.setAttribute('role', 'img');
    stack.append(this.under, this.overlay);
    this.attributed.append(stack, this.attributionCaption);
    this.attributionCaption.setAttribute('aria-live', 'polite');
    this.note.setAttribute('aria-live', 'polite');
    this.grid.setAttribute('role', 'list');
    this.grid.addEventListener('keydown', e => this.onKey(e));
    const body = el('div', 'gallery-body');
    body.append(this.figure, this.attributed, this.grid);
    const status = el('div', 'gallery-status');
    status.append(this.note, this.legend);
    this.element.append(this.heading, controls, status, body);
  }

  /** Shows layer `index` (asks the host for its channels). */
  show(index: number, wire: WireLayer): void {
    const t = text();
    const generation = ++this.generation;
    this.layer = { index, wire };
    this.maps = undefined;
    this.focusIndex = 0;
    this.heading.textContent = t.galleryTitle(index, wire.title);
    this.grid.replaceChildren();
    this.legend.replaceChildren();
    this.figure.hidden = this.attributed.hidden = true;
    if (this.isLoss(index)) {
      this.setNote(t.galleryLoss);
      this.updateControls();
      return;
    }
    this.setNote(t.galleryLoading);
    this.updateControls();
    requestFeatureMaps(wire.trace.id, 0).then(
      maps => { if (generation === this.generation) { this.maps = maps; this.render(); } },
      (e: Error) => { if (generation === this.generation) this.setNote(t.galleryFailed(e.message)); },
    );
  }

  /** Redraws with the current colours (the colour scheme changed). */
  redraw(): void {
    if (this.maps) this.render();
  }

  private changed(): void {
    this.onChange();
    this.render();
  }

  private setNote(words: string): void {
    this.note.textContent = words;
  }

  /** Whether the backward pass ran: some layer has a δ. */
  private get hasBackward(): boolean {
    return this.network.layers.some(l => l.trace.tensors.some(x => x.name === 'delta'));
  }

  /** A network with a loss ends with it (network.ts): a number, no maps. */
  private isLoss(index: number): boolean {
    return !!this.network.loss && index === this.network.layers.length - 1;
  }

  private get canGradCam(): boolean {
    const l = this.layer;
    return !!l && !this.isLoss(l.index) && l.wire.outputShape.length === 4 && l.wire.trace.tensors.some(x => x.name === 'delta');
  }

  private updateControls(): void {
    const image = !!this.maps?.input;
    const backward = this.hasBackward;
    this.showControl.set(this.choice.show, { delta: !!this.maps?.delta });
    this.scaleControl.set(this.choice.scale);
    this.overlayControl.set(this.choice.overlay, { saliency: image && backward, gradcam: image && backward && this.canGradCam });
    this.opacity.disabled = this.choice.overlay === 'none';
  }

  private render(): void {
    const maps = this.maps;
    if (!maps) return;
    const t = text();
    this.updateControls();
    const channels = this.choice.show === 'delta' && maps.delta ? maps.delta : maps.output;
    const words = [
      channels.total === 1 && channels.height === 1 ? t.galleryVector(channels.width)
      : channels.channels === channels.total ? t.galleryChannels(channels.channels, channels.height, channels.width) : t.galleryChannelsCapped(channels.channels, channels.total, channels.height, channels.width),
      ...(this.choice.scale === 'shared' ? [t.gallerySharedRange(formatNumber(channels.shared.min, 4), formatNumber(channels.shared.max, 4))] : []),
      ...(this.choice.show === 'delta' && !maps.delta ? [t.galleryNoDelta] : []),
    ];
    this.setNote(words.join(' · '));
    this.renderGrid(channels);
    this.renderInput(maps);
  }

  private renderGrid(c: WireChannels): void {
    const t = text();
    const data = new Float32Array(c.buffer);
    const size = c.height * c.width;
    // A vector (a linear layer's output) is one strip: drawn wider than a map.
    const [w, h] = tileSize(c.height, c.width, c.height === 1 ? VECTOR_SIDE : TILE_SIDE);
    const name = c.tensor === 'delta' ? 'δ' : c.tensor;
    const signed = c.shared.min < 0 && c.shared.max > 0;
    const colormap = colormapOf(this.scheme(), signed);
    const shared = this.choice.scale === 'shared';
    const sharedScale = mapScale(c.shared, signed);
    this.legend.replaceChildren(this.colourKey(shared ? sharedScale : mapScale({ min: signed ? -1 : 0, max: 1 }, signed), colormap, !shared, signed));
    const tiles = Array.from({ length: c.channels }, (_, k) => {
      const tile = el('figure', 'gallery-tile');
      tile.setAttribute('role', 'listitem');
      const canvas = el('canvas');
      paint(canvas, data.subarray(k * size, (k + 1) * size), c.width, c.height, shared ? sharedScale : mapScale(c.ranges[k], signed), colormap);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
      canvas.setAttribute('role', 'img');
      const label = t.galleryChannelLabel(name, k, formatNumber(c.ranges[k].min, 4), formatNumber(c.ranges[k].max, 4));
      canvas.setAttribute('aria-label', label);
      canvas.title = label;
      canvas.tabIndex = k === this.focusIndex ? 0 : -1;
      canvas.dataset.channel = String(k);
      canvas.addEventListener('focus', () => { this.focusIndex = k; });
      tile.append(canvas, el('figcaption', '', t.galleryChannel(k)));
      return tile;
    });
    this.grid.replaceChildren(...tiles);
  }

  /** The colour key: the shared scale's ends, or (per channel) what the ends of every map's own scale are. */
  private colourKey(scale: Scale, colormap: ColormapName, perChannel: boolean, signed: boolean): HTMLElement {
    const t = text();
    const key = colorbar(scale, colormap, 4);
    if (perChannel) {
      const [lo, , hi] = [...key.children] as HTMLElement[];
      lo.textContent = signed ? t.galleryKeyNegative : t.galleryKeyMin;
      hi.textContent = signed ? t.galleryKeyPositive : t.galleryKeyMax;
    }
    key.setAttribute('aria-hidden', 'true');
    return key;
  }

  /** Arrow keys move between the maps (one tab stop for the whole grid). */
  private onKey(e: KeyboardEvent): void {
    const canvases = [...this.grid.querySelectorAll('canvas')];
    if (!canvases.length) return;
    const across = Math.max(1, canvases.filter(c => c.offsetTop === canvases[0].offsetTop).length);
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: across, ArrowUp: -across, Home: -Infinity, End: Infinity };
    const move = moves[e.key];
    if (move === undefined) return;
    e.preventDefault();
    const next = Math.max(0, Math.min(canvases.length - 1, this.focusIndex + move));
    canvases[this.focusIndex].tabIndex = -1;
    canvases[next].tabIndex = 0;
    canvases[next].focus();
  }

  private renderInput(maps: WireFeatureMaps): void {
    const t = text();
    const input = maps.input;
    this.figure.hidden = false;
    if (!input) {
      this.picture.hidden = true;
      this.attributed.hidden = true;
      this.caption.textContent = t.galleryNoImage;
      return;
    }
    this.picture.hidden = false;
    const zoom = INPUT_SIDE / Math.max(input.width, input.height);
    const [w, h] = [Math.round(input.width * zoom), Math.round(input.height * zoom)];
    const pixels = new ImageData(new Uint8ClampedArray(input.items[0]), input.width, input.height);
    for (const c of [this.picture, this.under, this.overlay]) {
      c.style.width = `${w}px`;
      c.style.height = `${h}px`;
    }
    for (const c of [this.picture, this.under]) {
      c.width = input.width;
      c.height = input.height;
      c.getContext('2d')?.putImageData(pixels, 0, 0);
    }
    const label = t.galleryInputLabel(formatShape(maps.inputShape ?? []));
    this.picture.setAttribute('aria-label', label);
    this.caption.textContent = label;
    this.renderOverlay();
  }

  /** The chosen attribution over a copy of the input, asked for once per layer and kind. */
  private renderOverlay(): void {
    const t = text();
    const kind = this.choice.overlay;
    const layer = this.layer;
    const allowed = kind === 'saliency' ? this.hasBackward : kind === 'gradcam' ? this.hasBackward && this.canGradCam : false;
    this.attributed.hidden = kind === 'none' || !layer || !this.maps?.input;
    this.overlay.hidden = !allowed;
    delete this.attributed.dataset.overlay;
    if (kind === 'none' || this.attributed.hidden || !layer || !this.maps) return;
    if (!allowed) {
      this.attributionCaption.textContent = this.hasBackward ? t.galleryGradCamNeedsMaps : t.galleryNeedsBackward;
      return;
    }
    // Saliency is the same for every layer: the first layer's trace answers it.
    const traceId = kind === 'saliency' ? this.network.layers[0].trace.id : layer.wire.trace.id;
    const key = `${traceId}:${kind}`;
    let answer = this.asked.get(key);
    if (!answer) {
      answer = requestAttribution(traceId, kind, this.maps.item);
      this.asked.set(key, answer);
      answer.catch(() => this.asked.delete(key));
    }
    const generation = this.generation;
    this.attributionCaption.textContent = t.galleryAttributionLoading(kind === 'saliency' ? t.gallerySaliency : t.galleryGradCam);
    answer.then(
      a => { if (generation === this.generation && this.choice.overlay === kind) this.drawOverlay(a, layer.index); },
      (e: Error) => { if (generation === this.generation) this.attributionCaption.textContent = t.galleryFailed(e.message); },
    );
  }

  private drawOverlay(a: WireAttribution, index: number): void {
    const t = text();
    // Attributions are ≥ 0: coloured from 0 to their largest value on the sequential map.
    const scheme = this.scheme();
    const colormap = scheme === 'auto' ? 'magma' : colormapOf(scheme, false);
    paint(this.overlay, new Float32Array(a.buffer), a.width, a.height, { kind: 'sequential', lo: 0, hi: a.range.max > 0 ? a.range.max : 1 }, colormap);
    this.overlay.style.opacity = String(this.choice.opacity / 100);
    this.overlay.hidden = false;
    const max = formatNumber(a.range.max, 4);
    const words = a.kind === 'saliency' ? t.gallerySaliencyCaption(max) : t.galleryGradCamCaption(index, max);
    this.attributionCaption.textContent = words;
    this.overlay.setAttribute('aria-label', words);
    this.overlay.title = a.kind === 'saliency' ? t.gallerySaliencyTitle : t.galleryGradCamTitle;
    this.attributed.dataset.overlay = a.kind;
  }
}
