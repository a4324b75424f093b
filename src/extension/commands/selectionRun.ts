// Run on a selection: the array selected in any JSON file becomes the input (or
// another role), quick picks offer the file's other tensors that fit the other
// roles (compatible shapes first) and the geometry, with sensible defaults.
// Each role can also come from a tensor file in the workspace (filePicks.ts): the spec
// then names the file, as a source object with the path relative to the spec. The
// choices can be saved as a new spec file, only when the user asks (the notification's
// button or the command), its files named from where it is saved.

import * as path from 'path';
import * as vscode from 'vscode';
import { formatShape } from '../../engine/tensor';
import { inferShape, numericValue } from '../../specReader/nested';
import { LocatedTensor, tensorAt } from '../../specReader/locator';
import { jsonPath } from '../../specReader/source';
import { parse } from 'jsonc-parser';
import { sourceObject } from '../../specReader/tensorSource';
import type { ConvRunner, RunResult } from './runConv';
import type { JsonDocuments } from '../language/jsonDocuments';
import type { WorkspaceFiles } from '../workspaceFiles';
import { FileTensor, FileTensorPicks, fileTensorLabel, pathFrom } from './filePicks';

type Role = 'input' | 'weight' | 'bias' | 'grad';

interface Candidate {
  /** e.g. `$.x`, `selection` or `m.safetensors[conv1.weight]`. */
  label: string;
  shape: number[];
  /** The nested arrays of a JSON candidate. */
  value?: unknown;
  /** A file's tensor: the spec names the file. */
  file?: FileTensor;
}

/** The rank a file's tensor needs for each role (a JSON array is promoted, a file's tensor is read as it is). */
const RANK: Record<Role, number> = { input: 4, weight: 4, bias: 1, grad: 4 };

/** The value of a pick's "From a file in the workspace…" item. */
const FROM_FILE = Symbol('from a file');

/** A run's choices, as a spec at `at` (files named relative to it). */
type SpecAt = (at: vscode.Uri) => Record<string, unknown>;

/** The spec of the choices; a file's tensor is named by its path from `at`. */
function specOf(description: string, chosen: Partial<Record<Role, Candidate>>, options: Record<string, unknown>, at: vscode.Uri): Record<string, unknown> {
  const tensor = (c: Candidate) => (c.file ? sourceObject(c.file.format, pathFrom(at, c.file.uri), c.file.key) : c.value);
  const spec: Record<string, unknown> = { description, input: tensor(chosen.input!), weight: tensor(chosen.weight!) };
  if (chosen.bias) spec.bias = tensor(chosen.bias);
  if (chosen.grad) spec.grad = tensor(chosen.grad);
  return Object.assign(spec, options);
}

/** Where the spec of a selection run is: beside the document, or for an untitled one at the root of the first workspace folder. */
function specLocation(doc: vscode.TextDocument): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return doc.isUntitled && folder ? vscode.Uri.joinPath(folder.uri, path.posix.basename(doc.uri.path)) : doc.uri;
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

export interface Pick<T> extends vscode.QuickPickItem { value: T }

async function pick<T>(title: string, placeHolder: string, items: Pick<T>[]): Promise<T | undefined> {
  const chosen = await vscode.window.showQuickPick(items, { title, placeHolder, matchOnDescription: true, ignoreFocusOut: true });
  return chosen?.value;
}

/** The usual geometries (the first is the default), then "Custom…" (no value: ask with geometryInput). */
export function geometryItems(): Pick<Record<string, unknown> | undefined>[] {
  const usual: [label: string, stride: number, padding: number | 'same', dilation: number][] = [
    [vscode.l10n.t('stride 1, no padding'), 1, 0, 1],
    [vscode.l10n.t('stride 1, padding "same"'), 1, 'same', 1],
    [vscode.l10n.t('stride 1, padding 1'), 1, 1, 1],
    [vscode.l10n.t('stride 2, padding 1'), 2, 1, 1],
    [vscode.l10n.t('stride 1, dilation 2, no padding'), 1, 0, 2],
  ];
  return [
    ...usual.map(([label, stride, padding, dilation], i) => ({ label, description: i === 0 ? vscode.l10n.t('default') : undefined, value: { stride, padding, dilation } })),
    { label: vscode.l10n.t('Custom…'), description: 'stride=… padding=… dilation=… groups=…', value: undefined },
  ];
}

