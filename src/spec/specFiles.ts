// The one place that reads the .npy files a spec names, on any file system (Node's
// for the CLI and the debug adapter process, VS Code's workspace file system in the
// extension host and the browser). A file is looked at before it is opened: only a
// regular file, of a size its element limit allows, whose header declares no more
// elements than the limit and no more data than the file holds, is read. A file that
// cannot be used is kept with the reason, which the spec reader reports at $.key.npy.

import { TOTAL_FACTOR } from '../engine/budget';
import { NPY_HEADER_ROOM, NpyError, checkNpyData, readNpyHeader } from './npy';

export type SpecFileType = 'file' | 'directory' | 'fifo' | 'device' | 'socket' | 'other';

export interface SpecFileStat {
  /** Of the file a link points to. */
  type: SpecFileType;
  size: number;
}

/** What the reader needs of a file system; files are named as the implementation names them (paths, URI strings). */
export interface SpecFileSystem {
  /** The file a path written in a spec names: beside the spec, `..` resolved. */
  beside(spec: string, written: string): string;
  /** The file's type and size, links followed; undefined when there is nothing there. Never opens the file. */
  stat(file: string): Promise<SpecFileStat | undefined>;
  /** The file's location with every link resolved, named like a folder given to `readSpecFiles` ('/'-separated). */
  realPath(file: string): Promise<string>;
  /** The file's first `length` bytes (fewer if it is shorter). */
  read(file: string, length: number): Promise<Uint8Array>;
}

/** Why a file a spec names cannot be used, in words that follow its name ("x.npy: <problem>"). */
export interface NpyUnavailable {
  problem: string;
}

/** A .npy file's bytes, or why they could not be read. */
export type NpyFile = Uint8Array | NpyUnavailable;

/** The .npy files a spec refers to, by the path written in it; a missing file is absent. */
export type NpyFiles = ReadonlyMap<string, NpyFile>;

export interface SpecFileLimits {
  /** The largest array a file may hold (the trace's element limit). */
  maxElements: number;
  /** When given, files must lie inside this folder (named like `realPath`'s results), links resolved. */
  folder?: string;
}

/** Largest file accepted for a limit: the header, then 8-byte elements. */
export function maxNpyBytes(maxElements: number): number {
  return NPY_HEADER_ROOM + maxElements * 8;
}

/** Whether `file` is `folder` or lies below it ('/'-separated names, as URIs and POSIX paths are). */
export function isInsideFolder(folder: string, file: string): boolean {
  const root = folder.endsWith('/') ? folder : folder + '/';
  return file === folder || file.startsWith(root);
}

const TYPE_NAMES: Record<Exclude<SpecFileType, 'file'>, string> = {
  directory: 'a directory', fifo: 'a FIFO', device: 'a device', socket: 'a socket', other: 'a FIFO, device or socket',
};

function notRegular(type: Exclude<SpecFileType, 'file'>): string {
  return `not a regular file (${TYPE_NAMES[type]})`;
}

/** A whole file (a spec), read only when it is a regular file: a FIFO or a device is refused, not waited on. */
export async function readRegularFile(fs: SpecFileSystem, file: string): Promise<Uint8Array> {
  const stat = await fs.stat(file);
  if (!stat) throw new Error('no such file');
  if (stat.type !== 'file') throw new Error(notRegular(stat.type));
  return fs.read(file, stat.size);
}

/** The last segment of a folder's name, for messages. */
function folderName(folder: string): string {
  return decodeURIComponent(folder.replace(/\/+$/, '').split('/').pop() ?? folder);
}

async function readNpyFile(fs: SpecFileSystem, file: string, limits: SpecFileLimits & { room: number }, folder: string | undefined): Promise<NpyFile | undefined> {
  const stat = await fs.stat(file);
  if (!stat) return undefined;
  if (folder !== undefined && !isInsideFolder(folder, await fs.realPath(file))) {
    return { problem: `the file is outside the workspace folder "${folderName(limits.folder ?? folder)}"; a spec reads .npy files from its own workspace folder only` };
  }
  if (stat.type !== 'file') return { problem: notRegular(stat.type) };
  if (stat.size > maxNpyBytes(limits.maxElements)) {
    return { problem: `the file is ${stat.size} bytes, more than the element limit of ${limits.maxElements} allows` };
  }
  if (stat.size > limits.room) {
    return { problem: `the file is ${stat.size} bytes, more than the ${limits.room} bytes left for the spec's .npy files together (${TOTAL_FACTOR} × what the element limit of ${limits.maxElements} allows one file)` };
  }
  try {
    const header = readNpyHeader(await fs.read(file, Math.min(stat.size, NPY_HEADER_ROOM)));
    const { count } = checkNpyData(header, stat.size);
    if (count > limits.maxElements) return { problem: `the .npy array has ${count} elements, more than the element limit of ${limits.maxElements}` };
  } catch (e) {
    if (e instanceof NpyError) return { problem: e.message };
    throw e;
  }
  return fs.read(file, stat.size);
}

/** Reads the .npy files named in a spec (see the file's head); never throws for a file, never opens one that is not regular. */
export async function readSpecFiles(spec: string, written: readonly string[], fs: SpecFileSystem, limits: SpecFileLimits): Promise<Map<string, NpyFile>> {
  const files = new Map<string, NpyFile>();
  let folder: string | undefined;
  // Each file is bounded by the element limit; together they are bounded as a trace's tensors are.
  let room = TOTAL_FACTOR * maxNpyBytes(limits.maxElements);
  for (const name of new Set(written)) {
    try {
      folder ??= limits.folder === undefined ? undefined : await fs.realPath(limits.folder);
      const file = await readNpyFile(fs, fs.beside(spec, name), { ...limits, room }, folder);
      if (file instanceof Uint8Array) room -= file.length;
      if (file) files.set(name, file);
    } catch (e) {
      files.set(name, { problem: `cannot be read: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
  return files;
}

/** A spec's file by the path written in it: its bytes, or the problem to report at its key. */
export function npyBytes(npy: NpyFiles, written: string): Uint8Array | string {
  const file = npy.get(written);
  if (file === undefined) return `missing .npy file "${written}" (paths are relative to the spec)`;
  return file instanceof Uint8Array ? file : `${written}: ${file.problem}`;
}
