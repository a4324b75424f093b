// A webview page (the trace panel, a model editor) that never says `ready` is loaded again. Seen in code-server:
// a panel hidden while its page was still loading, then shown, keeps a page whose script never runs; everything
// posted to it is lost and the panel says "Waiting for a trace…" for good. The page is given a while after it is
// shown (longer each time, so a slow machine is not caught in a loop of reloads), then its HTML is set again.
// A page that said `ready` can still lose the run posted to it (seen in code-server after a reload: a page said
// `ready`, the run was posted, the page never showed it). The page says `received` when a run reaches it; a run not
// received in a while is sent again, then the page is loaded again.

import type * as vscode from 'vscode';

/** The first wait for `ready` after the page is shown (ms); each reload doubles it, up to the last. */
export interface PageWaits {
  first: number;
  last: number;
  /** The wait for a run's `received` (ms); doubled after each page it was lost on. */
  receipt: number;
}
const PAGE_WAITS: PageWaits = { first: 4000, last: 30_000, receipt: 2000 };

/** A run posted to the page and not yet received: how to send it again, and how often it was. */
interface AwaitedReceipt {
  id: number;
  resend: () => void;
  sent: number;
  timer: ReturnType<typeof setTimeout>;
}

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
  private awaited: AwaitedReceipt | undefined;
  /** Pages a run was lost on since the last one received: each waits twice as long. */
  private lostOn = 0;

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
      if (!e.webviewPanel.visible) {
        this.pageReady = false;
        // The page is torn down; the one shown next is sent the run when it says `ready`.
        this.stopAwaiting();
      }
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

  /** Run `id` was posted to the page: unless it says `received` in time, `resend` posts it again, then the page is loaded again. */
  expectReceipt(id: number, resend: () => void): void {
    this.stopAwaiting();
    this.awaited = { id, resend, sent: 1, timer: this.receiptTimer() };
  }

  /** The page says run `id` reached its script. */
  received(id: number): void {
    if (this.awaited?.id !== id) return;
    this.stopAwaiting();
    this.lostOn = 0;
  }

  private receiptTimer(): ReturnType<typeof setTimeout> {
    const wait = Math.min(this.waits.receipt * 2 ** this.lostOn, this.waits.last);
    return setTimeout(() => {
      const awaited = this.awaited;
      if (!awaited) return;
      if (awaited.sent < 2) {
        this.log.warn(`${this.whose} page did not receive run ${awaited.id} ${wait} ms after it was posted: sending it again`);
        awaited.sent++;
        awaited.timer = this.receiptTimer();
        awaited.resend();
        return;
      }
      // Sent twice to a page that said `ready`: a page whose script no longer hears the host. A new page says
      // `ready` and is sent the run again by its panel.
      this.log.warn(`${this.whose} page did not receive run ${awaited.id} sent twice: loading it again`);
      this.awaited = undefined;
      this.lostOn++;
      this.pageReady = false;
      this.reload();
      this.arm();
    }, wait);
  }

  private stopAwaiting(): void {
    if (this.awaited) clearTimeout(this.awaited.timer);
    this.awaited = undefined;
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
    this.stopAwaiting();
    this.subscription.dispose();
  }
}
