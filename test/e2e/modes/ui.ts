// As a user: explorer, palette, panel, numbers, links, debugging, reloads, problems, a network and a large input, screenshots.

import * as fs from 'fs';
import * as path from 'path';
import type { FrameLocator, Page } from 'playwright-core';
import { ROOT } from '../codeServer';
import { IN_WEB_WORKER_HOST, Run, SEED_Z, STAGES, argValue, expectHighlight, pointAt, readClipboard, roomForPanel, withSession } from '../harness';
import { openFromExplorer, runFromPalette, waitForWorkbench, webviewFrame } from '../workbench';
import { firstScreenChecks, writeWideSpec } from './firstScreen';
import { galleryChecks } from './gallery';
import { modelFlowChecks, writeFlowSpec } from './modelFlow';
import { traceFile } from '../../../src/lib';
import type { ConvTrace } from '../../../src/engine/trace';
import { totalCost } from '../../../src/engine/layerKinds/cost';
import type { NetworkTrace } from '../../../src/engine/network';
import { thousands } from '../../../src/engine/problem';
import { cellFieldWords, layerFields, receptiveRegions } from '../../../src/engine/receptive';
import { Region } from '../../../src/engine/region';
import { renderWords } from '../../../src/format/explain';

/** A deterministic large spec (a_t of 2.6 M values, sent to the panel on request), written into the scratch workspace. */
function writeLargeSpec(ws: string): void {
  let seed = 12345;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.round((seed / 2147483648 * 2 - 1) * 1000) / 1000; };
  const nested = (shape: number[]): unknown => (shape.length === 0 ? rand() : Array.from({ length: shape[0] }, () => nested(shape.slice(1))));
  const spec = { description: 'A large layer: 4×32×48×48 input, 64 kernels of 3×3, padding 1.', input: nested([4, 32, 48, 48]), weight: nested([64, 32, 3, 3]), bias: nested([64]), padding: 1 };
  fs.writeFileSync(path.join(ws, 'large.conv.json'), JSON.stringify(spec));
}

/** A photograph in: its input card shows the picture (its own pixels) beside its channels, and a value links to the inspector. */
async function photographChecks(run: Run, page: Page, frame: FrameLocator, shot: (name: string) => Promise<unknown>): Promise<void> {
  const photo = await traceFile(path.join(ROOT, 'examples/chelsea.conv.json')) as ConvTrace;
  const input = photo.tensors.input!;
  const map = input.picture!;
  await run.check('chelsea.conv.json runs; its input shows as the photograph beside its channels, with its own pixels', async () => {
    await openFromExplorer(page, 'chelsea.conv.json');
    await runFromPalette(page, 'Conv: Run Conv Forward/Backward');
    await page.locator('.tabs-container .tab', { hasText: 'Conv: chelsea.conv.json' }).waitFor({ timeout: 60_000 });
    await roomForPanel(page, 'Conv: chelsea.conv.json');
    await frame.locator('.chip', { hasText: '1. Pad' }).click();
    const canvas = frame.locator('section.tensor[data-tensor="input"] .tensor-picture canvas').first();
    await canvas.waitFor({ timeout: 30_000 });
    // Pixel (y 5, x 9) of the picture, against the tensor's value mapped back by its normalization.
    const [y, x] = [5, 9];
    const shown = await canvas.evaluate((c, at) => Array.from((c as unknown as { getContext(k: string): { getImageData(x: number, y: number, w: number, h: number): { data: number[] } } }).getContext('2d').getImageData(at.x, at.y, 1, 1).data), { x, y });
    const expected = [0, 1, 2].map(ch => Math.round((input.data[(ch * 32 + y) * 32 + x] * map.std[ch] + map.mean[ch]) * map.scale));
    if (shown.slice(0, 3).join() !== expected.join()) throw new Error(`picture pixel (${y}, ${x}) is ${shown.slice(0, 3).join()}, expected ${expected.join()}`);
    if (!(await frame.locator('section.tensor[data-tensor="input"] .tensor-picture figcaption').innerText()).includes('picture')) throw new Error('no caption');
    await page.waitForTimeout(300);
    await shot('photograph-input');
  });
  await run.check('a value of the photograph\'s input, pointed at, is the tensor\'s', async () => {
    await pointAt(page, frame, 'input', 5, 9);
    const cell = frame.locator('.inspector-cell', { hasText: 'input[0, 0, 5, 9] =' });
    await cell.waitFor({ timeout: 10_000 });
    const value = Number(/=\s*(-?[\d.]+)/.exec(await cell.innerText())?.[1]);
    if (!(Math.abs(value - input.data[5 * 32 + 9]) < 1e-3)) throw new Error(`inspector says ${await cell.innerText()}, the tensor holds ${input.data[5 * 32 + 9]}`);
    await page.mouse.move(5, 5);
  });
}

