// A network run: the chain of layers across the top (input → each layer with
// its output shape → the loss), and the selected layer opened into its stages
// below. Stepping past a layer's last stage moves on to the next layer, so
// n / p walk the whole network; the δ each layer receives is the one the
// layer above passed down. A graph's layers run in the same row: an input
// that is not the layer before (a residual's skip) is an arc above the row
// from where it starts to the layer that takes it. A cell of a layer's output,
// linked, shows its receptive field down the chain: each layer below (and the
// input) counts its cells in it, and a layer opened then lights them.

import { inputOfName } from '../src/engine/graph';
import { totalCost } from '../src/engine/layerKinds/cost';
import { viewOf } from '../src/engine/layerKinds/views';
import { HighlightSet, type Highlights, type LinkTarget } from '../src/engine/links';
import { thousands } from '../src/engine/problem';
import { FieldLayer, ReceptiveRegions, cellFieldWords, layerFields, receptiveRegions } from '../src/engine/receptive';
import { type Field, Region } from '../src/engine/region';
import { formatShape } from '../src/engine/tensor';
import type { StageId } from '../src/engine/trace';
import { renderWords } from '../src/format/explain';
import { formatNumber } from '../src/format/text';
import type { ShownTensor, WireLayer, WireNetwork } from '../src/protocol/messages';
import { requestLayer } from './model';
import { traceWithStages } from './stageSet';
import { TraceView } from './traceView';
import type { UiState } from './state';
import { locale, text } from './l10n';
import { el, scrollIntoRow } from './ui/controls';
import { Gallery } from './ui/gallery';
import { saveState, send } from './vscodeApi';

const SVG = 'http://www.w3.org/2000/svg';
/** The height of the arcs above the row. */
const ARC_HEIGHT = 16;

/** Where an input comes from: -1 for the network's input, else a layer's index. */
function sourceIndex(name: string): number {
  return name === 'input' ? -1 : Number(/\d+/.exec(name)?.[0] ?? -1);
}

/** An input's short name on a chip: `input`, or the layer's index. */
function shortName(name: string, input: string): string {
  return name === 'input' ? input : String(sourceIndex(name));
}

/** A cell of a layer's output and its receptive field in every layer below and in the input. */
interface ShownField {
  from: number;
  target: LinkTarget;
  regions: ReceptiveRegions;
}

/** The tensor a layer's output is in, in its trace, and the one its input `position` is in, as its kind's view names them. */
const outputTensor = (l: FieldLayer) => viewOf(l.geometry)?.ends?.output ?? 'z';
const inputTensor = (l: FieldLayer, position: number) => viewOf(l.geometry)?.ends?.input(position) ?? 'input';

/** Decoration a screen reader skips (the arrows between layers are not list items to count). */
function hidden<E extends HTMLElement>(element: E): E {
  element.setAttribute('aria-hidden', 'true');
  return element;
}

/** The layers' FLOPs and parameters together, the loss not counted, at the end of the chain's row. */
function networkCost(network: WireNetwork): HTMLElement {
  const t = text();
  const layers = network.loss ? network.layers.slice(0, -1) : network.layers;
  const total = totalCost(layers.map(l => l.cost));
  const fact = el('span', 'fact network-cost', t.networkCost(thousands(total.flops), thousands(total.params)));
  fact.title = t.networkCostTitle;
  return fact;
}

