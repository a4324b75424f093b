// JSON files in a real VS Code: hovers, diagnostics, CodeLens, runs on a selection.

import * as assert from 'assert';
import * as vscode from 'vscode';
import type { ConvVisualDebuggerApi, RunSummary } from '../../src/extension/extension';
import type { ConvTrace } from '../../src/engine/trace';
import { decodeSafetensors } from '../../src/specReader/safetensors';
import { EXTENSION_ID, eventually, readJson, sleep, workspaceFile } from './support';

function untitledJson(content: string): Thenable<vscode.TextDocument> {
  return vscode.workspace.openTextDocument({ language: 'json', content });
}

function seedUri(): vscode.Uri {
  return vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'seed.conv.json');
}

/** The hovers' Markdown with backslash escapes resolved (text from the file is escaped: `\$\.input` reads `$.input`). */
async function hoverText(uri: vscode.Uri, position: vscode.Position): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position);
  const markdown = hovers.flatMap(h => h.contents.map(c => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value))).join('\n---\n');
  return markdown.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

describe('JSON tensors in VS Code', () => {
  let api: ConvVisualDebuggerApi;

  before(async () => {
    api = await vscode.extensions.getExtension<ConvVisualDebuggerApi>(EXTENSION_ID)!.activate();
  });

  it('hovering "input" in seed.conv.json shows a_t (1, 9, 12), z (1, 2, 3, 3) and the filled-in formula', async () => {
    const doc = await vscode.workspace.openTextDocument(seedUri());
    const text = await hoverText(doc.uri, doc.positionAt(doc.getText().indexOf('"input"') + 2));
    assert.match(text, /`a_t` = im2col\(a\) `\(1, 9, 12\)`/);
    assert.match(text, /`z` `\(1, 2, 3, 3\)`/);
    assert.ok(text.includes('Hout = floor((4 + 0 + 0 - 1·(2-1) - 1) / 1) + 1 = 3'), text);
  });

  it('hovering "weight" shows w_t (12, 2); hovering a number shows the tensor and the cell', async () => {
    const doc = await vscode.workspace.openTextDocument(seedUri());
    assert.match(await hoverText(doc.uri, doc.positionAt(doc.getText().indexOf('"weight"') + 2)), /`w_t` = w\.reshape\(Cout, -1\)\.T `\(12, 2\)`/);
    const text = await hoverText(doc.uri, doc.positionAt(doc.getText().indexOf('[9, 3]') + 1));
    assert.match(text, /\*\*\$\.weight\*\* · tensor `\(2, 3, 2, 2\)` · 24 values/);
    assert.match(text, /cell `weight\[1, 0, 1, 0\]` = 9/);
  });

  it('reads .npy files next to a spec: the hover shows the file\'s shape and dtype, and the spec runs', async () => {
    const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'edge.conv.json');
    const doc = await vscode.workspace.openTextDocument(uri);
    const text = await hoverText(uri, doc.positionAt(doc.getText().indexOf('"input"') + 2));
    assert.match(text, /\*\*edge-input\.npy\*\*: float32 `\(1, 1, 6, 6\)`/);
    const result = await vscode.commands.executeCommand<RunSummary>('convVisualDebugger.run', uri);
    assert.deepStrictEqual(result.shapes.z, [1, 2, 6, 6]);
    assert.deepStrictEqual(await api.diagnostics(doc), []);
  });

  it('hovers any numeric array in any JSON file', async () => {
    const doc = await untitledJson('{"data": {"series": [[1, 2, 3], [4, 5, 6]]}}');
    const text = await hoverText(doc.uri, doc.positionAt(doc.getText().indexOf('5')));
    assert.match(text, /\*\*\$\.data\.series\*\* · tensor `\(2, 3\)` · 6 values/);
    assert.match(text, /min 1 · max 6 · mean 3\.5/);
  });

  it('puts a broken spec\'s problems in the Problems panel at their ranges, and clears them when fixed', async () => {
    const doc = await untitledJson('{\n  "input": [[[[1, 2], [3, 4]]], [[[5, 6], [7]]]],\n  "weight": [[[[1, "x"]]]],\n  "stride": 0\n}');
    const diagnostics = await eventually('diagnostics', () => vscode.languages.getDiagnostics(doc.uri), d => d.length >= 2);
    const messages = diagnostics.map(d => d.message);
    assert.ok(messages.some(m => /^ragged array/.test(m)), messages.join(' | '));
    assert.ok(messages.some(m => /expected a number, found the string "x"/.test(m)), messages.join(' | '));
    const x = diagnostics.find(d => d.message.includes('"x"'))!;
    assert.strictEqual(doc.getText(x.range), '"x"');
    assert.strictEqual(x.source, 'conv');

    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(0, 0, doc.lineCount, 0), JSON.stringify({ input: [[[[1, 2], [3, 4]]]], weight: [[[[1, 0], [0, 1]]]] }));
    await vscode.workspace.applyEdit(edit);
    await eventually('diagnostics cleared', () => vscode.languages.getDiagnostics(doc.uri), d => d.length === 0);
  });

  it('hostile input: a spec naming a .npy outside its workspace folder gets a problem at the key, the file unread', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri;
    // Beside this run's scratch workspace, under a name of its own.
    const name = `${folder.path.split('/').pop()}-outside.npy`;
    const outside = vscode.Uri.joinPath(folder, '..', name);
    const spec = vscode.Uri.joinPath(folder, 'outside.conv.json');
    await vscode.workspace.fs.writeFile(outside, await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, 'edge-input.npy')));
    await vscode.workspace.fs.writeFile(spec, new TextEncoder().encode(`{\n  "input": {"npy": "../${name}"},\n  "weight": [[[[1]]]]\n}\n`));
    try {
      const doc = await vscode.workspace.openTextDocument(spec);
      const [problem, ...rest] = await api.diagnostics(doc);
      assert.deepStrictEqual(rest, []);
      assert.strictEqual(problem.message, `../${name}: the file is outside the workspace folder "${folder.path.split('/').pop()}"; a spec reads files from its own workspace folder only`);
      assert.strictEqual(doc.getText(problem.range), `"../${name}"`);
    } finally {
      await vscode.workspace.fs.delete(spec);
      await vscode.workspace.fs.delete(outside);
    }
  });

  it('hostile input: a spec nested 10,000 deep gets one problem at the bracket, and hovers still answer', async () => {
    const doc = await untitledJson('{"weight": 1, "input": ' + '['.repeat(10_000) + ']'.repeat(10_000) + '}');
    const [problem, ...rest] = await api.diagnostics(doc);
    assert.deepStrictEqual(rest, []);
    assert.strictEqual(problem.message, 'nested more than 64 levels deep, too deep for a spec');
    assert.strictEqual(doc.offsetAt(problem.range.start), doc.getText().indexOf('[') + 63);
    assert.strictEqual(typeof await hoverText(doc.uri, doc.positionAt(5)), 'string');
  });

  it('checks a big spec (over 2 MB) once typing stops, not at every pause between keystrokes', async () => {
    const big = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'big-check.conv.json');
    const image = Array.from({ length: 700 }, (_, i) => Array.from({ length: 700 }, (_, j) => ((i * 7 + j * 3) % 100) / 8));
    const text = `{\n  "input": ${JSON.stringify([[image]])},\n  "weight": [[[[1]]]],\n  "stride": 0\n}\n`;
    assert.ok(text.length > 2_000_000, `${text.length} characters`);
    await vscode.workspace.fs.writeFile(big, new TextEncoder().encode(text));
    try {
      const doc = await vscode.workspace.openTextDocument(big);
      await vscode.window.showTextDocument(doc);
      const conv = () => vscode.languages.getDiagnostics(big).filter(d => d.source === 'conv');
      await eventually('the problem found on open', conv, d => d.some(x => /stride/.test(x.message)), 30_000);
      const edit = (range: vscode.Range, text: string) => { const e = new vscode.WorkspaceEdit(); e.replace(big, range, text); return vscode.workspace.applyEdit(e); };
      const line = Array.from({ length: doc.lineCount }, (_, i) => i).find(i => doc.lineAt(i).text.includes('"stride"'))!;
      assert.ok(await edit(doc.lineAt(line).range, '  "stride": 1'));
      assert.strictEqual((JSON.parse(doc.getText()) as { stride: number }).stride, 1);
      // Typing on, a keystroke every 0.5 s (longer than the 300 ms pause that rechecks a small spec): no recheck.
      for (let k = 0; k < 6; k++) {
        await sleep(500);
        assert.ok(conv().some(x => /stride/.test(x.message)), `rechecked while typing (after ${k} keystrokes)`);
        const end = doc.lineAt(doc.lineCount - 1).range.end;
        assert.ok(await edit(new vscode.Range(end, end), ' '));
      }
      // Typing stopped: checked again.
      await eventually('the problem gone once typing stopped', conv, d => d.length === 0, 30_000);
    } finally {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await vscode.workspace.fs.delete(big);
    }
  });

  it('hostile input: a key of control characters is one printable line in the Problems panel', async () => {
    const key = '\u001b]0;pwned\u0007\nok\u202e *b* [l](x)';
    const doc = await untitledJson(JSON.stringify({ input: [[[[1]]]], weight: [[[[1]]]], [key]: 1 }, null, 1));
    const d = await api.diagnostics(doc);
    assert.strictEqual(d.length, 1);
    assert.ok(!/[\p{Cc}\u202e]/u.test(d[0].message), JSON.stringify(d[0].message));
    assert.match(d[0].message, /unknown key "\\x1b\]0;pwned\\x07\\nok\\u202e \*b\* \[l\]\(x\)"/);
  });

  it('a JSON file over the scan budget (nested 300 deep) hovers "too deep to preview" instead of scanning on', async () => {
    const doc = await untitledJson('['.repeat(300) + '1' + ']'.repeat(300));
    assert.match(await hoverText(doc.uri, doc.positionAt(300)), /nests more than 256 levels deep, too deep to preview/);
  });

  it('reports geometry problems at their key: channels, stride, groups', async () => {
    const doc = await untitledJson(JSON.stringify({ input: [[[[1, 2], [3, 4]]], [[[1, 2], [3, 4]]]], weight: [[[[1]]], [[[1]]]], groups: 2 }, null, 1));
    const d = await api.diagnostics(doc);
    assert.strictEqual(d.length, 1);
    assert.match(d[0].message, /groups 2 does not divide the input's 1 channels/);
    assert.strictEqual(doc.getText(d[0].range), '2');
  });

  it('shows a CodeLens above a spec that runs it, and one with the shapes it produces', async () => {
    const lenses = await eventually('lenses', () => vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', seedUri()), l => (l?.length ?? 0) >= 2);
    const titles = lenses.map(l => l.command?.title);
    assert.ok(titles.includes('▶ Run Conv Forward/Backward'), titles.join(' | '));
    assert.ok(titles.includes('a_t (1, 9, 12) · w_t (12, 2) · z (1, 2, 3, 3)'), titles.join(' | '));
    const run = lenses.find(l => l.command?.title.startsWith('▶'))!.command!;
    const result = await vscode.commands.executeCommand<RunSummary>(run.command, ...(run.arguments ?? []));
    assert.deepStrictEqual(result.shapes.z, [1, 2, 3, 3]);
  });

  it('in a network spec (lenet.conv.json), hovering a layer shows its input and output shapes; a CodeLens above each layer shows them too', async () => {
    const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'lenet.conv.json');
    const doc = await vscode.workspace.openTextDocument(uri);
    // The third layer's "type" key: maxpool2d after conv 6@5×5 and relu.
    const lines = doc.getText().split('\n');
    const typeLines = lines.map((l, i) => (l.includes('"type"') && !l.includes('cross_entropy') ? i : -1)).filter(i => i >= 0);
    const line = typeLines[2];
    const text = await eventually('the layer hover', () => hoverText(uri, new vscode.Position(line, lines[line].indexOf('"type"') + 2)), t => t.includes('layers[2]'));
    assert.match(text, /\*\*layers\[2\]\*\* maxpool2d 2×2 · `\(1, 6, 24, 24\)` → `\(1, 6, 12, 12\)`/);
    assert.match(text, /`pool_t` `\(1, 6, 144, 4\)`/);
    const lenses = await eventually('lenses', () => vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri), l => (l?.length ?? 0) >= 10);
    const titles = lenses.map(l => l.command?.title);
    // With the network's FLOPs and parameters in all, and each layer's (the engine's unit tests check the numbers).
    assert.ok(titles.some(t => /^8 layers · \(1, 1, 28, 28\) → \(1, 10\) · [\d,]+ FLOPs · [\d,]+ parameters$/.test(t ?? '')), titles.join(' | '));
    const pool = lenses.find(l => l.command?.title.startsWith('layers[2] '));
    // Max pooling compares 3 times in each 2×2 window, for each of its 6·12·12 outputs.
    const flops = (6 * 12 * 12 * 3).toLocaleString('en-US');
    assert.strictEqual(pool?.command?.title, `layers[2] maxpool2d 2×2 · (1, 6, 24, 24) → (1, 6, 12, 12) · ${flops} FLOPs · 0 parameters`);
    assert.strictEqual(pool?.range.start.line, line, 'above the layer');
  });

  it('the JSON schema knows network specs: lenet.conv.json (and seed.conv.json) have no schema warnings; a misspelt layer key has one', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const typo = vscode.Uri.joinPath(folder, 'typo-net.conv.json');
    await vscode.workspace.fs.writeFile(typo, new TextEncoder().encode('{\n  "input": [[[[1, 2], [3, 4]]]],\n  "layers": [{"type": "leaky_relu", "slop": 0.1}]\n}\n'));
    const lenet = vscode.Uri.joinPath(folder, 'lenet.conv.json');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(seedUri()));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(lenet));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(typo));
    // The JSON language service's own diagnostics (ours carry the source "conv").
    const fromSchema = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter(d => d.source !== 'conv');
    const warned = await eventually('the schema warning', () => fromSchema(typo), d => d.length > 0, 30_000);
    assert.match(warned.map(d => d.message).join(' | '), /slop/);
    assert.strictEqual(warned[0].range.start.line, 2);
    assert.deepStrictEqual(fromSchema(lenet).map(d => d.message), []);
    assert.deepStrictEqual(fromSchema(seedUri()).map(d => d.message), [], 'v1 specs still validate');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await vscode.workspace.fs.delete(typo);
  });

  it('runs on a selection: the selected image is the input, the quick picks choose the file\'s kernel and the defaults', async () => {
    const image = [[1, 2, 3, 0], [4, 5, 6, 1], [7, 8, 9, 2]];
    const kernel = [[1, 0], [0, -1]];
    const doc = await untitledJson(JSON.stringify({ image, notes: 'not a tensor', kernel }, null, 2));
    const editor = await vscode.window.showTextDocument(doc);
    const start = doc.getText().indexOf('"image": ') + '"image": '.length;
    const end = doc.getText().indexOf('"notes"');
    const selectionText = doc.getText().slice(start, end).replace(/,\s*$/, '');
    editor.selection = new vscode.Selection(doc.positionAt(start), doc.positionAt(start + selectionText.length));
    const shown: string[][] = [];
    const sub = api.onDidReceivePanelMessage(m => { if (m.type === 'rendered') shown.push(m.shown.find(t => t.name === 'z')?.cells ?? []); });
    const running = vscode.commands.executeCommand<RunSummary>('convVisualDebugger.run');
    // Role (input), weight ($.kernel fits first), geometry (stride 1, no padding), no bias, δ = ones
    // (the bias and δ picks show since the workspace has tensor files): accept the defaults as a user pressing Enter.
    for (let i = 0; i < 5; i++) {
      await sleep(700);
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    }
    const result = await running;
    assert.ok(result, 'the selection ran');
    assert.deepStrictEqual(result.shapes.input, [1, 1, 3, 4]);
    assert.deepStrictEqual(result.shapes.weight, [1, 1, 2, 2]);
    assert.deepStrictEqual(result.shapes.z, [1, 1, 2, 3]);
    // z[i][j] = image[i][j] - image[i+1][j+1], by hand.
    await eventually('the panel renders z', () => shown, s => s.length > 0);
    sub.dispose();
    assert.deepStrictEqual(shown[shown.length - 1], ['-4', '-4', '2', '-4', '-4', '4']);
  });

  it('runs on a selection with the weight and bias picked from a .safetensors file; the saved spec names the file from where it is', async () => {
    const kernels = workspaceFile('chelsea-kernels.safetensors');
    // The order the file pick lists: the workspace's tensor files by path.
    const tensorFiles = (await vscode.workspace.findFiles('**/*.{npy,npz,safetensors,pt,pth,onnx,png,jpg,jpeg}', '**/node_modules/**')).sort((a, b) => a.path.localeCompare(b.path));
    const at = tensorFiles.findIndex(u => u.path === kernels.path);
    assert.ok(at >= 0, 'the workspace has examples/chelsea-kernels.safetensors');
    const image = Array.from({ length: 3 }, (_, c) => Array.from({ length: 5 }, (_, y) => Array.from({ length: 6 }, (_, x) => (c + 1) * (y * 6 + x) % 7)));
    const data = workspaceFile('selection-picks', 'data.json');
    await vscode.workspace.fs.writeFile(data, new TextEncoder().encode(JSON.stringify({ image }, null, 2)));
    const doc = await vscode.workspace.openTextDocument(data);
    const editor = await vscode.window.showTextDocument(doc);
    const start = doc.getText().indexOf('[');
    editor.selection = new vscode.Selection(doc.positionAt(start), doc.positionAt(doc.getText().lastIndexOf(']') + 1));
    const step = async (...commands: string[]) => {
      await sleep(700);
      for (const c of commands) await vscode.commands.executeCommand(c);
    };
    const accept = 'workbench.action.acceptSelectedQuickOpenItem';
    const toTheFile = Array<string>(at).fill('quickInput.next');
    const running = api.run();
    await step(accept); // the selection is the input
    await step('quickInput.last', accept); // the weight: "From a file in the workspace…", the last item
    await step(...toTheFile, accept); // chelsea-kernels.safetensors
    await step(accept); // conv1.weight, the key that fits, first
    await step(accept); // stride 1, no padding
    await step('quickInput.last', accept); // the bias: from a file too
    await step(...toTheFile, accept);
    await step(accept); // conv1.bias, the key that fits (2,)
    await step(accept); // δ = all ones
    const result = await running;
    assert.ok(result, 'the selection ran');
    const trace = result.trace as ConvTrace;
    // What the spec reader reads for those keys, in the trace's dtype.
    const bytes = await vscode.workspace.fs.readFile(kernels);
    for (const [name, key] of [['weight', 'conv1.weight'], ['bias', 'conv1.bias']] as const) {
      const expected = decodeSafetensors(bytes, key, trace.dtype, 1e6).tensor;
      assert.deepStrictEqual(trace.tensors[name]!.shape, expected.shape, name);
      assert.deepStrictEqual(Array.from(trace.tensors[name]!.data), Array.from(expected.data), name);
    }
    assert.deepStrictEqual(trace.tensors.input!.shape, [1, 3, 5, 6]);

    const target = workspaceFile('selection-picks', 'saved', 'deeper', 'run.conv.json');
    const saved = await vscode.commands.executeCommand<string>('convVisualDebugger.saveSelectionRun', target);
    assert.strictEqual(saved, target.toString());
    const spec = await readJson(target);
    assert.deepStrictEqual(spec.weight, { safetensors: '../../../chelsea-kernels.safetensors', key: 'conv1.weight' });
    assert.deepStrictEqual(spec.bias, { safetensors: '../../../chelsea-kernels.safetensors', key: 'conv1.bias' });
    assert.deepStrictEqual(spec.input, [image], 'a JSON array is saved as its values');
    // The saved spec reads the file through the normal spec path and gives the same z.
    const rerun = await api.run(target);
    assert.ok(rerun, 'the saved spec ran');
    assert.deepStrictEqual(Array.from((rerun.trace as ConvTrace).tensors.z!.data), Array.from(trace.tensors.z!.data));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(workspaceFile('selection-picks'), { recursive: true });
  });
});
