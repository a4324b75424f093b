// "Conv: Run Conv Forward/Backward": picks the spec, traces it in a worker with
// progress and cancellation, and shows the result in the panel.

import * as path from 'path';
import * as vscode from 'vscode';
import type { ConvTrace } from '../../engine/trace';
import type { WebviewToHost } from '../../protocol/messages';
import { toWire } from '../../protocol/wire';
import { nonFiniteWarnings } from '../../spec/convSpec';
import { SpecError } from '../../spec/source';
import { TracePanel } from '../panel/tracePanel';
import { TraceCancelled, runTrace } from '../trace/traceRunner';
import { DEFAULT_MAX_ELEMENTS } from '../../engine/trace';

export interface RunResult {
  uri: vscode.Uri;
  trace: ConvTrace;
  traceId: number;
}

function isJsonDocument(doc: vscode.TextDocument): boolean {
  return doc.languageId === 'json' || doc.languageId === 'jsonc' || /\.json$/i.test(doc.fileName);
}

export class ConvRunner implements vscode.Disposable {
  private nextTraceId = 1;
  private inFlight: AbortController | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly onPanelMessage: (m: WebviewToHost) => void,
  ) {}

  /** The spec to run: the explorer's or editor title's URI, else the active JSON editor, else a pick among *.conv.json. */
  private async pickSpec(uri?: vscode.Uri): Promise<vscode.TextDocument | undefined> {
    if (uri instanceof vscode.Uri) return vscode.workspace.openTextDocument(uri);
    const active = vscode.window.activeTextEditor?.document;
    if (active && isJsonDocument(active)) return active;
    // The focused tab may be a JSON file whose editor the extension host has not heard of yet (just opened).
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (tab instanceof vscode.TabInputText && /\.json$/i.test(tab.uri.path)) return vscode.workspace.openTextDocument(tab.uri);
    const found = await vscode.workspace.findFiles('**/*.conv.json', '**/node_modules/**', 200);
    if (found.length === 0) {
      void vscode.window.showErrorMessage('Conv Visual Debugger: open a conv spec (a JSON file with "input" and "weight") first.');
      return undefined;
    }
    let pick = found[0];
    if (found.length > 1) {
      const items = found
        .map(u => ({ label: path.basename(u.fsPath), description: vscode.workspace.asRelativePath(u, false), uri: u }))
        .sort((a, b) => a.description.localeCompare(b.description));
      const chosen = await vscode.window.showQuickPick(items, { title: 'Run Conv Forward/Backward', placeHolder: 'Which conv spec?' });
      if (!chosen) return undefined;
      pick = chosen.uri;
    }
    return vscode.workspace.openTextDocument(pick);
  }

  async run(uri?: vscode.Uri): Promise<RunResult | undefined> {
    const doc = await this.pickSpec(uri);
    if (!doc) return undefined;
    const file = vscode.workspace.asRelativePath(doc.uri, false);
    const name = path.basename(doc.uri.path);
    this.inFlight?.abort();
    const abort = new AbortController();
    this.inFlight = abort;

    const panel = TracePanel.show(this.context.extensionUri, this.onPanelMessage, this.log);
    panel.setTitle(`Conv: ${name}`);
    panel.post({ type: 'running', file });
    const maxElements = vscode.workspace.getConfiguration('convVisualDebugger').get<number>('maxElements', DEFAULT_MAX_ELEMENTS);
    const worker = vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'traceWorker.js').fsPath;
    const started = Date.now();
    try {
      const trace = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Conv: tracing ${name}`, cancellable: true },
        (_progress, token) => {
          token.onCancellationRequested(() => abort.abort());
          return runTrace({ file, text: doc.getText(), options: { maxElements } }, worker, abort.signal);
        },
      );
      const warnings = nonFiniteWarnings(trace);
      if (trace.rot180 && !trace.rot180.agrees) warnings.push(`col2im and rot180 disagree on ∂C/∂a by ${trace.rot180.maxAbsDiff}`);
      for (const w of warnings) this.log.warn(`${file}: ${w}`);
      const traceId = this.nextTraceId++;
      this.log.info(`${file}: traced in ${Date.now() - started} ms (trace ${traceId})`);
      panel.showTrace(trace, { type: 'trace', trace: toWire(trace, traceId, file, warnings, doc.uri.toString()) });
      return { uri: doc.uri, trace, traceId };
    } catch (e) {
      if (e instanceof TraceCancelled) {
        this.log.info(`${file}: cancelled`);
        if (this.inFlight === abort) panel.post({ type: 'failed', file, message: 'Cancelled.' });
        return undefined;
      }
      const message = e instanceof Error ? e.message : String(e);
      this.log.error(message);
      panel.post({ type: 'failed', file, message });
      void this.reportFailure(doc, e, message);
      return undefined;
    } finally {
      if (this.inFlight === abort) this.inFlight = undefined;
    }
  }

  private async reportFailure(doc: vscode.TextDocument, e: unknown, message: string): Promise<void> {
    const position = e instanceof SpecError ? e.position : undefined;
    const choice = await vscode.window.showErrorMessage(message, ...(position ? ['Go to Problem'] : []));
    if (choice && position) {
      const start = doc.positionAt(position.offset);
      const end = doc.positionAt(position.offset + position.length);
      await vscode.window.showTextDocument(doc, { selection: new vscode.Range(start, end) });
    }
  }

  dispose(): void {
    this.inFlight?.abort();
  }
}
