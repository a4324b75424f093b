import * as path from 'path';
import { conv2d } from '../../src/engine/conv2d';
import { ConvPool } from '../../src/extension/trace/convPool';
import { Tensor } from '../../src/engine/tensor';
const rnd = (shape: number[]): Tensor => ({ shape, dtype: 'float32', data: new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => Math.random() - 0.5) });
async function time(label: string, f: () => unknown) { for (let i = 0; i < 8; i++) await f(); const ts: number[] = []; for (let i = 0; i < 9; i++) { const t0 = performance.now(); await f(); ts.push(performance.now() - t0); } ts.sort((a, b) => a - b); console.log(label.padEnd(34), ts.map(t => t.toFixed(0)).join(' ')); }
(async () => {
  const pool = new ConvPool(path.join(__dirname, '../../../dist/convPoolWorker.js'), 2);
  const x = rnd([8, 64, 56, 56]), w = rnd([64, 64, 3, 3]), b = rnd([64]);
  const x4 = rnd([4, 64, 56, 56]);
  await time(' fwd 1 thread B=8', () => conv2d(x, w, b, { padding: 1 }));
  await time(' fwd 1 thread B=4', () => conv2d(x4, w, b, { padding: 1 }));
  await time(' fwd pool B=8', () => pool.conv2d(x, w, b, { padding: 1 }));
  await pool.dispose();
})();
