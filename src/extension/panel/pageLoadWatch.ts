// A webview page (the trace panel, a model editor) that never says `ready` is loaded again. Seen in code-server:
// a panel hidden while its page was still loading, then shown, keeps a page whose script never runs; everything
// posted to it is lost and the panel says "Waiting for a trace…" for good. The page is given a while after it is
// shown (longer each time, so a slow machine is not caught in a loop of reloads), then its HTML is set again.

import type * as vscode from 'vscode';

/** The first wait for `ready` after the page is shown (ms); each reload doubles it, up to the last. */
export interface PageWaits {
  first: number;
  last: number;
}
const PAGE_WAITS: PageWaits = { first: 4000, last: 30_000 };

/** What the watch needs of a panel (a WebviewPanel). */
export type WatchedPanel = Pick<vscode.WebviewPanel, 'visible' | 'onDidChangeViewState'>;

export class PageLoadWatch implements vscode.Disposable {
  /** The page now in the panel has said `ready` (what is posted to it now reaches its script). */
  get ready(): boolean {
    return this.pageReady;
  }
  private pageReady = false;
  private wait: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly panel: WatchedPanel,
    /** Sets the page's HTML again (a fresh nonce makes it a new page). */
    private readonly reload: () => void,
    private readonly log: Pick<vscode.LogOutputChannel, 'warn'>,
    /** Which page, for the log: "the trace panel's", "digits.onnx's". */
    private readonly whose: string,
    private readonly waits = PAGE_WAITS,
  ) {
    this.wait = waits.first;
    // A hidden page is torn down; the one shown next must say `ready` again.
    this.subscription = panel.onDidChangeViewState(e => {
      if (!e.webviewPanel.visible) this.pageReady = false;
      this.arm();
    });
    this.arm();
  }

  /** The page said `ready`. */
  loaded(): void {
    this.pageReady = true;
    this.wait = this.waits.first;
    this.disarm();
  }

  private arm(): void {
    this.disarm();
    if (this.pageReady || !this.panel.visible) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.pageReady || !this.panel.visible) return;
      this.log.warn(`${this.whose} page did not say ready ${this.wait} ms after it was shown: loading it again`);
      this.wait = Math.min(this.wait * 2, this.waits.last);
      this.reload();
      this.arm();
    }, this.wait);
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.disarm();
    this.subscription.dispose();
  }
}
