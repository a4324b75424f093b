// A spec is named by a file path (desktop, the adapter process) or by a URI
// string (the browser, virtual workspaces: there is no file path to read).

import * as path from 'path';

const URI_PATTERN = /^[a-zA-Z][\w+.-]+:\/\//;

export function isUriString(spec: string): boolean {
  return URI_PATTERN.test(spec);
}

/** One spelling per spec, so a breakpoint's source compares equal to the spec being run. */
export function canonicalSpec(spec: string): string {
  return isUriString(spec) ? decodeURIComponent(spec) : path.resolve(spec);
}

/** A file the spec names (.npy, image, .npz, .safetensors), relative to the spec's folder. */
export function besideSpec(spec: string, file: string): string {
  return isUriString(spec) ? new URL(file, spec).toString() : path.resolve(path.dirname(spec), file);
}

/** The file name, for frames and titles. */
export function specBaseName(spec: string): string {
  return isUriString(spec) ? decodeURIComponent(new URL(spec).pathname.split('/').pop() ?? spec) : path.basename(spec);
}
