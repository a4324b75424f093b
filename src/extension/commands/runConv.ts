// "Conv: Run Conv Forward/Backward": picks what to run (a spec, or the array
// selected in any JSON file), traces it in a worker thread with progress and
// cancellation, and shows the result in the panel.

import * as path from 'path';
import * as vscode from 'vscode';
import { type AttributionKind, type AttributionMap, networkInputOf } from '../../engine/featureMaps';
import type { CellCheck } from '../../engine/gradcheck';
import type { LayerGeometry } from '../../engine/layerKinds/view';
import { LayerTrace, isNetworkTrace, qualifiedName } from '../../engine/network';
import type { Tensor, TensorData } from '../../engine/tensor';
import type { ConvTrace, TensorName, TraceOptions, TraceTensor } from '../../engine/trace';
import { printable } from '../../format/safeText';
import { renderProblem, shownProblem } from '../../specReader/problemText';
import type { WebviewToHost } from '../../protocol/messages';
import { layerToWire, layerTraceId, networkToWire, toWire } from '../../protocol/wire';
import { EAGER_TOTAL_BYTES } from '../../protocol/messages';
import { AnyTrace, NpyFiles, nonFiniteWarnings } from '../../specReader/convSpec';
import { JsonSource, SpecError, jsonPath, specLocation } from '../../specReader/source';
import { isJsonDocument } from '../language/jsonDocuments';
import { ShownTrace, TracePanel, WaitedRun } from '../panel/tracePanel';
import { LayerSaving, defaultSpecUri, fileNameOf } from './saveLayerSpec';
import { KeptRun, ReusingWorkers, TraceCancelled, runAttribution, runGradientCheck, runKeptTrace, runTrace } from '../trace/traceRunner';
import { warmUpJob } from '../trace/warmUp';
import { type TraceJob, reusableArrays } from '../trace/traceJob';
import { traceSettings } from '../traceSettings';
import { displayLocale } from '../displayLocale';
import { withProgressIfSlow } from '../progress/progress';
import type { WorkspaceFiles } from '../workspaceFiles';

export interface RunResult {
  uri: vscode.Uri;
  trace: AnyTrace;
  traceId: number;
  /** The parts of its products the helper threads ran (undefined: it ran where there are none, inline or on the web). */
  helperJobs?: number;
  /** The bytes of the trace it replaced that it made its tensors in (undefined: none were given to it). */
  reusedBytes?: number;
}

/** What to trace: spec text, where it came from (for titles, .npy paths and problems). */
export interface RunInput {
  /** Shown in the panel and messages. */
  label: string;
  text: string;
  /** The spec document, when the text is one (for "Go to Problem" and restoring the panel). */
  document?: vscode.TextDocument;
  /** Where .npy paths are resolved from. */
  folder?: vscode.Uri;
  npy?: NpyFiles;
  /** `npy` was read for this run alone, and nothing else reads it: the run lends its bytes to the worker (TraceJob.lendNpy). */
  ownNpy?: true;
  /** A live re-run (the spec changed): progress in the status bar, failures only in the panel, the panel left where it is. */
  live?: boolean;
  /** When the command started (Date.now()), when it did before `execute`: the log says how long until the panel painted. */
  started?: number;
  /** The file the run was made from when it is not a spec document (a model): *Save Layer as Spec…* saves beside it. */
  source?: vscode.Uri;
}

/** What went wrong, for the user: a spec's problem in their language (English when no template knows it), or the error. */
/** What the notification and the panel's status line say: one printable line (it quotes the spec). */
function failureMessage(e: unknown): string {
  if (!(e instanceof SpecError)) return printable(e instanceof Error ? e.message : String(e));
  const where = specLocation(e.file, e.position);
  const problem = renderProblem(e.problem, displayLocale());
  return printable(e.path ? vscode.l10n.t('Conv spec error in {0} at {1}: {2}', where, jsonPath(e.path), problem) : vscode.l10n.t('Conv spec error in {0}: {1}', where, problem));
}

