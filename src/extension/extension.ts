// The desktop entry (package.json "main", the Node extension host): traces run in worker threads.

import * as fs from 'fs';
import * as vscode from 'vscode';
import { ConvVisualDebuggerApi, activateExtension } from './activate';
import { nodeTraceWorkers } from './trace/nodeTraceWorkers';
import { setGemmThreads } from '../engine/wasm/gemmWasm';
import { installNodeGemmThreads } from '../specReader/nodeGemmThreads';

export type { ConvVisualDebuggerApi, RunSummary } from './activate';

export function activate(context: vscode.ExtensionContext): ConvVisualDebuggerApi {
  // The engine's work on this thread (the inline debugger's expressions and gradient checks) uses every core for big
  // products too.
  installNodeGemmThreads();
  return activateExtension(context, {
    traceWorkers: async c => nodeTraceWorkers(vscode.Uri.joinPath(c.extensionUri, 'dist', 'traceWorker.js').fsPath),
    realPath: async uri => vscode.Uri.file(await fs.promises.realpath(uri.fsPath)),
  });
}

export function deactivate(): void {
  setGemmThreads(0);
}
