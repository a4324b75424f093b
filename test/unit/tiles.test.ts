// Tiles and levels of detail: level 0 is the exact data; a level-L cell is the
// value of largest magnitude in its 2^L × 2^L block (NaN wins), so outliers show.

import * as assert from 'assert';
import * as fc from 'fast-check';
import { TILE, extractTile, levelDims, levelFor, matrixOf, tileGrid, tileSize } from '../../src/protocol/tiles';

function reassemble(data: Float64Array, rows: number, cols: number, level: number): number[] {
  const m = { rows, cols };
  const d = levelDims(m, level);
  const out = new Array<number>(d.rows * d.cols).fill(-12345);
  const g = tileGrid(m, level);
  for (let tr = 0; tr < g.down; tr++) for (let tc = 0; tc < g.across; tc++) {
    const t = extractTile(data, m, level, tr, tc);
    const s = tileSize(m, level, tr, tc);
    assert.strictEqual(t.length, s.rows * s.cols);
    for (let r = 0; r < s.rows; r++) for (let c = 0; c < s.cols; c++) out[(tr * TILE + r) * d.cols + tc * TILE + c] = t[r * s.cols + c];
  }
  return out;
}

describe('tiles and levels of detail', () => {
  it('level 0 tiles reassemble the exact matrix, dtype kept', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 150 }), (rows, cols) => {
      const data = Float64Array.from({ length: rows * cols }, (_, i) => i * 0.5 - 7);
      assert.deepStrictEqual(reassemble(data, rows, cols, 0), [...data]);
      assert.ok(extractTile(data, { rows, cols }, 0, 0, 0) instanceof Float64Array);
      assert.ok(extractTile(new Float32Array(rows * cols), { rows, cols }, 0, 0, 0) instanceof Float32Array);
    }), { numRuns: 40 });
  });

  it('a level-L cell is the signed value of largest magnitude in its block', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 1e6 }), (rows, cols, level, seed) => {
      let s = seed;
      const data = Float64Array.from({ length: rows * cols }, () => { s = (s * 16807) % 2147483647; return Math.round((s / 2147483647 - 0.5) * 2000) / 8; });
      const got = reassemble(data, rows, cols, level);
      const f = 2 ** level;
      const d = levelDims({ rows, cols }, level);
      for (let r = 0; r < d.rows; r++) for (let c = 0; c < d.cols; c++) {
        let best = 0;
        let bestAbs = -1;
        for (let y = r * f; y < Math.min(rows, (r + 1) * f); y++) for (let x = c * f; x < Math.min(cols, (c + 1) * f); x++) {
          if (Math.abs(data[y * cols + x]) > bestAbs) { best = data[y * cols + x]; bestAbs = Math.abs(best); }
        }
        assert.strictEqual(got[r * d.cols + c], Math.fround(best), `level ${level} cell (${r}, ${c}) of ${rows}×${cols}`);
      }
    }), { numRuns: 40 });
  });

  it('NaN and infinities survive any level', () => {
    const data = new Float64Array(256 * 256);
    data[200 * 256 + 3] = NaN;
    data[5 * 256 + 250] = -Infinity;
    const m = { rows: 256, cols: 256 };
    const top = extractTile(data, m, 3, 0, 0);
    assert.ok(Number.isNaN(top[25 * 32 + 0]));
    assert.strictEqual(top[0 * 32 + 31], -Infinity);
  });

  it('tensors are matrices of their last axis; levelFor picks the zoom level', () => {
    assert.deepStrictEqual(matrixOf([8, 3136, 576]), { rows: 25088, cols: 576 });
    assert.deepStrictEqual(matrixOf([2, 3, 4, 5]), { rows: 24, cols: 5 });
    assert.deepStrictEqual(matrixOf([7]), { rows: 1, cols: 7 });
    assert.deepStrictEqual([levelFor(0.5), levelFor(1), levelFor(2), levelFor(3.9), levelFor(70)], [0, 0, 1, 1, 6]);
    assert.throws(() => extractTile(new Float64Array(10), { rows: 2, cols: 5 }, 0, 1, 0), /outside level 0/);
  });
});
