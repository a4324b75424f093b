import * as vscode from 'vscode';
import { htmlLang, panelText } from '../../l10n/panelText';
import { displayLocale } from '../displayLocale';

function nonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 32; i++) s += chars[Math.floor(Math.random() * chars.length)];
  return s;
}

/** The panel's page: strict CSP, one nonce'd script, resources only from dist/ and media/. */
export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const locale = displayLocale();
  return pageHtml(webview, extensionUri, 'webview.js', 'panel.css',
    `<header id="header"><h1 id="title">Conv Visual Debugger</h1><p id="status" role="status">${panelText(locale).waitingForTrace}</p></header>
  <main id="app"></main>`);
}

/** A page of the extension's: strict CSP, `script` (in dist/) with a nonce, `style` (in media/), `body`. */
export function pageHtml(webview: vscode.Webview, extensionUri: vscode.Uri, script: string, style: string, body: string): string {
  const n = nonce();
  const scriptUri = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', script));
  const styleUri = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', style));
  const csp = [
    `default-src 'none'`,
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${n}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="${htmlLang(displayLocale())}">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${styleUri}">
  <title>Conv Visual Debugger</title>
</head>
<body>
  ${body}
  <script nonce="${n}" src="${scriptUri}"></script>
</body>
</html>`;
}

export function panelLocalRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')];
}
