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
import { resnet18Onnx } from '../../support/resnet18';
import { writeWideSpec } from './firstScreen';

/** What is timed, and its target in ms. */
const RUNS: [file: string, what: string, targetMs: number][] = [
  ['seed.conv.json', 'the worked example', 300],
  ['lenet.conv.json', 'LeNet (8 layers and a loss)', 500],
  ['wide.conv.json', 'a (1, 64, 56, 56) layer, 16 kernels 3×3', 1000],
];
const DEBUG_TARGET_MS = 1000;
const GRAPH_TARGET_MS = 1000;
const MODEL_FILE = 'resnet18-shaped.onnx';
/** `timing --only panel|debug|model`: one part alone, while working on it (the bench runs all). */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const timed = (part: 'panel' | 'debug' | 'model') => ONLY === undefined || ONLY === part;
/** Each is run this many times: the first in a fresh window (panel and workers to start), the others again. */
const REPEATS = process.argv.includes('--repeats') ? Math.max(2, Number(process.argv[process.argv.indexOf('--repeats') + 1]) || 4) : 4;

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

/** The extension's log lines, from every extension host's log of the session. */
function logLines(cs: CodeServer): string[] {
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
  return found.flatMap(f => fs.readFileSync(f, 'utf8').split('\n'));
}

/** The extension's log lines "<file>: painted N ms after the command". */
function paintedTimes(cs: CodeServer, file: string): number[] {
  const lines = logLines(cs);
  const pattern = new RegExp(`\\] ${file.replace(/\./g, '\\.')}: painted (\\d+) ms after the command( \\(posted .*\\))?$`);
  return lines.map(l => pattern.exec(l)).filter(m => m !== null).map(m => Number(m[1]));
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 120_000, pollMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`no ${what} in ${timeoutMs / 1000} s`);
    await new Promise(r => setTimeout(r, pollMs));
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

/**
 * When the call stack shows the session's frame (its name has a '›'), by the page's clock (this process shares the
 * machine's): checked at every animation frame. A locator's wait would not do: Playwright polls it every 500 ms once
 * the first 270 ms have passed, which put up to half a second of its own into every figure.
 */
async function firstStopDrawnAt(page: Page): Promise<number> {
  const seen = await page.waitForFunction(() => {
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ textContent: string | null; getClientRects(): ArrayLike<unknown> }> } }).document;
    const row = Array.from(doc.querySelectorAll('.debug-call-stack .monaco-list-row')).find(r => r.textContent?.includes('›') && r.getClientRects().length > 0);
    return row ? Date.now() : false;
  }, undefined, { polling: 'raf', timeout: 60_000 });
  return (await seen.jsonValue()) as number;
}

/** From choosing "Debug: Start Debugging" to the first stop shown in the call stack. */
async function timeDebugStarts(page: Page, file: string): Promise<{ times: number[]; starts: number[] }> {
  await openFromExplorer(page, file);
  const times: number[] = [];
  const starts: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    await page.locator('.tabs-container .tab', { hasText: file }).filter({ hasNotText: 'Conv:' }).first().click();
    let started = 0;
    await runFromPalette(page, 'Debug: Start Debugging', 6, () => { started = Date.now(); });
    times.push(await firstStopDrawnAt(page) - started);
    starts.push(started);
    await runFromPalette(page, 'Debug: Stop');
    await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30_000 });
  }
  return { times, starts };
}

/**
 * The session's side of each first stop, from the extension's log lines, and how the wait splits (the log and this
 * process share the machine's clock): VS Code's own before it resolves the configuration, the session's from there
 * to VS Code asking for the stack, VS Code's drawing of the stack after.
 */
function debugSplit(cs: CodeServer, starts: number[], times: number[]): string {
  const pattern = /\] debug: first stop sent (\d+) ms after the launch request .* its stack asked for at (\d+) ms; the adapter was made (\d+) ms after F5's configuration was resolved \(at (\d+)\)$/;
  const lines = logLines(cs).map(l => pattern.exec(l)).filter(m => m !== null).slice(-starts.length);
  return lines.map((m, i) => {
    const [stackAsked, made, resolvedAt] = [Number(m[2]), Number(m[3]), Number(m[4])];
    const beforeUs = resolvedAt - starts[i];
    const ours = made + stackAsked;
    return `${times[i]} ms = ${beforeUs} before the configuration is resolved + ${ours} to the stack asked for + ${times[i] - beforeUs - ours} drawing it`;
  }).join('; ');
}

