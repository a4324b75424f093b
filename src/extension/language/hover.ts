// Hovers in JSON: any numeric array shows its shape, statistics and first rows;
// a conv spec's keys show the shapes derived from them, formulas filled in.

import * as vscode from 'vscode';
import { keyAt, tensorAt } from '../../specReader/locator';
import { networkKeyHover, skippedScanHover, sourceHover, specKeyHover, tensorHover } from '../../specReader/hoverText';
import { isNetworkSpec } from '../../specReader/networkSpec';
import { jsonPath } from '../../specReader/source';
import { JsonDocuments } from './jsonDocuments';
import { displayLocale } from '../displayLocale';

/** Whether the pointer is on a digit or a bracket (read one character: the document may be 40 MB on one line). */
function onNumbers(doc: vscode.TextDocument, position: vscode.Position): boolean {
  return /[\d[\]]/.test(doc.getText(new vscode.Range(position, position.translate(0, 1))));
}

export class TensorHoverProvider implements vscode.HoverProvider {
  constructor(private readonly documents: JsonDocuments) {}

  async provideHover(doc: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const offset = doc.offsetAt(position);
    const scan = this.documents.scan(doc);
    if (scan.skipped) return onNumbers(doc, position) ? new vscode.Hover(new vscode.MarkdownString(skippedScanHover(scan.skipped, displayLocale()))) : undefined;
    const key = keyAt(scan, offset);
    if (key) {
      const state = await this.documents.spec(doc);
      if (!state) return undefined;
      const top = String(key.path[0]);
      // The file a key names: the key's own value ("input": {...}) or the object it is in ("image": ...).
      const paths = [jsonPath(key.path), jsonPath(key.path.slice(0, -1))];
      const source = state.analysis.sources?.find(r => paths.includes(jsonPath(r.path)));
      const text = isNetworkSpec(state.source.value)
        ? (source ? `${sourceHover(source, displayLocale())}\n\n` : '') + (networkKeyHover(key.path.slice(0, 2), state.analysis, displayLocale()) ?? '')
        : specKeyHover(top, state.analysis, source, displayLocale());
      if (!text) return undefined;
      const md = new vscode.MarkdownString(text);
      return new vscode.Hover(md, new vscode.Range(doc.positionAt(key.offset), doc.positionAt(key.offset + key.length)));
    }
    const tensor = tensorAt(scan, offset);
    if (!tensor) return undefined;
    return new vscode.Hover(new vscode.MarkdownString(tensorHover(this.documents.text(doc), tensor, offset, undefined, displayLocale())),
      new vscode.Range(doc.positionAt(tensor.offset), doc.positionAt(tensor.offset + tensor.length)));
  }
}
