// The feature-map gallery of a network's open layer: every channel of its output (or of its δ after the
// backward pass) as small heatmaps on one shared scale or each on its own, the network's input image beside,
// and on it saliency or Grad-CAM at this layer. The host sends the channels with the ranges the engine
// measured and the attributions the engine computed (engine/featureMaps.ts); this file only draws them.

import { formatShape } from '../../src/engine/tensor';
import { formatNumber } from '../../src/format/text';
import type { WireAttribution, WireChannels, WireFeatureMaps, WireLayer, WireNetwork, WireRange } from '../../src/protocol/messages';
import { text } from '../l10n';
import { requestAttribution, requestFeatureMaps } from '../model';
import { COLORMAPS, type ColorScheme, colourIndex, colormapFor, packedTable, scaleFor } from '../render/colormaps';
import { el } from './controls';
import type { GalleryChoice, GalleryOverlay } from '../state';

/** A channel's map is drawn about this many CSS pixels a side (whole multiples of its pixels when it is small). */
const TILE_SIDE = 72;
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

/** Colours a map into a canvas: each value's colour on `scale`'s colormap. */
function paint(canvas: HTMLCanvasElement, data: Float32Array, width: number, height: number, range: WireRange, scheme: ColorScheme): void {
  canvas.width = width;
  canvas.height = height;
  const scale = scaleFor(range.min, range.max);
  let name = colormapFor(scheme, scale.kind === 'diverging');
  if (scale.kind === 'diverging' && COLORMAPS[name].kind !== 'diverging') name = colormapFor('auto', true);
  const lut = packedTable(name);
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
  return [Math.max(1, Math.round(width * zoom)), Math.max(1, Math.round(height * zoom))];
}

export class Gallery {
  readonly element = el('section', 'gallery');
  private readonly heading = el('h3', 'gallery-title');
  private readonly note = el('p', 'gallery-note');
  private readonly grid = el('div', 'gallery-grid');
  private readonly figure = el('figure', 'gallery-input');
  private readonly picture = el('canvas', 'gallery-picture');
  private readonly overlay = el('canvas', 'gallery-overlay');
  private readonly caption = el('figcaption');
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
    const stack = el('div', 'gallery-stack');
    this.overlay.setAttribute('aria-hidden', 'true');
    this.picture.setAttribute('role', 'img');
    stack.append(this.picture, this.overlay);
    this.figure.append(stack, this.caption);
    this.note.setAttribute('aria-live', 'polite');
    this.grid.setAttribute('role', 'list');
    this.grid.addEventListener('keydown', e => this.onKey(e));
    const body = el('div', 'gallery-body');
    body.append(this.figure, this.grid);
    this.element.append(this.heading, controls, this.note, body);
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
    this.figure.hidden = true;
    if (wire.op === 'loss') {
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

  private get canGradCam(): boolean {
    const l = this.layer?.wire;
    return !!l && l.op !== 'loss' && l.outputShape.length === 4 && l.trace.tensors.some(x => x.name === 'delta');
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
      channels.channels === channels.total ? t.galleryChannels(channels.channels, channels.height, channels.width) : t.galleryChannelsCapped(channels.channels, channels.total, channels.height, channels.width),
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
    const [w, h] = tileSize(c.height, c.width);
    const name = c.tensor === 'delta' ? 'δ' : c.tensor;
    const tiles = Array.from({ length: c.channels }, (_, k) => {
      const range = this.choice.scale === 'shared' ? c.shared : c.ranges[k];
      const tile = el('figure', 'gallery-tile');
      tile.setAttribute('role', 'listitem');
      const canvas = el('canvas');
      paint(canvas, data.subarray(k * size, (k + 1) * size), c.width, c.height, range, this.scheme());
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
      this.picture.hidden = this.overlay.hidden = true;
      this.caption.textContent = t.galleryNoImage;
      return;
    }
    this.picture.hidden = false;
    const zoom = INPUT_SIDE / Math.max(input.width, input.height);
    const [w, h] = [Math.round(input.width * zoom), Math.round(input.height * zoom)];
    this.picture.width = input.width;
    this.picture.height = input.height;
    this.picture.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(input.items[0]), input.width, input.height), 0, 0);
    this.picture.setAttribute('aria-label', t.galleryInputLabel(formatShape(maps.inputShape ?? [])));
    for (const c of [this.picture, this.overlay]) {
      c.style.width = `${w}px`;
      c.style.height = `${h}px`;
    }
    this.caption.textContent = t.galleryInputLabel(formatShape(maps.inputShape ?? []));
    this.renderOverlay();
  }

  /** The chosen attribution over the input, asked for once per layer and kind. */
  private renderOverlay(): void {
    const t = text();
    const kind = this.choice.overlay;
    const layer = this.layer;
    const allowed = kind === 'saliency' ? this.hasBackward : kind === 'gradcam' ? this.hasBackward && this.canGradCam : false;
    this.overlay.hidden = kind === 'none' || !allowed;
    delete this.figure.dataset.overlay;
    if (kind === 'none' || !layer || !this.maps?.input) return;
    if (!allowed) {
      this.caption.textContent = this.hasBackward ? t.galleryGradCamNeedsMaps : t.galleryNeedsBackward;
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
    const label = kind === 'saliency' ? t.gallerySaliency : t.galleryGradCam;
    this.caption.textContent = t.galleryAttributionLoading(label);
    answer.then(
      a => {
        if (generation !== this.generation || this.choice.overlay !== kind) return;
        this.drawOverlay(a, layer.index);
      },
      (e: Error) => { if (generation === this.generation) this.caption.textContent = t.galleryFailed(e.message); },
    );
  }

  private drawOverlay(a: WireAttribution, index: number): void {
    const t = text();
    // Attributions are ≥ 0: coloured from 0 to their largest value on the sequential map.
    const scheme = this.scheme();
    paint(this.overlay, new Float32Array(a.buffer), a.width, a.height, { min: 0, max: a.range.max > 0 ? a.range.max : 1 }, scheme === 'auto' ? 'magma' : scheme);
    this.overlay.style.opacity = String(this.choice.opacity / 100);
    this.overlay.hidden = false;
    const max = formatNumber(a.range.max, 4);
    this.caption.textContent = a.kind === 'saliency' ? t.gallerySaliencyCaption(max) : t.galleryGradCamCaption(index, max);
    this.figure.dataset.overlay = a.kind;
  }
}