export class NetworkView {
  private app: TraceView | undefined;
  private readonly chain = el('nav', 'chain');
  private readonly body = el('div', 'layer-body');
  private readonly chips: HTMLButtonElement[] = [];
  private readonly list = el('ol', 'chain-list');
  /** The input's item, then each layer's: where arcs start and end. */
  private readonly nodes: HTMLElement[] = [];
  /** The inputs that are not the layer before: [from, to], -1 being the network's input. */
  private readonly skips: [number, number][] = [];
  private readonly arcs = document.createElementNS(SVG, 'svg');
  /** The layers (the loss left out) as their receptive fields read them, and each one's field size and stride. */
  private readonly fieldLayers: FieldLayer[];
  private readonly fields: Field[];
  /** The pinned output cell's receptive field: it stays lit while other layers are opened. */
  private kept: ShownField | undefined;
  private readonly fieldLine = el('p', 'field-line');
  /** The feature-map gallery of the open layer, between the chain and its stages, when toggled on. */
  private readonly gallery: Gallery;
  private readonly galleryToggle = el('button', 'tool gallery-toggle');
  /** *Save as Spec…* of the open layer (the host asks where): for a network run the host keeps. */
  private readonly saveSpec = el('button', 'tool save-layer-spec');
  index = -1;
  /** The open layer being traced by the host, when it was lean. */
  private opening: Promise<void> | undefined;
  /** The layers traced on request, as they were before (lean): put back when another layer opens. */
  private readonly untraced = new Map<number, WireLayer>();
  private disposed = false;

  constructor(root: HTMLElement, readonly network: WireNetwork, private readonly state: UiState) {
    const t = text();
    const layers = network.loss ? network.layers.slice(0, -1) : network.layers;
    const shapeOf = (name: string) => { const s = inputOfName(name); return s === 'input' ? network.input : network.layers[s ?? 0].outputShape; };
    this.fieldLayers = layers.map(l => ({ geometry: l.trace.geometry, inputs: l.inputs.map(name => ({ name, shape: shapeOf(name) })), output: l.outputShape }));
    this.fields = layerFields(network.input, this.fieldLayers);
    this.chain.setAttribute('aria-label', t.layers);
    const input = el('li', 'chain-io');
    input.append(el('span', 'chain-title', t.chainInput), el('span', 'chain-shape', formatShape(network.input)));
    this.list.append(input);
    this.nodes.push(input);
    network.layers.forEach((layer, i) => {
      const sources = layer.inputs.map(sourceIndex);
      // The arrow from the layer before, when it is an input; the others are arcs.
      this.list.append(hidden(el('li', 'chain-arrow', sources.includes(i - 1) ? '→' : '')));
      sources.forEach(s => { if (s !== i - 1) this.skips.push([s, i]); });
      const li = el('li');
      // A network with a loss ends with it (network.ts): its chip shows C.
      const loss = i === network.layers.length - 1 ? network.loss : undefined;
      const b = el('button', `chain-layer ${loss ? 'loss' : ''}`);
      b.dataset.layer = String(i);
      const out = loss ? `C = ${formatNumber(loss.value, 6)}` : formatShape(layer.outputShape);
      b.append(el('span', 'chain-index', String(i)), el('span', 'chain-title', layer.title), el('span', 'chain-shape', out));
      // What a graph's layer takes, in words a screen reader reads with the chip.
      const chained = sources.length === 1 && sources[0] === i - 1;
      if (!chained) b.append(el('span', 'chain-from', `← ${layer.inputs.map(n => shortName(n, t.chainInput)).join(', ')}`));
      const [from, to] = [formatShape(layer.inputShape), formatShape(layer.outputShape)];
      b.title = [
        layer.lean ? t.layerChipUntraced(i, layer.title, from, to) : t.layerChip(i, layer.title, from, to, layer.trace.stages.length),
        t.layerCost(thousands(layer.cost.flops), thousands(layer.cost.params)),
        ...(chained ? [] : [t.layerTakes(layer.inputs.join(', '))]),
        ...(layer.deltaFrom ? [t.layerDeltaSum(layer.deltaFrom.join(', '))] : []),
      ].join('; ');
      b.addEventListener('click', () => this.open(i, 'first'));
      this.chips.push(b);
      li.append(b);
      this.list.append(li);
      this.nodes.push(li);
    });
    if (this.skips.length) {
      this.list.classList.add('graph');
      this.arcs.classList.add('chain-arcs');
      this.arcs.setAttribute('aria-hidden', 'true');
      this.list.prepend(this.arcs);
    }
    const warnings = network.warnings.map(w => el('span', 'fact badge bad', w));
    this.fieldLine.hidden = true;
    this.fieldLine.setAttribute('aria-live', 'polite');
    this.gallery = new Gallery(network, state.gallery, () => state.scheme, () => saveState(state));
    this.galleryToggle.type = 'button';
    this.galleryToggle.textContent = t.galleryToggle;
    this.galleryToggle.title = t.galleryToggleTitle;
    this.galleryToggle.setAttribute('aria-controls', this.gallery.element.id);
    this.galleryToggle.addEventListener('click', () => this.toggleGallery());
    this.saveSpec.type = 'button';
    this.saveSpec.textContent = t.saveLayerSpec;
    this.saveSpec.addEventListener('click', () => send({ type: 'saveLayerSpec', traceId: this.network.layers[this.index].trace.id }));
    this.saveSpec.hidden = !network.savable;
    this.chain.append(this.list, networkCost(network), this.galleryToggle, this.saveSpec, ...warnings, this.fieldLine);
    root.replaceChildren(this.chain, this.gallery.element, this.body);
    this.showGallery();
    this.measureChain();
    // A re-run of the same spec stays on the layer the user was on.
    const saved = state.specUri === network.uri && state.layer !== undefined && state.layer < network.layers.length ? state.layer : 0;
    this.open(saved, undefined, false);
  }

