// Inside a real VS Code: activation, the command, the panel and what it shows.

import * as assert from 'assert';
import * as vscode from 'vscode';
import type { ConvVisualDebuggerApi, RunSummary } from '../../src/extension/extension';
import type { ShownTensor } from '../../src/protocol/messages';
import { wholeArrays } from '../../src/engine/recycledBuffers';
import { type ConvTrace, recordedTensors } from '../../src/engine/trace';
import { formatNumber, namedTensors } from '../../src/format/text';
import { EXTENSION_ID, RUN, nextPanelMessage, readJson, rendered, sleep, workspaceFile } from './support';

function panelTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap(g => g.tabs).filter(t => t.input instanceof vscode.TabInputWebview);
}

describe('Conv Visual Debugger in VS Code', () => {
  let api: ConvVisualDebuggerApi;

  before(async () => {
    const ext = vscode.extensions.getExtension<ConvVisualDebuggerApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    api = await ext.activate();
  });

  it('activates and registers "Run Conv Forward/Backward"', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    assert.strictEqual(ext.isActive, true);
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes(RUN));
    const contributed = ext.packageJSON.contributes.commands.find((c: { command: string }) => c.command === RUN);
    assert.deepStrictEqual([contributed.category, contributed.title], ['Conv', 'Run Conv Forward/Backward']);
  });

  it('runs examples/seed.conv.json: the panel opens and shows z = 296, 250, 288, ...', async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceFile('seed.conv.json'));
    await vscode.window.showTextDocument(doc);
    const { result, message } = await rendered(api, () => vscode.commands.executeCommand<RunSummary>(RUN));
    assert.deepStrictEqual(result.shapes.z, [1, 2, 3, 3]);
    assert.ok(JSON.stringify(result).length < 2000, 'a small result: the trace itself never goes back to the workbench');
    const z = message.shown.find((s: ShownTensor) => s.name === 'z');
    assert.ok(z, 'the panel shows z');
    assert.deepStrictEqual(z.shape, [1, 2, 3, 3]);
    // The z card shows one (batch, channel) slice: z[0, 0].
    assert.deepStrictEqual(z.cells, ['296', '250', '288', '277', '280', '294', '302', '297', '315']);
    const dA = message.shown.find(s => s.name === 'dA');
    assert.deepStrictEqual(dA?.cells.slice(0, 4), ['10', '25', '25', '15']);

    const tabs = panelTabs();
    assert.strictEqual(tabs.length, 1, 'one panel');
    assert.strictEqual(tabs[0].label, 'Conv: seed.conv.json');
  });

  it('the API returns the trace itself to callers in the extension host', async () => {
    const { result } = await rendered(api, () => api.run(workspaceFile('seed.conv.json')));
    assert.deepStrictEqual(Array.from(namedTensors(result.trace).get('z')!.data).slice(0, 3), [296, 250, 288]);
  });

  it('reuses the panel for the next run and re-renders it; the run makes its tensors in the memory of the trace it replaced', async () => {
    // The API's caller keeps its trace: no run after reuses its arrays.
    const handedOut = (await rendered(api, () => api.run(workspaceFile('seed.conv.json')))).result.trace as ConvTrace;
    const bytes = wholeArrays(recordedTensors(handedOut.tensors)).reduce((sum, a) => sum + a.byteLength, 0);
    const first = await rendered(api, () => vscode.commands.executeCommand<RunSummary>(RUN, workspaceFile('seed.conv.json')));
    assert.strictEqual(first.result.reusedBytes, undefined);
    assert.deepStrictEqual(Array.from(handedOut.tensors.z!.data).slice(0, 3), [296, 250, 288]);
    const second = await rendered(api, () => vscode.commands.executeCommand<RunSummary>(RUN, workspaceFile('seed.conv.json')));
    assert.ok(second.result.traceId > first.result.traceId);
    assert.strictEqual(second.result.reusedBytes, bytes, 'every array of the trace the panel let go');
    const z = second.message.shown.find((s: ShownTensor) => s.name === 'z');
    assert.deepStrictEqual(z?.cells, ['296', '250', '288', '277', '280', '294', '302', '297', '315']);
    assert.strictEqual(panelTabs().length, 1);
  });

  it('reports a broken spec without crashing, and the next good run still works', async () => {
    const broken = await vscode.workspace.openTextDocument({ language: 'json', content: '{\n  "input": [[[[1, 2]]]],\n  "weight": [[[[1, "x"]]]]\n}' });
    await vscode.window.showTextDocument(broken);
    const result = await vscode.commands.executeCommand(RUN);
    assert.strictEqual(result, undefined);
    await rendered(api, () => vscode.commands.executeCommand<RunSummary>(RUN, workspaceFile('seed.conv.json')));
  });

  it('links z[0,0,1,2] = 294 to row 5 of a_t, column 0 of w_t and its 12-pixel patch, with its 12 products', async () => {
    await rendered(api, () => vscode.commands.executeCommand<RunSummary>(RUN, workspaceFile('seed.conv.json')));
    const linked = nextPanelMessage(api, 'linked');
    assert.ok(api.focus({ type: 'focus', stage: 'matmul', target: { tensor: 'z', index: [0, 0, 1, 2] }, pin: true }));
    const m = await linked;
    assert.strictEqual(m.value, 294);
    assert.strictEqual(m.terms, 12);
    const of = (name: string) => m.highlights.find(h => h.tensor === name);
    assert.deepStrictEqual(of('a_t')?.rows, [5]);
    assert.deepStrictEqual(of('w_t')?.columns, [0]);
    assert.strictEqual(of('input')?.cells.length, 12);
    assert.deepStrictEqual(of('z_t')?.cells, [[0, 5, 0]]);
  });

  it('links a pixel of ∂C/∂a to its col2im contributors and rot180 window', async () => {
    const linked = nextPanelMessage(api, 'linked');
    api.focus({ type: 'focus', target: { tensor: 'dA', index: [0, 0, 1, 1] }, pin: true });
    const m = await linked;
    assert.strictEqual(m.value, 50);
    assert.strictEqual(m.terms, 4, 'four entries of ∂C/∂a_t add into it');
    assert.strictEqual(m.highlights.find(h => h.tensor === 'dA_t')?.cells.length, 4);
    assert.strictEqual(m.highlights.find(h => h.tensor === 'delta')?.cells.length, 8);
  });

  it('a pinned cell of ∂C/∂w shows the central finite difference beside it, and that they agree', async () => {
    await rendered(api, () => vscode.commands.executeCommand<RunSummary>(RUN, workspaceFile('seed.conv.json')));
    const asked = nextPanelMessage(api, 'requestGradientCheck');
    const linked = nextPanelMessage(api, 'linked', 60_000, m => m.target.tensor === 'dW');
    api.focus({ type: 'focus', stage: 'dW', target: { tensor: 'dW', index: [1, 2, 0, 1] }, pin: true });
    assert.deepStrictEqual((await asked).target, { tensor: 'dW', index: [1, 2, 0, 1] });
    const m = await linked;
    // δ is all ones (C = Σ z), so the finite difference of the integer example is its integer to about 1e-9; ε is 1e-6·max(1, |w|).
    const shown = /^finite difference: ([\d.]+) \(ε = (\S+)\) · analytic: (\S+) · agree ✓ \(relative error \S+\)$/.exec(m.gradientCheck ?? '');
    assert.ok(shown, m.gradientCheck);
    assert.strictEqual(Number(shown[3]), m.value);
    assert.ok(Math.abs(Number(shown[1]) - m.value) < 1e-6 * Math.abs(m.value), shown[1]);
    assert.ok(Number(shown[2]) >= 1e-6 && Number(shown[2]) < 1e-5, shown[2]);
  });

  it('steps through the stages with the Next/Previous Stage commands', async () => {
    let stage = nextPanelMessage(api, 'stage');
    api.focus({ type: 'focus', stage: 'pad' });
    assert.strictEqual((await stage).stage, 'pad');
    stage = nextPanelMessage(api, 'stage');
    await vscode.commands.executeCommand('convVisualDebugger.nextStage');
    assert.deepStrictEqual([(await stage).stage, (await stage).index], ['im2col', 1]);
    stage = nextPanelMessage(api, 'stage');
    await vscode.commands.executeCommand('convVisualDebugger.previousStage');
    assert.strictEqual((await stage).stage, 'pad');
  });

  it('runs examples/lenet.conv.json: 8 layers and the loss, conv1\'s z as a direct loop computes it', async () => {
    const uri = workspaceFile('lenet.conv.json');
    const { result, message } = await rendered(api, () => vscode.commands.executeCommand<RunSummary>(RUN, uri));
    assert.deepStrictEqual(result.shapes['layers[0].z'], [1, 6, 24, 24]);
    assert.deepStrictEqual(result.shapes['layers[3].z'], [1, 16, 8, 8]);
    assert.deepStrictEqual(result.shapes['layers[7].z'], [1, 10]);
    assert.deepStrictEqual(result.shapes['loss.probs'], [1, 10]);
    // The panel opens on layer 0, the first conv: its z[0, 0] row 0, from the spec by a direct loop.
    const spec = await readJson(uri);
    const x: number[][] = spec.input[0][0];
    const w: number[][] = spec.layers[0].weight[0][0];
    const direct = (i: number, j: number) => w.reduce((s, row, ki) => row.reduce((t, v, kj) => t + v * x[i + ki][j + kj], s), 0) + spec.layers[0].bias[0];
    const z = message.shown.find(t => t.name === 'z');
    assert.deepStrictEqual(z?.shape, [1, 6, 24, 24]);
    assert.deepStrictEqual(z.cells.slice(0, 24), Array.from({ length: 24 }, (_, j) => formatNumber(direct(0, j), 4)));
  });

  it('LeNet\'s layer the panel opens comes traced with the run, and on a re-run the layer last open: no request for either', async () => {
    const uri = workspaceFile('lenet.conv.json');
    const asked: number[] = [];
    const sub = api.onDidReceivePanelMessage(m => { if (m.type === 'requestLayer') asked.push(m.traceId); });
    try {
      // Layer k of a run is trace id traceId + 1 + k.
      const first = await rendered(api, () => vscode.commands.executeCommand<RunSummary>(RUN, uri));
      assert.ok(first.message.shown.some(t => t.name === 'a_t'), 'conv1\'s stages on show');
      assert.ok(!asked.includes(first.result.traceId + 1), 'layer 0 was not asked for');
      // Opening another layer asks for it; the next run of the spec opens that one, traced with the run.
      const opened = nextPanelMessage(api, 'stage', 30_000, m => m.layer === 3);
      api.focus({ type: 'focus', layer: 3, stage: 'matmul' });
      await opened;
      assert.ok(asked.includes(first.result.traceId + 4), 'layer 3 asked for when opened');
      const reopened = nextPanelMessage(api, 'stage', 30_000, m => m.layer === 3);
      const second = await rendered(api, () => vscode.commands.executeCommand<RunSummary>(RUN, uri));
      await reopened;
      assert.ok(second.message.shown.some(t => t.name === 'a_t'), 'conv2\'s stages on show');
      assert.ok(!asked.some(id => id > second.result.traceId), `no layer of the re-run asked for (${asked.join(', ')})`);
    } finally {
      sub.dispose();
    }
  });

  it('in LeNet, a max-pooled output of layer 2 links its window of 4 and its argmax; the value is the window\'s max', async () => {
    const stage = nextPanelMessage(api, 'stage');
    const linked = nextPanelMessage(api, 'linked');
    api.focus({ type: 'focus', layer: 2, stage: 'pool_reduce', target: { tensor: 'z', index: [0, 4, 3, 5] }, pin: true });
    const s = await stage;
    assert.deepStrictEqual([s.layer, s.stage], [2, 'pool_reduce']);
    const m = await linked;
    const of = (name: string) => m.highlights.find(h => h.tensor === name);
    assert.strictEqual(of('pool_t')?.cells.length, 4);
    assert.deepStrictEqual(of('argmax')?.cells, [[0, 4, 3, 5]]);
    assert.deepStrictEqual(of('input')?.cells.map(c => c.join()).sort(), ['0,4,6,10', '0,4,6,11', '0,4,7,10', '0,4,7,11']);
    // The value against the relu'd conv1 output computed here.
    const uri = workspaceFile('lenet.conv.json');
    const spec = await readJson(uri);
    const x: number[][] = spec.input[0][0];
    const w: number[][] = spec.layers[0].weight[4][0];
    const conv = (i: number, j: number) => Math.max(0, w.reduce((acc, row, ki) => row.reduce((t, v, kj) => t + v * x[i + ki][j + kj], acc), 0) + spec.layers[0].bias[4]);
    const expected = Math.max(conv(6, 10), conv(6, 11), conv(7, 10), conv(7, 11));
    assert.ok(Math.abs(m.value - expected) < 1e-12, `${m.value} vs ${expected}`);
  });

  it('in LeNet, the linear layer\'s z[0, 7] lists 256 products and the bias; Next Stage past a layer\'s last stage opens the next layer', async () => {
    const linked = nextPanelMessage(api, 'linked');
    api.focus({ type: 'focus', layer: 7, stage: 'linear', target: { tensor: 'z', index: [0, 7] }, pin: true });
    const m = await linked;
    assert.strictEqual(m.terms, 256);
    assert.deepStrictEqual(m.highlights.find(h => h.tensor === 'weight')?.rows, [7]);
    let stage = nextPanelMessage(api, 'stage');
    api.focus({ type: 'focus', layer: 5, stage: 'pool_col2im' });
    assert.deepStrictEqual([(await stage).layer, (await stage).stage], [5, 'pool_col2im']);
    stage = nextPanelMessage(api, 'stage');
    await vscode.commands.executeCommand('convVisualDebugger.nextStage');
    assert.deepStrictEqual([(await stage).layer, (await stage).stage, (await stage).index], [6, 'flatten', 0]);
    stage = nextPanelMessage(api, 'stage');
    await vscode.commands.executeCommand('convVisualDebugger.previousStage');
    assert.deepStrictEqual([(await stage).layer, (await stage).stage], [5, 'pool_col2im']);
  });

  it('panel settings apply at once: digits (convVisualDebugger.panel.precision) re-render the panel', async () => {
    const uri = workspaceFile('lenet.conv.json');
    await rendered(api, () => vscode.commands.executeCommand<RunSummary>(RUN, uri));
    const spec = await readJson(uri);
    const x: number[][] = spec.input[0][0];
    const w: number[][] = spec.layers[0].weight[0][0];
    const direct = (j: number) => w.reduce((s, row, ki) => row.reduce((t, v, kj) => t + v * x[ki][j + kj], s), 0) + spec.layers[0].bias[0];
    const settings = vscode.workspace.getConfiguration('convVisualDebugger.panel');
    // The panel reopens the layer it was on: go to conv1.
    const stage = nextPanelMessage(api, 'stage');
    api.focus({ type: 'focus', layer: 0, stage: 'reshape_bias' });
    assert.strictEqual((await stage).layer, 0);
    try {
      const again = nextPanelMessage(api, 'rendered');
      await settings.update('precision', 2, vscode.ConfigurationTarget.Workspace);
      const z = (await again).shown.find(t => t.name === 'z');
      assert.deepStrictEqual(z?.cells.slice(0, 24), Array.from({ length: 24 }, (_, j) => formatNumber(direct(j), 2)));
    } finally {
      await settings.update('precision', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('settings that change the run apply at once: convVisualDebugger.dtype re-runs the shown spec in float32; panel.stages hides stages', async () => {
    const uri = workspaceFile('seed.conv.json');
    await rendered(api, () => vscode.commands.executeCommand<RunSummary>(RUN, uri));
    const config = vscode.workspace.getConfiguration('convVisualDebugger');
    try {
      const again = nextPanelMessage(api, 'rendered');
      await config.update('dtype', 'float32', vscode.ConfigurationTarget.Workspace);
      await again;
      const { result: rerun } = await rendered(api, () => api.run(uri));
      assert.strictEqual(rerun.trace.dtype, 'float32');
      const forwardOnly = nextPanelMessage(api, 'rendered');
      await config.update('panel.stages', 'forward', vscode.ConfigurationTarget.Workspace);
      const shown = (await forwardOnly).shown.map(t => t.name);
      assert.ok(shown.includes('z_t') && !shown.includes('dA') && !shown.includes('dA_rot180'), shown.join(', '));
    } finally {
      await config.update('dtype', undefined, vscode.ConfigurationTarget.Workspace);
      await config.update('panel.stages', undefined, vscode.ConfigurationTarget.Workspace);
    }
    const all = await rendered(api, () => vscode.commands.executeCommand<RunSummary>(RUN, uri));
    assert.ok(all.message.shown.some(t => t.name === 'dA_rot180'), 'all stages again');
  });

  it('runs examples/resnet-block.conv.json: the add takes the stem and the block, and its z is their sum', async () => {
    const uri = workspaceFile('resnet-block.conv.json');
    const { result } = await rendered(api, () => vscode.commands.executeCommand<RunSummary>(RUN, uri));
    assert.deepStrictEqual([result.shapes['layers[7].input_0'], result.shapes['layers[7].input_1'], result.shapes['layers[1].delta']], [[1, 2, 6, 6], [1, 2, 6, 6], [1, 2, 6, 6]]);
    const stage = nextPanelMessage(api, 'stage');
    const linked = nextPanelMessage(api, 'linked');
    api.focus({ type: 'focus', layer: 7, stage: 'add', target: { tensor: 'z', index: [0, 1, 2, 3] }, pin: true });
    assert.deepStrictEqual([(await stage).layer, (await stage).stage], [7, 'add']);
    const m = await linked;
    assert.deepStrictEqual(['input_0', 'input_1'].map(n => m.highlights.find(h => h.tensor === n)?.cells), [[[0, 1, 2, 3]], [[0, 1, 2, 3]]]);
  });

  it('runs examples/conv1d.conv.json: a_t has one row per causal window of the sequence; an output links to its window', async () => {
    const uri = workspaceFile('conv1d.conv.json');
    const { result, message } = await rendered(api, () => vscode.commands.executeCommand<RunSummary>(RUN, uri));
    assert.deepStrictEqual(result.shapes['layers[0].z'], [2, 2, 12], 'causal padding keeps the length');
    assert.deepStrictEqual(result.shapes['layers[2].z'], [2, 2, 4]);
    assert.deepStrictEqual(result.shapes['loss.probs'], [2, 2]);
    // Causal, K = 3: window t reads x[t − 2], x[t − 1], x[t], zeros before the sequence starts.
    const spec = await readJson(uri);
    const x: number[] = spec.input[0][0];
    const window = (t: number) => [t - 2, t - 1, t].map(i => (i < 0 ? 0 : x[i]));
    const at = message.shown.find(t => t.name === 'a_t');
    assert.deepStrictEqual(at?.shape, [2, 12, 3]);
    assert.deepStrictEqual(at.cells.slice(0, 36), Array.from({ length: 12 }, (_, t) => window(t)).flat().map(v => formatNumber(v, 4)));

    const linked = nextPanelMessage(api, 'linked');
    api.focus({ type: 'focus', layer: 0, stage: 'im2col', target: { tensor: 'z', index: [0, 1, 5] }, pin: true });
    const m = await linked;
    const w: number[] = spec.layers[0].weight[1][0];
    assert.strictEqual(m.value, w.reduce((s, v, k) => s + v * window(5)[k], spec.layers[0].bias[1]));
    const of = (name: string) => m.highlights.find(h => h.tensor === name);
    assert.deepStrictEqual(of('a_t')?.rows, [5]);
    assert.deepStrictEqual(of('input')?.cells.map(c => c.join()).sort(), ['0,0,3', '0,0,4', '0,0,5']);
    console.log('[screenshot] conv1d-output');
    await sleep(1500);
    // Back from a_t: tap 2 of window 5 is a copy of input position 5; its row is the window, padded positions 5 to 7.
    const copied = nextPanelMessage(api, 'linked');
    api.focus({ type: 'focus', layer: 0, stage: 'im2col', target: { tensor: 'a_t', index: [0, 5, 2] }, pin: true });
    const c = await copied;
    assert.deepStrictEqual(c.highlights.find(h => h.tensor === 'input')?.cells, [[0, 0, 5]]);
    assert.deepStrictEqual([...new Set(c.highlights.find(h => h.tensor === 'a')?.cells.map(p => p.join()))].sort(), ['0,0,5', '0,0,6', '0,0,7']);
    await sleep(1000);
    console.log('[screenshot] conv1d-a_t');
    await sleep(1500);
  });

  it('runs examples/upsample.conv.json: conv_transpose2d makes 8×8 of 4×4, and a pixel of its z links the one z_t entry col2im adds into it', async () => {
    const uri = workspaceFile('upsample.conv.json');
    const { result } = await rendered(api, () => vscode.commands.executeCommand<RunSummary>(RUN, uri));
    // A network's first screen is its lean run (each layer's output); the layer's stages are traced when it is opened.
    assert.deepStrictEqual(result.shapes['layers[2].z'], [1, 1, 8, 8]);
    assert.strictEqual(result.shapes['layers[2].z_rot180'], undefined);
    const stage = nextPanelMessage(api, 'stage');
    // The layer is traced when opened: the link that counts is the one drawn on its stages (z_t among them).
    const linked = nextPanelMessage(api, 'linked', 30_000, m => m.target.tensor === 'z' && m.target.index.join() === '0,0,3,5' && !!m.highlights.find(h => h.tensor === 'z_t')?.cells.length);
    api.focus({ type: 'focus', layer: 2, stage: 'convt_col2im', target: { tensor: 'z', index: [0, 0, 3, 5] }, pin: true });
    assert.deepStrictEqual([(await stage).layer, (await stage).stage], [2, 'convt_col2im']);
    // Stride 2 and a 2×2 kernel: output (3, 5) is tap (1, 1) of input pixel (1, 2) alone, row 1·4 + 2 = 6 of z_t.
    const m = await linked;
    const of = (name: string) => m.highlights.find(h => h.tensor === name)?.cells;
    assert.deepStrictEqual(of('z_t'), [[0, 6, 3]]);
    assert.deepStrictEqual(of('input')?.map(c => c.join()).sort(), ['0,0,1,2', '0,1,1,2']);
    assert.strictEqual(m.terms, 1);
    // Its value from the spec by direct loops: relu(conv2d(x, padding 1)) at (1, 2), through tap (1, 1), plus the bias.
    const spec = await readJson(uri);
    const x: number[][] = spec.input[0][0];
    const at = (i: number, j: number) => (i >= 0 && i < 4 && j >= 0 && j < 4 ? x[i][j] : 0);
    const h = (c: number) => Math.max(0, (spec.layers[0].weight[c][0] as number[][])
      .reduce((s, row, ki) => row.reduce((t, v, kj) => t + v * at(1 + ki - 1, 2 + kj - 1), s), spec.layers[0].bias[c]));
    const expected = [0, 1].reduce((s, c) => s + h(c) * spec.layers[2].weight[c][0][1][1], spec.layers[2].bias[0]);
    assert.ok(Math.abs(m.value - expected) < 1e-12, `${m.value} vs ${expected}`);
  });

  it('never writes the spec file', async () => {
    const uri = workspaceFile('seed.conv.json');
    const before = await vscode.workspace.fs.stat(uri);
    await vscode.commands.executeCommand(RUN, uri);
    const after = await vscode.workspace.fs.stat(uri);
    assert.strictEqual(after.mtime, before.mtime);
    assert.ok(!vscode.workspace.textDocuments.find(d => d.uri.path.endsWith('/seed.conv.json'))?.isDirty);
  });

  describe('live re-runs (convVisualDebugger.liveRerun)', () => {
    const config = () => vscode.workspace.getConfiguration('convVisualDebugger');
    /** Sets the bias in the open document (as typing would), optionally saving. */
    async function setBias(doc: vscode.TextDocument, bias: string, save: boolean): Promise<void> {
      const at = doc.getText().indexOf('"bias": [');
      const end = doc.getText().indexOf(']', at);
      const edit = new vscode.WorkspaceEdit();
      edit.replace(doc.uri, new vscode.Range(doc.positionAt(at), doc.positionAt(end + 1)), `"bias": [${bias}]`);
      assert.ok(await vscode.workspace.applyEdit(edit));
      if (save) assert.ok(await doc.save());
    }
    /** The next rendered trace's z[0, 0] cells, or undefined if none comes within `ms`. */
    function nextZ(ms: number): Promise<string[] | undefined> {
      return nextPanelMessage(api, 'rendered', ms).then(m => m.shown.find(t => t.name === 'z')?.cells, () => undefined);
    }

    // Saving is what these tests do themselves: no auto-save behind their backs.
    before(() => vscode.workspace.getConfiguration('files').update('autoSave', 'off', vscode.ConfigurationTarget.Workspace));
    after(async () => {
      await config().update('liveRerun', undefined, vscode.ConfigurationTarget.Workspace);
      await config().update('liveRerunDelay', undefined, vscode.ConfigurationTarget.Workspace);
      await vscode.workspace.getConfiguration('files').update('autoSave', undefined, vscode.ConfigurationTarget.Workspace);
    });

    it('on save (the default): the panel re-renders with the saved spec; off: it does not', async () => {
      const doc = await vscode.workspace.openTextDocument(workspaceFile('seed.conv.json'));
      await vscode.window.showTextDocument(doc);
      await rendered(api, () => vscode.commands.executeCommand<RunSummary>(RUN, doc.uri));
      let z = nextZ(30_000);
      await setBias(doc, '11, 2', true);
      // z[0, 0] = the worked example's 296, 250, ... plus the new bias 11 instead of 1.
      assert.deepStrictEqual((await z)?.slice(0, 3), ['306', '260', '298']);
      await config().update('liveRerun', 'off', vscode.ConfigurationTarget.Workspace);
      z = nextZ(2_500);
      await setBias(doc, '1, 2', true);
      assert.strictEqual(await z, undefined, 'no re-run when off');
      await config().update('liveRerun', undefined, vscode.ConfigurationTarget.Workspace);
      z = nextZ(30_000);
      await setBias(doc, '1, 2 ', true);
      assert.deepStrictEqual((await z)?.slice(0, 3), ['296', '250', '288']);
    });

    it('as you type: unsaved edits re-run once typing pauses, never while the spec has a problem', async () => {
      await config().update('liveRerun', 'onType', vscode.ConfigurationTarget.Workspace);
      await config().update('liveRerunDelay', 100, vscode.ConfigurationTarget.Workspace);
      const doc = await vscode.workspace.openTextDocument(workspaceFile('seed.conv.json'));
      await vscode.window.showTextDocument(doc);
      let z = nextZ(2_500);
      await setBias(doc, '"x", 2', false);
      assert.strictEqual(await z, undefined, 'a spec with a problem does not run');
      z = nextZ(30_000);
      await setBias(doc, '-4, 2', false);
      assert.deepStrictEqual((await z)?.slice(0, 3), ['291', '245', '283']);
      assert.ok(doc.isDirty, 'the file itself is not written');
      z = nextZ(30_000);
      await setBias(doc, '1, 2', false);
      await z;
      await doc.save();
    });
  });

  describe('the getting-started walkthrough and the worked example', () => {
    const SHOW_STAGE = 'convVisualDebugger.showStage';
    /** Shape of a nested JSON array. */
    const shapeOf = (v: unknown): number[] => (Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : []);

    it('the walkthrough is contributed: seven steps with media that ship, stage links naming real stages', async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
      const [walkthrough] = ext.packageJSON.contributes.walkthroughs as { id: string; steps: { id: string; description: string; media: { markdown: string }; completionEvents?: string[] }[] }[];
      assert.deepStrictEqual(walkthrough.steps.map(s => s.id), ['openWorkedExample', 'run', 'forward', 'backward', 'linkCells', 'debug', 'networks']);
      assert.deepStrictEqual(walkthrough.steps[1].completionEvents, [`onCommand:${RUN}`]);
      for (const step of walkthrough.steps) {
        await vscode.workspace.fs.stat(vscode.Uri.joinPath(ext.extensionUri, step.media.markdown));
        assert.ok(!step.description.startsWith('%'), `${step.id}: the description is localized`);
      }
      const linked = walkthrough.steps.flatMap(s => [...s.description.matchAll(/command:convVisualDebugger\.showStage\?([^)]+)/g)].map(m => JSON.parse(decodeURIComponent(m[1]))[0]));
      assert.deepStrictEqual(linked, ['pad', 'im2col', 'weight_matrix', 'matmul', 'reshape_bias', 'delta_t', 'dA_t', 'col2im', 'dW', 'db', 'rot180', 'reshape_bias']);
    });

    it('"Open the Worked Example" opens the worked example: input (1, 3, 4, 4), weight (2, 3, 2, 2)', async () => {
      const uri = await vscode.commands.executeCommand<string>('convVisualDebugger.openWorkedExample');
      const doc = vscode.window.activeTextEditor?.document;
      assert.strictEqual(doc?.uri.toString(), uri);
      // The harness's workspace holds examples/ at its root: its own copy opens, not the shipped one.
      assert.strictEqual(doc.uri.toString(), workspaceFile('seed.conv.json').toString());
      const spec = JSON.parse(doc.getText());
      assert.deepStrictEqual([shapeOf(spec.input), shapeOf(spec.weight), spec.bias], [[1, 3, 4, 4], [2, 3, 2, 2], [1, 2]]);
    });

    it('the worked example shipped in the extension opens read-only: reads work, writes and other files do not', async () => {
      const shipped = vscode.Uri.parse('conv-example:/seed.conv.json');
      const doc = await vscode.workspace.openTextDocument(shipped);
      assert.deepStrictEqual(shapeOf(JSON.parse(doc.getText()).weight), [2, 3, 2, 2]);
      await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(shipped, new Uint8Array([123, 125]))));
      await assert.rejects(Promise.resolve(vscode.workspace.fs.readFile(vscode.Uri.parse('conv-example:/../package.json'))));
      const { result } = await rendered(api, () => vscode.commands.executeCommand<RunSummary>(RUN, shipped));
      assert.deepStrictEqual(result.shapes.a_t, [1, 9, 12]);
    });

    it('showStage makes the panel show that stage; with no panel it runs the worked example first', async () => {
      await vscode.window.tabGroups.close(panelTabs());
      // A new panel reports its first stage as it renders: wait for the one asked for.
      let stage = nextPanelMessage(api, 'stage', 30_000, m => m.stage === 'dW');
      assert.strictEqual(await vscode.commands.executeCommand(SHOW_STAGE, 'dW'), true);
      await stage;
      assert.strictEqual(panelTabs()[0]?.label, 'Conv: seed.conv.json');
      stage = nextPanelMessage(api, 'stage');
      assert.strictEqual(await vscode.commands.executeCommand(SHOW_STAGE, 'matmul'), true);
      assert.deepStrictEqual([(await stage).stage, (await stage).index], ['matmul', 3]);
      assert.strictEqual(await vscode.commands.executeCommand(SHOW_STAGE, 'no such stage'), false);
    });
  });
});
