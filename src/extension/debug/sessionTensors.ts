// Reads a tensor out of any debug session through DAP `evaluate` in the selected
// frame: Python (debugpy), JavaScript (js-debug), or a template from the
// convVisualDebugger.inspect.templates setting for other debuggers.

import * as vscode from 'vscode';
import type { Tensor } from '../../engine/tensor';
import { CHUNK_ELEMENTS, InspectTemplate, TemplateSetting, decodeChunk, fill, templateFor, unquote } from '../../debug/templates';

export class InspectError extends Error {}

export interface InspectedTensor {
  expression: string;
  /** The program's dtype name (float32, int64, Float32Array, ...). */
  sourceDtype: string;
  tensor: Tensor;
}

function sessionTemplate(session: vscode.DebugSession): InspectTemplate {
  // inspect(), not get(): get() would merge in workspace and folder values.
  const t = templateFor(session.type, vscode.workspace.getConfiguration('convVisualDebugger.inspect').inspect<TemplateSetting['globalValue']>('templates'));
  if (!t) {
    throw new InspectError(vscode.l10n.t('Conv Visual Debugger does not know how to read tensors from "{0}" sessions. Add evaluate templates for it in the {1} setting.', session.type, 'convVisualDebugger.inspect.templates'));
  }
  return t;
}

/** The frame to evaluate in: the one selected in the Call Stack view, if any. */
export function selectedFrame(session: vscode.DebugSession): number | undefined {
  const item = vscode.debug.activeStackItem;
  return item instanceof vscode.DebugStackFrame && item.session.id === session.id ? item.frameId : undefined;
}

async function evaluate(session: vscode.DebugSession, frameId: number | undefined, expression: string): Promise<string> {
  let lastError: unknown;
  // 'clipboard' asks for the whole value (no repr truncation); not every debugger supports it.
  for (const context of ['clipboard', 'repl']) {
    try {
      const r = await session.customRequest('evaluate', { expression, frameId, context });
      return String(r.result ?? '');
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

export async function fetchTensor(session: vscode.DebugSession, expression: string, maxElements: number, frameId = selectedFrame(session)): Promise<InspectedTensor> {
  const template = sessionTemplate(session);
  let meta: { shape: number[]; dtype: string; size: number };
  try {
    meta = JSON.parse(unquote(await evaluate(session, frameId, fill(template.meta, { expr: expression }))));
  } catch (e) {
    const why = e instanceof SyntaxError ? vscode.l10n.t('its shape could not be read') : (e as Error).message;
    throw new InspectError(vscode.l10n.t('"{0}" is not a tensor the debugger can hand over: {1}', expression, why));
  }
  if (!Array.isArray(meta.shape) || meta.shape.some(d => !Number.isInteger(d) || d < 0)) throw new InspectError(vscode.l10n.t('"{0}" is not a regular numeric array (shape {1})', expression, JSON.stringify(meta.shape)));
  if (/^(object|<?U\d*|str|\|?S\d*|<?M8|<?m8|complex)/.test(meta.dtype)) {
    throw new InspectError(vscode.l10n.t('"{0}" is not numeric: its values are {1}', expression, meta.dtype === 'object' ? vscode.l10n.t('Python objects (a function, a ragged list, ...)') : meta.dtype));
  }
  if (meta.size > maxElements) {
    throw new InspectError(vscode.l10n.t('"{0}" has {1} values (shape ({2})), over the limit of {3} ({4})', expression, meta.size.toLocaleString('en-US'), meta.shape.join(', '), maxElements.toLocaleString('en-US'), 'convVisualDebugger.inspect.maxElements'));
  }
  const data = new Float64Array(meta.size);
  for (let start = 0; start < meta.size; start += CHUNK_ELEMENTS) {
    const end = Math.min(meta.size, start + CHUNK_ELEMENTS);
    let chunk: Float64Array;
    let answer = '';
    try {
      answer = unquote(await evaluate(session, frameId, fill(template.chunk, { expr: expression, start, end })));
      chunk = decodeChunk(answer);
    } catch (e) {
      const said = answer ? ` ${vscode.l10n.t('(the debugger answered: {0})', `${answer.slice(0, 120)}${answer.length > 120 ? '…' : ''}`)}` : '';
      throw new InspectError(vscode.l10n.t('reading "{0}" failed at value {1}: {2}', expression, start, `${(e as Error).message}${said}`));
    }
    if (chunk.length !== end - start) throw new InspectError(vscode.l10n.t('reading "{0}" at value {1}: got {2} values, expected {3}', expression, start, chunk.length, end - start));
    data.set(chunk, start);
  }
  return { expression, sourceDtype: meta.dtype, tensor: { shape: meta.shape, dtype: 'float64', data } };
}
