import * as vscode from 'vscode';
import { namedTensors } from '../format/text';
import type { StageId } from '../engine/trace';
import { isStageId } from '../engine/layerKinds/views';
import { HostToWebview, PANEL_VIEW_TYPE, WebviewToHost } from '../protocol/messages';
import { ConvRunner, RunResult } from './commands/runConv';
import { SelectionRun } from './commands/selectionRun';
import { registerConvDebugger } from './debug/convDebug';
import { RealPath, WorkspaceFiles } from './workspaceFiles';
import { CompareArgs, TensorInspector } from './debug/inspector';
import { SpecCodeLensProvider } from './language/codeLens';
import { SpecDiagnostics } from './language/diagnostics';
import { LiveRerun } from './commands/liveRerun';
import { debugExample, exampleUri, openExample, registerBundledExamples } from './commands/workedExample';
import { TensorHoverProvider } from './language/hover';
import { JsonDocuments, isJsonDocument, isSpecFileName } from './language/jsonDocuments';
import { mayBeSpecText } from '../specReader/convSpec';
import { ModelEditorProvider, ModelEditorState } from './modelEditor/modelEditor';
import { PanelState, TracePanel } from './panel/tracePanel';
import { type ReusingWorkers, type TraceWorkers, reusingWorkers } from './trace/traceRunner';

export const RUN_COMMAND = 'convVisualDebugger.run';

/** What the run command returns: small and serializable. */
export interface RunSummary {
  traceId: number;
  uri: string;
  /** Tensor name → shape. */
  shapes: Record<string, number[]>;
  /** The parts of the run's products the engine's helper threads ran (desktop trace workers; absent on the web). */
  helperJobs?: number;
  /** The bytes of the trace it replaced that the run made its tensors in (absent: it was given none). */
  reusedBytes?: number;
}

function summarize(result: RunResult | undefined): RunSummary | undefined {
  if (!result) return undefined;
  const shapes: Record<string, number[]> = {};
  const tensors = namedTensors(result.trace);
  for (const name of tensors.names) shapes[name] = [...tensors.get(name)!.shape];
  return { traceId: result.traceId, uri: result.uri.toString(), shapes, helperJobs: result.helperJobs, reusedBytes: result.reusedBytes };
}

/** What activate() returns: lets integration tests (and other extensions) drive the panel and watch it speak. */
export interface ConvVisualDebuggerApi {
  onDidReceivePanelMessage: vscode.Event<WebviewToHost>;
  run(uri?: vscode.Uri): Promise<RunResult | undefined>;
  /** Shows a stage and/or links a cell in the open panel. */
  focus(message: Extract<HostToWebview, { type: 'focus' }>): boolean;
  /** A document's spec problems, computed now (no debounce). */
  diagnostics(doc: vscode.TextDocument): Promise<readonly vscode.Diagnostic[]>;
  /** The open model editors (.onnx files) and the node boxes each drew. */
  modelEditors(): ModelEditorState[];
}

/** What differs between the desktop (Node) and the browser extension host. */
export interface HostPlatform {
  /** Where trace jobs run (worker threads, web workers); undefined runs them inline. */
  traceWorkers(context: vscode.ExtensionContext): Promise<TraceWorkers | undefined>;
  /** Resolves a file: URI's links, so a link cannot lead a spec out of its workspace folder (absent in the browser). */
  realPath?: RealPath;
}