  get current(): TraceView | undefined { return this.app; }

  /** Opens layer `index` on its first or last stage, or a stage by id (or the saved stage when none is given). */
  open(index: number, at?: 'first' | 'last' | StageId, scroll = true): void {
    const layer = this.network.layers[index];
    if (!layer) return;
    // A pinned cell belongs to its layer; the pinned output cell whose field is on show, to its layer again.
    if (this.index !== -1 && index !== this.index) this.state.pinned = this.kept?.from === index ? this.kept.target : undefined;
    this.index = index;
    this.state.layer = index;
    this.app?.dispose();
    this.app = undefined;
    this.untraceOthers(index);
    // The layer traced with the run (the one the host expected the panel to open first) serves the first opening
    // only: by a later one the host may have let it go (it keeps the last few layers opened).
    const opened = this.network.opened;
    this.network.opened = undefined;
    if (layer.lean && opened?.index === index) {
      this.replaceLean(index, opened.layer);
      this.opening = undefined;
      this.showStages(index, at, scroll);
    } else if (layer.lean) this.opening = this.traceLayer(index, at, scroll);
    else {
      this.opening = undefined;
      this.showStages(index, at, scroll);
    }
    this.chips.forEach((b, i) => {
      b.classList.toggle('current', i === index);
      if (i === index) b.setAttribute('aria-current', 'step'); else b.removeAttribute('aria-current');
    });
    this.arcs.querySelectorAll('path').forEach((p, k) => p.classList.toggle('current', this.skips[k].includes(index)));
    // A layer of several inputs, or the loss, cannot be a spec of its own.
    const alone = !(this.network.loss && index === this.network.layers.length - 1) && layer.inputs.length === 1;
    this.saveSpec.disabled = !alone;
    this.saveSpec.title = alone ? text().saveLayerSpecTitle(index) : text().saveLayerSpecNo(index);
    scrollIntoRow(this.list, this.chips[index].parentElement ?? undefined);
    if (this.state.gallery.open) this.gallery.show(index, layer);
  }

  /** The open layer's stages, once it is traced. */
  private showStages(index: number, at: 'first' | 'last' | StageId | undefined, scroll: boolean): void {
    const layer = this.network.layers[index];
    const stages = layer.trace.stages;
    if (at === 'first') this.state.stage = stages[0].id;
    else if (at === 'last') this.state.stage = stages[stages.length - 1].id;
    else if (at) this.state.stage = at;
    // With the gallery open, the page stays at its top: the gallery, then the layer's first stage.
    this.app = new TraceView(this.body, layer.trace, this.state, {
      layer: index, onEdge: d => this.move(d), reveal: scroll && !this.state.gallery.open, field: this.fieldCells(index), onLink: (target, pinned) => this.linked(target, pinned),
    });
  }

