// The browser entry (package.json "browser": vscode.dev, github.dev, code-server's
// web-worker extension host): traces run in web workers.

import * as vscode from 'vscode';
import { ConvVisualDebuggerApi, activateExtension } from '../activate';
import { webTraceWorkers } from '../trace/webTraceWorkers';

export type { ConvVisualDebuggerApi, RunSummary } from '../activate';

export function activate(context: vscode.ExtensionContext): ConvVisualDebuggerApi {
  return activateExtension(context, { traceWorkers: webWorkers });
}

export function deactivate(): void {}

/**
 * The worker script as a URL `new Worker` accepts here: VS Code's web host refuses workers from
 * vscode-remote: URIs, so the script's text (one self-contained bundle) goes into a blob: URL.
 */
async function webWorkers(context: vscode.ExtensionContext): Promise<ReturnType<typeof webTraceWorkers>> {
  const script = vscode.Uri.joinPath(context.extensionUri, 'dist', 'web', 'traceWorker.js');
  if (script.scheme === 'http' || script.scheme === 'https') return webTraceWorkers(script.toString(true));
  const bytes = await vscode.workspace.fs.readFile(script);
  return webTraceWorkers(URL.createObjectURL(new Blob([bytes], { type: 'text/javascript' })));
}
