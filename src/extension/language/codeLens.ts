// Above every conv spec: "▶ Run Conv Forward/Backward", the shapes it produces,
// or how many problems stand in the way; in a network spec, each layer's shapes,
// FLOPs and parameters above the layer, and the network's in all at the top.

import * as vscode from 'vscode';
import { CostCount, totalCost } from '../../engine/layerKinds/cost';
import { thousands } from '../../engine/problem';
import { formatShape } from '../../engine/tensor';
import { inputsText } from '../../specReader/hoverText';
import { JsonDocuments } from './jsonDocuments';

/** FLOPs and parameters in a few words. */
function costText(cost: CostCount): string {
  return vscode.l10n.t('{0} FLOPs · {1} parameters', thousands(cost.flops), thousands(cost.params));
}

export class SpecCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  private readonly subscription: vscode.Disposable;

  constructor(private readonly documents: JsonDocuments, private readonly runCommand: string) {
    // A big document's lenses show its last analysis: new ones once it is analysed again.
    this.subscription = documents.onDidAnalyseBig(() => this.refresh());
  }

  refresh(): void {
    this.changed.fire();
  }

  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const state = await this.documents.specAsOfLastCheck(doc);
    if (!state) return [];
    // The first line with text (read line by line: no copy of a big document's text).
    let line = 0;
    while (line < doc.lineCount - 1 && doc.lineAt(line).isEmptyOrWhitespace) line++;
    const at = new vscode.Position(line, doc.lineAt(line).firstNonWhitespaceCharacterIndex);
    const range = new vscode.Range(at, at);
    const lenses = [new vscode.CodeLens(range, { title: vscode.l10n.t('▶ Run Conv Forward/Backward'), command: this.runCommand, arguments: [doc.uri] })];
    const { info, problems, layers } = state.analysis;
    if (layers) {
      const last = layers[layers.length - 1];
      const total = totalCost(layers.map(l => l.cost));
      const network = vscode.l10n.t('{0} layers · {1} → {2}', layers.length, formatShape(layers[0].input), formatShape(last.output));
      lenses.push(new vscode.CodeLens(range, { title: `${network} · ${costText(total)}`, command: '' }));
      for (const key of this.documents.scanAsOfLastCheck(doc).keys) {
        const [top, i, name] = key.path;
        if (top !== 'layers' || typeof i !== 'number' || name !== 'type' || !layers[i]) continue;
        const at = doc.positionAt(key.offset);
        lenses.push(new vscode.CodeLens(new vscode.Range(at, at), { title: `layers[${i}] ${layers[i].title} · ${inputsText(i, layers[i], formatShape)} → ${formatShape(layers[i].output)} · ${costText(layers[i].cost)}`, command: '' }));
      }
    } else if (info) {
      const shapes = `a_t ${formatShape([info.batch, info.outPositions, info.patchSize])} · w_t ${formatShape([info.patchSize, info.outChannels])} · z ${formatShape([info.batch, info.outChannels, info.outHeight, info.outWidth])}`;
      lenses.push(new vscode.CodeLens(range, { title: shapes, command: '' }));
    } else if (problems.length) {
      lenses.push(new vscode.CodeLens(range, { title: problems.length > 1 ? vscode.l10n.t('⚠ {0} problems', problems.length) : vscode.l10n.t('⚠ 1 problem'), command: 'workbench.actions.view.problems' }));
    }
    return lenses;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
