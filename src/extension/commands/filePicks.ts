// Tensors from the workspace's files, for the selection run: a quick pick of the tensor
// files (.npy, .npz, .safetensors, .pt/.pth, .onnx, images), then of the chosen file's
// tensors with their shapes and stored dtypes, listed from its headers (no tensor is
// decoded). A file is read as the files a spec names are (WorkspaceFiles: the spec's
// workspace folder only, regular files, sizes checked), from where the spec will be.

import * as path from 'path';
import * as vscode from 'vscode';
import { formatShape } from '../../engine/tensor';
import { shownProblem } from '../../specReader/problemText';
import type { Problem } from '../../specReader/problemCodes';
import { ListedTensor, SOURCE_EXTENSIONS, SOURCE_FORMATS, SourceFormat, formatOfFile, listSourceTensors, sourceLabel } from '../../specReader/tensorSource';
import { displayLocale } from '../displayLocale';
import type { WorkspaceFiles } from '../workspaceFiles';
import type { Pick } from './selectionRun';

/** The most files offered (a workspace of data sets may hold many more: typing filters these). */
const MAX_FILES = 500;

/** Every file a tensor may be read from. */
const TENSOR_FILES = `**/*.{${SOURCE_FORMATS.flatMap(f => SOURCE_EXTENSIONS[f]).join(',')}}`;

/** A tensor of a workspace file, as a spec names it. */
export interface FileTensor {
  uri: vscode.Uri;
  format: SourceFormat;
  /** Its key in a file of several. */
  key?: string;
  shape: number[];
}

/** The path a spec at `spec` writes for `file`: relative to the spec's folder, '/'-separated. */
export function pathFrom(spec: vscode.Uri, file: vscode.Uri): string {
  return path.posix.relative(path.posix.dirname(spec.path), file.path);
}

/** How a file's tensor is named in labels: "models/m.safetensors[conv1.weight]". */
export function fileTensorLabel(t: FileTensor): string {
  return sourceLabel({ file: vscode.workspace.asRelativePath(t.uri, false), key: t.key });
}

export class FileTensorPicks {
  private found?: Thenable<vscode.Uri[]>;

  /** `spec`: where the spec will be (its files are read from its workspace folder); `title`: the picks' title. */
  constructor(private readonly files: WorkspaceFiles, private readonly spec: vscode.Uri, private readonly title: string) {}

  /** Whether there is any file to pick from (looked for once). */
  async any(): Promise<boolean> {
    return (await this.tensorFiles()).length > 0;
  }

  /** The item of a role's quick pick that leads here. */
  item<T>(value: T): Pick<T> {
    return { label: `$(file-binary) ${vscode.l10n.t('From a file in the workspace…')}`, description: '.npy .npz .safetensors .pt .onnx .png .jpg', value };
  }

  /** A file's tensor for `role`, of those that `fit` it; undefined when the user gives up. */
  async pick(role: string, fits: (shape: number[]) => boolean): Promise<FileTensor | undefined> {
    for (;;) {
      const uri = await this.pickFile(role);
      if (!uri) return undefined;
      const tensor = await this.pickTensor(uri, role, fits);
      if (tensor) return tensor;
    }
  }

  private tensorFiles(): Thenable<vscode.Uri[]> {
    // An untitled document outside any workspace has no folder to look in.
    if (this.spec.scheme === 'untitled') return Promise.resolve([]);
    this.found ??= vscode.workspace.findFiles(new vscode.RelativePattern(this.files.folderOf(this.spec), TENSOR_FILES), '**/node_modules/**', MAX_FILES)
      // A search that fails offers no files rather than failing the run.
      .then(found => found.filter(u => formatOfFile(u.path)).sort((a, b) => a.path.localeCompare(b.path)), () => []);
    return this.found;
  }

  private async pickFile(role: string): Promise<vscode.Uri | undefined> {
    const items = (await this.tensorFiles()).map(uri => ({ label: path.posix.basename(uri.path), description: vscode.workspace.asRelativePath(uri, false), value: uri }));
    const chosen = await vscode.window.showQuickPick(items, { title: this.title, placeHolder: vscode.l10n.t('Which file holds the {0}?', role), matchOnDescription: true, ignoreFocusOut: true });
    return chosen?.value;
  }

  /** The file's tensors (a file of one too, so its shape is said); undefined to go back to the files. */
  private async pickTensor(uri: vscode.Uri, role: string, fits: (shape: number[]) => boolean): Promise<FileTensor | undefined> {
    const format = formatOfFile(uri.path)!;
    const listed = await this.list(uri, format);
    if (!Array.isArray(listed)) {
      void vscode.window.showWarningMessage(shownProblem(listed, displayLocale()));
      return undefined;
    }
    const name = path.posix.basename(uri.path);
    const items = listed.map(t => this.tensorItem(name, format, t, fits(t.shape))).sort((a, b) => Number(b.fits) - Number(a.fits));
    for (;;) {
      const chosen = await vscode.window.showQuickPick(items, { title: this.title, placeHolder: vscode.l10n.t('Which tensor of {0} is the {1}?', name, role), matchOnDescription: true, ignoreFocusOut: true });
      if (!chosen) return undefined;
      if (chosen.fits) return { uri, format, key: chosen.value.key, shape: chosen.value.shape };
      void vscode.window.showWarningMessage(vscode.l10n.t('{0} {1} cannot be the {2}.', chosen.label, formatShape(chosen.value.shape), role));
    }
  }

  private tensorItem(name: string, format: SourceFormat, t: ListedTensor, fits: boolean): Pick<ListedTensor> & { fits: boolean } {
    return {
      label: t.key ?? name,
      description: `${formatShape(t.shape)} · ${t.dtype}${fits ? '' : ` · ${vscode.l10n.t('does not fit')}`}`,
      detail: format === 'image' ? vscode.l10n.t('Read with the default options: full size, values as stored ("size", "scale" and "normalize" can be added to a saved spec).') : undefined,
      fits,
      value: t,
    };
  }

  /** What the file holds, read as the spec will read it; or why it cannot be. */
  private async list(uri: vscode.Uri, format: SourceFormat): Promise<ListedTensor[] | Problem> {
    const written = pathFrom(this.spec, uri);
    const file = await this.files.tensorFile(this.spec, written, format);
    if (file === undefined) return { code: 'spec.npyMissing', args: { file: written } };
    const listed = file instanceof Uint8Array ? listSourceTensors(format, file) : file.problem;
    return Array.isArray(listed) ? listed : { ...listed, file: written };
  }
}
