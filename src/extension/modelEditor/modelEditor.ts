// The read-only editor of .onnx files (package.json "customEditors"): the document is the model's bytes, read
// through the workspace file system (also in the browser) and its facts (src/specReader/onnx/modelFacts.ts);
// each editor is a webview (webview/modelEditor/) that draws the graph from them and asks for an initializer's
// statistics or values when the user hovers or opens one. "Run on…" traces the model from a spec made in memory
// (modelRun.ts) in the trace panel; a node clicked after that reveals its layer there.

import * as path from 'path';
import * as vscode from 'vscode';
import { type Locale } from '../../l10n/locale';
import { HostToModelEditor, MODEL_EDITOR_VIEW_TYPE, ModelEditorToHost, ModelView, checkModelEditorMessage } from '../../protocol/modelEditor';
import { ModelFacts, modelFacts, initializerValues } from '../../specReader/onnx/modelFacts';
import type { Problem } from '../../specReader/problemCodes';
import { shownProblem } from '../../specReader/problemText';
import type { ConvRunner } from '../commands/runConv';
import { displayLocale } from '../displayLocale';
import { pageHtml } from '../panel/html';
import { PageLoadWatch } from '../panel/pageLoadWatch';
import { TracePanel } from '../panel/tracePanel';
import { traceSettings } from '../traceSettings';
import type { WorkspaceFiles } from '../workspaceFiles';
import { GivenRun, ModelRun, isGivenRun, pickModelRun, saveModelSpec } from './modelRun';

/** An initializer is viewed as a heatmap up to this many values. */
const HEATMAP_VALUES = 1 << 20;

/** An .onnx file: its bytes, and its facts or why it has none. */
export class ModelDocument implements vscode.CustomDocument {
  /** The last run made from this model's editor (its spec, to save). */
  lastRun: ModelRun | undefined;
  private reading: { facts: ModelFacts; problem?: undefined } | { facts?: undefined; problem: Problem } | undefined;
  private read: Uint8Array | undefined;
  /** Settles when the file was read (or could not be): `bytes`, `facts` and `problem` are known from then on. */
  readonly loaded: Promise<void>;

  /** `bytes`: the file's, read while the editor's page starts (a 45 MB model takes about 0.2 s). */
  constructor(readonly uri: vscode.Uri, bytes: Promise<Uint8Array>, readonly opening: OpeningTimes) {
    this.loaded = bytes.then(b => { this.read = b; }, (e: unknown) => {
      this.reading = { problem: { code: 'file.unreadable', args: { why: e instanceof Error ? e.message : String(e) } } };
    }).finally(() => { this.opening.readMs = Date.now() - this.opening.at; });
  }

  static open(uri: vscode.Uri): ModelDocument {
    return new ModelDocument(uri, Promise.resolve(vscode.workspace.fs.readFile(uri)), { at: Date.now() });
  }

  /** The file's bytes (empty until `loaded`, or when it could not be read). */
  get bytes(): Uint8Array { return this.read ?? new Uint8Array(0); }

  /** The graph, its shapes and costs, worked out on first use after `loaded`: the page loads meanwhile, so the two overlap. */
  get facts(): ModelFacts | undefined { return this.readFacts().facts; }
  /** Why the file could not be read as a model. */
  get problem(): Problem | undefined { return this.readFacts().problem; }

  private readFacts() {
    if (!this.reading) {
      const started = Date.now();
      const result = modelFacts(this.bytes, traceSettings().maxElements);
      this.reading = 'problem' in result ? { problem: result.problem } : { facts: result.facts };
      this.opening.factsMs = Date.now() - started;
    }
    return this.reading;
  }

  dispose(): void {}
}

/** When VS Code asked for the document (Date.now()), and how long reading its bytes and its facts took: the log says where the wait went. */
interface OpeningTimes { at: number; readMs?: number; factsMs?: number; readyMs?: number; frameWaitMs?: number }

/** What an open model editor shows, for tests: its file and the node boxes its webview drew. */
export interface ModelEditorState { uri: string; nodes: number; rendered: boolean; milliseconds?: number }

