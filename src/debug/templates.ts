// How a tensor is read out of another program's debugger through DAP `evaluate`:
// one expression for its shape and dtype, one for a chunk of its values as
// base64 float64 bytes (chunks, so no repr truncation ever cuts the data).
// Placeholders: {expr}, {start}, {end} (element offsets, C order).

export interface InspectTemplate {
  /** Evaluates to JSON text: {"shape": [...], "dtype": "...", "size": n}. */
  meta: string;
  /** Evaluates to base64 of float64 little-endian values [start, end). */
  chunk: string;
}

const PY_VALUE = "(lambda v: v.detach().cpu().numpy() if hasattr(v, 'detach') else v)({expr})";

/** Python (debugpy): numpy arrays, torch tensors, nested lists, scalars. */
export const PYTHON: InspectTemplate = {
  meta: `(lambda np, x: __import__('json').dumps({'shape': list(np.shape(x)), 'dtype': str(np.asarray(x).dtype), 'size': int(np.size(x))}))(__import__('numpy'), ${PY_VALUE})`,
  chunk: `(lambda np, x: __import__('base64').b64encode(np.ascontiguousarray(np.asarray(x, dtype='<f8')).reshape(-1)[{start}:{end}].tobytes()).decode('ascii'))(__import__('numpy'), ${PY_VALUE})`,
};

const JS_SHAPE = 'const shape = []; for (let a = v; Array.isArray(a) || ArrayBuffer.isView(a); a = a[0]) shape.push(a.length);';

/** JavaScript / TypeScript (js-debug): nested arrays, typed arrays. */
export const JAVASCRIPT: InspectTemplate = {
  meta: `(() => { const v = ({expr}); ${JS_SHAPE} return JSON.stringify({ shape, dtype: ArrayBuffer.isView(v) ? v.constructor.name : typeof v === 'number' ? 'number' : 'array', size: shape.reduce((p, d) => p * d, 1) }); })()`,
  chunk: `(() => { const v = ({expr}); const flat = []; const walk = a => { if (Array.isArray(a) || ArrayBuffer.isView(a)) { for (const x of a) walk(x); } else flat.push(Number(a)); }; walk(v); const f = Float64Array.from(flat.slice({start}, {end})); return Buffer.from(f.buffer).toString('base64'); })()`,
};

/** Debug types whose evaluate speaks these languages. */
export const BUILT_IN: Record<string, InspectTemplate> = {
  python: PYTHON, debugpy: PYTHON,
  node: JAVASCRIPT, 'pwa-node': JAVASCRIPT, 'node-terminal': JAVASCRIPT, 'pwa-chrome': JAVASCRIPT, chrome: JAVASCRIPT, 'pwa-msedge': JAVASCRIPT, msedge: JAVASCRIPT, 'pwa-extensionHost': JAVASCRIPT,
};

/** The convVisualDebugger.inspect.templates setting as VS Code's `inspect()` reports it, scope by scope. */
export interface TemplateSetting {
  globalValue?: Record<string, InspectTemplate>;
  workspaceValue?: Record<string, InspectTemplate>;
  workspaceFolderValue?: Record<string, InspectTemplate>;
}

/**
 * The templates for a debug type: the user's own, from user settings only, else
 * the built-in ones. Templates are code run in the debuggee, so a workspace (a
 * cloned repository) must not choose them, whatever VS Code would merge.
 */
export function templateFor(debugType: string, setting: TemplateSetting | undefined): InspectTemplate | undefined {
  const own = setting?.globalValue;
  if (own && Object.hasOwn(own, debugType)) return own[debugType];
  return Object.hasOwn(BUILT_IN, debugType) ? BUILT_IN[debugType] : undefined;
}

export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(expr|start|end)\}/g, (_, k: string) => String(values[k]));
}

/** Elements per evaluate: 48 Ki values = 384 KiB, 512 KiB of base64. */
export const CHUNK_ELEMENTS = 48 * 1024;

/** A debugger's evaluate result for a string: the string's text, quotes and escapes removed. */
export function unquote(result: string): string {
  const r = result.trim();
  if (r.length >= 2 && (r[0] === "'" || r[0] === '"') && r[r.length - 1] === r[0]) {
    const inner = r.slice(1, -1);
    // base64 and our JSON only need \\ and \' / \" undone.
    return inner.replace(/\\(['"\\])/g, '$1');
  }
  return r;
}

export function decodeChunk(base64: string): Float64Array {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  if (bytes.length % 8) throw new Error(`a chunk of ${bytes.length} bytes is not whole float64 values`);
  return new Float64Array(bytes.buffer);
}