  /** A lean network's layer opened: the host traces it from the run it keeps; its stages show when it comes, if it is still the open one. */
  private async traceLayer(index: number, at: 'first' | 'last' | StageId | undefined, scroll: boolean): Promise<void> {
    const lean = this.network.layers[index];
    const status = el('p', 'layer-tracing', text().tracingLayer(index));
    status.setAttribute('role', 'status');
    this.body.replaceChildren(status);
    try {
      const traced = await requestLayer(lean.trace.id);
      if (this.disposed || this.index !== index) return;
      this.replaceLean(index, { ...traced, trace: traceWithStages(traced.trace, this.state.stages) });
      status.remove();
      this.showStages(index, at, scroll);
    } catch (e) {
      if (this.index === index) status.textContent = text().layerTraceFailed(index, (e as Error).message);
    }
  }

  /** Layer `index` traced replaces its lean shell, which comes back when another layer opens. */
  private replaceLean(index: number, layer: WireLayer): void {
    this.untraced.set(index, this.network.layers[index]);
    this.network.layers[index] = layer;
  }

  /** Only the open layer stays traced in the panel (the host keeps a few, and answers a layer opened again at once). */
  private untraceOthers(index: number): void {
    for (const [k, lean] of this.untraced) if (k !== index) { this.network.layers[k] = lean; this.untraced.delete(k); }
  }

  /** Runs `fn` on the open layer's stages, once it is traced. */
  private whenOpen(fn: (app: TraceView) => void): void {
    if (this.app) fn(this.app);
    else void this.opening?.then(() => { if (this.app) fn(this.app); });
  }

  private toggleGallery(): void {
    this.state.gallery.open = !this.state.gallery.open;
    this.showGallery();
    if (this.state.gallery.open) {
      this.gallery.show(this.index, this.network.layers[this.index]);
      document.scrollingElement?.scrollTo({ top: 0, behavior: 'instant' as ScrollBehavior });
    }
    saveState(this.state);
  }

  private showGallery(): void {
    const open = this.state.gallery.open;
    this.gallery.element.hidden = !open;
    this.galleryToggle.setAttribute('aria-pressed', String(open));
    this.galleryToggle.setAttribute('aria-expanded', String(open));
  }

  /** A cell linked in the open layer: an output cell shows its field (kept while pinned); otherwise the kept one shows. */
  private linked(target: LinkTarget | undefined, pinned: boolean): void {
    const here = target && this.fieldOf(this.index, target);
    // Pinning an output cell keeps its field; pinning another cell of the same layer, or letting the pin go there, drops it.
    if (pinned ? here || this.kept?.from === this.index : !target && this.kept?.from === this.index) this.kept = here;
    this.showField(here ?? this.kept);
  }

  /** The receptive field of a cell of layer `index`'s output; undefined for any other cell. */
  private fieldOf(index: number, target: LinkTarget): ShownField | undefined {
    const l = this.fieldLayers[index];
    if (!l || target.tensor !== outputTensor(l)) return undefined;
    return { from: index, target, regions: receptiveRegions(this.network.input, this.fieldLayers, index, Region.cell(l.output, target.index)) };
  }

