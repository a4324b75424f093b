// The desktop entry (package.json "main", the Node extension host): traces run in worker threads.

import * as fs from 'fs';
import * as vscode from 'vscode';
import { ConvVisualDebuggerApi, activateExtension } from './activate';
import { nodeTraceWorkers } from './trace/nodeTraceWorkers';

export type { ConvVisualDebuggerApi, RunSummary } from './activate';

export function activate(context: vscode.ExtensionContext): ConvVisualDebuggerApi {
  return activateExtension(context, {
    traceWorkers: async c => nodeTraceWorkers(vscode.Uri.joinPath(c.extensionUri, 'dist', 'traceWorker.js').fsPath),
    realPath: async uri => vscode.Uri.file(await fs.promises.realpath(uri.fsPath)),
  });
}

export function deactivate(): void {}
