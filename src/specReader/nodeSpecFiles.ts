// The spec reader's file system on Node's fs (the CLI, the debug adapter process).
// Files are named by paths; a read opens without blocking (a FIFO swapped in after
// the stat would otherwise wait for a writer forever) and checks again that it holds
// a regular file.

import * as fs from 'fs';
import * as path from 'path';
import type { SpecFileStat, SpecFileSystem, SpecFileType } from './specFiles';

function typeOf(s: fs.Stats): SpecFileType {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'directory';
  if (s.isFIFO()) return 'fifo';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'device';
  if (s.isSocket()) return 'socket';
  return 'other';
}

/** Node's words for the usual failures ("EACCES: permission denied, open '/x'" says it twice). */
function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ELOOP' ? 'too many levels of links' : (e as Error).message;
}

function readStart(file: string, length: number): Uint8Array {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const s = fs.fstatSync(fd);
    if (!s.isFile()) throw new Error('not a regular file');
    const bytes = new Uint8Array(Math.min(length, s.size));
    let at = 0;
    while (at < bytes.length) {
      const n = fs.readSync(fd, bytes, at, bytes.length - at, at);
      if (n === 0) break;
      at += n;
    }
    return at === bytes.length ? bytes : bytes.subarray(0, at);
  } finally {
    fs.closeSync(fd);
  }
}

export const nodeSpecFiles: SpecFileSystem = {
  beside: (spec, written) => path.resolve(path.dirname(spec), written),
  stat: async file => {
    try {
      const s = fs.statSync(file);
      return { type: typeOf(s), size: s.size } satisfies SpecFileStat;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new Error(reason(e));
    }
  },
  realPath: async file => fs.realpathSync(file),
  read: async (file, length) => {
    try {
      return readStart(file, length);
    } catch (e) {
      throw new Error(reason(e));
    }
  },
};
