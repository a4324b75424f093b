// The stage stepper: previous / next (buttons, n / p, PageUp / PageDown, and the
// VS Code commands), the stages as one row of chips that scrolls rather than
// wraps, and the current stage's explanation, which the user may fold away.

import type { TraceStage } from '../../src/engine/trace';
import { text } from '../l10n';
import { button, el, scrollIntoRow, toolButton } from './controls';

export class Stepper {
  readonly element = el('nav', 'stepper');
  private readonly position = el('span', 'stepper-position');
  private readonly title = el('span', 'stepper-title');
  private readonly explanation = el('p', 'stepper-explanation');
  private readonly chips = el('ol', 'stepper-chips');
  private readonly toggle: HTMLButtonElement;

  constructor(
    private readonly stages: TraceStage[],
    private readonly explain: (s: TraceStage) => string,
    private readonly go: (index: number) => void,
    /** Whether the explanation shows, and where the user's choice is kept. */
    private readonly explained: { get(): boolean; set(shown: boolean): void },
  ) {
    const t = text();
    this.element.setAttribute('aria-label', t.stages);
    // Read out as the stage changes (focus moves to the stage's heading meanwhile).
    this.explanation.setAttribute('aria-live', 'polite');
    this.explanation.id = 'stepper-explanation';
    this.toggle = toolButton('ⓘ', t.explanation, () => this.showExplanation(!this.explained.get()));
    this.toggle.classList.add('stepper-explain');
    this.toggle.setAttribute('aria-controls', this.explanation.id);
    stages.forEach((s, i) => {
      const li = el('li');
      const b = el('button', `chip ${s.pass}`, `${i + 1}. ${s.title}`);
      b.title = s.formula;
      b.addEventListener('click', () => this.go(i));
      li.append(b);
      this.chips.append(li);
    });
    const row = el('div', 'stepper-row');
    row.append(
      button(t.previous, t.previousStage, () => this.go(this.index - 1)),
      button(t.next, t.nextStage, () => this.go(this.index + 1)),
      this.position, this.title, this.toggle, this.chips,
    );
    this.element.append(row, this.explanation);
    this.showExplanation(this.explained.get());
  }

  index = 0;

  show(index: number): void {
    this.index = index;
    const s = this.stages[index];
    this.position.textContent = `${index + 1} / ${this.stages.length}`;
    this.title.textContent = (s.pass === 'forward' ? text().forwardStage : text().backwardStage)(s.title);
    this.title.className = `stepper-title ${s.pass}`;
    this.explanation.textContent = this.explain(s);
    this.chips.querySelectorAll('button').forEach((b, i) => {
      b.classList.toggle('current', i === index);
      if (i === index) b.setAttribute('aria-current', 'step'); else b.removeAttribute('aria-current');
    });
    scrollIntoRow(this.chips, this.chips.children[index] as HTMLElement | undefined);
  }

  /** Folded, the explanation is still read out to screen readers (a fold saves screen space, not words). */
  private showExplanation(shown: boolean): void {
    this.explained.set(shown);
    this.explanation.classList.toggle('visually-hidden', !shown);
    this.toggle.setAttribute('aria-expanded', String(shown));
    this.toggle.classList.toggle('on', shown);
  }
}
