// The panel's first screen, as a new user meets it (issue 19): at 1280 × 800 with the panel beside the
// spec and at 1920 × 1080, for the worked example, LeNet and a (1, 64, 56, 56) layer, the current stage's
// first tensor starts in the top 45 % of the panel, the matrix product's operands and result all lie
// within its width, and the stepper names the stage the content shows (after switching specs, reloading
// and stepping in the debugger).

import * as fs from 'fs';
import * as path from 'path';
import type { FrameLocator, Page } from 'playwright-core';
import { encodeNpy } from '../../../src/specReader/npy';
import { Run, pointAt, roomForPanel } from '../harness';
import { openFromExplorer, runFromPalette, waitForWorkbench } from '../workbench';

/** The big layer: a (1, 64, 56, 56) input from a .npy file (a_t is 3136 × 576), 16 kernels of 3 × 3, padding 1. */
export function writeWideSpec(ws: string): void {
  let seed = 7;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 * 2 - 1; };
  const data = Float32Array.from({ length: 64 * 56 * 56 }, rand);
  fs.writeFileSync(path.join(ws, 'wide-input.npy'), encodeNpy({ shape: [1, 64, 56, 56], data, dtype: 'float32' }));
  const weight = Array.from({ length: 16 }, () => Array.from({ length: 64 }, () => Array.from({ length: 3 }, () => Array.from({ length: 3 }, () => Math.round(rand() * 100) / 100))));
  fs.writeFileSync(path.join(ws, 'wide.conv.json'), JSON.stringify({ description: 'A ResNet-sized layer: (1, 64, 56, 56) in, 16 kernels of 3×3, padding 1.', input: { npy: 'wide-input.npy' }, weight, padding: 1, dtype: 'float32' }, null, 1));
}

/** What the panel shows, measured in its own document. */
interface Screen {
  /** The stepper's current stage, as its chip reads ("4. Matrix product"). */
  stepper: string;
  /** The heading of the stage section at the top of the content, under the sticky navigation. */
  content: string;
  /** Top of the current stage's first tensor card, as a fraction of the panel's height. */
  firstTensorTop: number;
  /** Cards of the current stage that stick out of the panel's width (name: left..right of width). */
  outside: string[];
}

async function measure(frame: FrameLocator): Promise<Screen> {
  type Rect = { top: number; bottom: number; left: number; right: number };
  type Node = { getBoundingClientRect(): Rect; textContent: string | null; dataset: Record<string, string>; querySelector(s: string): Node | null; querySelectorAll(s: string): ArrayLike<Node> };
  return frame.locator('body').evaluate((body: Node) => {
    const doc = (body as unknown as { ownerDocument: { defaultView: { innerHeight: number }; documentElement: { clientWidth: number }; querySelectorAll(s: string): ArrayLike<Node>; querySelector(s: string): Node | null } }).ownerDocument;
    const height = doc.defaultView.innerHeight;
    const width = doc.documentElement.clientWidth;
    const sticky = Math.max(0, ...Array.from(doc.querySelectorAll('.stepper, .chain')).map(e => e.getBoundingClientRect().bottom));
    const sections = Array.from(doc.querySelectorAll('section.stage'));
    const atTop = sections.find(s => s.getBoundingClientRect().bottom > sticky + 24);
    const current = doc.querySelector('section.stage.current');
    const first = current?.querySelector('section.tensor');
    const cards = Array.from(current?.querySelectorAll('section.tensor') ?? []);
    return {
      stepper: doc.querySelector('.stepper-chips [aria-current="step"]')?.textContent?.trim() ?? '',
      content: atTop?.querySelector('h2')?.textContent?.trim() ?? '',
      firstTensorTop: first ? first.getBoundingClientRect().top / height : Infinity,
      outside: cards.filter(c => c.getBoundingClientRect().left < 0 || c.getBoundingClientRect().right > width)
        .map(c => `${c.dataset.tensor}: ${Math.round(c.getBoundingClientRect().left)}..${Math.round(c.getBoundingClientRect().right)} of ${width}`),
    };
  });
}

/** The stepper's stage is the one the content shows. */
async function expectAgreement(frame: FrameLocator, page: Page): Promise<Screen> {
  // Give a re-run a moment to lay out; then the two must agree.
  let s = await measure(frame);
  for (let i = 0; i < 20 && (!s.stepper || s.stepper !== s.content); i++) {
    await page.waitForTimeout(250);
    s = await measure(frame);
  }
  if (s.stepper !== s.content) throw new Error(`the stepper says "${s.stepper}", the content shows "${s.content}"`);
  return s;
}

/** The current stage's first tensor in the top 45 % of the panel, and all its cards within the panel's width. */
async function expectFirstScreen(frame: FrameLocator, page: Page): Promise<void> {
  const s = await expectAgreement(frame, page);
  if (!(s.firstTensorTop <= 0.45)) throw new Error(`"${s.stepper}": its first tensor starts at ${Math.round(s.firstTensorTop * 100)} % of the panel's height`);
  if (s.outside.length) throw new Error(`"${s.stepper}": outside the panel's width: ${s.outside.join('; ')}`);
}

async function runSpec(page: Page, frame: FrameLocator, file: string, ready: string): Promise<void> {
  // The spec opens in the left group (the panel, beside it, had the focus last).
  await runFromPalette(page, 'View: Focus First Editor Group');
  await openFromExplorer(page, file);
  await runFromPalette(page, 'Conv: Run Conv Forward/Backward');
  await page.locator('.tabs-container .tab', { hasText: `Conv: ${file}` }).waitFor({ timeout: 120_000 });
  // The panel keeps the last trace on screen while the new one runs: wait for the new one's title, not only its tab.
  await frame.locator('#title', { hasText: file }).waitFor({ timeout: 120_000 });
  await frame.locator(ready).first().waitFor({ state: 'attached', timeout: 120_000 });
  await page.waitForTimeout(800);
}

