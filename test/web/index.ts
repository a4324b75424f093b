// Entry of the suites in the browser's web-worker extension host: the `exports.run()`
// VS Code calls there (code-server with remote.extensionKind = web; vscode.dev alike).
// The integration suites that need no spawned process, plus the web host's own.

import * as vscode from 'vscode';
import { browserMocha } from './mochaSetup';
import { WEB_GREP_SETTING } from './grep';
import './webHost.test';
import '../integration/extension.test';
import '../integration/language.test';
import '../integration/debug.test';
import '../integration/modelEditor.test';

export function run(): Promise<void> {
  // CVD_GREP, as the harness hands it over: only the tests whose titles match (while working on them).
  const grep = vscode.workspace.getConfiguration().get<string>(WEB_GREP_SETTING);
  if (grep) browserMocha.grep(grep);
  return new Promise((resolve, reject) => {
    browserMocha.run(failures => (failures ? reject(new Error(`${failures} web host tests failed`)) : resolve()));
  });
}
