// The real-VS-Code harness (code-server + headless Chromium):
//   node out/test/e2e/run.js integration     mocha suite (test/integration) inside the Node extension host
//   node out/test/e2e/run.js web             the web extension: suites (test/web) inside the web-worker extension host
//   node out/test/e2e/run.js ui [--vsix F]   as a user: explorer, palette, panel, numbers, screenshot
//   node out/test/e2e/run.js zh-cn           VS Code in Simplified Chinese (--locale zh-cn): palette, panel, messages
//   node out/test/e2e/run.js canary          a deliberately failing suite must come back red
//   node out/test/e2e/run.js walkthrough     the getting-started walkthrough: its buttons and stage links, the panel following
//   node out/test/e2e/run.js serve           the demo: VS Code in the browser with examples/ (prints the URL)
// Evidence (output, screenshots, extension host logs) goes to test-results/<run>/.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { format } from 'util';
import { CodeServer, ROOT, collectLogs, ensureCodeServer, startCodeServer } from './codeServer';
import { explainStage } from '../../src/format/explain';
import { traceSpecText } from '../../src/spec/convSpec';
import type { FrameLocator, Page } from 'playwright-core';
import { Browser, launchBrowser, openFromExplorer, runFromPalette, waitForWorkbench, webviewFrame } from './workbench';

const SEED_Z = ['296', '250', '288', '277', '280', '294', '302', '297', '315', '291', '252', '263', '230', '267', '239', '223', '283', '257'];

class Run {
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

/** A scratch copy of examples/ and the test debuggees: tests never write into the repository. */
function scratchWorkspace(): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'cvd-workspace-'));
  fs.cpSync(path.join(ROOT, 'examples'), ws, { recursive: true });
  fs.cpSync(path.join(ROOT, 'test/fixtures/debuggee'), path.join(ws, 'debuggee'), { recursive: true });
  return ws;
}

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A test-only extension from test/fixtures, packaged so code-server can install it. */
function testExtension(fixture: string): string {
  const out = path.join(ROOT, 'out', `cvd-test-${fixture}.vsix`);
  const vsce = path.join(ROOT, 'node_modules', '.bin', 'vsce');
  execFileSync(vsce, ['package', '--allow-missing-repository', '--skip-license', '-o', out], { cwd: path.join(ROOT, 'test/fixtures', fixture), stdio: 'pipe' });
  return out;
}

/** The 'debugpy' debug type (Debian's debugpy adapter). */
const testDebugpyExtension = () => testExtension('debugpy-extension');

