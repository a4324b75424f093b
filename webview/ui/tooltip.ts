// One tooltip for every heatmap: index, exact value, and what the cell means.
// Hidden from screen readers: the panel's announcer says the keyboard cursor's cell.

import { el } from './controls';

export class Tooltip {
  readonly element = el('div', 'tooltip');

  constructor() {
    this.element.setAttribute('aria-hidden', 'true');
    document.body.append(this.element);
  }

  show(lines: string[], at: { x: number; y: number }): void {
    this.element.replaceChildren(...lines.map((l, i) => el('div', i === 0 ? 'tooltip-main' : 'tooltip-sub', l)));
    this.element.classList.add('visible');
    const pad = 14;
    const r = this.element.getBoundingClientRect();
    const x = at.x + pad + r.width > window.innerWidth ? at.x - pad - r.width : at.x + pad;
    const y = at.y + pad + r.height > window.innerHeight ? at.y - pad - r.height : at.y + pad;
    this.element.style.left = `${Math.max(0, x)}px`;
    this.element.style.top = `${Math.max(0, y)}px`;
  }

  hide(): void {
    this.element.classList.remove('visible');
  }
}