/** A residual block reads as one: the skip is an arc over the layers it passes, and the stem's δ is a sum. */
/** The model editor: digits.onnx opens as its graph at 1280×800; its first Conv opens its details, an initializer its statistics and heatmap. */
async function modelChecks(run: Run, page: Page, shot: (name: string) => Promise<unknown>): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 800 });
  // The model editor is the one webview open here.
  const frame = webviewFrame(page);
  await run.check('digits.onnx opens from the explorer as its graph: 8 node boxes and the model\'s totals on the first screen', async () => {
    // A file clicked before the workbench knows the extension's editors opens as text: wait for its CodeLens first.
    await openFromExplorer(page, 'seed.conv.json');
    await page.locator('.codelens-decoration', { hasText: 'Run Conv Forward/Backward' }).first().waitFor({ timeout: 60_000 });
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'digits.onnx' }).first().click({ timeout: 30_000 });
    await page.locator('.tabs-container .tab.active', { hasText: 'digits.onnx' }).waitFor({ timeout: 30_000 });
    await frame.locator('svg.graph .node').first().waitFor({ timeout: 60_000 });
    const boxes = await frame.locator('svg.graph .node').count();
    if (boxes !== 8) throw new Error(`${boxes} node boxes`);
    const facts = await frame.locator('.model-facts').innerText();
    if (!/8 nodes/.test(facts) || !/opset \d+/.test(facts) || !/parameters/.test(facts)) throw new Error(`the header says: ${facts}`);
    // The whole chain fits the first screen: the output box is in view.
    const output = await frame.locator('svg.graph .end.output').boundingBox();
    if (!output || output.y + output.height > 800) throw new Error(`the output box is at ${JSON.stringify(output)}`);
    await page.waitForTimeout(300);
    await shot('model-graph');
  });
  await run.check('the first Conv opens its details: attributes, shapes, FLOPs, parameters; its weight\'s statistics and heatmap', async () => {
    await frame.locator('svg.graph .node.family-conv').first().click();
    await frame.locator('.details h2', { hasText: 'Conv' }).waitFor({ timeout: 10_000 });
    const details = await frame.locator('.details').innerText();
    for (const word of ['kernel_shape', 'FLOPs', 'parameters', '(1, 1, 8, 8)']) if (!details.includes(word)) throw new Error(`the details lack ${word}: ${details}`);
    const chip = frame.locator('.details .initializer').first();
    await chip.hover();
    await frame.locator('.details .statistics', { hasText: 'std' }).first().waitFor({ timeout: 10_000 });
    await chip.click();
    await frame.locator('.details canvas.heatmap').waitFor({ timeout: 10_000 });
    await page.waitForTimeout(300);
    await shot('model-details');
  });
  await run.check('a residual block reads as one: the Add\'s skip from the block\'s input is an arc beside the chain', async () => {
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'residual.onnx' }).first().click({ timeout: 30_000 });
    await page.locator('.tabs-container .tab.active', { hasText: 'residual.onnx' }).waitFor({ timeout: 30_000 });
    const add = frame.locator('svg.graph .node.family-merge');
    await add.waitFor({ timeout: 30_000 });
    const [chain, widest] = await Promise.all([
      frame.locator('svg.graph .node.family-conv').first().boundingBox(),
      frame.locator('svg.graph path.edge').evaluateAll(paths => Math.max(...paths.map(p => (p as unknown as { getBBox(): { width: number } }).getBBox().width))),
    ]);
    if (!chain || widest < 40) throw new Error(`no edge runs beside the chain (widest ${widest} px)`);
    await page.waitForTimeout(300);
    await shot('model-residual');
  });
}

