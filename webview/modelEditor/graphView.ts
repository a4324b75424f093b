// The model's graph as SVG: the graph's inputs, every node and its outputs as boxes laid out top-down
// (layout.ts), edges as curves through their route points, each box coloured by its op's family and
// focusable (Tab, Enter). Nothing here decodes a weight: the boxes show the op and its output's shape.

import type { ModelNode, ModelView } from '../../src/protocol/modelEditor';
import { text } from '../l10n';
import { Layout, LayoutEdge, LayoutNode, layout } from './layout';

const SVG = 'http://www.w3.org/2000/svg';
const BOX = { width: 168, height: 36 };
const END = { width: 220, height: 26 };

/** Each op's family, for its colour (an op not listed is "other"). */
const FAMILIES: Record<string, string> = {
  Conv: 'conv', ConvTranspose: 'conv',
  Gemm: 'linear', MatMul: 'linear',
  BatchNormalization: 'norm',
  Relu: 'activation', LeakyRelu: 'activation', Sigmoid: 'activation', Tanh: 'activation', Clip: 'activation', HardSwish: 'activation', Softmax: 'activation',
  MaxPool: 'pool', AveragePool: 'pool', GlobalAveragePool: 'pool', ReduceMean: 'pool',
  Add: 'merge', Mul: 'merge', Concat: 'merge',
  Flatten: 'shape', Reshape: 'shape', Shape: 'shape', Gather: 'shape', Unsqueeze: 'shape', Constant: 'shape', Identity: 'shape', Dropout: 'shape', Pad: 'shape', Resize: 'shape',
};
export const familyOf = (op: string) => (Object.hasOwn(FAMILIES, op) ? FAMILIES[op] : 'other');

export const shapeText = (shape: readonly (number | string)[] | undefined) => (shape ? `(${shape.join(', ')})` : text().modelShapeUnknown);

/** What the graph draws: the graph's inputs, the nodes, the graph's outputs; and the edges between them by tensor name. */
interface Drawn { kind: 'input' | 'node' | 'output'; index: number; label: string; detail: string }

function drawnItems(model: ModelView): { items: Drawn[]; edges: LayoutEdge[] } {
  const t = text();
  const items: Drawn[] = [
    ...model.inputs.map((v, index): Drawn => ({ kind: 'input', index, label: `${t.modelInput} ${v.name}`, detail: shapeText(v.shape) })),
    ...model.nodes.map((n, index): Drawn => ({ kind: 'node', index, label: n.op, detail: n.problem ? '⚠ ' + n.op : shapeText(n.outputs[0]?.shape) })),
    // With several outputs each is numbered; the first says the loss reads it (the others are dashed, their title says why).
    ...model.outputs.map((v, index): Drawn => ({
      kind: 'output', index, detail: shapeText(v.shape),
      label: `${t.modelOutput} ${model.outputs.length > 1 ? `${index + 1} ` : ''}${v.name}${model.outputs.length > 1 && index === 0 ? ` · ${t.modelOutputLoss}` : ''}`,
    })),
  ];
  const maker = new Map<string, number>();
  model.inputs.forEach((v, k) => maker.set(v.name, k));
  model.nodes.forEach((n, k) => n.outputs.forEach(o => maker.set(o.name, model.inputs.length + k)));
  const edges: LayoutEdge[] = [];
  model.nodes.forEach((n, k) => {
    for (const x of new Set(n.inputs.map(i => i.name))) {
      const from = maker.get(x);
      if (from !== undefined) edges.push({ from, to: model.inputs.length + k });
    }
  });
  model.outputs.forEach((v, k) => {
    const from = maker.get(v.name);
    if (from !== undefined) edges.push({ from, to: model.inputs.length + model.nodes.length + k });
  });
  return { items, edges };
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, String(v));
  parent?.append(e);
  return e;
}

/** A smooth path through the points: vertical tangents at each, as layered graphs draw their edges. */
function curve(points: readonly { x: number; y: number }[]): string {
  let d = `M${points[0].x},${points[0].y}`;
  for (let k = 1; k < points.length; k++) {
    const a = points[k - 1];
    const b = points[k];
    const dy = (b.y - a.y) / 2;
    d += ` C${a.x},${a.y + dy} ${b.x},${b.y - dy} ${b.x},${b.y}`;
  }
  return d;
}

/** Cuts a label to what fits a box (about 7 px a character at the editor's font size). */
function fit(label: string, width: number): string {
  const most = Math.floor((width - 16) / 7);
  return label.length > most ? `${label.slice(0, most - 1)}…` : label;
}

