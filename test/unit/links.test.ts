// The linking maps, checked against the engine run on "index tensors": when
// every pixel holds its own id, im2col's output says exactly which pixel each
// a_t entry copies, independently of links.ts's arithmetic.

import * as assert from 'assert';
import * as fc from 'fast-check';
import { inputGradRot180 } from '../../src/engine/conv2d';
import { ConvInfo, convInfo, outputShape, paddedShape } from '../../src/engine/convInfo';
import { im2col } from '../../src/engine/im2col';
import { col2imContributors, linksOf, receptiveField, rot180Taps } from '../../src/engine/links';
import { Tensor, offsetOf, sizeOf, tensor } from '../../src/engine/tensor';
import { Geometry, describeGeometry, geometryArb } from './helpers';

/** A tensor whose every entry is its flat offset + 1 (0 stays free for "zero inserted"). */
function ids(shape: number[]): Tensor {
  return tensor(shape, Array.from({ length: sizeOf(shape) }, (_, n) => n + 1));
}

function infoOf(g: Geometry): ConvInfo {
  return convInfo([g.batch, g.inChannels, g.height, g.width], [g.outChannels, g.inChannels / g.groups, g.kernelHeight, g.kernelWidth], g.options);
}

describe('linking maps', () => {
  it('receptive field of (i, j) = the pixels a_t row i·Wout+j copies', () => {
    fc.assert(fc.property(geometryArb, g => {
      const info = infoOf(g);
      const a = ids(paddedShape(info));
      const at = im2col(a, info);
      for (let i = 0; i < info.outHeight; i++) for (let j = 0; j < info.outWidth; j++) {
        const r = i * info.outWidth + j;
        for (const t of receptiveField(info, i, j)) {
          const copied = at.data[(0 * info.outPositions + r) * info.patchSize + t.k];
          assert.strictEqual(copied, offsetOf(a.shape, [0, t.c, t.y, t.x]) + 1, describeGeometry(g));
        }
      }
    }), { numRuns: 80 });
  });

  it('col2im contributors of a pixel = exactly the a_t entries that copy it', () => {
    fc.assert(fc.property(geometryArb, g => {
      const info = infoOf(g);
      const a = ids(paddedShape(info));
      const at = im2col(a, info);
      // Expected: invert im2col by scanning a_t (batch 0).
      const expected = new Map<number, string[]>();
      for (let r = 0; r < info.outPositions; r++) for (let k = 0; k < info.patchSize; k++) {
        const id = at.data[r * info.patchSize + k];
        expected.set(id, [...(expected.get(id) ?? []), `${r},${k}`]);
      }
      for (let c = 0; c < info.inChannels; c++) for (let y = 0; y < info.paddedHeight; y++) for (let x = 0; x < info.paddedWidth; x++) {
        const got = col2imContributors(info, c, y, x).map(t => `${t.r},${t.k}`).sort();
        const want = (expected.get(offsetOf(a.shape, [0, c, y, x]) + 1) ?? []).sort();
        assert.deepStrictEqual(got, want, `pixel (${c}, ${y}, ${x}) ${describeGeometry(g)}`);
      }
    }), { numRuns: 60 });
  });

  it('rot180 taps name the δ entries and rotated weights the full convolution multiplies', () => {
    fc.assert(fc.property(geometryArb, g => {
      const info = infoOf(g);
      const delta = ids(outputShape(info));
      const weight = ids([info.outChannels, info.inChannelsPerGroup, info.kernelHeight, info.kernelWidth]);
      const { delta_full, w_rot180 } = inputGradRot180(delta, weight, info);
      for (let c = 0; c < info.inChannels; c++) for (let y = 0; y < info.paddedHeight; y++) for (let x = 0; x < info.paddedWidth; x++) {
        const taps = rot180Taps(info, c, y, x);
        const gi = Math.floor(c / info.inChannelsPerGroup);
        for (const t of taps) {
          const stored = delta_full.data[offsetOf(delta_full.shape, [0, t.o, t.fy, t.fx])];
          const want = t.delta ? offsetOf(delta.shape, [0, t.o, t.delta.i, t.delta.j]) + 1 : 0;
          assert.strictEqual(stored, want, `delta_full at (${t.o}, ${t.fy}, ${t.fx}) ${describeGeometry(g)}`);
          const w = w_rot180.data[offsetOf(w_rot180.shape, [c, t.o - gi * info.outChannelsPerGroup, t.m, t.n])];
          const cl = c - gi * info.inChannelsPerGroup;
          assert.strictEqual(w, offsetOf(weight.shape, [t.o, cl, info.kernelHeight - 1 - t.m, info.kernelWidth - 1 - t.n]) + 1);
        }
        // Taps with a real δ are the col2im contributors seen from the other side.
        const real = taps.filter(t => t.delta).map(t => `${t.delta!.i},${t.delta!.j},${info.kernelHeight - 1 - t.m},${info.kernelWidth - 1 - t.n}`);
        const contributors = col2imContributors(info, c, y, x).map(t => `${t.i},${t.j},${t.ki},${t.kj}`);
        assert.deepStrictEqual([...new Set(real)].sort(), contributors.sort());
      }
    }), { numRuns: 60 });
  });

  it('worked example: z[0,0,1,2] links row 5 of a_t, column 0 of w_t, and its 2x2x3 patch', () => {
    const info = convInfo([1, 3, 4, 4], [2, 3, 2, 2]);
    const h = linksOf(info, { tensor: 'z', index: [0, 0, 1, 2] });
    assert.deepStrictEqual(h.a_t!.rows, [5]);
    assert.deepStrictEqual(h.w_t!.columns, [0]);
    assert.deepStrictEqual(h.z_t!.cells, [[0, 5, 0]]);
    const patch = h.input!.cells.map(c => c.join(',')).sort();
    assert.deepStrictEqual(patch, ['0,0,1,2', '0,0,1,3', '0,0,2,2', '0,0,2,3', '0,1,1,2', '0,1,1,3', '0,1,2,2', '0,1,2,3', '0,2,1,2', '0,2,1,3', '0,2,2,2', '0,2,2,3']);
  });

  it('worked example: dA[0,0,1,1] links its 4 col2im contributors and the rot180 window', () => {
    const info = convInfo([1, 3, 4, 4], [2, 3, 2, 2]);
    const h = linksOf(info, { tensor: 'dA', index: [0, 0, 1, 1] });
    // Pixel (1,1) is copied by rows 0, 1, 3, 4 at taps (1,1), (1,0), (0,1), (0,0).
    assert.deepStrictEqual(h.dA_t!.cells.map(c => c.join(',')).sort(), ['0,0,3', '0,1,2', '0,3,1', '0,4,0']);
    assert.deepStrictEqual(h.col2im_counts!.cells, [[1, 1]]);
    assert.strictEqual(h.delta!.cells.length, 8, '4 δ entries in each of 2 output channels');
    assert.strictEqual(h.w_rot180!.cells.length, 8);
  });

  it('a grouped output links only its group\'s columns and input channels', () => {
    const info = convInfo([1, 4, 3, 3], [4, 2, 2, 2], { groups: 2 });
    const h = linksOf(info, { tensor: 'z', index: [0, 3, 0, 0] });
    assert.ok(h.a!.cells.every(([, c]) => c >= 2), 'channels 2 and 3 only');
    assert.ok(h.a_t!.cells.every(([, , k]) => k >= 8 && k < 16), 'group 1 owns a_t columns 8..15');
  });
});
