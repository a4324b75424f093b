// Keyboard only: Tab order and names, stepping, the heatmap's cell cursor and its announcements, then each colour theme.

import * as fs from 'fs';
import * as path from 'path';
import type { FrameLocator, Page } from 'playwright-core';
import { ROOT } from '../codeServer';
import { Run, STAGES, expectHighlight, openWithExtension, seedZ, withSession } from '../harness';
import { openFromExplorer, runFromPalette, waitForWorkbench, webviewFrame } from '../workbench';

/** The palette by keyboard alone: F1, the command's title, Enter (runFromPalette clicks the row). */
async function paletteByKeyboard(page: Page, title: string): Promise<void> {
  await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { blur?: () => void } | null } }).document.activeElement?.blur?.());
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(`>${title}`);
  await pickByKeyboard(page, title);
}

/** In an open quick pick: the row labelled exactly `label`, by the arrow keys, then Enter. */
async function pickByKeyboard(page: Page, label: string): Promise<void> {
  const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const focused = page.locator('.quick-input-list .monaco-list-row.focused .label-name', { hasText: exact });
  await page.locator('.quick-input-list .monaco-list-row .label-name', { hasText: exact }).first().waitFor({ timeout: 10_000 });
  // Fuzzy matching may rank a look-alike first: arrow down to the row itself.
  for (let i = 0; i < 10 && !await focused.count(); i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(400);
}

/** The webview's DOM, in functions that run inside the page (the harness compiles without the DOM library). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type PageNode = any;

/** What has focus in the panel: its accessible name (as a screen reader would get it, roughly), and whether a focus ring shows. */
interface FocusedControl { tag: string; name: string; visible: boolean; ring: string; key: string }

/** Reads the focused element of the panel; marks it `data-tab-reached` so the unreached controls can be listed after. */
function focusedControl(frame: FrameLocator): Promise<FocusedControl | undefined> {
  return frame.locator('body').evaluate((body: PageNode) => {
    const doc = body.ownerDocument;
    const e: PageNode = doc.activeElement;
    if (!e || e === body || e === doc.documentElement) return undefined;
    const win = doc.defaultView!;
    const byIds = (ids: string | null) => (ids ?? '').split(/\s+/).map(id => doc.getElementById(id)?.textContent?.trim() ?? '').join(' ').trim();
    const name = (e.getAttribute('aria-label') ?? '').trim() || byIds(e.getAttribute('aria-labelledby')) || (e.getAttribute('label') ?? '').trim() || (e.textContent ?? '').replace(/\s+/g, ' ').trim() || (e.title ?? '').trim();
    // A ring: an outline on the element or on the heatmap's wrapper, or one drawn inside a web component's shadow root.
    const outlined = (x: PageNode) => {
      const st = win.getComputedStyle(x);
      return st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) >= 1 && st.outlineColor !== 'rgba(0, 0, 0, 0)' ? `${st.outlineWidth} ${st.outlineStyle} ${st.outlineColor}` : '';
    };
    let ring = outlined(e) || (e.tagName === 'CANVAS' && e.parentElement ? outlined(e.parentElement) : '');
    const shadow = e.shadowRoot;
    if (!ring && shadow) {
      for (const inner of Array.from<PageNode>(shadow.querySelectorAll('*'))) {
        const st = win.getComputedStyle(inner);
        const o = outlined(inner);
        const border = st.borderStyle !== 'none' && parseFloat(st.borderWidth) >= 1 && inner.matches(':focus, :focus-visible, :focus-within') ? `border ${st.borderColor}` : '';
        if (o || border) { ring = `shadow ${o || border}`; break; }
      }
      if (!ring) {
        const st = win.getComputedStyle(e);
        const focusBorder = win.getComputedStyle(doc.body).getPropertyValue('--vscode-focusBorder').trim();
        if (st.borderColor && focusBorder && st.borderStyle !== 'none') ring = `host border ${st.borderColor} (focusBorder ${focusBorder})`;
      }
    }
    e.dataset.tabReached = '1';
    const r = e.getBoundingClientRect();
    const key = `${e.tagName.toLowerCase()}${e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : ''} ${name}`;
    return { tag: e.tagName.toLowerCase(), name, visible: r.width > 0 && r.height > 0, ring, key };
  });
}

