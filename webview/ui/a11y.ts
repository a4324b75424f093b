// Small DOM helpers for screen readers: a polite live region for the keyboard
// cursor's cell, sections named by their headings, shared descriptions.

import { el } from './controls';

let nextId = 0;

/** The element's id, given one if it has none. */
export function idOf(element: HTMLElement, prefix = 'cvd'): string {
  if (!element.id) element.id = `${prefix}-${++nextId}`;
  return element.id;
}

/** Names a region (a section, a list) by its visible heading. */
export function labelBy(region: HTMLElement, heading: HTMLElement): void {
  region.setAttribute('aria-labelledby', idOf(heading));
}

/** Marks a group of controls as a toolbar with a name. */
export function markToolbar(element: HTMLElement, label: string): void {
  element.setAttribute('role', 'toolbar');
  element.setAttribute('aria-label', label);
}

/** Describes `element` by a hidden text, one element per distinct text however many elements it describes. */
export function describeBy(element: HTMLElement, text: string): void {
  let note = [...document.querySelectorAll<HTMLElement>('.a11y-description')].find(n => n.textContent === text);
  if (!note) {
    note = el('div', 'a11y-description visually-hidden', text);
    document.body.append(note);
  }
  element.setAttribute('aria-describedby', idOf(note, 'cvd-description'));
}

/**
 * A polite live region: what the keyboard cursor is on. The text is replaced,
 * not appended, so a screen reader reads the latest cell only.
 */
export class Announcer {
  readonly element = el('div', 'cell-announcer visually-hidden');

  constructor() {
    this.element.setAttribute('role', 'status');
    this.element.setAttribute('aria-live', 'polite');
    this.element.setAttribute('aria-atomic', 'true');
  }

  say(text: string): void {
    this.element.textContent = text;
  }

  clear(): void {
    this.element.textContent = '';
  }
}
