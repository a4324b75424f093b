// Issue #18's flow in one session (`ui --only modelflow`, `--web` too), as a new user at 1280 × 800 meets it:
// examples/digits.onnx opens as its graph; "Run on…" the photograph examples/chelsea.png through the real quick
// picks; the first Conv's feature-map gallery with the image beside; the first Conv's node clicked in the model
// editor opens that layer in the panel, whose z_t holds onnxruntime's value; then the debugger on a spec naming the
// model stops at the first node, steps one node, and its Variables view shows that node's output. The first Conv's
// layer saved with Save as Spec… (the real save dialog, beside the model): its spec and .safetensors on disk, traced
// by the library, give onnxruntime's Conv output; run on its own at the end, its z_t holds the model run's value.
// Last, a float32 network whose 3×3 conv the run makes by Winograd: its layer opened says so under its facts.

import * as fs from 'fs';
import * as path from 'path';
import type { FrameLocator, Page } from 'playwright-core';
import { ROOT } from '../codeServer';
import { Run, pointAt, roomForPanel } from '../harness';
import { openFromExplorer, runFromPalette } from '../workbench';
import { encodeNpy, traceFile } from '../../../src/lib';
import type { NetworkTrace } from '../../../src/engine/network';
import type { Tensor } from '../../../src/engine/tensor';
import { readGraph } from '../../../src/specReader/onnx/graph';
import { reference } from '../../unit/onnxReference';

/** The spec the debugger runs, written into the session's scratch copy of examples/. */
export const FLOW_SPEC = 'photo-model.conv.json';
/** The target class picked for the run and written into the spec. */
const CLASS = 3;

export function writeFlowSpec(ws: string): void {
  // What "Run on…" makes of chelsea.png for the 1-channel 8 × 8 model: gray, resized, scaled to 0–1.
  const spec = { model: { onnx: 'digits.onnx' }, input: { image: 'chelsea.png', mode: 'gray', size: [8, 8], scale: 255 }, loss: { type: 'cross_entropy', target: [CLASS] } };
  fs.writeFileSync(path.join(ws, FLOW_SPEC), `${JSON.stringify(spec, null, 2)}\n`);
}

/** The first Conv on the photograph, by onnxruntime: its output, and its output on zeros (the bias at every position). */
async function firstConvByOnnxruntime(ws: string): Promise<{ output: Tensor; bias: Tensor }> {
  // The preprocessed photograph, as the spec reader makes it (the engine reads the PNG; onnxruntime computes).
  const trace = await traceFile(path.join(ws, FLOW_SPEC)) as NetworkTrace;
  const input = trace.layers[0].tensors.input!;
  const model = fs.readFileSync(path.join(ROOT, 'examples/digits.onnx'));
  const conv = readGraph(model).nodes.find(n => n.op === 'Conv')!.outputs[0];
  const [on, zero] = await Promise.all([reference(model, input), reference(model, { ...input, data: new Float64Array(input.data.length) })]);
  return { output: on[conv], bias: zero[conv] };
}

/** z_t[0, row, col] (position row, channel col), the matrix product before the bias. */
function ztOf({ output, bias }: { output: Tensor; bias: Tensor }, row: number, col: number): number {
  const [, , h, w] = output.shape;
  const at = (t: Tensor) => t.data[(col * h + Math.floor(row / w)) * w + row % w];
  return at(output) - at(bias);
}

const near = (shown: number, want: number) => Math.abs(shown - want) <= 1e-3 * Math.max(1, Math.abs(want));

/** What Save as Spec… suggests for the first Conv (node /conv1/Conv) beside digits.onnx. */
const SAVED_SPEC = 'digits.conv1_Conv.conv.json';

/** The value the panel's inspector shows for z_t[0, row, col] of the open layer. */
async function shownZt(page: Page, panel: FrameLocator, row: number, col: number): Promise<{ text: string; value: number }> {
  await panel.locator('.chip', { hasText: 'Matrix product' }).click();
  await panel.locator('section.stage.current[data-stage="matmul"] section.tensor[data-tensor="z_t"]').first().waitFor({ timeout: 30_000 });
  await pointAt(page, panel, 'z_t', row, col);
  const cell = panel.locator('.inspector-cell', { hasText: `z_t[0, ${row}, ${col}] =` });
  await cell.waitFor({ timeout: 10_000 });
  const text = await cell.innerText();
  return { text, value: Number(/=\s*(-?[\d.e+-]+)/.exec(text)?.[1]) };
}

