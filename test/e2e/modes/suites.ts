// The suites inside an extension host: Node, the web worker host, and the canary that must fail.

import * as path from 'path';
import { ROOT } from '../codeServer';
import { IN_WEB_WORKER_HOST, Run, hostSuite, suiteRun, testDebugpyExtension } from '../harness';

export const integration = () => suiteRun('integration', 'integration suite inside the Node extension host (code-server)',
  path.join(ROOT, 'out/test/integration/index.js'), [testDebugpyExtension()]);

export const web = () => suiteRun('web', 'integration suites inside the web-worker extension host (package.json "browser")',
  path.join(ROOT, 'out/test/web/suite.js'), [], IN_WEB_WORKER_HOST);

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
