// Tensors from any debug session: "Conv: Inspect Tensor...", "Show in Conv Visual
// Debugger" on a variable, runs built from tensors picked in the session, and
// "Compare with Reference": the user's own a_t, z, dA, dW... against the engine's
// from the same input and weight, as a difference heatmap with its errors.

import * as vscode from 'vscode';
import { withComparison } from '../../engine/compare';
import { EngineError } from '../../engine/errors';
import { isNetworkTrace } from '../../engine/network';
import { Tensor, formatShape, tensorStats } from '../../engine/tensor';
import { CONV_TENSOR_NAMES, TensorName } from '../../engine/trace';
import { renderProblem } from '../../specReader/problemText';
import { encodeNpy } from '../../specReader/npy';
import { displayLocale } from '../displayLocale';
import type { TensorRole, WebviewToHost, WireLooseTensor } from '../../protocol/messages';
import { wireStats } from '../../protocol/wire';
import { geometryInput, geometryItems } from '../commands/selectionRun';
import type { ConvRunner, RunResult } from '../commands/runConv';
import { TracePanel } from '../panel/tracePanel';
import { InspectError, fetchTensor } from './sessionTensors';
import { withProgressIfSlow } from '../progress/progress';
import { positiveWhole } from '../traceSettings';

interface Inspected {
  label: string;
  source: string;
  sourceDtype: string;
  tensor: Tensor;
}

/** What "Compare with Reference" needs, as arguments (tests, keybindings) or asked for. */
export interface CompareArgs {
  input?: string;
  weight?: string;
  grad?: string;
  /** The expression of the user's own tensor. */
  yours?: string;
  /** Which of the engine's tensors it should equal (a_t, z, dA, dW, ...). */
  as?: TensorName;
  options?: Record<string, unknown>;
}

export interface CompareSummary {
  traceId: number;
  tensor: TensorName;
  mismatches: number;
  maxAbsError: number;
  maxRelError: number;
  firstMismatch?: number[];
}

/** Engine tensors worth comparing with one's own, in pipeline order. */
const COMPARABLE: TensorName[] = ['a', 'a_t', 'w_t', 'z_t', 'z', 'delta_t', 'dA_t', 'dA_padded', 'dA', 'dW_t', 'dW', 'db'];

const promote = (t: Tensor, rank: number): Tensor => (t.shape.length >= rank ? t : promote({ ...t, shape: [1, ...t.shape] }, rank));

export class TensorInspector {
  private readonly inspected = new Map<string, Inspected>();
  private picks: Record<string, TensorRole> = {};
  private setId = 1;

  constructor(private readonly runner: ConvRunner, private readonly extensionUri: vscode.Uri, private readonly onPanelMessage: (m: WebviewToHost) => void, private readonly log: vscode.LogOutputChannel) {}

  private maxElements(): number {
    return positiveWhole(vscode.workspace.getConfiguration('convVisualDebugger.inspect').get<unknown>('maxElements'), 16_777_216);
  }

  private session(): vscode.DebugSession {
    const s = vscode.debug.activeDebugSession;
    if (!s) throw new InspectError(vscode.l10n.t('No debug session is active: start debugging your program and stop at a breakpoint first.'));
    return s;
  }

  private async read(expression: string): Promise<Inspected> {
    const session = this.session();
    const got = await fetchTensor(session, expression, this.maxElements());
    const item = { label: expression, source: vscode.l10n.t('{0} session "{1}"', session.type, session.name), sourceDtype: got.sourceDtype, tensor: got.tensor };
    this.inspected.set(expression, item);
    return item;
  }

  /** Shows the inspected tensors in the panel. */
  private show(title = vscode.l10n.t('Tensors from the debug session')): void {
    const tensors: WireLooseTensor[] = [...this.inspected.values()].map(i => ({
      label: i.label, source: i.source, sourceDtype: i.sourceDtype, shape: [...i.tensor.shape], stats: wireStats(tensorStats(i.tensor.data)),
      buffer: i.tensor.data.buffer.slice(i.tensor.data.byteOffset, i.tensor.data.byteOffset + i.tensor.data.byteLength) as ArrayBuffer,
    }));
    const panel = TracePanel.show(this.extensionUri, this.onPanelMessage, this.log);
    panel.setTitle(vscode.l10n.t('Conv: debug session tensors'));
    panel.post({ type: 'tensors', set: { id: this.setId++, title, tensors, picks: { ...this.picks } } });
  }