/** The webview whose document holds `selector` (the model editor's graph, or the panel's chain), two iframes deep. */
async function frameWith(page: Page, selector: string, ms = 60_000): Promise<FrameLocator> {
  const until = Date.now() + ms;
  for (;;) {
    const frames = page.locator('iframe.webview.ready');
    for (let i = 0; i < await frames.count(); i++) {
      const frame = page.frameLocator('iframe.webview.ready').nth(i).frameLocator('#active-frame');
      if (await frame.locator(selector).count().catch(() => 0) > 0) return frame;
    }
    if (Date.now() > until) throw new Error(`no webview shows ${selector}`);
    await page.waitForTimeout(300);
  }
}

/** Picks the quick pick's row that says `label` (typed, as a person filters the list). */
async function pick(page: Page, title: string, label: string): Promise<void> {
  const widget = page.locator('.quick-input-widget', { hasText: title });
  await widget.waitFor({ timeout: 20_000 });
  await page.locator('.quick-input-widget input').fill(label);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}

export async function modelFlowChecks(run: Run, page: Page, ws: string): Promise<void> {
  const shot = (name: string) => page.screenshot({ path: path.join(run.dir, `${name}.png`) });
  await page.setViewportSize({ width: 1280, height: 800 });
  let editor: FrameLocator;
  let panel: FrameLocator;
  const conv = firstConvByOnnxruntime(ws);
  conv.catch(() => undefined); // awaited by the checks that need it, which report its failure
  const steps: [string, () => Promise<void>][] = [
    ['digits.onnx opens from the explorer in the model editor: its graph of 8 nodes', async () => {
      // A file clicked before the workbench knows the extension's editors opens as text: wait for a CodeLens first.
      await openFromExplorer(page, 'seed.conv.json');
      await page.locator('.codelens-decoration', { hasText: 'Run Conv Forward/Backward' }).first().waitFor({ timeout: 60_000 });
      await runFromPalette(page, 'View: Close All Editor Groups');
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'digits.onnx' }).first().click({ timeout: 30_000 });
      await page.locator('.tabs-container .tab.active', { hasText: 'digits.onnx' }).waitFor({ timeout: 30_000 });
      editor = await frameWith(page, 'svg.graph .node');
      const boxes = await editor.locator('svg.graph .node').count();
      if (boxes !== 8) throw new Error(`${boxes} node boxes`);
      await page.waitForTimeout(300);
      await shot('flow-01-model');
    }],
    [`"Run on…" the photograph chelsea.png, class ${CLASS}, through the quick picks: the panel shows the model's layers`, async () => {
      await editor.locator('vscode-button', { hasText: 'Run on' }).click();
      await pick(page, 'Run the model on', 'An image of the workspace');
      await pick(page, 'Run the model on which image?', 'chelsea.png');
      // An RGB model would ask for a preprocessing preset here; digits is gray 8 × 8, which has one.
      const box = page.locator('.quick-input-widget', { hasText: 'Target class' });
      await box.waitFor({ timeout: 20_000 });
      await page.keyboard.type(String(CLASS));
      await page.keyboard.press('Enter');
      await page.locator('.tabs-container .tab', { hasText: 'digits.onnx on chelsea.png' }).waitFor({ timeout: 60_000 });
      panel = await frameWith(page, '.chain-layer');
      await panel.locator('#title', { hasText: 'digits.onnx on chelsea.png' }).waitFor({ timeout: 60_000 });
      await page.waitForTimeout(500);
      await shot('flow-02-ran');
    }],
    ['the first Conv\'s gallery: its 8 channels, the photograph beside them', async () => {
      await panel.locator('.chain-layer[data-layer="0"]').click({ timeout: 60_000 });
      const toggle = panel.locator('.gallery-toggle');
      if (await toggle.getAttribute('aria-pressed') !== 'true') await toggle.click();
      await panel.locator('.gallery-tile canvas').nth(7).waitFor({ timeout: 30_000 });
      const tiles = await panel.locator('.gallery-tile canvas').count();
      if (tiles !== 8) throw new Error(`the gallery shows ${tiles} maps, expected 8`);
      await panel.locator('.gallery-input canvas.gallery-picture').first().waitFor({ timeout: 30_000 });
      await page.mouse.move(5, 5);
      await page.waitForTimeout(300);
      await shot('flow-03-gallery');
    }],
    ['another layer opened, then the first Conv\'s node clicked in the model editor: the panel opens that layer', async () => {
      await panel.locator('.chain-layer[data-layer="3"]').click();
      await panel.locator('.chain-layer.current[data-layer="3"]').waitFor({ timeout: 10_000 });
      await editor.locator('svg.graph .node.family-conv').first().click();
      await panel.locator('.chain-layer.current[data-layer="0"]').waitFor({ timeout: 15_000 });
      await page.waitForTimeout(300);
      await shot('flow-04-node-clicked');
    }],
    ['its z_t stage: a value pointed at is onnxruntime\'s Conv output less the bias', async () => {
      const [row, col] = [27, 5];
      const want = ztOf(await conv, row, col);
      const { text, value: shown } = await shownZt(page, panel, row, col);
      if (!near(shown, want)) throw new Error(`the inspector says ${text}, onnxruntime gives ${want}`);
      await page.waitForTimeout(300);
      await shot('flow-05-z_t');
      await page.mouse.move(5, 5);
    }],
    [`the first Conv saved with Save as Spec… through the save dialog: ${SAVED_SPEC} and its .safetensors beside the model, opened, onnxruntime's Conv output when traced`, async () => {
      await page.mouse.move(5, 5);
      await page.keyboard.press('Escape');
      const save = panel.locator('button.save-layer-spec');
      if (await save.isDisabled()) throw new Error('Save as Spec… is disabled on the first Conv');
      await save.click();
      // The save dialog starts beside digits.onnx with the node's name: accepted as suggested.
      const dialog = page.locator('.quick-input-widget', { hasText: 'Save Layer as Spec' });
      await dialog.waitFor({ timeout: 30_000 });
      // The dialog fills its input once it has listed the folder.
      const input = page.locator('.quick-input-widget input');
      for (let i = 0; i < 50 && !(await input.inputValue()).endsWith(`/${SAVED_SPEC}`); i++) await page.waitForTimeout(200);
      const suggested = await input.inputValue();
      if (!suggested.endsWith(`/${SAVED_SPEC}`) || !suggested.includes(path.basename(ws))) throw new Error(`the dialog suggests ${suggested}`);
      await page.waitForTimeout(300);
      await shot('flow-06-save-dialog');
      await page.keyboard.press('Enter');
      await page.locator('.tabs-container .tab.active .label-name', { hasText: SAVED_SPEC }).waitFor({ timeout: 30_000 });
      for (const file of [SAVED_SPEC, 'digits.conv1_Conv.safetensors']) if (!fs.existsSync(path.join(ws, file))) throw new Error(`${file} was not written`);
      const saved = await traceFile(path.join(ws, SAVED_SPEC)) as NetworkTrace;
      const z = saved.layers[0].tensors.z!;
      const { output } = await conv;
      const worst = Math.max(...Array.from(output.data, (v, i) => Math.abs(v - z.data[i])));
      if (saved.layers.length !== 1 || saved.layers[0].op !== 'conv2d' || worst > 1e-4) throw new Error(`the saved spec traces ${saved.layers.map(l => l.op).join(', ')}, z off onnxruntime's by ${worst}`);
      await page.locator('.editor-group-container .view-lines', { hasText: 'safetensors' }).first().waitFor({ timeout: 15_000 });
      await page.waitForTimeout(500);
      await shot('flow-06-saved-spec');
      // Its own tab made active first: "Close Editor" closes the active one, which in the web host was once still the panel.
      await page.locator('.tabs-container .tab', { hasText: 'digits.conv1_Conv.conv.json' }).first().click();
      await page.locator('.tabs-container .tab.active', { hasText: 'digits.conv1_Conv.conv.json' }).waitFor({ timeout: 10_000 });
      await runFromPalette(page, 'View: Close Editor');
    }],
    ['the panel given the room, digits.onnx reopened over it: its ReLU node clicked brings the panel back beside, on that layer', async () => {
      await page.keyboard.press('Escape');
      await roomForPanel(page, 'digits.onnx on chelsea.png');
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'digits.onnx' }).first().click({ timeout: 30_000 });
      await page.locator('.tabs-container .tab.active .label-name', { hasText: /^digits\.onnx$/ }).waitFor({ timeout: 30_000 });
      editor = await frameWith(page, 'svg.graph .node');
      await editor.locator('svg.graph .node').nth(1).click();
      panel = await frameWith(page, '.chain-layer.current[data-layer="1"]', 30_000);
      await page.waitForTimeout(500);
      await shot('flow-06b-node-reveals-panel');
    }],
    [`the debugger on ${FLOW_SPEC} (naming the model) stops before the first node, its Variables the Conv's tensors`, async () => {
      await page.keyboard.press('Escape');
      await openFromExplorer(page, FLOW_SPEC);
      await runFromPalette(page, 'Debug: Start Debugging');
      await page.locator('.debug-toolbar').waitFor({ timeout: 60_000 });
      await page.locator('.debug-call-stack .monaco-list-row', { hasText: 'nothing run yet' }).first().waitFor({ timeout: 60_000 });
      await page.locator('.debug-variables .monaco-list-row', { hasText: 'Tensors of layers[0] conv2d' }).first().waitFor({ timeout: 30_000 });
      await page.waitForTimeout(500);
      await shot('flow-07-debug-entry');
    }],
    ['stepping one node (the Conv\'s stages stepped over): the Variables view shows its output z (1, 8, 8, 8)', async () => {
      const top = page.locator('.debug-call-stack .monaco-list-row').first();
      const done = async () => /layers\[0\].*Reshape and add bias/.test(await top.innerText());
      for (let i = 0; i < 8 && !await done(); i++) {
        await runFromPalette(page, 'Debug: Step Over');
        await page.waitForTimeout(600);
      }
      if (!await done()) throw new Error(`the top frame is ${await top.innerText()}`);
      const z = page.locator('.debug-variables .monaco-list-row', { hasText: /\bz\s*=\s*float\d+ \(1, 8, 8, 8\)/ }).first();
      await z.waitFor({ timeout: 15_000 });
      // Its smallest value is onnxruntime's.
      const text = await z.innerText();
      const min = Math.min(...(await conv).output.data);
      if (!near(Number(/min\s*(-?[\d.e+-]+)/.exec(text)?.[1]), min)) throw new Error(`the Variables view says ${text}, onnxruntime's min is ${min}`);
      await page.waitForTimeout(500);
      await shot('flow-08-debug-stepped');
      await runFromPalette(page, 'Debug: Stop');
      await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 15_000 });
    }],
    [`${SAVED_SPEC} run on its own (Run Conv Forward/Backward): one conv2d layer, its z_t the model run's value`, async () => {
      await runFromPalette(page, 'View: Show Explorer');
      // The debug console the debugger left open takes the height the heatmaps need.
      if (await page.locator('.part.panel').isVisible()) await runFromPalette(page, 'View: Toggle Panel Visibility');
      await openFromExplorer(page, SAVED_SPEC);
      await runFromPalette(page, 'Conv: Run Conv Forward/Backward');
      panel = await frameWith(page, '.chain-layer');
      await panel.locator('#title', { hasText: SAVED_SPEC }).waitFor({ timeout: 60_000 });
      const chips = await panel.locator('.chain-layer').count();
      if (chips !== 1) throw new Error(`the panel shows ${chips} layers`);
      await panel.locator('.chain-layer[data-layer="0"]').click();
      const [row, col] = [27, 5];
      const want = ztOf(await conv, row, col);
      const { text, value } = await shownZt(page, panel, row, col);
      if (!near(value, want)) throw new Error(`the inspector says ${text}, onnxruntime gives ${want}`);
      await page.waitForTimeout(300);
      await shot('flow-09-saved-spec-run');
      await page.mouse.move(5, 5);
    }],
    ['a float32 network whose 3×3 conv the run makes by Winograd, forward, ∂C/∂input and ∂C/∂w: the layer opened says so under its facts', async () => {
      writeWinogradSpec(ws);
      await runFromPalette(page, 'View: Close All Editor Groups');
      await openFromExplorer(page, WINOGRAD_SPEC);
      await runFromPalette(page, 'Conv: Run Conv Forward/Backward');
      panel = await frameWith(page, '.chain-layer');
      await panel.locator('#title', { hasText: WINOGRAD_SPEC }).waitFor({ timeout: 60_000 });
      await panel.locator('.chain-layer[data-layer="0"]').click();
      const note = panel.locator('.toolbar .run-made');
      await note.waitFor({ timeout: 30_000 });
      const text = await note.innerText();
      // Its output, its ∂C/∂input (the input's gradient, δ = ones from the head) and ∂C/∂w, each against the stages'
      // tensor: their sums round otherwise than im2col's, a few millionths of the largest value apart, never the same bits.
      for (const name of ['z', 'dA', 'dW']) {
        const relative = Number(new RegExp(`\\((\\S+) of max \\|${name}\\|\\)`).exec(text)?.[1]);
        if (!(relative > 0 && relative < 1e-4)) throw new Error(`the note says of ${name}: "${text}"`);
      }
      if (!text.includes('F(4×4, 3×3)') || !text.includes('z, dA, dW')) throw new Error(`the note says "${text}"`);
      // The ReLU after it: made as its trace makes it, no badge.
      await panel.locator('.chain-layer[data-layer="1"]').click();
      await panel.locator('.chain-layer.current[data-layer="1"]').waitFor({ timeout: 10_000 });
      await panel.locator('.toolbar .fact').first().waitFor({ timeout: 10_000 });
      if (await panel.locator('.toolbar .run-made').count()) throw new Error('the ReLU says the run made it by Winograd');
      await panel.locator('.chain-layer[data-layer="0"]').click();
      await note.waitFor({ timeout: 10_000 });
      // The layer opens scrolled to its first stage, the sticky stepper over the facts: scrolled back up, as a person would.
      await note.evaluate(e => (e as unknown as { ownerDocument: { defaultView: { scrollTo(x: number, y: number): void } } }).ownerDocument.defaultView.scrollTo(0, 0));
      await page.waitForTimeout(500);
      await shot('flow-10-winograd');
    }],
  ];
  for (const [title, step] of steps) if (!await run.check(title, step)) return;
}

