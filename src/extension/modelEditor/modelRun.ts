// "Run on…" from the model editor: the user picks an input (an image of the workspace with a preprocessing
// preset at the model's declared size, a .npy, or random values) and optionally a class for a cross-entropy
// loss; the spec is made in memory, `{"model": {"onnx": …}, "input": …, "loss": …}`, its files named relative to
// the folder it is read from. Nothing is written unless the user saves it ("Save as Spec…").

import * as path from 'path';
import * as vscode from 'vscode';
import { sizeOf, toNested } from '../../engine/tensor';
import type { ModelFacts } from '../../specReader/onnx/modelFacts';
import type { NpyFiles } from '../../specReader/specFiles';
import { dtypeChosen } from '../traceSettings';
import type { WorkspaceFiles } from '../workspaceFiles';

/** ImageNet's per-channel mean and std (torchvision's), for the RGB preset. */
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/** A run made from the editor: what it is called, the files it reads, and its spec as read from a folder. */
export interface ModelRun {
  label: string;
  /** Read for this run alone: the run lends them to the trace worker (RunInput.ownNpy), so they are not read after it. */
  files: NpyFiles;
  specText(folder: vscode.Uri): string;
}

/** The input as a spec names it: a file source (its path relative to where the spec is), or values. */
type InputChoice = { file: vscode.Uri; source: (written: string) => Record<string, unknown> } | { values: unknown };

/** `to` as a spec in `folder` names it. */
function relative(folder: vscode.Uri, to: vscode.Uri): string {
  return path.posix.relative(folder.path, to.path) || path.posix.basename(to.path);
}

async function pickFile(glob: string, title: string): Promise<vscode.Uri | undefined> {
  const found = await vscode.workspace.findFiles(glob, '**/node_modules/**', 500);
  if (!found.length) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No {0} file in the workspace.', glob));
    return undefined;
  }
  const items = found.map(uri => ({ label: path.posix.basename(uri.path), description: vscode.workspace.asRelativePath(uri, false), uri })).sort((a, b) => a.description.localeCompare(b.description));
  return (await vscode.window.showQuickPick(items, { title, matchOnDescription: true }))?.uri;
}

/** An image's preprocessing at the model's declared size: ImageNet's normalisation (RGB models), or values 0–1. */
async function pickImage(shape: readonly number[]): Promise<InputChoice | undefined> {
  const [, channels, h, w] = shape;
  const file = await pickFile('**/*.{png,jpg,jpeg,PNG,JPG,JPEG}', vscode.l10n.t('Run the model on which image?'));
  if (!file) return undefined;
  const mode = channels === 3 ? 'rgb' : 'gray';
  const plain = { label: vscode.l10n.t('Values 0–1 at {0}×{1}', h, w), normalize: undefined };
  const presets = channels === 3 ? [{ label: vscode.l10n.t('ImageNet normalisation at {0}×{1}', h, w), normalize: IMAGENET }, plain] : [plain];
  const preset = presets.length > 1 ? await vscode.window.showQuickPick(presets, { title: vscode.l10n.t('Preprocessing') }) : presets[0];
  if (!preset) return undefined;
  return { file, source: written => ({ image: written, mode, size: [h, w], scale: 255, ...(preset.normalize ? { normalize: preset.normalize } : {}) }) };
}

/** Uniform values in [0, 1) of the planned input's shape. */
function randomInput(shape: readonly number[]): InputChoice {
  const data = Float64Array.from({ length: sizeOf(shape) }, () => Number(Math.random().toFixed(4)));
  return { values: toNested({ shape: [...shape], dtype: 'float64', data }) };
}

async function pickInput(facts: ModelFacts): Promise<InputChoice | undefined> {
  const shape = facts.plannedInput!;
  const images = shape.length === 4 && (shape[1] === 1 || shape[1] === 3);
  const kinds = [
    ...(images ? [{ label: vscode.l10n.t('$(file-media) An image of the workspace'), source: 'image' as const }] : []),
    { label: vscode.l10n.t('$(file-binary) A .npy file'), source: 'npy' as const },
    { label: vscode.l10n.t('$(symbol-numeric) Random values'), description: `(${shape.join(', ')})`, source: 'random' as const },
  ];
  const kind = await vscode.window.showQuickPick(kinds, { title: vscode.l10n.t('Run the model on…') });
  if (kind?.source === 'image') return pickImage(shape);
  if (kind?.source === 'random') return randomInput(shape);
  if (kind?.source !== 'npy') return undefined;
  const file = await pickFile('**/*.npy', vscode.l10n.t('Run the model on which .npy?'));
  return file && { file, source: written => ({ npy: written }) };
}