  /** Each chip below the field's layer counts its output's cells in the field; the line under the chain says its size. */
  private showField(f: ShownField | undefined): void {
    const mark = (node: HTMLElement, region: Region | undefined) => {
      node.querySelector('.chain-field')?.remove();
      const count = region?.count() ?? 0;
      if (!count) return;
      const badge = el('span', 'chain-field', `▦ ${count}`);
      badge.title = text().fieldCellsLit(count);
      (node.querySelector('.chain-layer') ?? node).append(badge);
    };
    mark(this.nodes[0], f?.regions.input);
    this.nodes.slice(1).forEach((node, k) => {
      mark(node, k === f?.from ? undefined : f?.regions.layers[k]);
      this.chips[k].classList.toggle('field-source', k === f?.from);
    });
    // The line changes the chain's height, under which the stepper sticks.
    if (this.fieldLine.hidden !== !f) {
      this.fieldLine.hidden = !f;
      this.measureChain();
    }
    if (!f) return;
    const cell = `layers[${f.from}].${f.target.tensor}[${f.target.index.join(', ')}]`;
    this.fieldLine.textContent = text().fieldOf(cell, renderWords(cellFieldWords(f.regions.input, this.fields[f.from]), locale()));
  }

  /** The kept field's cells in layer `index`: on its output, and on each input (the network's input on layer 0's). */
  private fieldCells(index: number): Highlights | undefined {
    const f = this.kept;
    const l = this.fieldLayers[index];
    if (!f || !l || index >= f.from) return undefined;
    const h = new HighlightSet();
    f.regions.layers[index]?.forEach(cell => h.cell(outputTensor(l), ...cell));
    l.inputs.forEach((x, j) => {
      const source = inputOfName(x.name);
      const region = source === 'input' ? f.regions.input : source === undefined ? undefined : f.regions.layers[source];
      region?.forEach(cell => h.cell(inputTensor(l, j), ...cell));
    });
    return h.map;
  }

  private move(delta: -1 | 1): void {
    const next = this.index + delta;
    if (next < 0 || next >= this.network.layers.length) return;
    this.open(next, delta > 0 ? 'first' : 'last');
  }

  step(delta: number): void { this.app?.step(delta); }

  /** From the host: a layer, a stage of it, a cell of it. */
  focus(layer: number | undefined, stage: StageId | undefined, target: LinkTarget | undefined, pin: boolean): void {
    if (layer !== undefined && layer !== this.index) this.open(layer, stage ?? 'first');
    else if (stage) this.whenOpen(app => app.focusStage(stage));
    if (target) this.whenOpen(app => app.focusCell(target, pin));
  }

  escape(): void { this.app?.escape(); }
  layoutCards(): void {
    this.measureChain();
    this.app?.layoutCards();
  }

  /** The stepper sticks just under the chain. */
  private measureChain(): void {
    this.drawArcs();
    document.documentElement.style.setProperty('--cvd-chain-height', `${this.chain.offsetHeight}px`);
  }

  /** Each skip as an arc above the row, from the middle of where it starts to the middle of the layer that takes it. */
  private drawArcs(): void {
    if (!this.skips.length) return;
    const middle = (k: number) => { const n = this.nodes[k + 1]; return n.offsetLeft + n.offsetWidth / 2; };
    this.arcs.setAttribute('width', String(this.list.scrollWidth));
    this.arcs.setAttribute('height', String(ARC_HEIGHT));
    const paths = this.skips.map(([from, to]) => {
      const p = document.createElementNS(SVG, 'path');
      const [x1, x2] = [middle(from), middle(to)];
      p.setAttribute('d', `M ${x1} ${ARC_HEIGHT} C ${x1} 1, ${x2} 1, ${x2} ${ARC_HEIGHT - 3} l -3 -3 m 3 3 l 3 -3`);
      p.classList.toggle('current', from === this.index || to === this.index);
      p.dataset.from = String(from);
      p.dataset.to = String(to);
      return p;
    });
    this.arcs.replaceChildren(...paths);
  }
  setTheme(): void {
    this.app?.setTheme();
    this.gallery.redraw();
  }
  saveState(): void { saveState(this.state); }
  /** What the open layer's cards show, once it is traced. */
  async shown(): Promise<ShownTensor[]> {
    await this.opening;
    return this.app?.shown() ?? [];
  }

  dispose(): void {
    this.disposed = true;
    document.documentElement.style.removeProperty('--cvd-chain-height');
    this.app?.dispose();
    this.chain.remove();
    this.gallery.element.remove();
  }
}
