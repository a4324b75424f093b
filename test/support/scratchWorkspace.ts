// The workspace every integration run opens: a copy of examples/ and the test debuggees, so tests
// never write into the repository. Used by the code-server harness, `npm run test:vscode`, and, run
// as a script (`node out/test/support/scratchWorkspace.js DIR`), the "Extension Tests" launch.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../../..');

/** Fills `dir` (emptied first; a fresh temporary folder when omitted) and returns it. */
export function scratchWorkspace(dir?: string): string {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  const ws = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cvd-workspace-'));
  fs.cpSync(path.join(ROOT, 'examples'), ws, { recursive: true });
  fs.cpSync(path.join(ROOT, 'test/fixtures/debuggee'), path.join(ws, 'debuggee'), { recursive: true });
  return ws;
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node out/test/support/scratchWorkspace.js DIR');
    process.exit(2);
  }
  console.log(scratchWorkspace(path.resolve(dir)));
}
