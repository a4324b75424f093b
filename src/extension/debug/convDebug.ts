// Wires the conv debugger into VS Code: F5 on a spec without a launch.json
// (a DebugConfigurationProvider), an inline adapter running ConvDebugSession in
// the extension host, and the panel following every stop.

import * as vscode from 'vscode';
import { loadSpec } from '../../debug/loadSpec';
import { IN_PROCESS_WORK, checkGradientCell } from '../../engine/gradcheck';
import { canonicalSpec, isUriString } from '../../debug/specPath';
import type { LoadedSpec } from '../../debug/loadSpec';
import type { TraceOptions } from '../../engine/trace';
import { EarlyLoad } from './earlyLoad';
import type { ConvRuntime, Position } from '../../debug/runtime';
import { acceptsArguments } from '../../debug/requests';
import { ConvDebugSession } from '../../debug/session';
import type { ConvRunner, GradientChecker } from '../commands/runConv';
import { isJsonDocument } from '../language/jsonDocuments';
import { TracePanel } from '../panel/tracePanel';
import { traceSettings } from '../traceSettings';
import { displayLocale } from '../displayLocale';
import type { WorkspaceFiles } from '../workspaceFiles';

export const DEBUG_TYPE = 'conv';

/** What a launch loads: the spec (as the session names it) and the options it traces with. */
const loadKey = (spec: string, options: TraceOptions) => JSON.stringify([spec, options.maxElements, options.dtype ?? null]);

class ConvConfigurationProvider implements vscode.DebugConfigurationProvider {
  /** When VS Code last asked (Date.now()): the log says how long it took from there to the launch request. */
  resolvedAt = 0;

  constructor(private readonly final: (spec: string, options: TraceOptions) => void) {}

  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    this.resolvedAt = Date.now();
    // F5 with no launch.json: debug the spec in the active editor, named here rather than as `${file}`, which
    // VS Code resolves later from its own idea of the active editor (another file, when the focus is moving).
    if (!config.type && !config.request && !config.name) {
      const doc = vscode.window.activeTextEditor?.document;
      const spec = doc?.uri.scheme === 'file' ? doc.uri.fsPath : doc?.uri.toString();
      if (doc && isJsonDocument(doc)) config = { type: DEBUG_TYPE, request: 'launch', name: 'Debug conv spec', spec, stopOnEntry: true };
    }
    if (!config.spec) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a conv spec (*.conv.json) to debug it, or set "spec" in launch.json.'));
      return undefined;
    }
    const { maxElements, dtype } = traceSettings();
    config.maxElements ??= maxElements;
    config.dtype ??= dtype;
    return config;
  }

  resolveDebugConfigurationWithSubstitutedVariables(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration {
    // ${file} became a path; where files are not on this host's disk (the browser, virtual workspaces) name the spec by its URI.
    if (typeof config.spec === 'string' && !isUriString(config.spec)) {
      const uri = specUriOf(config.spec);
      if (uri.scheme !== 'file') config.spec = uri.toString();
    }
    // The launch request carries this configuration: its spec can be read and traced now (saved: VS Code saves
    // before it resolves, and runs a preLaunchTask before this call), if the launch would take its arguments (else it
    // answers with the problem, and nothing is loaded).
    if (config.request === 'launch' && acceptsArguments('launch', config)) {
      this.final(canonicalSpec(config.spec), { maxElements: config.maxElements, ...(config.dtype ? { dtype: config.dtype } : {}) });
    }
    return config;
  }
}

/** The document a spec path names: an open editor's, else in the workspace's file system. */
function specUriOf(spec: string): vscode.Uri {
  if (isUriString(spec)) return vscode.Uri.parse(spec);
  const open = vscode.workspace.textDocuments.find(d => d.uri.fsPath === spec || d.uri.path === spec);
  if (open) return open.uri;
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder && folder.uri.scheme !== 'file' ? folder.uri.with({ path: spec }) : vscode.Uri.file(spec);
}

export function registerConvDebugger(context: vscode.ExtensionContext, runner: ConvRunner, files: WorkspaceFiles, log: vscode.LogOutputChannel): void {
  /** Opens the panel beside the spec rather than under it, before the first stop (once: moving at every stop would fight the user's layout). */
  const open = async (runtime: ConvRuntime) => {
    const uri = specUriOf(runtime.specPath);
    await runner.openPanel(vscode.workspace.asRelativePath(uri, false)).stepAsideFrom(uri);
  };
  /** Shows a session's trace in the panel, once VS Code drew the first stop. */
  const show = (runtime: ConvRuntime) => {
    const uri = specUriOf(runtime.specPath);
    // The session has the spec's problem: its gradient check runs here, if it is small enough not to be felt.
    const problem = runtime.problem;
    const check: GradientChecker | undefined = problem && (async (name, analytic, index) => checkGradientCell(problem, name, analytic, index, runtime.exprElements, IN_PROCESS_WORK));
    runner.present(runtime.trace, vscode.workspace.asRelativePath(uri, false), uri, undefined, check);
  };
  /** The panel follows every stop. */
  const follow = (runtime: ConvRuntime, position: Position) => {
    const step = runtime.stepAt(position);
    const changed = runtime.changed(position);
    TracePanel.active?.send({
      type: 'focus', stage: step.stage.id, ...(step.layer === undefined ? {} : { layer: step.layer }),
      ...(changed?.tensor && changed.index ? { target: { tensor: changed.tensor, index: changed.index }, pin: true } : {}),
    });
  };
  const load = (spec: string, options: TraceOptions) =>
    // Traced in the trace worker, warm by then, where a big spec cannot freeze the extension host.
    loadSpec(spec, files.fileSystem(specUriOf), options, files.folderOf(specUriOf(spec)).toString(), (file, text, npy, opts) => runner.traceOffThread(file, text, npy, opts));
  const early = new EarlyLoad<LoadedSpec>();
  const provider = new ConvConfigurationProvider((spec, options) => early.begin(loadKey(spec, options), () => load(spec, options)));
  context.subscriptions.push(
    // A file saved after the load began: the launch reads it again.
    vscode.workspace.onDidSaveTextDocument(() => early.forget()),
    { dispose: () => early.forget() },
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
      createDebugAdapterDescriptor: () => {
        const madeAt = Date.now();
        /** When the load this session took began, if before its launch: its log line says so. */
        let begunEarly: number | undefined;
        return new vscode.DebugAdapterInlineImplementation(new ConvDebugSession({
          load: (spec, options) => {
            const taken = early.take(loadKey(spec, options));
            begunEarly = taken?.begun;
            return taken?.load ?? load(spec, options);
          },
          started: open,
          shown: show,
          stopped: follow,
          // The e2e timing mode reads this line beside the wait it measures in the workbench.
          firstStopTimes: t => log.info(`debug: first stop sent ${t.stopped} ms after the launch request (configured at ${t.configured} ms, ` +
            `spec read and traced at ${t.loaded} ms${begunEarly === undefined ? '' : ` (begun ${madeAt - begunEarly} ms before the adapter was made, at F5's configuration)`}, ` +
            `the panel placed at ${t.placed} ms), its stack asked for at ${t.stackAsked} ms; ` +
            `the adapter was made ${madeAt - provider.resolvedAt} ms after F5's configuration was resolved (at ${provider.resolvedAt})`),
          locale: displayLocale(),
        }));
      },
    }),
  );
}
