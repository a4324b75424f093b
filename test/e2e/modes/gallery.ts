// The feature-map gallery as a user meets it (`ui --only gallery`): the trained digits CNN run forward and
// backward, the gallery toggled open on conv2, its 16 maps on their own and on one scale, its δ, then Grad-CAM
// and saliency on the digit (the numbers PyTorch gave in test/fixtures/examples/digits_attribution.ref.json),
// the keyboard walking the maps, LeNet's conv1 with its Grad-CAM on the 7, and the stages still on the first
// screen at 1280 × 800. Screenshots in the run's folder.

import * as fs from 'fs';
import * as path from 'path';
import type { FrameLocator, Page } from 'playwright-core';
import { formatNumber } from '../../../src/format/text';
import { ROOT } from '../codeServer';
import { Run, roomForPanel } from '../harness';
import { openFromExplorer, runFromPalette } from '../workbench';

interface AttributionReference {
  saliency: number[];
  gradcam: Record<string, { map: number[] }>;
}

async function runNetworkSpec(page: Page, frame: FrameLocator, file: string): Promise<void> {
  await runFromPalette(page, 'View: Focus First Editor Group');
  await openFromExplorer(page, file);
  await runFromPalette(page, 'Conv: Run Conv Forward/Backward');
  await page.locator('.tabs-container .tab', { hasText: `Conv: ${file}` }).waitFor({ timeout: 120_000 });
  await roomForPanel(page, `Conv: ${file}`);
  await frame.locator('#title', { hasText: file }).waitFor({ timeout: 120_000 });
  await frame.locator('.chain-layer').first().waitFor({ timeout: 60_000 });
}

/** The caption under the input once the overlay `kind` is drawn. */
async function overlayCaption(frame: FrameLocator, kind: string): Promise<string> {
  await frame.locator(`.gallery-attributed[data-overlay="${kind}"]`).waitFor({ timeout: 60_000 });
  return (await frame.locator('.gallery-attributed figcaption').innerText()).trim();
}

async function tiles(frame: FrameLocator, count: number): Promise<void> {
  await frame.locator('.gallery-tile canvas').nth(count - 1).waitFor({ timeout: 30_000 });
  const n = await frame.locator('.gallery-tile canvas').count();
  if (n !== count) throw new Error(`the gallery shows ${n} maps, expected ${count}`);
}

