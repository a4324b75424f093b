// Entry of the integration suite, the `exports.run()` that @vscode/test-electron
// (desktop) and the code-server harness (here) both call inside the extension host.

import * as path from 'path';
import Mocha from 'mocha';
import SummaryReporter from '../support/summaryReporter';

export function runSuite(files: string[]): Promise<void> {
  // CVD_GREP runs only the tests whose titles match (while working on them).
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: SummaryReporter, ...(process.env.CVD_GREP ? { grep: process.env.CVD_GREP } : {}) });
  for (const f of files) mocha.addFile(f);
  return new Promise((resolve, reject) => {
    mocha.run(failures => (failures ? reject(new Error(`${failures} integration tests failed`)) : resolve()));
  });
}

export function run(): Promise<void> {
  return runSuite([path.join(__dirname, 'extension.test.js'), path.join(__dirname, 'language.test.js'), path.join(__dirname, 'debug.test.js'), path.join(__dirname, 'sessions.test.js'), path.join(__dirname, 'modelEditor.test.js'), path.join(__dirname, 'threads.test.js')]);
}