/** The model's facts as the webview shows them: problems in the user's language. */
export function modelView(file: string, facts: ModelFacts, locale: Locale): ModelView {
  return {
    file, producer: [facts.producer, facts.producerVersion].filter(Boolean).join(' '), opset: facts.opset,
    inputs: facts.inputs, outputs: facts.outputs, plannedInput: facts.plannedInput,
    nodes: facts.nodes.map(n => ({
      name: n.name, op: n.op, domain: n.domain, attributes: n.attributes, inputs: n.inputs, outputs: n.outputs, layer: n.layer,
      ...(n.cost ? { flops: n.cost.flops, params: n.cost.params } : {}),
      ...(n.problem ? { problem: shownProblem(n.problem, locale) } : {}),
    })),
    initializers: facts.initializers, totals: facts.totals,
    problems: facts.problems.map(p => shownProblem(p, locale)),
  };
}

export class ModelEditorProvider implements vscode.CustomReadonlyEditorProvider<ModelDocument> {
  private readonly editors = new Map<vscode.WebviewPanel, { document: ModelDocument; state: ModelEditorState }>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runner: ConvRunner,
    private readonly files: WorkspaceFiles,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  static register(context: vscode.ExtensionContext, runner: ConvRunner, files: WorkspaceFiles, log: vscode.LogOutputChannel): ModelEditorProvider {
    const provider = new ModelEditorProvider(context.extensionUri, runner, files, log);
    context.subscriptions.push(
      vscode.window.registerCustomEditorProvider(MODEL_EDITOR_VIEW_TYPE, provider, { webviewOptions: { retainContextWhenHidden: true } }),
      // A second argument {"input": "random", "target"?: k} runs without asking (scripts, tests).
      vscode.commands.registerCommand('convVisualDebugger.runModel', (uri?: unknown, given?: unknown) => provider.run(uri instanceof vscode.Uri ? uri : undefined, isGivenRun(given) ? given : undefined)),
      vscode.commands.registerCommand('convVisualDebugger.saveModelSpec', (uri?: unknown) => provider.saveSpec(uri instanceof vscode.Uri ? uri : undefined)),
    );
    return provider;
  }

  /** The open model editors and what each drew. */
  states(): ModelEditorState[] {
    return [...this.editors.values()].map(e => ({ ...e.state }));
  }

  /** Each model's last run, kept when its editor closes: the panel still shows it, so a reopened editor's nodes open its layers. */
  private readonly lastRuns = new Map<string, ModelRun>();

  /** At once: the file is read while the editor's page starts. */
  openCustomDocument(uri: vscode.Uri): ModelDocument {
    const document = ModelDocument.open(uri);
    document.lastRun = this.lastRuns.get(uri.toString());
    return document;
  }

  resolveCustomEditor(document: ModelDocument, panel: vscode.WebviewPanel): void {
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')] };
    const setPage = () => { webview.html = pageHtml(webview, this.extensionUri, 'modelEditor.js', 'modelEditor.css', '<main id="app" aria-busy="true"></main>'); };
    setPage();
    const pageWatch = new PageLoadWatch(panel, setPage, this.log, `${path.basename(document.uri.path)}'s`);
    // The page loads in the workbench while this host works out the graph (a 45 MB model: about half a second).
    void document.loaded.then(() => setTimeout(() => void document.facts, 0));
    const state: ModelEditorState = { uri: document.uri.toString(), nodes: 0, rendered: false };
    this.editors.set(panel, { document, state });
    const post = (m: HostToModelEditor) => void webview.postMessage(m);
    panel.onDidDispose(() => { pageWatch.dispose(); this.editors.delete(panel); });
    webview.onDidReceiveMessage(raw => {
      let message: ModelEditorToHost;
      try {
        message = checkModelEditorMessage(raw);
      } catch (e) {
        this.log.error(`model editor: ${(e as Error).message}`);
        return;
      }
      if (message.type === 'ready') pageWatch.loaded();
      void this.handle(message, document, state, post, panel);
    });
  }

