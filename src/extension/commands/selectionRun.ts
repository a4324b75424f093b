// Run on a selection: the array selected in any JSON file becomes the input (or
// another role), quick picks offer the file's other tensors that fit the other
// roles (compatible shapes first) and the geometry, with sensible defaults.
// The choices can be saved as a new spec file, only when the user asks.

import * as path from 'path';
import * as vscode from 'vscode';
import { formatShape } from '../../engine/tensor';
import { inferShape, numericValue } from '../../spec/nested';
import { LocatedTensor, tensorAt } from '../../spec/locator';
import { jsonPath } from '../../spec/source';
import { parse } from 'jsonc-parser';
import type { ConvRunner, RunResult } from './runConv';
import type { JsonDocuments } from '../language/jsonDocuments';

type Role = 'input' | 'weight' | 'bias' | 'grad';

interface Candidate {
  /** e.g. `$.x` or `selection`. */
  label: string;
  shape: number[];
  value: unknown;
}

/** Rank promotions a learner expects: an image (H, W) is one channel of one batch item, and so on. */
function promote(role: Role, c: Candidate): Candidate | undefined {
  const r = c.shape.length;
  const wrap = (times: number): Candidate => {
    let value = c.value;
    for (let i = 0; i < times; i++) value = [value];
    return { ...c, shape: [...new Array(times).fill(1), ...c.shape], value };
  };
  if (role === 'bias') return r === 1 ? c : undefined;
  if (r === 4) return c;
  if (r === 3) return wrap(1);
  if (r === 2) return wrap(2);
  return undefined;
}

function isNumericBlock(value: unknown): boolean {
  const shape = inferShape(value);
  if (!shape.length || shape.includes(0)) return false;
  const check = (v: unknown, d: number): boolean => d === shape.length
    ? numericValue(v) !== undefined
    : Array.isArray(v) && v.length === shape[d] && v.every(x => check(x, d + 1));
  return check(value, 0);
}

function tensorValue(text: string, t: LocatedTensor): unknown {
  return parse(text.slice(t.offset, t.offset + t.length));
}

interface Pick<T> extends vscode.QuickPickItem { value: T }

async function pick<T>(title: string, placeHolder: string, items: Pick<T>[]): Promise<T | undefined> {
  const chosen = await vscode.window.showQuickPick(items, { title, placeHolder, matchOnDescription: true, ignoreFocusOut: true });
  return chosen?.value;
}

export const GEOMETRIES: { label: string; stride: number; padding: number | 'same'; dilation: number }[] = [
  { label: 'stride 1, no padding', stride: 1, padding: 0, dilation: 1 },
  { label: 'stride 1, padding "same"', stride: 1, padding: 'same', dilation: 1 },
  { label: 'stride 1, padding 1', stride: 1, padding: 1, dilation: 1 },
  { label: 'stride 2, padding 1', stride: 2, padding: 1, dilation: 1 },
  { label: 'stride 1, dilation 2, no padding', stride: 1, padding: 0, dilation: 2 },
];

/** `stride=2 padding=1 dilation=1 groups=1` → options, or a message. */
export function parseGeometry(text: string): Record<string, unknown> | string {
  const out: Record<string, unknown> = {};
  for (const part of text.trim().split(/[\s,;]+/).filter(Boolean)) {
    const m = /^(stride|padding|dilation|groups)\s*=\s*(.+)$/.exec(part);
    if (!m) return `"${part}" is not key=value with key stride, padding, dilation or groups`;
    const v = m[2];
    if (m[1] === 'padding' && (v === 'same' || v === 'valid')) { out.padding = v; continue; }
    const nums = v.split('x').map(Number);
    if (nums.some(n => !Number.isInteger(n))) return `${m[1]} must be an integer (or HxW), got "${v}"`;
    out[m[1]] = nums.length === 1 ? nums[0] : nums;
  }
  return out;
}

export class SelectionRun {
  constructor(private readonly documents: JsonDocuments, private readonly runner: ConvRunner) {}

  /** The selected array, or the tensor the selection is in; undefined when the selection is not on numbers. */
  selected(editor: vscode.TextEditor): Candidate | undefined {
    const doc = editor.document;
    const text = doc.getText(editor.selection);
    const direct = parse(text);
    if (isNumericBlock(direct)) return { label: 'the selection', shape: inferShape(direct), value: direct };
    const t = tensorAt(this.documents.scan(doc), doc.offsetAt(editor.selection.start));
    return t && !t.ragged ? { label: jsonPath(t.path), shape: t.shape, value: tensorValue(doc.getText(), t) } : undefined;
  }

