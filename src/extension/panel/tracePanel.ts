// The panel controller: one webview panel per window, reused across runs. It
// holds the latest state to show and sends it whenever the webview says
// `ready` (first load, and every reload after the panel was hidden), and it
// answers the webview's requests from the trace it keeps: tiles of big tensors,
// the sum behind a cell, a tensor for the clipboard.

import * as vscode from 'vscode';
import { type LayerGeometry, cellSumIn } from '../../engine/layerKinds/views';
import type { TensorName, TraceTensor } from '../../engine/trace';
import { COPY_LIMIT, tensorJson, tensorNumpy } from '../../format/exportText';
import type { LayerTrace } from '../../engine/network';
import { COLOR_SCHEMES, HostToWebview, PANEL_VIEW_TYPE, PagePhases, PanelSettings, STAGE_SETS, WebviewToHost, WireLayer, WireNetwork, WireTile, assertNever, runId } from '../../protocol/messages';
import { extractTile, matrixOf, tileGrid } from '../../protocol/tiles';
import { attributionToWire, featureMapsToWire, layerTraceId } from '../../protocol/wire';
import { parseWebviewMessage } from '../../protocol/validate';
import { EngineError } from '../../engine/errors';
import type { CellCheck } from '../../engine/gradcheck';
import type { AttributionKind, AttributionMap } from '../../engine/featureMaps';
import { printable } from '../../format/safeText';
import { renderProblem } from '../../specReader/problemText';
import { SpecError } from '../../specReader/source';
import { ProblemError } from '../trace/traceJob';
import { LayerSaving, saveLayerSpec } from '../commands/saveLayerSpec';
import { panelHtml, panelLocalRoots } from './html';
import { PageLoadWatch } from './pageLoadWatch';
import { displayLocale } from '../displayLocale';

/** What the webview keeps with getState/setState, so a restored panel can re-run its spec. */
export interface PanelState {
  specUri?: string;
}

type Request<T extends WebviewToHost['type']> = Extract<WebviewToHost, { type: T }>;

/** A run a person is waiting for: its label and when its command started, to log the time to a painted panel. */
export interface WaitedRun {
  label: string;
  started: number;
}

/** One trace the panel shows (a conv run, or one layer of a network), to answer requests about it. */
export interface ShownTrace {
  tensors: Partial<Record<TensorName, TraceTensor>>;
  geometry: LayerGeometry;
  /** Checks a cell of one of its gradients against finite differences, when the spec that made it is known. */
  checkGradient?(name: TensorName, index: readonly number[]): Promise<CellCheck>;
  /** A network's layer: saliency, or Grad-CAM at this layer, when the spec that made it is known. */
  attribute?(kind: AttributionKind, item: number): Promise<AttributionMap>;
  /** A network's layer: the network's input, which the gallery shows beside the layer's channels. */
  networkInput?: TraceTensor;
  /** A lean network's layer, not traced yet (`tensors` are its output and δ): traced when the panel opens it. */
  untraced?: UntracedLayer;
  /** A layer of a network run the panel keeps: how it is saved as a spec of its own. */
  saving?: LayerSaving;
}

/** How a lean network's layer is traced on request, and how it crosses to the panel. */
export interface UntracedLayer {
  /** What the run kept of it: `tensors` goes back to these when the traced layer is let go. */
  tensors: Partial<Record<TensorName, TraceTensor>>;
  trace(): Promise<LayerTrace>;
  wire(layer: LayerTrace): WireLayer;
}

/** How many layers traced on request the panel keeps (the one open, and the last ones opened). */
const TRACED_LAYERS = 4;

