// The files a spec names, as the extension reads them: through the workspace file
// system (also in the browser), and only from the spec's workspace folder (its own
// folder when it is in none), `..` and links resolved, whether or not the workspace
// is trusted: opening a spec must not read whatever file it points at.

import * as vscode from 'vscode';
import { NpyFile, NpyFiles, SpecFileSystem, SpecFileType, readSpecFiles } from '../specReader/specFiles';
import { SourceFormat, SpecFileReference, specFileReferences } from '../specReader/tensorSource';
import { traceSettings } from './traceSettings';

/** Resolves the links of a file: URI (the desktop host, with Node's fs); absent where there is no disk to look at. */
export type RealPath = (uri: vscode.Uri) => Promise<vscode.Uri>;

function typeOf(type: vscode.FileType): SpecFileType {
  // A link's stat is its target's, with the SymbolicLink bit added; FIFOs, devices and sockets are Unknown.
  if (type & vscode.FileType.File) return 'file';
  if (type & vscode.FileType.Directory) return 'directory';
  return 'other';
}

function isNotFound(e: unknown): boolean {
  return e instanceof vscode.FileSystemError && (e.code === 'FileNotFound' || e.code === 'FileNotADirectory');
}

export class WorkspaceFiles {
  constructor(private readonly resolveLinks?: RealPath) {}

  /**
   * The workspace file system, naming files by what `toUri` reads (URI strings by default).
   * It has no range read: a file read for its header is kept for the read of its data.
   */
  fileSystem(toUri: (name: string) => vscode.Uri = s => vscode.Uri.parse(s)): SpecFileSystem {
    let last: { file: string; bytes: Uint8Array } | undefined;
    return {
      beside: (spec, written) => vscode.Uri.joinPath(toUri(spec), '..', written).toString(),
      stat: async file => {
        try {
          const s = await vscode.workspace.fs.stat(toUri(file));
          return { type: typeOf(s.type), size: s.size };
        } catch (e) {
          if (isNotFound(e)) return undefined;
          throw e;
        }
      },
      realPath: async file => {
        const uri = toUri(file);
        return (uri.scheme === 'file' && this.resolveLinks ? await this.resolveLinks(uri) : uri).toString();
      },
      read: async (file, length) => {
        if (last?.file !== file) last = { file, bytes: await vscode.workspace.fs.readFile(toUri(file)) };
        return last.bytes.length > length ? last.bytes.subarray(0, length) : last.bytes;
      },
    };
  }

  /** Where a spec's files must lie: its workspace folder, or its own folder outside any. */
  folderOf(spec: vscode.Uri): vscode.Uri {
    return vscode.workspace.getWorkspaceFolder(spec)?.uri ?? vscode.Uri.joinPath(spec, '..');
  }

  /** The files a spec names (.npy, images, .npz, .safetensors, .pt, .onnx), by the path written in it (each file's problem, if it cannot be used). */
  npyFiles(spec: vscode.Uri, value: unknown): Promise<NpyFiles> {
    return this.read(spec, specFileReferences(value));
  }

  /** One file as a spec at `spec` would name it (`written`, beside the spec), read as the spec's files are; undefined when it is not there. */
  async tensorFile(spec: vscode.Uri, written: string, format: SourceFormat): Promise<NpyFile | undefined> {
    return (await this.read(spec, [{ file: written, format }])).get(written);
  }

  private read(spec: vscode.Uri, references: SpecFileReference[]): Promise<NpyFiles> {
    return readSpecFiles(spec.toString(), references, this.fileSystem(), { maxElements: traceSettings().maxElements, folder: this.folderOf(spec).toString() });
  }
}
