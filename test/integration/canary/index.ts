// A suite that must fail: the harness proves with it that a failure inside the
// extension host reaches CI as a red run.

import * as path from 'path';
import { runSuite } from '../index';

export function run(): Promise<void> {
  return runSuite([path.join(__dirname, 'failing.test.js')]);
}