async function withSession(run: Run, vsix: string | undefined, body: (cs: CodeServer, browser: Browser, ws: string) => Promise<void>, extra: string[] = [], settings: Record<string, unknown> = {}, locale?: string): Promise<void> {
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

/** Runs a mocha suite inside the extension host; resolves with its exit code. */
async function hostSuite(run: Run, testsPath: string, extra: string[] = [], settings: Record<string, unknown> = {}): Promise<number> {
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
async function suiteRun(name: string, title: string, testsPath: string, extra: string[] = [], settings: Record<string, unknown> = {}): Promise<number> {
  const run = new Run(name);
  run.say(title);
  const code = await hostSuite(run, testsPath, extra, settings);
  run.say(`extension host tests exited with ${code}`);
  run.finish(false);
  return code === 0 && run.failed === 0 ? 0 : 1;
}

const integration = () => suiteRun('integration', 'integration suite inside the Node extension host (code-server)',
  path.join(ROOT, 'out/test/integration/index.js'), [testDebugpyExtension()]);

/** The extension's "browser" entry in the web-worker extension host (as on vscode.dev), not the Node one. */
const IN_WEB_WORKER_HOST = { 'remote.extensionKind': { 'conv-visual-debugger.conv-visual-debugger': ['web'] } };

const web = () => suiteRun('web', 'integration suites inside the web-worker extension host (package.json "browser")',
  path.join(ROOT, 'out/test/web/suite.js'), [], IN_WEB_WORKER_HOST);

/**
 * VS Code in Simplified Chinese (`--locale zh-cn`, with a test language pack standing in for
 * Microsoft's): the palette, the panel's words and the host's messages come from the zh-cn tables.
 */
async function zhCn(): Promise<number> {
  const run = new Run('zh-cn');
  run.say('UI run with VS Code\'s display language zh-cn');
  const nls = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.nls.zh-cn.json'), 'utf8')) as Record<string, string>;
  const bundle = JSON.parse(fs.readFileSync(path.join(ROOT, 'l10n/bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
  // What the panel must say on the first stage, from the engine's own tables.
  const seed = traceSpecText('seed.conv.json', fs.readFileSync(path.join(ROOT, 'examples/seed.conv.json'), 'utf8'));
  const padText = explainStage('pad', { kind: 'conv', info: seed.info }, 'ones', 'zh-cn');
  await withSession(run, undefined, async (cs, browser, ws) => {
    const { page } = browser;
    fs.writeFileSync(path.join(ws, 'broken.conv.json'), '{\n  "input": [[[[1, 2], [3, 4]]]],\n  "weight": [[[[1]]]],\n  "stride": 0\n}\n');
    await page.goto(cs.url(ws, [['extensionDevelopmentPath', cs.remote(ROOT)], ['skipWelcome', 'true']]));
    const frame = webviewFrame(page);
    const steps: [string, () => Promise<void>][] = [
      ['the workbench opens', () => waitForWorkbench(page)],
      ['seed.conv.json opens from the explorer', () => openFromExplorer(page, 'seed.conv.json')],
      [`the palette lists the command in Chinese: "${nls['command.category']}: ${nls['command.run.title']}"`, () => runFromPalette(page, `${nls['command.category']}: ${nls['command.run.title']}`)],
      ['the panel is in Chinese: <html lang="zh-CN">, and the first stage explained in the zh-cn words', async () => {
        await frame.locator('html[lang="zh-CN"]').waitFor({ state: 'attached', timeout: 60_000 });
        const shown = frame.locator('.stepper-explanation');
        await shown.waitFor({ timeout: 30_000 });
        const text = (await shown.textContent())?.trim();
        if (text !== padText) throw new Error(`the panel says "${text}", not "${padText}"`);
        await page.waitForTimeout(1000);
        await page.screenshot({ path: path.join(run.dir, 'panel-zh-cn.png') });
      }],
      ['a broken spec\'s error message is framed in Chinese', async () => {
        await openFromExplorer(page, 'broken.conv.json');
        await runFromPalette(page, `${nls['command.category']}: ${nls['command.run.title']}`);
        const frameWords = bundle['Conv spec error in {0} at {1}: {2}'].split('{0}')[0];
        await page.locator('.notifications-toasts .notification-list-item-message', { hasText: frameWords }).first().waitFor({ timeout: 30_000 });
        await page.screenshot({ path: path.join(run.dir, 'error-zh-cn.png') });
      }],
    ];
    for (const [title, step] of steps) if (!await run.check(title, step)) return;
  }, [testExtension('zh-cn-language-pack')], {}, 'zh-cn');
  return run.finish();
}

async function canary(): Promise<number> {
  const run = new Run('canary');
  run.say('a deliberately failing suite must make the harness red');
  const code = await hostSuite(run, path.join(ROOT, 'out/test/integration/canary/index.js'));
  run.passed = 0;
  run.failed = 0;
  await run.check('the failing suite is reported as a failure', async () => {
    if (code === 0) throw new Error('the harness reported success for a failing suite');
  });
  return run.finish();
}

const STAGES = ['pad', 'im2col', 'weight_matrix', 'matmul', 'reshape_bias', 'delta_t', 'dA_t', 'col2im', 'dW', 'db', 'rot180'];

/** A deterministic large spec (a_t of 2.6 M values, sent to the panel on request), written into the scratch workspace. */
function writeLargeSpec(ws: string): void {
  let seed = 12345;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.round((seed / 2147483648 * 2 - 1) * 1000) / 1000; };
  const nested = (shape: number[]): unknown => (shape.length === 0 ? rand() : Array.from({ length: shape[0] }, () => nested(shape.slice(1))));
  const spec = { description: 'A large layer: 4×32×48×48 input, 64 kernels of 3×3, padding 1.', input: nested([4, 32, 48, 48]), weight: nested([64, 32, 3, 3]), bias: nested([64]), padding: 1 };
  fs.writeFileSync(path.join(ws, 'large.conv.json'), JSON.stringify(spec));
}

/** Moves the pointer over cell (row, col) of a tensor card's heatmap, the way a user points at it. */
async function pointAt(page: Page, frame: FrameLocator, tensor: string, row: number, col: number, click = false): Promise<void> {
  const canvas = frame.locator(`section.tensor[data-tensor="${tensor}"] canvas.heatmap`).first();
  // Centred, so neither the sticky stepper nor the inspector covers it.
  await canvas.evaluate(c => (c as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'center' }));
  const g = await canvas.evaluate(c => ({ ...(c as unknown as { dataset: Record<string, string> }).dataset }));
  const [left, top, scale, x0, y0] = ['left', 'top', 'scale', 'x0', 'y0'].map(k => Number(g[k]));
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

async function highlightOf(frame: FrameLocator, tensor: string): Promise<{ rows: string; columns: string; cells: string }> {
  const card = frame.locator(`section.tensor[data-tensor="${tensor}"]`).first();
  return { rows: (await card.getAttribute('data-highlight-rows')) ?? '', columns: (await card.getAttribute('data-highlight-columns')) ?? '', cells: (await card.getAttribute('data-highlight-cells')) ?? '' };
}

/** The browser's clipboard, where VS Code for the web writes. */
function readClipboard(page: Page): Promise<string> {
  return page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText());
}

/** Gives the panel the room a learner would: the editors beside it closed, so it spans the editor area. */
async function roomForPanel(page: Page, tab: string): Promise<void> {
  await page.locator('.tabs-container .tab', { hasText: tab }).click();
  await runFromPalette(page, 'View: Close Editors in Other Groups');
  await page.waitForTimeout(800);
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
      const poolT = await highlightOf(frame, 'pool_t');
      if (poolT.cells.split(' ').length !== 4 || !poolT.cells.startsWith('0,0,17,')) throw new Error(`pool_t highlights "${poolT.cells}"`);
      const argmax = await highlightOf(frame, 'argmax');
      if (argmax.cells !== '0,0,1,5') throw new Error(`argmax highlights "${argmax.cells}"`);
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

async function ui(): Promise<number> {
  const vsix = argValue('--vsix');
  // `--only network`: the network checks alone (while working on them).
  const only = argValue('--only');
  // `--web`: the extension's browser entry in the web-worker extension host, as on vscode.dev.
  const inWeb = process.argv.includes('--web');
  const run = new Run(`${vsix ? 'ui-vsix' : only ? `ui-${only}` : 'ui-dev'}${inWeb ? '-web' : ''}`);
  run.say(`${vsix ? `UI run with the extension installed from ${path.relative(ROOT, vsix)}` : 'UI run with the extension loaded from its folder'}${inWeb ? ', in the web-worker extension host' : ''}`);
  await withSession(run, vsix, async (cs, browser, ws) => {
    const { page } = browser;
    if (!vsix) {
      writeLargeSpec(ws);
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
    if (only === 'network') {
      if (await run.check(steps[0][0], steps[0][1])) await networkChecks(run, page, webviewFrame(page), shot);
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
      const at = await highlightOf(frame, 'a_t');
      const wt = await highlightOf(frame, 'w_t');
      const input = await highlightOf(frame, 'input');
      if (at.rows !== '5') throw new Error(`a_t highlights rows "${at.rows}"`);
      if (wt.columns !== '0') throw new Error(`w_t highlights columns "${wt.columns}"`);
      const patch = input.cells.split(' ').filter(c => c.startsWith('0,0,')).sort().join(' ');
      if (patch !== '0,0,1,2 0,0,1,3 0,0,2,2 0,0,2,3') throw new Error(`input channel 0 highlights "${patch}"`);
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
      const dAt = await highlightOf(frame, 'dA_t');
      if (dAt.cells.split(' ').length !== 4) throw new Error(`dA_t highlights cells "${dAt.cells}"`);
      await frame.locator('.cell-sum-total.ok').first().waitFor({ timeout: 10_000 });
      await shot('link-dA-col2im');
      await frame.locator('.chip', { hasText: 'ROT180' }).click();
      await page.mouse.move(5, 5);
      await page.waitForTimeout(300);
      const full = await highlightOf(frame, 'delta_full');
      if (full.cells.split(' ').length !== 8) throw new Error(`delta_full highlights "${full.cells}"`);
      await shot('link-dA-rot180');
    });
    await run.check('debugging the spec (Debug: Start Debugging): step over to the matmul, the panel follows, the console evaluates', async () => {
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
      // The panel, in its tab beside the spec, followed the stops.
      await page.locator('.tabs-container .tab', { hasText: 'Conv: seed.conv.json' }).click();
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
      ['zooming into the large a_t prints values; hovering links the output', async () => {
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
        await pointAt(page, frame, 'z_t', 30, 3);
        const at = await highlightOf(frame, 'a_t');
        if (at.rows !== '30') throw new Error(`a_t highlights rows "${at.rows}"`);
        await frame.locator('.cell-sum-total.ok').first().waitFor({ timeout: 30_000 });
        await shot('large-link');
      }],
    ] as const;
    for (const [title, step] of large) if (!await run.check(title, step)) break;
    run.say(`screenshots in ${path.relative(ROOT, run.dir)}/`);
  }, [], inWeb ? IN_WEB_WORKER_HOST : {});
  return run.finish();
}

/** The palette by keyboard alone: F1, the command's title, Enter (runFromPalette clicks the row). */
async function paletteByKeyboard(page: Page, title: string): Promise<void> {
  await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { blur?: () => void } | null } }).document.activeElement?.blur?.());
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(`>${title}`);
  await pickByKeyboard(page, title);
}

/** In an open quick pick: the row labelled exactly `label`, by the arrow keys, then Enter. */
async function pickByKeyboard(page: Page, label: string): Promise<void> {
  const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const focused = page.locator('.quick-input-list .monaco-list-row.focused .label-name', { hasText: exact });
  await page.locator('.quick-input-list .monaco-list-row .label-name', { hasText: exact }).first().waitFor({ timeout: 10_000 });
  // Fuzzy matching may rank a look-alike first: arrow down to the row itself.
  for (let i = 0; i < 10 && !await focused.count(); i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(400);
}

/** The webview's DOM, in functions that run inside the page (the harness compiles without the DOM library). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type PageNode = any;

/** What has focus in the panel: its accessible name (as a screen reader would get it, roughly), and whether a focus ring shows. */
interface FocusedControl { tag: string; name: string; visible: boolean; ring: string; key: string }

/** Reads the focused element of the panel; marks it `data-tab-reached` so the unreached controls can be listed after. */
function focusedControl(frame: FrameLocator): Promise<FocusedControl | undefined> {
  return frame.locator('body').evaluate((body: PageNode) => {
    const doc = body.ownerDocument;
    const e: PageNode = doc.activeElement;
    if (!e || e === body || e === doc.documentElement) return undefined;
    const win = doc.defaultView!;
    const byIds = (ids: string | null) => (ids ?? '').split(/\s+/).map(id => doc.getElementById(id)?.textContent?.trim() ?? '').join(' ').trim();
    const name = (e.getAttribute('aria-label') ?? '').trim() || byIds(e.getAttribute('aria-labelledby')) || (e.getAttribute('label') ?? '').trim() || (e.textContent ?? '').replace(/\s+/g, ' ').trim() || (e.title ?? '').trim();
    // A ring: an outline on the element or on the heatmap's wrapper, or one drawn inside a web component's shadow root.
    const outlined = (x: PageNode) => {
      const st = win.getComputedStyle(x);
      return st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) >= 1 && st.outlineColor !== 'rgba(0, 0, 0, 0)' ? `${st.outlineWidth} ${st.outlineStyle} ${st.outlineColor}` : '';
    };
    let ring = outlined(e) || (e.tagName === 'CANVAS' && e.parentElement ? outlined(e.parentElement) : '');
    const shadow = e.shadowRoot;
    if (!ring && shadow) {
      for (const inner of Array.from<PageNode>(shadow.querySelectorAll('*'))) {
        const st = win.getComputedStyle(inner);
        const o = outlined(inner);
        const border = st.borderStyle !== 'none' && parseFloat(st.borderWidth) >= 1 && inner.matches(':focus, :focus-visible, :focus-within') ? `border ${st.borderColor}` : '';
        if (o || border) { ring = `shadow ${o || border}`; break; }
      }
      if (!ring) {
        const st = win.getComputedStyle(e);
        const focusBorder = win.getComputedStyle(doc.body).getPropertyValue('--vscode-focusBorder').trim();
        if (st.borderColor && focusBorder && st.borderStyle !== 'none') ring = `host border ${st.borderColor} (focusBorder ${focusBorder})`;
      }
    }
    e.dataset.tabReached = '1';
    const r = e.getBoundingClientRect();
    const key = `${e.tagName.toLowerCase()}${e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : ''} ${name}`;
    return { tag: e.tagName.toLowerCase(), name, visible: r.width > 0 && r.height > 0, ring, key };
  });
}

/** The panel's visible controls no Tab reached. */
function unreachedControls(frame: FrameLocator): Promise<string[]> {
  return frame.locator('body').evaluate((body: PageNode) => Array.from<PageNode>(body.querySelectorAll('button, vscode-button, vscode-single-select, vscode-checkbox, canvas.heatmap, [tabindex="0"]'))
    .filter(e => !e.dataset.tabReached && !e.closest('[hidden]') && e.getBoundingClientRect().width > 0)
    .map(e => `${e.tagName.toLowerCase()} ${e.getAttribute('aria-label') ?? e.textContent?.trim() ?? ''}`));
}

/** The panel's live line for the keyboard cursor. */
function announced(frame: FrameLocator): Promise<string> {
  return frame.locator('.cell-announcer').first().evaluate((e: PageNode) => e.textContent ?? '');
}

/** Waits until the live line says `text` (announcements follow keys within a frame or two). */
async function expectAnnounced(frame: FrameLocator, text: string): Promise<void> {
  await frame.locator('.cell-announcer', { hasText: text }).first().waitFor({ state: 'attached', timeout: 5_000 }).catch(async () => {
    throw new Error(`announced "${await announced(frame)}", expected "${text}"`);
  });
}

/** z[0, c, r, k] of the worked example, as the panel prints it. */
function seedZ(c: number, r: number, k: number): string {
  return SEED_Z[c * 9 + r * 3 + k];
}

/** Keyboard only: Tab order and names, stepping, the heatmap's cell cursor and its announcements, then each colour theme. */
async function a11y(): Promise<number> {
  const run = new Run('a11y');
  run.say('accessibility: the panel by keyboard alone, and in light, dark and both high contrast themes');
  await withSession(run, undefined, async (cs, browser, ws) => {
    const { page } = browser;
    await page.goto(cs.url(ws, [['extensionDevelopmentPath', cs.remote(ROOT)], ['skipWelcome', 'true']]));
    const frame = webviewFrame(page);
    const panel = page.locator('iframe.webview.ready').first();
    const shot = (name: string) => panel.screenshot({ path: path.join(run.dir, `${name}.png`) });
    const press = async (key: string, times = 1) => { for (let i = 0; i < times; i++) await page.keyboard.press(key); await page.waitForTimeout(120); };
    /** Tabs until `pick` says yes (or 400 Tabs). */
    const tabTo = async (what: string, pick: (c: FocusedControl) => boolean, key = 'Tab') => {
      for (let i = 0; i < 400; i++) {
        await page.keyboard.press(key);
        const c = await focusedControl(frame);
        if (c && pick(c)) return c;
      }
      throw new Error(`Tab never reached ${what}`);
    };
    const setup: [string, () => Promise<void>][] = [
      ['the workbench opens the examples folder', () => waitForWorkbench(page)],
      ['seed.conv.json opens and "Conv: Run Conv Forward/Backward" runs from the palette', async () => {
        await openFromExplorer(page, 'seed.conv.json');
        await runFromPalette(page, 'Conv: Run Conv Forward/Backward');
        await page.locator('.tabs-container .tab', { hasText: 'Conv: seed.conv.json' }).waitFor({ timeout: 60_000 });
        await frame.locator('section.tensor[data-tensor="z"] td').first().waitFor({ state: 'attached', timeout: 60_000 });
      }],
      ['the panel takes the editor area and the focus, by keyboard (Ctrl+2 to its group, the palette closes the others, Ctrl+1)', async () => {
        await page.keyboard.press('Control+2');
        await page.waitForTimeout(400);
        await paletteByKeyboard(page, 'View: Close Editors in Other Groups');
        await page.keyboard.press('Control+1');
        await page.waitForTimeout(800);
        const focused = await frame.locator('body').evaluate((b: PageNode) => b.ownerDocument.hasFocus());
        if (!focused) throw new Error('the panel\'s document does not have the focus');
      }],
    ];
    for (const [title, step] of setup) if (!await run.check(title, step)) return;

    await run.check('Tab reaches every visible control in order, each with a name and a visible focus ring', async () => {
      const reached: FocusedControl[] = [];
      const seen = new Set<string>();
      for (let i = 0; i < 400; i++) {
        await page.keyboard.press('Tab');
        const c = await focusedControl(frame);
        // Past the last control focus leaves the panel, or comes round again.
        if (!c || (seen.has(c.key) && reached.length > 5 && c.key === reached[0].key)) break;
        seen.add(c.key);
        reached.push(c);
        if (reached.length === 1) await shot('focus-first-control');
      }
      fs.writeFileSync(path.join(run.dir, 'tab-order.txt'), reached.map((c, i) => `${i + 1}\t${c.tag}\t${c.name}\t${c.ring || 'NO RING'}`).join('\n') + '\n');
      run.say(`    ${reached.length} tab stops (test-results/a11y/tab-order.txt): ${reached.slice(0, 8).map(c => c.name.slice(0, 30)).join(' | ')} ...`);
      const nameless = reached.filter(c => !c.name);
      const ringless = reached.filter(c => !c.ring);
      const missed = await unreachedControls(frame);
      const problems = [
        ...(nameless.length ? [`${nameless.length} without a name (${nameless.slice(0, 3).map(c => c.tag).join(', ')})`] : []),
        ...(ringless.length ? [`${ringless.length} without a visible ring (${ringless.slice(0, 4).map(c => `${c.tag} ${c.name.slice(0, 24)}`).join(', ')})`] : []),
        ...(missed.length ? [`${missed.length} never reached (${missed.slice(0, 4).join(', ')})`] : []),
      ];
      if (reached.length < 20) problems.push(`only ${reached.length} tab stops`);
      if (problems.length) throw new Error(problems.join('; '));
    });

    await run.check('ARIA: toolbar, stepper with aria-current="step", sections named by their headings, heatmaps named with role description', async () => {
      const facts = await frame.locator('body').evaluate((body: PageNode) => {
        const doc = body.ownerDocument;
        const toolbars = Array.from<PageNode>(doc.querySelectorAll('[role="toolbar"]')).map(t => t.getAttribute('aria-label'));
        const current = Array.from<PageNode>(doc.querySelectorAll('.stepper-chips [aria-current="step"]')).map(c => c.textContent);
        const sections = Array.from<PageNode>(doc.querySelectorAll('section.stage')).map(s => doc.getElementById(s.getAttribute('aria-labelledby') ?? '')?.textContent ?? '');
        const canvas = doc.querySelector('section.tensor[data-tensor="z"] canvas.heatmap');
        return { toolbars, current, sections, role: canvas?.getAttribute('role'), roledescription: canvas?.getAttribute('aria-roledescription'), label: canvas?.getAttribute('aria-label') ?? '', described: doc.getElementById(canvas?.getAttribute('aria-describedby') ?? '')?.textContent ?? '', explanationLive: doc.querySelector('.stepper-explanation')?.getAttribute('aria-live') };
      });
      const problems: string[] = [];
      if (!facts.toolbars.includes('View options') || facts.toolbars.length < 10) problems.push(`toolbars ${facts.toolbars.slice(0, 3).join(', ')} (${facts.toolbars.length})`);
      if (facts.current.length !== 1) problems.push(`aria-current on ${facts.current.length} chips`);
      if (facts.sections.length !== STAGES.length || facts.sections.some(s => !/^\d+\. /.test(s))) problems.push(`section names ${facts.sections.join(' | ')}`);
      if (facts.role !== 'application' || facts.roledescription !== 'tensor heatmap' || !facts.label.startsWith('z (1, 2, 3, 3)') || !facts.described.includes('Arrow keys')) problems.push(`z heatmap: ${JSON.stringify(facts)}`);
      if (facts.explanationLive !== 'polite') problems.push('the stage explanation is not a live region');
      if (problems.length) throw new Error(problems.join('; '));
    });

    await run.check('stages step by keyboard: Enter on "Next", then n and p; aria-current follows', async () => {
      const position = frame.locator('.stepper-position');
      const before = Number((await position.innerText()).split(' / ')[0]);
      await tabTo('the Next button', c => c.name.startsWith('Next stage'));
      await press('Enter');
      await position.filter({ hasText: `${before + 1} / ${STAGES.length}` }).waitFor({ timeout: 5_000 });
      await press('n');
      await position.filter({ hasText: `${before + 2} / ${STAGES.length}` }).waitFor({ timeout: 5_000 });
      await press('p');
      await position.filter({ hasText: `${before + 1} / ${STAGES.length}` }).waitFor({ timeout: 5_000 });
      const current = await frame.locator('.stepper-chips [aria-current="step"]').innerText();
      if (!current.startsWith(`${before + 1}. `)) throw new Error(`aria-current on "${current}"`);
      // To the stage with z (5. Reshape and add bias), by n and p alone.
      const target = STAGES.indexOf('reshape_bias') + 1;
      await press(target > before + 1 ? 'n' : 'p', Math.abs(target - before - 1));
      await frame.locator('section.stage.current[data-stage="reshape_bias"]').waitFor({ timeout: 5_000 });
      await shot('stage-by-keyboard');
    });

    await run.check('Tab onto the z heatmap: its cursor starts on z[0, 0, 0, 0] and the live region says its value', async () => {
      await tabTo('the z heatmap', c => c.tag === 'canvas' && c.name.startsWith('z (1, 2, 3, 3)'));
      await expectAnnounced(frame, `z[0, 0, 0, 0] = ${seedZ(0, 0, 0)}`);
    });

    await run.check('arrows move the cursor: Right Right Down says z[0, 0, 1, 2] = 294, links a_t row 5, and the inspector shows it', async () => {
      await press('ArrowRight', 2);
      await expectAnnounced(frame, `z[0, 0, 0, 2] = ${seedZ(0, 0, 2)}`);
      await press('ArrowDown');
      await expectAnnounced(frame, `z[0, 0, 1, 2] = ${seedZ(0, 1, 2)}`);
      const at = await highlightOf(frame, 'a_t');
      if (at.rows !== '5') throw new Error(`a_t highlights rows "${at.rows}"`);
      await frame.locator('.inspector-cell', { hasText: `z[0, 0, 1, 2] = ${seedZ(0, 1, 2)}` }).waitFor({ timeout: 5_000 });
      await shot('cursor-z-0-0-1-2');
    });

    await run.check('jumps: Ctrl+End to the last cell, Home to the row\'s start, Ctrl+Home to the first, PageDown to the bottom', async () => {
      await press('Control+End');
      await expectAnnounced(frame, `z[0, 0, 2, 2] = ${seedZ(0, 2, 2)}`);
      await press('Home');
      await expectAnnounced(frame, `z[0, 0, 2, 0] = ${seedZ(0, 2, 0)}`);
      await press('Control+Home');
      await expectAnnounced(frame, `z[0, 0, 0, 0] = ${seedZ(0, 0, 0)}`);
      await press('PageDown');
      await expectAnnounced(frame, `z[0, 0, 2, 0] = ${seedZ(0, 2, 0)}`);
      // Back to [0, 0, 1, 2] for the pin.
      await press('ArrowUp');
      await press('ArrowRight', 2);
      await expectAnnounced(frame, `z[0, 0, 1, 2] = ${seedZ(0, 1, 2)}`);
    });

    await run.check('Shift+Tab back to the z_t heatmap: the announcement says what its cell means; Tab returns to z where the cursor was', async () => {
      await tabTo('the z_t heatmap', c => c.tag === 'canvas' && c.name.startsWith('z_t '), 'Shift+Tab');
      // z_t is z before the bias (b = 1, 2): z_t[0, 0, 0] = 296 − 1.
      await expectAnnounced(frame, `z_t[0, 0, 0] = ${Number(seedZ(0, 0, 0)) - 1}. row 0 = output (0, 0) · column 0 = channel 0`);
      await tabTo('the z heatmap', c => c.tag === 'canvas' && c.name.startsWith('z (1, 2, 3, 3)'));
      await expectAnnounced(frame, `z[0, 0, 1, 2] = ${seedZ(0, 1, 2)}`);
    });

    await run.check('Enter pins the cell: announced, the inspector shows Σ = 294 ✓; Escape releases; Space pins again', async () => {
      await press('Enter');
      await expectAnnounced(frame, `Pinned. z[0, 0, 1, 2] = ${seedZ(0, 1, 2)}`);
      await frame.locator('.inspector .badge', { hasText: 'pinned' }).waitFor({ timeout: 5_000 });
      await frame.locator('.cell-sum-total.ok', { hasText: `Σ = ${seedZ(0, 1, 2)}` }).waitFor({ timeout: 10_000 });
      await shot('cursor-pinned');
      await press('Escape');
      await expectAnnounced(frame, 'Released');
      await frame.locator('.inspector .badge', { hasText: 'pinned' }).waitFor({ state: 'detached', timeout: 5_000 });
      await press(' ');
      await frame.locator('.inspector .badge', { hasText: 'pinned' }).waitFor({ timeout: 5_000 });
      const focused = await focusedControl(frame);
      if (focused?.tag !== 'canvas' || !focused.ring) throw new Error(`focus on ${JSON.stringify(focused)}`);
    });

    // The setting's value, the picker's label, the webview body's class, the screenshot.
    const themes = [
      ['Default Light Modern', 'Light Modern', 'vscode-light', 'light'],
      ['Default Dark Modern', 'Dark Modern', 'vscode-dark', 'dark'],
      ['Default High Contrast', 'Dark High Contrast', 'vscode-high-contrast', 'high-contrast'],
      ['Default High Contrast Light', 'Light High Contrast', 'vscode-high-contrast-light', 'high-contrast-light'],
    ] as const;
    for (const [theme, label, bodyClass, file] of themes) {
      await run.check(`${theme}: the focused heatmap's ring and cursor show (screenshot ${file}.png)`, async () => {
        // The settings file (cs.updateSettings) is not picked up live by this workbench: the theme picker, by keyboard.
        await paletteByKeyboard(page, 'Preferences: Color Theme');
        await page.locator('.quick-input-widget input').fill(label);
        await pickByKeyboard(page, label);
        await frame.locator(`body.${bodyClass}`).waitFor({ state: 'attached', timeout: 20_000 });
        // The workbench gives the panel back its focus on its body: back to the z heatmap, by keyboard.
        await page.keyboard.press('Control+1');
        await page.waitForTimeout(300);
        await tabTo('the z heatmap', c => c.tag === 'canvas' && c.name.startsWith('z (1, 2, 3, 3)'));
        await page.waitForTimeout(500);
        const ring = await frame.locator('section.tensor[data-tensor="z"] .heatmap-wrap').evaluate((w: PageNode) => {
          const st = w.ownerDocument.defaultView!.getComputedStyle(w);
          return { style: st.outlineStyle, width: st.outlineWidth, colour: st.outlineColor, focused: w.ownerDocument.activeElement?.tagName };
        });
        if (ring.focused !== 'CANVAS' || ring.style === 'none' || parseFloat(ring.width) < 1) throw new Error(`ring ${JSON.stringify(ring)}`);
        if (bodyClass.startsWith('vscode-high-contrast')) {
          const want = await frame.locator('body').evaluate((b: PageNode) => {
            const probe = b.ownerDocument.createElement('div');
            probe.style.color = 'var(--vscode-contrastActiveBorder)';
            b.append(probe);
            const colour = b.ownerDocument.defaultView!.getComputedStyle(probe).color;
            probe.remove();
            return colour;
          });
          if (ring.colour !== want) throw new Error(`ring ${ring.colour}, contrastActiveBorder ${want}`);
        }
        await shot(file);
        // A focused button too: Tab on from the heatmap to the next card's first control.
        await press('Tab');
        await shot(`${file}-next-focus`);
        await press('Shift+Tab');
      });
    }
    run.say(`screenshots in ${path.relative(ROOT, run.dir)}/`);
  });
  return run.finish();
}

/** The panel's frame, not the walkthrough's markdown webview beside it (both are `iframe.webview.ready`). */
function panelFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready[src*="extensionId=conv-visual-debugger.conv-visual-debugger"]').frameLocator('#active-frame');
}

