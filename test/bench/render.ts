// Render benchmark, run in headless Chromium by runBench.ts: the panel's heatmap
// against the obvious renderer (one fillRect per visible cell), on a_t of input
// (8, 64, 56, 56) with a 3×3 kernel: 25,088 × 576 cells. Results go to window.benchResult.

import { displayMatrix } from '../../webview/render/displayMatrix';
import { Heatmap } from '../../webview/render/heatmap';
import { packedTable, scaleFor } from '../../webview/render/colormaps';
import { TileStore } from '../../webview/render/tileStore';
import { extractTile, matrixOf } from '../../src/protocol/tiles';
import type { Theme } from '../../webview/theme';

const SHAPE = [8, 3136, 576];
const WIDTH = 640;
const FRAMES = 120;

const theme: Theme = {
  foreground: '#cccccc', muted: '#8a8a8a', background: '#1e1e1e', border: '#454545', focus: '#007fd4',
  highlight: '#ffcc00', highlightFill: 'rgba(255,204,0,0.26)', nonFinite: '#f14c4c', fontFamily: 'monospace', kind: 'dark',
};

interface Timing { firstPaintMs: number; frameMs: number[]; fps: number }

function data(): Float64Array {
  const n = SHAPE.reduce((a, b) => a * b, 1);
  const d = new Float64Array(n);
  let s = 1;
  for (let i = 0; i < n; i++) { s = (s * 16807) % 2147483647; d[i] = s / 2147483647 * 2 - 1; }
  return d;
}

const frame = () => new Promise<number>(requestAnimationFrame);

/** Pans (and zooms) every frame for FRAMES frames; per-frame draw times and the frame rate. */
async function animate(draw: (i: number) => void): Promise<{ frameMs: number[]; fps: number }> {
  const frameMs: number[] = [];
  await frame();
  const t0 = performance.now();
  for (let i = 0; i < FRAMES; i++) {
    const s = performance.now();
    draw(i);
    frameMs.push(performance.now() - s);
    await frame();
  }
  return { frameMs, fps: FRAMES / ((performance.now() - t0) / 1000) };
}

async function ours(values: Float64Array, tiled: boolean): Promise<Timing> {
  const host = document.getElementById('stage')!;
  host.replaceChildren();
  const start = performance.now();
  const dims = matrixOf(SHAPE);
  // Tiled: the host's tile server answered in-process, so only rendering is measured.
  const store = tiled
    ? new TileStore(dims, undefined, async (level, tiles) => tiles.map(([row, col]) => ({ row, col, data: extractTile(values, dims, level, row, col) })))
    : new TileStore(dims, values);
  const view = new Heatmap(store, displayMatrix(SHAPE, { n: 0, c: 0, mode: 'slice' }), {}, theme, { hover() {}, select() {}, escape() {} });
  host.append(view.canvas);
  view.setColour(scaleFor(-1, 1), 'rdbu');
  view.setActive(true);
  view.layout(WIDTH);
  view.draw();
  if (tiled) {
    // First paint of a tiled view: until the tiles it asked for have arrived and been drawn.
    await new Promise(r => setTimeout(r, 0));
    view.draw();
  }
  await frame();
  const firstPaintMs = performance.now() - start;
  const pan = await animate(i => { view.pan(i % 40 < 20 ? 37 : -37, 23); view.draw(); });
  const zoom = await animate(i => { view.zoom(i % 30 < 15 ? 1.12 : 1 / 1.12, { x: 300, y: 180 }); view.draw(); });
  return { firstPaintMs, frameMs: [...pan.frameMs, ...zoom.frameMs], fps: Math.min(pan.fps, zoom.fps) };
}

/** The obvious renderer: every visible cell a fillRect, at the same zoom levels. */
async function naive(values: Float64Array): Promise<Timing> {
  const host = document.getElementById('stage')!;
  host.replaceChildren();
  const canvas = document.createElement('canvas');
  canvas.width = WIDTH;
  canvas.height = 360;
  host.append(canvas);
  const ctx = canvas.getContext('2d')!;
  const lut = packedTable('rdbu');
  const colours = Array.from(lut, c => `rgb(${c & 255},${(c >> 8) & 255},${(c >> 16) & 255})`);
  const rows = SHAPE[0] * SHAPE[1];
  const cols = SHAPE[2];
  let scale = WIDTH / cols;
  let x0 = 0;
  let y0 = 0;
  const draw = () => {
    const r1 = Math.min(rows, Math.ceil(y0 + 360 / scale));
    const c1 = Math.min(cols, Math.ceil(x0 + WIDTH / scale));
    for (let r = Math.floor(y0); r < r1; r++) {
      for (let c = Math.floor(x0); c < c1; c++) {
        ctx.fillStyle = colours[Math.round((values[r * cols + c] + 1) * 127.5)];
        ctx.fillRect((c - x0) * scale, (r - y0) * scale, scale + 0.5, scale + 0.5);
      }
    }
  };
  const start = performance.now();
  draw();
  await frame();
  const firstPaintMs = performance.now() - start;
  const pan = await animate(i => { x0 = Math.max(0, x0 + (i % 40 < 20 ? -37 : 37) / scale); y0 = Math.max(0, y0 - 23 / scale); draw(); });
  const zoom = await animate(i => { scale *= i % 30 < 15 ? 1.12 : 1 / 1.12; draw(); });
  return { firstPaintMs, frameMs: [...pan.frameMs, ...zoom.frameMs], fps: Math.min(pan.fps, zoom.fps) };
}

async function main(): Promise<void> {
  const values = data();
  const results: Record<string, Timing> = {};
  results['heatmap (dense)'] = await ours(values, false);
  results['heatmap (tiled, levels of detail)'] = await ours(values, true);
  results['naive fillRect per visible cell'] = await naive(values);
  (window as unknown as { benchResult: unknown }).benchResult = results;
}

main().catch(e => { (window as unknown as { benchResult: unknown }).benchResult = { error: String(e) }; });
