// Playwright on the VS Code workbench, as a user: Debian's Chromium, headless,
// with the flags this closed network needs.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BrowserContext, FrameLocator, Page, chromium } from 'playwright-core';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(viewport = { width: 1680, height: 1050 }): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cvd-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  const page = context.pages()[0] ?? await context.newPage();
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function waitForWorkbench(page: Page): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
}

export async function openFromExplorer(page: Page, fileName: string): Promise<void> {
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: fileName }).first().click({ timeout: 30_000 });
  await page.locator('.editor-group-container .view-lines').first().waitFor({ timeout: 30_000 });
  await page.locator('.tabs-container .tab.active .label-name', { hasText: new RegExp(`^${fileName.replace(/\./g, '\\.')}$`) }).waitFor({ timeout: 30_000 });
}

/**
 * F1, type the command's title, Enter: the way a person runs it. The palette lists
 * the commands known when it opens, and a freshly started workbench may still be
 * loading extensions, so a person who finds nothing closes it and tries again.
 * `onChoose` is called right before the command is chosen (to time what follows).
 */
export async function runFromPalette(page: Page, title: string, attempts = 6, onChoose?: () => void): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  // The row whose label is exactly this command (fuzzy matching lists look-alikes too).
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
  for (let attempt = 1; ; attempt++) {
    // Keys typed while a webview has focus go to the webview: take focus back to the workbench first.
    await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { blur?: () => void } | null } }).document.activeElement?.blur?.());
    try {
      // Opening the palette can lose the race with a webview taking focus: every step may be tried again.
      await page.keyboard.press('F1');
      await input.waitFor({ timeout: 10_000 });
      // Set on the input element itself: keys typed (as fill types them) go wherever the focus is, and on a loaded
      // machine the palette may have closed by then, putting ">Debug: …" into the spec open in the editor.
      await input.evaluate((el, text) => {
        const box = el as unknown as { value: string; dispatchEvent(e: unknown): boolean };
        box.value = text;
        box.dispatchEvent(new (globalThis as unknown as { Event: new (type: string, init: object) => unknown }).Event('input', { bubbles: true }));
      }, `>${title}`, { timeout: 5_000 });
      await row.waitFor({ timeout: 10_000 });
      onChoose?.();
      await row.click();
      return;
    } catch (e) {
      await page.keyboard.press('Escape');
      if (attempt >= attempts) throw e;
    }
  }
}

/** The content document of the (only) webview panel: two iframes deep. */
export function webviewFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}
