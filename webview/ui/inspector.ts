// The linked cell, explained: its index and exact value, what it means, and
// the terms that add up to it (products of a dot product, col2im's sum, the
// rot180 products), with the check that they do add up. A pinned cell of a
// gradient shows the central finite difference beside it (the host runs it).

import type { CellSum } from '../../src/engine/cellTerms';
import { gradientOfIn } from '../../src/engine/layerKinds/views';
import type { LinkTarget } from '../../src/engine/links';
import type { DType } from '../../src/engine/tensor';
import { cellMeaning } from '../../src/format/explain';
import { fullValue } from '../../src/format/text';
import type { WireGradientCheck } from '../../src/protocol/messages';
import type { TraceModel } from '../model';
import { locale, text } from '../l10n';
import { el } from './controls';

/** Terms listed before "… N more". */
const SHOWN_TERMS = 48;

export class Inspector {
  readonly element = el('aside', 'inspector');
  private current = 0;

  constructor() {
    this.element.setAttribute('aria-label', text().linkedCell);
    this.clear();
  }

  clear(): void {
    this.element.replaceChildren(el('p', 'inspector-hint', text().inspectorHint));
    this.element.classList.remove('active');
  }

  /**
   * Explains `target` (the sum comes from the host, which has every tensor); returns the number of terms listed,
   * and the gradient check's line when there is one.
   */
  async show(model: TraceModel, target: LinkTarget, pinned: boolean): Promise<{ terms: number; gradientCheck?: string }> {
    const ticket = ++this.current;
    const value = model.value(target);
    const dtype = model.trace.dtype;
    const cellText = (v: number | undefined) => `${target.tensor}[${target.index.join(', ')}] = ${v === undefined ? '…' : fullValue(v, dtype)}`;
    const head = el('div', 'inspector-head');
    const cell = el('strong', 'inspector-cell', cellText(value));
    head.append(cell);
    if (pinned) head.append(el('span', 'badge', text().pinned));
    const meaning = cellMeaning(model.geometry, target.tensor, target.index, locale());
    this.element.replaceChildren(head, ...(meaning ? [el('div', 'inspector-meaning', meaning)] : []));
    this.element.classList.add('active');
    // Only a pinned cell: each check runs the forward pass again, a hover would ask for one per cell crossed.
    const checked = pinned && gradientOfIn(model.geometry, target.tensor) ? this.gradientCheck(model, target, dtype) : undefined;
    const terms = await this.showSum(model, target, ticket, now => { cell.textContent = cellText(now); });
    return { terms, gradientCheck: await checked };
  }

  /** The finite difference's line, filled in when the host answers; returns what it says. */
  private async gradientCheck(model: TraceModel, target: LinkTarget, dtype: DType): Promise<string> {
    const line = el('div', 'gradient-check', text().gradientChecking);
    this.element.append(line);
    try {
      const check = await model.gradientCheck(target);
      line.className = `gradient-check ${check.agrees ? 'ok' : 'bad'}`;
      line.textContent = gradientCheckText(check, dtype);
    } catch (e) {
      line.textContent = text().noGradientCheck((e as Error).message);
    }
    return line.textContent ?? '';
  }

  /** The terms behind the cell, once the host sends them; `showValue` updates the head when the value arrived meanwhile. */
  private async showSum(model: TraceModel, target: LinkTarget, ticket: number, showValue: (v: number) => void): Promise<number> {
    const dtype = model.trace.dtype;
    let sum: CellSum | undefined;
    try {
      sum = await model.cellSum(target);
    } catch (e) {
      if (ticket === this.current) this.element.append(el('p', 'inspector-hint', text().noTerms((e as Error).message)));
      return 0;
    }
    if (ticket !== this.current || !sum) return 0;
    // The value may have arrived with its tile meanwhile.
    const now = model.value(target);
    if (now !== undefined) showValue(now);
    this.element.append(renderSum(sum, now, dtype));
    if (sum.alternative) this.element.append(renderSum(sum.alternative, now, dtype));
    return sum.terms.length;
  }
}

/** `finite difference: 8.000001 (ε = 1e-6) · analytic: 7 · agree ✓ (relative error 1.3e-7)`, and the one-sided differences at a kink. */
function gradientCheckText(c: WireGradientCheck, dtype: DType): string {
  const t = text();
  const exact = (x: number) => fullValue(x, dtype);
  const error = Number.isNaN(c.relError) ? 'NaN' : c.relError.toPrecision(2);
  const verdict = c.agrees ? t.gradientAgrees(error) : t.gradientDisagrees(error, c.tolerance);
  const kink = c.kink ? ` · ${t.gradientKink(exact(c.kink.left), exact(c.kink.right))}` : '';
  return `${t.gradientCheck(exact(c.numeric), Number(c.epsilon.toPrecision(2)).toExponential(), exact(c.analytic))} · ${verdict}${kink}`;
}

/** The terms, and whether they add up to the cell's value (when the panel has it). */
function renderSum(sum: CellSum, value: number | undefined, dtype: DType): HTMLElement {
  const exact = (x: number) => fullValue(x, dtype);
  const box = el('div', 'cell-sum');
  box.append(el('code', 'cell-sum-formula', sum.formula));
  const table = el('table', 'terms');
  sum.terms.slice(0, SHOWN_TERMS).forEach((t, k) => {
    const tr = el('tr', k === sum.winner ? 'term-winner' : undefined);
    tr.append(el('td', 'term-label', t.label), el('td', 'term-factors', t.factors.length > 1 ? t.factors.map(exact).join(' × ') : k === sum.winner ? text().maxArgmax : ''), el('td', 'term-value', exact(t.value)));
    table.append(tr);
  });
  if (sum.terms.length > SHOWN_TERMS) {
    const tr = el('tr');
    const td = el('td', 'term-more', text().moreTerms(sum.terms.length - SHOWN_TERMS));
    td.colSpan = 3;
    tr.append(td);
    table.append(tr);
  }
  if (sum.constant) {
    const tr = el('tr');
    tr.append(el('td', 'term-label', `+ ${sum.constant.label}`), el('td'), el('td', 'term-value', exact(sum.constant.value)));
    table.append(tr);
  }
  const op = sum.reduce === 'max' ? 'max' : 'Σ';
  if (value === undefined) {
    box.append(table, el('div', 'cell-sum-total', `${op} = ${exact(sum.total)}`));
    return box;
  }
  // float32 runs add in a different order than the engine's kernels: compare at float32 precision then.
  const agrees = Math.abs(sum.total - value) <= 1e-6 * Math.max(1, Math.abs(value)) || (Number.isNaN(sum.total) && Number.isNaN(value));
  const total = el('div', `cell-sum-total ${agrees ? 'ok' : 'bad'}`, `${op} = ${exact(sum.total)} ${agrees ? `✓ ${text().sumEqualsCell}` : text().sumDiffersFromCell(exact(value))}`);
  box.append(table, total);
  return box;
}