/** Asks for a custom geometry as `key=value` text; undefined when the user gives up. */
export async function geometryInput(title: string, groups: number): Promise<Record<string, unknown> | undefined> {
  const typed = await vscode.window.showInputBox({
    title, prompt: vscode.l10n.t('stride, padding, dilation, groups (e.g. stride=2 padding=1 or padding=same; HxW for two values)'), value: `stride=1 padding=0 dilation=1 groups=${groups}`,
    ignoreFocusOut: true, validateInput: v => { const r = parseGeometry(v); return typeof r === 'string' ? r : undefined; },
  });
  return typed === undefined ? undefined : parseGeometry(typed) as Record<string, unknown>;
}

/** `stride=2 padding=1 dilation=1 groups=1` → options, or a message. */
export function parseGeometry(text: string): Record<string, unknown> | string {
  const out: Record<string, unknown> = {};
  for (const part of text.trim().split(/[\s,;]+/).filter(Boolean)) {
    const m = /^(stride|padding|dilation|groups)\s*=\s*(.+)$/.exec(part);
    if (!m) return vscode.l10n.t('"{0}" is not key=value with key stride, padding, dilation or groups', part);
    const v = m[2];
    if (m[1] === 'padding' && (v === 'same' || v === 'valid')) { out.padding = v; continue; }
    const nums = v.split('x').map(Number);
    if (nums.some(n => !Number.isInteger(n))) return vscode.l10n.t('{0} must be an integer (or HxW), got "{1}"', m[1], v);
    out[m[1]] = nums.length === 1 ? nums[0] : nums;
  }
  return out;
}

export class SelectionRun {
  /** The last run's choices, for "Save as Spec…": the document they came from and the spec at a location. */
  private last?: { from: vscode.Uri; specAt: SpecAt };

  constructor(private readonly documents: JsonDocuments, private readonly runner: ConvRunner, private readonly files: WorkspaceFiles) {}

  /** The selected array, or the tensor the selection is in; undefined when the selection is not on numbers. */
  selected(editor: vscode.TextEditor): Candidate | undefined {
    const doc = editor.document;
    const text = doc.getText(editor.selection);
    const direct = parse(text);
    if (isNumericBlock(direct)) return { label: vscode.l10n.t('the selection'), shape: inferShape(direct), value: direct };
    const t = tensorAt(this.documents.scan(doc), doc.offsetAt(editor.selection.start));
    return t && !t.ragged ? { label: jsonPath(t.path), shape: t.shape, value: tensorValue(doc.getText(), t) } : undefined;
  }

