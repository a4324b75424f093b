// An image tensor as the picture it was read from (RGB or gray, not three heatmaps),
// beside the heatmap of its channels; it follows the card's batch picker.

import type { WirePicture } from '../../src/protocol/messages';
import { text } from '../l10n';
import { el } from './controls';

/** Small pictures are drawn this many CSS pixels a side at least (pixels stay square, unsmoothed). */
const MIN_SIDE = 128;

export class PictureView {
  readonly element = el('figure', 'tensor-picture');
  private readonly canvas = el('canvas');
  private readonly caption = el('figcaption');
  /** The CSS width the picture takes beside the heatmap. */
  readonly width: number;

  constructor(private readonly picture: WirePicture, private readonly name: string) {
    const zoom = Math.max(1, Math.floor(MIN_SIDE / Math.max(picture.width, picture.height)));
    this.width = picture.width * zoom;
    this.canvas.width = picture.width;
    this.canvas.height = picture.height;
    this.canvas.style.width = `${this.width}px`;
    this.canvas.style.height = `${picture.height * zoom}px`;
    this.canvas.setAttribute('role', 'img');
    this.element.append(this.canvas, this.caption);
  }

  /** Draws batch item `n`; items past those sent are hidden. */
  show(n: number): void {
    const item = this.picture.items[n];
    this.element.hidden = !item;
    if (!item) return;
    const { width, height } = this.picture;
    this.canvas.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(item), width, height), 0, 0);
    this.canvas.setAttribute('aria-label', text().pictureLabel(this.name, n));
    this.caption.textContent = text().pictureCaption;
    this.element.dataset.batch = String(n);
  }
}