async function graphChecks(run: Run, page: Page, frame: FrameLocator, shot: (name: string) => Promise<unknown>): Promise<void> {
  await run.check('resnet-block.conv.json runs; the skip is an arc from the stem to the add, which names its inputs', async () => {
    await openFromExplorer(page, 'resnet-block.conv.json');
    await runFromPalette(page, 'Conv: Run Conv Forward/Backward');
    await page.locator('.tabs-container .tab', { hasText: 'Conv: resnet-block.conv.json' }).waitFor({ timeout: 60_000 });
    await roomForPanel(page, 'Conv: resnet-block.conv.json');
    const arc = frame.locator('.chain-arcs path[data-from="1"][data-to="7"]');
    await arc.waitFor({ state: 'attached', timeout: 60_000 });
    if (await frame.locator('.chain-arcs path').count() !== 1) throw new Error('expected one skip arc');
    // The arc spans from the stem's chip to the add's chip.
    const [box, from, to] = await Promise.all([arc.boundingBox(), frame.locator('.chain-layer[data-layer="1"]').boundingBox(), frame.locator('.chain-layer[data-layer="7"]').boundingBox()]);
    if (!box || !from || !to || box.x > from.x + from.width || box.x + box.width < to.x) throw new Error(`arc ${JSON.stringify(box)} does not span ${JSON.stringify(from)} to ${JSON.stringify(to)}`);
    const add = (await frame.locator('.chain-layer[data-layer="7"]').innerText()).replace(/\s+/g, ' ');
    if (!add.includes('← 1, 6')) throw new Error(`the add's chip says: ${add}`);
    await frame.locator('.chain-layer[data-layer="7"]').click();
    await frame.locator('.chain-layer.current[data-layer="7"]').waitFor({ timeout: 10_000 });
    await page.waitForTimeout(400);
    await shot('graph-resnet-add');
    const stem = await frame.locator('.chain-layer[data-layer="1"]').getAttribute('title');
    if (!stem?.includes('layers[2]') || !stem.includes('layers[7]')) throw new Error(`the stem's chip title does not name both δ sources: ${stem}`);
  });
  await run.check('unet-up.conv.json runs; the skip is an arc from layers[1] to the concat; the transposed conv opens, its ROT180 view agreeing', async () => {
    await openFromExplorer(page, 'unet-up.conv.json');
    await runFromPalette(page, 'Conv: Run Conv Forward/Backward');
    await page.locator('.tabs-container .tab', { hasText: 'Conv: unet-up.conv.json' }).waitFor({ timeout: 60_000 });
    await roomForPanel(page, 'Conv: unet-up.conv.json');
    await frame.locator('.chain-arcs path[data-from="1"][data-to="6"]').waitFor({ state: 'attached', timeout: 60_000 });
    await frame.locator('.chain-layer[data-layer="5"]').click();
    await frame.locator('.chain-layer.current[data-layer="5"]').waitFor({ timeout: 10_000 });
    await frame.locator('section.tensor[data-tensor="z_t"] canvas.heatmap').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(400);
    await shot('graph-unet-convt');
    // Its second view of z (zeros inserted, ROT180(w)) says how far it is from col2im's.
    await frame.locator('section.stage[data-stage="rot180"] .agreement.ok', { hasText: 'agree: max |z(rot180) − z(col2im)|' }).waitFor({ state: 'attached', timeout: 10_000 });
  });
}

/** LeNet's receptive fields: a pinned cell of the last conv's output counts its field on every chip below; conv1 opened lights it. */
async function receptiveChecks(run: Run, page: Page, frame: FrameLocator, shot: (name: string) => Promise<unknown>): Promise<void> {
  // What the panel should show, from the engine on the same spec.
  const trace = await traceFile(path.join(ROOT, 'examples/lenet.conv.json')) as NetworkTrace;
  const layers = trace.layers.slice(0, -1).map(l => ({ geometry: l.geometry, inputs: l.inputs, output: l.outputShape }));
  const input = trace.layers[0].inputShape;
  // The heatmap shows channel 0 of batch item 0.
  const cell = [0, 0, 4, 4];
  const regions = receptiveRegions(input, layers, 3, Region.cell(layers[3].output, cell));
  const line = renderWords(cellFieldWords(regions.input, layerFields(input, layers)[3]));
  const [conv1, image] = [regions.layers[0]!.cells().map(c => c.join(',')), regions.input.cells().map(c => c.join(','))];
  await run.check(`lenet.conv.json runs; pinning z${JSON.stringify(cell)} of the second conv says "${line}" and counts its cells on each chip below`, async () => {
    await openFromExplorer(page, 'lenet.conv.json');
    await runFromPalette(page, 'Conv: Run Conv Forward/Backward');
    await page.locator('.tabs-container .tab', { hasText: 'Conv: lenet.conv.json' }).waitFor({ timeout: 60_000 });
    await roomForPanel(page, 'Conv: lenet.conv.json');
    await frame.locator('.chain-layer[data-layer="3"]').click();
    await frame.locator('.chain-layer.current[data-layer="3"]').waitFor({ timeout: 10_000 });
    await frame.locator('.chip', { hasText: 'Reshape and add bias' }).click();
    await pointAt(page, frame, 'z', cell[2], cell[3], true);
    await frame.locator('.field-line', { hasText: line }).waitFor({ timeout: 10_000 });
    const chips = await Promise.all([0, 1, 2].map(k => frame.locator(`.chain-layer[data-layer="${k}"] .chain-field`).innerText()));
    const expected = [0, 1, 2].map(k => `▦ ${regions.layers[k]!.count()}`);
    if (chips.join() !== expected.join()) throw new Error(`chips say ${chips.join(', ')}, expected ${expected.join(', ')}`);
    const inputBadge = await frame.locator('.chain-io .chain-field').innerText();
    if (inputBadge !== `▦ ${image.length}`) throw new Error(`the input says ${inputBadge}, expected ▦ ${image.length}`);
    await page.waitForTimeout(300);
    await shot('receptive-conv2-pinned');
  });
  await run.check('conv1 opened: its output and the network\'s input light the pinned cell\'s receptive field', async () => {
    await frame.locator('.chain-layer[data-layer="0"]').click();
    await frame.locator('.chain-layer.current[data-layer="0"]').waitFor({ timeout: 10_000 });
    await frame.locator('.chip', { hasText: 'Reshape and add bias' }).click();
    await expectHighlight(frame, 'z', h => h.cells === conv1.join(' '));
    await expectHighlight(frame, 'input', h => h.cells === image.join(' '));
    await page.mouse.move(5, 5);
    await page.waitForTimeout(500);
    await shot('receptive-conv1-lit');
  });
}

