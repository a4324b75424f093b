// A layered (Sugiyama-style) layout of a DAG, top-down, as netron and dagre draw graphs: each node on the
// layer of its longest path from a source, an edge that spans several layers routed through a point on each
// (so a residual block's skip or a U-Net's concat runs beside the chain as an arc, not through it), the order
// in each layer from its neighbours' mean positions (a few sweeps down and up), and each node's x as close to
// its neighbours' mean as the order allows (isotonic regression, pool-adjacent-violators). Pure: no DOM.

export interface LayoutNode { width: number; height: number }
export interface LayoutEdge { from: number; to: number }

export interface Layout {
  /** Each node's centre. */
  nodes: { x: number; y: number; layer: number }[];
  /** Each edge's points, from the bottom of its source to the top of its target. */
  edges: { x: number; y: number }[][];
  width: number;
  height: number;
}

export interface LayoutOptions { layerGap: number; nodeGap: number; margin: number; routeWidth: number }

const DEFAULTS: LayoutOptions = { layerGap: 22, nodeGap: 24, margin: 16, routeWidth: 10 };
const SWEEPS = 6;

/** Each node's layer: its longest path from a source (a node in a cycle goes below what it waits on). */
function layersOf(count: number, edges: readonly LayoutEdge[]): number[] {
  const into = Array.from({ length: count }, () => 0);
  const out: number[][] = Array.from({ length: count }, () => []);
  for (const e of edges) { into[e.to]++; out[e.from].push(e.to); }
  const layer = new Array<number>(count).fill(0);
  const done = new Array<boolean>(count).fill(false);
  const ready = into.flatMap((n, i) => (n === 0 ? [i] : []));
  for (let left = count; left > 0;) {
    if (!ready.length) {
      // A cycle: take the first node not placed, as if its waits were met.
      const i = done.indexOf(false);
      into[i] = 0;
      ready.push(i);
    }
    const i = ready.shift()!;
    if (done[i]) continue;
    done[i] = true;
    left--;
    for (const j of out[i]) {
      if (done[j]) continue;
      layer[j] = Math.max(layer[j], layer[i] + 1);
      if (--into[j] === 0) ready.push(j);
    }
  }
  return layer;
}

/** Points of the layered graph: the nodes, then one per layer an edge passes (each edge's chain of them). */
interface Point { width: number; layer: number; up: number[]; down: number[]; x: number; order: number }

function points(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[], layer: readonly number[], routeWidth: number): { points: Point[]; chains: number[][] } {
  const pts: Point[] = nodes.map((n, i) => ({ width: n.width, layer: layer[i], up: [], down: [], x: 0, order: 0 }));
  const chains = edges.map(e => {
    const [a, b] = layer[e.from] <= layer[e.to] ? [e.from, e.to] : [e.to, e.from];
    const chain = [a];
    for (let l = layer[a] + 1; l < layer[b]; l++) {
      pts.push({ width: routeWidth, layer: l, up: [], down: [], x: 0, order: 0 });
      chain.push(pts.length - 1);
    }
    chain.push(b);
    for (let k = 1; k < chain.length; k++) { pts[chain[k - 1]].down.push(chain[k]); pts[chain[k]].up.push(chain[k - 1]); }
    return e.from === a ? chain : chain.reverse();
  });
  return { points: pts, chains };
}

const mean = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length;

/** Orders each layer by its neighbours' mean order on the layer swept from. */
function order(rows: number[][], pts: Point[]): void {
  rows.forEach(row => row.forEach((p, k) => { pts[p].order = k; }));
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    const down = sweep % 2 === 0;
    const sequence = down ? rows.slice(1) : rows.slice(0, -1).reverse();
    for (const row of sequence) {
      const key = (p: number) => {
        const near = down ? pts[p].up : pts[p].down;
        return near.length ? mean(near.map(q => pts[q].order)) : pts[p].order;
      };
      const keys = new Map(row.map(p => [p, key(p)]));
      row.sort((a, b) => keys.get(a)! - keys.get(b)! || pts[a].order - pts[b].order);
      row.forEach((p, k) => { pts[p].order = k; });
    }
  }
}

/**
 * The x of each point in a row, in its order, as near `wanted` as the gaps allow (least squares): with each
 * x shifted by the room the points before it need, the order is a monotone constraint, which pooling solves.
 */
function placeRow(row: readonly number[], pts: Point[], wanted: readonly number[], gap: number): void {
  const offsets: number[] = [];
  let room = 0;
  row.forEach((p, k) => {
    if (k > 0) room += (pts[row[k - 1]].width + pts[p].width) / 2 + gap;
    offsets.push(room);
  });
  const blocks: { sum: number; count: number }[] = [];
  wanted.forEach((w, k) => {
    blocks.push({ sum: w - offsets[k], count: 1 });
    while (blocks.length > 1 && blocks[blocks.length - 2].sum / blocks[blocks.length - 2].count > blocks[blocks.length - 1].sum / blocks[blocks.length - 1].count) {
      const last = blocks.pop()!;
      blocks[blocks.length - 1].sum += last.sum;
      blocks[blocks.length - 1].count += last.count;
    }
  });
  let k = 0;
  for (const b of blocks) for (let n = 0; n < b.count; n++, k++) pts[row[k]].x = b.sum / b.count + offsets[k];
}

function place(rows: number[][], pts: Point[], gap: number): void {
  for (const row of rows) placeRow(row, pts, row.map(() => 0), gap);
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    const down = sweep % 2 === 0;
    for (const row of down ? rows : [...rows].reverse()) {
      const wanted = row.map(p => {
        const near = [...pts[p].up, ...pts[p].down];
        return near.length ? mean(near.map(q => pts[q].x)) : pts[p].x;
      });
      placeRow(row, pts, wanted, gap);
    }
  }
}

export function layout(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[], options: Partial<LayoutOptions> = {}): Layout {
  const o = { ...DEFAULTS, ...options };
  const layer = layersOf(nodes.length, edges);
  const { points: pts, chains } = points(nodes, edges, layer, o.routeWidth);
  const layers = Math.max(0, ...layer) + 1;
  const rows: number[][] = Array.from({ length: layers }, () => []);
  pts.forEach((p, i) => rows[p.layer].push(i));
  order(rows, pts);
  place(rows, pts, o.nodeGap);
  const heights = rows.map(row => Math.max(0, ...row.filter(p => p < nodes.length).map(p => nodes[p].height)));
  const tops: number[] = [];
  heights.reduce((y, h, l) => { tops[l] = y; return y + h + o.layerGap; }, o.margin);
  const left = Math.min(...pts.map(p => p.x - p.width / 2));
  const shift = o.margin - left;
  const centreY = (l: number) => tops[l] + heights[l] / 2;
  const placed = nodes.map((_, i) => ({ x: pts[i].x + shift, y: centreY(layer[i]), layer: layer[i] }));
  const routes = chains.map(chain => chain.map((p, k) => {
    const x = pts[p].x + shift;
    const l = pts[p].layer;
    if (p >= nodes.length) return { x, y: centreY(l) };
    // The ends: the bottom of the source, the top of the target.
    return { x, y: k === 0 ? centreY(l) + nodes[p].height / 2 : centreY(l) - nodes[p].height / 2 };
  }));
  const width = Math.max(...pts.map(p => p.x + p.width / 2)) + shift + o.margin;
  const height = (tops[layers - 1] ?? o.margin) + (heights[layers - 1] ?? 0) + o.margin;
  return { nodes: placed, edges: routes, width: nodes.length ? width : 2 * o.margin, height };
}