/** The panel's visible controls no Tab reached. */
function unreachedControls(frame: FrameLocator): Promise<string[]> {
  return frame.locator('body').evaluate((body: PageNode) => Array.from<PageNode>(body.querySelectorAll('button, vscode-button, vscode-single-select, vscode-checkbox, canvas.heatmap, [tabindex="0"]'))
    .filter(e => !e.dataset.tabReached && !e.closest('[hidden]') && e.getBoundingClientRect().width > 0)
    .map(e => `${e.tagName.toLowerCase()} ${e.getAttribute('aria-label') ?? e.textContent?.trim() ?? ''}`));
}

/** The panel's live line for the keyboard cursor. */
function announced(frame: FrameLocator): Promise<string> {
  return frame.locator('.cell-announcer').first().evaluate((e: PageNode) => e.textContent ?? '');
}

/** Waits until the live line says `text` (announcements follow keys within a frame or two). */
async function expectAnnounced(frame: FrameLocator, text: string): Promise<void> {
  await frame.locator('.cell-announcer', { hasText: text }).first().waitFor({ state: 'attached', timeout: 5_000 }).catch(async () => {
    throw new Error(`announced "${await announced(frame)}", expected "${text}"`);
  });
}

/** Keyboard only: Tab order and names, stepping, the heatmap's cell cursor and its announcements, then each colour theme. */
export async function a11y(): Promise<number> {
  const run = new Run('a11y');
  run.say('accessibility: the panel by keyboard alone, and in light, dark and both high contrast themes');
  await withSession(run, undefined, async (cs, browser, ws) => {
    const { page } = browser;
    await openWithExtension(page, cs, ws);
    const frame = webviewFrame(page);
    const panel = page.locator('iframe.webview.ready').first();
    const shot = (name: string) => panel.screenshot({ path: path.join(run.dir, `${name}.png`) });
    const press = async (key: string, times = 1) => { for (let i = 0; i < times; i++) await page.keyboard.press(key); await page.waitForTimeout(120); };
    /** Tabs until `pick` says yes (or 400 Tabs). */
    const tabTo = async (what: string, pick: (c: FocusedControl) => boolean, key = 'Tab') => {
      for (let i = 0; i < 400; i++) {
        await page.keyboard.press(key);
        const c = await focusedControl(frame);
        if (c && pick(c)) return c;
      }
      throw new Error(`Tab never reached ${what}`);
    };
    const setup: [string, () => Promise<void>][] = [
      ['the workbench opens the examples folder', () => waitForWorkbench(page)],
      ['seed.conv.json opens and "Conv: Run Conv Forward/Backward" runs from the palette', async () => {
        await openFromExplorer(page, 'seed.conv.json');
        await runFromPalette(page, 'Conv: Run Conv Forward/Backward');
        await page.locator('.tabs-container .tab', { hasText: 'Conv: seed.conv.json' }).waitFor({ timeout: 60_000 });
        await frame.locator('section.tensor[data-tensor="z"] td').first().waitFor({ state: 'attached', timeout: 60_000 });
      }],
      ['the panel takes the editor area and the focus, by keyboard (Ctrl+2 to its group, the palette closes the others, Ctrl+1)', async () => {
        await page.keyboard.press('Control+2');
        await page.waitForTimeout(400);
        await paletteByKeyboard(page, 'View: Close Editors in Other Groups');
        await page.keyboard.press('Control+1');
        await page.waitForTimeout(800);
        const focused = await frame.locator('body').evaluate((b: PageNode) => b.ownerDocument.hasFocus());
        if (!focused) throw new Error('the panel\'s document does not have the focus');
      }],
    ];
    for (const [title, step] of setup) if (!await run.check(title, step)) return;

    await run.check('Tab reaches every visible control in order, each with a name and a visible focus ring', async () => {
      const reached: FocusedControl[] = [];
      const seen = new Set<string>();
      for (let i = 0; i < 400; i++) {
        await page.keyboard.press('Tab');
        const c = await focusedControl(frame);
        // Past the last control focus leaves the panel, or comes round again.
        if (!c || (seen.has(c.key) && reached.length > 5 && c.key === reached[0].key)) break;
        seen.add(c.key);
        reached.push(c);
        if (reached.length === 1) await shot('focus-first-control');
      }
      fs.writeFileSync(path.join(run.dir, 'tab-order.txt'), reached.map((c, i) => `${i + 1}\t${c.tag}\t${c.name}\t${c.ring || 'NO RING'}`).join('\n') + '\n');
      run.say(`    ${reached.length} tab stops (test-results/a11y/tab-order.txt): ${reached.slice(0, 8).map(c => c.name.slice(0, 30)).join(' | ')} ...`);
      const nameless = reached.filter(c => !c.name);
      const ringless = reached.filter(c => !c.ring);
      const missed = await unreachedControls(frame);
      const problems = [
        ...(nameless.length ? [`${nameless.length} without a name (${nameless.slice(0, 3).map(c => c.tag).join(', ')})`] : []),
        ...(ringless.length ? [`${ringless.length} without a visible ring (${ringless.slice(0, 4).map(c => `${c.tag} ${c.name.slice(0, 24)}`).join(', ')})`] : []),
        ...(missed.length ? [`${missed.length} never reached (${missed.slice(0, 4).join(', ')})`] : []),
      ];
      if (reached.length < 20) problems.push(`only ${reached.length} tab stops`);
      if (problems.length) throw new Error(problems.join('; '));
    });

    await run.check('ARIA: toolbar, stepper with aria-current="step", sections named by their headings, heatmaps named with role description', async () => {
      const facts = await frame.locator('body').evaluate((body: PageNode) => {
        const doc = body.ownerDocument;
        const toolbars = Array.from<PageNode>(doc.querySelectorAll('[role="toolbar"]')).map(t => t.getAttribute('aria-label'));
        const current = Array.from<PageNode>(doc.querySelectorAll('.stepper-chips [aria-current="step"]')).map(c => c.textContent);
        const sections = Array.from<PageNode>(doc.querySelectorAll('section.stage')).map(s => doc.getElementById(s.getAttribute('aria-labelledby') ?? '')?.textContent ?? '');
        const canvas = doc.querySelector('section.tensor[data-tensor="z"] canvas.heatmap');
        return { toolbars, current, sections, role: canvas?.getAttribute('role'), roledescription: canvas?.getAttribute('aria-roledescription'), label: canvas?.getAttribute('aria-label') ?? '', described: doc.getElementById(canvas?.getAttribute('aria-describedby') ?? '')?.textContent ?? '', explanationLive: doc.querySelector('.stepper-explanation')?.getAttribute('aria-live') };
      });
      const problems: string[] = [];
      if (!facts.toolbars.includes('View options') || facts.toolbars.length < 10) problems.push(`toolbars ${facts.toolbars.slice(0, 3).join(', ')} (${facts.toolbars.length})`);
      if (facts.current.length !== 1) problems.push(`aria-current on ${facts.current.length} chips`);
      if (facts.sections.length !== STAGES.length || facts.sections.some(s => !/^\d+\. /.test(s))) problems.push(`section names ${facts.sections.join(' | ')}`);
      if (facts.role !== 'application' || facts.roledescription !== 'tensor heatmap' || !facts.label.startsWith('z (1, 2, 3, 3)') || !facts.described.includes('Arrow keys')) problems.push(`z heatmap: ${JSON.stringify(facts)}`);
      if (facts.explanationLive !== 'polite') problems.push('the stage explanation is not a live region');
      if (problems.length) throw new Error(problems.join('; '));
    });

    await run.check('stages step by keyboard: Enter on "Next", then n and p; aria-current follows', async () => {
      const position = frame.locator('.stepper-position');
      const before = Number((await position.innerText()).split(' / ')[0]);
      await tabTo('the Next button', c => c.name.startsWith('Next stage'));
      await press('Enter');
      await position.filter({ hasText: `${before + 1} / ${STAGES.length}` }).waitFor({ timeout: 5_000 });
      await press('n');
      await position.filter({ hasText: `${before + 2} / ${STAGES.length}` }).waitFor({ timeout: 5_000 });
      await press('p');
      await position.filter({ hasText: `${before + 1} / ${STAGES.length}` }).waitFor({ timeout: 5_000 });
      const current = await frame.locator('.stepper-chips [aria-current="step"]').innerText();
      if (!current.startsWith(`${before + 1}. `)) throw new Error(`aria-current on "${current}"`);
      // To the stage with z (5. Reshape and add bias), by n and p alone.
      const target = STAGES.indexOf('reshape_bias') + 1;
      await press(target > before + 1 ? 'n' : 'p', Math.abs(target - before - 1));
      await frame.locator('section.stage.current[data-stage="reshape_bias"]').waitFor({ timeout: 5_000 });
      await shot('stage-by-keyboard');
    });

    await run.check('Tab onto the z heatmap: its cursor starts on z[0, 0, 0, 0] and the live region says its value', async () => {
      await tabTo('the z heatmap', c => c.tag === 'canvas' && c.name.startsWith('z (1, 2, 3, 3)'));
      await expectAnnounced(frame, `z[0, 0, 0, 0] = ${seedZ(0, 0, 0)}`);
    });

    await run.check('arrows move the cursor: Right Right Down says z[0, 0, 1, 2] = 294, links a_t row 5, and the inspector shows it', async () => {
      await press('ArrowRight', 2);
      await expectAnnounced(frame, `z[0, 0, 0, 2] = ${seedZ(0, 0, 2)}`);
      await press('ArrowDown');
      await expectAnnounced(frame, `z[0, 0, 1, 2] = ${seedZ(0, 1, 2)}`);
      await expectHighlight(frame, 'a_t', h => h.rows === '5');
      await frame.locator('.inspector-cell', { hasText: `z[0, 0, 1, 2] = ${seedZ(0, 1, 2)}` }).waitFor({ timeout: 5_000 });
      await shot('cursor-z-0-0-1-2');
    });

    await run.check('jumps: Ctrl+End to the last cell, Home to the row\'s start, Ctrl+Home to the first, PageDown to the bottom', async () => {
      await press('Control+End');
      await expectAnnounced(frame, `z[0, 0, 2, 2] = ${seedZ(0, 2, 2)}`);
      await press('Home');
      await expectAnnounced(frame, `z[0, 0, 2, 0] = ${seedZ(0, 2, 0)}`);
      await press('Control+Home');
      await expectAnnounced(frame, `z[0, 0, 0, 0] = ${seedZ(0, 0, 0)}`);
      await press('PageDown');
      await expectAnnounced(frame, `z[0, 0, 2, 0] = ${seedZ(0, 2, 0)}`);
      // Back to [0, 0, 1, 2] for the pin.
      await press('ArrowUp');
      await press('ArrowRight', 2);
      await expectAnnounced(frame, `z[0, 0, 1, 2] = ${seedZ(0, 1, 2)}`);
    });

    await run.check('Shift+Tab back to the z_t heatmap: the announcement says what its cell means; Tab returns to z where the cursor was', async () => {
      await tabTo('the z_t heatmap', c => c.tag === 'canvas' && c.name.startsWith('z_t '), 'Shift+Tab');
      // z_t is z before the bias (b = 1, 2): z_t[0, 0, 0] = 296 − 1.
      await expectAnnounced(frame, `z_t[0, 0, 0] = ${Number(seedZ(0, 0, 0)) - 1}. row 0 = output (0, 0) · column 0 = channel 0`);
      await tabTo('the z heatmap', c => c.tag === 'canvas' && c.name.startsWith('z (1, 2, 3, 3)'));
      await expectAnnounced(frame, `z[0, 0, 1, 2] = ${seedZ(0, 1, 2)}`);
    });

    await run.check('Enter pins the cell: announced, the inspector shows Σ = 294 ✓; Escape releases; Space pins again', async () => {
      await press('Enter');
      await expectAnnounced(frame, `Pinned. z[0, 0, 1, 2] = ${seedZ(0, 1, 2)}`);
      await frame.locator('.inspector .badge', { hasText: 'pinned' }).waitFor({ timeout: 5_000 });
      await frame.locator('.cell-sum-total.ok', { hasText: `Σ = ${seedZ(0, 1, 2)}` }).waitFor({ timeout: 10_000 });
      await shot('cursor-pinned');
      await press('Escape');
      await expectAnnounced(frame, 'Released');
      await frame.locator('.inspector .badge', { hasText: 'pinned' }).waitFor({ state: 'detached', timeout: 5_000 });
      await press(' ');
      await frame.locator('.inspector .badge', { hasText: 'pinned' }).waitFor({ timeout: 5_000 });
      const focused = await focusedControl(frame);
      if (focused?.tag !== 'canvas' || !focused.ring) throw new Error(`focus on ${JSON.stringify(focused)}`);
    });

    // The setting's value, the picker's label, the webview body's class, the screenshot.
    const themes = [
      ['Default Light Modern', 'Light Modern', 'vscode-light', 'light'],
      ['Default Dark Modern', 'Dark Modern', 'vscode-dark', 'dark'],
      ['Default High Contrast', 'Dark High Contrast', 'vscode-high-contrast', 'high-contrast'],
      ['Default High Contrast Light', 'Light High Contrast', 'vscode-high-contrast-light', 'high-contrast-light'],
    ] as const;
    for (const [theme, label, bodyClass, file] of themes) {
      await run.check(`${theme}: the focused heatmap's ring and cursor show (screenshot ${file}.png)`, async () => {
        // The settings file (cs.updateSettings) is not picked up live by this workbench: the theme picker, by keyboard.
        await paletteByKeyboard(page, 'Preferences: Color Theme');
        await page.locator('.quick-input-widget input').fill(label);
        await pickByKeyboard(page, label);
        await frame.locator(`body.${bodyClass}`).waitFor({ state: 'attached', timeout: 20_000 });
        // The workbench gives the panel back its focus on its body: back to the z heatmap, by keyboard.
        await page.keyboard.press('Control+1');
        await page.waitForTimeout(300);
        await tabTo('the z heatmap', c => c.tag === 'canvas' && c.name.startsWith('z (1, 2, 3, 3)'));
        await page.waitForTimeout(500);
        const ring = await frame.locator('section.tensor[data-tensor="z"] .heatmap-wrap').evaluate((w: PageNode) => {
          const st = w.ownerDocument.defaultView!.getComputedStyle(w);
          return { style: st.outlineStyle, width: st.outlineWidth, colour: st.outlineColor, focused: w.ownerDocument.activeElement?.tagName };
        });
        if (ring.focused !== 'CANVAS' || ring.style === 'none' || parseFloat(ring.width) < 1) throw new Error(`ring ${JSON.stringify(ring)}`);
        if (bodyClass.startsWith('vscode-high-contrast')) {
          const want = await frame.locator('body').evaluate((b: PageNode) => {
            const probe = b.ownerDocument.createElement('div');
            probe.style.color = 'var(--vscode-contrastActiveBorder)';
            b.append(probe);
            const colour = b.ownerDocument.defaultView!.getComputedStyle(probe).color;
            probe.remove();
            return colour;
          });
          if (ring.colour !== want) throw new Error(`ring ${ring.colour}, contrastActiveBorder ${want}`);
        }
        await shot(file);
        // A focused button too: Tab on from the heatmap to the next card's first control.
        await press('Tab');
        await shot(`${file}-next-focus`);
        await press('Shift+Tab');
      });
    }
    run.say(`screenshots in ${path.relative(ROOT, run.dir)}/`);
  });
  return run.finish();
}
