// The demo: VS Code in the browser with the extension and examples/ (README's first command).

import * as path from 'path';
import { ROOT, ensureCodeServer, startCodeServer } from '../codeServer';
import { argValue } from '../harness';

export async function serve(): Promise<number> {
  const port = Number(argValue('--port') ?? process.env.PORT ?? 8080);
  const cs = await startCodeServer({ bin: ensureCodeServer(), port });
  const folder = path.join(ROOT, 'examples');
  const url = cs.url(folder, [['extensionDevelopmentPath', cs.remote(ROOT)], ['skipWelcome', 'true']]);
  console.log(`\nVS Code (code-server) with Conv Visual Debugger and examples/ is running. Open:\n\n  ${url}\n`);
  console.log('Open seed.conv.json, then F1 → "Conv: Run Conv Forward/Backward" (or F1 → "Welcome: Open Walkthrough..." →');
  console.log('"Convolution, stage by stage"). Ctrl-C stops the server.');
  await new Promise<void>(resolve => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await cs.stop();
  return 0;
}