  async run(editor: vscode.TextEditor): Promise<RunResult | undefined> {
    const doc = editor.document;
    const selected = this.selected(editor);
    if (!selected) {
      void vscode.window.showWarningMessage(this.documents.scan(doc).skipped
        ? vscode.l10n.t('This file is too large to find the array the cursor is in: select the array itself to run a convolution on it.')
        : vscode.l10n.t('Select a numeric array (or put the cursor in one) to run a convolution on it.'));
      return undefined;
    }
    const fileName = path.basename(doc.uri.path);
    const title = vscode.l10n.t('Run Conv Forward/Backward on {0} {1}', selected.label, formatShape(selected.shape));
    const at = specLocation(doc);
    const files = new FileTensorPicks(this.files, at, title);
    // Looked for while the user picks the role.
    const anyFiles = files.any();
    const roles: Role[] = selected.shape.length === 1 ? ['bias', 'input', 'weight'] : ['input', 'weight', 'grad'];
    const role = await pick(title, vscode.l10n.t('Use the selected array as…'), roles.map((r, i) => ({ label: r, description: i === 0 ? vscode.l10n.t('default') : undefined, value: r })));
    if (!role) return undefined;
    const chosen: Partial<Record<Role, Candidate>> = {};
    const asRole = promote(role, selected);
    if (!asRole) {
      void vscode.window.showWarningMessage(vscode.l10n.t('A {0}-D array cannot be the {1}: it needs {2} dimensions.', selected.shape.length, role, role === 'bias' ? '1' : vscode.l10n.t('2, 3 or 4')));
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
    const anyFile = await anyFiles;
    /** The file item, when the workspace has tensor files. */
    const fileItem = (): Pick<typeof FROM_FILE>[] => (anyFile ? [files.item(FROM_FILE)] : []);
    /** A file's tensor for a role whose other fit checks are `fits`. */
    const fromFile = async (r: Role, fits: (shape: number[]) => boolean): Promise<Candidate | undefined> => {
      const t = await files.pick(r, shape => shape.length === RANK[r] && fits(shape));
      return t && { label: fileTensorLabel(t), shape: t.shape, file: t };
    };

    // The input and the weight are required; offer what fits first.
    if (!chosen.input) {
      const w = chosen.weight;
      const inputFits = (shape: number[]) => !w || shape[1] % w.shape[1] === 0;
      const items = others.map(o => {
        const p = promote('input', { label: o.label, shape: o.shape, value: undefined });
        const fits = p !== undefined && inputFits(p.shape);
        return { label: o.label, description: `${formatShape(o.shape)}${fits ? '' : ` · ${vscode.l10n.t('does not fit')}`}`, fits, value: o as (typeof others)[number] | undefined | typeof FROM_FILE };
      }).sort((a, b) => Number(b.fits) - Number(a.fits));
      const o = await pick(title, vscode.l10n.t('Which array is the input (B, Cin, H, W)?'), [...items, ...fileItem()]);
      if (!o) return undefined;
      chosen.input = o === FROM_FILE ? await fromFile('input', inputFits) : promote('input', load(o));
      if (!chosen.input) return undefined;
    }
    const C = chosen.input.shape[1];
    if (!chosen.weight) {
      const [, , H, W] = chosen.input.shape;
      const weightFits = (shape: number[]) => C % shape[1] === 0 && shape[2] <= H && shape[3] <= W;
      const items: Pick<Candidate | undefined | typeof FROM_FILE>[] = [];
      for (const o of others.filter(o => o.label !== chosen.input!.label)) {
        const p = promote('weight', { label: o.label, shape: o.shape, value: undefined });
        const fits = p !== undefined && weightFits(p.shape);
        const note = !fits ? ` · ${vscode.l10n.t('does not fit')}` : p.shape[1] !== C ? ` · groups ${C / p.shape[1]}` : '';
        items.push({ label: o.label, description: `${formatShape(o.shape)}${note}`, value: fits ? promote('weight', load(o)) : undefined });
      }
      items.sort((a, b) => Number(b.value !== undefined) - Number(a.value !== undefined));
      const k = Math.min(3, H, W);
      const average = Array.from({ length: C }, () => Array.from({ length: k }, () => new Array(k).fill(1 / (k * k * C))));
      const laplace = Array.from({ length: C }, () => k === 3 ? [[0, 1, 0], [1, -4, 1], [0, 1, 0]] : Array.from({ length: k }, () => new Array(k).fill(0)));
      items.push(
        ...([[vscode.l10n.t('{0}×{0} average', k), average], [vscode.l10n.t('{0}×{0} Laplacian', k), laplace]] as const).map(([label, kernel]) => (
          { label, description: vscode.l10n.t('generated, {0}', formatShape([1, C, k, k])), value: { label, shape: [1, C, k, k], value: [kernel] } })),
        ...fileItem(),
      );
      const w = await pick(title, vscode.l10n.t('Which kernels (Cout, Cin/groups, kh, kw)? The input has {0} channel(s).', C), items);
      const weight = w === FROM_FILE ? await fromFile('weight', weightFits) : w;
      if (!weight) return undefined;
      chosen.weight = weight;
    }
    const groups = C / chosen.weight.shape[1];
    if (!Number.isInteger(groups)) {
      void vscode.window.showWarningMessage(vscode.l10n.t('The input has {0} channels, which the kernels\' {1} input channels do not divide.', C, chosen.weight.shape[1]));
      return undefined;
    }

    const geometry = await pick(title, vscode.l10n.t('Geometry'), geometryItems());
    const options = geometry === undefined ? await geometryInput(title, groups) : { ...geometry, groups };
    if (!options) return undefined;

    const Cout = chosen.weight.shape[0];
    // Bias and grad are optional: asked for only when there is something besides the default.
    if (!chosen.bias) {
      const biasFits = (shape: number[]) => shape.length === 1 && shape[0] === Cout;
      const items: Pick<Candidate | undefined | typeof FROM_FILE>[] = [{ label: vscode.l10n.t('No bias'), description: vscode.l10n.t('default'), value: undefined }];
      for (const o of others) if (biasFits(o.shape)) items.push({ label: o.label, description: formatShape(o.shape), value: load(o) });
      items.push(...fileItem());
      if (items.length > 1) {
        const b = await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('Bias ({0},)?', Cout), ignoreFocusOut: true });
        if (!b) return undefined;
        chosen.bias = b.value === FROM_FILE ? await fromFile('bias', biasFits) : b.value;
        if (b.value === FROM_FILE && !chosen.bias) return undefined;
      }
    }
    if (!chosen.grad) {
      const gradFits = (shape: number[]) => shape.length === 4 && shape[0] === chosen.input!.shape[0] && shape[1] === Cout;
      const items: Pick<Candidate | undefined | typeof FROM_FILE>[] = [{ label: vscode.l10n.t('δ = all ones'), description: vscode.l10n.t('default: C = Σ z'), value: undefined }];
      for (const o of others) if (gradFits(o.shape)) items.push({ label: o.label, description: formatShape(o.shape), value: load(o) });
      items.push(...fileItem());
      if (items.length > 1) {
        const g = await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('Upstream gradient δ = ∂C/∂z?'), ignoreFocusOut: true });
        if (!g) return undefined;
        chosen.grad = g.value === FROM_FILE ? await fromFile('grad', gradFits) : g.value;
        if (g.value === FROM_FILE && !chosen.grad) return undefined;
      }
    }

    // A role picked as its default ("No bias") is undefined here.
    const described = (Object.entries(chosen) as [Role, Candidate | undefined][]).filter((e): e is [Role, Candidate] => e[1] !== undefined).map(([r, c]) => `${r} ${c.label} ${formatShape(c.shape)}`).join(', ');
    const specAt: SpecAt = where => specOf(`From ${fileName}: ${described}.`, chosen, options, where);
    const spec = specAt(at);
    const result = await this.runner.execute({
      label: vscode.l10n.t('{0} (selection)', fileName), text: JSON.stringify(spec), folder: vscode.Uri.joinPath(at, '..'), npy: await this.files.npyFiles(at, spec), ownNpy: true,
    });
    if (result) {
      this.last = { from: at, specAt };
      // The palette offers "Save Selection Run as Spec..." from now on.
      void vscode.commands.executeCommand('setContext', 'convVisualDebugger.selectionRan', true);
      void this.offerSave();
    }
    return result;
  }

  /** Only when the user asks: the choices as a new spec file. */
  private async offerSave(): Promise<void> {
    const save = vscode.l10n.t('Save as Spec…');
    const answer = await vscode.window.showInformationMessage(vscode.l10n.t('Ran the selection. Keep these choices as a conv spec?'), save);
    if (answer === save) await this.save();
  }

  /**
   * Saves the last run's choices as a spec at `target` (asked for when not given): its
   * files named from there. Returns where it was saved.
   */
  async save(target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    if (!this.last) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Run Conv Forward/Backward on a selection first: its choices are what is saved.'));
      return undefined;
    }
    const { from, specAt } = this.last;
    const base = path.basename(from.path).replace(/(\.conv)?\.json$/i, '');
    target ??= await vscode.window.showSaveDialog({
      title: vscode.l10n.t('Save as conv spec'),
      defaultUri: vscode.Uri.joinPath(from, '..', `${base}.selection.conv.json`),
      filters: { [vscode.l10n.t('Conv spec')]: ['conv.json', 'json'] },
    });
    if (!target) return undefined;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(JSON.stringify(specAt(target), null, 2) + '\n'));
    await vscode.window.showTextDocument(target);
    return target;
  }
}