/** The model editor's log lines "<file>: graph of N nodes on screen in X ms, Y ms after the file was opened": Y. */
function graphTimes(cs: CodeServer, file: string): { ms: number; detail: string }[] {
  const pattern = new RegExp(`\\] ${file.replace(/\./g, '\\.')}: graph of \\d+ nodes on screen in \\d+ ms, (\\d+) ms after the file was opened (.*)$`);
  return logLines(cs).map(l => pattern.exec(l)).filter(m => m !== null).map(m => ({ ms: Number(m[1]), detail: m[2] }));
}

/**
 * From a click on a model in the Explorer to its graph on screen: the time until the extension logs the graph drawn
 * (polled every 50 ms, so at most that much late). The editor is closed between runs, so each reads the file again.
 */
async function timeModelOpens(page: Page, cs: CodeServer, file: string): Promise<{ waited: number[]; hostSide: { ms: number; detail: string }[] }> {
  const waited: number[] = [];
  // The debugger's runs leave Run and Debug in the side bar.
  await runFromPalette(page, 'View: Show Explorer');
  for (let i = 0; i < REPEATS; i++) {
    const before = graphTimes(cs, file).length;
    const started = Date.now();
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: file }).first().click({ timeout: 30_000 });
    await until(`"graph … on screen" line for ${file}`, () => (graphTimes(cs, file).length > before ? true : undefined), 120_000, 50);
    waited.push(Date.now() - started);
    await runFromPalette(page, 'View: Close All Editors');
  }
  return { waited, hostSide: graphTimes(cs, file) };
}

export async function timing(): Promise<number> {
  const run = new Run('timing');
  run.say('Time to a painted panel and to the first stop, in code-server with headless Chromium (Node extension host)');
  const timings: Timing[] = [];
  let modelBytes = 0;
  await withSession(run, undefined, async (cs, browser, ws) => {
    const { page } = browser;
    writeWideSpec(ws);
    // Issue #18: "the graph of a 50 MB model on screen in under 1 s". Random weights, written here, not committed.
    const model = resnet18Onnx({ size: 224 });
    fs.writeFileSync(path.join(ws, MODEL_FILE), model);
    modelBytes = model.length;
    await openWithExtension(page, cs, ws);
    await waitForWorkbench(page);
    for (const [file, what, targetMs] of timed('panel') ? RUNS : []) {
      await run.check(`${file}: command to painted panel, ${REPEATS} runs`, async () => {
        const times = await timeRuns(page, cs, file);
        timings.push({ what: `Run → painted panel: ${what}`, targetMs, firstMs: times[0], againMs: median(times.slice(1)) });
      });
    }
    if (timed('debug')) await run.check(`lenet.conv.json: Start Debugging to the first stop, ${REPEATS} runs`, async () => {
      const { times, starts } = await timeDebugStarts(page, 'lenet.conv.json');
      run.say(`  the waits: ${debugSplit(cs, starts, times)}`);
      timings.push({ what: 'Start Debugging → first stop: LeNet', targetMs: DEBUG_TARGET_MS, firstMs: times[0], againMs: median(times.slice(1)) });
    });
    if (timed('model')) await run.check(`${MODEL_FILE}: Explorer click to the graph on screen, ${REPEATS} runs`, async () => {
      const { waited, hostSide } = await timeModelOpens(page, cs, MODEL_FILE);
      run.say(`  ${MODEL_FILE} (${(modelBytes / 2 ** 20).toFixed(0)} MB): waited ${waited.join(', ')} ms; from the document's opening, as the extension logs it: ${hostSide.map(h => h.ms).join(', ')} ms; the last ${hostSide[hostSide.length - 1]?.detail}`);
      timings.push({ what: `Open a model → its graph on screen: a ResNet-18-shaped ONNX file of ${(modelBytes / 2 ** 20).toFixed(0)} MB`, targetMs: GRAPH_TARGET_MS, firstMs: waited[0], againMs: median(waited.slice(1)) });
    });
  });
  fs.mkdirSync(path.join(ROOT, 'test-results/bench'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'test-results/bench/timing.json'), JSON.stringify({ date: new Date().toISOString(), commit: commitOf(ROOT), machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length }, timings }, null, 2) + '\n');
  for (const t of timings) run.say(`${t.againMs <= t.targetMs ? 'met' : 'NOT MET'}: ${t.what}: ${t.againMs} ms again (first ${t.firstMs} ms), target ${t.targetMs} ms`);
  return run.finish();
}
