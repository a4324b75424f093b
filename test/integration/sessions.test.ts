// Tensors from other programs' debug sessions: a real debugpy running a numpy
// im2col with a planted bug, and a Node program.

import * as assert from 'assert';
import * as vscode from 'vscode';
import type { CompareSummary } from '../../src/extension/debug/inspector';
import type { ConvVisualDebuggerApi } from '../../src/extension/extension';
import { EXTENSION_ID, sleep } from './support';

function debuggee(name: string): vscode.Uri {
  return vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'debuggee', name);
}

/** Starts a session with a breakpoint on the line marked STOP HERE; resolves when it is stopped there. */
async function stopAt(file: vscode.Uri, config: vscode.DebugConfiguration): Promise<vscode.DebugSession> {
  const doc = await vscode.workspace.openTextDocument(file);
  const line = doc.getText().split('\n').findIndex(l => l.includes('STOP HERE'));
  vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
  vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(file, new vscode.Position(line, 0)))]);
  const stopped = new Promise<void>(resolve => {
    const d = vscode.debug.onDidChangeActiveStackItem(item => { if (item instanceof vscode.DebugStackFrame) { d.dispose(); resolve(); } });
  });
  const started = new Promise<vscode.DebugSession>(r => { const d = vscode.debug.onDidStartDebugSession(s => { d.dispose(); r(s); }); });
  assert.ok(await vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], config), 'startDebugging');
  const session = await started;
  await Promise.race([stopped, sleep(60_000).then(() => { throw new Error('the debuggee did not stop at its breakpoint'); })]);
  return session;
}

async function stop(session: vscode.DebugSession): Promise<void> {
  const ended = new Promise<void>(r => { const d = vscode.debug.onDidTerminateDebugSession(() => { d.dispose(); r(); }); });
  await vscode.debug.stopDebugging(session);
  await Promise.race([ended, sleep(10_000)]);
  vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
}

describe('tensors from other debug sessions', function () {
  this.timeout(120_000);
  let api: ConvVisualDebuggerApi;

  before(async () => {
    api = await vscode.extensions.getExtension<ConvVisualDebuggerApi>(EXTENSION_ID)!.activate();
  });

  it('debugpy: inspects numpy arrays and finds the planted im2col bug by comparing with the engine', async () => {
    const session = await stopAt(debuggee('buggy_im2col.py'), {
      type: 'debugpy', request: 'launch', name: 'buggy im2col', program: debuggee('buggy_im2col.py').fsPath,
      python: ['/usr/bin/python3'], console: 'internalConsole', justMyCode: true,
    });
    try {
      const inspected = await vscode.commands.executeCommand<{ shape: number[] }>('convVisualDebugger.inspectTensor', 'a_t');
      assert.deepStrictEqual(inspected?.shape, [1, 9, 12]);
      // What the Variables view's "Show in Conv Visual Debugger" passes.
      const fromVariable = await vscode.commands.executeCommand<{ shape: number[] }>('convVisualDebugger.showVariable', { container: {}, variable: { name: 'w_t', evaluateName: 'w_t', value: 'array(...)' } });
      assert.deepStrictEqual(fromVariable?.shape, [12, 2]);
      console.log('[screenshot] session-inspect-a_t');
      await sleep(1500);

      const okWt = await vscode.commands.executeCommand<CompareSummary>('convVisualDebugger.compareWithReference', { input: 'x', weight: 'w', yours: 'w_t', as: 'w_t', options: { stride: 1, padding: 0 } });
      assert.strictEqual(okWt?.mismatches, 0, 'their w_t is right');

      const at = await vscode.commands.executeCommand<CompareSummary>('convVisualDebugger.compareWithReference', { input: 'x', weight: 'w', yours: 'a_t', as: 'a_t', options: { stride: 1, padding: 0 } });
      assert.ok(at, 'the comparison ran');
      assert.ok(at.mismatches > 0, 'their a_t is wrong');
      // Row 0 of the engine's a_t is [1, 6, 4, 3, 9, 1, ...]: (c, kh, kw) order. Theirs starts [1, 9, 8, ...]: (kh, kw, c).
      assert.deepStrictEqual(at.firstMismatch, [0, 0, 1]);
      console.log('[screenshot] session-compare-a_t');
      await sleep(1500);
      // The first mismatch, pinned: the difference cell and what the engine's a_t cell is made of.
      api.focus({ type: 'focus', target: { tensor: 'difference', index: [0, 0, 1] }, pin: true });
      await sleep(1500);
      console.log('[screenshot] session-compare-difference');
      await sleep(1500);

      const z = await vscode.commands.executeCommand<CompareSummary>('convVisualDebugger.compareWithReference', { input: 'x', weight: 'w', yours: 'z - b.reshape(1, -1, 1, 1)', as: 'z', options: { stride: 1, padding: 0 } });
      assert.ok(z && z.mismatches > 0 && z.maxAbsError > 10, 'so their z is wrong too');
    } finally {
      await stop(session);
    }
  });

  it('debugpy: says clearly when an expression is not a tensor', async () => {
    const session = await stopAt(debuggee('buggy_im2col.py'), {
      type: 'debugpy', request: 'launch', name: 'buggy im2col', program: debuggee('buggy_im2col.py').fsPath, python: ['/usr/bin/python3'], console: 'internalConsole',
    });
    try {
      const r = await vscode.commands.executeCommand('convVisualDebugger.inspectTensor', 'im2col');
      assert.strictEqual(r, undefined);
    } finally {
      await stop(session);
    }
  });

  it('Node: inspects nested arrays and typed arrays', async () => {
    const session = await stopAt(debuggee('tensors.js'), { type: 'node', request: 'launch', name: 'tensors.js', program: debuggee('tensors.js').fsPath, console: 'internalConsole' });
    try {
      assert.deepStrictEqual((await vscode.commands.executeCommand<{ shape: number[] }>('convVisualDebugger.inspectTensor', 'batch'))?.shape, [2, 3, 4]);
      assert.deepStrictEqual((await vscode.commands.executeCommand<{ shape: number[] }>('convVisualDebugger.inspectTensor', 'kernel'))?.shape, [4]);
      console.log('[screenshot] session-inspect-node');
      await sleep(1500);
    } finally {
      await stop(session);
    }
  });
});