  async run(editor: vscode.TextEditor): Promise<RunResult | undefined> {
    const doc = editor.document;
    const selected = this.selected(editor);
    if (!selected) {
      void vscode.window.showWarningMessage('Select a numeric array (or put the cursor in one) to run a convolution on it.');
      return undefined;
    }
    const fileName = path.basename(doc.uri.path);
    const title = `Run Conv Forward/Backward on ${selected.label} ${formatShape(selected.shape)}`;
    const roles: Role[] = selected.shape.length === 1 ? ['bias', 'input', 'weight'] : ['input', 'weight', 'grad'];
    const role = await pick(title, 'Use the selected array as…', roles.map((r, i) => ({ label: r, description: i === 0 ? 'default' : undefined, value: r })));
    if (!role) return undefined;
    const chosen: Partial<Record<Role, Candidate>> = {};
    const asRole = promote(role, selected);
    if (!asRole) {
      void vscode.window.showWarningMessage(`A ${selected.shape.length}-D array cannot be the ${role}: it needs ${role === 'bias' ? '1' : '2, 3 or 4'} dimensions.`);
      return undefined;
    }
    chosen[role] = asRole;

    const scan = this.documents.scan(doc);
    const text = doc.getText();
    // Every other tensor of the file: not the one the selection is in.
    const selectedAt = doc.offsetAt(editor.selection.start);
    const others = scan.tensors.filter(t => !t.ragged && !(selectedAt >= t.offset && selectedAt < t.offset + t.length))
      .map(t => ({ label: jsonPath(t.path), shape: t.shape, located: t }));
    const load = (o: (typeof others)[number]): Candidate => ({ label: o.label, shape: o.shape, value: tensorValue(text, o.located) });

    // The input and the weight are required; offer what fits first.
    if (!chosen.input) {
      const w = chosen.weight;
      const items = others.map(o => {
        const p = promote('input', { label: o.label, shape: o.shape, value: undefined });
        const fits = p !== undefined && (!w || p.shape[1] % w.shape[1] === 0);
        return { label: o.label, description: `${formatShape(o.shape)}${fits ? '' : ' · does not fit'}`, fits, value: o as (typeof others)[number] | undefined };
      }).sort((a, b) => Number(b.fits) - Number(a.fits));
      const o = await pick(title, 'Which array is the input (B, Cin, H, W)?', items);
      if (!o) return undefined;
      chosen.input = promote('input', load(o));
      if (!chosen.input) return undefined;
    }
    const C = chosen.input.shape[1];
    if (!chosen.weight) {
      const [, , H, W] = chosen.input.shape;
      const items: Pick<Candidate | undefined>[] = [];
      for (const o of others.filter(o => o.label !== chosen.input!.label)) {
        const p = promote('weight', { label: o.label, shape: o.shape, value: undefined });
        const fits = p !== undefined && C % p.shape[1] === 0 && p.shape[2] <= H && p.shape[3] <= W;
        const note = !fits ? ' · does not fit' : p.shape[1] !== C ? ` · groups ${C / p.shape[1]}` : '';
        items.push({ label: o.label, description: `${formatShape(o.shape)}${note}`, value: fits ? promote('weight', load(o)) : undefined });
      }
      items.sort((a, b) => Number(b.value !== undefined) - Number(a.value !== undefined));
      const k = Math.min(3, H, W);
      const average = Array.from({ length: C }, () => Array.from({ length: k }, () => new Array(k).fill(1 / (k * k * C))));
      const laplace = Array.from({ length: C }, () => k === 3 ? [[0, 1, 0], [1, -4, 1], [0, 1, 0]] : Array.from({ length: k }, () => new Array(k).fill(0)));
      items.push(
        { label: `${k}×${k} average`, description: `generated, (1, ${C}, ${k}, ${k})`, value: { label: `${k}×${k} average`, shape: [1, C, k, k], value: [average] } },
        { label: `${k}×${k} Laplacian`, description: `generated, (1, ${C}, ${k}, ${k})`, value: { label: `${k}×${k} Laplacian`, shape: [1, C, k, k], value: [laplace] } },
      );
      const w = await pick(title, `Which kernels (Cout, Cin/groups, kh, kw)? The input has ${C} channel(s).`, items);
      if (!w) return undefined;
      chosen.weight = w;
    }
    const groups = C / chosen.weight.shape[1];
    if (!Number.isInteger(groups)) {
      void vscode.window.showWarningMessage(`The input has ${C} channels, which the kernels' ${chosen.weight.shape[1]} input channels do not divide.`);
      return undefined;
    }

    const geometry = await pick(title, 'Geometry', [
      ...GEOMETRIES.map((g, i) => ({ label: g.label, description: i === 0 ? 'default' : undefined, value: { stride: g.stride, padding: g.padding, dilation: g.dilation } as Record<string, unknown> | undefined })),
      { label: 'Custom…', description: 'stride=… padding=… dilation=… groups=…', value: undefined },
    ]);
    let options: Record<string, unknown>;
    if (geometry === undefined) {
      const typed = await vscode.window.showInputBox({
        title, prompt: 'stride, padding, dilation, groups (e.g. stride=2 padding=1 or padding=same; HxW for two values)', value: `stride=1 padding=0 dilation=1 groups=${groups}`,
        validateInput: v => { const r = parseGeometry(v); return typeof r === 'string' ? r : undefined; },
      });
      if (typed === undefined) return undefined;
      options = parseGeometry(typed) as Record<string, unknown>;
    } else {
      options = { ...geometry, groups };
    }

    const Cout = chosen.weight.shape[0];
    if (!chosen.bias) {
      const items: Pick<Candidate | undefined>[] = [{ label: 'No bias', description: 'default', value: undefined }];
      for (const o of others) if (o.shape.length === 1 && o.shape[0] === Cout) items.push({ label: o.label, description: formatShape(o.shape), value: load(o) });
      if (items.length > 1) {
        const b = await vscode.window.showQuickPick(items, { title, placeHolder: `Bias (${Cout},)?`, ignoreFocusOut: true });
        if (!b) return undefined;
        chosen.bias = b.value;
      }
    }
    if (!chosen.grad) {
      const items: Pick<Candidate | undefined>[] = [{ label: 'δ = all ones', description: 'default: C = Σ z', value: undefined }];
      for (const o of others) if (o.shape.length === 4 && o.shape[0] === chosen.input.shape[0] && o.shape[1] === Cout) items.push({ label: o.label, description: formatShape(o.shape), value: load(o) });
      if (items.length > 1) {
        const g = await vscode.window.showQuickPick(items, { title, placeHolder: 'Upstream gradient δ = ∂C/∂z?', ignoreFocusOut: true });
        if (!g) return undefined;
        chosen.grad = g.value;
      }
    }

    const described = (Object.entries(chosen) as [Role, Candidate][]).map(([r, c]) => `${r} ${c.label} ${formatShape(c.shape)}`).join(', ');
    const spec: Record<string, unknown> = { description: `From ${fileName}: ${described}.`, input: chosen.input.value, weight: chosen.weight.value };
    if (chosen.bias) spec.bias = chosen.bias.value;
    if (chosen.grad) spec.grad = chosen.grad.value;
    Object.assign(spec, options);
    const specText = JSON.stringify(spec);
    const result = await this.runner.execute({ label: `${fileName} (selection)`, text: specText, folder: vscode.Uri.joinPath(doc.uri, '..') });
    if (result) void this.offerSave(doc.uri, spec);
    return result;
  }

  /** Only when the user asks: the choices as a new spec file. */
  private async offerSave(from: vscode.Uri, spec: Record<string, unknown>): Promise<void> {
    const answer = await vscode.window.showInformationMessage('Ran the selection. Keep these choices as a conv spec?', 'Save as Spec…');
    if (answer !== 'Save as Spec…') return;
    const base = path.basename(from.path).replace(/(\.conv)?\.json$/i, '');
    const target = await vscode.window.showSaveDialog({
      title: 'Save as conv spec',
      defaultUri: vscode.Uri.joinPath(from, '..', `${base}.selection.conv.json`),
      filters: { 'Conv spec': ['conv.json', 'json'] },
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(JSON.stringify(spec, null, 2) + '\n'));
    await vscode.window.showTextDocument(target);
  }
}
