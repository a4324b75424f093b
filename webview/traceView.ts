// The panel for one trace: toolbar, stepper, the stages with their tensors,
// and the linking between them (hover or click a cell: everything it is made
// of, or made into, lights up in every tensor, and the inspector lists the sum).

import { geometryFactWords, isCount, linksIn, stageViewOf } from '../src/engine/layerKinds/views';
import type { Highlights, LinkTarget } from '../src/engine/links';
import { formatShape } from '../src/engine/tensor';
import type { StageId, TensorName, TraceStage } from '../src/engine/trace';
import { cellMeaning, explainStage, renderWords, stageTitle } from '../src/format/explain';
import { formatNumber, fullValue } from '../src/format/text';
import type { LinkedSummary, ShownTensor, WireTrace } from '../src/protocol/messages';
import { TraceModel } from './model';
import { COLORMAPS, ColorScheme, ColormapName, Scale, colormapFor, scaleFor, schemeOptions } from './render/colormaps';
import type { ScaleMode, UiState } from './state';
import { locale, text } from './l10n';
import { Theme, readTheme } from './theme';
import { el, labelled, select } from './ui/controls';
import { flowOf } from './ui/flows';
import { Inspector } from './ui/inspector';
import { Stepper } from './ui/stepper';
import { CardHost, TensorCard } from './ui/tensorCard';
import { Tooltip } from './ui/tooltip';
import { labelBy, markToolbar } from './ui/a11y';
import { CellAnnouncer } from './ui/cellAnnouncer';
import { saveState, send } from './vscodeApi';

/** The smallest cell, in CSS pixels, a tensor may shrink to so that its equation fits in one row. */
const READABLE_CELL = 7;

/** The width a flex row's items take side by side (with the gaps between them). */
function rowWidth(row: HTMLElement): number {
  const items = Array.from(row.children) as HTMLElement[];
  const gap = parseFloat(getComputedStyle(row).columnGap) || 0;
  return items.reduce((sum, e) => sum + e.offsetWidth, 0) + gap * Math.max(0, items.length - 1);
}

/**
 * Lays out each stage's equation to fit the panel's width: each tensor as large as its data wants; if the
 * row is too wide, all of them smaller by one factor while their cells stay readable; else at the sizes
 * their data wants, wrapping onto more rows (a column, when each takes the panel's width).
 * All flows step together, so that each step's widths are read after one layout of the page, not one per flow.
 */
function layoutFlows(flows: readonly { element: HTMLElement; cards: TensorCard[] }[], width: number): void {
  for (const { cards } of flows) for (const c of cards) c.layout(width);
  const fitting = flows.map(flow => {
    const natural = flow.cards.map(c => ({ cell: c.heatmap.viewport.scale, zoomable: c.heatmap.zoomable }));
    const readable = () => flow.cards.every((c, i) => c.heatmap.zoomable === natural[i].zoomable && c.heatmap.viewport.scale >= Math.min(natural[i].cell, READABLE_CELL));
    return { flow, readable, shrinking: true };
  });
  // A few rounds: a card held at its minimum width leaves the others less room than the first guess.
  for (let round = 0; round < 3; round++) {
    const shrinking = fitting.filter(f => f.shrinking);
    const rows = shrinking.map(f => rowWidth(f.flow.element));
    shrinking.forEach((f, i) => {
      const { cards } = f.flow;
      const canvases = cards.reduce((sum, c) => sum + c.heatmap.viewport.width, 0);
      const factor = (width - (rows[i] - canvases)) / canvases;
      if (rows[i] <= width || factor <= 0) {
        f.shrinking = false;
        return;
      }
      for (const c of cards) c.layout(c.chrome() + Math.floor(c.heatmap.viewport.width * factor));
      if (!f.readable()) f.shrinking = false;
    });
  }
  const rows = fitting.map(f => rowWidth(f.flow.element));
  fitting.forEach((f, i) => {
    if (!(f.readable() && rows[i] <= width)) for (const c of f.flow.cards) c.layout(width);
  });
}

