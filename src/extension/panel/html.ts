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
  const n = nonce();
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'panel.css'));
  const csp = [
    `default-src 'none'`,
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${n}'`,
  ].join('; ');
  const locale = displayLocale();
  return `<!DOCTYPE html>
<html lang="${htmlLang(locale)}">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${style}">
  <title>Conv Visual Debugger</title>
</head>
<body>
  <header id="header"><h1 id="title">Conv Visual Debugger</h1><p id="status" role="status">${panelText(locale).waitingForTrace}</p></header>
  <main id="app"></main>
  <script nonce="${n}" src="${script}"></script>
</body>
</html>`;
}

export function panelLocalRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')];
}
