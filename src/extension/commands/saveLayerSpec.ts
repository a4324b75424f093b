// "Conv: Save Layer as Spec…": a layer of the network the panel shows (a model's node) written as a spec of its own,
// with the input that entered it, its weights and the δ that reached it in the run (engine/layerSpec.ts), its tensors
// in one .npy or .safetensors beside the spec. Nothing is written unless the user picks the path; a tensors' file
// already there is replaced only when the user says so (the save dialog asks about the spec itself).

import * as path from 'path';
import * as vscode from 'vscode';
import type { LayerSpecFiles } from '../../specReader/layerSpecFile';

/** How a shown layer of a kept network run is saved as a spec. */
export interface LayerSaving {
  /** Its index in the network. */
  layer: number;
  /** Where the save dialog starts: beside the spec or model the run was made from. */
  defaultUri: vscode.Uri;
  /** The spec's "description": which layer of which run. */
  about: string;
  /** Its files for a spec named `specName`; without a name, whether it can be a spec at all (rejects with why not). */
  files(specName?: string): Promise<LayerSpecFiles | undefined>;
}

/** A file name made of a layer's name: `/conv1/Conv` → `conv1_Conv`. */
export function fileNameOf(name: string): string {
  return name.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^[_.]+|_+$/g, '') || 'layer';
}

/** Where the dialog starts: `<stem>.<layer>.conv.json` beside `source` (the spec or the model), or in the first workspace folder. */
export function defaultSpecUri(source: vscode.Uri | undefined, layerName: string): vscode.Uri | undefined {
  const folder = source ? vscode.Uri.joinPath(source, '..') : vscode.workspace.workspaceFolders?.[0]?.uri;
  if (!folder) return undefined;
  const stem = source ? path.posix.basename(source.path).replace(/(\.conv)?\.(json|onnx)$/i, '') : 'model';
  return vscode.Uri.joinPath(folder, `${fileNameOf(stem)}.${fileNameOf(layerName)}.conv.json`);
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/** Asks where, writes the spec and its tensors' file, and opens the spec; undefined when nothing was written. */
export async function saveLayerSpec(saving: LayerSaving, explain: (e: unknown) => string): Promise<vscode.Uri | undefined> {
  try {
    // A layer that cannot be a spec says why before any dialog.
    await saving.files();
  } catch (e) {
    void vscode.window.showWarningMessage(vscode.l10n.t('This layer cannot be saved as a spec: {0}', explain(e)));
    return undefined;
  }
  const target = await vscode.window.showSaveDialog({
    defaultUri: saving.defaultUri, filters: { [vscode.l10n.t('Conv spec')]: ['json'] }, title: vscode.l10n.t('Save Layer as Spec…'),
  });
  if (!target) return undefined;
  const files = await saving.files(path.posix.basename(target.path));
  if (!files) return undefined;
  const tensors = vscode.Uri.joinPath(target, '..', files.tensors.name);
  if (await exists(tensors)) {
    const replace = vscode.l10n.t('Replace');
    const choice = await vscode.window.showWarningMessage(vscode.l10n.t('{0} already exists beside the spec. Replace it with this layer\'s tensors?', files.tensors.name), { modal: true }, replace);
    if (choice !== replace) return undefined;
  }
  await vscode.workspace.fs.writeFile(tensors, files.tensors.bytes);
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(files.json));
  await vscode.window.showTextDocument(target, { preview: false, viewColumn: vscode.ViewColumn.One });
  vscode.window.setStatusBarMessage(vscode.l10n.t('Saved {0} and {1}', vscode.workspace.asRelativePath(target, false), files.tensors.name), 5000);
  return target;
}