/** LeNet as a learner meets it: the chain, a layer opened, a pooled output linked to its window, Next across layers. */
async function networkChecks(run: Run, page: Page, frame: FrameLocator, shot: (name: string) => Promise<unknown>): Promise<void> {
  const steps: [string, () => Promise<void>][] = [
    ['lenet.conv.json opens; hovering a layer\'s "type" shows its input and output shapes', async () => {
      await openFromExplorer(page, 'lenet.conv.json');
      // The cursor on layers[2]'s "type" key (line 102, column 8), then the hover from the keyboard (Ctrl+K Ctrl+I).
      await runFromPalette(page, 'Go to Line/Column...');
      await page.keyboard.type('102:8');
      await page.keyboard.press('Enter');
      await page.waitForTimeout(400);
      const hover = page.locator('.monaco-hover-content', { hasText: 'layers[2]' }).first();
      // Right after the workbench opens, the JSON language server may still be starting: ask again, as a user would.
      for (let attempt = 0; ; attempt++) {
        await runFromPalette(page, 'Show or Focus Hover');
        if (await hover.waitFor({ timeout: 8_000 }).then(() => true, () => false)) break;
        if (attempt === 3) throw new Error('no hover after 4 tries');
        await page.keyboard.press('Escape');
      }
      const text = await hover.innerText();
      if (!text.includes('(1, 6, 24, 24) → (1, 6, 12, 12)') || !text.includes('pool_t')) throw new Error(`hover says: ${text}`);
      await page.waitForTimeout(300);
      await shot('network-hover-layer');
      await page.mouse.move(5, 5);
    }],
    ['lenet.conv.json runs from the palette; the panel shows the chain of 8 layers and the loss', async () => {
      await runFromPalette(page, 'Conv: Run Conv Forward/Backward');
      await page.locator('.tabs-container .tab', { hasText: 'Conv: lenet.conv.json' }).waitFor({ timeout: 60_000 });
      await roomForPanel(page, 'Conv: lenet.conv.json');
      const chips = frame.locator('.chain-layer');
      await chips.first().waitFor({ timeout: 60_000 });
      const texts = (await chips.allInnerTexts()).map(t => t.replace(/\s+/g, ' ').trim());
      if (texts.length !== 9) throw new Error(`chain: ${texts.join(' | ')}`);
      if (!texts[0].includes('conv2d 6@5×5') || !texts[0].includes('(1, 6, 24, 24)') || !texts[5].includes('(1, 16, 4, 4)') || !/C = \d/.test(texts[8])) throw new Error(`chain: ${texts.join(' | ')}`);
      // The layers' FLOPs and parameters together on the chain's row, each layer's in its chip's tooltip.
      const lenet = await traceFile(path.join(ROOT, 'examples/lenet.conv.json')) as NetworkTrace;
      const total = totalCost(lenet.layers.slice(0, -1).map(l => l.cost));
      const cost = await frame.locator('.network-cost').innerText();
      if (cost !== `${thousands(total.flops)} FLOPs · ${thousands(total.params)} params`) throw new Error(`the chain's row says ${cost}`);
      const conv = lenet.layers[0].cost;
      const title = await chips.first().getAttribute('title') ?? '';
      if (!title.includes(`${thousands(conv.flops)} FLOPs forward, ${thousands(conv.params)} parameters`)) throw new Error(`layers[0]'s tooltip: ${title}`);
      await frame.locator('section.tensor[data-tensor="z"] canvas.heatmap').first().waitFor({ timeout: 30_000 });
      await frame.locator('.chip', { hasText: 'Reshape and add bias' }).click();
      await page.waitForTimeout(500);
      await shot('network-conv1-z');
    }],
    ['the max-pooling layer opens into its stages; a pooled output lights up its window in pool_t and the input, and its argmax; the inspector names the winning tap', async () => {
      await frame.locator('.chain-layer[data-layer="2"]').click();
      await frame.locator('.chain-layer.current[data-layer="2"]').waitFor({ timeout: 10_000 });
      await frame.locator('.chip', { hasText: 'Max of each window' }).click();
      await pointAt(page, frame, 'z', 1, 5, true);
      await expectHighlight(frame, 'pool_t', h => h.cells.split(' ').length === 4 && h.cells.startsWith('0,0,17,'));
      await expectHighlight(frame, 'argmax', h => h.cells === '0,0,1,5');
      await frame.locator('.inspector-cell', { hasText: 'z[0, 0, 1, 5]' }).waitFor({ timeout: 10_000 });
      // The inspector lists the window's four taps and marks the winner, the argmax.
      await frame.locator('.cell-sum-total.ok', { hasText: 'max =' }).waitFor({ timeout: 10_000 });
      if (await frame.locator('.inspector tr.term-winner').count() !== 1) throw new Error('no single winning tap marked');
      await page.waitForTimeout(300);
      await shot('network-maxpool-link');
      await frame.locator('.chip', { hasText: 'Route δ to the argmax' }).click();
      await page.mouse.move(5, 5);
      await page.waitForTimeout(400);
      await shot('network-maxpool-route');
      await page.keyboard.press('Escape');
    }],
    ['Next ▶ past the pooling layer\'s last stage opens the next layer (the second conv) on its first stage', async () => {
      await frame.locator('.chip', { hasText: 'col2im' }).click();
      await frame.locator('vscode-button', { hasText: 'Next' }).click();
      await frame.locator('.chain-layer.current[data-layer="3"]').waitFor({ timeout: 10_000 });
      await frame.locator('.stepper-title', { hasText: 'Forward: Pad' }).waitFor({ timeout: 10_000 });
      await frame.locator('.chip', { hasText: 'Matrix product' }).click();
      await page.waitForTimeout(500);
      await shot('network-conv2-matmul');
    }],
    ['the ReLU layer shows δ ⊙ h\'(z); the loss shows softmax and the first δ', async () => {
      await frame.locator('.chain-layer[data-layer="4"]').click();
      await frame.locator('.chip', { hasText: 'Through the activation' }).click();
      await frame.locator('section.tensor[data-tensor="h_prime"]').first().waitFor({ timeout: 10_000 });
      await page.waitForTimeout(400);
      await shot('network-relu-grad');
      await frame.locator('.chain-layer[data-layer="8"]').click();
      await frame.locator('section.tensor[data-tensor="probs"]').first().waitFor({ timeout: 10_000 });
      await page.waitForTimeout(400);
      await shot('network-loss');
      await frame.locator('.chain-layer[data-layer="7"]').click();
      await pointAt(page, frame, 'z', 0, 7, true);
      await frame.locator('.cell-sum-total.ok').first().waitFor({ timeout: 10_000 });
      await page.waitForTimeout(300);
      await shot('network-linear-link');
      await page.keyboard.press('Escape');
    }],
  ];
  for (const [title, step] of steps) if (!await run.check(title, step)) return;
}

