// Only in the browser's web-worker extension host: no Node there, and traces
// run in web workers (the host keeps running; cancelling stops them at once).

import * as assert from 'assert';
import * as vscode from 'vscode';
import { conv2dNaive } from '../../src/engine/reference';
import type { ConvTrace } from '../../src/engine/trace';
import { TraceCancelled, runTrace } from '../../src/extension/trace/traceRunner';
import { webTraceWorkers } from '../../src/extension/trace/webTraceWorkers';
import { EXTENSION_ID, workspaceFile } from '../integration/support';

/** The extension's worker script as the extension's web entry loads it (a blob: URL of its text). */
async function traceWorkerUrl(): Promise<string> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
  const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(ext.extensionUri, 'dist', 'web', 'traceWorker.js'));
  return URL.createObjectURL(new Blob([bytes], { type: 'text/javascript' }));
}

describe('the web extension (browser, web-worker extension host)', () => {
  it('runs where there is no Node: a web worker with the browser entry', async () => {
    const g = globalThis as { process?: { versions?: { node?: string } }; importScripts?: unknown; navigator?: unknown };
    assert.strictEqual(g.process?.versions?.node, undefined, 'no Node in this host');
    assert.strictEqual(typeof g.importScripts, 'function', 'a worker global scope');
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    await ext.activate();
    assert.strictEqual(ext.packageJSON.browser, './dist/web/extension.js');
  });

  it('traces examples/seed.conv.json in a web worker: z as a direct loop computes it', async () => {
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(workspaceFile('seed.conv.json')));
    const trace = await runTrace({ file: 'seed.conv.json', text, options: {} }, webTraceWorkers(await traceWorkerUrl())) as ConvTrace;
    const t = trace.tensors;
    const direct = conv2dNaive(t.input!, t.weight!, t.bias, trace.info);
    assert.deepStrictEqual([...t.z!.data], [...direct.data]);
    assert.ok(t.dA && t.dW, 'the backward pass ran too');
  });

  it('keeps the extension host running during a big trace, and cancelling stops the worker at once', async () => {
    const ones = (n: number) => new Array(n).fill(1);
    // About 10 GFLOP in float64 (two 64×128×128 images, 64 kernels of 64×3×3): about a second of work, still running when
    // cancelled at 400 ms on a fast, quiet machine (one 96×96 image was done by then).
    const image = () => Array.from({ length: 64 }, () => Array.from({ length: 128 }, () => ones(128)));
    const big = JSON.stringify({ input: [image(), image()], weight: Array.from({ length: 64 }, () => Array.from({ length: 64 }, () => [ones(3), ones(3), ones(3)])), padding: 1 });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const abort = new AbortController();
    const run = runTrace({ file: 'big.json', text: big, options: {} }, webTraceWorkers(await traceWorkerUrl()), abort.signal);
    await new Promise(r => setTimeout(r, 400));
    const aborted = Date.now();
    abort.abort();
    await assert.rejects(run, TraceCancelled);
    clearInterval(ticker);
    assert.ok(Date.now() - aborted < 1000, 'cancelled promptly');
    assert.ok(ticks >= 10, `the host's timers ran ${ticks} times in 400 ms of tracing`);
  });
});
