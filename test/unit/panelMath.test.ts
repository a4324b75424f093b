// The panel's pure parts: colormaps and scales, laying tensors out as grids,
// zoom/pan and hit-testing, and the sums behind a cell.

import * as assert from 'assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { cellSum } from '../../src/engine/cellTerms';
import { traceSpecText } from '../../src/specReader/convSpec';
import { COLORMAPS, ColormapName, colourIndex, colormapFor, luminance, packedTable, rgbTable, scaleFor } from '../../webview/render/colormaps';
import { displayMatrix } from '../../webview/render/displayMatrix';
import { Viewport, cellAt, cellRect, clampView, fitView, visibleRange, zoomAt } from '../../webview/render/viewport';
import { offsetOf, sizeOf } from '../../src/engine/tensor';
import { TensorName } from '../../src/engine/trace';
import { describeGeometry, geometryArb, randomTensor, rng } from './helpers';
import { tensor } from '../../src/engine/tensor';
import { traceConv } from '../../src/engine/trace';

describe('colormaps', () => {
  it('every table runs from its first stop to its last', () => {
    for (const name of Object.keys(COLORMAPS) as ColormapName[]) {
      const t = rgbTable(name);
      const stops = COLORMAPS[name].stops;
      const hex = (i: number) => '#' + [t[i * 3], t[i * 3 + 1], t[i * 3 + 2]].map(v => v.toString(16).padStart(2, '0')).join('');
      assert.strictEqual(hex(0), stops[0], name);
      assert.strictEqual(hex(255), stops[stops.length - 1], name);
    }
  });
  it('sequential maps get brighter from low to high (viridis, cividis, magma, gray)', () => {
    for (const name of ['viridis', 'cividis', 'magma', 'gray'] as const) {
      const t = rgbTable(name);
      assert.ok(luminance(t, 255) > luminance(t, 128) && luminance(t, 128) > luminance(t, 0), name);
    }
  });
  it('diverging maps are lightest in the middle: 0 is neutral', () => {
    for (const name of ['rdbu', 'puor', 'coolwarm'] as const) {
      const t = rgbTable(name);
      assert.ok(luminance(t, 128) > luminance(t, 0) && luminance(t, 128) > luminance(t, 255), name);
    }
  });
  it('packs colours for ImageData as 0xAABBGGRR', () => {
    const lut = packedTable('gray');
    assert.strictEqual(lut[0], 0xff000000);
    assert.strictEqual(lut[255], 0xffffffff);
  });
  it('signed data gets a symmetric diverging scale, others sequential', () => {
    assert.deepStrictEqual(scaleFor(-2, 5), { kind: 'diverging', lo: -5, hi: 5 });
    assert.deepStrictEqual(scaleFor(1, 9), { kind: 'sequential', lo: 1, hi: 9 });
    assert.strictEqual(colourIndex(0, scaleFor(-2, 5)), 128);
    assert.strictEqual(colourIndex(9, scaleFor(1, 9)), 255);
    assert.strictEqual(colourIndex(NaN, scaleFor(1, 9)), -1);
    assert.strictEqual(colourIndex(-Infinity, scaleFor(1, 9)), -1);
    assert.strictEqual(colormapFor('auto', true), 'rdbu');
    assert.strictEqual(colormapFor('colourblind', false), 'cividis');
    assert.ok(COLORMAPS[colormapFor('colourblind', true)].colourBlindSafe);
  });
});

describe('display matrix', () => {
  const shapes = fc.oneof(
    fc.tuple(fc.integer({ min: 1, max: 9 })).map(s => [...s]),
    fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 })).map(s => [...s]),
    fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 })).map(s => [...s]),
    fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })).map(s => [...s]),
  );
  it('every shown cell maps to its own tensor index and back, and the separable offset agrees', () => {
    fc.assert(fc.property(shapes, fc.constantFrom('slice' as const, 'tiles' as const), fc.nat(5), fc.nat(9), (shape, mode, n, c) => {
      const m = displayMatrix(shape, { n, c, mode });
      const seen = new Set<number>();
      for (let row = 0; row < m.rows; row++) for (let col = 0; col < m.cols; col++) {
        const index = m.indexAt(row, col);
        const off = m.offsetAt(row, col);
        if (!index) { assert.strictEqual(off, -1); continue; }
        assert.strictEqual(off, offsetOf(shape, index), `(${row}, ${col}) of ${shape}`);
        assert.deepStrictEqual(m.positionOf(index), { row, col });
        assert.strictEqual(m.rowBase(row) + m.colOffset(col), off);
        assert.ok(!seen.has(off));
        seen.add(off);
      }
      // Rank ≤ 3 and 4-D tiles show every cell (of one batch item, for 4-D).
      const expected = shape.length === 4 ? (mode === 'tiles' ? sizeOf(shape.slice(1)) : shape[2] * shape[3]) : sizeOf(shape);
      assert.strictEqual(seen.size, expected);
    }), { numRuns: 200 });
  });
  it('a_t of the worked example is a 9 × 12 matrix; 3-D batches stack', () => {
    const m = displayMatrix([2, 9, 12], { n: 0, c: 0, mode: 'slice' });
    assert.deepStrictEqual([m.rows, m.cols, m.batchRows], [18, 12, 9]);
    assert.deepStrictEqual(m.indexAt(14, 3), [1, 5, 3]);
  });
  it('tiles 6 channels of 4 × 4 in a grid with gaps', () => {
    const m = displayMatrix([1, 6, 4, 4], { n: 0, c: 0, mode: 'tiles' });
    assert.deepStrictEqual(m.tiles, { across: 3, down: 2, height: 4, width: 4, count: 6 });
    assert.strictEqual(m.indexAt(4, 0), undefined, 'gap row');
    assert.deepStrictEqual(m.indexAt(5, 6), [0, 4, 0, 1]);
  });
});

