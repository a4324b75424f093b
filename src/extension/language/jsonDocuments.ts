// What the editor knows about each open JSON document, computed once per
// document version and cached: the tensors in it (any JSON), and for conv specs
// the full analysis (every problem, the geometry), with the files it names.

import * as vscode from 'vscode';
import { NpyFiles, SpecAnalysis, analyzeSpec, looksLikeSpec, mayBeSpecText } from '../../specReader/convSpec';
import { TensorScan, scanTensors } from '../../specReader/locator';
import { JsonSource, NestingError, SpecError } from '../../specReader/source';
import { traceSettings } from '../traceSettings';
import type { WorkspaceFiles } from '../workspaceFiles';

export interface SpecState {
  source: JsonSource;
  analysis: SpecAnalysis;
  npy: NpyFiles;
}

export function isJsonDocument(doc: vscode.TextDocument): boolean {
  return doc.languageId === 'json' || doc.languageId === 'jsonc' || /\.json$/i.test(doc.fileName);
}

/** Documents longer than this are checked once the user stops typing, not at every pause (8 MB take ~0.2 s to parse and scan). */
const AS_YOU_TYPE_LIMIT = 2_000_000;

/** Whether a document is too long to analyse at every keystroke (its length read without copying its text). */
export function isBig(doc: vscode.TextDocument): boolean {
  return doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end) > AS_YOU_TYPE_LIMIT;
}

export function isSpecFileName(uri: vscode.Uri): boolean {
  return /\.conv\.json$/i.test(uri.path);
}

interface Entry {
  version: number;
  text?: string;
  scan?: TensorScan;
  spec?: Promise<SpecState | undefined>;
}

export class JsonDocuments implements vscode.Disposable {
  private readonly entries = new Map<string, Entry>();
  /** The latest analysis and scan of each document, whatever its version (for a big document between saves). */
  private readonly analysed = new Map<string, Promise<SpecState | undefined>>();
  private readonly scanned = new Map<string, TensorScan>();
  private readonly bigAnalysed = new vscode.EventEmitter<vscode.Uri>();
  /** A big document was analysed again (what shows its last analysis between checks refreshes). */
  readonly onDidAnalyseBig = this.bigAnalysed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly files: WorkspaceFiles) {
    this.subscription = vscode.workspace.onDidCloseTextDocument(doc => { for (const cache of [this.entries, this.analysed, this.scanned]) cache.delete(doc.uri.toString()); });
  }

  private entry(doc: vscode.TextDocument): Entry {
    const key = doc.uri.toString();
    let e = this.entries.get(key);
    if (!e || e.version !== doc.version) {
      e = { version: doc.version };
      this.entries.set(key, e);
    }
    return e;
  }

  /** The document's text (cached per version: hovers in a big file do not copy it each time). */
  text(doc: vscode.TextDocument): string {
    const e = this.entry(doc);
    e.text ??= doc.getText();
    return e.text;
  }

  /** The tensors of any JSON document (sync; cached per version). */
  scan(doc: vscode.TextDocument): TensorScan {
    const e = this.entry(doc);
    if (!e.scan) {
      e.scan = scanTensors(this.text(doc));
      this.scanned.set(doc.uri.toString(), e.scan);
    }
    return e.scan;
  }

  /** The spec analysis, or undefined when the document is not a conv spec (or not valid JSON). */
  spec(doc: vscode.TextDocument): Promise<SpecState | undefined> {
    const e = this.entry(doc);
    if (!e.spec) {
      e.spec = this.analyze(doc);
      this.analysed.set(doc.uri.toString(), e.spec);
      if (isBig(doc)) e.spec.then(() => this.bigAnalysed.fire(doc.uri), () => undefined);
    }
    return e.spec;
  }

  /** The spec analysis for what updates at every edit (CodeLens): a big document's last one until it is checked again. */
  specAsOfLastCheck(doc: vscode.TextDocument): Promise<SpecState | undefined> {
    const last = this.analysed.get(doc.uri.toString());
    return last && isBig(doc) ? last : this.spec(doc);
  }

  /** The tensor scan, likewise. */
  scanAsOfLastCheck(doc: vscode.TextDocument): TensorScan {
    const last = this.scanned.get(doc.uri.toString());
    return last && isBig(doc) ? last : this.scan(doc);
  }

  private async analyze(doc: vscode.TextDocument): Promise<SpecState | undefined> {
    const text = this.text(doc);
    if (!isSpecFileName(doc.uri) && !mayBeSpecText(text)) return undefined;
    const file = vscode.workspace.asRelativePath(doc.uri, false);
    let source: JsonSource;
    try {
      source = JsonSource.parse(file, text);
    } catch (e) {
      // VS Code's JSON support reports syntax errors, but not nesting too deep for the spec reader.
      if (e instanceof NestingError) return { source: JsonSource.fromValue(file, undefined), analysis: { problems: [e] }, npy: new Map() };
      if (e instanceof SpecError) return undefined;
      throw e;
    }
    if (!isSpecFileName(doc.uri) && !looksLikeSpec(source.value)) return undefined;
    const npy = await this.files.npyFiles(doc.uri, source.value);
    const { maxElements } = traceSettings();
    return { source, analysis: analyzeSpec(source, npy, maxElements), npy };
  }

  dispose(): void {
    this.subscription.dispose();
    this.bigAnalysed.dispose();
    this.entries.clear();
  }
}
