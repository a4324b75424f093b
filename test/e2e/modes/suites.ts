// The suites inside an extension host: Node, the web worker host, and the canary that must fail.

import * as path from 'path';
import { ROOT } from '../codeServer';
import { WEB_GREP_SETTING } from '../../web/grep';
import { IN_WEB_WORKER_HOST, Run, hostSuite, suiteRun, testDebugpyExtension } from '../harness';

export const integration = () => suiteRun('integration', 'integration suite inside the Node extension host (code-server)',
  path.join(ROOT, 'out/test/integration/index.js'), [testDebugpyExtension()]);

// The web-worker host has no environment: CVD_GREP reaches its suites as a user setting (test/web/index.ts).
export const web = () => suiteRun('web', 'integration suites inside the web-worker extension host (package.json "browser")',
  path.join(ROOT, 'out/test/web/suite.js'), [], { ...IN_WEB_WORKER_HOST, ...(process.env.CVD_GREP ? { [WEB_GREP_SETTING]: process.env.CVD_GREP } : {}) });

export async function canary(): Promise<number> {
  const run = new Run('canary');
  run.say('a deliberately failing suite must make the harness red');
  const code = await hostSuite(run, path.join(ROOT, 'out/test/integration/canary/index.js'));
  run.passed = 0;
  run.failed = 0;
  await run.check('the failing suite is reported as a failure', async () => {
    if (code === 0) throw new Error('the harness reported success for a failing suite');
  });
  return run.finish();
}
