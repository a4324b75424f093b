// `npm run test:vscode`: the integration suite in desktop VS Code through
// @vscode/test-electron (downloads VS Code on first use; needs a display or xvfb).
// On machines without that download, `npm run test:integration` runs the same
// suite inside code-server.

import * as fs from 'fs';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';
import { scratchWorkspace } from './support/scratchWorkspace';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../..');
  const workspace = scratchWorkspace();
  try {
    await runTests({
      version: process.env.VSCODE_VERSION ?? '1.100.3',
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(root, 'out/test/integration/index.js'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
    });
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().catch(e => {
  console.error(`integration tests failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