/** Both entries' activate: everything but the platform is shared. */
export function activateExtension(context: vscode.ExtensionContext, platform: HostPlatform): ConvVisualDebuggerApi {
  const log = vscode.window.createOutputChannel('Conv Visual Debugger', { log: true });
  const panelMessages = new vscode.EventEmitter<WebviewToHost>();
  const files = new WorkspaceFiles(platform.realPath);
  const runner = new ConvRunner(context, log, m => panelMessages.fire(m), once(() => reusedWorkers(context, platform)), files);
  const documents = new JsonDocuments(files);
  const selection = new SelectionRun(documents, runner, files);
  const live = new LiveRerun(runner, documents, log);
  const diagnostics = new SpecDiagnostics(documents, log);
  const lenses = new SpecCodeLensProvider(documents, RUN_COMMAND);
  const jsonSelector: vscode.DocumentSelector = [{ language: 'json' }, { language: 'jsonc' }];
  /** The palette's run: a selection in a JSON editor runs on the selection; otherwise the spec. */
  const run = async (uri?: vscode.Uri): Promise<RunResult | undefined> => {
    const editor = vscode.window.activeTextEditor;
    if (!(uri instanceof vscode.Uri) && editor && isJsonDocument(editor.document) && !editor.selection.isEmpty) return selection.run(editor);
    const doc = await runner.pickSpec(uri);
    return doc ? runner.runDocument(doc) : undefined;
  };
  context.subscriptions.push(
    log,
    live,
    vscode.workspace.onDidChangeConfiguration(e => { if (e.affectsConfiguration('convVisualDebugger.panel')) TracePanel.settingsChanged(); }),
    panelMessages,
    runner,
    { dispose: () => TracePanel.active?.dispose() },
    // A command's result travels back to whoever ran it (the palette, another extension) as JSON:
    // return a summary, never the trace, whose tensors would be serialized cell by cell.
    vscode.commands.registerCommand(RUN_COMMAND, async (uri?: vscode.Uri): Promise<RunSummary | undefined> => summarize(await run(uri))),
    vscode.commands.registerCommand('convVisualDebugger.runSelection', async (): Promise<RunSummary | undefined> => {
      const editor = vscode.window.activeTextEditor;
      return editor ? summarize(await selection.run(editor)) : undefined;
    }),
    // The last selection run's choices as a spec (a target URI skips the save dialog); returns where it was saved.
    vscode.commands.registerCommand('convVisualDebugger.saveSelectionRun', async (target?: unknown): Promise<string | undefined> =>
      (await selection.save(target instanceof vscode.Uri ? target : undefined))?.toString()),
    documents,
    diagnostics,
    lenses,
    vscode.languages.registerHoverProvider(jsonSelector, new TensorHoverProvider(documents)),
    vscode.languages.registerCodeLensProvider(jsonSelector, lenses),
    vscode.commands.registerCommand('convVisualDebugger.nextStage', () => TracePanel.active?.send({ type: 'step', delta: 1 })),
    vscode.commands.registerCommand('convVisualDebugger.previousStage', () => TracePanel.active?.send({ type: 'step', delta: -1 })),
    // A layer index (a model editor's node, a test) saves that layer of the network on show; without, the open one.
    vscode.commands.registerCommand('convVisualDebugger.saveLayerSpec', async (layer?: unknown): Promise<string | undefined> => {
      if (!TracePanel.active) {
        void vscode.window.showInformationMessage(vscode.l10n.t('Save Layer as Spec… saves a layer of a network or model the panel shows: run one first.'));
        return undefined;
      }
      return (await TracePanel.active.saveLayerSpec(Number.isSafeInteger(layer) ? layer as number : undefined))?.toString();
    }),
    registerBundledExamples(context.extensionUri),
    vscode.commands.registerCommand('convVisualDebugger.openWorkedExample', (name?: unknown) => openExample(name)),
    vscode.commands.registerCommand('convVisualDebugger.debugWorkedExample', () => debugExample()),
    // The walkthrough's stage links: with no panel open yet, the worked example runs first.
    vscode.commands.registerCommand('convVisualDebugger.showStage', async (stage?: unknown): Promise<boolean> => {
      if (!isStageId(stage)) return false;
      if (!TracePanel.active) {
        const uri = await exampleUri();
        if (!uri || !await run(uri)) return false;
      }
      TracePanel.active?.send({ type: 'focus', stage: stage as StageId });
      return TracePanel.active !== undefined;
    }),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: PanelState | undefined) {
        TracePanel.revive(panel, context.extensionUri, m => panelMessages.fire(m), log);
        if (state?.specUri) await run(vscode.Uri.parse(state.specUri));
      },
    }),
  );
  registerConvDebugger(context, runner, files, log);
  warmWorkersForSpecs(context, runner);
  const models = ModelEditorProvider.register(context, runner, files, log);
  const inspector = new TensorInspector(runner, context.extensionUri, m => panelMessages.fire(m), log);
  context.subscriptions.push(
    panelMessages.event(m => inspector.handle(m)),
    vscode.commands.registerCommand('convVisualDebugger.inspectTensor', (expression?: unknown) => inspector.inspect(typeof expression === 'string' ? expression : undefined)),
    vscode.commands.registerCommand('convVisualDebugger.showVariable', (arg?: { variable?: { name: string; evaluateName?: string } }) => inspector.showVariable(arg)),
    vscode.commands.registerCommand('convVisualDebugger.compareWithReference', (args?: CompareArgs) => inspector.compare(args && typeof args === 'object' ? args : {})),
  );
  return {
    onDidReceivePanelMessage: panelMessages.event,
    // The caller keeps the trace as long as it likes: a later run does not reuse its arrays.
    run: async uri => {
      const result = await run(uri);
      if (result) runner.handOut(result.trace);
      return result;
    },
    diagnostics: doc => diagnostics.update(doc),
    modelEditors: () => models.states(),
    focus: message => {
      const panel = TracePanel.active;
      panel?.send(message);
      return panel !== undefined;
    },
  };
}

/** The platform's trace workers, each run on one an earlier run is done with when one is idle (terminated with the extension). */
async function reusedWorkers(context: vscode.ExtensionContext, platform: HostPlatform): Promise<ReusingWorkers | undefined> {
  const workers = await platform.traceWorkers(context);
  if (!workers) return undefined;
  const reused = reusingWorkers(workers);
  context.subscriptions.push({ dispose: reused.dispose });
  return reused;
}

/**
 * The trace worker starts, warmed up on a small network, once a spec is in view (a moment later: not in the middle of
 * the window's own start), so that the first Run finds its code compiled (a model editor asks once its graph shows).
 */
function warmWorkersForSpecs(context: vscode.ExtensionContext, runner: ConvRunner): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const inView = (editor: vscode.TextEditor | undefined) => {
    const doc = editor?.document;
    if (timer || !doc || !isJsonDocument(doc) || !(isSpecFileName(doc.uri) || mayBeSpecText(doc.getText()))) return;
    timer = setTimeout(() => runner.warmWorkers(), WARM_UP_DELAY_MS);
  };
  inView(vscode.window.activeTextEditor);
  context.subscriptions.push(vscode.window.onDidChangeActiveTextEditor(inView), { dispose: () => clearTimeout(timer) });
}

const WARM_UP_DELAY_MS = 1000;

/** Calls `make` the first time only. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
