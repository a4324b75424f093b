// The harness's shared parts: a run and its evidence, a code-server session with a browser,
// suites inside an extension host, and pointing at the panel's cells as a user does.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { format } from 'util';
import type { FrameLocator, Page } from 'playwright-core';
import { CodeServer, ROOT, collectLogs, ensureCodeServer, startCodeServer } from './codeServer';
import { Browser, launchBrowser, runFromPalette } from './workbench';
import { scratchWorkspace } from '../support/scratchWorkspace';

/** The worked example's stages, in order. */
export const STAGES = ['pad', 'im2col', 'weight_matrix', 'matmul', 'reshape_bias', 'delta_t', 'dA_t', 'col2im', 'dW', 'db', 'rot180'];

export const SEED_Z = ['296', '250', '288', '277', '280', '294', '302', '297', '315', '291', '252', '263', '230', '267', '239', '223', '283', '257'];

export class Run {
  readonly dir: string;
  private readonly lines: string[] = [];
  passed = 0;
  failed = 0;
  /** Evidence at the moment a check fails (a screenshot), set by the session. */
  onFailure?: (name: string) => Promise<void>;

  constructor(readonly name: string) {
    this.dir = path.join(ROOT, 'test-results', name);
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
  }

  say(line: string): void {
    const stamped = `[${new Date().toISOString().slice(11, 19)}] ${line}`;
    console.log(stamped);
    this.lines.push(stamped);
  }

  async check(title: string, fn: () => Promise<void>): Promise<boolean> {
    try {
      await fn();
      this.passed++;
      this.say(`  ✔ ${title}`);
      return true;
    } catch (e) {
      this.failed++;
      this.say(`  ✘ ${title}: ${(e as Error).message.split('\n')[0]}`);
      await this.onFailure?.(`failed-${this.passed + this.failed}`).catch(() => undefined);
      return false;
    }
  }

  /** Writes output.log; with `summary`, closes with this run's own `N passed, N failed`. */
  finish(summary = true): number {
    if (summary) this.say(`${this.passed} passed, ${this.failed} failed`);
    fs.writeFileSync(path.join(this.dir, 'output.log'), this.lines.join('\n') + '\n');
    return this.failed > 0 ? 1 : 0;
  }
}

export function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A test-only extension from test/fixtures, packaged so code-server can install it. */
export function testExtension(fixture: string): string {
  const out = path.join(ROOT, 'out', `cvd-test-${fixture}.vsix`);
  const vsce = path.join(ROOT, 'node_modules', '.bin', 'vsce');
  execFileSync(vsce, ['package', '--allow-missing-repository', '--skip-license', '-o', out], { cwd: path.join(ROOT, 'test/fixtures', fixture), stdio: 'pipe' });
  return out;
}

/** The 'debugpy' debug type (Debian's debugpy adapter). */
export const testDebugpyExtension = () => testExtension('debugpy-extension');

export async function withSession(run: Run, vsix: string | undefined, body: (cs: CodeServer, browser: Browser, ws: string) => Promise<void>, extra: string[] = [], settings: Record<string, unknown> = {}, locale?: string): Promise<void> {
  const cs = await startCodeServer({ bin: ensureCodeServer(), vsix: [...(vsix ? [vsix] : []), ...extra], settings, locale });
  const browser = await launchBrowser();
  const ws = scratchWorkspace();
  browser.page.on('pageerror', e => run.say(`[page error] ${e.message}`));
  run.onFailure = async name => { await browser.page.screenshot({ path: path.join(run.dir, `${name}.png`) }); };
  try {
    await body(cs, browser, ws);
  } catch (e) {
    run.failed++;
    run.say(`FAILED: ${(e as Error).message}`);
  } finally {
    if (run.failed > 0) await browser.page.screenshot({ path: path.join(run.dir, 'failure.png') }).catch(() => undefined);
    collectLogs(cs, run.dir);
    await browser.close();
    await cs.stop();
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

/** Opens the workbench on the scratch workspace with the extension loaded from this folder (as F5 in its repository does). */
export async function openWithExtension(page: Page, cs: CodeServer, ws: string): Promise<void> {
  await page.goto(cs.url(ws, [['extensionDevelopmentPath', cs.remote(ROOT)], ['skipWelcome', 'true']]));
}

/** Runs a mocha suite inside the extension host; resolves with its exit code. */
export async function hostSuite(run: Run, testsPath: string, extra: string[] = [], settings: Record<string, unknown> = {}): Promise<number> {
  let exitCode = -1;
  await withSession(run, undefined, async (cs, browser, ws) => {
    const { page } = browser;
    const done = new Promise<void>(resolve => {
      // The host's console calls arrive as (level, [format, ...args]).
      void page.exposeFunction('codeAutomationLog', (_level: string, args: unknown[]) => {
        for (const line of format(...args).split('\n')) {
          run.say(line);
          // A suite inside the host asks for a screenshot of what it just made the workbench show.
          const shot = /^\[screenshot\] ([\w.-]+)$/.exec(line.trim());
          if (shot) void page.screenshot({ path: path.join(run.dir, `${shot[1]}.png`) }).catch(() => undefined);
        }
      });
      void page.exposeFunction('codeAutomationExit', (code: number) => { exitCode = code; resolve(); });
    });
    await page.goto(cs.url(ws, [
      ['extensionDevelopmentPath', cs.remote(ROOT)],
      ['extensionTestsPath', cs.remote(testsPath)],
      ['skipWelcome', 'true'],
    ]));
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error('the suite did not finish in 240 s')), 240_000))]);
  }, extra, settings);
  return exitCode;
}

