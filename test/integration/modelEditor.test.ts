// Inside a real VS Code (desktop and web hosts): examples/digits.onnx opens in the model editor, which draws
// one box per node of the graph, and runs from it into the trace panel.

import * as assert from 'assert';
import * as vscode from 'vscode';
import type { ConvVisualDebuggerApi } from '../../src/extension/extension';
import { MODEL_EDITOR_VIEW_TYPE } from '../../src/protocol/modelEditor';
import { pickModelRun } from '../../src/extension/modelEditor/modelRun';
import { WorkspaceFiles } from '../../src/extension/workspaceFiles';
import { modelFacts } from '../../src/specReader/onnx/modelFacts';
import { EXTENSION_ID, eventually, nextPanelMessage, workspaceFile } from './support';

describe('the model editor (.onnx files)', () => {
  let api: ConvVisualDebuggerApi;

  before(async () => {
    api = await vscode.extensions.getExtension<ConvVisualDebuggerApi>(EXTENSION_ID)!.activate();
  });

  after(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  it('opens examples/digits.onnx as its graph: the active editor, one box per node of the model', async () => {
    const uri = workspaceFile('digits.onnx');
    await vscode.commands.executeCommand('vscode.openWith', uri, MODEL_EDITOR_VIEW_TYPE);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputCustom, 'a custom editor is active');
    assert.strictEqual((tab.input as vscode.TabInputCustom).viewType, MODEL_EDITOR_VIEW_TYPE);
    assert.strictEqual((tab.input as vscode.TabInputCustom).uri.toString(), uri.toString());
    const [state] = await eventually('the model editor draws its graph', () => api.modelEditors(), s => s.length === 1 && s[0].rendered, 30_000);
    // digits.onnx: conv, relu, pool, conv, relu, pool, flatten, gemm.
    assert.strictEqual(state.nodes, 8);
    assert.strictEqual(state.uri, uri.toString());
  });

  it('runs on random values with a class from the editor: the trace panel shows the model\'s network', async () => {
    const shown = nextPanelMessage(api, 'rendered', 60_000);
    const ran = await vscode.commands.executeCommand<boolean>('convVisualDebugger.runModel', workspaceFile('digits.onnx'), { input: 'random', target: 3 });
    assert.strictEqual(ran, true);
    await shown;
    const panel = vscode.window.tabGroups.all.flatMap(g => g.tabs).find(t => t.input instanceof vscode.TabInputWebview);
    assert.ok(panel?.label.includes('digits.onnx on'), panel?.label);
  });

  it('runs a model in float32, its own type, unless the user chose a number type (the spec it saves says which)', async () => {
    const uri = workspaceFile('digits.onnx');
    const result = modelFacts(await vscode.workspace.fs.readFile(uri), 1 << 24);
    assert.ok('facts' in result);
    const dtypeOfRun = async () => {
      const run = await pickModelRun(uri, result.facts, new WorkspaceFiles(), { input: 'random', target: 3 });
      return (JSON.parse(run!.specText(vscode.Uri.joinPath(uri, '..'))) as { dtype?: string }).dtype;
    };
    assert.strictEqual(await dtypeOfRun(), 'float32');
    const settings = vscode.workspace.getConfiguration('convVisualDebugger');
    await settings.update('dtype', 'float64', vscode.ConfigurationTarget.Workspace);
    try {
      assert.strictEqual(await dtypeOfRun(), undefined, 'chosen: the spec leaves it to the setting');
    } finally {
      await settings.update('dtype', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
