// npm run bench: speed, measured side by side with the obvious alternative in one run.
//  1. Rendering (headless Chromium): the panel's heatmap on a_t of input (8, 64, 56, 56),
//     3×3 kernel (25,088 × 576 cells), dense and tiled, against one fillRect per visible cell.
//     Targets: first paint under 250 ms, over 50 frames per second while panning and zooming.
//  2. The engine (Node): conv2d forward + backward the im2col way against the naive direct loops.

import * as path from 'path';
import { chromium } from 'playwright-core';
import { conv2dBackward, conv2dForward } from '../../src/engine/conv2d';
import { convInfo, outputShape } from '../../src/engine/convInfo';
import { conv2dGradNaive, conv2dNaive } from '../../src/engine/reference';
import { Tensor, sizeOf } from '../../src/engine/tensor';

const ROOT = path.resolve(__dirname, '../../..');

interface Timing { firstPaintMs: number; frameMs: number[]; fps: number }

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const ms = (x: number) => `${x.toFixed(1)} ms`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map(w => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function renderBench(): Promise<boolean> {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
    await page.goto('file://' + path.join(ROOT, 'test/bench/render.html'));
    await page.waitForFunction(() => (globalThis as unknown as { benchResult?: unknown }).benchResult !== undefined, undefined, { timeout: 300_000, polling: 500 });
    const result = await page.evaluate(() => (globalThis as unknown as { benchResult: Record<string, Timing> | { error: string } }).benchResult);
    if ('error' in result) throw new Error(String(result.error));
    console.log('\nRendering a_t of input (8, 64, 56, 56), 3×3 kernel: 25,088 × 576 cells, 640 × 360 view, headless Chromium');
    console.log(table(['renderer', 'first paint', 'frame p50', 'frame p95', 'fps'], Object.entries(result).map(([name, t]) =>
      [name, ms(t.firstPaintMs), ms(pct(t.frameMs, 0.5)), ms(pct(t.frameMs, 0.95)), t.fps.toFixed(0)])));
    let ok = true;
    for (const name of ['heatmap (dense)', 'heatmap (tiled, levels of detail)']) {
      const t = result[name];
      const met = t.firstPaintMs < 250 && t.fps > 50;
      ok &&= met;
      console.log(`${met ? 'target met' : 'TARGET MISSED'}: ${name}: first paint ${ms(t.firstPaintMs)} (< 250 ms), ${t.fps.toFixed(0)} fps (> 50)`);
    }
    return ok;
  } finally {
    await browser.close();
  }
}

function random(shape: number[], seed: number): Tensor {
  const data = new Float64Array(sizeOf(shape));
  let s = seed;
  for (let i = 0; i < data.length; i++) { s = (s * 16807) % 2147483647; data[i] = s / 2147483647 - 0.5; }
  return { shape, dtype: 'float64', data };
}

function time(fn: () => void, repeat: number): number {
  fn(); // warm up the JIT
  const t0 = performance.now();
  for (let i = 0; i < repeat; i++) fn();
  return (performance.now() - t0) / repeat;
}

function engineBench(): void {
  const cases: [string, number[], number[], number][] = [
    ['x=[1,3,32,32] w=[16,3,3,3] p=1', [1, 3, 32, 32], [16, 3, 3, 3], 20],
    ['x=[8,16,32,32] w=[32,16,3,3] p=1', [8, 16, 32, 32], [32, 16, 3, 3], 3],
    ['x=[1,64,56,56] w=[64,64,3,3] p=1', [1, 64, 56, 56], [64, 64, 3, 3], 1],
  ];
  const rows: string[][] = [];
  for (const [name, xs, ws, repeat] of cases) {
    const x = random(xs, 1);
    const w = random(ws, 2);
    const info = convInfo(xs, ws, { padding: 1 });
    const delta = random(outputShape(info), 3);
    const im2col = time(() => conv2dBackward(conv2dForward(x, w, undefined, info), w, delta, info), repeat);
    const naive = time(() => { conv2dNaive(x, w, undefined, info); conv2dGradNaive(x, w, delta, info); }, repeat);
    rows.push([name, ms(im2col), ms(naive), `${(naive / im2col).toFixed(1)}×`]);
  }
  console.log('\nconv2d forward + backward (float64, Node), mean per run');
  console.log(table(['case', 'im2col engine', 'naive loops', 'speed-up'], rows));
}

(async () => {
  const renderOk = await renderBench();
  engineBench();
  console.log(renderOk ? '\nall render targets met' : '\nsome render targets missed');
})().catch(e => {
  console.error(`bench failed: ${(e as Error).message}`);
  process.exit(1);
});
