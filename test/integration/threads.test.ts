// All cores in the real VS Code (issue #20): the desktop trace worker installs the engine's helper threads, and a
// layer big enough to gain has parts of its products run on them. Desktop only: the web worker host has none.

import * as assert from 'assert';
import * as os from 'os';
import * as vscode from 'vscode';
import type { ConvVisualDebuggerApi, RunSummary } from '../../src/extension/extension';
import { encodeNpy } from '../../src/specReader/npy';
import { EXTENSION_ID, RUN } from './support';

describe('all cores in the desktop trace worker', () => {
  it('a (1, 64, 56, 56) layer with 32 kernels runs parts of its products on helper threads; the run says how many', async function () {
    if (os.availableParallelism() < 2) this.skip(); // one core: no helpers to check
    await vscode.extensions.getExtension<ConvVisualDebuggerApi>(EXTENSION_ID)!.activate();
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const [npy, spec] = [vscode.Uri.joinPath(folder, 'threads-input.npy'), vscode.Uri.joinPath(folder, 'threads.conv.json')];
    const data = Float32Array.from({ length: 64 * 56 * 56 }, (_, i) => Math.sin(i));
    const weight = Array.from({ length: 32 }, (_, o) => Array.from({ length: 64 }, (_, c) => [[o, c, 1], [1, 0, -1], [c, o, 2]].map(r => r.map(v => (v % 5) / 4))));
    await vscode.workspace.fs.writeFile(npy, encodeNpy({ shape: [1, 64, 56, 56], dtype: 'float32', data }));
    await vscode.workspace.fs.writeFile(spec, new TextEncoder().encode(JSON.stringify({ input: { npy: 'threads-input.npy' }, weight, padding: 1, dtype: 'float32' })));
    try {
      // Each product (forward 3136 × 32 × 576, ∂C/∂w, ∂C/∂a_t) is cut into jobs that any running helper takes; on a
      // loaded machine a helper not yet scheduled is let off, so a run may (rarely) leave every job to the caller.
      const runs: (number | undefined)[] = [];
      for (let i = 0; i < 3 && !(runs.at(-1)! > 0); i++) {
        const summary = await vscode.commands.executeCommand<RunSummary>(RUN, spec);
        assert.deepStrictEqual(summary?.shapes.z, [1, 32, 56, 56]);
        runs.push(summary?.helperJobs);
      }
      assert.ok(runs.some(r => r !== undefined && r > 0), `parts run on helper threads, run by run: ${runs.join(', ')}`);
    } finally {
      await vscode.workspace.fs.delete(npy);
      await vscode.workspace.fs.delete(spec);
    }
  });
});
