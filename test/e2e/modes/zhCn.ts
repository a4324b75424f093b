// VS Code in Simplified Chinese (--locale zh-cn): the palette, the panel and the host's messages.

import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../codeServer';
import { explainStage } from '../../../src/format/explain';
import { aboutText, panelText } from '../../../src/l10n/panelText';
import { renderProblem } from '../../../src/specReader/problemText';
import { traceSpecText } from '../../../src/specReader/convSpec';
import { Run, openWithExtension, testExtension, withSession } from '../harness';
import { openFromExplorer, runFromPalette, waitForWorkbench, webviewFrame } from '../workbench';

/**
 * VS Code in Simplified Chinese (`--locale zh-cn`, with a test language pack standing in for
 * Microsoft's): the palette, the panel's words and the host's messages come from the zh-cn tables.
 */
export async function zhCn(): Promise<number> {
  const run = new Run('zh-cn');
  run.say('UI run with VS Code\'s display language zh-cn');
  const nls = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.nls.zh-cn.json'), 'utf8')) as Record<string, string>;
  const bundle = JSON.parse(fs.readFileSync(path.join(ROOT, 'l10n/bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
  // What the panel must say on the first stage, from the engine's own tables.
  const seed = traceSpecText('seed.conv.json', fs.readFileSync(path.join(ROOT, 'examples/seed.conv.json'), 'utf8'));
  const zhText = panelText('zh-cn');
  // What the JSON schema says of a conv spec's "input", in Chinese (jsonValidation follows the display language).
  const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'media/conv-spec.schema.json'), 'utf8')) as { definitions: { conv: { properties: { input: { description: string } } } } };
  const schemaZh = JSON.parse(fs.readFileSync(path.join(ROOT, 'src/l10n/schema.zh-cn.json'), 'utf8')) as Record<string, string>;
  const inputDescription = schemaZh[schema.definitions.conv.properties.input.description];
  const padText = explainStage({ stage: seed.stages[0] }, seed.geometry, 'zh-cn');
  await withSession(run, undefined, async (cs, browser, ws) => {
    const { page } = browser;
    fs.writeFileSync(path.join(ws, 'broken.conv.json'), '{\n  "input": [[[[1, 2], [3, 4]]]],\n  "weight": [[[[1]]]],\n  "stride": 0\n}\n');
    await openWithExtension(page, cs, ws);
    const frame = webviewFrame(page);
    const steps: [string, () => Promise<void>][] = [
      ['the workbench opens', () => waitForWorkbench(page)],
      ['seed.conv.json opens from the explorer', () => openFromExplorer(page, 'seed.conv.json')],
      [`the palette lists the command in Chinese: "${nls['command.category']}: ${nls['command.run.title']}"`, () => runFromPalette(page, `${nls['command.category']}: ${nls['command.run.title']}`)],
      ['the panel is in Chinese: <html lang="zh-CN">, and the first stage explained in the zh-cn words', async () => {
        await frame.locator('html[lang="zh-CN"]').waitFor({ state: 'attached', timeout: 60_000 });
        const shown = frame.locator('.stepper-explanation');
        await shown.waitFor({ timeout: 30_000 });
        const text = (await shown.textContent())?.trim();
        if (text !== padText) throw new Error(`the panel says "${text}", not "${padText}"`);
        await page.waitForTimeout(1000);
        await page.screenshot({ path: path.join(run.dir, 'panel-zh-cn.png') });
      }],
      ['hovering "input" in the editor says the derived shapes in Chinese (the zh-cn hover words), and the schema\'s description in Chinese', async () => {
        const padded = zhText.hoverPadded('`(1, 3, 4, 4)`').replace(/`/g, '').replace(/^- /, '');
        await page.locator('.tabs-container .tab', { hasText: 'seed.conv.json' }).first().click();
        // The JSON language server may still be starting: a person moves away and hovers again.
        for (let attempt = 1; ; attempt++) {
          await page.locator('.view-lines .view-line span', { hasText: '"input"' }).first().hover();
          const hover = page.locator('.monaco-hover-content', { hasText: 'im2col' }).first();
          try {
            await hover.waitFor({ timeout: 10_000 });
            const text = await hover.innerText();
            if (!text.includes(padded)) throw new Error(`the hover says: ${text}`);
            // The schema's description of "input", from the Chinese schema.
            await page.locator('.monaco-hover', { hasText: inputDescription.slice(0, 12) }).first().waitFor({ timeout: 10_000 });
            break;
          } catch (e) {
            if (attempt >= 3) throw e;
            await page.mouse.move(5, 5);
          }
        }
        await page.waitForTimeout(600);
        await page.screenshot({ path: path.join(run.dir, 'hover-zh-cn.png') });
        await page.mouse.move(5, 5);
      }],
      ['the conv debugger speaks Chinese: a step over the pad shows the frame "conv2d › 填充"', async () => {
        await openFromExplorer(page, 'seed.conv.json');
        await runFromPalette(page, 'Debug: Start Debugging');
        await page.locator('.debug-toolbar').waitFor({ timeout: 30_000 });
        await runFromPalette(page, 'Debug: Step Over');
        await page.locator('.monaco-list-row', { hasText: `conv2d › ${zhText.titlePad}` }).first().waitFor({ timeout: 15_000 });
        await page.waitForTimeout(500);
        await page.screenshot({ path: path.join(run.dir, 'debug-zh-cn.png') });
        await runFromPalette(page, 'Debug: Stop');
        await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 15_000 }).catch(() => undefined);
        await runFromPalette(page, 'View: Show Explorer');
      }],
      ['a broken spec\'s error message is in Chinese, the engine\'s problem included', async () => {
        await openFromExplorer(page, 'broken.conv.json');
        await runFromPalette(page, `${nls['command.category']}: ${nls['command.run.title']}`);
        const frameWords = bundle['Conv spec error in {0} at {1}: {2}'].split('{0}')[0];
        // The engine's problem, as the zh-cn table words it.
        const problem = renderProblem({ code: 'conv.belowOne', args: { key: 'stride', value: 0 }, op: 'conv2d' }, 'zh-cn');
        const message = page.locator('.notifications-toasts .notification-list-item-message', { hasText: frameWords }).first();
        await message.waitFor({ timeout: 30_000 });
        const text = (await message.innerText()).replace(/\s+/g, ' ');
        if (!text.includes(problem)) throw new Error(`the message says "${text}", not "${problem}"`);
        await page.screenshot({ path: path.join(run.dir, 'error-zh-cn.png') });
      }],
      ['a network layer\'s tensors are described in Chinese: LeNet\'s ReLU layer says what h is in the zh-cn words', async () => {
        const hAbout = aboutText({ key: 'activation.h', args: { activation: 'relu' } }, 'zh-cn');
        await openFromExplorer(page, 'lenet.conv.json');
        await runFromPalette(page, `${nls['command.category']}: ${nls['command.run.title']}`);
        await frame.locator('.chain-layer[data-layer="1"]').click({ timeout: 60_000 });
        const about = frame.locator('section.tensor[data-tensor="h"] .tensor-about').first();
        await about.waitFor({ timeout: 30_000 });
        const text = (await about.textContent())?.trim() ?? '';
        if (!text.endsWith(hAbout)) throw new Error(`the card says "${text}", not "… ${hAbout}"`);
        await page.waitForTimeout(500);
        await page.screenshot({ path: path.join(run.dir, 'network-zh-cn.png') });
      }],
      ['the walkthrough is in Chinese: its title, its first step\'s title and its markdown', async () => {
        // The whole editor area, so the step's media shows beside the steps.
        await runFromPalette(page, 'View: Close All Editors');
        await runFromPalette(page, 'Welcome: Open Walkthrough...');
        await page.locator('.quick-input-list .monaco-list-row', { hasText: nls['walkthrough.title'] }).first().click({ timeout: 20_000 });
        await page.locator('.getting-started-category-title, .category-title', { hasText: nls['walkthrough.title'] }).first().waitFor({ timeout: 20_000 });
        await page.locator('button.getting-started-step .step-title', { hasText: nls['walkthrough.open.title'] }).first().click({ timeout: 10_000 });
        // The step's markdown (media/walkthrough/*.nls.zh-cn.md) renders in a webview of its own.
        const markdown = page.frameLocator('iframe.webview.ready:not([src*="extensionId=conv-visual-debugger"])').first().frameLocator('#active-frame');
        await markdown.locator('body', { hasText: /[\u4e00-\u9fff]/ }).first().waitFor({ timeout: 20_000 });
        await page.waitForTimeout(800);
        await page.screenshot({ path: path.join(run.dir, 'walkthrough-zh-cn.png') });
      }],
    ];
    for (const [title, step] of steps) if (!await run.check(title, step)) return;
  }, [testExtension('zh-cn-language-pack')], {}, 'zh-cn');
  return run.finish();
}
