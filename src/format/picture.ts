// An image tensor (B, 3 or 1, H, W) back as the picture it was read from: the
// panel shows it beside its channels and the hover shows a thumbnail. Values map
// back to pixels by the tensor's own mapping (its scale and normalization), so a
// normalized photograph looks like the photograph, not like a min–max stretch.

import type { PixelMapping, Tensor } from '../engine/tensor';

export interface PicturePixels {
  width: number;
  height: number;
  /** Row-major RGBA, 4 bytes a pixel (a gray picture has R = G = B). */
  rgba: Uint8ClampedArray;
}

/** True for a (B, C, H, W) tensor with 1 or 3 channels. */
export function isPictureShape(shape: readonly number[]): boolean {
  return shape.length === 4 && (shape[1] === 1 || shape[1] === 3) && shape[2] > 0 && shape[3] > 0;
}

/**
 * Batch item `n` of a picture-shaped tensor as RGBA, sampled down (nearest) so that neither side exceeds
 * `maxSide`; non-finite values are black.
 */
export function picturePixels(t: Tensor, mapping: PixelMapping, n: number, maxSide: number): PicturePixels {
  const [, channels, height, width] = t.shape;
  const step = Math.max(1, Math.ceil(Math.max(height, width) / maxSide));
  const h = Math.ceil(height / step);
  const w = Math.ceil(width / step);
  const rgba = new Uint8ClampedArray(h * w * 4);
  const plane = height * width;
  const base = n * channels * plane;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const at = (y * w + x) * 4;
      for (let k = 0; k < 3; k++) {
        const c = channels === 3 ? k : 0;
        const v = t.data[base + c * plane + y * step * width + x * step];
        rgba[at + k] = Number.isFinite(v) ? Math.round((v * mapping.std[c] + mapping.mean[c]) * mapping.scale) : 0;
      }
      rgba[at + 3] = 255;
    }
  }
  return { width: w, height: h, rgba };
}
