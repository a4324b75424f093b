import * as vscode from 'vscode';
import { PANEL_VIEW_TYPE, WebviewToHost } from '../protocol/messages';
import { ConvRunner, RunResult } from './commands/runConv';
import { PanelState, TracePanel } from './panel/tracePanel';

export const RUN_COMMAND = 'convVisualDebugger.run';

/** What activate() returns: lets integration tests watch the panel speak. */
export interface ConvVisualDebuggerApi {
  onDidReceivePanelMessage: vscode.Event<WebviewToHost>;
  run(uri?: vscode.Uri): Promise<RunResult | undefined>;
}

export function activate(context: vscode.ExtensionContext): ConvVisualDebuggerApi {
  const log = vscode.window.createOutputChannel('Conv Visual Debugger', { log: true });
  const panelMessages = new vscode.EventEmitter<WebviewToHost>();
  const runner = new ConvRunner(context, log, m => panelMessages.fire(m));
  context.subscriptions.push(
    log,
    panelMessages,
    runner,
    { dispose: () => TracePanel.active?.dispose() },
    vscode.commands.registerCommand(RUN_COMMAND, (uri?: vscode.Uri) => runner.run(uri)),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: PanelState | undefined) {
        TracePanel.revive(panel, context.extensionUri, m => panelMessages.fire(m), log);
        if (state?.specUri) await runner.run(vscode.Uri.parse(state.specUri));
      },
    }),
  );
  return { onDidReceivePanelMessage: panelMessages.event, run: uri => runner.run(uri) };
}

export function deactivate(): void {}