/** How a layer of a network sits in the chain (a single conv run has none of this). */
export interface TraceViewOptions {
  /** Its index in the chain, sent with the stage on show. */
  layer?: number;
  /** Stepping past the first or last stage: the chain moves to the neighbouring layer. */
  onEdge?(delta: -1 | 1): void;
  /** Scroll to the first stage shown (a layer opened by the user), not only mark it. */
  reveal?: boolean;
  /** Cells lit while no cell is linked: a receptive field from a layer above, on this layer's output and inputs. */
  field?: Highlights;
  /** A cell was linked (hovered or pinned) or let go: the chain shows the receptive field of an output cell. */
  onLink?(target: LinkTarget | undefined, pinned: boolean): void;
}

export class TraceView implements CardHost {
  readonly model: TraceModel;
  theme: Theme = readTheme();
  private readonly cards: TensorCard[] = [];
  /** Each stage's equation: the row its cards and operators sit in, and the cards. */
  private readonly flows: { element: HTMLElement; cards: TensorCard[] }[] = [];
  private readonly sections = new Map<StageId, HTMLElement>();
  private readonly stepper: Stepper;
  private readonly inspector = new Inspector();
  private readonly tooltip = new Tooltip();
  private readonly announcer = new CellAnnouncer();
  private readonly main = el('div', 'pipeline');
  private link: { target: LinkTarget; pinned: boolean } | undefined;
  private linkTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly observer: IntersectionObserver;
  private readonly stepperSize: ResizeObserver;
  /** The trace's stages, titled in the panel's language. */
  private readonly stages: TraceStage[];

  constructor(private readonly root: HTMLElement, trace: WireTrace, readonly state: UiState, private readonly options: TraceViewOptions = {}) {
    this.model = new TraceModel(trace);
    this.stages = trace.stages.map(s => ({ ...s, title: stageTitle(s, trace.geometry, locale()) }));
    // A comparison opens on itself; otherwise the stage the user was on.
    if (trace.comparison || !trace.stages.some(s => s.id === state.stage)) state.stage = trace.stages[0].id;
    this.stepper = new Stepper(this.stages, s => explainStage({ stage: s, delta: trace.deltaSource, has: n => this.model.has(n) }, trace.geometry, locale()), i => this.goTo(i), {
      get: () => this.state.explain,
      set: shown => { this.state.explain = shown; this.saveState(); },
    });
    // Sections scroll to just under the sticky stepper, whatever its height (the explanation folds, the chips wrap).
    this.stepperSize = new ResizeObserver(() => document.documentElement.style.setProperty('--cvd-stepper-height', `${this.stepper.element.offsetHeight}px`));
    this.stepperSize.observe(this.stepper.element);
    // Only cards on (or near) screen draw and fetch tiles.
    this.observer = new IntersectionObserver(entries => {
      for (const e of entries) this.cards.filter(c => c.element === e.target).forEach(c => c.setVisible(e.isIntersecting));
    }, { rootMargin: '300px' });
    root.replaceChildren(this.toolbar(), this.stepper.element, this.main, this.inspector.element, this.announcer.element);
    // The stages down to the one after the one on show now; those below after the first frame (up to 20 of them,
    // each a row of heatmaps): the first heatmap on screen does not wait for them.
    const first = Math.max(0, trace.stages.findIndex(s => s.id === state.stage));
    for (const stage of this.stages.slice(0, first + 2)) this.main.append(this.stageSection(stage));
    this.later = this.stages.slice(first + 2);
    this.layoutCards();
    // The content opens on the stage the stepper names (a re-run, a reload, another spec: the stage the user was on).
    this.goTo(first, { scroll: true, focus: options.reveal ?? false });
    // It is on screen: its heatmaps draw now, in the first frame, not a frame later when the observer says so.
    for (const card of this.flows[first]?.cards ?? []) card.setVisible(true);
    if (this.later.length) requestAnimationFrame(() => setTimeout(() => void this.buildLaterInSteps()));
    // Once more when the controls have drawn (the stepper's height settles then).
    requestAnimationFrame(() => { if (!this.disposed) this.scrollToStage(this.stepper.index, options.reveal ?? false); });
    // A pinned cell survives re-runs of the same spec (if it still exists), not a switch to another spec.
    const pin = state.pinned;
    if (pin && state.specUri === trace.uri && this.model.has(pin.tensor)
      && pin.index.length === this.model.shape(pin.tensor).length && pin.index.every((v, d) => v < this.model.shape(pin.tensor)[d])) {
      this.setLink(pin, true);
    } else {
      state.pinned = undefined;
      if (options.field) this.setLink(undefined, false);
    }
  }