/** The class of a cross-entropy loss, or none (the network's δ is then all ones); undefined when cancelled. */
async function pickClass(facts: ModelFacts): Promise<{ target?: number } | undefined> {
  const classes = facts.nodes.length ? facts.outputs[0]?.shape?.at(-1) : undefined;
  const most = typeof classes === 'number' ? classes : Infinity;
  const answer = await vscode.window.showInputBox({
    title: vscode.l10n.t('Target class for a cross-entropy loss'),
    prompt: vscode.l10n.t('A class index from 0 for a cross-entropy loss on the output; leave empty to run without a loss.'),
    validateInput: v => (v.trim() === '' || (/^\d+$/.test(v.trim()) && Number(v) < most) ? undefined : vscode.l10n.t('A whole number from 0 to {0}', most - 1)),
  });
  if (answer === undefined) return undefined;
  return answer.trim() === '' ? {} : { target: Number(answer) };
}

/** A run chosen without asking (a script's, a test's): random values, and the class of a loss if any. */
export interface GivenRun { input: 'random'; target?: number }

export const isGivenRun = (v: unknown): v is GivenRun =>
  typeof v === 'object' && v !== null && (v as GivenRun).input === 'random' && ((v as GivenRun).target === undefined || Number.isInteger((v as GivenRun).target));

/** Asks for the run's input and class (unless `given`); the run, its files read as a spec beside the model reads them. */
export async function pickModelRun(model: vscode.Uri, facts: ModelFacts, files: WorkspaceFiles, given?: GivenRun): Promise<ModelRun | undefined> {
  if (!facts.plannedInput) {
    void vscode.window.showErrorMessage(facts.problems[0] ? vscode.l10n.t('This model cannot be run: its input has no shape to plan.') : vscode.l10n.t('This model cannot be run.'));
    return undefined;
  }
  const input = given ? randomInput(facts.plannedInput) : await pickInput(facts);
  if (!input) return undefined;
  const target = given ? { target: given.target } : await pickClass(facts);
  if (!target) return undefined;
  const batch = facts.plannedInput[0];
  // The model's own float32 unless the user chose a type: its spec says so, as the spec saved from it then does.
  const dtype = dtypeChosen() ? {} : { dtype: 'float32' };
  const spec = (folder: vscode.Uri) => ({
    ...dtype,
    model: { onnx: relative(folder, model) },
    input: 'file' in input ? input.source(relative(folder, input.file)) : input.values,
    ...(target.target !== undefined ? { loss: { type: 'cross_entropy', target: new Array(batch).fill(target.target) } } : {}),
  });
  const folder = vscode.Uri.joinPath(model, '..');
  const beside = vscode.Uri.joinPath(folder, `${path.posix.basename(model.path, '.onnx')}.conv.json`);
  const on = 'file' in input ? path.posix.basename(input.file.path) : vscode.l10n.t('random values');
  return {
    label: `${path.posix.basename(model.path)} on ${on}`,
    files: await files.npyFiles(beside, spec(folder)),
    specText: f => `${JSON.stringify(spec(f), null, 2)}\n`,
  };
}

/** Writes the run's spec to a file the user picks (beside the model by default); its paths relative to it. */
export async function saveModelSpec(model: vscode.Uri, run: ModelRun): Promise<vscode.Uri | undefined> {
  const suggested = vscode.Uri.joinPath(model, '..', `${path.posix.basename(model.path, '.onnx')}.conv.json`);
  const target = await vscode.window.showSaveDialog({ defaultUri: suggested, filters: { [vscode.l10n.t('Conv spec')]: ['json'] }, title: vscode.l10n.t('Save as Spec…') });
  if (!target) return undefined;
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(run.specText(vscode.Uri.joinPath(target, '..'))));
  await vscode.window.showTextDocument(target, { preview: false });
  return target;
}