  private async report<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.log.error(message);
      // Not awaited: the command finishes now; the notification stays until the user closes it.
      void vscode.window.showErrorMessage(message, vscode.l10n.t('Show Details')).then(choice => { if (choice) this.log.show(true); });
      return undefined;
    }
  }

  /** "Conv: Inspect Tensor...": an expression (the selection, if any, is offered). */
  inspect(expression?: string): Promise<{ shape: number[] } | undefined> {
    return this.report(async () => {
      this.session();
      const editor = vscode.window.activeTextEditor;
      const suggestion = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
      const expr = expression ?? await vscode.window.showInputBox({ title: vscode.l10n.t('Inspect Tensor'), prompt: vscode.l10n.t('An expression in the selected frame: a numpy array, a torch tensor, a nested list, a typed array…'), value: suggestion });
      if (!expr) return undefined;
      const item = await withProgressIfSlow(this.read(expr), { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Conv: reading {0}', expr) });
      this.show();
      return { shape: [...item.tensor.shape] };
    });
  }

  /** "Show in Conv Visual Debugger" on a variable in the Variables view. */
  showVariable(arg: { variable?: { name: string; evaluateName?: string } } | undefined): Promise<{ shape: number[] } | undefined> {
    const v = arg?.variable;
    if (!v) return Promise.resolve(undefined);
    return this.inspect(v.evaluateName ?? v.name);
  }

  /** The panel's messages about inspected tensors. */
  handle(m: WebviewToHost): void {
    if (m.type === 'useTensor') void this.use(m.label, m.role);
    if (m.type === 'compareTensor') void this.compare({ yours: m.label });
  }

  private async use(label: string, role: TensorRole): Promise<RunResult | undefined> {
    for (const [l, r] of Object.entries(this.picks)) if (r === role) delete this.picks[l];
    this.picks[label] = role;
    const byRole = (r: TensorRole) => Object.entries(this.picks).find(([, x]) => x === r)?.[0];
    if (!byRole('input') || !byRole('weight')) {
      this.show();
      return undefined;
    }
    const options = await this.askGeometry();
    if (!options) { this.show(); return undefined; }
    return this.report(async () => this.run(byRole('input')!, byRole('weight')!, byRole('grad'), options));
  }

  private async askGeometry(): Promise<Record<string, unknown> | undefined> {
    const picked = await vscode.window.showQuickPick(geometryItems(), { title: vscode.l10n.t('Geometry of the conv'), ignoreFocusOut: true });
    if (!picked) return undefined;
    return picked.value ?? geometryInput(vscode.l10n.t('Geometry'), 1);
  }

  /** Runs the engine on inspected tensors (passed to the worker as .npy bytes). */
  private run(input: string, weight: string, grad: string | undefined, options: Record<string, unknown>, transform?: Parameters<ConvRunner['execute']>[1]): Promise<RunResult | undefined> {
    const get = (label: string) => this.inspected.get(label)!.tensor;
    const npy = new Map<string, Uint8Array>([['input.npy', encodeNpy(promote(get(input), 4))], ['weight.npy', encodeNpy(promote(get(weight), 4))]]);
    const spec: Record<string, unknown> = { input: { npy: 'input.npy' }, weight: { npy: 'weight.npy' }, ...options };
    if (grad) { npy.set('grad.npy', encodeNpy(promote(get(grad), 4))); spec.grad = { npy: 'grad.npy' }; }
    return this.runner.execute({ label: vscode.l10n.t('{0} ⊛ {1} (debug session)', input, weight), text: JSON.stringify(spec), npy }, transform);
  }

  /** "Conv: Compare with Reference...": asks for what is not given. */
  compare(args: CompareArgs = {}): Promise<CompareSummary | undefined> {
    return this.report(async () => {
      this.session();
      const ask = async (what: string, given: string | undefined, role?: TensorRole): Promise<string | undefined> => {
        if (given) return given;
        const fromPicks = role && Object.entries(this.picks).find(([, r]) => r === role)?.[0];
        return fromPicks ?? vscode.window.showInputBox({ title: vscode.l10n.t('Compare with Reference'), prompt: vscode.l10n.t('Expression for {0}', what), ignoreFocusOut: true });
      };
      const input = await ask(vscode.l10n.t('the input (B, Cin, H, W)'), args.input, 'input');
      const weight = input && await ask(vscode.l10n.t('the weight (Cout, Cin/groups, kh, kw)'), args.weight, 'weight');
      const yours = weight && await ask(vscode.l10n.t('your tensor to check (your a_t, z, dA, dW, ...)'), args.yours);
      if (!input || !weight || !yours) return undefined;
      const as = args.as ?? (await vscode.window.showQuickPick(COMPARABLE.map(n => ({ label: n })), { title: vscode.l10n.t('Compare {0} with the engine\'s…', yours), ignoreFocusOut: true }))?.label as TensorName | undefined;
      if (!as || !(CONV_TENSOR_NAMES as readonly string[]).includes(as)) return undefined;
      const options = args.options ?? await this.askGeometry();
      if (!options) return undefined;
      for (const e of [input, weight, yours, ...(args.grad ? [args.grad] : [])]) await this.read(e);
      this.picks = { [input]: 'input', [weight]: 'weight', ...(args.grad ? { [args.grad]: 'grad' as const } : {}) };
      const mine = this.inspected.get(yours)!.tensor;
      const result = await this.run(input, weight, args.grad, options, trace => {
        try {
          return withComparison(trace, as, mine);
        } catch (e) {
          if (e instanceof EngineError) throw new InspectError(vscode.l10n.t('{0} {1} cannot be compared with the engine\'s {2}: {3}', yours, formatShape(mine.shape), as, renderProblem(e.bare, displayLocale())));
          throw e;
        }
      });
      const c = result && !isNetworkTrace(result.trace) ? result.trace.comparison : undefined;
      if (!result || !c) return undefined;
      const summary = c.mismatches
        ? vscode.l10n.t('{0} differs from the engine\'s {1} in {2} cells, first at [{3}] (max |error| {4}).', yours, as, c.mismatches, c.firstMismatch!.join(', '), c.maxAbsError)
        : vscode.l10n.t('{0} equals the engine\'s {1} (max |error| {2}).', yours, as, c.maxAbsError);
      this.log.info(summary);
      void vscode.window.showInformationMessage(summary);
      return { traceId: result.traceId, tensor: as, mismatches: c.mismatches, maxAbsError: c.maxAbsError, maxRelError: c.maxRelError, firstMismatch: c.firstMismatch };
    });
  }
}