  // ---- layout ------------------------------------------------------------

  private toolbar(): HTMLElement {
    const t = this.model.trace;
    const words = text();
    const bar = el('div', 'toolbar');
    const facts = el('div', 'facts');
    facts.append(...this.geometryFacts().map(f => el('span', 'fact', f)), el('span', 'fact', t.dtype));
    if (t.rot180) facts.append(el('span', `fact badge ${t.rot180.agrees ? 'ok' : 'bad'}`, t.rot180.agrees ? 'col2im = rot180 ✓' : 'col2im ≠ rot180 ✗'));
    const c = t.comparison;
    if (c) {
      facts.append(el('span', `fact badge comparison ${c.mismatches ? 'bad' : 'ok'}`, c.mismatches
        ? words.comparisonDiffers(c.tensor, c.mismatches, c.firstMismatch!.join(', '), formatNumber(c.maxAbsError), formatNumber(c.maxRelError))
        : words.comparisonAgrees(c.tensor, formatNumber(c.maxAbsError))));
    }
    for (const w of t.warnings) facts.append(el('span', 'fact badge bad', w));
    const controls = el('div', 'view-controls');
    controls.append(
      labelled(words.colours, select(words.colourScheme, schemeOptions(words), this.state.scheme, v => { this.state.scheme = v as ColorScheme; this.recolour(); })),
      labelled(words.scale, select(words.colourScale, [{ value: 'tensor', label: words.scalePerTensor }, { value: 'shared', label: words.scaleShared }], this.state.scaleMode, v => { this.state.scaleMode = v as ScaleMode; this.recolour(); })),
      labelled(words.digits, select(words.significantDigits, Array.from({ length: 8 }, (_, k) => ({ value: String(k + 1), label: String(k + 1) })), String(this.state.precision), v => { this.state.precision = Number(v); this.recolour(); })),
    );
    facts.setAttribute('role', 'group');
    facts.setAttribute('aria-label', text().layerGeometry);
    markToolbar(controls, text().viewOptions);
    bar.append(facts, controls);
    // Tensors of a run's layer made another way than its stages (Winograd): said in a line of its own, never cut off.
    const made = t.runMade ?? [];
    if (made.length) {
      const diffs = made.map(m => words.runMadeDiff(m.tensor, formatNumber(m.maxAbsDiff, 3), m.relative.toExponential(1)));
      bar.append(el('p', 'run-made', words.runMadeByWinograd(words.runMadeNames(...made.map(m => m.tensor)), words.runMadeDiffs(...diffs))));
    }
    return bar;
  }

  /** The layer's geometry in a few words, as its kind's view names it (a conv's or a pooling window's numbers), or the shapes. */
  private geometryFacts(): string[] {
    const facts = geometryFactWords(this.model.geometry);
    if (facts) return facts.map(w => renderWords(w, locale()));
    // Tensor names, not words: the same in every language.
    const shown = ['input', 'z', 'weight', 'target'] as const;
    return shown.filter(n => this.model.has(n)).map(n => `${n} ${formatShape(this.model.shape(n))}`);
  }

