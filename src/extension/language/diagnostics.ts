// Problems of conv specs in the Problems panel, each at the exact range of the
// offending array or value; updated as the user types (debounced: big documents
// once typing stops), cleared when fixed.

import * as vscode from 'vscode';
import { shownProblem } from '../../specReader/problemText';
import { SpecError } from '../../specReader/source';
import { JsonDocuments, isBig, isJsonDocument } from './jsonDocuments';
import { displayLocale } from '../displayLocale';

const DEBOUNCE_MS = 300;
const BIG_DEBOUNCE_MS = 2000;

export function specErrorRange(doc: vscode.TextDocument, e: SpecError): vscode.Range {
  if (!e.position) return new vscode.Range(0, 0, 0, 1);
  return new vscode.Range(doc.positionAt(e.position.offset), doc.positionAt(e.position.offset + Math.max(1, e.position.length)));
}

export class SpecDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('conv-visual-debugger');
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly documents: JsonDocuments, private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(
      this.collection,
      vscode.workspace.onDidOpenTextDocument(doc => this.schedule(doc, 0)),
      // A big document waits for the user to stop typing (or to save).
      vscode.workspace.onDidChangeTextDocument(e => this.schedule(e.document, isBig(e.document) ? BIG_DEBOUNCE_MS : DEBOUNCE_MS)),
      vscode.workspace.onDidSaveTextDocument(doc => { if (isBig(doc) && this.timers.has(doc.uri.toString())) this.schedule(doc, 0); }),
      vscode.workspace.onDidCloseTextDocument(doc => { this.cancel(doc); this.collection.delete(doc.uri); }),
      vscode.workspace.onDidChangeConfiguration(e => {
        if (e.affectsConfiguration('convVisualDebugger.maxElements')) for (const doc of vscode.workspace.textDocuments) this.schedule(doc, 0);
      }),
    );
    for (const doc of vscode.workspace.textDocuments) this.schedule(doc, 0);
  }

  private cancel(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  private schedule(doc: vscode.TextDocument, delay: number): void {
    if (!isJsonDocument(doc)) return;
    this.cancel(doc);
    this.timers.set(doc.uri.toString(), setTimeout(() => {
      this.timers.delete(doc.uri.toString());
      this.update(doc).catch(e => this.log.error(`diagnostics for ${doc.uri.toString()}: ${(e as Error).message}`));
    }, delay));
  }

  /** Recomputes one document's problems now (tests call this to skip the debounce). */
  async update(doc: vscode.TextDocument): Promise<readonly vscode.Diagnostic[]> {
    const version = doc.version;
    // Warm the tensor scan too, so the first hover after an edit is answered from the cache.
    this.documents.scan(doc);
    const state = await this.documents.spec(doc);
    if (doc.isClosed || doc.version !== version) return this.collection.get(doc.uri) ?? [];
    const diagnostics = (state?.analysis.problems ?? []).map(e => {
      // The Problems panel speaks the display language, one printable line a problem; conv2d is the only op a conv spec has.
      const problem = shownProblem(e.problem.op === 'conv2d' ? { ...e.problem, op: undefined } : e.problem, displayLocale());
      const d = new vscode.Diagnostic(specErrorRange(doc, e), problem, vscode.DiagnosticSeverity.Error);
      d.source = 'conv';
      return d;
    });
    this.collection.set(doc.uri, diagnostics);
    return diagnostics;
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}
