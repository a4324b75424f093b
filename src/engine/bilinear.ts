// Bilinear resizing of a 2-D map, as PyTorch's F.interpolate(mode='bilinear', align_corners=False) with an
// output size: each output pixel's centre is mapped back into the input ((o + 0.5)·in/out − 0.5, clamped at 0)
// and the four nearest input pixels are blended by distance. Grad-CAM upsamples its coarse map with it.

/** `src` is `height × width`, row-major; returns the `outHeight × outWidth` map. */
export function resizeBilinear(src: ArrayLike<number>, height: number, width: number, outHeight: number, outWidth: number): Float64Array {
  if (src.length !== height * width) throw new RangeError(`resizeBilinear: ${src.length} values for a ${height}×${width} map`);
  const out = new Float64Array(outHeight * outWidth);
  const ys = sourceIndices(height, outHeight);
  const xs = sourceIndices(width, outWidth);
  for (let oy = 0; oy < outHeight; oy++) {
    const { i0: y0, i1: y1, t: ty } = ys[oy];
    for (let ox = 0; ox < outWidth; ox++) {
      const { i0: x0, i1: x1, t: tx } = xs[ox];
      const top = src[y0 * width + x0] * (1 - tx) + src[y0 * width + x1] * tx;
      const bottom = src[y1 * width + x0] * (1 - tx) + src[y1 * width + x1] * tx;
      out[oy * outWidth + ox] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

/** For each output index along one axis: the two input indices it falls between and the weight of the second. */
function sourceIndices(size: number, outSize: number): { i0: number; i1: number; t: number }[] {
  const scale = size / outSize;
  return Array.from({ length: outSize }, (_, o) => {
    const s = Math.max(0, (o + 0.5) * scale - 0.5);
    const i0 = Math.min(Math.floor(s), size - 1);
    const i1 = Math.min(i0 + 1, size - 1);
    return { i0, i1, t: s - i0 };
  });
}