  private async handle(message: ModelEditorToHost, document: ModelDocument, state: ModelEditorState, post: (m: HostToModelEditor) => void, editor: vscode.WebviewPanel): Promise<void> {
    const locale = displayLocale();
    const file = path.basename(document.uri.path);
    if (message.type === 'ready' && document.opening.readyMs === undefined) Object.assign(document.opening, { readyMs: Date.now() - document.opening.at, frameWaitMs: message.frameWaitMs });
    await document.loaded;
    switch (message.type) {
      case 'ready':
        if (document.facts) post({ type: 'model', locale, model: modelView(file, document.facts, locale) });
        else post({ type: 'failed', locale, file, message: shownProblem(document.problem!, locale) });
        if (document.lastRun) post({ type: 'ran', label: document.lastRun.label });
        return;
      case 'rendered':
        Object.assign(state, { nodes: message.nodes, rendered: true, milliseconds: message.milliseconds });
        // The e2e timing mode reads this line: the second figure is the wait from the file's opening.
        this.log.info(`${file}: graph of ${message.nodes} nodes on screen in ${Math.round(message.milliseconds)} ms, ${Date.now() - document.opening.at} ms after the file was opened ` +
          `(file read in ${document.opening.readMs} ms, its graph and shapes in ${document.opening.factsMs} ms, the page ready at ${document.opening.readyMs} ms, ` +
          `its frame having waited ${document.opening.frameWaitMs ?? '?'} ms for the webview to start)`);
        // With the graph on screen (not while it is worked out): the trace worker warms up for the model's first run.
        this.runner.warmWorkers();
        return;
      case 'statistics': {
        const read = initializerValues(document.bytes, message.name, traceSettings().maxElements);
        post('problem' in read ? { type: 'statistics', name: message.name, message: shownProblem(read.problem, locale) } : { type: 'statistics', name: message.name, statistics: read.statistics });
        return;
      }
      case 'values':
        post(this.values(document, message.name, locale));
        return;
      case 'run':
        await this.run(document.uri);
        return;
      case 'saveSpec':
        await this.saveSpec(document.uri);
        return;
      case 'saveLayerSpec':
        // The panel keeps the run; its layer `layer` is this node's.
        if (document.lastRun && TracePanel.active) await TracePanel.active.saveLayerSpec(message.layer);
        else void vscode.window.showInformationMessage(vscode.l10n.t('Run the model first: "Run on…" makes the run whose layer is saved.'));
        return;
      case 'selected':
        // After a run of this model, its layer opens in the trace panel (beside the editor, the focus kept here),
        // which comes into view if it was behind another tab.
        if (message.layer !== undefined && document.lastRun && TracePanel.active) TracePanel.active.revealLayer(message.layer, editor.viewColumn);
        return;
    }
  }

  /** An initializer's values as float32, its first axis by the rest, or why not. */
  private values(document: ModelDocument, name: string, locale: Locale): HostToModelEditor {
    const read = initializerValues(document.bytes, name, Math.min(HEATMAP_VALUES, traceSettings().maxElements));
    if ('problem' in read) return { type: 'values', name, rows: 0, columns: 0, message: shownProblem(read.problem, locale) };
    const rows = read.shape.length > 1 ? read.shape[0] : 1;
    return { type: 'values', name, rows, columns: read.data.length / Math.max(rows, 1), data: Float32Array.from(read.data).buffer };
  }

  private documentOf(uri: vscode.Uri | undefined): ModelDocument | undefined {
    const active = [...this.editors].find(([panel]) => panel.active)?.[1].document;
    return uri ? [...this.editors.values()].find(e => e.document.uri.toString() === uri.toString())?.document ?? active : active;
  }

  private postAll(document: ModelDocument, m: HostToModelEditor): void {
    for (const [panel, e] of this.editors) if (e.document === document) void panel.webview.postMessage(m);
  }

  /** Asks for an input (and a class), then traces the model on it in the trace panel. */
  async run(uri?: vscode.Uri, given?: GivenRun): Promise<boolean> {
    const document = this.documentOf(uri);
    await document?.loaded;
    if (!document?.facts) return false;
    const run = await pickModelRun(document.uri, document.facts, this.files, given);
    if (!run) return false;
    // The model's bytes (45 MB for ResNet-18) go to the worker lent: a copy took ~300 ms of a ~1.2 s run.
    const result = await this.runner.execute({
      label: run.label, text: run.specText(vscode.Uri.joinPath(document.uri, '..')), folder: vscode.Uri.joinPath(document.uri, '..'), npy: run.files, ownNpy: true, source: document.uri,
    });
    if (!result) return false;
    document.lastRun = run;
    this.lastRuns.set(document.uri.toString(), run);
    this.postAll(document, { type: 'ran', label: run.label });
    return true;
  }

  /** Writes the last run's spec where the user picks (nothing is written otherwise). */
  async saveSpec(uri?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const document = this.documentOf(uri);
    if (!document?.lastRun) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Run the model first: its spec is made by "Run on…".'));
      return undefined;
    }
    return saveModelSpec(document.uri, document.lastRun);
  }
}
