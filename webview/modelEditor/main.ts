// The model editor's page (an .onnx file): the model's totals and actions at the top, its graph below
// (graphView.ts), and a node's details beside it when one is opened: attributes, inputs and outputs with their
// shapes, FLOPs and parameters, its initializers (hover: statistics, click: a heatmap of the values). Asks the
// host only for what the user points at; everything else came with the model.

import { thousands } from '../../src/engine/problem';
import type { HostToModelEditor, InitializerStats, ModelEditorToHost, ModelNode, ModelTensor, ModelView } from '../../src/protocol/modelEditor';
import { colourIndex, colormapFor, packedTable, scaleFor } from '../render/colormaps';
import { setLocale, text } from '../l10n';
import { button, el } from '../ui/controls';
import { GraphView, drawGraph, familyOf, shapeText } from './graphView';

interface VsCodeApi { postMessage(message: unknown): void }
declare function acquireVsCodeApi(): VsCodeApi;
const api = acquireVsCodeApi();
const send = (m: ModelEditorToHost) => api.postMessage(m);

const app = document.getElementById('app')!;
let model: ModelView | undefined;
let graph: GraphView | undefined;
let details: HTMLElement | undefined;
let ranLine: HTMLElement | undefined;
/** Statistics asked for or received, by initializer name. */
const statistics = new Map<string, InitializerStats | string | 'pending'>();
/** The initializer chips waiting for their statistics. */
const waiting = new Map<string, HTMLElement[]>();

const number = (v: number) => (Number.isInteger(v) ? thousands(v) : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toPrecision(4));

function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let k = 0;
  while (n >= 1024 && k < units.length - 1) { n /= 1024; k++; }
  return `${k ? n.toFixed(1) : n} ${units[k]}`;
}

/** FLOPs as people read them: 1.2 M, 3.4 G. */
function flops(n: number): string {
  const units: [number, string][] = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  const [scale, unit] = units.find(([s]) => n >= s) ?? [1, ''];
  return `${scale === 1 ? n : (n / scale).toFixed(2)}${unit ? ` ${unit}` : ''}`;
}

function header(m: ModelView): HTMLElement {
  const t = text();
  const head = el('header', 'model-header');
  const title = el('div', 'model-title');
  title.append(el('h1', '', m.file));
  const facts = el('div', 'model-facts');
  const fact = (s: string, title?: string) => { const f = el('span', 'fact', s); if (title) f.title = title; facts.append(f); };
  fact(t.modelNodes(thousands(m.totals.nodes)));
  fact(`${thousands(m.totals.params)} ${t.modelParams}`);
  fact(`${flops(m.totals.flops)} ${t.modelFlops}`, `${thousands(m.totals.flops)} ${t.modelFlops}`);
  if (m.opset !== undefined) fact(t.modelOpset(m.opset));
  if (m.producer) fact(m.producer);
  fact(t.modelInitializerBytes(bytes(m.totals.initializerBytes)));
  if (m.outputs.length > 1) fact(t.modelOutputsFact(m.outputs.length, m.outputs[0].name), t.modelOutputLossTitle);
  if (m.plannedInput) {
    const dynamic = m.inputs[0]?.shape?.some(d => typeof d !== 'number');
    fact(t.modelPlannedOn(shapeText(m.plannedInput)) + (dynamic ? ` (${t.modelDynamicAsOne})` : ''));
  }
  title.append(facts);
  const actions = el('div', 'model-actions');
  actions.append(button(t.modelRun, t.modelRunTitle, () => send({ type: 'run' }), false), button(t.modelSaveSpec, t.modelSaveSpecTitle, () => send({ type: 'saveSpec' })));
  head.append(title, actions);
  ranLine = el('p', 'ran');
  ranLine.setAttribute('role', 'status');
  head.append(ranLine);
  if (m.problems.length) {
    const box = el('details', 'problems');
    box.open = m.problems.length <= 3;
    box.append(el('summary', '', t.modelProblems(m.problems.length)));
    const list = el('ul');
    for (const p of m.problems) list.append(el('li', '', p));
    box.append(list);
    head.append(box);
  }
  return head;
}