describe('viewport hit-testing', () => {
  const base: Viewport = { width: 300, height: 200, left: 40, top: 20, rows: 9, cols: 12, scale: 20, x0: 0, y0: 0 };
  it('finds the cell under a point, and none in the gutters', () => {
    assert.deepStrictEqual(cellAt(base, 40, 20), { row: 0, col: 0 });
    assert.deepStrictEqual(cellAt(base, 40 + 20 * 5 + 19, 20 + 20 * 3 + 1), { row: 3, col: 5 });
    assert.strictEqual(cellAt(base, 39, 50), undefined);
    assert.strictEqual(cellAt(base, 100, 19), undefined);
  });
  it('cellRect and cellAt are inverse at every zoom and pan', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 900 }), fc.double({ min: 0.05, max: 60, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (rows, cols, scale, fx, fy) => {
        const v = clampView({ width: 640, height: 400, left: 44, top: 18, rows, cols, scale, x0: fx * cols, y0: fy * rows });
        const { r0, r1, c0, c1 } = visibleRange(v);
        for (const [row, col] of [[r0, c0], [r1 - 1, c1 - 1], [Math.floor((r0 + r1) / 2), Math.floor((c0 + c1) / 2)]]) {
          const rect = cellRect(v, row, col);
          const cx = Math.min(v.width - 0.01, Math.max(v.left, rect.x + rect.size / 2));
          const cy = Math.min(v.height - 0.01, Math.max(v.top, rect.y + rect.size / 2));
          const hit = cellAt(v, cx, cy);
          assert.ok(hit, `cell (${row}, ${col}) visible`);
          assert.ok(Math.abs(hit.row - row) <= 1 && Math.abs(hit.col - col) <= 1);
          // A cell whose centre is on the canvas is hit exactly there.
          const centred = cx === rect.x + rect.size / 2 && cy === rect.y + rect.size / 2;
          if (centred) assert.deepStrictEqual(hit, { row, col });
        }
      }), { numRuns: 300 });
  });
  it('zooming keeps the point under the cursor fixed', () => {
    const v = fitView({ ...base, rows: 3136, cols: 576, width: 600, height: 400 });
    const [px, py] = [v.left + 30.5, v.top + 150.5];
    const before = cellAt(v, px, py);
    assert.ok(before, 'a point on the grid');
    const z = zoomAt(v, 64, px, py);
    assert.ok(z.scale > v.scale);
    assert.deepStrictEqual(cellAt(z, px, py), before);
  });
  it('fit shows the whole grid', () => {
    const v = fitView({ ...base, rows: 25088, cols: 576, width: 600, height: 400 });
    const r = visibleRange(v);
    assert.deepStrictEqual([r.r0, r.r1, r.c0, r.c1], [0, 25088, 0, 576]);
  });
});

describe('cell sums: the terms listed for a cell add up to its value', () => {
  const seed = traceSpecText('seed', fs.readFileSync(path.join(__dirname, '../../../examples/seed.conv.json'), 'utf8'));
  const get = (t: ReturnType<typeof traceSpecText>) => (name: TensorName) => t.tensors[name]?.data;

  it('z[0,0,1,2] = 294: twelve products a_t[0,5,k]·w_t[k,0] plus b[0]', () => {
    const s = cellSum(seed.info, get(seed), { tensor: 'z', index: [0, 0, 1, 2] })!;
    assert.strictEqual(s.terms.length, 12);
    assert.strictEqual(s.total, 294);
    assert.strictEqual(s.constant?.value, 1);
    assert.strictEqual(s.terms[0].label, 'a_t[0, 5, 0] · w_t[0, 0]');
  });

  it('over random geometries, for z, dA (both views), dA_t, dW and db', () => {
    fc.assert(fc.property(geometryArb, g => {
      const random = rng(g.seed);
      const input = randomTensor([g.batch, g.inChannels, g.height, g.width], random, 'float64', true);
      const weight = randomTensor([g.outChannels, g.inChannels / g.groups, g.kernelHeight, g.kernelWidth], random, 'float64', true);
      const bias = tensor([g.outChannels], Array.from({ length: g.outChannels }, (_, i) => i - 1));
      const trace = traceConv({ input, weight, bias, options: g.options, dtype: 'float64' });
      const lookup = get(trace as ReturnType<typeof traceSpecText>);
      for (const name of ['z', 'z_t', 'dA', 'dA_padded', 'dA_t', 'dW', 'dW_t', 'db'] as TensorName[]) {
        const t = trace.tensors[name]!;
        for (let off = 0; off < t.data.length; off += Math.max(1, Math.floor(t.data.length / 7))) {
          const index = Array.from(t.shape.keys()).map(() => 0);
          let rest = off;
          for (let d = t.shape.length - 1; d >= 0; d--) { index[d] = rest % t.shape[d]; rest = Math.floor(rest / t.shape[d]); }
          const s = cellSum(trace.info, lookup, { tensor: name, index });
          if (!s) { assert.ok(name === 'dA', 'only padding cells of dA have no sum'); continue; }
          assert.ok(Math.abs(s.total - t.data[off]) <= 1e-9 * Math.max(1, Math.abs(t.data[off])), `${name}[${index}] ${describeGeometry(g)}`);
          if (s.alternative) assert.ok(Math.abs(s.alternative.total - t.data[off]) <= 1e-9 * Math.max(1, Math.abs(t.data[off])), `rot180 ${name}[${index}]`);
        }
      }
    }), { numRuns: 60 });
  });
});
