// The real-VS-Code harness (code-server + headless Chromium):
//   node out/test/e2e/run.js integration     mocha suite (test/integration) inside the Node extension host
//   node out/test/e2e/run.js web             the web extension: suites (test/web) inside the web-worker extension host
//   node out/test/e2e/run.js ui [--vsix F]   as a user: explorer, palette, panel, numbers, screenshot
//   node out/test/e2e/run.js zh-cn           VS Code in Simplified Chinese (--locale zh-cn): palette, panel, messages
//   node out/test/e2e/run.js canary          a deliberately failing suite must come back red
//   node out/test/e2e/run.js walkthrough     the getting-started walkthrough: its buttons and stage links, the panel following
//   node out/test/e2e/run.js serve           the demo: VS Code in the browser with examples/ (prints the URL)
//   node out/test/e2e/run.js timing          the time a person waits: Run → painted panel, Start Debugging → first stop (npm run bench);
//                                           --only panel|debug|model times one part, --repeats N
// Evidence (output, screenshots, extension host logs) goes to test-results/<run>/.

import { a11y } from './modes/a11y';
import { serve } from './modes/serve';
import { timing } from './modes/timing';
import { canary, integration, web } from './modes/suites';
import { ui } from './modes/ui';
import { walkthrough } from './modes/walkthrough';
import { zhCn } from './modes/zhCn';

const MODES: Record<string, () => Promise<number>> = { integration, web, ui, 'zh-cn': zhCn, canary, serve, a11y, walkthrough, timing };
const mode = process.argv[2] ?? '';
if (!MODES[mode]) {
  console.error(`usage: node out/test/e2e/run.js ${Object.keys(MODES).join('|')} [--vsix FILE] [--port N]`);
  process.exit(2);
}
MODES[mode]().then(code => process.exit(code), e => {
  console.error(`harness error: ${(e as Error).message}`);
  process.exit(1);
});