/** The getting-started walkthrough as a newcomer meets it: opened from the palette, its buttons and stage links clicked, the panel following. */
async function walkthrough(): Promise<number> {
  const run = new Run('walkthrough');
  run.say('the getting-started walkthrough: Welcome: Open Walkthrough..., its buttons and stage links, the panel');
  await withSession(run, undefined, async (cs, browser, ws) => {
    const { page } = browser;
    await page.goto(cs.url(ws, [['extensionDevelopmentPath', cs.remote(ROOT)], ['skipWelcome', 'true']]));
    const shot = (name: string) => page.screenshot({ path: path.join(run.dir, `${name}.png`) });
    const frame = panelFrame(page);
    const step = (id: string) => page.locator(`button.getting-started-step[data-step-id$="#${id}"]`);
    /** Selects a step (its description and media open), then clicks one of its buttons or links. */
    const click = async (id: string, label: string) => {
      await step(id).click({ timeout: 10_000 }).catch(e => { throw new Error(`step ${id}: ${(e as Error).message.replace(/\n/g, ' / ')}`); });
      await page.locator(`button.getting-started-step.expanded[data-step-id$="#${id}"]`).waitFor({ timeout: 10_000 });
      await step(id).locator('.monaco-button, a', { hasText: label }).first().click({ timeout: 10_000 }).catch(e => { throw new Error(`${label}: ${(e as Error).message.replace(/\n/g, ' / ')}`); });
    };
    const stageShown = async (stage: string, title: string) => {
      await frame.locator(`section.stage.current[data-stage="${stage}"]`).waitFor({ timeout: 30_000 });
      await frame.locator('.stepper-title', { hasText: title }).waitFor({ timeout: 10_000 });
    };
    const done = (id: string) => page.locator(`button.getting-started-step[data-step-id$="#${id}"][aria-checked="true"]`).waitFor({ timeout: 10_000 });
    const steps: [string, () => Promise<void>][] = [
      ['the workbench opens the examples folder', () => waitForWorkbench(page)],
      ['"Welcome: Open Walkthrough..." lists "Convolution, stage by stage"; it opens with its seven steps', async () => {
        await runFromPalette(page, 'Welcome: Open Walkthrough...');
        const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Convolution, stage by stage' }).first();
        await row.waitFor({ timeout: 20_000 });
        await row.click();
        await page.locator('.getting-started-category-title, .category-title', { hasText: 'Convolution, stage by stage' }).first().waitFor({ timeout: 20_000 });
        const titles = (await page.locator('button.getting-started-step .step-title').allInnerTexts()).map(t => t.trim());
        if (titles.length !== 7 || titles[0] !== 'Open the worked example') throw new Error(`steps: ${titles.join(' | ')}`);
        await page.waitForTimeout(800);
        await shot('01-walkthrough');
      }],
      ['"Open the worked example" opens seed.conv.json beside the walkthrough; the step is checked', async () => {
        await click('openWorkedExample', 'Open the worked example');
        await page.locator('.tabs-container .tab .label-name', { hasText: /^seed\.conv\.json$/ }).waitFor({ timeout: 20_000 });
        await done('openWorkedExample');
        await shot('02-worked-example');
      }],
      ['"Run Conv Forward/Backward" opens the panel on the worked example: z[0, 0] = 296, 250, 288, ...', async () => {
        await click('run', 'Run Conv Forward/Backward');
        await page.locator('.tabs-container .tab', { hasText: 'Conv: seed.conv.json' }).waitFor({ timeout: 60_000 });
        const cells = frame.locator('section.tensor[data-tensor="z"] td');
        await cells.first().waitFor({ state: 'attached', timeout: 60_000 });
        const shown = (await cells.allTextContents()).map(t => t.trim());
        if (shown.join(' ') !== SEED_Z.slice(0, 9).join(' ')) throw new Error(`z shows ${shown.join(' ')}`);
        await done('run');
        await page.waitForTimeout(500);
        await shot('03-run');
      }],
      ['the forward step\'s "z_t = a_t @ w_t" link shows the matrix product in the panel', async () => {
        await click('forward', 'z_t = a_t @ w_t');
        await stageShown('matmul', 'Matrix product');
        await page.waitForTimeout(800);
        await shot('04-forward-matmul');
      }],
      ['the backward step\'s "col2im" link shows col2im; "rot180 check" the full convolution with ROT180(w)', async () => {
        await click('backward', 'col2im');
        await stageShown('col2im', 'col2im');
        await page.waitForTimeout(800);
        await shot('05-backward-col2im');
        await step('backward').locator('a', { hasText: 'rot180 check' }).click();
        await stageShown('rot180', 'ROT180');
      }],
      ['the link step\'s "Show z" shows z, whose cell z[0, 0, 1, 2] links to its 12 products (Σ = 294)', async () => {
        await click('linkCells', 'Show z');
        await stageShown('reshape_bias', 'Reshape and add bias');
        await pointAt(page, frame, 'z', 1, 2, true);
        await frame.locator('.cell-sum-total.ok', { hasText: 'Σ = 294' }).waitFor({ timeout: 10_000 });
        await page.waitForTimeout(500);
        await shot('06-link-cell');
        await page.keyboard.press('Escape');
      }],
      ['"Debug the worked example" starts the conv debugger: it stops before Pad and the panel follows', async () => {
        await click('debug', 'Debug the worked example');
        await page.locator('.debug-toolbar').waitFor({ timeout: 30_000 });
        await stageShown('pad', 'Pad');
        await page.waitForTimeout(800);
        await shot('07-debug');
        await runFromPalette(page, 'Debug: Stop');
        await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 20_000 });
      }],
      ['"Open LeNet-5" and "Run" show the chain of 8 layers and the loss', async () => {
        await click('networks', 'Open LeNet-5');
        await page.locator('.tabs-container .tab .label-name', { hasText: /^lenet\.conv\.json$/ }).waitFor({ timeout: 20_000 });
        await step('networks').locator('.monaco-button', { hasText: 'Run Conv Forward/Backward' }).click();
        await page.locator('.tabs-container .tab', { hasText: 'Conv: lenet.conv.json' }).waitFor({ timeout: 60_000 });
        await frame.locator('.chain-layer').nth(8).waitFor({ timeout: 60_000 });
        await page.waitForTimeout(800);
        await shot('08-networks');
      }],
    ];
    for (const [title, check] of steps) if (!await run.check(title, check)) break;
    run.say(`screenshots in ${path.relative(ROOT, run.dir)}/`);
  });
  return run.finish();
}

async function serve(): Promise<number> {
  const port = Number(argValue('--port') ?? process.env.PORT ?? 8080);
  const cs = await startCodeServer({ bin: ensureCodeServer(), port });
  const folder = path.join(ROOT, 'examples');
  const url = cs.url(folder, [['extensionDevelopmentPath', cs.remote(ROOT)], ['skipWelcome', 'true']]);
  console.log(`\nVS Code (code-server) with Conv Visual Debugger and examples/ is running. Open:\n\n  ${url}\n`);
  console.log('Open seed.conv.json, then F1 → "Conv: Run Conv Forward/Backward". Ctrl-C stops the server.');
  await new Promise<void>(resolve => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await cs.stop();
  return 0;
}

const MODES: Record<string, () => Promise<number>> = { integration, web, ui, 'zh-cn': zhCn, canary, serve, a11y, walkthrough };
const mode = process.argv[2] ?? '';
if (!MODES[mode]) {
  console.error(`usage: node out/test/e2e/run.js ${Object.keys(MODES).join('|')} [--vsix FILE] [--port N]`);
  process.exit(2);
}
MODES[mode]().then(code => process.exit(code), e => {
  console.error(`harness error: ${(e as Error).message}`);
  process.exit(1);
});
