// The walkthrough's examples: the workspace's own copy (examples/NAME, or NAME at
// a folder's root) when it has one, else the copy shipped in the extension, shown
// through a read-only file system so that neither the user's files nor the
// extension's are ever written (and F5 can still read it: it is a real file system).

import * as vscode from 'vscode';
import { TracePanel } from '../panel/tracePanel';

export const EXAMPLE_SCHEME = 'conv-example';
export const WORKED_EXAMPLE = 'seed.conv.json';

/** Names of shipped example files: one segment, no way out of examples/. */
const EXAMPLE_FILE = /^\/[\w-]+(\.conv)?\.(json|npy|png|npz|safetensors)$/;

/** examples/ of the extension, read-only, as conv-example:/NAME. */
class BundledExamples implements vscode.FileSystemProvider {
  private readonly changes = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changes.event;

  constructor(private readonly folder: vscode.Uri) {}

  private shipped(uri: vscode.Uri): vscode.Uri {
    if (!EXAMPLE_FILE.test(uri.path)) throw vscode.FileSystemError.FileNotFound(uri);
    return vscode.Uri.joinPath(this.folder, uri.path);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    if (uri.path === '/') return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0, permissions: vscode.FilePermission.Readonly };
    return { ...await vscode.workspace.fs.stat(this.shipped(uri)), permissions: vscode.FilePermission.Readonly };
  }

  async readDirectory(): Promise<[string, vscode.FileType][]> {
    const entries = await vscode.workspace.fs.readDirectory(this.folder);
    return entries.filter(([name]) => EXAMPLE_FILE.test(`/${name}`));
  }

  readFile(uri: vscode.Uri): Thenable<Uint8Array> {
    return vscode.workspace.fs.readFile(this.shipped(uri));
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => {}); // shipped files do not change
  }

  createDirectory(uri: vscode.Uri): never { throw vscode.FileSystemError.NoPermissions(uri); }
  writeFile(uri: vscode.Uri): never { throw vscode.FileSystemError.NoPermissions(uri); }
  delete(uri: vscode.Uri): never { throw vscode.FileSystemError.NoPermissions(uri); }
  rename(uri: vscode.Uri): never { throw vscode.FileSystemError.NoPermissions(uri); }
}

export function registerBundledExamples(extensionUri: vscode.Uri): vscode.Disposable {
  return vscode.workspace.registerFileSystemProvider(EXAMPLE_SCHEME, new BundledExamples(vscode.Uri.joinPath(extensionUri, 'examples')), { isReadonly: true, isCaseSensitive: true });
}

const exists = (uri: vscode.Uri) => Promise.resolve(vscode.workspace.fs.stat(uri)).then(() => true, () => false);

/** Where an example is: the workspace's copy if it has one, else the shipped, read-only one. */
export async function exampleUri(name: string = WORKED_EXAMPLE): Promise<vscode.Uri | undefined> {
  if (!EXAMPLE_FILE.test(`/${name}`)) return undefined;
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    for (const candidate of [vscode.Uri.joinPath(folder.uri, 'examples', name), vscode.Uri.joinPath(folder.uri, name)]) {
      if (await exists(candidate)) return candidate;
    }
  }
  return vscode.Uri.from({ scheme: EXAMPLE_SCHEME, path: `/${name}` });
}

/** The active group if it shows a text editor; from a walkthrough (or the panel), the group of a text editor beside it, else a new one. */
function exampleColumn(): vscode.ViewColumn {
  const active = vscode.window.tabGroups.activeTabGroup;
  if (!active.activeTab || active.activeTab.input instanceof vscode.TabInputText) return active.viewColumn;
  return vscode.window.tabGroups.all.find(g => g.activeTab?.input instanceof vscode.TabInputText)?.viewColumn ?? vscode.ViewColumn.Beside;
}

/** Opens an example (the walkthrough's steps stay in view); returns its URI (as a string: commands answer in JSON). */
export async function openExample(name?: unknown): Promise<string | undefined> {
  const uri = await exampleUri(typeof name === 'string' ? name : WORKED_EXAMPLE);
  if (!uri) return undefined;
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: false, viewColumn: exampleColumn() });
  return uri.toString();
}

/** F5 on the worked example, wherever the focus is (a walkthrough's button leaves no spec editor active). */
export async function debugExample(): Promise<boolean> {
  const uri = await exampleUri();
  if (!uri) return false;
  // The spec in front in a group without the panel: the debugger shows its source there, not over the panel.
  const panelColumn = TracePanel.active?.viewColumn;
  const column = vscode.window.tabGroups.all.map(g => g.viewColumn).find(c => c !== panelColumn) ?? vscode.ViewColumn.One;
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { viewColumn: column, preview: false });
  const spec = uri.scheme === 'file' ? uri.fsPath : uri.toString();
  return vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(uri), { type: 'conv', request: 'launch', name: vscode.l10n.t('Debug the worked example'), spec, stopOnEntry: true });
}
