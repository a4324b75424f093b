// The real-VS-Code harness (code-server + headless Chromium):
//   node out/test/e2e/run.js integration     mocha suite (test/integration) inside the Node extension host
//   node out/test/e2e/run.js ui [--vsix F]   as a user: explorer, palette, panel, numbers, screenshot
//   node out/test/e2e/run.js canary          a deliberately failing suite must come back red
//   node out/test/e2e/run.js serve           the demo: VS Code in the browser with examples/ (prints the URL)
// Evidence (output, screenshots, extension host logs) goes to test-results/<run>/.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { format } from 'util';
import { CodeServer, ROOT, collectLogs, ensureCodeServer, startCodeServer } from './codeServer';
import { Browser, launchBrowser, openFromExplorer, runFromPalette, waitForWorkbench, webviewFrame } from './workbench';

const SEED_Z = ['296', '250', '288', '277', '280', '294', '302', '297', '315', '291', '252', '263', '230', '267', '239', '223', '283', '257'];

class Run {
  readonly dir: string;
  private readonly lines: string[] = [];
  passed = 0;
  failed = 0;

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

/** A scratch copy of examples/: tests never write into the repository. */
function scratchWorkspace(): string {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'cvd-workspace-'));
  fs.cpSync(path.join(ROOT, 'examples'), ws, { recursive: true });
  return ws;
}

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function withSession(run: Run, vsix: string | undefined, body: (cs: CodeServer, browser: Browser, ws: string) => Promise<void>): Promise<void> {
  const cs = await startCodeServer({ bin: ensureCodeServer(), vsix: vsix ? [vsix] : [] });
  const browser = await launchBrowser();
  const ws = scratchWorkspace();
  browser.page.on('pageerror', e => run.say(`[page error] ${e.message}`));
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
async function hostSuite(run: Run, testsPath: string): Promise<number> {
  let exitCode = -1;
  await withSession(run, undefined, async (cs, browser, ws) => {
    const { page } = browser;
    const done = new Promise<void>(resolve => {
      // The host's console calls arrive as (level, [format, ...args]).
      void page.exposeFunction('codeAutomationLog', (_level: string, args: unknown[]) => {
        for (const line of format(...args).split('\n')) run.say(line);
      });
      void page.exposeFunction('codeAutomationExit', (code: number) => { exitCode = code; resolve(); });
    });
    await page.goto(cs.url(ws, [
      ['extensionDevelopmentPath', cs.remote(ROOT)],
      ['extensionTestsPath', cs.remote(testsPath)],
      ['skipWelcome', 'true'],
    ]));
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error('the suite did not finish in 240 s')), 240_000))]);
  });
  return exitCode;
}

async function integration(): Promise<number> {
  const run = new Run('integration');
  run.say('integration suite inside the Node extension host (code-server)');
  const code = await hostSuite(run, path.join(ROOT, 'out/test/integration/index.js'));
  run.say(`extension host tests exited with ${code}`);
  // The suite inside the host printed its own `N passed, N failed`.
  run.finish(false);
  return code === 0 && run.failed === 0 ? 0 : 1;
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

async function ui(): Promise<number> {
  const vsix = argValue('--vsix');
  const run = new Run(vsix ? 'ui-vsix' : 'ui-dev');
  run.say(vsix ? `UI run with the extension installed from ${path.relative(ROOT, vsix)}` : 'UI run with the extension loaded from its folder');
  await withSession(run, vsix, async (cs, browser, ws) => {
    const { page } = browser;
    const payload: [string, string][] = [['skipWelcome', 'true']];
    if (!vsix) payload.unshift(['extensionDevelopmentPath', cs.remote(ROOT)]);
    await page.goto(cs.url(ws, payload));
    // Each step needs the one before: stop at the first that fails.
    const steps: [string, () => Promise<void>][] = [
      ['the workbench opens the examples folder', () => waitForWorkbench(page)],
      ['seed.conv.json opens from the explorer', () => openFromExplorer(page, 'seed.conv.json')],
      ['"Conv: Run Conv Forward/Backward" runs from the command palette', () => runFromPalette(page, 'Conv: Run Conv Forward/Backward')],
      ['the panel opens, titled after the spec', () => page.locator('.tabs-container .tab', { hasText: 'Conv: seed.conv.json' }).waitFor({ timeout: 60_000 })],
    ];
    for (const [title, step] of steps) if (!await run.check(title, step)) return;
    const frame = webviewFrame(page);
    await run.check('the panel shows z[0] = 296, 250, 288, ... (the worked example)', async () => {
      const cells = frame.locator('section.tensor[data-tensor="z"] td');
      await cells.first().waitFor({ timeout: 60_000 });
      const shown = (await cells.allTextContents()).map(s => s.trim());
      if (shown.join(' ') !== SEED_Z.join(' ')) throw new Error(`z shows ${shown.join(' ')}`);
    });
    await run.check('the panel shows every stage, forward and backward', async () => {
      const sections = frame.locator('section.stage');
      const stages: (string | null)[] = [];
      for (let i = 0; i < await sections.count(); i++) stages.push(await sections.nth(i).getAttribute('data-stage'));
      const expected = ['pad', 'im2col', 'weight_matrix', 'matmul', 'reshape_bias', 'delta_t', 'dA_t', 'col2im', 'dW', 'db', 'rot180'];
      if (stages.join() !== expected.join()) throw new Error(`stages ${stages.join()}`);
    });
    await frame.locator('section.tensor[data-tensor="z"]').scrollIntoViewIfNeeded().catch(() => undefined);
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(run.dir, 'panel.png') });
    await frame.locator('section.tensor[data-tensor="z"]').screenshot({ path: path.join(run.dir, 'panel-z.png') }).catch(() => undefined);
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

const MODES: Record<string, () => Promise<number>> = { integration, ui, canary, serve };
const mode = process.argv[2] ?? '';
if (!MODES[mode]) {
  console.error(`usage: node out/test/e2e/run.js ${Object.keys(MODES).join('|')} [--vsix FILE] [--port N]`);
  process.exit(2);
}
MODES[mode]().then(code => process.exit(code), e => {
  console.error(`harness error: ${(e as Error).message}`);
  process.exit(1);
});