  private stageSection(stage: TraceStage): HTMLElement {
    const section = el('section', `stage ${stage.pass}`);
    section.dataset.stage = stage.id;
    section.id = `stage-${stage.id}`;
    const n = this.stages.indexOf(stage) + 1;
    const head = el('header', 'stage-head');
    const title = el('h2', undefined, `${n}. ${stage.title}`);
    title.tabIndex = -1;
    labelBy(section, title);
    head.append(title, el('code', 'formula', stage.formula), el('span', 'shapes', this.shapesLine(stage)));
    head.addEventListener('click', () => this.goTo(n - 1));
    const flow = el('div', 'flow');
    const cards: TensorCard[] = [];
    for (const item of flowOf(stage, this.model.geometry, name => this.model.has(name))) {
      if ('op' in item) {
        flow.append(el('div', 'op', item.op));
        continue;
      }
      const card = new TensorCard(this, item.tensor, item.caption);
      this.cards.push(card);
      cards.push(card);
      this.observer.observe(card.element);
      flow.append(card.element);
    }
    const check = stageViewOf(this.model.geometry, stage.id)?.crossCheck;
    const r = this.model.trace.rot180;
    if (check && r) {
      flow.append(el('div', `agreement ${r.agrees ? 'ok' : 'bad'}`, renderWords({ key: r.agrees ? check.agrees : check.disagrees, args: [formatNumber(r.maxAbsDiff)] }, locale())));
    }
    section.append(head, flow);
    this.flows.push({ element: flow, cards });
    this.sections.set(stage.id, section);
    return section;
  }

  /** The stages not built yet (below those on screen at the start). */
  private later: TraceStage[] = [];

  /** Builds every stage left for after the first frame now (one the stepper or a link goes to). */
  private buildLater(): void {
    this.buildStages(this.later.length);
  }

  /** The stages still to build, one a task (the page draws and answers between them); done when all are built. */
  private buildLaterInSteps(): Promise<void> {
    this.building ??= new Promise(resolve => {
      const step = () => {
        this.buildStages(1);
        if (this.disposed || !this.later.length) resolve();
        else setTimeout(step);
      };
      step();
    });
    return this.building;
  }

  private building: Promise<void> | undefined;

  private buildStages(count: number): void {
    if (this.disposed || !this.later.length) return;
    const from = this.flows.length;
    for (const stage of this.later.splice(0, count)) this.main.append(this.stageSection(stage));
    layoutFlows(this.flows.slice(from), this.flowWidth());
    for (const [id, section] of this.sections) section.classList.toggle('current', id === this.state.stage);
    if (this.link) this.setLink(this.link.target, this.link.pinned);
    else if (this.options.field) this.setLink(undefined, false);
  }

  /** `(1, 9, 12) @ (12, 2) → (1, 9, 2)`: the stage's concrete shapes. */
  private shapesLine(stage: TraceStage): string {
    const s = (n: TensorName) => formatShape(this.model.shape(n));
    const ins = stage.inputs.filter(n => this.model.has(n)).map(s).join(stageViewOf(this.model.geometry, stage.id)?.product ? ' @ ' : ', ');
    return `${ins} → ${stage.outputs.filter(n => this.model.has(n)).map(s).join(', ')}`;
  }

  layoutCards(): void {
    layoutFlows(this.flows, this.flowWidth());
  }

  private flowWidth(): number {
    return Math.max(200, this.flows[0]?.element.clientWidth ?? this.main.clientWidth);
  }

  // ---- colour ------------------------------------------------------------

  private sharedRange: { min: number; max: number } | undefined;

  colour(name: TensorName): { scale: Scale; colormap: ColormapName } {
    const own = this.model.stats(name);
    let range = { min: own.min, max: own.max };
    // Counts (the kind's view names them) keep their own scale.
    const counts = (n: TensorName) => isCount(this.model.geometry, n);
    if (this.state.scaleMode === 'shared' && !counts(name)) {
      this.sharedRange ??= this.model.trace.tensors.filter(t => !counts(t.name))
        .reduce((r, t) => ({ min: Math.min(r.min, t.stats.min), max: Math.max(r.max, t.stats.max) }), { min: Infinity, max: -Infinity });
      range = this.sharedRange;
    }
    const scale = scaleFor(range.min, range.max);
    let colormap = colormapFor(this.state.scheme, scale.kind === 'diverging');
    // A sequential map cannot show a sign: signed data keeps a diverging one.
    if (scale.kind === 'diverging' && COLORMAPS[colormap].kind !== 'diverging') colormap = colormapFor(this.state.scheme === 'cividis' ? 'colourblind' : 'auto', true);
    return { scale, colormap };
  }

  private recolour(): void {
    this.saveState();
    for (const c of this.cards) c.refreshColour();
  }

  setTheme(): void {
    this.theme = readTheme();
    for (const c of this.cards) c.setTheme(this.theme);
  }

  // ---- stages ------------------------------------------------------------

