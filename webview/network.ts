// A network run: the chain of layers across the top (input → each layer with
// its output shape → the loss), and the selected layer opened into its stages
// below. Stepping past a layer's last stage moves on to the next layer, so
// n / p walk the whole network; the δ each layer receives is the one the
// layer above passed down.

import type { LinkTarget } from '../src/engine/links';
import { formatShape } from '../src/engine/tensor';
import type { StageId } from '../src/engine/trace';
import { formatNumber } from '../src/format/text';
import type { ShownTensor, WireNetwork } from '../src/protocol/messages';
import { TraceView } from './traceView';
import type { UiState } from './state';
import { text } from './l10n';
import { el, scrollIntoRow } from './ui/controls';

/** Decoration a screen reader skips (the arrows between layers are not list items to count). */
function hidden<E extends HTMLElement>(element: E): E {
  element.setAttribute('aria-hidden', 'true');
  return element;
}

export class NetworkView {
  private app!: TraceView;
  private readonly chain = el('nav', 'chain');
  private readonly body = el('div', 'layer-body');
  private readonly chips: HTMLButtonElement[] = [];
  private readonly list = el('ol', 'chain-list');
  index = -1;

  constructor(root: HTMLElement, readonly network: WireNetwork, private readonly state: UiState) {
    const t = text();
    this.chain.setAttribute('aria-label', t.layers);
    const input = el('li', 'chain-io');
    input.append(el('span', 'chain-title', t.chainInput), el('span', 'chain-shape', formatShape(network.input)));
    this.list.append(input);
    network.layers.forEach((layer, i) => {
      this.list.append(hidden(el('li', 'chain-arrow', '→')));
      const li = el('li');
      // A network with a loss ends with it (network.ts): its chip shows C.
      const loss = i === network.layers.length - 1 ? network.loss : undefined;
      const b = el('button', `chain-layer ${loss ? 'loss' : ''}`);
      b.dataset.layer = String(i);
      const out = loss ? `C = ${formatNumber(loss.value, 6)}` : formatShape(layer.outputShape);
      b.append(el('span', 'chain-index', String(i)), el('span', 'chain-title', layer.title), el('span', 'chain-shape', out));
      b.title = t.layerChip(i, layer.title, formatShape(layer.inputShape), formatShape(layer.outputShape), layer.trace.stages.length);
      b.addEventListener('click', () => this.open(i, 'first'));
      this.chips.push(b);
      li.append(b);
      this.list.append(li);
    });
    const warnings = network.warnings.map(w => el('span', 'fact badge bad', w));
    this.chain.append(this.list, ...warnings);
    root.replaceChildren(this.chain, this.body);
    this.measureChain();
    // A re-run of the same spec stays on the layer the user was on.
    const saved = state.specUri === network.uri && state.layer !== undefined && state.layer < network.layers.length ? state.layer : 0;
    this.open(saved, undefined, false);
  }

  get current(): TraceView { return this.app; }

  /** Opens layer `index` on its first or last stage, or a stage by id (or the saved stage when none is given). */
  open(index: number, at?: 'first' | 'last' | StageId, scroll = true): void {
    const layer = this.network.layers[index];
    if (!layer) return;
    const stages = layer.trace.stages;
    if (at === 'first') this.state.stage = stages[0].id;
    else if (at === 'last') this.state.stage = stages[stages.length - 1].id;
    else if (at) this.state.stage = at;
    // A pinned cell belongs to its layer.
    if (this.index !== -1 && index !== this.index) this.state.pinned = undefined;
    this.index = index;
    this.state.layer = index;
    this.app?.dispose();
    this.app = new TraceView(this.body, layer.trace, this.state, { layer: index, onEdge: d => this.move(d), reveal: scroll });
    this.chips.forEach((b, i) => {
      b.classList.toggle('current', i === index);
      if (i === index) b.setAttribute('aria-current', 'step'); else b.removeAttribute('aria-current');
    });
    scrollIntoRow(this.list, this.chips[index].parentElement ?? undefined);
  }

  private move(delta: -1 | 1): void {
    const next = this.index + delta;
    if (next < 0 || next >= this.network.layers.length) return;
    this.open(next, delta > 0 ? 'first' : 'last');
  }

  step(delta: number): void { this.app.step(delta); }

  /** From the host: a layer, a stage of it, a cell of it. */
  focus(layer: number | undefined, stage: StageId | undefined, target: LinkTarget | undefined, pin: boolean): void {
    if (layer !== undefined && layer !== this.index) this.open(layer, stage ?? 'first');
    else if (stage) this.app.focusStage(stage);
    if (target) this.app.focusCell(target, pin);
  }

  escape(): void { this.app.escape(); }
  layoutCards(): void {
    this.measureChain();
    this.app.layoutCards();
  }

  /** The stepper sticks just under the chain. */
  private measureChain(): void {
    document.documentElement.style.setProperty('--cvd-chain-height', `${this.chain.offsetHeight}px`);
  }
  setTheme(): void { this.app.setTheme(); }
  saveState(): void { this.app.saveState(); }
  shown(): Promise<ShownTensor[]> { return this.app.shown(); }

  dispose(): void {
    document.documentElement.style.removeProperty('--cvd-chain-height');
    this.app.dispose();
    this.chain.remove();
  }
}