export async function ui(): Promise<number> {
  const vsix = argValue('--vsix');
  // `--only network` / `--only firstscreen` / `--only photograph` / `--only graph` / `--only receptive` / `--only model` / `--only gallery` / `--only modelflow`: those checks alone (while working on them).
  const only = argValue('--only');
  // `--web`: the extension's browser entry in the web-worker extension host, as on vscode.dev.
  const inWeb = process.argv.includes('--web');
  const run = new Run(`${vsix ? 'ui-vsix' : only ? `ui-${only}` : 'ui-dev'}${inWeb ? '-web' : ''}`);
  run.say(`${vsix ? `UI run with the extension installed from ${path.relative(ROOT, vsix)}` : 'UI run with the extension loaded from its folder'}${inWeb ? ', in the web-worker extension host' : ''}`);
  await withSession(run, vsix, async (cs, browser, ws) => {
    const { page } = browser;
    if (!vsix) {
      writeLargeSpec(ws);
      writeWideSpec(ws);
      // A residual block for the model editor's check.
      fs.copyFileSync(path.join(ROOT, 'test/fixtures/onnx/residual.onnx'), path.join(ws, 'residual.onnx'));
      // The spec naming digits.onnx that the model flow debugs (only there: the explorer lists one more file).
      if (only === 'modelflow') writeFlowSpec(ws);
      fs.writeFileSync(path.join(ws, 'broken.conv.json'), '{\n  "input": [[[[1, 2, 3], [4, 5]]]],\n  "weight": [[[[1, 0], [0, "one"]]]],\n  "stride": 0\n}\n');
    }
    const payload: [string, string][] = [['skipWelcome', 'true']];
    if (!vsix) payload.unshift(['extensionDevelopmentPath', cs.remote(ROOT)]);
    await page.goto(cs.url(ws, payload));
    const shot = (name: string) => page.screenshot({ path: path.join(run.dir, `${name}.png`) });
    // Each step needs the one before: stop at the first that fails.
    const steps: [string, () => Promise<void>][] = [
      ['the workbench opens the examples folder', () => waitForWorkbench(page)],
      ['seed.conv.json opens from the explorer', () => openFromExplorer(page, 'seed.conv.json')],
      ['"Conv: Run Conv Forward/Backward" runs from the command palette', () => runFromPalette(page, 'Conv: Run Conv Forward/Backward')],
      ['the panel opens, titled after the spec', () => page.locator('.tabs-container .tab', { hasText: 'Conv: seed.conv.json' }).waitFor({ timeout: 60_000 })],
    ];
    if (only === 'network' || only === 'firstscreen' || only === 'photograph' || only === 'graph' || only === 'receptive' || only === 'model' || only === 'gallery' || only === 'modelflow') {
      const alone = { model: () => modelChecks(run, page, shot), network: () => networkChecks(run, page, webviewFrame(page), shot), receptive: () => receptiveChecks(run, page, webviewFrame(page), shot), graph: () => graphChecks(run, page, webviewFrame(page), shot), photograph: () => photographChecks(run, page, webviewFrame(page), shot), firstscreen: () => firstScreenChecks(run, page, webviewFrame(page)), gallery: () => galleryChecks(run, page, webviewFrame(page)), modelflow: () => modelFlowChecks(run, page, ws) };
      if (await run.check(steps[0][0], steps[0][1])) await alone[only]();
      return;
    }
    for (const [title, step] of steps) if (!await run.check(title, step)) return;
    const frame = webviewFrame(page);
    if (!vsix) {
      await run.check('a CodeLens above the spec offers the run and shows the shapes', async () => {
        const lens = page.locator('.codelens-decoration', { hasText: 'Run Conv Forward/Backward' }).first();
        await lens.waitFor({ timeout: 20_000 });
        await page.locator('.codelens-decoration', { hasText: 'a_t (1, 9, 12)' }).first().waitFor({ timeout: 10_000 });
        await run.check('hovering "input" in the editor shows a_t (1, 9, 12) and z (1, 2, 3, 3) with the formula', async () => {
          await page.locator('.tabs-container .tab', { hasText: 'seed.conv.json' }).first().click();
          await page.locator('.view-lines .view-line span', { hasText: '"input"' }).first().hover();
          const hover = page.locator('.monaco-hover-content', { hasText: 'im2col' }).first();
          await hover.waitFor({ timeout: 20_000 });
          const text = await hover.innerText();
          if (!text.includes('(1, 9, 12)') || !text.includes('Hout = floor((4 + 0 + 0 - 1·(2-1) - 1) / 1) + 1 = 3')) throw new Error(`hover says: ${text}`);
          await shot('hover-input');
          await page.mouse.move(5, 5);
        });
      });
    }
    await run.check('the panel shows z[0, 0] = 296, 250, 288, ... (the worked example)', async () => {
      const cells = frame.locator('section.tensor[data-tensor="z"] td');
      await cells.first().waitFor({ state: 'attached', timeout: 60_000 });
      const shown = (await cells.allTextContents()).map(s => s.trim());
      if (shown.join(' ') !== SEED_Z.slice(0, 9).join(' ')) throw new Error(`z shows ${shown.join(' ')}`);
    });
    await shot('panel');
    if (vsix) return;
    await run.check('the panel gets the room: the editor beside it closed', () => roomForPanel(page, 'Conv: seed.conv.json'));
    await run.check('the panel shows every stage, forward and backward', async () => {
      const sections = frame.locator('section.stage');
      const stages: (string | null)[] = [];
      for (let i = 0; i < await sections.count(); i++) stages.push(await sections.nth(i).getAttribute('data-stage'));
      if (stages.join() !== STAGES.join()) throw new Error(`stages ${stages.join()}`);
    });
    await run.check('the stepper walks every stage (Next ▶), one screenshot each', async () => {
      await frame.locator('.chip', { hasText: '1. Pad' }).click();
      for (let i = 0; i < STAGES.length; i++) {
        const current = frame.locator('.stepper-position');
        await current.filter({ hasText: `${i + 1} / ${STAGES.length}` }).waitFor({ timeout: 10_000 });
        const section = frame.locator(`section.stage.current[data-stage="${STAGES[i]}"]`);
        await section.waitFor({ timeout: 10_000 });
        await page.waitForTimeout(300);
        await shot(`stage-${String(i + 1).padStart(2, '0')}-${STAGES[i]}`);
        if (i + 1 < STAGES.length) await frame.locator('vscode-button', { hasText: 'Next' }).click();
      }
    });
    await run.check('hovering z[0,0,1,2] highlights row 5 of a_t, column 0 of w_t and the matching input patch', async () => {
      await frame.locator('.chip', { hasText: 'Reshape and add bias' }).click();
      await pointAt(page, frame, 'z', 1, 2);
      await frame.locator('.inspector-cell', { hasText: 'z[0, 0, 1, 2] = 294' }).waitFor({ timeout: 10_000 });
      await expectHighlight(frame, 'a_t', h => h.rows === '5');
      await expectHighlight(frame, 'w_t', h => h.columns === '0');
      // Channel 0 of the receptive field.
      await expectHighlight(frame, 'input', h => h.cells.split(' ').filter(c => c.startsWith('0,0,')).sort().join(' ') === '0,0,1,2 0,0,1,3 0,0,2,2 0,0,2,3');
      await frame.locator('.cell-sum-total.ok', { hasText: 'Σ = 294' }).waitFor({ timeout: 10_000 });
      await shot('link-z-0-0-1-2');
    });
    await run.check('clicking pins the link; the matmul stage shows a_t row 5 @ w_t column 0 = z_t[0, 5, 0]', async () => {
      await pointAt(page, frame, 'z', 1, 2, true);
      await frame.locator('.inspector .badge', { hasText: 'pinned' }).waitFor({ timeout: 10_000 });
      await frame.locator('.chip', { hasText: 'Matrix product' }).click();
      await page.mouse.move(5, 5);
      await page.waitForTimeout(300);
      await shot('link-pinned-matmul');
      await frame.locator('.chip', { hasText: '1. Pad' }).click();
      await page.waitForTimeout(300);
      await shot('link-pinned-input-patch');
    });
    await run.check('the panel follows the theme: dark and high contrast, switched live', async () => {
      await frame.locator('.chip', { hasText: 'Matrix product' }).click();
      for (const [theme, kind, file] of [['Default Dark Modern', 'vscode-dark', 'theme-dark'], ['Default High Contrast', 'vscode-high-contrast', 'theme-high-contrast'], ['Default Light Modern', 'vscode-light', '']] as const) {
        // As a user: the palette's theme picker.
        await runFromPalette(page, 'Preferences: Color Theme');
        await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Modern' }).first().waitFor({ timeout: 10_000 });
        await page.locator('.quick-input-widget input').fill(theme.replace('Default ', ''));
        await page.locator('.quick-input-list .monaco-list-row', { hasText: theme.replace('Default ', '') }).first().waitFor({ timeout: 10_000 });
        await page.keyboard.press('Enter');
        await frame.locator(`body.${kind}`).waitFor({ state: 'attached', timeout: 20_000 });
        await page.waitForTimeout(600);
        if (file) await shot(file);
      }
    });
    await run.check('copying z as JSON and as a numpy literal puts its values on the clipboard', async () => {
      await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://${cs.host}` });
      await frame.locator('.chip', { hasText: 'Reshape and add bias' }).click();
      const card = frame.locator('section.tensor[data-tensor="z"]');
      await card.locator('button.tool', { hasText: '{ }' }).click();
      await page.waitForTimeout(800);
      const json = await readClipboard(page);
      if (JSON.stringify(JSON.parse(json)) !== JSON.stringify([[[[296, 250, 288], [277, 280, 294], [302, 297, 315]], [[291, 252, 263], [230, 267, 239], [223, 283, 257]]]])) throw new Error(`clipboard: ${json.slice(0, 80)}`);
      await card.locator('button.tool', { hasText: 'np' }).click();
      await page.waitForTimeout(800);
      const numpy = await readClipboard(page);
      if (!numpy.startsWith('z = np.array([[[[296, 250, 288],') || !numpy.includes('dtype=np.float64')) throw new Error(`clipboard: ${numpy.slice(0, 80)}`);
    });
    await run.check('hovering ∂C/∂a[0,0,1,1] highlights its 4 col2im contributors and the rot180 window', async () => {
      await page.keyboard.press('Escape');
      await frame.locator('.chip', { hasText: 'col2im' }).click();
      await pointAt(page, frame, 'dA', 1, 1, true);
      await expectHighlight(frame, 'dA_t', h => h.cells.split(' ').length === 4);
      await frame.locator('.cell-sum-total.ok').first().waitFor({ timeout: 10_000 });
      await shot('link-dA-col2im');
      await frame.locator('.chip', { hasText: 'ROT180' }).click();
      await page.mouse.move(5, 5);
      await page.waitForTimeout(300);
      await expectHighlight(frame, 'delta_full', h => h.cells.split(' ').length === 8);
      await shot('link-dA-rot180');
    });
    await run.check('debugging the spec (Debug: Start Debugging): the panel steps aside from the spec; step over to the matmul, the panel follows, the console evaluates', async () => {
      await page.keyboard.press('Escape');
      await openFromExplorer(page, 'seed.conv.json');
      await runFromPalette(page, 'Debug: Start Debugging');
      await page.locator('.debug-toolbar').waitFor({ timeout: 30_000 });
      await page.locator('.debug-view-content, .debug-pane').first().waitFor({ timeout: 30_000 }).catch(() => undefined);
      for (let i = 0; i < 4; i++) {
        await runFromPalette(page, 'Debug: Step Over');
        await page.waitForTimeout(400);
      }
      await page.locator('.monaco-list-row', { hasText: 'conv2d › Matrix product' }).first().waitFor({ timeout: 15_000 });
      await page.locator('.monaco-list-row', { hasText: /z_t\s*=\s*float64 \(1, 9, 2\)/ }).first().waitFor({ timeout: 15_000 });
      await page.locator('.repl-input-wrapper').click();
      await page.keyboard.type('z_t[0, 3]');
      await page.keyboard.press('Enter');
      await page.locator('.monaco-list-row', { hasText: '[276, 228]' }).first().waitFor({ timeout: 15_000 });
      await page.waitForTimeout(500);
      await shot('debug-stepped-to-matmul');
      // The panel shared the spec's group; the debugger moved it beside the spec, where it followed the stops.
      await page.locator('.tabs-container .tab.active', { hasText: 'Conv: seed.conv.json' }).waitFor({ timeout: 15_000 });
      await page.locator('.tabs-container .tab.active', { hasText: 'seed.conv.json' }).filter({ hasNotText: 'Conv:' }).waitFor({ timeout: 15_000 });
      await frame.locator('.stepper-title', { hasText: 'Forward: Matrix product' }).waitFor({ timeout: 15_000 });
      await shot('debug-panel-follows');
      await runFromPalette(page, 'Debug: Stop');
      await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 15_000 });
      // Back to where the next checks start: the explorer, the panel alone.
      await runFromPalette(page, 'View: Show Explorer');
      await page.locator('.tabs-container .tab', { hasText: 'seed.conv.json' }).filter({ hasNotText: 'Conv:' }).first().locator('.codicon-close').click();
    });
    await run.check('after "Developer: Reload Window" the panel comes back with its spec re-run and its stage', async () => {
      await page.keyboard.press('Escape');
      await frame.locator('.chip', { hasText: 'Gradient of w' }).click();
      await page.waitForTimeout(500);
      await runFromPalette(page, 'Developer: Reload Window');
      await waitForWorkbench(page);
      await page.locator('.tabs-container .tab', { hasText: 'Conv: seed.conv.json' }).waitFor({ timeout: 60_000 });
      await page.locator('.tabs-container .tab', { hasText: 'Conv: seed.conv.json' }).click();
      const cells = frame.locator('section.tensor[data-tensor="z"] td');
      await cells.first().waitFor({ state: 'attached', timeout: 60_000 });
      const shown = (await cells.allTextContents()).map(t => t.trim());
      if (shown.join(' ') !== SEED_Z.slice(0, 9).join(' ')) throw new Error(`z shows ${shown.join(' ')}`);
      await frame.locator('.stepper-title', { hasText: 'Gradient of w' }).waitFor({ timeout: 10_000 });
      await shot('restored-after-reload');
    });
    await run.check('a broken spec\'s problems show in the Problems panel, at their places', async () => {
      await openFromExplorer(page, 'broken.conv.json');
      await page.keyboard.press('Control+Shift+M');
      const problems = page.locator('.monaco-list-row');
      await problems.filter({ hasText: 'ragged array' }).first().waitFor({ timeout: 20_000 });
      await problems.filter({ hasText: 'expected a number, found the string "one"' }).first().waitFor({ timeout: 5_000 });
      await page.waitForTimeout(500);
      await shot('problems-broken-spec');
      await page.keyboard.press('Control+J');
    });
    await networkChecks(run, page, frame, shot);
    await photographChecks(run, page, frame, shot);
    await graphChecks(run, page, frame, shot);
    // A large input: big tensors are fetched on demand and drawn through a zoomable window.
    const large = [
      ['large.conv.json opens and runs from its CodeLens', async () => {
        await openFromExplorer(page, 'large.conv.json');
        await page.locator('.editor-group-container.active .codelens-decoration a', { hasText: 'Run Conv Forward/Backward' }).first().click({ timeout: 30_000 });
        await page.locator('.tabs-container .tab', { hasText: 'Conv: large.conv.json' }).waitFor({ timeout: 120_000 });
        await roomForPanel(page, 'Conv: large.conv.json');
      }],
      ['the large a_t (4 × 2304 × 288) arrives on request and draws', async () => {
        await frame.locator('.chip', { hasText: 'im2col' }).click();
        const card = frame.locator('section.tensor[data-tensor="a_t"]').first();
        await card.locator('canvas.heatmap[data-scale]').waitFor({ timeout: 60_000 });
        await frame.locator('section.tensor.loading').first().waitFor({ state: 'detached', timeout: 60_000 }).catch(() => undefined);
        await page.waitForTimeout(500);
        await shot('large-im2col');
      }],
      ['zooming into the large a_t prints values; hovering links the output, its terms printed without float noise', async () => {
        const canvas = frame.locator('section.tensor[data-tensor="a_t"] canvas.heatmap').first();
        await canvas.focus();
        for (let i = 0; i < 20 && Number(await canvas.getAttribute('data-scale')) < 20; i++) {
          await page.keyboard.press('+');
          await page.waitForTimeout(60);
        }
        const scale = Number(await canvas.getAttribute('data-scale'));
        if (!(scale >= 14)) throw new Error(`zoomed to ${scale} px per cell`);
        await page.waitForTimeout(1500);
        await shot('large-a_t-zoomed');
        await frame.locator('.chip', { hasText: 'Matrix product' }).click();
        // A row in the window z_t opens on (its first rows, at a readable size).
        await pointAt(page, frame, 'z_t', 12, 3);
        await expectHighlight(frame, 'a_t', h => h.rows === '12');
        await frame.locator('.cell-sum-total.ok').first().waitFor({ timeout: 30_000 });
        // Products of short decimals print as decimals, not float64 noise (0.004575999999999999).
        const noisy = (await frame.locator('.inspector').innerText()).match(/(?:\d\.?){16,}/g);
        if (noisy) throw new Error(`the inspector prints float noise: ${noisy.slice(0, 3).join(', ')}`);
        await shot('large-link');
      }],
    ] as const;
    for (const [title, step] of large) if (!await run.check(title, step)) break;
    await firstScreenChecks(run, page, frame);
    run.say(`screenshots in ${path.relative(ROOT, run.dir)}/`);
  }, [], inWeb ? IN_WEB_WORKER_HOST : {});
  return run.finish();
}
