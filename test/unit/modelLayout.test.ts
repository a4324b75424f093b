// The model editor's layered layout (webview/modelEditor/layout.ts): edges run down, no two boxes overlap,
// and a skip (a residual block's, a U-Net's concat) is routed beside the chain, not through its boxes.

import * as assert from 'assert';
import * as fc from 'fast-check';
import { Layout, LayoutEdge, LayoutNode, layout } from '../../webview/modelEditor/layout';

const BOX: LayoutNode = { width: 168, height: 42 };

function overlaps(l: Layout, sizes: readonly LayoutNode[]): string[] {
  const found: string[] = [];
  l.nodes.forEach((a, i) => l.nodes.forEach((b, j) => {
    if (j <= i) return;
    const apart = Math.abs(a.x - b.x) >= (sizes[i].width + sizes[j].width) / 2 || Math.abs(a.y - b.y) >= (sizes[i].height + sizes[j].height) / 2;
    if (!apart) found.push(`${i} and ${j}`);
  }));
  return found;
}

describe('model editor: the layered layout', () => {
  it('a residual block: the chain in one column, the skip routed beside it, every edge going down', () => {
    // input → conv → bn → relu → conv → bn → add ← input; add → relu
    const edges: LayoutEdge[] = [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [0, 6], [6, 7]].map(([from, to]) => ({ from, to }));
    const sizes = Array.from({ length: 8 }, () => BOX);
    const l = layout(sizes, edges);
    assert.deepStrictEqual(overlaps(l, sizes), []);
    for (const [k, e] of edges.entries()) assert.ok(l.nodes[e.to].y > l.nodes[e.from].y, `edge ${k} goes down`);
    const skip = l.edges[6];
    assert.ok(skip.length > 2, 'the skip has route points on the layers it passes');
    for (const p of skip.slice(1, -1)) {
      for (let n = 1; n <= 5; n++) {
        const box = l.nodes[n];
        const inside = Math.abs(p.x - box.x) < BOX.width / 2 && Math.abs(p.y - box.y) < BOX.height / 2;
        assert.ok(!inside, `the skip passes through node ${n}`);
      }
    }
  });

  it('any DAG: no two boxes overlap, every edge goes down, the drawing holds every box', () => {
    const dag = fc.integer({ min: 1, max: 30 }).chain(n => fc.tuple(
      fc.constant(n),
      fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 2 * n }),
      fc.array(fc.record({ width: fc.integer({ min: 20, max: 200 }), height: fc.integer({ min: 20, max: 60 }) }), { minLength: n, maxLength: n }),
    ));
    fc.assert(fc.property(dag, ([, pairs, sizes]) => {
      const edges = pairs.filter(([a, b]) => a !== b).map(([a, b]) => ({ from: Math.min(a, b), to: Math.max(a, b) }));
      const l = layout(sizes, edges);
      assert.deepStrictEqual(overlaps(l, sizes), []);
      for (const e of edges) assert.ok(l.nodes[e.to].layer > l.nodes[e.from].layer);
      l.nodes.forEach((p, i) => assert.ok(p.x - sizes[i].width / 2 >= 0 && p.x + sizes[i].width / 2 <= l.width + 1e-9 && p.y + sizes[i].height / 2 <= l.height + 1e-9));
    }), { numRuns: 100 });
  });
});