  /** Shows stage `index`: marks it, scrolls its section under the stepper, and moves the focus to its heading. */
  goTo(index: number, reveal = { scroll: true, focus: true }): void {
    const stages = this.model.trace.stages;
    if ((index < 0 || index >= stages.length) && reveal.focus && this.options.onEdge) {
      this.options.onEdge(index < 0 ? -1 : 1);
      return;
    }
    const i = Math.max(0, Math.min(stages.length - 1, index));
    const stage = stages[i];
    if (!this.sections.has(stage.id)) this.buildLater();
    this.state.stage = stage.id;
    this.saveState();
    this.stepper.show(i);
    for (const [id, section] of this.sections) section.classList.toggle('current', id === stage.id);
    document.documentElement.style.setProperty('--cvd-stepper-height', `${this.stepper.element.offsetHeight}px`);
    if (reveal.scroll) this.scrollToStage(i, reveal.focus);
    if (reveal.focus) (this.sections.get(stage.id)!.querySelector('h2') as HTMLElement | null)?.focus({ preventScroll: true });
    send({ type: 'stage', traceId: this.model.id, stage: stage.id, index: i, ...(this.options.layer === undefined ? {} : { layer: this.options.layer }) });
  }

  /** Puts stage `index` just under the stepper; the first stage, unless the user asked for it, with the page at its top (the file's facts and the settings in view). */
  private scrollToStage(index: number, asked: boolean): void {
    const instant = { behavior: 'instant' as ScrollBehavior };
    if (index === 0 && !asked) document.scrollingElement?.scrollTo({ top: 0, ...instant });
    else this.sections.get(this.model.trace.stages[index].id)?.scrollIntoView({ block: 'start', ...instant });
  }

  step(delta: number): void {
    this.goTo(this.stepper.index + delta);
  }

  /** Shows a stage, if this panel shows it (the stages setting may hide it). */
  focusStage(stage: StageId): void {
    const index = this.model.trace.stages.findIndex(s => s.id === stage);
    if (index >= 0) this.goTo(index);
  }

  // ---- linking -------------------------------------------------------------

  hover(name: TensorName, index: number[] | undefined, at?: { x: number; y: number }): void {
    if (!index) {
      this.hovering = undefined;
      this.tooltip.hide();
      if (!this.link?.pinned) this.setLink(undefined, false);
      return;
    }
    if (at) this.showTooltip(name, index, at);
    if (!this.link?.pinned) this.setLink({ tensor: name, index }, false);
  }

  private hovering: { name: TensorName; index: number[]; at: { x: number; y: number } } | undefined;

  /** Index, exact value (when the panel has it; its tile is fetched otherwise), meaning. */
  private showTooltip(name: TensorName, index: number[], at: { x: number; y: number }): void {
    this.hovering = { name, index, at };
    const value = this.model.value({ tensor: name, index });
    const meaning = cellMeaning(this.model.geometry, name, index, locale());
    const shown = value === undefined ? '…' : fullValue(value, this.model.trace.dtype);
    this.tooltip.show([`${name}[${index.join(', ')}] = ${shown}`, ...(meaning ? [meaning] : [])], at);
    if (value === undefined) {
      const off = this.model.store(name).onChange(() => {
        off();
        const h = this.hovering;
        if (h && h.name === name && h.index.join() === index.join()) this.showTooltip(name, index, h.at);
      });
    }
  }

  select(name: TensorName, index: number[]): void {
    const same = this.link?.pinned && this.link.target.tensor === name && this.link.target.index.join() === index.join();
    this.setLink(same ? undefined : { tensor: name, index }, !same);
  }

  escape(): void {
    this.setLink(undefined, false);
  }

  announceCell(name: TensorName, index: number[] | undefined, event: 'move' | 'select' | 'escape'): void {
    if (event === 'escape' || !index) {
      this.announcer.forget();
      if (this.link?.pinned) this.announcer.say(text().releasedPinned);
      return;
    }
    const pinned = event === 'select' ? this.link?.pinned === true && this.link.target.tensor === name && this.link.target.index.join() === index.join() : undefined;
    this.announcer.announce(this.model, this.state.precision, { tensor: name, index }, pinned);
  }

