// The time a person waits, in the real VS Code (Node extension host): from choosing "Conv: Run Conv
// Forward/Backward" to the panel's first heatmap on screen (the extension logs it when the panel says
// so), and from "Debug: Start Debugging" to the debugger's first stop (seen in the workbench).
// `npm run bench` runs this mode and prints the table; the figures go to test-results/bench/timing.json.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { CodeServer, ROOT } from '../codeServer';
import { Run, openWithExtension, withSession } from '../harness';
import { openFromExplorer, runFromPalette, waitForWorkbench } from '../workbench';
import { writeWideSpec } from './firstScreen';

/** What is timed, and its target in ms. */
const RUNS: [file: string, what: string, targetMs: number][] = [
  ['seed.conv.json', 'the worked example', 300],
  ['lenet.conv.json', 'LeNet (8 layers and a loss)', 500],
  ['wide.conv.json', 'a (1, 64, 56, 56) layer, 16 kernels 3×3', 1000],
];
const DEBUG_TARGET_MS = 1000;
/** Each is run this many times: the first in a fresh window (panel and workers to start), the others again. */
const REPEATS = 4;

export interface Timing {
  what: string;
  targetMs: number;
  /** The first run of the session (the panel and the trace workers start). */
  firstMs: number;
  /** The median of the runs after it (what a person waits on every later run). */
  againMs: number;
}

/** The commit measured, for the README's table. */
function commitOf(root: string): string {
  try { return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim(); } catch { return 'unknown'; }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The extension's log lines "<file>: painted N ms after the command", from the newest extension host's log. */
function paintedTimes(cs: CodeServer, file: string): number[] {
  const logs = path.join(cs.dataDir, 'user/logs');
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'Conv Visual Debugger.log') found.push(p);
    }
  };
  walk(logs);
  const lines = found.flatMap(f => fs.readFileSync(f, 'utf8').split('\n'));
  const pattern = new RegExp(`\\] ${file.replace(/\./g, '\\.')}: painted (\\d+) ms after the command$`);
  return lines.map(l => pattern.exec(l)).filter(m => m !== null).map(m => Number(m[1]));
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`no ${what} in ${timeoutMs / 1000} s`);
    await new Promise(r => setTimeout(r, 100));
  }
}

async function timeRuns(page: Page, cs: CodeServer, file: string): Promise<number[]> {
  await openFromExplorer(page, file);
  for (let i = 0; i < REPEATS; i++) {
    // The spec's own tab active, so the command runs it.
    await page.locator('.tabs-container .tab', { hasText: file }).filter({ hasNotText: 'Conv:' }).first().click();
    const before = paintedTimes(cs, file).length;
    await runFromPalette(page, 'Conv: Run Conv Forward/Backward');
    await until(`"painted" line for ${file}`, () => (paintedTimes(cs, file).length > before ? true : undefined));
  }
  return paintedTimes(cs, file);
}

/** From choosing "Debug: Start Debugging" to the first stop shown in the call stack. */
async function timeDebugStarts(page: Page, file: string): Promise<number[]> {
  await openFromExplorer(page, file);
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    await page.locator('.tabs-container .tab', { hasText: file }).filter({ hasNotText: 'Conv:' }).first().click();
    let started = 0;
    await runFromPalette(page, 'Debug: Start Debugging', 6, () => { started = Date.now(); });
    await page.locator('.debug-toolbar').waitFor({ timeout: 60_000 });
    await page.locator('.monaco-list-row', { hasText: '›' }).first().waitFor({ timeout: 60_000 });
    times.push(Date.now() - started);
    await runFromPalette(page, 'Debug: Stop');
    await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30_000 });
  }
  return times;
}

export async function timing(): Promise<number> {
  const run = new Run('timing');
  run.say('Time to a painted panel and to the first stop, in code-server with headless Chromium (Node extension host)');
  const timings: Timing[] = [];
  await withSession(run, undefined, async (cs, browser, ws) => {
    const { page } = browser;
    writeWideSpec(ws);
    await openWithExtension(page, cs, ws);
    await waitForWorkbench(page);
    for (const [file, what, targetMs] of RUNS) {
      await run.check(`${file}: command to painted panel, ${REPEATS} runs`, async () => {
        const times = await timeRuns(page, cs, file);
        timings.push({ what: `Run → painted panel: ${what}`, targetMs, firstMs: times[0], againMs: median(times.slice(1)) });
      });
    }
    await run.check(`lenet.conv.json: Start Debugging to the first stop, ${REPEATS} runs`, async () => {
      const times = await timeDebugStarts(page, 'lenet.conv.json');
      timings.push({ what: 'Start Debugging → first stop: LeNet', targetMs: DEBUG_TARGET_MS, firstMs: times[0], againMs: median(times.slice(1)) });
    });
  });
  fs.mkdirSync(path.join(ROOT, 'test-results/bench'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'test-results/bench/timing.json'), JSON.stringify({ date: new Date().toISOString(), commit: commitOf(ROOT), machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length }, timings }, null, 2) + '\n');
  for (const t of timings) run.say(`${t.againMs <= t.targetMs ? 'met' : 'NOT MET'}: ${t.what}: ${t.againMs} ms again (first ${t.firstMs} ms), target ${t.targetMs} ms`);
  return run.finish();
}
