// The colour scale of a heatmap: a gradient with its low and high ends (and 0 for diverging maps).

import { formatNumber } from '../../src/format/text';
import { ColormapName, Scale, rgbTable } from './colormaps';

export function colorbar(scale: Scale, colormap: ColormapName, precision: number): HTMLElement {
  const wrap = document.createElement('div');
  wrap.className = 'colorbar';
  const canvas = document.createElement('canvas');
  canvas.width = 128;
  canvas.height = 1;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(128, 1);
  const rgb = rgbTable(colormap);
  for (let x = 0; x < 128; x++) {
    const i = Math.round((x / 127) * 255);
    img.data.set([rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2], 255], x * 4);
  }
  ctx.putImageData(img, 0, 0);
  const lo = document.createElement('span');
  lo.textContent = formatNumber(scale.lo, precision);
  const hi = document.createElement('span');
  hi.textContent = formatNumber(scale.hi, precision);
  wrap.append(lo, canvas, hi);
  if (scale.kind === 'diverging') wrap.title = `diverging, centred at 0: ${lo.textContent} … 0 … ${hi.textContent}`;
  else wrap.title = `sequential: ${lo.textContent} … ${hi.textContent}`;
  return wrap;
}