  /** Links a cell (from the host: the debugger, commands, tests). */
  focusCell(target: LinkTarget, pin: boolean): void {
    this.buildLater();
    // The tensor as the current stage shows it, so the content stays on the stage the stepper names.
    const current = this.sections.get(this.state.stage);
    const card = this.cards.find(c => c.name === target.tensor && current?.contains(c.element)) ?? this.cards.find(c => c.name === target.tensor);
    card?.element.scrollIntoView({ block: 'center', behavior: 'instant' as ScrollBehavior });
    this.setLink(target, pin);
  }

  private setLink(target: LinkTarget | undefined, pinned: boolean): void {
    this.link = target ? { target, pinned } : undefined;
    this.state.pinned = pinned ? target : undefined;
    this.saveState();
    this.options.onLink?.(target, pinned);
    // Yours and the difference are read in the compared tensor's shape: a cell of either links like that tensor's cell.
    const compared = this.model.trace.comparison?.tensor;
    const isComparison = target && (target.tensor === 'yours' || target.tensor === 'difference');
    const base = target && compared && isComparison ? { tensor: compared, index: target.index } : target;
    const highlights = base ? linksIn(this.model.geometry, base, n => (this.model.has(n) ? this.model.shape(n) : undefined), this.model.trace.tensors.map(t => t.name)) : this.options.field ?? {};
    if (base && compared && base.tensor === compared) {
      for (const extra of ['yours', 'difference'] as const) (highlights[extra] ??= { cells: [], rows: [], columns: [] }).cells.push(base.index);
      (highlights[compared] ??= { cells: [], rows: [], columns: [] }).cells.push(base.index);
    }
    for (const c of this.cards) {
      const source = target && c.name === target.tensor ? target.index : undefined;
      // Scroll linked cells into a zoomed view, but never move the view the pointer is in.
      c.setHighlight(highlights[c.name], source, !source);
    }
    if (!target) {
      this.inspector.clear();
      return;
    }
    const shown = this.inspector.show(this.model, base!, pinned);
    // Report what the panel shows (tests, the debugger); coalesced while the pointer moves.
    clearTimeout(this.linkTimer);
    this.linkTimer = setTimeout(() => void shown.then(({ terms, gradientCheck }) => {
      if (this.link?.target !== target) return;
      const summary: LinkedSummary[] = Object.entries(highlights).map(([tensor, h]) => ({ tensor: tensor as TensorName, rows: h!.rows, columns: h!.columns, cells: h!.cells }));
      send({ type: 'linked', traceId: this.model.id, target, value: this.model.value(target) ?? NaN, highlights: summary, terms, ...(gradientCheck !== undefined ? { gradientCheck } : {}) });
    }), 60);
  }

  // ---- host services -----------------------------------------------------

  saveState(): void {
    saveState(this.state);
  }

  copyTensor(name: TensorName, format: 'json' | 'numpy'): void {
    send({ type: 'copyTensor', traceId: this.model.id, name, format });
  }

  savePng(name: string, png: Blob): void {
    void png.arrayBuffer().then(buffer => send({ type: 'savePng', name, png: buffer }));
  }

  /** What each card shows (its first values) of the tensors that came with the trace. */
  async shown(): Promise<ShownTensor[]> {
    // After the first frame (its heatmaps on screen); a hidden or background webview gets no frames, so a timer stands in.
    await new Promise<void>(resolve => {
      requestAnimationFrame(() => setTimeout(resolve));
      setTimeout(resolve, document.hidden ? 0 : 1000);
    });
    await this.buildLaterInSteps();
    const seen = new Set<TensorName>();
    const out: ShownTensor[] = [];
    for (const c of this.cards) {
      if (seen.has(c.name) || !this.model.store(c.name).dense) continue;
      seen.add(c.name);
      out.push({ name: c.name, shape: this.model.shape(c.name), cells: c.heatmap.shownValues() });
    }
    return out;
  }

  private disposed = false;

  dispose(): void {
    this.disposed = true;
    this.observer.disconnect();
    this.stepperSize.disconnect();
    this.tooltip.element.remove();
    this.root.replaceChildren();
  }
}
