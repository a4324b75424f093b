// Tensors read from a debug session, each a heatmap, with the actions that turn
// them into a run: use as input / weight / grad, or compare with the engine's.

import { formatShape } from '../src/engine/tensor';
import { floatFormatOf } from '../src/format/floats';
import { formatNumber, fullValue } from '../src/format/text';
import type { TensorRole, WireLooseTensor, WireTensorSet } from '../src/protocol/messages';
import { matrixOf } from '../src/protocol/tiles';
import { colormapFor, scaleFor } from './render/colormaps';
import { colorbar } from './render/colorbar';
import { DisplaySelection, displayMatrix } from './render/displayMatrix';
import { Heatmap } from './render/heatmap';
import { TileStore } from './render/tileStore';
import type { UiState } from './state';
import { readTheme } from './theme';
import { text } from './l10n';
import { button, checkbox, el, select } from './ui/controls';
import { Tooltip } from './ui/tooltip';
import { cellAnnouncement } from './a11yText';
import { Announcer } from './ui/a11y';
import { send } from './vscodeApi';

const ROLES: TensorRole[] = ['input', 'weight', 'grad'];

export class CollectionView {
  private readonly tooltip = new Tooltip();
  private readonly announcer = new Announcer();
  private readonly heatmaps: Heatmap[] = [];

  constructor(private readonly root: HTMLElement, private readonly set: WireTensorSet, private readonly state: UiState) {
    const intro = el('p', 'collection-intro', text().collectionIntro);
    const picks = el('p', 'collection-picks', this.pickSummary());
    root.replaceChildren(intro, picks, ...set.tensors.map(t => this.card(t)), this.announcer.element);
    if (!set.tensors.length) root.append(el('p', undefined, text().collectionEmpty));
  }

  private pickSummary(): string {
    const entries = Object.entries(this.set.picks);
    const complete = entries.some(([, r]) => r === 'input') && entries.some(([, r]) => r === 'weight');
    return entries.length ? `${text().picked(entries.map(([label, role]) => `${role} = ${label}`).join(', '))}${complete ? '' : text().pickedNeedsBoth}` : '';
  }

  private card(t: WireLooseTensor): HTMLElement {
    const card = el('section', 'tensor loose');
    card.dataset.label = t.label;
    const data = new Float64Array(t.buffer);
    const store = new TileStore(matrixOf(t.shape), data);
    let selection: DisplaySelection = { n: 0, c: 0, mode: 'slice' };
    const shape = t.shape.length ? t.shape : [1];
    const matrix = () => displayMatrix(shape, selection);
    // Held as float64; a program's float32 (float16, bfloat16) values print as such: 0.1, not 0.10000000149011612.
    const sourceFormat = floatFormatOf(t.sourceDtype);
    const valueAt = (index: number[]) => data[index.reduce((acc, v, d) => acc * shape[d] + v, 0)];
    const heatmap = new Heatmap(store, matrix(), {}, readTheme(), {
      hover: (index, at) => {
        if (!index || !at) { this.tooltip.hide(); return; }
        const value = valueAt(index);
        this.tooltip.show([`${t.label}[${index.join(', ')}] = ${fullValue(value, sourceFormat)}`], at);
      },
      select: () => undefined,
      escape: () => this.tooltip.hide(),
      announce: (index, event) => {
        if (index && event === 'move') this.announcer.say(cellAnnouncement({ tensor: t.label, index, value: formatNumber(valueAt(index), this.state.precision), meaning: '' }));
      },
    });
    heatmap.canvas.setAttribute('aria-label', `${t.label} ${formatShape(t.shape)}`);
    this.heatmaps.push(heatmap);
    const scale = scaleFor(t.stats.min, t.stats.max);
    const colormap = colormapFor(this.state.scheme, scale.kind === 'diverging');
    heatmap.setColour(scale, colormap);
    heatmap.setPrecision(this.state.precision);
    heatmap.setActive(true);

    const head = el('header', 'tensor-head');
    const title = el('div', 'tensor-title');
    title.append(el('span', 'tensor-name', t.label), el('span', 'tensor-shape', formatShape(t.shape)), el('span', 'tensor-axes', t.sourceDtype));
    const controls = el('div', 'tensor-controls');
    if (shape.length === 4) {
      const [N, C] = shape;
      const options = (n: number, axis: string) => Array.from({ length: n }, (_, i) => ({ value: String(i), label: `${axis} ${i}` }));
      const apply = (change: Partial<DisplaySelection>) => { selection = { ...selection, ...change }; heatmap.setMatrix(matrix(), {}, 640); };
      if (N > 1) controls.append(select(text().axisSelect(t.label, 0), options(N, 'n'), '0', v => apply({ n: Number(v) })));
      if (C > 1) controls.append(select(text().axisSelect(t.label, 1), options(C, 'c'), '0', v => apply({ c: Number(v) })), checkbox(text().allSlices, false, on => apply({ mode: on ? 'tiles' : 'slice' })));
    }
    title.append(controls);
    const actions = el('div', 'loose-actions');
    const picked = this.set.picks[t.label];
    for (const role of ROLES) {
      const b = button(picked === role ? `✓ ${role}` : text().useAs(role), text().useAsTooltip(t.label, role), () => send({ type: 'useTensor', setId: this.set.id, label: t.label, role }), picked !== role);
      b.dataset.role = role;
      actions.append(b);
    }
    actions.append(button(text().compareWithEngine, text().compareWithEngineTooltip(t.label), () => send({ type: 'compareTensor', setId: this.set.id, label: t.label })));
    head.append(title, el('div', 'tensor-about', t.source), actions);
    const wrap = el('div', 'heatmap-wrap');
    wrap.append(heatmap.canvas);
    const footer = el('div', 'tensor-footer');
    footer.append(colorbar(scale, colormap, this.state.precision), el('span', 'range', text().range(formatNumber(t.stats.min), formatNumber(t.stats.max))));
    if (t.stats.nonFinite) footer.append(el('span', 'badge bad', text().nonFinite(t.stats.nonFinite)));
    card.append(head, wrap, footer);
    heatmap.layout(Math.min(680, Math.max(240, this.root.clientWidth - 40)));
    return card;
  }

  dispose(): void {
    this.tooltip.element.remove();
    this.root.replaceChildren();
  }
}