function row(table: HTMLElement, key: string, value: string | HTMLElement): void {
  const tr = el('tr');
  const td = el('td');
  td.append(value);
  tr.append(el('th', '', key), td);
  table.append(tr);
}

function statisticsText(s: InitializerStats | string): string {
  if (typeof s === 'string') return s;
  return text().modelStatistics(number(s.min), number(s.max), number(s.mean), number(s.std), thousands(s.zeros)) + (s.nonFinite ? text().modelNonFinite(s.nonFinite) : '');
}

/** An initializer a node takes: its dtype and size; hover asks for its statistics, click for its values. */
function initializerChip(t: ModelTensor): HTMLElement {
  const info = model!.initializers.find(i => i.name === t.name);
  const chip = el('button', 'initializer', text().modelInitializer(info?.dtype ?? '?', bytes(info?.bytes ?? 0)));
  chip.type = 'button';
  chip.title = text().modelInitializerTitle;
  const stats = el('span', 'statistics');
  const known = statistics.get(t.name);
  if (known && known !== 'pending') stats.textContent = statisticsText(known);
  const ask = () => {
    if (statistics.has(t.name)) return;
    statistics.set(t.name, 'pending');
    stats.textContent = text().modelLoading;
    send({ type: 'statistics', name: t.name });
  };
  waiting.set(t.name, [...(waiting.get(t.name) ?? []), stats]);
  chip.addEventListener('mouseenter', ask);
  chip.addEventListener('focus', ask);
  chip.addEventListener('click', () => { ask(); send({ type: 'values', name: t.name }); });
  const wrap = el('span', 'initializer-wrap');
  wrap.append(chip, stats);
  return wrap;
}

function tensorList(title: string, tensors: readonly ModelTensor[]): HTMLElement {
  const section = el('section');
  section.append(el('h3', '', title));
  if (!tensors.length) section.append(el('p', 'muted', text().modelNone));
  const list = el('ul', 'tensors');
  for (const t of tensors) {
    const li = el('li');
    li.append(el('code', 'tensor-name', t.name), el('span', 'tensor-shape', shapeText(t.shape)));
    if (t.initializer) li.append(initializerChip(t));
    list.append(li);
  }
  section.append(list);
  return section;
}

function showDetails(index: number): void {
  const t = text();
  const n: ModelNode = model!.nodes[index];
  graph?.select(index);
  waiting.clear();
  details!.replaceChildren();
  const head = el('div', `details-head family-${familyOf(n.op)}`);
  head.append(el('h2', '', n.domain ? `${n.domain}.${n.op}` : n.op));
  const close = el('button', 'close', '×');
  close.type = 'button';
  close.title = close.ariaLabel = t.modelClose;
  close.addEventListener('click', () => { details!.replaceChildren(el('p', 'muted', t.modelDetailsHint)); graph?.select(-1); graph?.focus(index); });
  head.append(close);
  details!.append(head);
  if (n.problem) details!.append(el('p', 'problem-text', n.problem));
  const facts = el('table', 'facts');
  row(facts, t.modelNodeName, n.name);
  if (n.layer !== undefined) row(facts, t.modelLayer, String(n.layer));
  if (n.flops !== undefined) row(facts, t.modelFlops, `${thousands(n.flops)} (${flops(n.flops)})`);
  if (n.params !== undefined) row(facts, t.modelParams, thousands(n.params));
  details!.append(facts);
  if (n.attributes.length) {
    details!.append(el('h3', '', t.modelAttributes));
    const attrs = el('table', 'attributes');
    for (const a of n.attributes) row(attrs, a.name, el('code', '', a.value));
    details!.append(attrs);
  }
  // After a run, the node's layer (in the trace panel) can be written as a spec of its own.
  if (n.layer !== undefined) {
    const layer = n.layer;
    const save = button(t.modelSaveLayerSpec, t.modelSaveLayerSpecTitle, () => send({ type: 'saveLayerSpec', layer }));
    save.classList.add('save-layer-spec');
    details!.append(save);
  }
  details!.append(tensorList(t.modelInputs, n.inputs), tensorList(t.modelOutputs, n.outputs));
  details!.append(el('div', 'heatmap-slot'));
  send({ type: 'selected', node: index, ...(n.layer !== undefined ? { layer: n.layer } : {}) });
}