export interface GraphView {
  element: SVGSVGElement;
  /** The node boxes drawn. */
  nodeCount: number;
  select(node: number): void;
  focus(node: number): void;
}

/** Draws the graph; `open` is called with a node's index when it is clicked or Enter is pressed on it. */
export function drawGraph(model: ModelView, open: (node: number) => void): GraphView {
  const { items, edges } = drawnItems(model);
  // Which graph output (1-based) each node's first output is.
  const outputOf = new Map(model.outputs.map((v, k) => [v.name, k + 1]));
  const sizes: LayoutNode[] = items.map(i => (i.kind === 'node' ? BOX : END));
  const placed: Layout = layout(sizes, edges);
  const root = svg('svg', { width: placed.width, height: placed.height, viewBox: `0 0 ${placed.width} ${placed.height}`, class: 'graph', role: 'group', 'aria-label': text().modelGraphLabel });
  const defs = svg('defs', {}, root);
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 8 8', refX: 8, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, defs);
  svg('path', { d: 'M0,0 L8,4 L0,8 z', class: 'arrowhead' }, marker);
  const edgeLayer = svg('g', { class: 'edges' }, root);
  for (const route of placed.edges) svg('path', { d: curve(route), class: 'edge', 'marker-end': 'url(#arrow)' }, edgeLayer);
  const boxes = new Map<number, SVGGElement>();
  // In reading order (top to bottom, left to right), so Tab walks the graph as it is drawn.
  const reading = items.map((_, k) => k).sort((a, b) => placed.nodes[a].y - placed.nodes[b].y || placed.nodes[a].x - placed.nodes[b].x);
  const nodeLayer = svg('g', { class: 'nodes' }, root);
  for (const k of reading) {
    const item = items[k];
    const { x, y } = placed.nodes[k];
    const { width, height } = sizes[k];
    const node: ModelNode | undefined = item.kind === 'node' ? model.nodes[item.index] : undefined;
    const isOutput = node && model.outputs.length > 1 ? outputOf.get(node.outputs[0]?.name ?? '') : undefined;
    const cls = node ? `node family-${familyOf(node.op)}${node.problem ? ' problem' : ''}${isOutput ? ` graph-output${isOutput === 1 ? ' loss-output' : ''}` : ''}`
      : `end ${item.kind}${item.kind === 'output' && model.outputs.length > 1 ? (item.index === 0 ? ' loss-output' : ' shown-output') : ''}`;
    const g = svg('g', { class: cls, transform: `translate(${x - width / 2},${y - height / 2})` }, nodeLayer);
    svg('rect', { width, height, rx: node ? 4 : height / 2, class: 'box' }, g);
    if (node) {
      svg('rect', { width: 5, height, class: 'stripe' }, g);
      svg('text', { x: 12, y: 15, class: 'op' }, g).textContent = fit(item.label, isOutput ? width - 56 : width);
      svg('text', { x: 12, y: 30, class: 'shape' }, g).textContent = fit(item.detail, width);
      svg('title', {}, g).textContent = `${node.name}${node.problem ? `\n${node.problem}` : ''}`;
      g.setAttribute('tabindex', '0');
      g.setAttribute('role', 'button');
      if (isOutput) svg('text', { x: width - 6, y: 15, class: 'output-badge', 'text-anchor': 'end' }, g).textContent = text().modelNodeOutputBadge(isOutput);
      g.setAttribute('aria-label', text().modelNodeLabel(node.op, node.name, shapeText(node.outputs[0]?.shape)) + (isOutput === 1 ? text().modelNodeIsLossOutput(isOutput) : isOutput ? text().modelNodeIsOutput(isOutput) : ''));
      g.addEventListener('click', () => open(item.index));
      g.addEventListener('keydown', e => {
        if (e.key !== 'Enter' && e.key !== ' ') return;
        e.preventDefault();
        open(item.index);
      });
      boxes.set(item.index, g);
    } else {
      svg('text', { x: width / 2, y: height / 2 + 4, class: 'end-label', 'text-anchor': 'middle' }, g).textContent = fit(`${item.label} ${item.detail}`, width + 20);
      if (item.kind === 'output' && model.outputs.length > 1) svg('title', {}, g).textContent = item.index === 0 ? text().modelOutputLossTitle : text().modelOutputShownTitle(item.index + 1);
    }
  }
  return {
    element: root,
    nodeCount: boxes.size,
    select: node => {
      for (const [k, g] of boxes) g.classList.toggle('selected', k === node);
    },
    focus: node => boxes.get(node)?.focus(),
  };
}
