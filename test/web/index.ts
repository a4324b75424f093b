// Entry of the suites in the browser's web-worker extension host: the `exports.run()`
// VS Code calls there (code-server with remote.extensionKind = web; vscode.dev alike).
// The integration suites that need no spawned process, plus the web host's own.

import { browserMocha } from './mochaSetup';
import './webHost.test';
import '../integration/extension.test';
import '../integration/language.test';
import '../integration/debug.test';
import '../integration/modelEditor.test';

export function run(): Promise<void> {
  return new Promise((resolve, reject) => {
    browserMocha.run(failures => (failures ? reject(new Error(`${failures} web host tests failed`)) : resolve()));
  });
}
