// The one place that reads the files a spec names (.npy, images, .npz, .safetensors, .pt, .onnx),
// on any file system (Node's for the CLI and the debug adapter process, VS Code's
// workspace file system in the extension host and the browser). A file is looked at
// before it is opened: only a regular file, of a size its element limit allows, is
// read; an .npy header must declare no more elements than the limit and no more data
// than the file holds, an image header no more pixel values than the limit. A file that
// cannot be used is kept with the reason, which the spec reader reports at its key
// ($.input.npy, $.input.image). The arrays of a file of several (.npz, .safetensors, .pt, .onnx) are checked when
// the spec reader picks one (tensorSource.ts).

import { TOTAL_FACTOR } from '../engine/budget';
import { TensorFileError } from './fileError';
import { checkImageSize, readImageHeader } from './image';
import { NPY_HEADER_ROOM, checkNpyData, readNpyHeader } from './npy';
import type { Problem, SpecProblem } from './problemCodes';
import { english } from './problemText.en';
import type { SourceFormat, SpecFileReference } from './tensorSource';

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

/** Why a file a spec names cannot be used (rendered after its name: "x.npy: <problem>"). */
export interface NpyUnavailable {
  problem: SpecProblem;
}

/** A file's bytes, or why they could not be read. */
export type NpyFile = Uint8Array | NpyUnavailable;

/** The files a spec refers to (.npy, images, .npz, .safetensors, .pt, .onnx), by the path written in it; a missing file is absent. */
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

function notRegular(type: Exclude<SpecFileType, 'file'>): SpecProblem {
  return { code: 'file.notRegular', args: { type } };
}

/** A whole file (a spec), read only when it is a regular file: a FIFO or a device is refused, not waited on. */
export async function readRegularFile(fs: SpecFileSystem, file: string): Promise<Uint8Array> {
  const stat = await fs.stat(file);
  if (!stat) throw new Error('no such file');
  if (stat.type !== 'file') throw new Error(english(notRegular(stat.type)));
  return fs.read(file, stat.size);
}

/** The last segment of a folder's name, for messages. */
function folderName(folder: string): string {
  return decodeURIComponent(folder.replace(/\/+$/, '').split('/').pop() ?? folder);
}

/** Refuses an .npy file whose header declares more elements, or more data, than allowed. */
async function checkNpyHeader(fs: SpecFileSystem, file: string, size: number, maxElements: number): Promise<SpecProblem | undefined> {
  const header = readNpyHeader(await fs.read(file, Math.min(size, NPY_HEADER_ROOM)));
  const { count } = checkNpyData(header, size);
  return count > maxElements ? { code: 'file.tooMany', args: { count, limit: maxElements } } : undefined;
}

/** Refuses an image whose header declares more pixel values than allowed (before its pixels are decoded). */
function checkImageHeader(bytes: Uint8Array, maxElements: number): void {
  const h = readImageHeader(bytes);
  checkImageSize(h.width, h.height, h.channels, maxElements);
}

async function readSpecFile(fs: SpecFileSystem, file: string, format: SourceFormat, limits: SpecFileLimits & { room: number }, folder: string | undefined): Promise<NpyFile | undefined> {
  const stat = await fs.stat(file);
  if (!stat) return undefined;
  if (folder !== undefined && !isInsideFolder(folder, await fs.realPath(file))) {
    return { problem: { code: 'file.outside', args: { folder: folderName(limits.folder ?? folder) } } };
  }
  if (stat.type !== 'file') return { problem: notRegular(stat.type) };
  if (stat.size > maxNpyBytes(limits.maxElements)) {
    return { problem: { code: 'file.tooBig', args: { size: stat.size, limit: limits.maxElements } } };
  }
  if (stat.size > limits.room) {
    return { problem: { code: 'file.noRoom', args: { size: stat.size, room: limits.room, factor: TOTAL_FACTOR, limit: limits.maxElements } } };
  }
  try {
    if (format === 'npy') {
      const tooMany = await checkNpyHeader(fs, file, stat.size, limits.maxElements);
      if (tooMany) return { problem: tooMany };
    }
    const bytes = await fs.read(file, stat.size);
    if (format === 'image') checkImageHeader(bytes, limits.maxElements);
    return bytes;
  } catch (e) {
    if (e instanceof TensorFileError) return { problem: e.problem };
    throw e;
  }
}

/** Reads the files named in a spec (see the file's head); never throws for a file, never opens one that is not regular. */
export async function readSpecFiles(spec: string, references: readonly SpecFileReference[], fs: SpecFileSystem, limits: SpecFileLimits): Promise<Map<string, NpyFile>> {
  const files = new Map<string, NpyFile>();
  let folder: string | undefined;
  // Each file is bounded by the element limit; together they are bounded as a trace's tensors are.
  let room = TOTAL_FACTOR * maxNpyBytes(limits.maxElements);
  // A file named twice is read once, in the format it is first named with.
  const formats = new Map<string, SourceFormat>();
  for (const r of references) if (!formats.has(r.file)) formats.set(r.file, r.format);
  for (const [name, format] of formats) {
    try {
      folder ??= limits.folder === undefined ? undefined : await fs.realPath(limits.folder);
      const file = await readSpecFile(fs, fs.beside(spec, name), format, { ...limits, room }, folder);
      if (file instanceof Uint8Array) room -= file.length;
      if (file) files.set(name, file);
    } catch (e) {
      files.set(name, { problem: { code: 'file.unreadable', args: { why: e instanceof Error ? e.message : String(e) } } });
    }
  }
  return files;
}

/** A spec's file by the path written in it: its bytes, or the problem to report at its key. */
export function npyBytes(npy: NpyFiles, written: string): Uint8Array | Problem {
  const file = npy.get(written);
  if (file === undefined) return { code: 'spec.npyMissing', args: { file: written } };
  return file instanceof Uint8Array ? file : { ...file.problem, file: written };
}