async function openStage(page: Page, frame: FrameLocator, chip: string): Promise<void> {
  await frame.locator('.chip', { hasText: chip }).first().click();
  await frame.locator('.stepper-chips [aria-current="step"]', { hasText: chip }).waitFor({ timeout: 10_000 });
  await page.mouse.move(5, 5);
  await page.waitForTimeout(600);
}

/** The README's pictures, taken at 1920 × 1080 beside the spec: the worked example's product with a cell linked, LeNet's max pooling. */
async function readmeShot(run: Run, page: Page, frame: FrameLocator, spec: string): Promise<void> {
  const linked = async (tensor: string, row: number, col: number, stage: string) => {
    await openStage(page, frame, stage);
    await pointAt(page, frame, tensor, row, col, true);
    await frame.locator('.inspector .badge', { hasText: 'pinned' }).waitFor({ timeout: 10_000 });
    await page.mouse.move(5, 5);
    await page.waitForTimeout(500);
  };
  if (spec === 'seed') {
    await run.check('README: the worked example\'s matrix product, z_t[0, 5, 0] linked to its a_t row and w_t column', async () => {
      await linked('z_t', 5, 0, 'Matrix product');
      await page.screenshot({ path: path.join(run.dir, 'readme-linked-matmul.png') });
    });
  } else if (spec === 'lenet') {
    await run.check('README: LeNet\'s max pooling, a pooled output linked to its window and argmax', async () => {
      await frame.locator('.chain-layer[data-layer="2"]').click();
      await linked('z', 1, 5, 'Max of each window');
      await page.screenshot({ path: path.join(run.dir, 'readme-network-maxpool.png') });
    });
  }
  await page.keyboard.press('Escape');
}

/** Each size, each spec: the first screen as it opens, then its matrix product. Screenshots in the run's folder. */
export async function firstScreenChecks(run: Run, page: Page, frame: FrameLocator): Promise<void> {
  const shot = (name: string) => page.screenshot({ path: path.join(run.dir, `${name}.png`) });
  // Start from one editor group: the spec on the left, the panel opening beside it.
  await runFromPalette(page, 'View: Close All Editor Groups');
  const specs = [
    ['seed', 'seed.conv.json', 'section.tensor[data-tensor="z"] td'],
    ['lenet', 'lenet.conv.json', '.chain-layer'],
    ['wide', 'wide.conv.json', 'section.tensor[data-tensor="a_t"]'],
  ] as const;
  for (const size of [{ width: 1280, height: 800 }, { width: 1920, height: 1080 }]) {
    await page.setViewportSize(size);
    await page.waitForTimeout(800);
    for (const [name, file, ready] of specs) {
      const at = `${size.width}x${size.height}-${name}`;
      const ok = await run.check(`${size.width} × ${size.height}, ${file} run beside the spec: the stepper names the stage shown, whose first tensor starts in the top 45 % of the panel`, async () => {
        await runSpec(page, frame, file, ready);
        await page.locator('.editor-group-container', { hasText: file }).first().waitFor({ timeout: 5_000 });
        await shot(`first-screen-${at}`);
        await expectFirstScreen(frame, page);
      });
      if (!ok) continue;
      await run.check(`${size.width} × ${size.height}, ${file}: the matrix product's operands and result lie within the panel's width`, async () => {
        await openStage(page, frame, 'Matrix product');
        await shot(`first-screen-${at}-matmul`);
        await expectFirstScreen(frame, page);
      });
      if (size.width === 1920) await readmeShot(run, page, frame, name);
    }
  }
  await run.check('after "Developer: Reload Window" the stepper and the content agree', async () => {
    await openStage(page, frame, 'Gradient of w');
    await runFromPalette(page, 'Developer: Reload Window');
    await waitForWorkbench(page);
    await page.locator('.tabs-container .tab', { hasText: 'Conv: wide.conv.json' }).click({ timeout: 60_000 });
    await frame.locator('section.tensor[data-tensor="a_t"]').first().waitFor({ state: 'attached', timeout: 120_000 });
    await page.waitForTimeout(800);
    const s = await expectAgreement(frame, page);
    if (!s.stepper.includes('Gradient of w')) throw new Error(`after the reload the stepper says "${s.stepper}"`);
    await shot('first-screen-reloaded');
  });
  await run.check('stepping the worked example in the debugger: the stepper and the content agree at every stop', async () => {
    await openStage(page, frame, 'Gradient of b');
    // The panel alone: the spec opens in its group, and the debugger moves the panel beside it.
    await roomForPanel(page, 'Conv: wide.conv.json');
    await openFromExplorer(page, 'seed.conv.json');
    await runFromPalette(page, 'Debug: Start Debugging');
    await page.locator('.debug-toolbar').waitFor({ timeout: 30_000 });
    await page.locator('.tabs-container .tab', { hasText: 'Conv: seed.conv.json' }).waitFor({ timeout: 30_000 });
    for (let i = 0; i < 4; i++) {
      await page.waitForTimeout(600);
      await expectAgreement(frame, page);
      await runFromPalette(page, 'Debug: Step Over');
    }
    await page.waitForTimeout(600);
    const s = await expectAgreement(frame, page);
    if (!s.stepper.includes('Matrix product')) throw new Error(`after four steps the stepper says "${s.stepper}"`);
    await shot('first-screen-debug-matmul');
    await runFromPalette(page, 'Debug: Stop');
    await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 15_000 });
  });
}
