// Live re-runs: when the spec the panel shows is saved (or, if asked, as it is
// edited, after a pause in typing), it runs again and the panel updates in place,
// keeping its stage and pinned cell. As-you-type runs wait until the spec has no
// problems, so half-typed JSON never flashes an error. Read from the settings at
// each change, so a new choice applies at once.

import * as vscode from 'vscode';
import type { JsonDocuments } from '../language/jsonDocuments';
import type { ConvRunner } from './runConv';
import { TRACE_SETTINGS } from '../traceSettings';

export type LiveRerunMode = 'off' | 'onSave' | 'onType';

function settings(): { mode: LiveRerunMode; delay: number } {
  const c = vscode.workspace.getConfiguration('convVisualDebugger');
  return { mode: c.get<LiveRerunMode>('liveRerun', 'onSave'), delay: c.get<number>('liveRerunDelay', 400) };
}

export class LiveRerun implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly runner: ConvRunner, private readonly documents: JsonDocuments, private readonly log: vscode.LogOutputChannel) {
    this.subscriptions = [
      vscode.workspace.onDidSaveTextDocument(doc => {
        if (settings().mode !== 'off' && runner.isShowing(doc.uri)) this.rerun(doc, 'saved');
      }),
      // A setting that changes what the trace computes: the shown spec runs again with it.
      vscode.workspace.onDidChangeConfiguration(e => {
        const doc = runner.shownDocument();
        if (doc && TRACE_SETTINGS.some(s => e.affectsConfiguration(s))) this.rerun(doc, 'settings changed');
      }),
      vscode.workspace.onDidChangeTextDocument(e => {
        const { mode, delay } = settings();
        if (mode !== 'onType' || e.contentChanges.length === 0 || !runner.isShowing(e.document.uri)) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.whenValid(e.document), delay);
      }),
    ];
  }

  private async whenValid(doc: vscode.TextDocument): Promise<void> {
    const state = await this.documents.spec(doc);
    if (!state || state.analysis.problems.length > 0) return;
    this.rerun(doc, 'edited');
  }

  private rerun(doc: vscode.TextDocument, why: string): void {
    this.log.info(`${vscode.workspace.asRelativePath(doc.uri, false)} ${why}: running again`);
    void this.runner.runDocument(doc, true);
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const s of this.subscriptions) s.dispose();
  }
}
