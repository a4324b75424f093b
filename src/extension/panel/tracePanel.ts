// The panel controller: one webview panel per window, reused across runs. It
// holds the latest message to show and sends it whenever the webview says
// `ready` (first load, and every reload after the panel was hidden).

import * as vscode from 'vscode';
import { HostToWebview, PANEL_VIEW_TYPE, WebviewToHost, assertNever } from '../../protocol/messages';
import { parseWebviewMessage } from '../../protocol/validate';
import { panelHtml, panelLocalRoots } from './html';

/** What the webview keeps with getState/setState, so a restored panel can re-run its spec. */
export interface PanelState {
  specUri?: string;
}

export class TracePanel implements vscode.Disposable {
  private static current: TracePanel | undefined;
  private latest: HostToWebview | undefined;
  private ready = false;
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly onMessage: (m: WebviewToHost) => void,
    private readonly log: vscode.LogOutputChannel,
  ) {
    panel.webview.options = { enableScripts: true, localResourceRoots: panelLocalRoots(extensionUri) };
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.svg');
    panel.webview.html = panelHtml(panel.webview, extensionUri);
    this.disposables.push(
      panel.webview.onDidReceiveMessage(raw => this.receive(raw)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Shows the panel (creating it beside the editor if needed). */
  static show(extensionUri: vscode.Uri, onMessage: (m: WebviewToHost) => void, log: vscode.LogOutputChannel): TracePanel {
    if (TracePanel.current) {
      TracePanel.current.panel.reveal(undefined, true);
      return TracePanel.current;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, 'Conv Visual Debugger', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: panelLocalRoots(extensionUri),
    });
    TracePanel.current = new TracePanel(panel, extensionUri, onMessage, log);
    return TracePanel.current;
  }

  /** Adopts a panel VS Code restored after a reload. */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, onMessage: (m: WebviewToHost) => void, log: vscode.LogOutputChannel): TracePanel {
    TracePanel.current?.dispose();
    TracePanel.current = new TracePanel(panel, extensionUri, onMessage, log);
    return TracePanel.current;
  }

  static get active(): TracePanel | undefined {
    return TracePanel.current;
  }

  setTitle(title: string): void {
    this.panel.title = title;
  }

  /** Shows this message now if the webview is ready, else as soon as it is. */
  post(message: HostToWebview): void {
    this.latest = message;
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private receive(raw: unknown): void {
    let message: WebviewToHost;
    try {
      message = parseWebviewMessage(raw);
    } catch (e) {
      this.log.error(`panel sent an invalid message: ${(e as Error).message}`);
      return;
    }
    switch (message.type) {
      case 'ready':
        this.ready = true;
        if (this.latest) void this.panel.webview.postMessage(this.latest);
        break;
      case 'rendered':
        this.log.info(`panel rendered trace ${message.traceId}: ${message.shown.map(s => s.name).join(', ')}`);
        break;
      case 'error':
        this.log.error(`panel: ${message.message}`);
        break;
      default:
        assertNever(message);
    }
    this.onMessage(message);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (TracePanel.current === this) TracePanel.current = undefined;
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}