/** A suite inside an extension host, as its own run: the suite prints its own `N passed, N failed`. */
export async function suiteRun(name: string, title: string, testsPath: string, extra: string[] = [], settings: Record<string, unknown> = {}): Promise<number> {
  const run = new Run(name);
  run.say(title);
  const code = await hostSuite(run, testsPath, extra, settings);
  run.say(`extension host tests exited with ${code}`);
  run.finish(false);
  return code === 0 && run.failed === 0 ? 0 : 1;
}

/** The extension's "browser" entry in the web-worker extension host (as on vscode.dev), not the Node one. */
export const IN_WEB_WORKER_HOST = { 'remote.extensionKind': { 'conv-visual-debugger.conv-visual-debugger': ['web'] } };

/** Moves the pointer over cell (row, col) of a tensor card's heatmap, the way a user points at it. */
export async function pointAt(page: Page, frame: FrameLocator, tensor: string, row: number, col: number, click = false): Promise<void> {
  const canvas = frame.locator(`section.tensor[data-tensor="${tensor}"] canvas.heatmap`).first();
  // Centred, so neither the sticky stepper nor the inspector covers it.
  await canvas.evaluate(c => (c as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'center' }));
  // A heatmap records its geometry when it first draws, which it does once on screen.
  await frame.locator(`section.tensor[data-tensor="${tensor}"] canvas.heatmap[data-scale]`).first().waitFor({ timeout: 60_000 });
  const g = await canvas.evaluate(c => ({ ...(c as unknown as { dataset: Record<string, string> }).dataset }));
  const [left, top, scale, x0, y0] = ['left', 'top', 'scale', 'x0', 'y0'].map(k => Number(g[k]));
  if (![left, top, scale, x0, y0].every(Number.isFinite)) throw new Error(`${tensor} heatmap has no geometry: ${JSON.stringify(g)}`);
  // The sticky chain and stepper may still cover the row: scroll until the cell itself is under the pointer.
  await canvas.evaluate((c, at) => {
    type El = { getBoundingClientRect(): { left: number; top: number }; ownerDocument: { elementFromPoint(x: number, y: number): unknown; defaultView: { scrollBy(x: number, y: number): void } } };
    const el = c as unknown as El;
    for (let i = 0; i < 6; i++) {
      const r = el.getBoundingClientRect();
      if (el.ownerDocument.elementFromPoint(r.left + at.x, r.top + at.y) === el) return;
      el.ownerDocument.defaultView.scrollBy(0, -80);
    }
  }, { x: left + (col - x0 + 0.5) * scale, y: top + (row - y0 + 0.5) * scale });
  const box = await canvas.boundingBox();
  if (!box) throw new Error(`${tensor} heatmap is not on screen`);
  const x = box.x + left + (col - x0 + 0.5) * scale;
  const y = box.y + top + (row - y0 + 0.5) * scale;
  await page.mouse.move(x - 6, y - 6);
  await page.mouse.move(x, y, { steps: 3 });
  if (click) await page.mouse.click(x, y);
}

export interface CardHighlight { rows: string; columns: string; cells: string }

export async function highlightOf(frame: FrameLocator, tensor: string): Promise<CardHighlight> {
  const card = frame.locator(`section.tensor[data-tensor="${tensor}"]`).first();
  return { rows: (await card.getAttribute('data-highlight-rows')) ?? '', columns: (await card.getAttribute('data-highlight-columns')) ?? '', cells: (await card.getAttribute('data-highlight-cells')) ?? '' };
}

/** Waits until a card's highlight passes `ok` (the link follows the pointer a frame later); throws with what it shows. */
export async function expectHighlight(frame: FrameLocator, tensor: string, ok: (h: CardHighlight) => boolean, ms = 5_000): Promise<CardHighlight> {
  const until = Date.now() + ms;
  for (;;) {
    const h = await highlightOf(frame, tensor);
    if (ok(h)) return h;
    if (Date.now() > until) throw new Error(`${tensor} highlights rows "${h.rows}", columns "${h.columns}", cells "${h.cells}"`);
    await new Promise(r => setTimeout(r, 100));
  }
}

/** The browser's clipboard, where VS Code for the web writes. */
export function readClipboard(page: Page): Promise<string> {
  return page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText());
}

/** Gives the panel the room a learner would: the editors beside it closed, so it spans the editor area. */
export async function roomForPanel(page: Page, tab: string): Promise<void> {
  await page.locator('.tabs-container .tab', { hasText: tab }).click();
  await runFromPalette(page, 'View: Close Editors in Other Groups');
  await page.waitForTimeout(800);
}

/** z[0, c, r, k] of the worked example, as the panel prints it. */
export function seedZ(c: number, r: number, k: number): string {
  return SEED_Z[c * 9 + r * 3 + k];
}