export async function galleryChecks(run: Run, page: Page, frame: FrameLocator): Promise<void> {
  const shot = (name: string) => page.screenshot({ path: path.join(run.dir, `${name}.png`) });
  const ref = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/examples/digits_attribution.ref.json'), 'utf8')) as AttributionReference;
  const max = (values: number[]) => formatNumber(Math.max(...values), 4);
  await page.setViewportSize({ width: 1280, height: 800 });
  const steps: [string, () => Promise<void>][] = [
    ['digits.conv.json runs; the gallery opens from its toggle on conv2 with its 16 maps of 4 × 4', async () => {
      await runNetworkSpec(page, frame, 'digits.conv.json');
      await frame.locator('.chain-layer[data-layer="3"]').click();
      const toggle = frame.locator('.gallery-toggle');
      if (await toggle.getAttribute('aria-pressed') !== 'true') await toggle.click();
      await tiles(frame, 16);
      const note = await frame.locator('.gallery-note').innerText();
      if (!note.includes('16') || !note.includes('4 × 4')) throw new Error(`the note says "${note}"`);
      await page.mouse.move(5, 5);
      await shot('gallery-digits-conv2');
    }],
    ['the stages stay on the first screen at 1280 × 800 with the gallery open', async () => {
      const top = await frame.locator('section.stage.current section.tensor').first().evaluate(e => e.getBoundingClientRect().top / (e.ownerDocument.defaultView?.innerHeight ?? 1));
      if (!(top < 0.95)) throw new Error(`the current stage's first tensor starts at ${Math.round(top * 100)} % of the panel's height`);
    }],
    ['one shared scale, then δ channel by channel', async () => {
      await frame.locator('.segmented button', { hasText: 'Shared' }).click();
      await frame.locator('.gallery-note', { hasText: 'shared scale' }).waitFor({ timeout: 5_000 });
      await shot('gallery-digits-conv2-shared');
      await frame.locator('.segmented button', { hasText: 'Gradient δ' }).click();
      await frame.locator('.gallery-tile canvas[aria-label^="δ channel 0"]').waitFor({ timeout: 5_000 });
      await shot('gallery-digits-conv2-delta');
      await frame.locator('.segmented button', { hasText: 'Output' }).click();
      await frame.locator('.segmented button', { hasText: 'Per channel' }).click();
    }],
    ['Grad-CAM at conv2 on the digit: its largest value is PyTorch\'s', async () => {
      await frame.locator('.segmented button', { hasText: 'Grad-CAM' }).click();
      const caption = await overlayCaption(frame, 'gradcam');
      if (!caption.includes('layers[3]') || !caption.includes(max(ref.gradcam['3'].map))) throw new Error(`the caption says "${caption}", PyTorch's max is ${max(ref.gradcam['3'].map)}`);
      await page.mouse.move(5, 5);
      await shot('gallery-digits-gradcam');
    }],
    ['saliency on the digit: its largest value is PyTorch\'s', async () => {
      await frame.locator('.segmented button', { hasText: 'Saliency' }).click();
      const caption = await overlayCaption(frame, 'saliency');
      if (!caption.includes(max(ref.saliency))) throw new Error(`the caption says "${caption}", PyTorch's max is ${max(ref.saliency)}`);
      await shot('gallery-digits-saliency');
    }],
    ['the keyboard walks the maps: Tab reaches the first, → the next, End the last', async () => {
      await frame.locator('.gallery-tile canvas').first().focus();
      await page.keyboard.press('ArrowRight');
      const focused = () => frame.locator('.gallery-tile canvas:focus').getAttribute('data-channel');
      if (await focused() !== '1') throw new Error(`→ focused map ${await focused()}`);
      await page.keyboard.press('End');
      if (await focused() !== '15') throw new Error(`End focused map ${await focused()}`);
    }],
    ['Grad-CAM is offered only where there are maps: not on the linear layer', async () => {
      await frame.locator('.chain-layer[data-layer="7"]').click();
      await tiles(frame, 1);
      if (!await frame.locator('.segmented button', { hasText: 'Grad-CAM' }).isDisabled()) throw new Error('Grad-CAM is offered on the linear layer');
      await shot('gallery-digits-linear');
    }],
    ['lenet.conv.json: the gallery stays open; conv1\'s 6 maps and its Grad-CAM on the 7', async () => {
      await runNetworkSpec(page, frame, 'lenet.conv.json');
      await frame.locator('.chain-layer[data-layer="0"]').click();
      await tiles(frame, 6);
      await frame.locator('.segmented button', { hasText: 'Grad-CAM' }).click();
      await overlayCaption(frame, 'gradcam');
      await page.mouse.move(5, 5);
      await shot('gallery-lenet-conv1-gradcam');
    }],
    ['digits.onnx "Run on…" random values with class 8: the model\'s conv1 has its gallery and Grad-CAM too', async () => {
      await runFromPalette(page, 'View: Close All Editor Groups');
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'digits.onnx' }).first().click({ timeout: 30_000 });
      await page.locator('.tabs-container .tab.active', { hasText: 'digits.onnx' }).waitFor({ timeout: 30_000 });
      await frame.locator('svg.graph .node').first().waitFor({ timeout: 60_000 });
      await frame.locator('vscode-button', { hasText: 'Run on' }).click();
      await page.locator('.quick-input-widget', { hasText: 'Random values' }).waitFor({ timeout: 10_000 });
      await page.keyboard.type('Random');
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget', { hasText: 'Target class' }).waitFor({ timeout: 10_000 });
      await page.keyboard.type('8');
      await page.keyboard.press('Enter');
      await page.locator('.tabs-container .tab', { hasText: 'digits.onnx on' }).waitFor({ timeout: 60_000 });
      // The panel alone, so it is the one webview.
      await roomForPanel(page, 'digits.onnx on');
      await frame.locator('.chain-layer[data-layer="0"]').click({ timeout: 60_000 });
      const toggle = frame.locator('.gallery-toggle');
      if (await toggle.getAttribute('aria-pressed') !== 'true') await toggle.click();
      await tiles(frame, 8);
      await frame.locator('.segmented button', { hasText: 'Grad-CAM' }).click();
      const caption = await overlayCaption(frame, 'gradcam');
      if (!caption.includes('layers[0]')) throw new Error(`the caption says "${caption}"`);
      await page.mouse.move(5, 5);
      await shot('gallery-model-gradcam');
    }],
  ];
  for (const [title, step] of steps) if (!await run.check(title, step)) return;
}
