// The trace panel's page is loaded again when it does not say `ready` after being shown (VS Code for the web can
// keep a page whose script never runs after a panel is hidden while loading), and only then. A run posted to a page
// that said `ready` is sent again when the page does not say `received`, then the page is loaded again.

import * as assert from 'assert';
import { PageLoadWatch } from '../../src/extension/panel/pageLoadWatch';

type ViewStateListener = (e: { webviewPanel: { visible: boolean } }) => void;

/** A panel whose visibility the test sets; the watch listens to its view-state events. */
class FakePanel {
  visible = true;
  private listener: ViewStateListener | undefined;
  readonly onDidChangeViewState = (l: ViewStateListener) => { this.listener = l; return { dispose: () => { this.listener = undefined; } }; };
  show(visible: boolean): void {
    this.visible = visible;
    this.listener?.({ webviewPanel: this });
  }
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const waits = { first: 40, last: 80, receipt: 30 };

/** Every watch a test made, disposed after it (a failed test must not leave a watch reloading forever). */
const made: PageLoadWatch[] = [];
afterEach(() => { while (made.length) made.pop()!.dispose(); });

function watched(): { panel: FakePanel; reloads: number[]; watch: PageLoadWatch; t0: number } {
  const panel = new FakePanel();
  const t0 = Date.now();
  const reloads: number[] = [];
  const watch = new PageLoadWatch(panel as never, () => reloads.push(Date.now() - t0), { warn: () => undefined }, "the test's", waits);
  made.push(watch);
  return { panel, reloads, watch, t0 };
}

describe('PageLoadWatch', () => {
  it('leaves a page that says ready in time alone', async () => {
    const { reloads, watch } = watched();
    await sleep(10);
    watch.loaded();
    await sleep(120);
    assert.deepStrictEqual(reloads, []);
    watch.dispose();
  });

  it('loads a silent page again, waiting longer each time, until it says ready', async () => {
    const { reloads, watch } = watched();
    await sleep(200);
    watch.loaded();
    const count = reloads.length;
    await sleep(150);
    watch.dispose();
    // 40, then +80, then +80: about 40, 120, 200 ms.
    assert.ok(count >= 2 && count <= 3, `reloads at ${reloads.join(', ')} ms`);
    assert.ok(reloads[0] >= 35, `first reload at ${reloads[0]} ms`);
    assert.ok(reloads[1] - reloads[0] >= 75, `second reload ${reloads[1] - reloads[0]} ms after the first`);
    assert.strictEqual(reloads.length, count, 'a reload after ready');
  });

  it('does not load a hidden page; a page shown again after being hidden must say ready again', async () => {
    const { panel, reloads, watch } = watched();
    watch.loaded();
    panel.show(false);
    await sleep(80);
    assert.deepStrictEqual(reloads, [], 'a hidden page was loaded');
    panel.show(true);
    await sleep(60);
    assert.ok(reloads.length >= 1, 'a silent page shown again was not loaded');
    watch.loaded();
    watch.dispose();
  });

  it('stops watching when disposed', async () => {
    const { reloads, watch } = watched();
    watch.dispose();
    await sleep(80);
    assert.deepStrictEqual(reloads, []);
  });

  it('does not send a run the page received again', async () => {
    const { reloads, watch } = watched();
    watch.loaded();
    let resent = 0;
    watch.expectReceipt(7, () => resent++);
    await sleep(10);
    watch.received(7);
    await sleep(100);
    assert.deepStrictEqual([resent, reloads], [0, []]);
    watch.dispose();
  });

  it('sends a run the page did not receive again, then loads the page again', async () => {
    const { reloads, watch } = watched();
    watch.loaded();
    let resent = 0;
    watch.expectReceipt(7, () => resent++);
    watch.received(6); // another run's receipt does not count
    await sleep(45);
    assert.deepStrictEqual([resent, reloads.length, watch.ready], [1, 0, true], 'after one wait: sent again');
    await sleep(30);
    assert.deepStrictEqual([resent, reloads.length, watch.ready], [1, 1, false], 'after two waits: the page loaded again');
    // The new page says ready; the run is posted again and received: nothing more.
    watch.loaded();
    watch.expectReceipt(7, () => resent++);
    watch.received(7);
    await sleep(150);
    assert.deepStrictEqual([resent, reloads.length], [1, 1]);
    watch.dispose();
  });

  it('stops waiting for a run when the panel is hidden (the page shown next is sent it on ready)', async () => {
    const { panel, reloads, watch } = watched();
    watch.loaded();
    let resent = 0;
    watch.expectReceipt(7, () => resent++);
    panel.show(false);
    await sleep(100);
    assert.deepStrictEqual([resent, reloads], [0, []]);
    watch.dispose();
  });
});