/** A float32 network whose first conv (48 channels on 16 × 16 maps: 16 tiles) the lean run makes by Winograd (named to sort first in the explorer). */
const WINOGRAD_SPEC = '3x3-float32.conv.json';

function writeWinogradSpec(ws: string): void {
  let s = 7;
  const random = (shape: number[]): Tensor => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) { s = (s * 1103515245 + 12345) >>> 0; data[i] = s / 2 ** 31 - 1; }
    return { shape, dtype: 'float32', data };
  };
  fs.writeFileSync(path.join(ws, '3x3-float32-input.npy'), encodeNpy(random([1, 48, 16, 16])));
  fs.writeFileSync(path.join(ws, '3x3-float32-weight.npy'), encodeNpy(random([48, 48, 3, 3])));
  const spec = {
    description: 'A 3×3 conv of 48 channels on a 16 × 16 map, float32: the run makes its output by Winograd.',
    dtype: 'float32', input: { npy: '3x3-float32-input.npy' },
    layers: [{ type: 'conv2d', weight: { npy: '3x3-float32-weight.npy' }, padding: 1 }, { type: 'relu' }],
  };
  fs.writeFileSync(path.join(ws, WINOGRAD_SPEC), `${JSON.stringify(spec, null, 2)}\n`);
}
