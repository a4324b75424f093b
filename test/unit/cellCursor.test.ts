// The heatmap's keyboard cell cursor: keys to moves, clamping at the edges,
// jumps, and the gaps between channel tiles skipped.

import * as assert from 'assert';
import * as fc from 'fast-check';
import { displayMatrix } from '../../webview/render/displayMatrix';
import { CursorGrid, CursorMove, GridCell, SHIFT_STEP, firstCell, moveCursor, moveForKey, pageRows } from '../../webview/render/cellCursor';

/** A plain grid, every position a cell. */
const full = (rows: number, cols: number): CursorGrid => ({ rows, cols, isCell: () => true });

/** A tensor's displayed matrix as the heatmap hands it to the cursor. */
function gridOf(shape: number[], mode: 'slice' | 'tiles' = 'slice'): CursorGrid {
  const m = displayMatrix(shape, { n: 0, c: 0, mode });
  return { rows: m.rows, cols: m.cols, isCell: (r, c) => m.indexAt(r, c) !== undefined };
}

const plain = { jump: false, shift: false };
const press = (grid: CursorGrid, from: GridCell, key: string, mods = plain, page = 5) => moveCursor(grid, from, moveForKey(key, mods, page)!);

describe('cell cursor', () => {
  it('arrows move one cell, Shift+arrows ten, and neither leaves the grid', () => {
    const g = full(4, 6);
    assert.deepStrictEqual(press(g, { row: 1, col: 1 }, 'ArrowRight'), { row: 1, col: 2 });
    assert.deepStrictEqual(press(g, { row: 1, col: 1 }, 'ArrowDown'), { row: 2, col: 1 });
    assert.deepStrictEqual(press(g, { row: 0, col: 0 }, 'ArrowUp'), { row: 0, col: 0 });
    assert.deepStrictEqual(press(g, { row: 0, col: 0 }, 'ArrowLeft'), { row: 0, col: 0 });
    assert.deepStrictEqual(press(g, { row: 3, col: 5 }, 'ArrowDown'), { row: 3, col: 5 });
    assert.deepStrictEqual(press(g, { row: 1, col: 1 }, 'ArrowRight', { jump: false, shift: true }), { row: 1, col: 5 });
    assert.strictEqual(SHIFT_STEP, 10);
  });

  it('Ctrl+arrows go to the edge, Home/End to the ends of the row, Ctrl+Home/End to the corners', () => {
    const g = full(4, 6);
    const jump = { jump: true, shift: false };
    assert.deepStrictEqual(press(g, { row: 2, col: 3 }, 'ArrowRight', jump), { row: 2, col: 5 });
    assert.deepStrictEqual(press(g, { row: 2, col: 3 }, 'ArrowUp', jump), { row: 0, col: 3 });
    assert.deepStrictEqual(press(g, { row: 2, col: 3 }, 'Home'), { row: 2, col: 0 });
    assert.deepStrictEqual(press(g, { row: 2, col: 3 }, 'End'), { row: 2, col: 5 });
    assert.deepStrictEqual(press(g, { row: 2, col: 3 }, 'Home', jump), { row: 0, col: 0 });
    assert.deepStrictEqual(press(g, { row: 2, col: 3 }, 'End', jump), { row: 3, col: 5 });
  });

  it('PageUp/PageDown move a screen of rows, clamped', () => {
    const g = full(30, 3);
    assert.deepStrictEqual(press(g, { row: 2, col: 1 }, 'PageDown', plain, 8), { row: 10, col: 1 });
    assert.deepStrictEqual(press(g, { row: 2, col: 1 }, 'PageUp', plain, 8), { row: 0, col: 1 });
    assert.deepStrictEqual(press(g, { row: 25, col: 1 }, 'PageDown', plain, 8), { row: 29, col: 1 });
    assert.strictEqual(pageRows(200, 20), 9);
    assert.strictEqual(pageRows(10, 40), 1);
  });

  it('other keys are not cursor keys', () => {
    for (const key of ['Enter', ' ', 'Escape', 'n', '+', 'Tab']) assert.strictEqual(moveForKey(key, plain, 5), undefined, key);
  });

  it('a cursor left outside a grid that shrank (another slice, tiles off) comes back in', () => {
    assert.deepStrictEqual(press(full(3, 3), { row: 40, col: 9 }, 'ArrowLeft'), { row: 2, col: 1 });
  });

  it('walks a 3-D tensor as its stacked rows: the next batch item is the next row', () => {
    // a_t (2, 9, 12): rows are (batch, position), 18 of them.
    const g = gridOf([2, 9, 12]);
    assert.deepStrictEqual(press(g, { row: 8, col: 4 }, 'ArrowDown'), { row: 9, col: 4 });
    assert.deepStrictEqual(press(g, { row: 0, col: 0 }, 'End', { jump: true, shift: false }), { row: 17, col: 11 });
  });

  it('steps over the gap between channel tiles, and never ends on a gap or an empty tile', () => {
    // 3 channels of 2×2, tiled 2 across: columns 0-1 | gap 2 | 3-4; rows 0-1 | gap 2 | 3-4 (the last tile empty).
    const g = gridOf([1, 3, 2, 2], 'tiles');
    assert.strictEqual(g.isCell(0, 2), false);
    assert.deepStrictEqual(press(g, { row: 0, col: 1 }, 'ArrowRight'), { row: 0, col: 3 });
    assert.deepStrictEqual(press(g, { row: 0, col: 3 }, 'ArrowLeft'), { row: 0, col: 1 });
    assert.deepStrictEqual(press(g, { row: 1, col: 0 }, 'ArrowDown'), { row: 3, col: 0 });
    // Below the second tile there is no third: the cursor stays where it was.
    assert.deepStrictEqual(press(g, { row: 1, col: 4 }, 'ArrowDown'), { row: 1, col: 4 });
    // The bottom-right corner is in the empty tile: the cursor lands on the last real cell toward it.
    const corner = press(g, { row: 0, col: 0 }, 'End', { jump: true, shift: false });
    assert.ok(g.isCell(corner.row, corner.col), `landed on ${JSON.stringify(corner)}`);
  });

  it('whatever the keys, the cursor stays on a real cell (property)', () => {
    const keys = ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'PageUp', 'PageDown', 'Home', 'End'];
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.boolean(),
      fc.array(fc.record({ key: fc.constantFrom(...keys), jump: fc.boolean(), shift: fc.boolean() }), { maxLength: 30 }),
      (n, c, h, w, tiles, presses) => {
        const g = gridOf([n, c, h, w], tiles ? 'tiles' : 'slice');
        let at = firstCell(g);
        for (const p of presses) {
          const move: CursorMove = moveForKey(p.key, p, 3)!;
          at = moveCursor(g, at, move);
          assert.ok(at.row >= 0 && at.row < g.rows && at.col >= 0 && at.col < g.cols && g.isCell(at.row, at.col), `${p.key} → ${JSON.stringify(at)}`);
        }
      }));
  });
});