export class TracePanel implements vscode.Disposable {
  private static current: TracePanel | undefined;
  private latest: HostToWebview | undefined;
  /** The traces on show by id (one, or a network's layers), to answer the panel's requests. */
  private current = new Map<number, ShownTrace>();
  /** Lets go of what the traces on show were made from (a network run a worker keeps). */
  private release: (() => void) | undefined;
  /** The lean network's layers traced on request, by trace id, the last opened last. */
  private readonly traced = new Map<number, LayerTrace>();
  private visible = true;
  private disposed = false;
  private readonly pageWatch: PageLoadWatch;
  private readonly disposables: vscode.Disposable[] = [];

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly onMessage: (m: WebviewToHost) => void,
    private readonly log: vscode.LogOutputChannel,
  ) {
    panel.webview.options = { enableScripts: true, localResourceRoots: panelLocalRoots(extensionUri) };
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.svg');
    panel.webview.html = panelHtml(panel.webview, extensionUri);
    TracePanel.setContext(true);
    this.pageWatch = new PageLoadWatch(panel, () => { panel.webview.html = panelHtml(panel.webview, extensionUri); }, log, "the trace panel's");
    this.disposables.push(
      this.pageWatch,
      panel.webview.onDidReceiveMessage(raw => this.receive(raw)),
      panel.onDidDispose(() => this.dispose()),
      // A hidden webview is torn down and reloads when shown (it says `ready` again): messages are held till then
      // (pageWatch knows, and loads again a page that never says it).
      panel.onDidChangeViewState(e => {
        if (e.webviewPanel.visible === this.visible) return;
        // Logged: a hidden panel shows a run only once it is revealed and says `ready` again.
        this.visible = e.webviewPanel.visible;
        this.log.info(`panel ${this.visible ? 'visible' : 'hidden'}`);
      }),
    );
  }

  /** Shows the panel (creating it beside the editor if needed). */
  static show(extensionUri: vscode.Uri, onMessage: (m: WebviewToHost) => void, log: vscode.LogOutputChannel): TracePanel {
    if (TracePanel.current) {
      TracePanel.current.panel.reveal(undefined, true);
      return TracePanel.current;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, vscode.l10n.t('Conv Visual Debugger'), { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: panelLocalRoots(extensionUri),
    });
    TracePanel.current = new TracePanel(panel, extensionUri, onMessage, log);
    return TracePanel.current;
  }

  /** Sends the panel settings again (they changed). */
  static settingsChanged(): void {
    TracePanel.current?.send({ type: 'settings', settings: panelSettings() });
  }

  /** Adopts a panel VS Code restored after a reload. */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, onMessage: (m: WebviewToHost) => void, log: vscode.LogOutputChannel): TracePanel {
    TracePanel.current?.dispose();
    TracePanel.current = new TracePanel(panel, extensionUri, onMessage, log);
    return TracePanel.current;
  }

  static get active(): TracePanel | undefined {
    return TracePanel.current;
  }

  private static setContext(open: boolean): void {
    void vscode.commands.executeCommand('setContext', 'convVisualDebugger.panelOpen', open);
  }

  /** The editor group the panel is in. */
  get viewColumn(): vscode.ViewColumn | undefined {
    return this.panel.viewColumn;
  }

  /**
   * Keeps the panel in view while the debugger shows `source` at every stop:
   * VS Code shows it in the group where its tab is, else in the active group.
   * If that is the panel's group, the panel moves to another group (the
   * source's tab keeps its group open), or the source opens beside it first.
   */
  async stepAsideFrom(source: vscode.Uri): Promise<void> {
    const key = source.toString();
    const groups = vscode.window.tabGroups;
    const panelColumn = this.panel.viewColumn;
    // Beside is beside the active group: a new group when there is no other.
    const otherColumn = (column: vscode.ViewColumn | undefined) => groups.all.find(g => g.viewColumn !== column)?.viewColumn ?? vscode.ViewColumn.Beside;
    const sourceGroup = groups.all.find(g => g.tabs.some(t => t.input instanceof vscode.TabInputText && t.input.uri.toString() === key));
    if (sourceGroup) {
      if (sourceGroup.viewColumn === panelColumn) this.panel.reveal(otherColumn(panelColumn), true);
    } else if (groups.activeTabGroup.viewColumn === panelColumn) {
      await vscode.window.showTextDocument(source, { viewColumn: otherColumn(panelColumn), preserveFocus: true, preview: false });
    }
  }

  /** Opens a layer of the network on show; a hidden panel comes into view beside `column` (the focus stays there). */
  revealLayer(layer: number, column: vscode.ViewColumn | undefined): void {
    if (!this.panel.visible) this.panel.reveal(this.panel.viewColumn === column ? vscode.ViewColumn.Beside : this.panel.viewColumn, true);
    this.send({ type: 'focus', layer });
  }

  setTitle(title: string): void {
    this.panel.title = title;
  }

  /** Shows this state now if the webview is ready, else as soon as it is (and again after every reload). */
  post(message: HostToWebview): void {
    this.latest = message;
    if (message.type === 'failed' || message.type === 'running' || message.type === 'tensors') this.replaceShown(new Map());
    if (this.pageWatch.ready) this.postLatest();
  }

  /** Posts the state on show to a page that said `ready`; a run is watched until the page says it received it. */
  private postLatest(): void {
    const latest = this.latest;
    if (!latest) return;
    void this.panel.webview.postMessage(latest);
    const id = runId(latest);
    if (id !== undefined) this.pageWatch.expectReceipt(id, () => { if (this.latest === latest && this.pageWatch.ready) void this.panel.webview.postMessage(latest); });
  }

  /**
   * Shows a run and keeps its traces (by the ids the message gave them) to answer the panel's requests; `release` lets
   * go of its run. `opened`: the layer the network message sends traced (WireNetwork.opened), as the engine traced it.
   */
  showTrace(traces: Map<number, ShownTrace>, message: Extract<HostToWebview, { type: 'trace' | 'network' }>, waited?: WaitedRun, release?: () => void, opened?: LayerTrace): void {
    this.replaceShown(traces, release);
    const openedId = message.type === 'network' ? openedTraceId(message.network) : undefined;
    if (opened && openedId !== undefined) {
      const shown = traces.get(openedId);
      if (shown) this.keepTraced(openedId, shown, opened);
    }
    this.waited = waited && { ...waited, traceId: message.type === 'trace' ? message.trace.id : message.network.id, posted: Date.now() };
    this.post(message);
  }

  /** The network's layer last open in the panel for a spec (its `stage` messages say). */
  private lastOpen: { uri: string; layer: number } | undefined;

  /** The network layer the panel opens first when it shows a run of `uri`: the one last open for that spec, else the first. */
  layerToOpen(uri: string | undefined): number {
    return uri !== undefined && this.lastOpen?.uri === uri ? this.lastOpen.layer : 0;
  }

  /** The traces on show are replaced: what the old ones were made from is let go. */
  private replaceShown(traces: Map<number, ShownTrace>, release?: () => void): void {
    this.release?.();
    this.release = release;
    this.current = traces;
    this.traced.clear();
    this.openLayer = undefined;
  }

  /** The trace id of the network's layer the panel has open (its `stage` messages say), for *Save Layer as Spec…*. */
  private openLayer: number | undefined;

  /**
   * Saves a layer of the network on show as a spec of its own: layer `layer` (a model editor's node), else the one
   * open in the panel. Says why when there is none, or the run is not one the panel keeps.
   */
  async saveLayerSpec(layer?: number): Promise<vscode.Uri | undefined> {
    const shown = layer !== undefined ? [...this.current.values()].find(t => t.saving?.layer === layer) : this.openLayer !== undefined ? this.current.get(this.openLayer) : undefined;
    if (!shown?.saving) {
      const network = [...this.current.values()].some(t => t.saving);
      void vscode.window.showInformationMessage(network
        ? vscode.l10n.t('Open a layer of the network in the panel first (click it in the row of layers, or a node of the model).')
        : vscode.l10n.t('Save Layer as Spec… saves a layer of a network or model the panel shows: run one first.'));
      return undefined;
    }
    return saveLayerSpec(shown.saving, problemMessage);
  }

  /** The run whose first painted heatmap is still to be logged (the e2e timing mode reads the log). */
  private waited: (WaitedRun & { traceId: number; posted: number }) | undefined;

  /**
   * Logs the time from the command to the run's first heatmap on screen: when the page's frame after the one that drew
   * it began, on the page's clock (the same as the host's on one machine: checked, as the page cannot receive the run
   * before it was posted), else when its message says so here (a message back later).
   */
  private logPainted(waited: WaitedRun & { posted: number }, page: PagePhases | undefined): void {
    const now = Date.now();
    const sameClock = page !== undefined && page.at >= waited.posted && page.at + page.onScreen <= now;
    const onScreen = sameClock ? page.at + page.onScreen : now;
    const phases = page ? ` (posted ${waited.posted - waited.started} ms after it, received ${page.at - waited.started}; the page: built ${ms(page.built)}, a frame ${ms(page.frame)}, drawn ${ms(page.drawn)}, on screen ${ms(page.onScreen)} ms after it received the run${sameClock ? `; its message ${ms(now - onScreen)} ms on the way back` : ''})` : '';
    this.log.info(`${waited.label}: painted ${Math.round(onScreen - waited.started)} ms after the command${phases}`);
    this.waited = undefined;
  }

  /** A focus that arrived before the webview was ready: shown right after the trace. */
  private pendingFocus: Extract<HostToWebview, { type: 'focus' }> | undefined;

  /** A one-off message (focus, step, answers); dropped when no webview is listening, except the last focus. */
  send(message: HostToWebview): void {
    if (this.pageWatch.ready) void this.panel.webview.postMessage(message);
    else if (message.type === 'focus') this.pendingFocus = message;
  }

  /** The trace a request names, or a `requestFailed` answer. */
  private traceFor(traceId: number, requestId?: number): ShownTrace | undefined {
    const shown = this.current.get(traceId);
    if (shown) return shown;
    if (requestId !== undefined) this.send({ type: 'requestFailed', requestId, message: vscode.l10n.t('trace {0} is no longer shown (a newer run replaced it)', traceId) });
    return undefined;
  }

  private answerTiles(m: Request<'requestTiles'>): void {
    const t = this.traceFor(m.traceId, m.requestId)?.tensors[m.name];
    if (!t) return;
    const dims = matrixOf(t.shape);
    const grid = tileGrid(dims, m.level);
    const tiles: WireTile[] = [];
    for (const [row, col] of m.tiles) {
      if (row >= grid.down || col >= grid.across) {
        this.send({ type: 'requestFailed', requestId: m.requestId, message: vscode.l10n.t('{0} has no tile ({1}, {2}) at level {3}', m.name, row, col, m.level) });
        return;
      }
      tiles.push({ row, col, buffer: extractTile(t.data, dims, m.level, row, col).buffer as ArrayBuffer });
    }
    this.send({ type: 'tiles', requestId: m.requestId, traceId: m.traceId, name: m.name, level: m.level, tiles });
  }

  private answerCellSum(m: Request<'requestCellSum'>): void {
    const trace = this.traceFor(m.traceId, m.requestId);
    if (!trace) return;
    const sum = cellSumIn(trace.geometry, name => trace.tensors[name]?.data, name => trace.tensors[name]?.shape, m.target);
    this.send({ type: 'cellSum', requestId: m.requestId, sum });
  }

  /** Answers a request with work done off the host's event loop (the runner's worker), or says why the trace cannot do it. */
  private answerLater<T>(requestId: number, work: (() => Promise<T>) | undefined, missing: string, answer: (result: T) => HostToWebview): void {
    const failed = (message: string) => this.send({ type: 'requestFailed', requestId, message });
    if (!work) failed(missing);
    else work().then(result => this.send(answer(result)), (e: unknown) => failed(problemMessage(e)));
  }

  private answerGradientCheck(m: Request<'requestGradientCheck'>): void {
    const trace = this.traceFor(m.traceId, m.requestId);
    if (!trace) return;
    const check = trace.checkGradient && (() => trace.checkGradient!(m.target.tensor, m.target.index));
    this.answerLater(m.requestId, check, vscode.l10n.t('this run cannot be checked: the panel does not have the spec that made it'),
      ({ of, numeric, analytic, epsilon, relError, tolerance, agrees, kink }) => ({
        type: 'gradientCheck', requestId: m.requestId, check: { of, numeric, analytic, epsilon, relError, tolerance, agrees, ...(kink ? { kink } : {}) },
      }));
  }

  /** The gallery of a layer, from the tensors the trace recorded (channel ranges measured once, in the engine). */
  private answerFeatureMaps(m: Request<'requestFeatureMaps'>): void {
    const trace = this.traceFor(m.traceId, m.requestId);
    if (!trace) return;
    const maps = featureMapsToWire(trace.tensors, trace.geometry, m.item, trace.networkInput);
    if (maps) this.send({ type: 'featureMaps', requestId: m.requestId, maps });
    else this.send({ type: 'requestFailed', requestId: m.requestId, message: vscode.l10n.t('this layer has no output with channels to show') });
  }

  /** Runs the network again, lean, in the runner's worker; the answer comes when it is done. */
  private answerAttribution(m: Request<'requestAttribution'>): void {
    const trace = this.traceFor(m.traceId, m.requestId);
    if (!trace) return;
    const attribute = trace.attribute && (() => trace.attribute!(m.kind, m.item));
    this.answerLater(m.requestId, attribute, vscode.l10n.t('this run has no attributions: the panel does not have the network spec that made it'),
      map => ({ type: 'attribution', requestId: m.requestId, attribution: attributionToWire(m.kind, m.item, map) }));
  }

  /** A lean network's layer opened: traced from the run its worker keeps (or the one kept from an earlier opening). */
  private answerLayer(m: Request<'requestLayer'>): void {
    const shown = this.traceFor(m.traceId, m.requestId);
    if (!shown) return;
    const untraced = shown.untraced;
    const current = this.current;
    const kept = this.traced.get(m.traceId);
    const trace = untraced && (kept ? () => Promise.resolve(kept) : () => untraced.trace());
    this.answerLater(m.requestId, trace, vscode.l10n.t('this layer has no run to be traced from'), layer => {
      if (this.current === current) this.keepTraced(m.traceId, shown, layer);
      return { type: 'layer', requestId: m.requestId, layer: untraced!.wire(layer) };
    });
  }

  /** The layer's requests are answered from its trace now; the layer opened longest ago goes back to what the run kept. */
  private keepTraced(traceId: number, shown: ShownTrace, layer: LayerTrace): void {
    this.traced.delete(traceId);
    this.traced.set(traceId, layer);
    shown.tensors = layer.tensors;
    shown.geometry = layer.geometry;
    if (this.traced.size <= TRACED_LAYERS) return;
    const [oldest] = this.traced.keys();
    this.traced.delete(oldest);
    const old = this.current.get(oldest);
    if (old?.untraced) old.tensors = old.untraced.tensors;
    // A page loaded again is sent the run again: the layer let go goes to it lean, to be asked for when opened.
    const latest = this.latest;
    if (latest?.type === 'network' && openedTraceId(latest.network) === oldest) {
      const { opened: _, ...network } = latest.network;
      this.latest = { ...latest, network };
    }
  }

  private async copyTensor(m: Request<'copyTensor'>): Promise<void> {
    const t = this.traceFor(m.traceId)?.tensors[m.name];
    if (!t) return;
    if (t.data.length > COPY_LIMIT) {
      void vscode.window.showWarningMessage(vscode.l10n.t('{0} has {1} values, too many for the clipboard. Write it to a file instead: {2}', m.name, t.data.length.toLocaleString(), `conv-trace SPEC --only ${m.name} --format npy --out DIR`));
      return;
    }
    const text = m.format === 'json' ? tensorJson(t.shape, t.data) : tensorNumpy(m.name, t.shape, t.data, t.dtype);
    await vscode.env.clipboard.writeText(text);
    const shape = t.shape.length ? `(${t.shape.join(', ')})` : '';
    vscode.window.setStatusBarMessage(m.format === 'json' ? vscode.l10n.t('Copied {0} {1} as JSON', m.name, shape) : vscode.l10n.t('Copied {0} {1} as a numpy literal', m.name, shape), 4000);
  }

  private async savePng(name: string, png: ArrayBuffer): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: vscode.l10n.t('Save {0} as PNG', name),
      defaultUri: folder ? vscode.Uri.joinPath(folder, `${name}.png`) : undefined,
      filters: { [vscode.l10n.t('PNG image')]: ['png'] },
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new Uint8Array(png));
    void vscode.window.showInformationMessage(vscode.l10n.t('Saved {0}', vscode.workspace.asRelativePath(target, false)));
  }

  private receive(raw: unknown): void {
    let message: WebviewToHost;
    try {
      message = parseWebviewMessage(raw);
    } catch (e) {
      this.log.error(`panel sent an invalid message: ${(e as Error).message}`);
      return;
    }
    try {
      this.handle(message);
    } catch (e) {
      // A request the trace cannot answer (out of memory, a bug): say so, keep the host alive.
      this.log.error(`answering the panel's ${message.type} failed: ${(e as Error).message}`);
      if ('requestId' in message) this.send({ type: 'requestFailed', requestId: message.requestId, message: (e as Error).message });
    }
    this.onMessage(message);
  }

  private handle(message: WebviewToHost): void {
    switch (message.type) {
      case 'ready':
        // The first load, or a reload after the panel was hidden: the page has nothing yet.
        this.log.info(`panel ready (${this.panel.visible ? 'visible' : 'hidden'})`);
        this.pageWatch.loaded();
        void this.panel.webview.postMessage({ type: 'settings', settings: panelSettings() } satisfies HostToWebview);
        this.postLatest();
        if (this.pendingFocus) void this.panel.webview.postMessage(this.pendingFocus);
        this.pendingFocus = undefined;
        break;
      case 'received':
        this.pageWatch.received(message.traceId);
        break;
      case 'rendered':
        this.log.info(`panel rendered trace ${message.traceId} (${this.panel.visible ? 'visible' : 'hidden'}): ${message.shown.map(s => s.name).join(', ')}`);
        break;
      case 'painted':
        if (this.waited?.traceId === message.traceId) this.logPainted(this.waited, message.page);
        break;
      case 'stage':
        if (message.layer !== undefined) {
          this.openLayer = message.traceId;
          const uri = this.latest?.type === 'network' ? this.latest.network.uri : undefined;
          if (uri !== undefined) this.lastOpen = { uri, layer: message.layer };
        }
        break;
      case 'saveLayerSpec':
        this.saveLayerSpec(this.current.get(message.traceId)?.saving?.layer ?? -1).catch(e => void vscode.window.showErrorMessage(vscode.l10n.t('Could not save the layer as a spec: {0}', problemMessage(e))));
        break;
      case 'linked':
      case 'useTensor':
      case 'compareTensor':
        break; // the extension's listeners act on these
      case 'requestTiles':
        this.answerTiles(message);
        break;
      case 'requestCellSum':
        this.answerCellSum(message);
        break;
      case 'requestGradientCheck':
        this.answerGradientCheck(message);
        break;
      case 'requestFeatureMaps':
        this.answerFeatureMaps(message);
        break;
      case 'requestAttribution':
        this.answerAttribution(message);
        break;
      case 'requestLayer':
        this.answerLayer(message);
        break;
      case 'copyTensor':
        this.copyTensor(message).catch(e => void vscode.window.showErrorMessage(vscode.l10n.t('Could not copy {0}: {1}', message.name, (e as Error).message)));
        break;
      case 'savePng':
        this.savePng(message.name, message.png).catch(e => void vscode.window.showErrorMessage(vscode.l10n.t('Could not save the PNG: {0}', (e as Error).message)));
        break;
      case 'error':
        this.log.error(`panel: ${message.message}`);
        void vscode.window.showWarningMessage(message.message);
        break;
      default:
        assertNever(message);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.replaceShown(new Map());
    if (TracePanel.current === this) {
      TracePanel.current = undefined;
      TracePanel.setContext(false);
    }
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}

const ms = (t: number) => Math.round(t);

/** The trace id of the layer a network message sends traced. */
const openedTraceId = (network: WireNetwork): number | undefined => (network.opened ? layerTraceId(network.id, network.opened.index) : undefined);

/** An error as the panel's status says it: a problem worded in the display language, else its message. */
function problemMessage(e: unknown): string {
  if (e instanceof ProblemError || e instanceof EngineError || e instanceof SpecError) return printable(renderProblem(e.problem, displayLocale()));
  return printable(e instanceof Error ? e.message : String(e));
}

/** convVisualDebugger.panel.*, as the webview takes them. */
/** A setting's value when it is one of `choices` (a hand-edited settings.json may hold anything). */
function oneOfOr<T extends string>(choices: readonly T[], value: string, fallback: T): T {
  return (choices as readonly string[]).includes(value) ? value as T : fallback;
}

export function panelSettings(): PanelSettings {
  const c = vscode.workspace.getConfiguration('convVisualDebugger.panel');
  return {
    colorScheme: oneOfOr(COLOR_SCHEMES, c.get<string>('colorScheme', 'auto'), 'auto'),
    scale: c.get<string>('scale', 'tensor') === 'shared' ? 'shared' : 'tensor',
    precision: Math.max(1, Math.min(12, Math.round(c.get<number>('precision', 4)))),
    stages: oneOfOr(STAGE_SETS, c.get<string>('stages', 'all'), 'all'),
    locale: displayLocale(),
  };
}