/** Bytes for the log: MB, or kB under 1 MB (a small spec's trace is a few kB). */
const byteSize = (bytes: number) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`);

/** Checks a cell of a gradient tensor (by its name in the trace) against finite differences. */
export type GradientChecker = (name: string, analytic: Tensor, index: readonly number[]) => Promise<CellCheck>;

/** Saliency, or Grad-CAM at layer `layer`, of the network that made a trace (its spec run again, lean, in a worker). */
export type Attributor = (kind: AttributionKind, layer: number, item: number) => Promise<AttributionMap>;

/** A trace as the panel keeps it, with its gradient check when there is one (`nameOf`: a tensor's name in the whole trace). */
function shownTrace(tensors: Partial<Record<TensorName, TraceTensor>>, geometry: LayerGeometry, check: GradientChecker | undefined, nameOf: (short: TensorName) => string): ShownTrace {
  const shown: ShownTrace = { tensors, geometry };
  if (!check) return shown;
  // The tensors on show (a lean layer's change when it is traced).
  shown.checkGradient = async (short: TensorName, index: readonly number[]) => {
    const analytic = shown.tensors[short];
    if (!analytic) throw new Error(vscode.l10n.t('{0} is not in this trace', short));
    return check(nameOf(short), analytic, index);
  };
  return shown;
}

/** How layer `index` of a kept run is saved as a spec of its own, beside `source` (the spec or model run) by default. */
function layerSaving(kept: KeptRun, index: number, layer: LayerTrace, label: string, source: vscode.Uri | undefined): LayerSaving {
  const name = layer.label ?? `${layer.name}`;
  const about = vscode.l10n.t('{0} ({1}) of the run {2}: the input that entered it, its parameters and the δ that reached it in that run, saved by Save Layer as Spec…', layer.label ? `${layer.name} ${layer.label}` : layer.name, layer.title, label);
  return {
    layer: index, about, files: specName => kept.layerSpec(index, about, specName),
    defaultUri: defaultSpecUri(source, name) ?? vscode.Uri.file(`${fileNameOf(name)}.conv.json`),
  };
}

/** How long the arrays of a trace the panel let go wait for the next run to reuse them (TraceJob.reuse). */
const SPARE_MS = 30_000;

export class ConvRunner implements vscode.Disposable {
  private nextTraceId = 1;
  private inFlight: AbortController | undefined;
  /** The arrays of the last trace the panel let go, for the next run; dropped after SPARE_MS. */
  private spare: { arrays: TensorData[]; timer: ReturnType<typeof setTimeout> } | undefined;
  /** Traces handed to someone beyond the panel (the API's callers): their arrays are never reused. */
  private readonly handedOut = new WeakSet<AnyTrace>();
  /** The spec document the panel shows, if it shows one. */
  private shownUri: string | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly onPanelMessage: (m: WebviewToHost) => void,
    /** Where traces run: worker threads on the desktop, web workers in the browser. */
    private readonly traceWorkers: () => Promise<ReusingWorkers | undefined>,
    /** The files specs name, from their workspace folder. */
    private readonly files: WorkspaceFiles,
  ) {}

  /**
   * Makes the trace worker ahead of the first run, warmed up on a small network (a spec or a model came into view);
   * not while a debug session starts or runs (its first stop, traced in the worker too, is waited for).
   */
  warmWorkers(): void {
    if (vscode.debug.activeDebugSession) return;
    const started = Date.now();
    void this.traceWorkers().then(workers => workers?.warm(warmUpJob(traceSettings()))).then(
      warmed => { if (warmed !== undefined) this.log.info(`trace worker ${warmed ? 'warmed up' : 'failed to warm up'} in ${Date.now() - started} ms`); },
      () => undefined);
  }

  /** The spec to run: the explorer's or editor title's URI, else the active JSON editor, else a pick among *.conv.json. */
  async pickSpec(uri?: vscode.Uri): Promise<vscode.TextDocument | undefined> {
    if (uri instanceof vscode.Uri) return vscode.workspace.openTextDocument(uri);
    const active = vscode.window.activeTextEditor?.document;
    if (active && isJsonDocument(active)) return active;
    // The focused tab may be a JSON file whose editor the extension host has not heard of yet (just opened).
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (tab instanceof vscode.TabInputText && /\.json$/i.test(tab.uri.path)) return vscode.workspace.openTextDocument(tab.uri);
    // The focus is elsewhere (a walkthrough, the panel): the one JSON spec in view is the one meant.
    const visible = vscode.window.visibleTextEditors.filter(e => isJsonDocument(e.document));
    if (visible.length === 1) return visible[0].document;
    const found = await vscode.workspace.findFiles('**/*.conv.json', '**/node_modules/**', 200);
    if (found.length === 0) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Conv Visual Debugger: open a conv spec (a JSON file with "input" and "weight"), or select an array in a JSON file, first.'));
      return undefined;
    }
    let pick = found[0];
    if (found.length > 1) {
      const items = found
        .map(u => ({ label: path.basename(u.fsPath), description: vscode.workspace.asRelativePath(u, false), uri: u }))
        .sort((a, b) => a.description.localeCompare(b.description));
      const chosen = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Run Conv Forward/Backward'), placeHolder: vscode.l10n.t('Which conv spec?') });
      if (!chosen) return undefined;
      pick = chosen.uri;
    }
    return vscode.workspace.openTextDocument(pick);
  }

  /** The open spec document the panel shows, if any. */
  shownDocument(): vscode.TextDocument | undefined {
    return TracePanel.active ? vscode.workspace.textDocuments.find(d => d.uri.toString() === this.shownUri) : undefined;
  }

  /** Whether the panel is open on this spec (live re-runs follow only that one). */
  isShowing(uri: vscode.Uri): boolean {
    return TracePanel.active !== undefined && this.shownUri === uri.toString();
  }

  /** Runs a spec document (its unsaved text, with the .npy files it names). */
  async runDocument(doc: vscode.TextDocument, live = false): Promise<RunResult | undefined> {
    const started = Date.now();
    const text = doc.getText();
    let npy: NpyFiles = new Map();
    try {
      npy = await this.files.npyFiles(doc.uri, JsonSource.parse(doc.fileName, text).value);
    } catch {
      // Malformed JSON: the trace reports it with its position.
    }
    return this.execute({ label: vscode.workspace.asRelativePath(doc.uri, false), text, document: doc, folder: vscode.Uri.joinPath(doc.uri, '..'), npy, ownNpy: true, live, started });
  }

  /** Traces in a worker with a cancellable progress notification, then shows the trace. */
  async execute(input: RunInput, transform?: (trace: ConvTrace) => ConvTrace): Promise<RunResult | undefined> {
    const { label, text, document } = input;
    const name = path.basename(label);
    this.inFlight?.abort();
    const abort = new AbortController();
    this.inFlight = abort;

    const panel = (input.live && TracePanel.active) || TracePanel.show(this.context.extensionUri, this.onPanelMessage, this.log);
    panel.setTitle(`Conv: ${name}`);
    if (!input.live) panel.post({ type: 'running', file: label });
    const options = traceSettings();
    const job: TraceJob = { file: label, text, options, npy: Object.fromEntries(input.npy ?? []) };
    // A network's layer the panel opens first comes traced with the run (no round trip to the worker for it).
    const openLayer = panel.layerToOpen(document?.uri.toString());
    // Taken after 'running' above let the trace on show go: a re-run makes its tensors in that trace's memory.
    const reuse = this.takeSpare();
    const started = input.started ?? Date.now();
    try {
      const { trace, kept, helperJobs, reusedBytes, jobMs } = await withProgressIfSlow(
        this.traceWorkers().then(workers => runKeptTrace({ ...job, openLayer, ...(reuse ? { reuse } : {}), ...(input.ownNpy ? { lendNpy: true } : {}) }, workers, abort.signal)),
        { location: input.live ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification, title: vscode.l10n.t('Conv: tracing {0}', name), cancellable: !input.live },
        () => abort.abort(),
      );
      const reused = reusedBytes ? `, in ${byteSize(reusedBytes)} of the trace it replaced` : '';
      const inWorker = jobMs !== undefined ? ` (${jobMs} in the worker)` : '';
      this.log.info(`${label}: traced in ${Date.now() - started} ms${inWorker}${reused}${helperJobs ? `, ${helperJobs} parts of its products on helper threads` : ''}`);
      // Comparisons (the transform) are of single convs.
      const shown = transform && !isNetworkTrace(trace) ? transform(trace) : trace;
      // A network's run stays in its worker: layers are traced from it when opened, attributions read from it. Once
      // the panel lets a trace go, its arrays go to the next run (not a comparison's: its caller reads it), and a
      // network's worker drops its run (the next run makes its tensors in that run's memory).
      const letGo = kept ? () => { kept.release(); this.keepSpare(trace); } : shown === trace ? () => this.keepSpare(trace) : undefined;
      const traceId = this.present(shown, label, document?.uri, { label, started }, this.gradientChecker(job), kept ? kept.attribute : this.attributor(job), kept, input.source, letGo);
      return { uri: document?.uri ?? vscode.Uri.parse(`untitled:${name}`), trace: shown, traceId, helperJobs, reusedBytes };
    } catch (e) {
      if (e instanceof TraceCancelled) {
        this.log.info(`${label}: cancelled`);
        if (this.inFlight === abort) panel.post({ type: 'failed', file: label, message: vscode.l10n.t('Cancelled.') });
        return undefined;
      }
      const message = failureMessage(e);
      this.log.error(printable(e instanceof Error ? e.message : String(e)));
      panel.post({ type: 'failed', file: label, message });
      // While editing, the Problems panel and the panel's status line say it; no pop-up per keystroke.
      if (!input.live) void this.reportFailure(document, e, message);
      return undefined;
    } finally {
      if (this.inFlight === abort) this.inFlight = undefined;
    }
  }

  /** The panel, in view and saying that `label` runs (a debug session's, before its first stop). */
  openPanel(label: string): TracePanel {
    const panel = TracePanel.show(this.context.extensionUri, this.onPanelMessage, this.log);
    panel.setTitle(`Conv: ${path.basename(label)}`);
    panel.post({ type: 'running', file: label });
    return panel;
  }

  /** Traces a spec's text in the trace worker (here where there is none): the debugger's trace, off the host's thread. */
  traceOffThread(file: string, text: string, npy: NpyFiles, options: TraceOptions): Promise<AnyTrace> {
    return this.traceWorkers().then(workers => runTrace({ file, text, options, npy: Object.fromEntries(npy) }, workers));
  }

  /** Checks a cell of one of a run's gradients: the spec run again in a worker. */
  private gradientChecker(job: TraceJob): GradientChecker {
    // The job's own copy of the values: a worker still warming up posts it later, when the next run may have taken
    // the trace's arrays (TraceJob.reuse).
    return (name, analytic, index) => this.traceWorkers().then(workers => runGradientCheck({
      ...job, gradient: { name, index: [...index], analytic: { shape: [...analytic.shape], dtype: analytic.dtype, data: analytic.data.slice() } },
    }, workers));
  }

  /** Saliency and Grad-CAM of a run's network: its spec run again, lean, in a worker. */
  private attributor(job: TraceJob): Attributor {
    return (kind, layer, item) => this.traceWorkers().then(workers => runAttribution({ ...job, attribution: { kind, layer, item } }, workers));
  }

  /**
   * Shows a trace in the panel (the debugger calls this with the trace it steps through); returns its id.
   * `check`: how the panel's gradient check runs, when the spec that made the trace is known.
   */
  present(trace: AnyTrace, label: string, uri?: vscode.Uri, waited?: WaitedRun, check?: GradientChecker, attribute?: Attributor, kept?: KeptRun, source = uri, letGo = kept?.release): number {
    this.shownUri = uri?.toString();
    const locale = displayLocale();
    const warnings = nonFiniteWarnings(trace).map(w => shownProblem(w, locale));
    if (!isNetworkTrace(trace) && trace.rot180 && !trace.rot180.agrees) warnings.push(vscode.l10n.t('col2im and rot180 disagree on ∂C/∂a by {0}', trace.rot180.maxAbsDiff));
    for (const w of warnings) this.log.warn(`${label}: ${w}`);
    const traceId = this.nextTraceId;
    const panel = TracePanel.show(this.context.extensionUri, this.onPanelMessage, this.log);
    panel.setTitle(`Conv: ${path.basename(label)}`);
    if (isNetworkTrace(trace)) {
      // The network takes one id, each layer the next ones.
      this.nextTraceId += 1 + trace.layers.length;
      const networkInput = networkInputOf(trace);
      const shown = new Map<number, ShownTrace>(trace.layers.map((l, i) => {
        const layer = Object.assign(shownTrace(l.tensors, l.geometry, check, short => qualifiedName(l, short)), {
          networkInput, ...(attribute ? { attribute: (kind: AttributionKind, item: number) => attribute(kind, i, item) } : {}),
        });
        if (l.lean && kept) layer.untraced = { tensors: l.tensors, trace: () => kept.traceLayer(i), wire: full => layerToWire(full, layerTraceId(traceId, i), label, trace.dtype, { bytes: EAGER_TOTAL_BYTES }, uri?.toString()) };
        // The loss, last when there is one, is not a layer of the run's problem.
        if (kept && !(trace.loss && i === trace.layers.length - 1)) layer.saving = layerSaving(kept, i, l, label, source);
        return [layerTraceId(traceId, i), layer];
      }));
      const network = networkToWire(trace, traceId, label, warnings, uri?.toString());
      // The layer the run traced for the panel to open first goes with it; the panel answers its requests from it.
      const open = kept?.opened;
      const untraced = open && shown.get(layerTraceId(traceId, open.index))?.untraced;
      const opened = open && untraced ? { index: open.index, layer: untraced.wire(open.layer) } : undefined;
      const wire = kept ? { ...network, savable: true, ...(opened ? { opened } : {}) } : network;
      panel.showTrace(shown, { type: 'network', network: wire }, waited, letGo, opened && open?.layer);
    } else {
      this.nextTraceId += 1;
      panel.showTrace(new Map([[traceId, shownTrace(trace.tensors, trace.geometry, check, short => short)]]), { type: 'trace', trace: toWire(trace, traceId, label, warnings, uri?.toString()) }, waited, letGo);
    }
    return traceId;
  }

  /** `trace` goes to a caller beyond the panel (the API's run), who may read it any time: its arrays are never reused. */
  handOut(trace: AnyTrace): void {
    this.handedOut.add(trace);
  }

  /** The panel let `trace` go: its arrays wait for the next run (replacing those of an earlier one). */
  private keepSpare(trace: AnyTrace): void {
    if (this.handedOut.has(trace)) return;
    this.takeSpare();
    const arrays = reusableArrays(trace);
    // takeSpare clears the timer of the arrays it takes.
    const timer = setTimeout(() => { this.spare = undefined; }, SPARE_MS);
    (timer as { unref?: () => void }).unref?.();
    this.spare = { arrays, timer };
  }

  private takeSpare(): TensorData[] | undefined {
    const spare = this.spare;
    this.spare = undefined;
    if (spare) clearTimeout(spare.timer);
    return spare?.arrays;
  }

  private async reportFailure(doc: vscode.TextDocument | undefined, e: unknown, message: string): Promise<void> {
    const position = e instanceof SpecError ? e.position : undefined;
    const goToProblem = vscode.l10n.t('Go to Problem');
    const showDetails = vscode.l10n.t('Show Details');
    const actions = [...(position && doc ? [goToProblem] : []), showDetails];
    const choice = await vscode.window.showErrorMessage(message, ...actions);
    if (choice === showDetails) this.log.show(true);
    if (choice === goToProblem && position && doc) {
      const start = doc.positionAt(position.offset);
      const end = doc.positionAt(position.offset + position.length);
      await vscode.window.showTextDocument(doc, { selection: new vscode.Range(start, end) });
    }
  }

  dispose(): void {
    this.inFlight?.abort();
    this.takeSpare();
  }
}
