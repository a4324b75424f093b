// The stage stepper: previous / next (buttons, n / p, PageUp / PageDown, and the
// VS Code commands), the list of stages, and the current stage's explanation.

import type { TraceStage } from '../../src/engine/trace';
import { text } from '../l10n';
import { button, el } from './controls';

export class Stepper {
  readonly element = el('nav', 'stepper');
  private readonly position = el('span', 'stepper-position');
  private readonly title = el('span', 'stepper-title');
  private readonly explanation = el('p', 'stepper-explanation');
  private readonly chips = el('ol', 'stepper-chips');

  constructor(private readonly stages: TraceStage[], private readonly explain: (s: TraceStage) => string, private readonly go: (index: number) => void) {
    const t = text();
    this.element.setAttribute('aria-label', t.stages);
    // Read out as the stage changes (focus moves to the stage's heading meanwhile).
    this.explanation.setAttribute('aria-live', 'polite');
    const row = el('div', 'stepper-row');
    row.append(
      button(t.previous, t.previousStage, () => this.go(this.index - 1)),
      this.position, this.title,
      button(t.next, t.nextStage, () => this.go(this.index + 1)),
    );
    stages.forEach((s, i) => {
      const li = el('li');
      const b = el('button', `chip ${s.pass}`, `${i + 1}. ${s.title}`);
      b.title = s.formula;
      b.addEventListener('click', () => this.go(i));
      li.append(b);
      this.chips.append(li);
    });
    this.element.append(row, this.chips, this.explanation);
  }

  index = 0;

  show(index: number): void {
    this.index = index;
    const s = this.stages[index];
    this.position.textContent = `${index + 1} / ${this.stages.length}`;
    this.title.textContent = (s.pass === 'forward' ? text().forwardStage : text().backwardStage)(s.title);
    this.explanation.textContent = this.explain(s);
    this.chips.querySelectorAll('button').forEach((b, i) => {
      b.classList.toggle('current', i === index);
      if (i === index) b.setAttribute('aria-current', 'step'); else b.removeAttribute('aria-current');
    });
  }
}