/** An initializer's values as a heatmap: its first axis down, the rest across, the panel's colour maps. */
function showHeatmap(name: string, rows: number, columns: number, data: Float32Array): void {
  const slot = details?.querySelector('.heatmap-slot');
  if (!slot) return;
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) if (Number.isFinite(v)) { min = Math.min(min, v); max = Math.max(max, v); }
  const scale = scaleFor(min === Infinity ? 0 : min, max === -Infinity ? 0 : max);
  const lut = packedTable(colormapFor('auto', scale.kind === 'diverging'));
  const canvas = el('canvas', 'heatmap');
  canvas.width = columns;
  canvas.height = rows;
  const image = new ImageData(columns, rows);
  const pixels = new Uint32Array(image.data.buffer);
  for (let i = 0; i < data.length; i++) {
    const k = colourIndex(data[i], scale);
    pixels[i] = k < 0 ? 0xff808080 : lut[k];
  }
  canvas.getContext('2d')!.putImageData(image, 0, 0);
  // Small matrices drawn big enough to see each value; wide ones fit the pane.
  canvas.style.width = `${Math.min(320, Math.max(columns * 12, 60))}px`;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', text().modelHeatmapOf(name, rows, columns));
  const caption = el('p', 'muted', `${text().modelHeatmapOf(name, rows, columns)} · ${number(scale.lo)} … ${number(scale.hi)}`);
  slot.replaceChildren(caption, canvas);
  canvas.scrollIntoView({ block: 'nearest' });
}

function showModel(m: ModelView): void {
  const started = performance.now();
  model = m;
  statistics.clear();
  const t = text();
  const body = el('div', 'model-body');
  const scroller = el('div', 'graph-scroll');
  graph = drawGraph(m, showDetails);
  scroller.append(graph.element);
  details = el('aside', 'details');
  details.setAttribute('aria-live', 'polite');
  details.append(el('p', 'muted', t.modelDetailsHint));
  body.append(scroller, details);
  app.replaceChildren(header(m), body);
  app.removeAttribute('aria-busy');
  const count = graph.nodeCount;
  requestAnimationFrame(() => setTimeout(() => send({ type: 'rendered', nodes: count, milliseconds: performance.now() - started })));
}

function showFailure(file: string, message: string): void {
  const box = el('div', 'failed');
  box.append(el('h1', '', text().modelUnreadable(file)), el('p', 'problem-text', message));
  app.replaceChildren(box);
  app.removeAttribute('aria-busy');
  requestAnimationFrame(() => send({ type: 'rendered', nodes: 0, milliseconds: 0 }));
}

function handle(m: HostToModelEditor): void {
  switch (m.type) {
    case 'model':
      setLocale(m.locale);
      showModel(m.model);
      return;
    case 'failed':
      setLocale(m.locale);
      showFailure(m.file, m.message);
      return;
    case 'statistics': {
      const s = m.statistics ?? m.message ?? '';
      statistics.set(m.name, s);
      for (const e of waiting.get(m.name) ?? []) e.textContent = statisticsText(s);
      return;
    }
    case 'values':
      if (m.data) showHeatmap(m.name, m.rows, m.columns, new Float32Array(m.data));
      else details?.querySelector('.heatmap-slot')?.replaceChildren(el('p', 'problem-text', m.message ?? ''));
      return;
    case 'ran':
      if (ranLine) ranLine.textContent = text().modelRanOn(m.label);
      return;
  }
}

window.addEventListener('message', (event: MessageEvent) => handle(event.data as HostToModelEditor));
// How long this frame waited before its document was fetched: the webview's start, before any of this page loaded.
const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
send({ type: 'ready', ...(navigation ? { frameWaitMs: Math.max(0, Math.round(navigation.fetchStart)) } : {}) });
