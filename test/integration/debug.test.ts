// The conv debugger in a real VS Code, through the debug API.

import * as assert from 'assert';
import * as vscode from 'vscode';
import type { ConvVisualDebuggerApi } from '../../src/extension/extension';
import { PANEL_VIEW_TYPE } from '../../src/protocol/messages';
import { EXTENSION_ID, RUN, eventually } from './support';
import type { ConvStoppedBody } from '../../src/debug/session';
import type { NetworkTrace } from '../../src/engine/network';
import { traceAnySpecText } from '../../src/specReader/convSpec';

describe('the conv debugger in VS Code', () => {
  let api: ConvVisualDebuggerApi;
  const stops: ConvStoppedBody[] = [];
  const stages: string[] = [];
  /** The panel's stage messages with their layer, for networks. */
  const layerStages: { layer?: number; stage: string }[] = [];
  let subs: vscode.Disposable[] = [];

  before(async () => {
    api = await vscode.extensions.getExtension<ConvVisualDebuggerApi>(EXTENSION_ID)!.activate();
    subs = [
      vscode.debug.onDidReceiveDebugSessionCustomEvent(e => { if (e.event === 'convStopped') stops.push(e.body as ConvStoppedBody); }),
      api.onDidReceivePanelMessage(m => { if (m.type === 'stage') { stages.push(m.stage); layerStages.push({ layer: m.layer, stage: m.stage }); } }),
    ];
  });
  after(() => subs.forEach(s => s.dispose()));

  async function start(config: Partial<vscode.DebugConfiguration>): Promise<vscode.DebugSession> {
    const started = new Promise<vscode.DebugSession>(r => { const d = vscode.debug.onDidStartDebugSession(s => { d.dispose(); r(s); }); });
    const ok = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], config as vscode.DebugConfiguration);
    assert.ok(ok, 'startDebugging');
    return started;
  }

  async function stepAndWait(session: vscode.DebugSession, command: string): Promise<ConvStoppedBody> {
    const before = stops.length;
    await session.customRequest(command, { threadId: 1 });
    await eventually('a stop', () => stops.length, n => n > before);
    return stops[stops.length - 1];
  }

  it('steps through seed.conv.json stage by stage; the console evaluates; the panel follows', async () => {
    const specUri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'seed.conv.json');
    const spec = specUri.fsPath;
    // As a user starts it: the spec in the first editor group, so the panel is beside it, not under it.
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(specUri), vscode.ViewColumn.One);
    stops.length = 0;
    const session = await start({ type: 'conv', request: 'launch', name: 'Debug conv spec', spec, stopOnEntry: true });
    await eventually('the entry stop', () => stops.length, n => n >= 1);
    assert.strictEqual(stops[0].stageIndex, -1);
    let last: ConvStoppedBody | undefined;
    for (let i = 0; i < 4; i++) last = await stepAndWait(session, 'next');
    assert.strictEqual(last!.stage, 'matmul');
    const state = await session.customRequest('convState');
    assert.ok(state.alive.includes('z_t') && !state.alive.includes('z'));
    const z = await session.customRequest('evaluate', { expression: 'z_t[0, 3]', context: 'repl' });
    assert.strictEqual(z.result, '[276, 228]');
    await eventually('the panel shows the matmul stage', () => stages, s => s[s.length - 1] === 'matmul');

    const inside = await stepAndWait(session, 'stepIn');
    assert.deepStrictEqual([inside.stage, inside.sub, inside.changed?.tensor], ['reshape_bias', undefined, undefined]);
    const back = await stepAndWait(session, 'stepBack');
    assert.strictEqual(back.stage, 'matmul');
    const frames = await session.customRequest('stackTrace', { threadId: 1 });
    assert.match(frames.stackFrames[0].name, /Matrix product/);
    assert.strictEqual(frames.stackFrames[0].source.name, 'seed.conv.json');
    await vscode.debug.stopDebugging(session);
  });

  it('debugs a network (two-layer.conv.json): forward layer by layer, the loss, then δ back down; the panel opens each layer', async () => {
    const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'two-layer.conv.json');
    const spec = uri.fsPath;
    // As a user starts it: the spec in the first group, so the panel opens beside it, not under it.
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), vscode.ViewColumn.One);
    stops.length = 0;
    const session = await start({ type: 'conv', request: 'launch', name: 'Debug network', spec, stopOnEntry: true });
    await eventually('the entry stop', () => stops.length, n => n >= 1);
    // conv2d has 5 forward stages, relu 1, then maxpool's pad, unfold and max: the 9th step.
    let last: ConvStoppedBody | undefined;
    for (let i = 0; i < 9; i++) last = await stepAndWait(session, 'next');
    assert.deepStrictEqual([last!.layer, last!.stage], [2, 'pool_reduce']);
    await eventually('the panel opens layer 2 on its max', () => layerStages[layerStages.length - 1], s => s?.layer === 2 && s.stage === 'pool_reduce');
    const z = await session.customRequest('evaluate', { expression: 'z[0, 1]', context: 'repl' });
    // By hand: channel 1 of the conv is [[0,-1,1,4],[1,0,2,-1],[-1,2,-2,2],[1,-1,1,-1]]; relu, then the max of each 2×2 block.
    assert.strictEqual(z.result, '[[1, 4], [2, 2]]');
    const frames = await session.customRequest('stackTrace', { threadId: 1 });
    assert.match(frames.stackFrames[0].name, /^layers\[2\] maxpool2d 2×2 › Max of each window/);
    // On through flatten, linear and the loss: the first backward stop is the loss's first δ.
    for (let i = 0; i < 4; i++) last = await stepAndWait(session, 'next');
    assert.deepStrictEqual([last!.layer, last!.stage], [5, 'loss_grad']);
    last = await stepAndWait(session, 'next');
    assert.deepStrictEqual([last!.layer, last!.stage], [4, 'linear_dx']);
    await eventually('the panel follows to the linear layer\'s backward', () => layerStages[layerStages.length - 1], s => s?.layer === 4 && s.stage === 'linear_dx');
    await vscode.debug.stopDebugging(session);
  });

  it('debugs a graph (unet-up.conv.json): forward in execution order, then δ back in reverse, past the skip\'s sum', async () => {
    const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'unet-up.conv.json');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), vscode.ViewColumn.One);
    const trace = traceAnySpecText('unet-up.conv.json', new TextDecoder().decode(await vscode.workspace.fs.readFile(uri))) as NetworkTrace;
    // Every layer's forward stages in order (the loss last), then every layer's backward stages from the loss down.
    const expected = [
      ...trace.layers.flatMap((l, i) => l.stages.filter(st => st.pass === 'forward').map(st => `${i} ${st.id}`)),
      ...[...trace.layers.entries()].reverse().flatMap(([i, l]) => l.stages.filter(st => st.pass === 'backward').map(st => `${i} ${st.id}`)),
    ];
    stops.length = 0;
    const session = await start({ type: 'conv', request: 'launch', name: 'Debug graph', spec: uri.fsPath, stopOnEntry: true });
    await eventually('the entry stop', () => stops.length, n => n >= 1);
    const seen: string[] = [];
    for (let i = 0; i < expected.length; i++) {
      const stop = await stepAndWait(session, 'next');
      seen.push(`${stop.layer} ${stop.stage}`);
      if (stop.layer === 1 && trace.layers[1].stages.find(st => st.id === stop.stage)?.pass === 'backward') {
        // At the skip's backward stop its δ is the sum of what the pooling and the concat handed down.
        const delta = await session.customRequest('evaluate', { expression: 'all(delta == layers[2].dA + layers[6].dA_0)', context: 'repl' });
        assert.strictEqual(delta.result, 'True');
      }
    }
    assert.deepStrictEqual(seen, expected);
    await vscode.debug.stopDebugging(session);
  });

  it('F5 on a spec without a launch.json debugs the spec in the editor', async () => {
    const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'seed.conv.json');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    await eventually('the spec in front', () => vscode.window.activeTextEditor?.document.uri.toString(), u => u === uri.toString());
    stops.length = 0;
    // What F5 runs: with no launch.json, VS Code asks the debugger of the editor's language for a configuration.
    const started = new Promise<vscode.DebugSession>(r => { const d = vscode.debug.onDidStartDebugSession(s => { d.dispose(); r(s); }); });
    await vscode.commands.executeCommand('workbench.action.debug.start');
    const session = await started;
    assert.strictEqual(session.type, 'conv');
    await eventually('the entry stop', () => stops.length, n => n >= 1);
    // A path on the desktop; in the browser, where the spec is not on the host's disk, its URI.
    assert.ok([uri.fsPath, decodeURIComponent(uri.toString())].includes(stops[0].spec), stops[0].spec);
    const terminated = new Promise<void>(r => { const d = vscode.debug.onDidTerminateDebugSession(() => { d.dispose(); r(); }); });
    await session.customRequest('continue', { threadId: 1 });
    await terminated;
  });

  describe('the panel stays in view while the debugger shows the spec', () => {
    const uri = () => vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'seed.conv.json');
    const tabs = () => vscode.window.tabGroups.all.flatMap(g => g.tabs);
    const panelTab = () => tabs().find(t => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes(PANEL_VIEW_TYPE));
    const specTab = () => tabs().find(t => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri().toString());

    /** The spec run into the panel, from the spec in the first group alone. */
    async function runFromFreshLayout(): Promise<void> {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri()), vscode.ViewColumn.One);
      await vscode.commands.executeCommand(RUN, uri());
      await eventually('the panel', panelTab, t => t !== undefined);
    }

    /** Debugs the spec to its entry stop: both must be in front, in different groups; then ends the session. */
    async function debugSeesBoth(): Promise<void> {
      stops.length = 0;
      const u = uri();
      const session = await start({ type: 'conv', request: 'launch', name: 'Debug conv spec', spec: u.scheme === 'file' ? u.fsPath : u.toString(), stopOnEntry: true });
      await eventually('the entry stop', () => stops.length, n => n >= 1);
      await eventually('the panel and the spec side by side', () => [panelTab(), specTab()], ([p, t]) => !!p && !!t && p.group !== t.group && p.isActive && t.isActive);
      const terminated = new Promise<void>(r => { const d = vscode.debug.onDidTerminateDebugSession(() => { d.dispose(); r(); }); });
      await session.customRequest('continue', { threadId: 1 });
      await terminated;
    }

    it('a spec that is not open, with the panel alone in the editor area, opens beside the panel', async () => {
      await runFromFreshLayout();
      await vscode.window.tabGroups.close(specTab()!);
      await eventually('the panel alone', () => [vscode.window.tabGroups.all.length, tabs().length], ([groups, n]) => groups === 1 && n === 1);
      await debugSeesBoth();
    });

    it('a spec that shares its editor group with the panel: the panel moves beside it, not under it', async () => {
      await runFromFreshLayout();
      // One group holding both, as after dragging the panel onto the spec's group.
      await vscode.commands.executeCommand('workbench.action.joinAllGroups');
      await eventually('one group', () => vscode.window.tabGroups.all.length, n => n === 1);
      assert.strictEqual(panelTab()!.group, specTab()!.group);
      await debugSeesBoth();
    });
  });
});
