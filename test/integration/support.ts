// What the suites inside the extension host share. No Node import: the same
// suites run in the browser's web-worker extension host (test/web).

import * as assert from 'assert';
import * as vscode from 'vscode';
import type { ConvVisualDebuggerApi } from '../../src/extension/extension';
import type { WebviewToHost } from '../../src/protocol/messages';

export const EXTENSION_ID = 'conv-visual-debugger.conv-visual-debugger';
export const RUN = 'convVisualDebugger.run';

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

export function workspaceFile(...names: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the harness opens a workspace folder');
  return vscode.Uri.joinPath(folder.uri, ...names);
}

export async function readJson(uri: vscode.Uri): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)));
}

/** Waits until `check` passes (diagnostics, lenses and stops arrive asynchronously). */
export async function eventually<T>(what: string, get: () => Thenable<T> | T, check: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (check(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await sleep(100);
  }
}

/** The next panel message of a type (and that `where` accepts), within a deadline. */
export function nextPanelMessage<T extends WebviewToHost['type']>(api: ConvVisualDebuggerApi, type: T, ms = 30_000, where: (m: Extract<WebviewToHost, { type: T }>) => boolean = () => true): Promise<Extract<WebviewToHost, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { sub.dispose(); reject(new Error(`no '${type}' from the panel in ${ms} ms`)); }, ms);
    const sub = api.onDidReceivePanelMessage(m => {
      if (m.type !== type || !where(m as Extract<WebviewToHost, { type: T }>)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(m as Extract<WebviewToHost, { type: T }>);
    });
  });
}

/** Runs something that starts a trace, then waits until the panel has rendered that very trace. */
export async function rendered<T extends { traceId: number }>(api: ConvVisualDebuggerApi, start: () => Thenable<T | undefined>): Promise<{ result: T; message: Extract<WebviewToHost, { type: 'rendered' }> }> {
  const seen: Extract<WebviewToHost, { type: 'rendered' }>[] = [];
  let wake = () => {};
  const sub = api.onDidReceivePanelMessage(m => { if (m.type === 'rendered') { seen.push(m); wake(); } });
  try {
    const result = await start();
    assert.ok(result, 'the run produced a trace');
    const deadline = Date.now() + 30_000;
    for (;;) {
      const message = seen.find(m => m.traceId === result.traceId);
      if (message) return { result, message };
      if (Date.now() > deadline) throw new Error(`trace ${result.traceId} was not rendered in 30 s`);
      await new Promise<void>(r => { wake = r; setTimeout(r, 500); });
    }
  } finally {
    sub.dispose();
  }
}
